"""Auto Scaling: DisableMetricsCollection (amazon.aws.autoscaling_group calls it on every run).

``Metrics`` names the metrics to stop collecting; without it, collection stops for all of them
(as in AWS). Unknown groups answer ``ValidationError`` like the other Auto Scaling actions.
"""

from __future__ import annotations


def disable_metrics_collection(self):
    from moto.core.responses import EmptyResult

    group_name = self._get_param("AutoScalingGroupName")
    metrics = self._get_param("Metrics") or []
    group = self.autoscaling_backend.describe_auto_scaling_groups([group_name])
    if not group:
        from moto.autoscaling.exceptions import ValidationError

        raise ValidationError(f"Group {group_name} not found")
    if metrics:
        group[0].metrics = [m for m in group[0].metrics if m not in metrics]
    else:
        group[0].metrics = []
    return EmptyResult()


def install() -> None:
    from moto.autoscaling.responses import AutoScalingResponse

    AutoScalingResponse.disable_metrics_collection = disable_metrics_collection
