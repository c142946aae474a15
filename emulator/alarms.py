"""CloudWatch metric alarms evaluated from the published datapoints, as CloudWatch does.

moto never evaluates an alarm: its state only changes through SetAlarmState. Here a background
thread (``AlarmEvaluator``, every ``EMULATOR_ALARM_INTERVAL`` seconds, default 5; runtime setting
``alarm_interval_seconds`` of ``/_emulator/config``) and
``POST /_emulator/alarms/evaluate`` evaluate every metric alarm of every region:

- the evaluation range is the last ``EvaluationPeriods`` periods of ``Period`` seconds ending now
  (newest period = the last ``Period`` seconds); each period's value is the alarm's ``Statistic``
  (or ``ExtendedStatistic`` pNN) over the datapoints of exactly the alarm's namespace, metric name
  and dimension set (and ``Unit`` when the alarm has one) - see ext_cloudwatch.py;
- the background evaluator evaluates an alarm once per ``min(Period, 60)`` seconds, like
  CloudWatch (a state set with SetAlarmState holds until then); the endpoint evaluates all now;
- a period is breaching when ``value <op> Threshold``; ``DatapointsToAlarm`` (M, default
  ``EvaluationPeriods``) breaching periods make ALARM;
- missing periods follow ``TreatMissingData`` (CloudWatch User Guide, "Configuring how CloudWatch
  alarms treat missing data",
  https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html#alarms-and-missing-data):
  ``breaching`` -> breaching, ``notBreaching`` -> not breaching, ``ignore`` -> skipped (all missing:
  the state is kept), ``missing`` (the default) -> skipped (all missing: INSUFFICIENT_DATA).

Before each evaluation the evaluator publishes ``HealthyHostCount`` / ``UnHealthyHostCount``
(AWS/ApplicationELB, Count, dimensions TargetGroup + LoadBalancer) for every target group attached
to a load balancer, from the target health DescribeTargetHealth reports (``unhealthy_targets``
faults included), so that healthy-host alarms evaluate truthfully.

An active ``alarm_state`` fault wins over the evaluation for as long as it is listed.
Alarms on metric math (``Metrics``) and composite alarms are left as they are.
"""

from __future__ import annotations

import json
import logging
import math
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

from . import config, published_metrics
from .ext_cloudwatch import matching
from .faults import REGISTRY, FaultRegistry

LOG = logging.getLogger("emulator.alarms")
ALARM_PREFIX = "/_emulator/alarms"
INTERVAL_SETTING = "alarm_interval_seconds"
# A runtime setting like the others: GET/POST /_emulator/config, reset by /moto-api/reset.
config.SETTINGS.setdefault(INTERVAL_SETTING, config.Setting(
    "EMULATOR_ALARM_INTERVAL", 5.0, 0.2, "seconds between two rounds of the CloudWatch alarm evaluator"))
_LOCK = threading.Lock()

_OPERATORS = {
    "GreaterThanOrEqualToThreshold": lambda v, t: v >= t,
    "GreaterThanThreshold": lambda v, t: v > t,
    "LessThanThreshold": lambda v, t: v < t,
    "LessThanOrEqualToThreshold": lambda v, t: v <= t,
}
_WORDS = {
    "GreaterThanOrEqualToThreshold": "greater than or equal to",
    "GreaterThanThreshold": "greater than",
    "LessThanThreshold": "less than",
    "LessThanOrEqualToThreshold": "less than or equal to",
}


def interval() -> float:
    return config.get(INTERVAL_SETTING)

# ------------------------------------------------------------------------------- pure decisions


def _values(datum) -> list[float]:
    if hasattr(datum, "value"):
        return [float(datum.value)]
    # a StatisticSet (MetricAggregatedDatum): its average stands for its values
    count = float(datum.sample_count or 0) or 1.0
    return [float(datum.sum) / count] * int(count)


def statistic_of(data: list, statistic: str | None, extended: str | None = None) -> float | None:
    """One period's value of the statistic over its datapoints (None when there are none)."""
    if not data:
        return None
    values = [v for d in data for v in _values(d)]
    if extended:
        ordered = sorted(values)
        rank = max(0, math.ceil(float(extended.lstrip("p")) / 100 * len(ordered)) - 1)
        return ordered[min(rank, len(ordered) - 1)]
    if statistic == "SampleCount":
        return float(len(values))
    if statistic == "Sum":
        return float(sum(values))
    if statistic == "Minimum":
        return min(values)
    if statistic == "Maximum":
        return max(values)
    return sum(values) / len(values)  # Average


