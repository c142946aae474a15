"""Pure decision logic of aurora_global_switchover (module_utils/_rds_global.py)."""

from __future__ import annotations

import pytest
from ansible_collections.payments.region_migration.plugins.module_utils._rds_global import (
    failover_in_progress,
    plan_switchover,
    region_from_arn,
    switchover_done,
    wait_for,
    writer_arn,
)

USE1 = "arn:aws:rds:us-east-1:123456789012:cluster:aurora-use1"
EUW1 = "arn:aws:rds:eu-west-1:123456789012:cluster:aurora-euw1"
OTHER = "arn:aws:rds:us-west-2:123456789012:cluster:aurora-usw2"
V = "8.0.mysql_aurora.3.05.2"


def gc(writer=USE1, status="available", failover=None, members=(USE1, EUW1)):
    cluster = {
        "GlobalClusterIdentifier": "gdb",
        "Status": status,
        "GlobalClusterMembers": [{"DBClusterArn": arn, "IsWriter": arn == writer} for arn in members],
    }
    if failover:
        cluster["FailoverState"] = failover
    return cluster


@pytest.mark.parametrize("cluster, target, versions, allow_data_loss, action, error", [
    # planned switchover / failover
    (gc(), EUW1, {USE1: V, EUW1: V}, False, "switchover", None),
    (gc(), EUW1, {USE1: V, EUW1: V}, True, "failover", None),
    # target matched case-insensitively
    (gc(), EUW1.upper().replace("ARN:AWS:RDS", "arn:aws:rds"), {USE1: V, EUW1: V}, False, "switchover", None),
    # already the writer: nothing to do, versions do not matter
    (gc(writer=EUW1), EUW1, {USE1: V, EUW1: "other"}, False, "none", None),
    # refusals
    (gc(), OTHER, {USE1: V, EUW1: V}, False, "none", "is not a member"),
    (gc(), EUW1, {USE1: V, EUW1: "8.0.mysql_aurora.3.04.0"}, False, "none", "engine versions differ"),
    (gc(), EUW1, {USE1: V, EUW1: "8.0.mysql_aurora.3.04.0"}, True, "none", "engine versions differ"),
    (gc(), EUW1, {USE1: V}, False, "none", "engine versions differ"),  # unknown version counts as different
    (gc(status="modifying"), EUW1, {USE1: V, EUW1: V}, False, "none", "not available"),
    # a switchover in progress
    (gc(status="switching-over", failover={"Status": "pending", "FromDbClusterArn": USE1, "ToDbClusterArn": EUW1}),
     EUW1, {USE1: V, EUW1: V}, False, "wait", None),
    (gc(status="switching-over",
        failover={"Status": "switching-over", "FromDbClusterArn": USE1, "ToDbClusterArn": OTHER},
        members=(USE1, EUW1, OTHER)),
     EUW1, {USE1: V, EUW1: V, OTHER: V}, False, "none", "already in progress"),
])
def test_plan_switchover(cluster, target, versions, allow_data_loss, action, error):
    plan = plan_switchover(cluster, target, versions, allow_data_loss)
    assert plan["action"] == action
    assert plan["mode"] == ("failover" if allow_data_loss else "switchover")
    assert plan["writer_before"] == writer_arn(cluster)
    if error:
        assert error in plan["error"]
    else:
        assert plan["error"] is None
        assert plan["target"] in (EUW1, USE1)


@pytest.mark.parametrize("cluster, target, done", [
    (gc(writer=EUW1), EUW1, True),
    (gc(writer=USE1), EUW1, False),
    (gc(writer=EUW1, status="switching-over"), EUW1, False),
    (gc(writer=EUW1, failover={"Status": "cancelling"}), EUW1, False),
    (gc(writer=EUW1, failover={}), EUW1, True),
    (None, EUW1, False),
])
def test_switchover_done(cluster, target, done):
    assert switchover_done(cluster, target) is done


@pytest.mark.parametrize("state, running", [
    (None, False), ({}, False), ({"Status": "pending"}, True), ({"Status": "failing-over"}, True),
    ({"Status": "switching-over"}, True), ({"Status": "cancelling"}, True), ({"Status": "done"}, False),
])
def test_failover_in_progress(state, running):
    assert (failover_in_progress(gc(failover=state)) is not None) is running


@pytest.mark.parametrize("arn, region", [
    (USE1, "us-east-1"), (EUW1, "eu-west-1"), ("arn:aws:rds::123456789012:global-cluster:gdb", None),
    ("aurora-euw1", None), ("", None), ("arn:aws", None),
])
def test_region_from_arn(arn, region):
    assert region_from_arn(arn) == region


def test_writer_arn_without_writer():
    assert writer_arn(gc(writer=None)) is None
    assert writer_arn(None) is None


@pytest.mark.parametrize("values, timeout, finished, polls", [
    ([False, False, True], 10, True, 3),
    ([True], 0, True, 1),
    ([False] * 10, 3, False, 4),  # polls at t=0,1,2,3 then gives up
])
def test_wait_for(values, timeout, finished, polls):
    clock = {"now": 0.0}
    calls = []

    def poll():
        calls.append(clock["now"])
        return values[len(calls) - 1]

    def sleep(seconds):
        clock["now"] += seconds

    done, last = wait_for(poll, bool, timeout, 1, sleep=sleep, clock=lambda: clock["now"])
    assert done is finished and len(calls) == polls and last == values[polls - 1]


@pytest.mark.parametrize(("writer", "allow_data_loss", "region"), [
    (USE1, False, "us-east-1"),  # switchover: the current primary's region (User Guide CLI form)
    (EUW1, False, "eu-west-1"),  # switching back: the primary is now eu-west-1
    (USE1, True, "us-west-2"),  # failover: the promoted secondary's region
    (None, False, "us-west-2"),  # no writer known: the target's region
])
def test_request_region(writer, allow_data_loss, region):
    from ansible_collections.payments.region_migration.plugins.module_utils._rds_global import request_region

    plan = plan_switchover(gc(writer=writer, members=(USE1, EUW1, OTHER)), OTHER, {}, allow_data_loss)
    assert request_region(plan) == region


def test_plan_reports_the_running_operation_to_another_target():
    running = {"Status": "switching-over", "FromDbClusterArn": USE1, "ToDbClusterArn": OTHER}
    plan = plan_switchover(gc(failover=running, members=(USE1, EUW1, OTHER)), EUW1, {}, False)
    assert plan["running"] == running and plan["error"]
