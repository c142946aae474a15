"""Pure gate decisions: lag metric per engine, verdicts on sample series, traffic verdicts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from ansible_collections.payments.region_migration.plugins.module_utils import gates

RPO, REPL = gates.RPO_LAG_METRIC, gates.REPLICATION_LAG_METRIC


@pytest.mark.parametrize(("engine", "version", "metric"), [
    ("aurora-postgresql", "15.4", RPO),
    ("aurora-postgresql", None, RPO),
    ("aurora-mysql", "8.0.mysql_aurora.3.05.2", RPO),
    ("aurora-mysql", "8.0.mysql_aurora.3.04.0", RPO),
    ("aurora-mysql", "8.0.mysql_aurora.3.10.0", RPO),
    ("aurora-mysql", "8.0.mysql_aurora.3.03.1", REPL),
    ("aurora-mysql", "8.0.mysql_aurora.3.02", REPL),
    ("aurora-mysql", "5.7.mysql_aurora.2.12.0", RPO),
    ("aurora-mysql", "5.7.mysql_aurora.2.11.2", REPL),
    ("aurora-mysql", "5.7.12", REPL),
    ("aurora", "5.6.10a", REPL),
    ("aurora-mysql", "9.0.mysql_aurora.4.00.0", RPO),
    ("AURORA-MYSQL", "8.0.MYSQL_AURORA.3.05.2".lower(), RPO),
    (None, None, REPL),
    ("mysql", "8.0.35", REPL),
])
def test_lag_metric_for_engine(engine, version, metric):
    assert gates.lag_metric_for_engine(engine, version) == metric


def series(*values):
    start = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    return [{"timestamp": (start + timedelta(minutes=i)).isoformat(), "value": v} for i, v in enumerate(values)]


@pytest.mark.parametrize(("values", "min_dp", "consecutive", "allow", "healthy", "text"), [
    ((100, 200, 300), 3, 1, False, True, "newest 1 of 3 samples at or below 1000 ms"),
    ((100, 200, 1000), 3, 1, False, True, "latest 1000 ms"),  # at the threshold is healthy
    ((100, 200, 1000.5), 3, 1, False, False, "1 of the newest 1 samples above 1000 ms"),
    ((5000, 200, 300), 3, 1, False, True, "window maximum 5000 ms"),  # old spike, recovered
    ((5000, 200, 300), 3, 3, False, False, "1 of the newest 3 samples above"),
    ((100, 5000, 300, 200), 3, 2, False, True, "newest 2 of 4"),
    ((100, 5000, 300, 200), 3, 3, False, False, "above 1000 ms"),
    ((), 3, 1, False, False, "no datapoints in the window (need 3); no data is never healthy"),
    ((100,), 3, 1, False, False, "only 1 datapoint in the window (need 3)"),
    ((100, 100), 3, 1, False, False, "only 2 datapoints"),
    ((100, 100), 1, 3, False, False, "need 3"),  # consecutive_healthy also needs that many samples
    ((), 3, 1, True, True, "accepted because allow_no_data is set"),
    ((100,), 0, 0, False, True, "newest 1 of 1"),
    ((100, 2000), 1, 0, False, False, "newest 2 samples"),  # 0 = every sample in the window
])
def test_lag_verdict(values, min_dp, consecutive, allow, healthy, text):
    result, reason = gates.lag_verdict(series(*values), 1000.0, min_dp, consecutive, allow, RPO)
    assert result is healthy
    assert text in reason
    assert reason.startswith(RPO)
    assert "\n" not in reason


GC = {
    "GlobalClusterIdentifier": "gdb",
    "Status": "available",
    "GlobalClusterMembers": [
        {"DBClusterArn": "arn:aws:rds:us-east-1:1:cluster:src", "IsWriter": True},
        {"DBClusterArn": "arn:aws:rds:eu-west-1:1:cluster:tgt", "IsWriter": False},
    ],
}
TGT = "arn:aws:rds:eu-west-1:1:cluster:tgt"


@pytest.mark.parametrize(("change", "member", "expected"), [
    ({}, TGT, []),
    ({"Status": "modifying"}, TGT, ["global cluster gdb is 'modifying', not 'available'"]),
    ({"FailoverState": {"Status": "switching-over", "IsDataLossAllowed": False}}, TGT,
     ["switchover in progress on global cluster gdb (switching-over)"]),
    ({"FailoverState": {"Status": "failing-over", "IsDataLossAllowed": True}}, TGT,
     ["failover in progress on global cluster gdb (failing-over)"]),
    ({"FailoverState": {"Status": "pending"}}, TGT,
     ["switchover in progress on global cluster gdb (pending)"]),
    ({}, None, ["tgt is not a member of global cluster gdb"]),
    ({}, "arn:aws:rds:us-east-1:1:cluster:src", ["tgt is the writer of global cluster gdb, not a secondary"]),
])
def test_global_cluster_problems(change, member, expected):
    assert gates.global_cluster_problems({**GC, **change}, member, "tgt") == expected


def test_global_cluster_problems_when_missing():
    assert gates.global_cluster_problems(None, None, "tgt") == ["global cluster not found"]


@pytest.mark.parametrize(("elb", "target", "requests", "rate", "note"), [
    (0, 0, 0, 0.0, "no requests in the window"),
    (1, 0, 0, 100.0, "1 5xx responses and no counted requests"),
    (2, 3, 1000, 0.5, "5 5xx of 1000 requests"),
    (0, 0, 10, 0.0, "0 5xx of 10 requests"),
])
def test_error_rate(elb, target, requests, rate, note):
    assert gates.error_rate(elb, target, requests) == (rate, note)


@pytest.mark.parametrize(("healthy_targets", "alarms", "rate", "max_rate", "healthy", "text"), [
    (2, {}, None, None, True, "2 healthy targets (need 2)"),
    (1, {}, None, None, False, "only 1 healthy targets (need 2)"),
    # One verdict rule with preflight: INSUFFICIENT_DATA is not healthy (the old gate let it pass).
    (3, {"a": "OK", "b": "INSUFFICIENT_DATA"}, None, None, False, "INSUFFICIENT_DATA (no data is never healthy): b"),
    (3, {"a": "OK", "b": "OK"}, None, None, True, "all 2 alarms OK"),
    (3, {"a": "ALARM", "b": "OK"}, None, None, False, "in ALARM: a"),
    (3, {"a": "NOT_FOUND"}, None, None, False, "alarm not found: a"),
    (3, {"a": "NOT_FOUND", "b": "NOT_FOUND"}, None, None, False, "alarms not found: a, b"),
    (3, {}, 0.5, 1.0, True, "5xx rate 0.5 % < 1 %"),
    (3, {}, 1.0, 1.0, False, "5xx rate 1 % >= 1 %"),
    (3, {}, 0.0, 0.0, True, "5xx rate 0 % < 0 %"),
    (0, {"a": "ALARM"}, 5.0, 1.0, False, "only 0 healthy targets (need 2); in ALARM: a; 5xx rate 5 % >= 1 %"),
])
def test_traffic_verdict(healthy_targets, alarms, rate, max_rate, healthy, text):
    result, reason = gates.traffic_verdict(healthy_targets, 2, alarms, rate, max_rate, "note")
    assert result is healthy
    assert text in reason


def test_samples_from_datapoints_orders_and_converts():
    t0 = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    points = [{"Timestamp": t0 + timedelta(minutes=1), "Maximum": 2}, {"Timestamp": t0, "Maximum": 1.5},
              {"Timestamp": t0 + timedelta(minutes=2), "Sum": 9}]
    assert gates.samples_from_datapoints(points) == [
        {"timestamp": "2026-11-27T12:00:00+00:00", "value": 1.5},
        {"timestamp": "2026-11-27T12:01:00+00:00", "value": 2.0},
    ]


@pytest.mark.parametrize(
    ("now", "start", "end"),
    [
        # a datapoint written earlier within the current second must be inside the window
        (datetime(2026, 1, 1, 12, 0, 0, 500000), datetime(2026, 1, 1, 11, 59, 1), datetime(2026, 1, 1, 12, 0, 1)),
        (datetime(2026, 1, 1, 12, 0, 0), datetime(2026, 1, 1, 11, 59, 0), datetime(2026, 1, 1, 12, 0, 0)),
    ],
)
def test_metric_window_rounds_the_exclusive_end_up_to_a_whole_second(now, start, end):
    assert gates.metric_window(now, 60) == (start, end)
