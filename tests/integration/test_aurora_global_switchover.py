"""payments.region_migration.aurora_global_switchover against the emulator (state read back with boto3)."""

from __future__ import annotations

import time

import pytest
from ansible_collections.payments.region_migration.plugins.modules import aurora_global_switchover

from tests.conftest import emulator_call, wait_until
from tests.integration._global_db_helpers import (
    PRIMARY_REGION,
    SECONDARY_REGION,
    add_fault,
    create_cluster,
    create_global_db,
    pending_faults,
    read_global_cluster,
    set_switchover_seconds,
    writer,
)

GDB = "gdb-payments-test"


@pytest.fixture
def db(aws):
    return create_global_db(aws, GDB)


@pytest.fixture
def switch(run, module_args):
    def call(target, check_mode=False, diff=False, region=SECONDARY_REGION, **options):
        args = {**module_args, "region": region, "global_cluster_identifier": GDB,
                "target_cluster_identifier": target, "poll_interval": 1, "wait_timeout": 60, **options}
        return run(aurora_global_switchover, args, check_mode=check_mode, diff=diff)

    return call


def settled(aws):
    """The global cluster as read back, asserting that no switchover is left running."""
    gc = read_global_cluster(aws, GDB)
    assert gc["Status"] == "available" and not gc.get("FailoverState"), gc
    return gc


def test_switchover_check_mode_real_run_idempotent(aws, db, switch, emulator):
    assert writer(read_global_cluster(aws, GDB)) == db.primary_arn
    add_fault(emulator, "SwitchoverGlobalCluster", error="AccessDenied", count=1)  # trips on any write

    checked = switch(db.secondary_arn, check_mode=True, diff=True)
    assert checked["changed"] is True and checked["mode"] == "switchover"
    assert checked["writer_before"] == db.primary_arn and checked["writer_after"] == db.secondary_arn
    assert checked["diff"] == {
        "before": {"writer": db.primary_arn, "writer_region": PRIMARY_REGION},
        "after": {"writer": db.secondary_arn, "writer_region": SECONDARY_REGION},
    }
    assert writer(settled(aws)) == db.primary_arn
    assert pending_faults(emulator, "SwitchoverGlobalCluster")[0]["hits"] == 0  # no write call

    assert emulator_call(emulator, "DELETE", "/_emulator/faults")["cleared"] == 1

    moved = switch(db.secondary_arn, diff=True)
    assert moved["changed"] is True, moved
    assert moved["writer_before"] == db.primary_arn and moved["writer_after"] == db.secondary_arn
    assert moved["writer_region_before"] == PRIMARY_REGION and moved["writer_region_after"] == SECONDARY_REGION
    assert writer(settled(aws)) == db.secondary_arn
    assert moved["global_cluster"]["status"] == "available"

    add_fault(emulator, "SwitchoverGlobalCluster", error="AccessDenied", count=1)
    again = switch(db.secondary_arn)
    assert again["changed"] is False and again["writer_before"] == again["writer_after"] == db.secondary_arn
    assert switch(db.secondary_arn, check_mode=True)["changed"] is False
    assert pending_faults(emulator, "SwitchoverGlobalCluster")[0]["hits"] == 0
    assert writer(settled(aws)) == db.secondary_arn


def test_switchover_by_identifier_and_back(aws, db, switch):
    moved = switch(f"{GDB}-euw1")
    assert moved["changed"] is True and writer(settled(aws)) == db.secondary_arn
    back = switch(f"{GDB}-use1", region=PRIMARY_REGION)
    assert back["changed"] is True and back["writer_after"] == db.primary_arn
    assert writer(settled(aws)) == db.primary_arn


def test_failover_with_data_loss(aws, db, switch, emulator):
    add_fault(emulator, "SwitchoverGlobalCluster", error="AccessDenied", count=1)
    add_fault(emulator, "FailoverGlobalCluster", count=2)
    result = switch(db.secondary_arn, allow_data_loss=True)
    assert result["changed"] is True and result["mode"] == "failover", result
    assert writer(settled(aws)) == db.secondary_arn
    assert pending_faults(emulator, "FailoverGlobalCluster") == []  # throttled twice, then called
    assert pending_faults(emulator, "SwitchoverGlobalCluster")[0]["hits"] == 0  # not a switchover


def test_switchover_survives_throttling(aws, db, switch, emulator, retry_sleeps):
    add_fault(emulator, "SwitchoverGlobalCluster", count=2)
    result = switch(db.secondary_arn)
    assert result["changed"] is True, result
    assert writer(settled(aws)) == db.secondary_arn
    assert pending_faults(emulator, "SwitchoverGlobalCluster") == []
    assert retry_sleeps.backoffs == 2  # one backoff per throttled call (none of them slept)