def decide(values: list[float | None], operator: str, threshold: float, datapoints_to_alarm: int,
           treat_missing_data: str | None, current: str) -> tuple[str, str]:
    """(state, reason) of one evaluation; ``values`` oldest first, None for a missing period."""
    treat = treat_missing_data or "missing"
    compare = _OPERATORS[operator]
    present = [v for v in values if v is not None]
    missing = len(values) - len(present)
    if not present and treat in ("missing", "ignore"):
        if treat == "ignore":
            return current, ""
        return "INSUFFICIENT_DATA", f"Insufficient Data: {missing} datapoint{'s' if missing != 1 else ''} were unknown."
    breaching = sum(1 for v in present if compare(v, threshold))
    if treat == "breaching":
        breaching += missing
    shown = ", ".join("missing" if v is None else f"{v:g}" for v in values)
    word = _WORDS.get(operator, operator)
    if breaching >= datapoints_to_alarm:
        return "ALARM", (f"Threshold Crossed: {breaching} out of the last {len(values)} datapoints "
                         f"[{shown}] were {word} the threshold ({threshold:g}) "
                         f"(minimum {datapoints_to_alarm} datapoint{'s' if datapoints_to_alarm != 1 else ''} "
                         "for OK -> ALARM transition).")
    return "OK", (f"Threshold Crossed: {len(values) - breaching} out of the last {len(values)} datapoints "
                  f"[{shown}] were not {word} the threshold ({threshold:g}).")


# ------------------------------------------------------------------------------- moto state


def _backends(name: str) -> list[tuple[str, Any]]:
    from moto.core import DEFAULT_ACCOUNT_ID

    if name == "cloudwatch":
        from moto.cloudwatch.models import cloudwatch_backends as backends
    else:
        from moto.elbv2.models import elbv2_backends as backends
    return list(backends[DEFAULT_ACCOUNT_ID].items())


def _now() -> datetime:
    # moto keeps metric timestamps naive (UTC)
    return datetime.now(UTC).replace(tzinfo=None)


def publish_host_counts(registry: FaultRegistry = REGISTRY, now: datetime | None = None) -> int:
    """HealthyHostCount / UnHealthyHostCount of every target group attached to a load balancer."""
    from moto.cloudwatch.models import cloudwatch_backends
    from moto.core import DEFAULT_ACCOUNT_ID

    now = now or _now()
    written = 0
    for region, elbv2 in _backends("elbv2"):
        data = []
        for tg_arn, target_group in list(elbv2.target_groups.items()):
            lb_arns = [arn for arn in target_group.load_balancer_arns if ":loadbalancer/app/" in arn]
            if not lb_arns:
                continue
            try:
                states = [h.status for h in elbv2.describe_target_health(tg_arn, [])]
            except Exception:  # noqa: BLE001  (a target group deleted meanwhile)
                continue
            if registry.unhealthy(tg_arn) is not None:
                states = ["unhealthy" if s in ("healthy", "initial") else s for s in states]
            counts = {"HealthyHostCount": states.count("healthy"),
                      "UnHealthyHostCount": states.count("unhealthy")}
            for lb_arn in dict.fromkeys(lb_arns):
                dims = published_metrics.host_count_dimensions(tg_arn, lb_arn)
                data += [{"MetricName": name, "Value": float(value), "Unit": published_metrics.ALB_UNIT,
                          "Timestamp": now, "Dimensions": dims} for name, value in counts.items()]
        if data:
            cloudwatch_backends[DEFAULT_ACCOUNT_ID][region].put_metric_data(published_metrics.ALB_NAMESPACE, data)
            written += len(data)
    return written


def _forced_states(registry: FaultRegistry) -> dict[tuple[str, str], dict[str, Any]]:
    """(region, alarm name) -> the latest active alarm_state fault."""
    forced: dict[tuple[str, str], dict[str, Any]] = {}
    for fault in sorted((f for f in registry.list() if f.get("kind") == "alarm_state"),
                        key=lambda f: f.get("created", 0)):
        forced[(fault.get("region") or "eu-west-1", fault["alarm_name"])] = fault
    return forced


