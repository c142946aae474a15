"""CloudWatch: dimensions match exactly, as on AWS; alarms start and stay as on AWS.

moto 5.2.5 is more lenient than CloudWatch:

- ``GetMetricStatistics`` counts every datapoint whose dimensions *include* the requested ones
  (a query with ``DBClusterIdentifier`` alone also sees the ``DBClusterIdentifier`` +
  ``SourceRegion`` datapoints), and one without dimensions sees all datapoints of the name.
- ``GetMetricData`` (MetricStat) ignores the namespace as soon as dimensions are given, compares
  them with a broken ordering, and without dimensions sees all datapoints of the name.
- ``ListMetrics`` lists a multi-dimension metric once per datapoint (its duplicate check never
  matches two dimensions).
- ``PutMetricAlarm`` starts an alarm in ``OK`` and resets the state on every update.

AWS: "CloudWatch treats each unique combination of dimensions as a separate metric. [...] you can't
retrieve statistics using combinations of dimensions that you did not specifically publish"
(CloudWatch User Guide, "Amazon CloudWatch concepts", Dimensions,
https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch_concepts.html#Dimension).
ListMetrics' ``Dimensions`` is a filter ("The dimensions to filter against"): a metric is listed
when it carries every given name (and value), so it is kept as moto has it, only deduplicated.
A new alarm is ``INSUFFICIENT_DATA`` until evaluated, and PutMetricAlarm on an existing alarm
"completely overwrites the previous configuration" but "its state is left unchanged" (CloudWatch
API Reference, PutMetricAlarm, https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any


def dimension_key(dimensions) -> frozenset:
    """The set of (name, value) of request dimensions (dicts) or moto ``Dimension`` objects."""
    pairs = []
    for dim in dimensions or []:
        if isinstance(dim, dict):
            pairs.append((dim.get("Name"), dim.get("Value")))
        else:
            pairs.append((dim.name, dim.value))
    return frozenset(pairs)


def matching(datapoints, namespace: str, metric_name: str, dimensions, unit: str | None = None) -> list:
    """The datapoints of exactly this metric: namespace, name and the full dimension set."""
    wanted = dimension_key(dimensions)
    return [
        md for md in datapoints
        if md.namespace == namespace and md.name == metric_name
        and dimension_key(md.dimensions) == wanted
        and (not unit or md.unit == unit)
    ]


def get_metric_statistics(self, namespace: str, metric_name: str, start_time: datetime, end_time: datetime,
                          period: int, stats: list[str], dimensions: list[dict[str, str]],
                          unit: str | None = None) -> list:
    """moto's GetMetricStatistics with the exact dimension rule (binning unchanged)."""
    from moto.cloudwatch.exceptions import InvalidParameterValue
    from moto.cloudwatch.models import Statistics, daterange

    start_time = start_time.replace(microsecond=0)
    end_time = end_time.replace(microsecond=0)
    if start_time >= end_time:
        raise InvalidParameterValue("The parameter StartTime must be less than the parameter EndTime.")
    period_delta = timedelta(seconds=period)
    data = sorted(
        (md for md in matching(self.get_all_metrics(), namespace, metric_name, dimensions, unit)
         if start_time <= md.timestamp < end_time),
        key=lambda md: md.timestamp,
    )
    if not data:
        return []
    idx = 0
    result = []
    for dt in daterange(data[0].timestamp, data[-1].timestamp + period_delta, period_delta):
        bucket = Statistics(stats, dt)
        while idx < len(data) and data[idx].timestamp < dt + period_delta:
            bucket.metric_data.append(data[idx])
            bucket.unit = data[idx].unit
            idx += 1
        if bucket.metric_data:
            result.append(bucket)
    return result


