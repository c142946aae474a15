"""Pure weight decisions: weights for a percentage, explicit weights, phases."""

from __future__ import annotations

import pytest
from ansible_collections.payments.region_migration.plugins.module_utils import weights as w


@pytest.mark.parametrize(("current", "percent", "expected"), [
    ({"us-east-1": 100, "eu-west-1": 0}, 25, {"us-east-1": 75, "eu-west-1": 25}),
    ({"us-east-1": 75, "eu-west-1": 25}, 50, {"us-east-1": 50, "eu-west-1": 50}),
    ({"us-east-1": 50, "eu-west-1": 50}, 100, {"us-east-1": 0, "eu-west-1": 100}),
    ({"us-east-1": 0, "eu-west-1": 100}, 0, {"us-east-1": 100, "eu-west-1": 0}),
    # Already the requested share on another scale: left as it is.
    ({"us-east-1": 255, "eu-west-1": 0}, 0, {"us-east-1": 255, "eu-west-1": 0}),
    ({"us-east-1": 3, "eu-west-1": 1}, 25, {"us-east-1": 3, "eu-west-1": 1}),
    # Three records: the rest in proportion to the current weights ...
    ({"us-east-1": 60, "eu-central-1": 20, "eu-west-1": 20}, 50,
     {"us-east-1": 37, "eu-central-1": 13, "eu-west-1": 50}),  # tie: first identifier in sort order
    # ... evenly when the others are all zero, rounding deterministic and exact.
    ({"a": 0, "b": 0, "c": 0, "t": 100}, 0, {"a": 34, "b": 33, "c": 33, "t": 0}),
    ({"a": 0, "b": 0, "t": 0}, 10, {"a": 45, "b": 45, "t": 10}),
    ({"t": 0}, 100, {"t": 100}),
])
def test_weights_for_percent(current, percent, expected):
    result = w.weights_for_percent(current, "eu-west-1" if "eu-west-1" in current else "t", percent)
    assert result == expected
    if result != current:
        assert sum(result.values()) == 100


@pytest.mark.parametrize(("current", "target", "percent", "message"), [
    ({"us-east-1": 100}, "eu-west-1", 25, "'eu-west-1' is not in the record set"),
    ({"eu-west-1": 100}, "eu-west-1", 50, "no record other than 'eu-west-1'"),
    ({"a": 1, "b": 1}, "a", 101, "percent must be an integer from 0 to 100"),
    ({"a": 1, "b": 1}, "a", -1, "percent must be an integer from 0 to 100"),
    ({"a": 1, "b": 1}, "a", True, "percent must be an integer"),
    ({"a": 1, "b": 1}, "a", "50", "percent must be an integer"),
])
def test_weights_for_percent_refusals(current, target, percent, message):
    with pytest.raises(w.WeightError, match=message):
        w.weights_for_percent(current, target, percent)


@pytest.mark.parametrize(("requested", "expected"), [
    ({"a": 10}, {"a": 10, "b": 100}),
    ({"a": 255, "b": 0}, {"a": 255, "b": 0}),
    ({}, {"a": 0, "b": 100}),
])
def test_merge_explicit_weights(requested, expected):
    assert w.merge_explicit_weights({"a": 0, "b": 100}, requested) == expected


@pytest.mark.parametrize(("requested", "message"), [
    ({"c": 1}, "'c', not in the record set"),
    ({"a": 256}, "from 0 to 255"),
    ({"a": -1}, "from 0 to 255"),
    ({"a": 1.5}, "from 0 to 255"),
    ({"a": False}, "from 0 to 255"),
])
def test_merge_explicit_weights_refusals(requested, message):
    with pytest.raises(w.WeightError, match=message):
        w.merge_explicit_weights({"a": 0, "b": 100}, requested)


@pytest.mark.parametrize(("weights", "valid"), [
    ({"a": 0, "b": 0}, False),
    ({"a": 0, "b": 1}, True),
    ({}, True),
    ({"a": 300, "b": 1}, False),
])
def test_validate_result(weights, valid):
    if valid:
        w.validate_result(weights)
    else:
        with pytest.raises(w.WeightError):
            w.validate_result(weights)


@pytest.mark.parametrize(("remainder", "current", "expected"), [
    (100, {}, {}),
    (75, {"a": 1, "b": 2}, {"a": 25, "b": 50}),
    (10, {"a": 1, "b": 1, "c": 1}, {"a": 4, "b": 3, "c": 3}),
    (0, {"a": 5, "b": 5}, {"a": 0, "b": 0}),
])
def test_split_remainder(remainder, current, expected):
    assert w.split_remainder(remainder, current) == expected


@pytest.mark.parametrize(("weights", "phase"), [
    ({"s": 100, "t": 0}, 0),
    ({"s": 75, "t": 25}, 1),
    ({"s": 150, "t": 50}, 1),
    ({"s": 1, "t": 1}, 2),
    ({"s": 25, "t": 75}, 3),
    ({"s": 0, "t": 255}, 4),
    ({"s": 60, "t": 40}, None),
    ({"s": 0, "t": 0}, None),
])
def test_phase_for_weights(weights, phase):
    assert w.phase_for_weights(weights, "t", [0, 25, 50, 75, 100]) == phase


def test_share_percent():
    assert w.share_percent({"s": 2, "t": 1}, "t") == 33.3333
    assert w.share_percent({"s": 0, "t": 0}, "t") is None
    assert w.share_percent({"s": 1}, "t") is None
