"""Auto Scaling: DisableMetricsCollection (amazon.aws.autoscaling_group calls it on every run)."""

from __future__ import annotations


def disable_metrics_collection(self):
    from moto.core.responses import EmptyResult

    group_name = self._get_param("AutoScalingGroupName")
    group = self.autoscaling_backend.describe_auto_scaling_groups([group_name])
    if group:
        group[0].metrics = []
        group[0].enabled_metrics = []
    return EmptyResult()


def install() -> None:
    from moto.autoscaling.responses import AutoScalingResponse

    AutoScalingResponse.disable_metrics_collection = disable_metrics_collection