def test_refuses_target_that_is_not_a_member(aws, db, switch):
    standalone = create_cluster(aws, SECONDARY_REGION, "aurora-standalone-euw1")
    result = switch(standalone)
    assert result["failed"] is True and "is not a member" in result["msg"] and standalone in result["msg"]
    assert writer(settled(aws)) == db.primary_arn


@pytest.mark.parametrize("target, message", [
    ("arn:aws:rds:eu-west-1:123456789012:cluster:missing", "not found"),
    ("missing", "not found"),
])
def test_refuses_unknown_target(aws, db, switch, target, message):
    result = switch(target)
    assert result["failed"] is True and message in result["msg"]
    assert writer(settled(aws)) == db.primary_arn


def test_refuses_unknown_global_cluster(aws, switch):
    target = create_cluster(aws, SECONDARY_REGION, "aurora-standalone-euw1")
    result = switch(target)
    assert result["failed"] is True and f"Global cluster {GDB} not found" in result["msg"]


def test_refuses_different_engine_versions(aws, switch):
    db = create_global_db(aws, GDB, secondary_version="8.0.mysql_aurora.3.04.0")
    for allow_data_loss in (False, True):
        result = switch(db.secondary_arn, allow_data_loss=allow_data_loss)
        assert result["failed"] is True and "engine versions differ" in result["msg"], result
        assert "8.0.mysql_aurora.3.04.0" in result["msg"]
    assert writer(settled(aws)) == db.primary_arn


def test_refuses_while_another_switchover_runs(aws, db, switch, emulator):
    third = create_cluster(aws, "us-west-2", f"{GDB}-usw2", global_cluster=GDB)
    # Long enough to outlast both refusals on a loaded machine (a 3 s switchover ended before the module
    # read it at load 10); the test does not wait for its end: the reset between tests clears it.
    set_switchover_seconds(emulator, 120)
    aws("rds", "us-west-2").switchover_global_cluster(GlobalClusterIdentifier=GDB, TargetDbClusterIdentifier=third)
    add_fault(emulator, "SwitchoverGlobalCluster", error="AccessDenied", count=1)  # trips on any request
    for options in ({"in_progress": "fail"}, {"wait": False}):
        result = switch(db.secondary_arn, **options)
        assert result["failed"] is True and result["changed"] is False
        assert "Refusing: switchover in progress on global cluster" in result["msg"]
        assert f"to {third}" in result["msg"] and "never started while one runs" in result["msg"]
    assert pending_faults(emulator, "SwitchoverGlobalCluster")[0]["hits"] == 0
    # The switchover that was running is untouched: still under way, to the third cluster.
    assert read_global_cluster(aws, GDB)["FailoverState"]["ToDbClusterArn"] == third


def test_rollback_waits_for_a_running_switchover_then_switches_back(aws, db, switch, emulator):
    """Issue 8 item 8: a switchover left running (an earlier run timed out) is waited for, never doubled."""
    # 20 s: still running when the module reads it, also on a loaded machine; the module's own switchover back
    # is short (a switchover's duration is fixed when it starts)
    set_switchover_seconds(emulator, 20)
    aws("rds", PRIMARY_REGION).switchover_global_cluster(GlobalClusterIdentifier=GDB,
                                                         TargetDbClusterIdentifier=db.secondary_arn)
    set_switchover_seconds(emulator, 1)
    result = switch(db.primary_arn, region=PRIMARY_REGION)
    assert result.get("failed") is not True, result.get("msg")
    assert result["waited_for"]["to_db_cluster_arn"] == db.secondary_arn
    assert result["changed"] is True
    assert result["writer_before"] == db.secondary_arn and result["writer_after"] == db.primary_arn
    assert writer(settled(aws)) == db.primary_arn


def test_check_mode_does_not_wait_for_a_running_switchover(aws, db, switch, emulator):
    set_switchover_seconds(emulator, 60)
    aws("rds", PRIMARY_REGION).switchover_global_cluster(GlobalClusterIdentifier=GDB,
                                                         TargetDbClusterIdentifier=db.secondary_arn)
    result = switch(db.primary_arn, check_mode=True)
    # it returned while the switchover still runs (a 60 s one): it did not wait for it
    assert read_global_cluster(aws, GDB)["FailoverState"]["ToDbClusterArn"] == db.secondary_arn
    assert result["changed"] is True and result["waited_for"]["to_db_cluster_arn"] == db.secondary_arn
    assert any("a real run waits for it" in w for w in result.get("warnings", []))


