# Copyright: Contributors to the payments.region_migration project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""One evaluation of the Aurora replication-lag gate: global cluster state plus CloudWatch samples.

Private to this collection; used by migration_gate and migration_status_info. The verdict rules
live in ``gates`` (pure); this file only reads AWS. ``clients`` is a ``_aws_client.ClientCache``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ansible_collections.payments.region_migration.plugins.module_utils import _rds_global as rds_global
from ansible_collections.payments.region_migration.plugins.module_utils import gates
from ansible_collections.payments.region_migration.plugins.module_utils._aws_client import AWS_ERRORS, arn_region

NAMESPACE = "AWS/RDS"
STATISTIC = "Maximum"
_UNREAD = object()


def describe_global_cluster(module, rds, identifier: str) -> dict[str, Any] | None:
    """The global cluster, None when it does not exist; an AWS error ends the module."""
    try:
        return rds_global.describe_global_cluster(rds, identifier)
    except AWS_ERRORS as e:
        module.fail_json_aws(e, msg=f"Failed to describe global cluster {identifier}")


def choose_dimensions(module, cloudwatch, metric_name: str, cluster_id: str,
                      source_region: str | None) -> list[dict[str, str]]:
    """The dimension set the lag metric is published with for this cluster.

    CloudWatch only answers a query whose dimensions match exactly; the lag metrics exist per
    DBClusterIdentifier and per DBClusterIdentifier + SourceRegion. Prefer the latter for the
    current writer's region, then the former.
    """
    base = [{"Name": "DBClusterIdentifier", "Value": cluster_id}]
    found: list[list[dict[str, str]]] = []
    kwargs: dict[str, Any] = {"Namespace": NAMESPACE, "MetricName": metric_name, "Dimensions": base}
    try:
        while True:
            page = cloudwatch.list_metrics(aws_retry=True, **kwargs)
            found.extend(m.get("Dimensions", []) for m in page.get("Metrics", []))
            if not page.get("NextToken"):
                break
            kwargs["NextToken"] = page["NextToken"]
    except AWS_ERRORS as e:
        module.fail_json_aws(e, msg=f"Failed to list the {metric_name} metrics of {cluster_id}")
    as_sets = [{(d["Name"], d["Value"]) for d in dims} for dims in found]
    if source_region:
        with_source = {("DBClusterIdentifier", cluster_id), ("SourceRegion", source_region)}
        if with_source in as_sets:
            return base + [{"Name": "SourceRegion", "Value": source_region}]
    return base


def lag_samples(module, cloudwatch, metric_name: str, dimensions: list[dict[str, str]], window_seconds: int,
                period_seconds: int, now: datetime | None = None) -> list[dict[str, Any]]:
    """Per-period Maximum of the lag metric over the window ending now, oldest first."""
    now = now or datetime.now(UTC)
    start, end = gates.metric_window(now, window_seconds)
    try:
        response = cloudwatch.get_metric_statistics(
            aws_retry=True, Namespace=NAMESPACE, MetricName=metric_name, Dimensions=dimensions,
            StartTime=start, EndTime=end, Period=period_seconds,
            Statistics=[STATISTIC],
        )
    except AWS_ERRORS as e:
        module.fail_json_aws(e, msg=f"Failed to read {metric_name} from CloudWatch")
    return gates.samples_from_datapoints(response.get("Datapoints", []), STATISTIC)


def evaluate_lag(module, clients, global_cluster_identifier: str, secondary: str, threshold_ms: float,
                 window_seconds: int, period_seconds: int, min_datapoints: int, consecutive_healthy: int,
                 allow_no_data: bool, metric_name: str | None = None,
                 global_cluster: dict[str, Any] | None | object = _UNREAD,
                 region: str | None = None) -> dict[str, Any]:
    """One evaluation of the lag gate; the result dict the gate modules return.

    ``global_cluster`` may be passed when the caller has just described it (status module).
    ``region`` is the secondary's region when ``secondary`` is an identifier, not an ARN.
    """
    region = arn_region(secondary) or region or module.region
    cluster_id = rds_global.cluster_id_of(secondary)
    if global_cluster is _UNREAD:
        global_cluster = describe_global_cluster(module, clients("rds", region), global_cluster_identifier)
    member = rds_global.find_member(global_cluster, secondary, region)
    problems = gates.global_cluster_problems(global_cluster, member, cluster_id)
    if global_cluster is None:
        problems = [f"global cluster {global_cluster_identifier} not found"]
    chosen = metric_name or gates.lag_metric_for_engine(
        (global_cluster or {}).get("Engine"), (global_cluster or {}).get("EngineVersion"))
    cloudwatch = clients("cloudwatch", region)
    dimensions = choose_dimensions(module, cloudwatch, chosen, cluster_id, rds_global.writer_region(global_cluster))
    samples = lag_samples(module, cloudwatch, chosen, dimensions, window_seconds, period_seconds)
    healthy, reason = gates.lag_verdict(samples, threshold_ms, min_datapoints, consecutive_healthy,
                                        allow_no_data, chosen)
    if problems:
        healthy = False
        reason = "; ".join(problems) + f" ({reason})"
    values = [s["value"] for s in samples]
    return {
        "healthy": healthy,
        "verdict": gates.verdict(healthy),
        "reason": reason,
        "samples": samples,
        "maximum": max(values) if values else None,
        "metric_name": chosen,
        "dimensions": {d["Name"]: d["Value"] for d in dimensions},
        "threshold_ms": threshold_ms,
        "datapoints": len(samples),
        "global_cluster_status": rds_global.global_cluster_status(global_cluster, member),
    }
