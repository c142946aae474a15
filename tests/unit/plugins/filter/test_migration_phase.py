"""Unit tests of the phase-table filters: the decisions shift.yml and rollback.yml rely on."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.payments.region_migration.plugins.filter.migration_phase import (
    FilterModule,
    migration_locate,
    migration_phase_path,
    migration_phase_weights,
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
        "migration_phase_path", "migration_valid_phase",
    }
