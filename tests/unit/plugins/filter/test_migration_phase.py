"""Unit tests of the phase-table filters: the decisions shift.yml and rollback.yml rely on."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.payments.region_migration.plugins.filter.migration_phase import (
    FilterModule,
    migration_locate,
    migration_phase_path,
    migration_phase_weights,
    migration_plan,
    migration_restore_point,
    migration_resume,
    migration_target_percent,
    migration_valid_phase,
)

from tests.conftest import phase_table

# The one phase table (playbooks/group_vars/all/migration_phases.yml): 0/25/50/75/100 %, writer
# in the target region in phase 4; the expectations below are written for it.
PHASES = phase_table()
SRC, TGT = "us-east-1", "eu-west-1"


@pytest.mark.parametrize(
    ("weights", "expected"),
    [
        ({SRC: 100, TGT: 0}, 0),
        ({SRC: 75, TGT: 25}, 25),
        ({SRC: 0, TGT: 100}, 100),
        ({SRC: 3, TGT: 1}, 25),
        ({SRC: 255, TGT: 0}, 0),
        ({SRC: 0, TGT: 0}, None),
        ({SRC: 100}, 0),
        ({}, None),
        (None, None),
    ],
)
def test_target_percent(weights, expected):
    assert migration_target_percent(weights, SRC, TGT) == expected


@pytest.mark.parametrize(("phase", "expected"), [(0, {SRC: 100, TGT: 0}), (2, {SRC: 50, TGT: 50}),
                                                 (4, {SRC: 0, TGT: 100})])
def test_phase_weights(phase, expected):
    assert migration_phase_weights(PHASES[phase], SRC, TGT) == expected


@pytest.mark.parametrize(
    ("percent", "writer_at_target", "phase", "exact"),
    [
        (0, False, 0, True),
        (25, False, 1, True),
        (75, False, 3, True),
        (100, True, 4, True),
        # interrupted phase 4: weights moved, writer not yet switched
        (100, False, 3, False),
        # manual weights between phases: the phase below, not exact
        (40, False, 1, False),
        # writer switched but weights partly back: phase 3 traffic, writer wrong
        (75, True, 3, False),
        # writer already in the target at 0 %: phase 0, not exact (writer must come back)
        (0, True, 0, False),
        (None, False, 0, False),
    ],
)
def test_locate(percent, writer_at_target, phase, exact):
    located = migration_locate(PHASES, percent, writer_at_target)
    assert (located["phase"], located["exact"]) == (phase, exact)
    assert located["last_phase"] == 4


@pytest.mark.parametrize(
    ("current", "exact", "requested", "skip", "direction", "path"),
    [
        (0, True, 0, False, "none", []),
        (2, True, 2, False, "none", []),
        (0, True, 1, False, "forward", [1]),
        (1, True, 3, False, "forward", [2, 3]),
        (0, True, 4, False, "forward", [1, 2, 3, 4]),
        (1, True, 3, True, "forward", [3]),
        (3, False, 4, False, "forward", [4]),
        (4, True, 0, False, "backward", [0]),
        (3, True, 1, False, "backward", [1]),
        # same phase but the live state drifted: apply it again
        (3, False, 3, False, "backward", [3]),
    ],
)
def test_phase_path(current, exact, requested, skip, direction, path):
    plan = migration_phase_path(PHASES, current, exact, requested, skip)
    assert plan["direction"] == direction
    assert plan["path"] == path
    assert (plan["from"], plan["to"]) == (current, requested)


def test_phase_path_refuses_unknown_phase():
    with pytest.raises(AnsibleFilterError, match="not in the phase table"):
        migration_phase_path(PHASES, 0, True, 5)


@pytest.mark.parametrize(
    "table",
    [
        [],
        [{"phase": 1, "target_percent": 0}],
        [{"phase": 0, "target_percent": 0}, {"phase": 1, "target_percent": 150}],
        [{"phase": 0, "target_percent": 50}, {"phase": 1, "target_percent": 25}],
        [{"phase": 0, "target_percent": 0, "writer": "eu"}],
        [{"phase": 0}],
    ],
)
def test_bad_phase_table_is_refused(table):
    with pytest.raises(AnsibleFilterError):
        migration_locate(table, 0, False)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0, 0), (4, 4), ("3", 3), ("0", 0), (5, None), ("5", None), ("abc", None), ("", None), (None, None),
     (True, None), (2.0, None), ("2.5", None), ("-1", None), (-1, None), (" 2", None), ("٣", None)],
)
def test_valid_phase(value, expected):
    assert migration_valid_phase(value) == expected


def test_filters_are_registered():
    assert set(FilterModule().filters()) == {
        "migration_target_percent", "migration_phase_weights", "migration_locate",
        "migration_phase_path", "migration_valid_phase", "migration_resume", "migration_plan",
        "migration_restore_point",
    }


# migration_plan: shift.yml's whole plan (path, forward steps, resume of an interrupted bake).
BAKE = {0: 0, 1: 30, 2: 60, 3: 90, 4: 120}
PLAN_PHASES = [{**p, "bake_seconds": BAKE[p["phase"]]} for p in PHASES]
NOW = 1_000_000.0


def _weights(phase: int) -> dict[str, int]:
    return migration_phase_weights(PLAN_PHASES[phase], SRC, TGT)


def _state(phase: int, exact: bool = True) -> dict:
    return {"phase": phase, "exact": exact, "weights": _weights(phase)}


def _bake_event(to_phase: int, *, event: str = "weight_change", direction: str = "forward",
                weights: dict | None = None, bake_seconds: int = 60, started: float = NOW - 20) -> dict:
    """A step record as step_forward.yml writes it (the run died during its bake)."""
    return {"event": event, "direction": direction, "from_phase": to_phase - 1, "to_phase": to_phase,
            "weights_after": _weights(to_phase) if weights is None else weights,
            "bake_seconds": bake_seconds, "epoch": started}


@pytest.mark.parametrize(
    ("state", "requested", "allow_skip", "last_event", "expected_steps", "resumed"),
    [
        # No audit history: every forward phase with its own bake.
        (_state(0), 3, False, {}, [(1, 0, 30), (2, 1, 60), (3, 2, 90)], False),
        (_state(0), 3, True, None, [(3, 0, 90)], False),
        # Already there, nothing interrupted: no step.
        (_state(2), 2, False, {}, [], False),
        # Interrupted bake of phase 2 (60 s, 20 s done), re-requested: resumed for its remaining 40 s.
        (_state(2), 2, False, _bake_event(2), [(2, 1, 40)], True),
        # A bake_resume record that was itself interrupted resumes the same way.
        (_state(2), 2, False, _bake_event(2, event="bake_resume"), [(2, 1, 40)], True),
        # Remaining seconds are rounded up, never below zero.
        (_state(2), 2, False, _bake_event(2, started=NOW - 20.5), [(2, 1, 40)], True),
        (_state(2), 2, False, _bake_event(2, started=NOW - 600), [(2, 1, 0)], True),
        # Resume with a later requested phase: the rest of the bake first, then the walk goes on.
        (_state(2), 4, False, _bake_event(2), [(2, 1, 40), (3, 2, 90), (4, 3, 120)], True),
        (_state(2), 4, True, _bake_event(2), [(2, 1, 40), (4, 2, 120)], True),
        # Weights changed since the interrupted bake: no resume.
        (_state(2), 3, False, _bake_event(2, weights=_weights(1)), [(3, 2, 90)], False),
        (_state(1), 1, False, _bake_event(2), [], False),
        # A backward step record is never resumed, nor is a bake beyond the requested phase.
        (_state(2), 2, False, _bake_event(2, direction="backward"), [], False),
        (_state(2), 1, False, _bake_event(2), [], False),
        # A closed step (shift or rollback record last) is not a bake to resume.
        (_state(2), 2, False, _bake_event(2, event="shift"), [], False),
        (_state(2), 2, False, _bake_event(2, event="rollback"), [], False),
    ],
)
def test_plan_steps_and_resume(state, requested, allow_skip, last_event, expected_steps, resumed):
    plan = migration_plan(PLAN_PHASES, state, requested, allow_skip, last_event, NOW)
    assert [(s["phase"], s["from"], s["bake_seconds"]) for s in plan["steps"]] == expected_steps
    assert plan["resumed"] == (last_event if resumed else {})
    path = migration_phase_path(PLAN_PHASES, state["phase"], state["exact"], requested, allow_skip)
    assert {k: plan[k] for k in ("direction", "path", "from", "to")} == path


@pytest.mark.parametrize(("percent", "requested"), [(30, 1), (60, 2), (10, 0)])
def test_plan_between_phases_goes_back_to_the_requested_phase_only(percent, requested):
    """Weights between two table rows (an interrupted or manual change), the located phase requested:
    the nearest safe phase in one direction, straight back to it, with no forward step as well."""
    weights = {SRC: 100 - percent, TGT: percent}
    state = {**migration_locate(PLAN_PHASES, percent, False), "weights": weights}
    assert (state["phase"], state["exact"]) == (requested, False)
    plan = migration_plan(PLAN_PHASES, state, requested, False, {}, NOW)
    assert (plan["direction"], plan["path"], plan["steps"]) == ("backward", [requested], [])


def test_plan_backward_has_no_steps():
    """Backward goes straight to the requested phase (step_backward.yml), never through forward steps."""
    plan = migration_plan(PLAN_PHASES, _state(3), 1, False, _bake_event(3), NOW)
    assert plan["direction"] == "backward"
    assert plan["path"] == [1]
    assert plan["steps"] == []
    assert plan["resumed"] == {}


def test_plan_bake_seconds_from_templated_strings():
    """Phase entries templated from inventory variables may carry their bake as a string."""
    phases = [{**p, "bake_seconds": str(BAKE[p["phase"]])} for p in PHASES]
    steps = migration_plan(phases, _state(0), 1, False, {}, NOW)["steps"]
    assert steps == [{"phase": 1, "from": 0, "bake_seconds": 30}]


def test_plan_rejects_unknown_phase():
    with pytest.raises(AnsibleFilterError):
        migration_plan(PLAN_PHASES, _state(0), 9, False, {}, NOW)


def test_plan_and_resume_are_filters():
    filters = FilterModule().filters()
    assert filters["migration_plan"] is migration_plan
    assert filters["migration_resume"] is migration_resume


# migration_restore_point: restore.yml's choice of the phase a failed run goes back to.
RUN = "20261130T000000Z-1"


def _step(event: str, from_phase: int, to_phase: int, run_id: str = RUN, direction: str = "forward") -> dict:
    return {"event": event, "run_id": run_id, "direction": direction, "from_phase": from_phase, "to_phase": to_phase}


@pytest.mark.parametrize(
    ("events", "rollback_to", "expected"),
    [
        # Nothing changed by this run: refused, nothing to restore.
        ([], "last_good", {"changed": False, "phase": None, "result": "refused"}),
        ([_step("weight_change", 0, 1, run_id="other")], "last_good",
         {"changed": False, "phase": None, "result": "refused"}),
        ([_step("noop", 1, 1)], "last_good", {"changed": False, "phase": None, "result": "refused"}),
        # The bake of a weight change failed: back to the phase before it.
        ([_step("weight_change", 1, 2)], "last_good", {"changed": True, "phase": 1, "result": "rolled_back"}),
        ([_step("bake_resume", 1, 2)], "last_good", {"changed": True, "phase": 1, "result": "rolled_back"}),
        # The last completed step (shift record) is the last good phase.
        ([_step("weight_change", 1, 2), _step("shift", 1, 2)], "last_good",
         {"changed": True, "phase": 2, "result": "rolled_back"}),
        ([_step("weight_change", 1, 2), _step("shift", 1, 2), _step("weight_change", 2, 3)], "last_good",
         {"changed": True, "phase": 2, "result": "rolled_back"}),
        # Backward records are not forward steps of the run.
        ([_step("weight_change", 1, 2), _step("shift", 3, 2, direction="backward")], "last_good",
         {"changed": True, "phase": 1, "result": "rolled_back"}),
        # migration_rollback_to=zero: always phase 0.
        ([_step("weight_change", 2, 3)], "zero", {"changed": True, "phase": 0, "result": "rolled_back"}),
        ([], "zero", {"changed": False, "phase": 0, "result": "refused"}),
    ],
)
def test_restore_point(events, rollback_to, expected):
    assert migration_restore_point(events, RUN, rollback_to) == expected