def evaluate_alarm(datapoints: list, alarm, now: datetime) -> tuple[str, str, list[float | None]]:
    """(state, reason, per-period values) of one metric alarm over the region's datapoints."""
    period = int(alarm.period or 60)
    periods = int(alarm.evaluation_periods or 1)
    data = matching(datapoints, alarm.namespace, alarm.metric_name, alarm.dimensions, alarm.unit)
    values: list[float | None] = []
    for index in range(periods, 0, -1):
        start = now - timedelta(seconds=index * period)
        end = start + timedelta(seconds=period)
        values.append(statistic_of([d for d in data if start < d.timestamp <= end],
                                   alarm.statistic, alarm.extended_statistic))
    to_alarm = int(alarm.datapoints_to_alarm or periods)
    state, reason = decide(values, alarm.comparison_operator, float(alarm.threshold), to_alarm,
                           alarm.treat_missing_data, alarm.state_value)
    return state, reason, values


def due(alarm, now: datetime) -> bool:
    """Whether the background evaluator evaluates this alarm now.

    CloudWatch evaluates an alarm once a minute (high-resolution periods of 10 or 30 s: once a
    period), so a state set with SetAlarmState holds until the next evaluation. A new alarm is
    evaluated at the next round.
    """
    last = getattr(alarm, "_emulator_evaluated_at", None)
    state_set = alarm.state_updated_timestamp
    if last is None and state_set <= alarm.configuration_updated_timestamp:
        return True
    reference = max(t for t in (last, state_set) if t is not None)
    return (now - reference).total_seconds() >= min(int(alarm.period or 60), 60)


def evaluate_all(registry: FaultRegistry = REGISTRY, now: datetime | None = None,
                 force: bool = True) -> dict[str, dict[str, str]]:
    """Publish the host counts, then evaluate the metric alarms; {region: {alarm: state}}.

    ``force``: every alarm now (the on-demand endpoint); otherwise only the alarms that are due.
    """
    with _LOCK:
        now = now or _now()
        publish_host_counts(registry, now)
        forced = _forced_states(registry)
        states: dict[str, dict[str, str]] = {}
        for region, backend in _backends("cloudwatch"):
            datapoints = None
            for name, alarm in list(backend.alarms.items()):
                fault = forced.get((region, name))
                if fault is not None:
                    if alarm.state_value != fault["state"]:
                        alarm.update_state("set by the emulator's fault injection",
                                           json.dumps({"source": "emulator"}), fault["state"])
                elif (alarm.rule is None and not alarm.metric_data_queries and alarm.metric_name
                      and (force or due(alarm, now))):
                    if datapoints is None:  # read once per region and round
                        datapoints = backend.get_all_metrics()
                    state, reason, values = evaluate_alarm(datapoints, alarm, now)
                    alarm._emulator_evaluated_at = now
                    if state != alarm.state_value:
                        alarm.update_state(reason, json.dumps({
                            "version": "1.0", "queryDate": now.isoformat(), "statistic": alarm.statistic,
                            "period": alarm.period, "threshold": alarm.threshold,
                            "recentDatapoints": [v for v in values if v is not None],
                        }), state)
                states.setdefault(region, {})[name] = alarm.state_value
        return states


class AlarmEvaluator(threading.Thread):
    def __init__(self, registry: FaultRegistry = REGISTRY) -> None:
        super().__init__(name="alarm-evaluator", daemon=True)
        self.registry = registry
        self._stopped = threading.Event()

    def run(self) -> None:
        while not self._stopped.wait(interval()):
            try:
                evaluate_all(self.registry, force=False)
            except Exception:  # noqa: BLE001  (an evaluation must never take the server down)
                LOG.exception("evaluating the CloudWatch alarms failed")

    def stop(self) -> None:
        self._stopped.set()


# ------------------------------------------------------------------------------- HTTP


def _json(start_response, status: str, payload) -> list[bytes]:
    body = json.dumps(payload, default=str).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


class AlarmsMiddleware:
    """``POST /_emulator/alarms/evaluate`` (the interval is the ``alarm_interval_seconds`` setting)."""

    def __init__(self, app, registry: FaultRegistry = REGISTRY) -> None:
        self.app = app
        self.registry = registry

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "").rstrip("/")
        if not path.startswith(ALARM_PREFIX):
            return self.app(environ, start_response)
        if path == f"{ALARM_PREFIX}/evaluate" and environ.get("REQUEST_METHOD") == "POST":
            return _json(start_response, "200 OK", {"alarms": evaluate_all(self.registry)})
        return _json(start_response, "404 Not Found",
                     {"error": f"no emulator endpoint {path!r} (POST {ALARM_PREFIX}/evaluate)"})
