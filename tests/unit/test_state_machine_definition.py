"""The orchestration role's Step Functions definition, rendered from the phase table (issue 11).

Checked as a graph: every state reachable, every Task caught, every path ending in Succeed or in a Fail that
comes after the rollback (or before anything changed), the phases equal to the phase table.
"""

from __future__ import annotations

import pytest

from tests.conftest import phase_table
from tests.state_machine_render import render

SOURCE_ARN = "arn:aws:rds:us-east-1:123456789012:cluster:aurora-use1"
TARGET_ARN = "arn:aws:rds:eu-west-1:123456789012:cluster:aurora-euw1"
# Fail states that end an execution before it changed anything (bad input, lock held by another run) or after
# it reached its target (lock release failed): nothing to roll back.
FAILS_WITHOUT_ROLLBACK = {"InvalidInput", "LockHeld", "LockNotReleased"}


@pytest.fixture(scope="module")
def definition() -> dict:
    return render(
        orchestration_hosted_zone_id="Z0123456789", orchestration_record_name="api.example.com",
        orchestration_record_types=["A", "AAAA"],
        orchestration_source_alias_dns_name="alb-use1.elb.amazonaws.com", orchestration_source_alias_zone_id="Z35S",
        orchestration_target_alias_dns_name="alb-euw1.elb.amazonaws.com", orchestration_target_alias_zone_id="Z32O",
        orchestration_alarm_names=["alarm-a", "alarm-b"], orchestration_global_cluster_identifier="gdb-payments",
        __orchestration_source_cluster_arn=SOURCE_ARN, __orchestration_target_cluster_arn=TARGET_ARN)


def successors(state: dict) -> set[str]:
    nxt = set()
    if "Next" in state:
        nxt.add(state["Next"])
    if "Default" in state:
        nxt.add(state["Default"])
    nxt.update(choice["Next"] for choice in state.get("Choices", []))
    nxt.update(catch["Next"] for catch in state.get("Catch", []))
    return nxt


def reachable(states: dict, start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(successors(states[name]))
    return seen


def test_every_target_exists_and_every_state_is_reachable(definition):
    states = definition["States"]
    for name, state in states.items():
        assert successors(state) <= set(states), name
    assert reachable(states, definition["StartAt"]) == set(states)


def test_every_task_has_a_catch_for_every_error(definition):
    for name, state in definition["States"].items():
        if state["Type"] == "Task":
            assert state.get("Catch"), f"{name} has no Catch"
            assert any("States.ALL" in c["ErrorEquals"] for c in state["Catch"]), name


def test_every_path_ends_in_succeed_or_in_fail_after_the_rollback(definition):
    states = definition["States"]
    terminal = {n for n, s in states.items() if s["Type"] in ("Succeed", "Fail")}
    # no dead end: a state without a successor is terminal
    for name, state in states.items():
        assert successors(state) or name in terminal, name
        assert not state.get("End"), f"{name} ends without Succeed or Fail"
    # every state can still reach a terminal state (no loop without a way out)
    for name in states:
        assert reachable(states, name) & terminal, name
    # a Fail reachable from the main flow only through Rollback, except the ones that change nothing
    before_rollback = reachable({**states, "Rollback": {"Type": "Pass"}}, definition["StartAt"])
    fails = {n for n in terminal if states[n]["Type"] == "Fail"}
    assert fails & before_rollback == FAILS_WITHOUT_ROLLBACK
    assert {"RolledBack", "RollbackFailed"} <= reachable(states, "Rollback")
    # the rollback never shifts forward or switches over again
    assert not {n for n in reachable(states, "Rollback") if n.startswith(("Shift", "Switchover"))}
    succeeds = [n for n in terminal if states[n]["Type"] == "Succeed"]
    assert succeeds == ["Migrated"]


def test_the_phases_are_the_phase_table(definition):
    states = definition["States"]
    table = phase_table()
    located = [s for s in states if s.startswith("AtPhase")]
    assert located == [f"AtPhase{p['phase']}" for p in table]
    for phase in table:
        n, percent = phase["phase"], phase["target_percent"]
        assert states[f"AtPhase{n}"]["Result"] == {"phase": n, "source": 100 - percent, "target": percent}
        if n == 0:
            continue
        changes = states[f"Shift{n}"]["Parameters"]["ChangeBatch"]["Changes"]
        # one request carries every weighted record: both types, both regions
        carried = sorted((c["ResourceRecordSet"]["Type"], c["ResourceRecordSet"]["SetIdentifier"],
                          c["ResourceRecordSet"]["Weight"]) for c in changes)
        expected = [(t, region, weight) for t in ("A", "AAAA")
                    for region, weight in (("eu-west-1", percent), ("us-east-1", 100 - percent))]
        assert carried == sorted(expected)
    shifts = [s for s in states if s.startswith("Shift") and s[5:].isdigit()]
    assert shifts == [f"Shift{p['phase']}" for p in table if p["phase"] > 0]
    # the writer moves once, after the bake of the phase whose writer is the target, before that phase is good
    writer_phases = [p["phase"] for p in table if p["writer"] == "target"]
    assert len(writer_phases) == 1
    done = states[f"Bake{writer_phases[0]}Done"]["Choices"][0]["Next"]
    assert done == "SwitchoverLagMark"
    assert states["SwitchoverMoved"]["Choices"][0]["Next"] == f"Good{writer_phases[0]}"


def test_the_switchover_is_requested_in_the_primary_region_with_the_target_arn(definition):
    states = definition["States"]
    assert states["Switchover"]["Resource"] == "arn:aws:states:us-east-1::aws-sdk:rds:switchoverGlobalCluster"
    assert states["Switchover"]["Parameters"]["TargetDbClusterIdentifier"] == TARGET_ARN
    # the switchback: requested in eu-west-1, the primary's region by then (the state machine's own)
    assert states["Switchback"]["Resource"] == "arn:aws:states:::aws-sdk:rds:switchoverGlobalCluster"
    assert states["Switchback"]["Parameters"]["TargetDbClusterIdentifier"] == SOURCE_ARN
    # gated on lag first
    assert "SwitchoverLagVerdict" in reachable(states, "SwitchoverLagMark")
    assert states["RollbackWriterMoved"]["Choices"][0]["Next"] == "SwitchbackLagMark"


def test_lock_is_taken_atomically_in_the_migration_lock_format(definition):
    states = definition["States"]
    take = states["TakeLock"]
    assert take["Resource"].endswith("ssm:putParameter")
    assert take["Parameters"]["Overwrite"] is False
    assert set(states["LockValue"]["Parameters"]) == {"owner.$", "run_id.$", "acquired.$", "expires.$", "purpose.$"}
    assert take["Catch"][0]["Next"] == "LockHeld"