def _metric_stat_result(self, query: dict[str, Any], start_time: datetime, end_time: datetime,
                        scan_by: str) -> dict[str, Any]:
    from moto.cloudwatch.models import Statistics

    metric_stat = query["MetricStat"]
    metric = metric_stat["Metric"]
    delta = timedelta(seconds=int(metric_stat["Period"]))
    stat = metric_stat["Stat"]
    data = [md for md in matching(self.get_all_metrics(), metric.get("Namespace"), metric.get("MetricName"),
                                  metric.get("Dimensions", []), metric_stat.get("Unit"))
            if start_time <= md.timestamp < end_time]
    values: list = []
    timestamps: list[datetime] = []
    period_start = start_time
    while period_start <= end_time:
        in_period = [md for md in data if period_start <= md.timestamp < period_start + delta]
        if in_period:
            stats = Statistics([stat], period_start)
            stats.metric_data = in_period
            values.append(stats.get_statistics_for_type(stat))
            timestamps.append(stats.timestamp)
        period_start += delta
    if scan_by == "TimestampDescending":
        timestamps.reverse()
        values.reverse()
    return {"id": query["Id"], "label": query.get("Label") or f"{metric.get('MetricName')} {stat}",
            "values": values, "timestamps": timestamps, "status_code": "Complete"}


def _wrap_get_metric_data(original):
    def get_metric_data(self, queries: list[dict[str, Any]], start_time: datetime, end_time: datetime,
                        scan_by: str = "TimestampAscending") -> list[dict[str, Any]]:
        """MetricStat queries with the exact dimension rule; math and Metrics Insights as moto has them."""
        from moto.cloudwatch.metric_data_expression_parser import parse_expression

        if not any("MetricStat" in q for q in queries):
            return original(self, queries, start_time, end_time, scan_by)
        # moto's own checks of the time range (ValidationError) first.
        original(self, [], start_time, end_time, scan_by)
        start_time = start_time.replace(microsecond=0)
        end_time = end_time.replace(microsecond=0)
        results = [_metric_stat_result(self, q, start_time, end_time, scan_by)
                   for q in queries if "MetricStat" in q]
        by_id = {r["id"]: r for r in results}
        returned = []
        for query in queries:
            if "MetricStat" in query:
                if query.get("ReturnData", True):
                    returned.append(by_id[query["Id"]])
            elif not query.get("Expression", "").startswith("SELECT"):
                values, timestamps = parse_expression(query["Expression"], results)
                returned.append({"id": query["Id"], "label": query.get("Label") or query["Id"],
                                 "values": values, "timestamps": timestamps, "status_code": "Complete"})
            else:
                returned.extend(original(self, [query], start_time, end_time, scan_by))
        return returned

    return get_metric_data


def get_filtered_metrics(self, metric_name: str, namespace: str, dimensions: list[dict[str, str]]) -> list:
    """ListMetrics: each metric (namespace, name, dimension set) once; the filter as moto has it."""
    seen: set = set()
    found = []
    for md in self.get_all_metrics():
        if not md.filter(namespace=namespace, name=metric_name, dimensions=dimensions):
            continue
        key = (md.namespace, md.name, dimension_key(md.dimensions))
        if key not in seen:
            seen.add(key)
            found.append(md)
    return found


def _wrap_put_metric_alarm(original):
    def put_metric_alarm(self, *args, **kwargs):
        name = kwargs.get("name", args[0] if args else None)
        before = self.alarms.get(name)
        alarm = original(self, *args, **kwargs)
        if before is not None:  # an update keeps the state (and its history)
            for attr in ("state_value", "state_reason", "state_reason_data", "state_updated_timestamp", "history"):
                setattr(alarm, attr, getattr(before, attr))
        else:
            alarm.state_value = "INSUFFICIENT_DATA"
            alarm.state_reason = "Unchecked: Initial alarm creation"
        return alarm

    return put_metric_alarm


def install() -> None:
    from moto.cloudwatch.models import CloudWatchBackend

    if getattr(CloudWatchBackend, "_emulator_patched", False):
        return
    CloudWatchBackend.get_metric_statistics = get_metric_statistics
    CloudWatchBackend.get_metric_data = _wrap_get_metric_data(CloudWatchBackend.get_metric_data)
    CloudWatchBackend.get_filtered_metrics = get_filtered_metrics
    CloudWatchBackend.put_metric_alarm = _wrap_put_metric_alarm(CloudWatchBackend.put_metric_alarm)
    CloudWatchBackend._emulator_patched = True