@pytest.mark.parametrize("allow_data_loss", [False, True], ids=["switchover", "failover"])
def test_request_goes_to_the_documented_region(aws, db, switch, emulator, allow_data_loss):
    """Issue 8 item 5: SwitchoverGlobalCluster goes to the current primary's region (User Guide CLI form);
    a failover with data loss to the promoted secondary's region. A request sent anywhere else trips a fault."""
    action = "FailoverGlobalCluster" if allow_data_loss else "SwitchoverGlobalCluster"
    wrong = SECONDARY_REGION if not allow_data_loss else PRIMARY_REGION
    emulator_call(emulator, "POST", "/_emulator/faults", {"kind": "api_error", "action": action, "region": wrong,
                                                          "count": 1, "error": "AccessDenied"})
    result = switch(db.secondary_arn, allow_data_loss=allow_data_loss)
    assert result.get("failed") is not True, result.get("msg")
    assert writer(settled(aws)) == db.secondary_arn
    assert pending_faults(emulator, action)[0]["hits"] == 0


def test_timeout_then_rerun_waits_without_requesting_again(aws, db, switch, emulator):
    seconds = 6
    set_switchover_seconds(emulator, seconds)
    sent = time.monotonic()
    timed_out = switch(db.secondary_arn, wait_timeout=1)
    assert timed_out["failed"] is True and "Timed out" in timed_out["msg"] and timed_out["changed"] is True
    # still running when read back, if the read was answered before the switchover could end (the module sent
    # its request after `sent`); a loaded machine may answer later
    running = read_global_cluster(aws, GDB)
    if time.monotonic() < sent + seconds:
        assert running["FailoverState"]["ToDbClusterArn"] == db.secondary_arn, running

    add_fault(emulator, "SwitchoverGlobalCluster", error="AccessDenied", count=1)
    resumed = switch(db.secondary_arn)
    assert resumed["changed"] is False and resumed["writer_after"] == db.secondary_arn, resumed
    assert writer(settled(aws)) == db.secondary_arn
    assert pending_faults(emulator, "SwitchoverGlobalCluster")[0]["hits"] == 0


def test_no_wait_returns_while_switching(aws, db, switch, emulator):
    seconds = 6
    set_switchover_seconds(emulator, seconds)
    sent = time.monotonic()
    result = switch(db.secondary_arn, wait=False)
    assert result["changed"] is True and result["writer_after"] == db.secondary_arn
    # The module returned without waiting: what it read right after its request was the running switchover, and
    # a read answered before the switchover could end (the module sent its request after `sent`) sees it running.
    # A loaded machine may answer the test's read later: then the switchover has ended, as awaited below.
    assert result["global_cluster"]["status"] == "switching-over", result["global_cluster"]
    running = read_global_cluster(aws, GDB)
    if time.monotonic() < sent + seconds:
        assert running["FailoverState"]["ToDbClusterArn"] == db.secondary_arn, running
        assert writer(running) == db.primary_arn
    wait_until(lambda: not read_global_cluster(aws, GDB).get("FailoverState"), "the switchover's end", timeout=60)
    assert writer(settled(aws)) == db.secondary_arn


@pytest.mark.parametrize("action, message", [
    ("DescribeGlobalClusters", f"Failed to describe global cluster {GDB}"),
    ("DescribeDBClusters", "Failed to describe target DB cluster"),
    ("SwitchoverGlobalCluster", "Failed to request the switchover"),
])
def test_aws_errors_fail_clearly_and_change_nothing(aws, db, switch, emulator, action, message):
    add_fault(emulator, action, error="AccessDenied", count=1)
    result = switch(db.secondary_arn)
    assert result["failed"] is True and message in result["msg"] and "AccessDenied" in result["msg"]
    assert writer(settled(aws)) == db.primary_arn


def test_aws_error_describing_a_member_fails_clearly(aws, db, switch, emulator):
    # the first DescribeDBClusters resolves the target, the second one reads a member's engine version
    emulator_call(emulator, "POST", "/_emulator/faults", {"kind": "api_error", "action": "DescribeDBClusters",
                                                          "region": PRIMARY_REGION, "count": 1,
                                                          "error": "AccessDenied"})
    result = switch(db.secondary_arn)
    assert result["failed"] is True and "Failed to describe member DB cluster" in result["msg"]
    assert writer(settled(aws)) == db.primary_arn


def test_invalid_poll_interval(aws, db, switch):
    result = switch(db.secondary_arn, poll_interval=0)
    assert result["failed"] is True and "poll_interval" in result["msg"]
    assert writer(settled(aws)) == db.primary_arn
