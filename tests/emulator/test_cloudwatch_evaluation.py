"""Pure rules of the emulator's alarm evaluation (emulator/alarms.py), in-process."""

from __future__ import annotations

from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest

from emulator import alarms, published_metrics

X, K, M = 5000.0, 100.0, None  # a breaching value, a healthy one, a missing period


@pytest.mark.parametrize(("values", "to_alarm", "treat", "current", "expected"), [
    ([X, X], 2, "missing", "OK", "ALARM"),
    ([K, X], 2, "missing", "OK", "OK"),  # 1 of 2 breaching, 2 needed
    ([K, X], 1, "missing", "OK", "ALARM"),  # M of N: 1 of 2 is enough
    ([M, M], 2, "missing", "OK", "INSUFFICIENT_DATA"),
    ([M, M], 2, None, "OK", "INSUFFICIENT_DATA"),  # no TreatMissingData = missing
    ([M, M], 2, "ignore", "ALARM", "ALARM"),  # kept
    ([M, M], 2, "ignore", "OK", "OK"),
    ([M, M], 2, "breaching", "OK", "ALARM"),
    ([M, M], 2, "notBreaching", "ALARM", "OK"),
    ([M, X], 2, "breaching", "OK", "ALARM"),
    ([M, X], 2, "notBreaching", "OK", "OK"),
    ([M, X], 1, "missing", "OK", "ALARM"),  # missing periods are skipped
    ([M, K], 1, "missing", "ALARM", "OK"),
])
def test_decide(values, to_alarm, treat, current, expected):
    state, reason = alarms.decide(values, "GreaterThanThreshold", 1000.0, to_alarm, treat, current)
    assert state == expected
    if expected == "INSUFFICIENT_DATA":
        assert reason.startswith("Insufficient Data")


@pytest.mark.parametrize(("operator", "value", "breaching"), [
    ("GreaterThanThreshold", 2.0, False), ("GreaterThanOrEqualToThreshold", 2.0, True),
    ("LessThanThreshold", 2.0, False), ("LessThanOrEqualToThreshold", 2.0, True),
    ("LessThanThreshold", 1.0, True), ("GreaterThanThreshold", 3.0, True),
])
def test_comparison_operators(operator, value, breaching):
    assert alarms.decide([value], operator, 2.0, 1, "missing", "OK")[0] == ("ALARM" if breaching else "OK")


def _points(*values):
    return [SimpleNamespace(value=v) for v in values]


@pytest.mark.parametrize(("statistic", "extended", "expected"), [
    ("Maximum", None, 40.0), ("Minimum", None, 10.0), ("Sum", None, 100.0), ("Average", None, 25.0),
    ("SampleCount", None, 4.0), (None, "p50", 20.0), (None, "p99", 40.0),
])
def test_statistics(statistic, extended, expected):
    assert alarms.statistic_of(_points(10.0, 20.0, 30.0, 40.0), statistic, extended) == expected
    assert alarms.statistic_of([], statistic, extended) is None


def test_statistic_sets_count_by_their_average():
    aggregated = SimpleNamespace(sum=30.0, sample_count=3.0, min=5.0, max=15.0)
    assert alarms.statistic_of([aggregated], "SampleCount") == 3.0
    assert alarms.statistic_of([aggregated], "Sum") == 30.0


def test_due_once_per_period_capped_at_a_minute():
    created = datetime(2026, 1, 1, 12, 0, 0)
    alarm = SimpleNamespace(period=60, configuration_updated_timestamp=created, state_updated_timestamp=created)
    assert alarms.due(alarm, created + timedelta(seconds=1))  # a new alarm: next round
    alarm.state_updated_timestamp = created + timedelta(seconds=2)  # SetAlarmState right after creation
    assert not alarms.due(alarm, created + timedelta(seconds=30))
    assert alarms.due(alarm, created + timedelta(seconds=62))
    alarm._emulator_evaluated_at = created + timedelta(seconds=62)
    assert not alarms.due(alarm, created + timedelta(seconds=100))
    alarm.period = 10  # high resolution: once a period
    assert alarms.due(alarm, created + timedelta(seconds=73))
    alarm.period, alarm._emulator_evaluated_at = 300, created + timedelta(seconds=200)
    assert alarms.due(alarm, created + timedelta(seconds=261))  # a 5-minute alarm is still evaluated each minute


def test_published_dimension_sets():
    assert published_metrics.lag_dimension_sets("aurora-euw1", "us-east-1") == [
        [{"Name": "DBClusterIdentifier", "Value": "aurora-euw1"}],
        [{"Name": "DBClusterIdentifier", "Value": "aurora-euw1"}, {"Name": "SourceRegion", "Value": "us-east-1"}],
    ]
    tg = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/tg-a/0123"
    lb = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/alb-a/4567"
    assert published_metrics.host_count_dimensions(tg, lb) == [
        {"Name": "TargetGroup", "Value": "targetgroup/tg-a/0123"}, {"Name": "LoadBalancer", "Value": "app/alb-a/4567"}]
    assert published_metrics.alb_dimensions(lb) == [{"Name": "LoadBalancer", "Value": "app/alb-a/4567"}]
