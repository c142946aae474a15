"""The one poller (_poll): once, wait, hold - timing rules on a fake clock."""

from __future__ import annotations

import pytest
from ansible_collections.payments.region_migration.plugins.module_utils import _poll


class FakeTime:
    """A clock that only moves when slept on, plus a fixed cost per evaluation."""

    def __init__(self, cost: float = 0.0):
        self.now = 100.0
        self.cost = cost
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        self.sleeps.append(seconds)
        self.now += seconds

    def evaluator(self, values):
        values = iter(values)

        def evaluate():
            self.now += self.cost
            return next(values)
        return evaluate


def run(mode, values, cost=0.0, **kwargs):
    fake = FakeTime(cost)
    seen = []
    result = _poll.poll(fake.evaluator(values), bool, mode, kwargs.pop("interval", 2.0), sleep=fake.sleep,
                        clock=fake.clock, on_sample=lambda v, e, r: seen.append((v, round(e, 3), r)), **kwargs)
    return result, fake, seen


def test_once_evaluates_once():
    result, fake, seen = run("once", [False, True])
    assert result["outcome"] == _poll.FAILED and result["attempts"] == 1 and fake.sleeps == []
    assert seen == [(False, 0.0, None)]


def test_wait_stops_at_the_first_healthy_value():
    result, fake, _seen = run("wait", [False, False, True, True], timeout=60)
    assert result["outcome"] == _poll.PASSED and result["attempts"] == 3
    assert fake.sleeps == [2.0, 2.0]


def test_wait_times_out_without_sleeping_past_the_deadline():
    result, fake, _seen = run("wait", [False] * 10, timeout=5, interval=2)
    assert result["outcome"] == _poll.TIMED_OUT
    assert fake.sleeps == [2.0, 2.0, 1.0]
    assert result["elapsed"] == 5.0 and result["attempts"] == 4


@pytest.mark.parametrize("cost", [0.0, 0.7])
def test_hold_lasts_n_seconds_plus_at_most_one_evaluation(cost):
    result, fake, seen = run("hold", [True] * 100, cost=cost, hold_seconds=10, interval=3)
    assert result["outcome"] == _poll.PASSED
    assert 10.0 <= result["elapsed"] <= 10.0 + cost + 1e-9
    assert seen[-1][2] == 0.0  # the last evaluation is made when the hold is up
    assert all(s <= 3 for s in fake.sleeps)
    # evaluations start 3 s apart whatever they cost: 0, 3, 6, 9, then 10 (the end of the hold)
    assert result["attempts"] == 5
    assert [round(e, 3) for e, _value in result["values"]][:4] == [round(cost + 3 * i, 3) for i in range(4)]


def test_hold_stops_at_the_first_failed_value():
    result, fake, seen = run("hold", [True, True, False, True], hold_seconds=60, interval=5)
    assert result["outcome"] == _poll.FAILED and result["attempts"] == 3
    assert result["elapsed"] == 10.0
    assert [seen_item[2] for seen_item in seen] == [60.0, 55.0, 50.0]


def test_hold_of_zero_seconds_is_one_evaluation():
    result, fake, _seen = run("hold", [True], hold_seconds=0)
    assert result["outcome"] == _poll.PASSED and result["attempts"] == 1 and fake.sleeps == []


def test_unknown_mode_is_refused():
    with pytest.raises(ValueError, match="mode must be one of"):
        _poll.poll(lambda: True, bool, "forever", 1)


def test_wait_for_returns_finished_and_last_value():
    fake = FakeTime()
    values = iter([1, 2, 3])
    assert _poll.wait_for(lambda: next(values), lambda v: v == 2, 10, 1, sleep=fake.sleep,
                          clock=fake.clock) == (True, 2)
