# Copyright: Contributors to the payments.region_migration project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The one polling loop of this collection: once, wait-until, hold-for (the bake).

Private to this collection. Every module that waits (gates, the switchover, Route 53 INSYNC, ACM
issuance) goes through :func:`poll`, so that time is measured one way: with a monotonic clock, and
never sleeping past a deadline. ``sleep`` and ``clock`` are parameters so the rules can be unit
tested without waiting.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

ONCE = "once"
WAIT = "wait"
HOLD = "hold"
MODES = (ONCE, WAIT, HOLD)

# How a poll ended.
PASSED = "passed"  # once/wait: a healthy evaluation; hold: healthy for the whole hold
FAILED = "failed"  # once: an unhealthy evaluation; hold: the first unhealthy evaluation
TIMED_OUT = "timed_out"  # wait: still unhealthy at the timeout


def poll(evaluate: Callable[[], Any], healthy: Callable[[Any], bool], mode: str, interval: float,
         timeout: float = 0.0, hold_seconds: float = 0.0,
         on_sample: Callable[[Any, float, float | None], None] | None = None,
         sleep: Callable[[float], None] = time.sleep,
         clock: Callable[[], float] = time.monotonic) -> dict[str, Any]:
    """Evaluate ``evaluate()`` according to ``mode`` and say how it ended.

    - ``once``: one evaluation.
    Evaluations start every ``interval`` seconds (an evaluation's own duration is not added).

    - ``wait``: evaluate every ``interval`` seconds until ``healthy(value)`` or ``timeout`` seconds
      have passed; the last evaluation is made at the timeout at the latest.
    - ``hold``: evaluate every ``interval`` seconds for ``hold_seconds``, stopping at the first
      unhealthy value. The last evaluation is made when the hold time is up, so a hold of N s
      lasts N s plus one evaluation, never a sleep beyond the deadline.

    ``on_sample(value, elapsed, remaining)`` is called after each evaluation (``remaining`` is
    None in once mode). Returns ``{value, outcome, attempts, elapsed, values}`` where ``values``
    lists every evaluation with its elapsed time: ``[(elapsed, value), ...]``.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
    started = clock()
    limit = {ONCE: 0.0, WAIT: max(0.0, timeout), HOLD: max(0.0, hold_seconds)}[mode]
    deadline = started + limit
    values: list[tuple[float, Any]] = []
    while True:
        began = clock()
        value = evaluate()
        now = clock()
        elapsed = now - started
        values.append((elapsed, value))
        ok = bool(healthy(value))
        if on_sample is not None:
            on_sample(value, elapsed, None if mode == ONCE else max(0.0, deadline - now))
        if mode == ONCE:
            outcome = PASSED if ok else FAILED
            break
        if mode == WAIT and ok:
            outcome = PASSED
            break
        if mode == HOLD and not ok:
            outcome = FAILED
            break
        if now >= deadline:
            outcome = PASSED if mode == HOLD else TIMED_OUT
            break
        # Evaluations start ``interval`` apart (the time an evaluation takes is part of the
        # interval, not added to it), and no sleep goes past the deadline.
        sleep(max(0.0, min(began + interval, deadline) - now))
    return {"value": value, "outcome": outcome, "attempts": len(values), "elapsed": clock() - started,
            "values": values}


def wait_for(read: Callable[[], Any], done: Callable[[Any], bool], timeout: float, interval: float,
             sleep: Callable[[float], None] = time.sleep,
             clock: Callable[[], float] = time.monotonic) -> tuple[bool, Any]:
    """Read until ``done(read())`` or the timeout; returns (finished, last value read)."""
    result = poll(read, done, WAIT, interval, timeout=timeout, sleep=sleep, clock=clock)
    return result["outcome"] == PASSED, result["value"]
