# Copyright: Contributors to the payments.region_migration project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""One evaluation of the traffic health gate: target health, alarm states, the ALB's 5xx rate.

Private to this collection; used by migration_gate and migration_status_info. The verdict
rules live in ``gates`` (pure); this file only reads AWS. ``clients`` is a ``_aws_client.ClientCache``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ansible_collections.payments.region_migration.plugins.module_utils import gates
from ansible_collections.payments.region_migration.plugins.module_utils._aws_client import (
    AWS_ERRORS,
    is_boto3_error_code,
)

ALB_NAMESPACE = "AWS/ApplicationELB"
ELB_5XX = "HTTPCode_ELB_5XX_Count"
TARGET_5XX = "HTTPCode_Target_5XX_Count"
REQUESTS = "RequestCount"
NOT_FOUND = gates.NOT_FOUND


def load_balancer_dimension(arn: str) -> str | None:
    """The CloudWatch LoadBalancer dimension (``app/name/id``) of an ALB ARN, None if not one."""
    marker = ":loadbalancer/"
    if not arn.startswith("arn:") or marker not in arn:
        return None
    suffix = arn.split(marker, 1)[1]
    return suffix if suffix.startswith("app/") and suffix.count("/") == 2 else None


def target_health(module, elbv2, target_group_arn: str) -> list[dict[str, Any]]:
    try:
        described = elbv2.describe_target_health(aws_retry=True, TargetGroupArn=target_group_arn)
    except is_boto3_error_code("TargetGroupNotFound"):
        module.fail_json(msg=f"Target group {target_group_arn} not found")
    except AWS_ERRORS as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg=f"Failed to describe the health of target group {target_group_arn}")
    return [
        {
            "id": d["Target"]["Id"],
            "port": d["Target"].get("Port"),
            "state": d.get("TargetHealth", {}).get("State"),
            "reason": d.get("TargetHealth", {}).get("Reason"),
        }
        for d in described.get("TargetHealthDescriptions", [])
    ]


def alarm_states(module, cloudwatch, names: list[str]) -> dict[str, str]:
    """{name: state} for each requested alarm; NOT_FOUND for a name that does not exist."""
    states: dict[str, str] = {}
    wanted = list(dict.fromkeys(names))
    try:
        for start in range(0, len(wanted), 100):
            kwargs: dict[str, Any] = {"AlarmNames": wanted[start:start + 100],
                                      "AlarmTypes": ["MetricAlarm", "CompositeAlarm"]}
            while True:
                page = cloudwatch.describe_alarms(aws_retry=True, **kwargs)
                for alarm in page.get("MetricAlarms", []) + page.get("CompositeAlarms", []):
                    states[alarm["AlarmName"]] = alarm["StateValue"]
                if not page.get("NextToken"):
                    break
                kwargs["NextToken"] = page["NextToken"]
    except AWS_ERRORS as e:
        module.fail_json_aws(e, msg="Failed to describe CloudWatch alarms")
    return {name: states.get(name, NOT_FOUND) for name in wanted}


def metric_sum(module, cloudwatch, metric_name: str, lb_dimension: str, window_seconds: int, period_seconds: int,
               now: datetime) -> float:
    start, end = gates.metric_window(now, window_seconds)
    try:
        response = cloudwatch.get_metric_statistics(
            aws_retry=True, Namespace=ALB_NAMESPACE, MetricName=metric_name,
            Dimensions=[{"Name": "LoadBalancer", "Value": lb_dimension}],
            StartTime=start, EndTime=end, Period=period_seconds,
            Statistics=["Sum"],
        )
    except AWS_ERRORS as e:
        module.fail_json_aws(e, msg=f"Failed to read {metric_name} from CloudWatch")
    return float(sum(d.get("Sum", 0.0) for d in response.get("Datapoints", [])))


def evaluate_traffic(module, clients, target_group_arn: str, min_healthy_targets: int, alarm_names: list[str],
                     load_balancer: str | None, max_5xx_percent: float, window_seconds: int,
                     period_seconds: int, region: str | None = None) -> dict[str, Any]:
    """One evaluation of the traffic gate; the result dict the gate modules return.

    The 5xx rate, in percent, is (HTTPCode_ELB_5XX_Count + HTTPCode_Target_5XX_Count) / RequestCount
    of the load balancer (dimension ``LoadBalancer`` = ``app/<name>/<id>``, the end of its ARN), as
    the "CloudWatch metrics for your Application Load Balancer" page of the ELB User Guide names them.
    """
    targets = target_health(module, clients("elbv2", region), target_group_arn)
    healthy_targets = sum(1 for t in targets if t["state"] == "healthy")
    cloudwatch = clients("cloudwatch", region)
    alarms = alarm_states(module, cloudwatch, alarm_names) if alarm_names else {}
    rate = note = None
    counts = None
    if load_balancer:
        dimension = load_balancer_dimension(load_balancer)
        if dimension is None:
            module.fail_json(msg=f"load_balancer must be an Application Load Balancer ARN, got {load_balancer!r}")
        now = datetime.now(UTC)
        counts = {
            name: metric_sum(module, cloudwatch, name, dimension, window_seconds, period_seconds, now)
            for name in (ELB_5XX, TARGET_5XX, REQUESTS)
        }
        rate, note = gates.error_rate(counts[ELB_5XX], counts[TARGET_5XX], counts[REQUESTS])
    healthy, reason = gates.traffic_verdict(healthy_targets, min_healthy_targets, alarms, rate,
                                            max_5xx_percent if load_balancer else None, note)
    return {
        "healthy": healthy,
        "verdict": gates.verdict(healthy),
        "reason": reason,
        "healthy_targets": healthy_targets,
        "targets": targets,
        "alarms": alarms,
        "error_rate": rate,
        "request_counts": counts,
    }
