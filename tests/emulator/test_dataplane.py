"""The payment data plane (emulator/workload.py, appmodel.py, replication.py) against the running emulator.

A two-region stack is built with boto3 (_payment_stack.py); payments flow through Route 53 weights,
ALBs, instances' user data and the Aurora global database; the reconciliation report is checked.
Small rates and short windows (runtime config) keep every test within a few seconds.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import _payment_stack as ps
import pytest

FAST = {"workload_tick_seconds": 0.05, "retry_base_seconds": 0.02, "retry_max_seconds": 0.1,
        "payment_deadline_seconds": 5}


@pytest.fixture
def fast(control):
    status, settings = control("POST", "/_emulator/config", FAST)
    assert status == 200, settings
    return settings


def run(control, seconds: float, during=None, **start) -> dict:
    """Start the workload, optionally call during() after half the time, stop, return the report."""
    status, body = control("POST", "/_emulator/workload/start", {"rate": 100, **start})
    assert status == 200, body
    if during is None:
        time.sleep(seconds)
    else:
        time.sleep(seconds / 2)
        during()
        time.sleep(seconds / 2)
    status, report = control("POST", "/_emulator/workload/stop", {"drain_seconds": 10})
    assert status == 200, report
    assert report["running"] is False
    return report


def _wait_available(aws, timeout=10.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        cluster = aws("rds", "us-east-1").describe_global_clusters(GlobalClusterIdentifier="gdb-pay")[
            "GlobalClusters"][0]
        if cluster["Status"] == "available":
            return cluster
        time.sleep(0.1)
    raise AssertionError("the global cluster did not become available")


def _alb_sum(aws, region, lb_dimension, metric):
    now = datetime.now(UTC)
    points = aws("cloudwatch", region).get_metric_statistics(
        Namespace="AWS/ApplicationELB", MetricName=metric,
        Dimensions=[{"Name": "LoadBalancer", "Value": lb_dimension}],
        StartTime=now - timedelta(minutes=5), EndTime=now + timedelta(minutes=1), Period=600, Statistics=["Sum"])[
        "Datapoints"]
    return sum(p["Sum"] for p in points)


def _lag_points(aws, region, cluster, since):
    points = aws("cloudwatch", region).get_metric_statistics(
        Namespace="AWS/RDS", MetricName="AuroraGlobalDBReplicationLag",
        Dimensions=[{"Name": "DBClusterIdentifier", "Value": cluster}],
        StartTime=since, EndTime=datetime.now(UTC) + timedelta(minutes=1), Period=600,
        Statistics=["Maximum", "Minimum", "SampleCount"])["Datapoints"]
    return points[0] if points else None


def test_payments_commit_through_the_global_writer_endpoint_from_both_regions(aws, control, fast):
    stack = ps.build(aws, weights={"us-east-1": 50, "eu-west-1": 50})
    report = run(control, 1.5)
    totals = report["totals"]
    assert totals["attempted"] >= 100
    assert totals["committed"] == totals["attempted"]
    assert (totals["failed"], totals["lost"], totals["duplicates"], totals["in_flight"]) == (0, 0, 0, 0)
    assert report["ok"] is True
    assert (report["zone_name"], report["record_name"]) == (ps.ZONE, ps.RECORD)  # found without names
    assert [p["phase"] for p in report["phases"]] == ["50 % to eu-west-1, writer us-east-1"]
    requests = {lb: counts["RequestCount"] for lb, counts in report["load_balancers"].items()}
    east, west = (stack["regions"][r]["lb_dimension"] for r in ("us-east-1", "eu-west-1"))
    assert set(requests) == {east, west} and min(requests.values()) > 0.25 * totals["attempted"]
    # ALB RequestCount reaches CloudWatch in each ALB's region; no 5xx is published (only non-zero values)
    control("POST", "/_emulator/signals/publish")
    assert _alb_sum(aws, "us-east-1", east, "RequestCount") == requests[east]
    assert _alb_sum(aws, "eu-west-1", west, "RequestCount") == requests[west]
    assert _alb_sum(aws, "eu-west-1", west, "HTTPCode_Target_5XX_Count") == 0


def test_read_only_secondary_refuses_without_forwarding_and_forwards_when_enabled(aws, control, fast):
    ps.build(aws, writer_endpoints={"eu-west-1": "local"}, weights={"us-east-1": 0, "eu-west-1": 100})
    control("POST", "/_emulator/config", {"payment_deadline_seconds": 0.3})
    refused = run(control, 0.6)
    totals = refused["totals"]
    assert totals["committed"] == 0 and totals["failed"] > 0 and totals["lost"] == 0
    assert any("ERROR 1290" in reason and "global write forwarding is off" in reason
               for reason in refused["failure_reasons"])
    aws("rds", "eu-west-1").modify_db_cluster(DBClusterIdentifier="aurora-euw1", EnableGlobalWriteForwarding=True,
                                              ApplyImmediately=True)
    control("POST", "/_emulator/workload/reset")
    forwarded = run(control, 0.6)
    assert forwarded["totals"]["committed"] == forwarded["totals"]["attempted"] > 0
    assert forwarded["ok"] is True


def test_no_write_path_and_no_peering_are_failed_payments(aws, control, fast):
    # us-east-1's app has no DB_WRITER_ENDPOINT; eu-west-1's has the global writer endpoint, but the
    # writer is in us-east-1 and no VPC peering connects the regions
    ps.build(aws, writer_endpoints={"us-east-1": "none"}, weights={"us-east-1": 50, "eu-west-1": 50}, peering=False)
    control("POST", "/_emulator/config", {"payment_deadline_seconds": 0.2})
    report = run(control, 0.5)
    assert report["totals"]["committed"] == 0 and report["totals"]["failed"] > 0
    reasons = " | ".join(report["failure_reasons"])
    assert "us-east-1: HTTP 500, no DB_WRITER_ENDPOINT in the instance's user data" in reasons
    assert "eu-west-1: HTTP 500, no active VPC peering" in reasons


def test_switchover_loses_nothing_and_blocks_writes_only_for_the_window(aws, control, fast):
    stack = ps.build(aws, weights={"us-east-1": 50, "eu-west-1": 50})
    block = 0.5
    control("POST", "/_emulator/config", {"switchover_seconds": 1.0})

    def switchover():
        aws("rds", "us-east-1").switchover_global_cluster(GlobalClusterIdentifier="gdb-pay",
                                                          TargetDbClusterIdentifier=stack["secondary"]["DBClusterArn"])

    report = run(control, 3.0, during=switchover, switchover_write_block_seconds=block)
    writer = [m for m in _wait_available(aws)["GlobalClusterMembers"] if m["IsWriter"]]
    assert writer[0]["DBClusterArn"] == stack["secondary"]["DBClusterArn"]
    totals = report["totals"]
    assert (totals["lost"], totals["duplicates"], totals["failed"], totals["in_flight"]) == (0, 0, 0, 0)
    assert totals["committed"] == totals["attempted"]
    assert totals["retried_then_committed"] > 0  # writes were refused during the window...
    assert any("switching-over of gdb-pay in progress" in reason for reason in report["failure_reasons"])
    # ...and only during the window (plus one retry interval and one tick)
    assert block * 0.5 <= totals["max_unavailable_seconds"] <= block + FAST["retry_max_seconds"] + 0.3
    assert [p["phase"] for p in report["phases"]] == ["50 % to eu-west-1, writer us-east-1",
                                                      "50 % to eu-west-1, writer eu-west-1"]


def test_failover_with_data_loss_loses_unreplicated_payments_and_names_them(aws, control, fast, add_fault):
    stack = ps.build(aws, weights={"us-east-1": 100, "eu-west-1": 0})
    control("POST", "/_emulator/config", {"switchover_seconds": 0.3})
    add_fault("replication_lag", value_ms=2000, cluster="aurora-euw1")  # a backlog the failover will drop

    def failover():
        aws("rds", "eu-west-1").failover_global_cluster(GlobalClusterIdentifier="gdb-pay",
                                                        TargetDbClusterIdentifier=stack["secondary"]["DBClusterArn"],
                                                        AllowDataLoss=True)

    report = run(control, 2.0, during=failover, switchover_write_block_seconds=0.1)
    _wait_available(aws)
    totals = report["totals"]
    assert totals["lost"] > 0
    assert report["ok"] is False
    assert len(report["missing"]) == min(totals["lost"], 100)
    assert all(key.startswith("pay-") for key in report["missing"])
    # the lost payments were acknowledged before the failover; later ones are in the new primary
    assert report["phases"][0]["lost"] == totals["lost"]
    control("GET", "/_emulator/workload/report")


def test_write_path_cut_fails_payments_and_publishes_alb_5xx(aws, control, fast, add_fault):
    stack = ps.build(aws, weights={"us-east-1": 0, "eu-west-1": 100})
    control("POST", "/_emulator/config", {"payment_deadline_seconds": 0.3})
    add_fault("write_path_cut", region="eu-west-1")
    report = run(control, 0.8)
    totals = report["totals"]
    assert totals["committed"] == 0 and totals["failed"] > 0 and totals["lost"] == 0
    assert any("write path cut" in reason for reason in report["failure_reasons"])
    west = stack["regions"]["eu-west-1"]["lb_dimension"]
    counts = report["load_balancers"][west]
    assert counts["HTTPCode_Target_5XX_Count"] == counts["RequestCount"] > 0
    control("POST", "/_emulator/signals/publish")
    assert _alb_sum(aws, "eu-west-1", west, "HTTPCode_Target_5XX_Count") == counts["HTTPCode_Target_5XX_Count"]
    assert _alb_sum(aws, "eu-west-1", west, "RequestCount") == counts["RequestCount"]
    # the us-east-1 application (local region writer) is not affected by an eu-west-1 cut
    ps.set_weights(aws, stack, {"us-east-1": 100, "eu-west-1": 0})
    control("POST", "/_emulator/workload/reset")
    assert run(control, 0.4)["totals"]["failed"] == 0


def test_app_errors_cost_retries_not_payments(aws, control, fast, add_fault):
    stack = ps.build(aws, weights={"us-east-1": 0, "eu-west-1": 100})
    add_fault("app_errors", region="eu-west-1", rate=0.5)
    report = run(control, 1.0)
    totals = report["totals"]
    assert totals["retried_then_committed"] > 0
    assert (totals["failed"], totals["lost"]) == (0, 0)
    counts = report["load_balancers"][stack["regions"]["eu-west-1"]["lb_dimension"]]
    assert 0 < counts["HTTPCode_Target_5XX_Count"] < counts["RequestCount"]


def test_no_healthy_target_is_an_elb_503(aws, control, fast, add_fault):
    stack = ps.build(aws, weights={"us-east-1": 0, "eu-west-1": 100})
    # both regions unhealthy: Route 53 then answers with every record (EvaluateTargetHealth)
    for region in ps.REGIONS:
        add_fault("unhealthy_targets", target_group_arn=stack["regions"][region]["tg"])
    control("POST", "/_emulator/config", {"payment_deadline_seconds": 0.2})
    report = run(control, 0.5)
    assert report["totals"]["committed"] == 0
    counts = report["load_balancers"][stack["regions"]["eu-west-1"]["lb_dimension"]]
    assert counts["HTTPCode_ELB_5XX_Count"] == counts["RequestCount"] > 0


def test_unhealthy_region_is_skipped_by_route53_when_the_other_is_healthy(aws, control, fast, add_fault):
    stack = ps.build(aws, weights={"us-east-1": 50, "eu-west-1": 50})
    add_fault("unhealthy_targets", target_group_arn=stack["regions"]["eu-west-1"]["tg"])
    report = run(control, 0.5)
    assert report["totals"]["committed"] == report["totals"]["attempted"] > 0
    assert stack["regions"]["eu-west-1"]["lb_dimension"] not in report["load_balancers"]


def test_lag_metric_follows_the_replication_state_and_never_the_primary(aws, control, fast, add_fault):
    ps.build(aws, weights={"us-east-1": 100, "eu-west-1": 0})
    control("POST", "/_emulator/workload/start", {"rate": 100})
    try:
        add_fault("replication_lag", value_ms=1500, duration=0.6, cluster="aurora-euw1")
        time.sleep(0.9)  # the fault is over, the commits it delayed are not replicated yet
        since = datetime.now(UTC) - timedelta(seconds=1)
        control("POST", "/_emulator/signals/publish")
        backlog = _lag_points(aws, "eu-west-1", "aurora-euw1", since)
        assert backlog["Maximum"] >= 700  # the oldest unreplicated commit's age, above any baseline
        # The backlog arrives (about a second on an idle machine, longer on a loaded one): no timing
        # is asserted, only that the published lag comes back to the baseline.
        deadline = time.monotonic() + 30
        while True:
            time.sleep(0.5)
            since = datetime.now(UTC)
            time.sleep(0.05)
            control("POST", "/_emulator/signals/publish")
            drained = _lag_points(aws, "eu-west-1", "aurora-euw1", since)
            if (drained and drained["Maximum"] <= 300) or time.monotonic() > deadline:
                break
        assert drained["Maximum"] <= 300  # back to the baseline
    finally:
        control("POST", "/_emulator/workload/stop", {})
    assert _lag_points(aws, "us-east-1", "aurora-use1", datetime.now(UTC) - timedelta(minutes=5)) is None
    assert _lag_points(aws, "eu-west-1", "aurora-use1", datetime.now(UTC) - timedelta(minutes=5)) is None


def test_reconciliation_per_phase(aws, control, fast):
    stack = ps.build(aws, weights={"us-east-1": 100, "eu-west-1": 0})
    control("POST", "/_emulator/workload/start", {"rate": 100, "zone_name": ps.ZONE, "record_name": ps.RECORD})
    try:
        time.sleep(0.4)
        ps.set_weights(aws, stack, {"us-east-1": 75, "eu-west-1": 25})
        time.sleep(0.4)
        ps.set_weights(aws, stack, {"us-east-1": 0, "eu-west-1": 100})
        time.sleep(0.4)
        live = control("GET", "/_emulator/workload/report")[1]
        assert live["running"] is True
    finally:
        status, report = control("POST", "/_emulator/workload/stop", {})
    labels = [p["phase"] for p in report["phases"]]
    assert labels == ["0 % to eu-west-1, writer us-east-1", "25 % to eu-west-1, writer us-east-1",
                      "100 % to eu-west-1, writer us-east-1"]
    for field in ("attempted", "committed", "failed", "lost", "in_flight", "retried_then_committed"):
        assert sum(p[field] for p in report["phases"]) == report["totals"][field]
    assert all(p["attempted"] > 0 and p["lost"] == 0 for p in report["phases"])


def test_workload_api_refuses_bad_input_and_a_second_start(aws, control, fast):
    for body in ({"rate": -1}, {"rate": "fast"}, {"colour": "red"}, {"switchover_write_block_seconds": -2}):
        status, answer = control("POST", "/_emulator/workload/start", body)
        assert status == 400 and "error" in answer, body
    assert control("GET", "/_emulator/workload/report")[1]["running"] is False
    assert control("POST", "/_emulator/workload/start", {"rate": 10})[0] == 200
    try:
        status, answer = control("POST", "/_emulator/workload/start", {"rate": 10})
        assert status == 409 and "already running" in answer["error"]
    finally:
        control("POST", "/_emulator/workload/reset")
    report = control("GET", "/_emulator/workload/report")[1]
    assert report["running"] is False and report["totals"]["attempted"] == 0
    assert control("DELETE", "/_emulator/workload/start")[0] == 405


def test_moto_reset_stops_the_workload(aws, control, fast):
    ps.build(aws)
    control("POST", "/_emulator/workload/start", {"rate": 50})
    control("POST", "/moto-api/reset")
    report = control("GET", "/_emulator/workload/report")[1]
    assert report["running"] is False and report["totals"]["attempted"] == 0
