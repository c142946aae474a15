"""The payment data plane (emulator/workload.py, appmodel.py, replication.py) against the running emulator.

A two-region stack is built with boto3 (_payment_stack.py); payments flow through Route 53 weights,
ALBs, instances' user data and the Aurora global database; the reconciliation report is checked.
Small rates and short windows (runtime config) keep every test within a few seconds; each waits for what the
workload did (its live report), not for a time.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import _payment_stack as ps
import pytest

from tests.conftest import next_whole_second, published, wait_until

FAST = {"workload_tick_seconds": 0.05, "retry_base_seconds": 0.02, "retry_max_seconds": 0.1,
        "payment_deadline_seconds": 5}
BASELINE_MAX_MS = 300  # the emulator's default lag_max_ms


@pytest.fixture
def fast(control):
    status, settings = control("POST", "/_emulator/config", FAST)
    assert status == 200, settings
    return settings


def _live(control) -> dict:
    """The workload's report while it runs."""
    status, report = control("GET", "/_emulator/workload/report")
    assert status == 200, report
    return report


def _until(control, condition, what: str) -> dict:
    """Wait until the running workload's report satisfies condition(report); that report."""
    seen = {}

    def holds() -> bool:
        seen["report"] = _live(control)
        return condition(seen["report"])

    wait_until(holds, what)
    return seen["report"]


def _has_phase(label: str):
    return lambda report: label in [p["phase"] for p in report["phases"]]


def run(control, until: tuple, during=None, after: tuple | None = None, **start) -> dict:
    """Start the workload; wait until its live report satisfies until = (condition, what awaited); with during:
    call it, then wait for after = (condition, what) too; stop (the payments in flight drain); the final report.

    Tests wait for what the workload did, never for a time: a loaded machine ticks it less often."""
    status, body = control("POST", "/_emulator/workload/start", {"rate": 100, **start})
    assert status == 200, body
    _until(control, *until)
    if during is not None:
        during()
        _until(control, *after)
    status, report = control("POST", "/_emulator/workload/stop", {"drain_seconds": 10})
    assert status == 200, report
    assert report["running"] is False
    return report


def _wait_available(aws) -> dict:
    rds, found = aws("rds", "us-east-1"), {}

    def available() -> bool:
        found["cluster"] = rds.describe_global_clusters(GlobalClusterIdentifier="gdb-pay")["GlobalClusters"][0]
        return found["cluster"]["Status"] == "available"

    wait_until(available, "the global cluster available again")
    return found["cluster"]


def _alb_sum(aws, region, lb_dimension, metric):
    now = datetime.now(UTC)
    points = aws("cloudwatch", region).get_metric_statistics(
        Namespace="AWS/ApplicationELB", MetricName=metric,
        Dimensions=[{"Name": "LoadBalancer", "Value": lb_dimension}],
        StartTime=now - timedelta(minutes=5), EndTime=now + timedelta(minutes=1), Period=600, Statistics=["Sum"])[
        "Datapoints"]
    return sum(p["Sum"] for p in points)


def _published_alb_sums(aws, control, region, lb_dimension, expected: dict[str, int]) -> dict[str, float]:
    """Publish until each ALB metric's sum has reached its expected count; the sums. The server's publisher thread
    may have taken some counts and not written them yet when the test publishes the rest."""

    def sums() -> dict[str, float] | None:
        found = {metric: _alb_sum(aws, region, lb_dimension, metric) for metric in expected}
        return found if all(found[metric] >= count for metric, count in expected.items()) else None

    return published(control, sums, f"the ALB counts of {lb_dimension} in CloudWatch")


def _lag_points(aws, region, cluster, since):
    points = aws("cloudwatch", region).get_metric_statistics(
        Namespace="AWS/RDS", MetricName="AuroraGlobalDBReplicationLag",
        Dimensions=[{"Name": "DBClusterIdentifier", "Value": cluster}],
        StartTime=since, EndTime=datetime.now(UTC) + timedelta(minutes=1), Period=600,
        Statistics=["Maximum", "Minimum", "SampleCount"])["Datapoints"]
    return points[0] if points else None


def _published_lag(aws, control, start: datetime) -> dict:
    """Publish until eu-west-1 has a lag datapoint of aurora-euw1 stamped from start on; their statistics."""
    return published(control, lambda: _lag_points(aws, "eu-west-1", "aurora-euw1", start),
                     f"a lag datapoint stamped from {start}")


def test_payments_commit_through_the_global_writer_endpoint_from_both_regions(aws, control, fast):
    stack = ps.build(aws, weights={"us-east-1": 50, "eu-west-1": 50})
    report = run(control, (lambda r: r["totals"]["attempted"] >= 100, "100 payments attempted"))
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
    assert _published_alb_sums(aws, control, "us-east-1", east, {"RequestCount": requests[east]}) == {
        "RequestCount": requests[east]}
    assert _published_alb_sums(aws, control, "eu-west-1", west, {
        "RequestCount": requests[west], "HTTPCode_Target_5XX_Count": 0}) == {
        "RequestCount": requests[west], "HTTPCode_Target_5XX_Count": 0}


def test_read_only_secondary_refuses_without_forwarding_and_forwards_when_enabled(aws, control, fast):
    ps.build(aws, writer_endpoints={"eu-west-1": "local"}, weights={"us-east-1": 0, "eu-west-1": 100})
    control("POST", "/_emulator/config", {"payment_deadline_seconds": 0.3})
    refused = run(control, (lambda r: r["totals"]["failed"] > 0, "a payment failed for good"))
    totals = refused["totals"]
    assert totals["committed"] == 0 and totals["failed"] > 0 and totals["lost"] == 0
    assert any("ERROR 1290" in reason and "global write forwarding is off" in reason
               for reason in refused["failure_reasons"])
    aws("rds", "eu-west-1").modify_db_cluster(DBClusterIdentifier="aurora-euw1", EnableGlobalWriteForwarding=True,
                                              ApplyImmediately=True)
    control("POST", "/_emulator/workload/reset")
    forwarded = run(control, (lambda r: r["totals"]["committed"] > 0, "a forwarded payment committed"))
    assert forwarded["totals"]["committed"] == forwarded["totals"]["attempted"] > 0
    assert forwarded["ok"] is True


def test_no_write_path_and_no_peering_are_failed_payments(aws, control, fast):
    # us-east-1's app has no DB_WRITER_ENDPOINT; eu-west-1's has the global writer endpoint, but the
    # writer is in us-east-1 and no VPC peering connects the regions
    ps.build(aws, writer_endpoints={"us-east-1": "none"}, weights={"us-east-1": 50, "eu-west-1": 50}, peering=False)
    control("POST", "/_emulator/config", {"payment_deadline_seconds": 0.2})
    no_endpoint = "us-east-1: HTTP 500, no DB_WRITER_ENDPOINT in the instance's user data"
    no_peering = "eu-west-1: HTTP 500, no active VPC peering"

    def both_refused(report) -> bool:
        reasons = " | ".join(report["failure_reasons"])
        return no_endpoint in reasons and no_peering in reasons

    report = run(control, (both_refused, "payments refused in both regions"))
    assert report["totals"]["committed"] == 0 and report["totals"]["failed"] > 0
    assert both_refused(report)


def test_switchover_loses_nothing_and_blocks_writes_only_for_the_window(aws, control, fast):
    stack = ps.build(aws, weights={"us-east-1": 50, "eu-west-1": 50})
    # writes are refused for the last second of a 4 s switchover: a late tick on a loaded machine (the slack
    # below) cannot make the window look like the whole switchover
    block, seconds = 1.0, 4.0
    control("POST", "/_emulator/config", {"switchover_seconds": seconds})

    def switchover():
        aws("rds", "us-east-1").switchover_global_cluster(GlobalClusterIdentifier="gdb-pay",
                                                          TargetDbClusterIdentifier=stack["secondary"]["DBClusterArn"])

    report = run(control, (lambda r: r["totals"]["committed"] > 0, "payments committed before the switchover"),
                 during=switchover, after=(_has_phase("50 % to eu-west-1, writer eu-west-1"),
                                           "payments after the switchover"),
                 switchover_write_block_seconds=block)
    writer = [m for m in _wait_available(aws)["GlobalClusterMembers"] if m["IsWriter"]]
    assert writer[0]["DBClusterArn"] == stack["secondary"]["DBClusterArn"]
    totals = report["totals"]
    assert (totals["lost"], totals["duplicates"], totals["failed"], totals["in_flight"]) == (0, 0, 0, 0)
    assert totals["committed"] == totals["attempted"]
    assert totals["retried_then_committed"] > 0  # writes were refused during the window...
    assert any("switching-over of gdb-pay in progress" in reason for reason in report["failure_reasons"])
    # ...and only during the window (plus one retry interval, and late ticks on a loaded machine), not the whole
    # switchover
    assert block * 0.5 <= totals["max_unavailable_seconds"] <= block + FAST["retry_max_seconds"] + 1.5 < seconds
    assert [p["phase"] for p in report["phases"]] == ["50 % to eu-west-1, writer us-east-1",
                                                      "50 % to eu-west-1, writer eu-west-1"]


def test_failover_with_data_loss_loses_unreplicated_payments_and_names_them(aws, control, fast, add_fault):
    stack = ps.build(aws, weights={"us-east-1": 100, "eu-west-1": 0})
    control("POST", "/_emulator/config", {"switchover_seconds": 0.3})
    # a backlog the failover will drop: every commit of the last 10 s (also when the failover comes late)
    add_fault("replication_lag", value_ms=10000, cluster="aurora-euw1")

    def failover():
        aws("rds", "eu-west-1").failover_global_cluster(GlobalClusterIdentifier="gdb-pay",
                                                        TargetDbClusterIdentifier=stack["secondary"]["DBClusterArn"],
                                                        AllowDataLoss=True)

    report = run(control, (lambda r: r["totals"]["committed"] > 0, "payments committed before the failover"),
                 during=failover, after=(_has_phase("0 % to eu-west-1, writer eu-west-1"),
                                         "payments after the failover"),
                 switchover_write_block_seconds=0.1)
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
    report = run(control, (lambda r: r["totals"]["failed"] > 0, "a payment failed for good"))
    totals = report["totals"]
    assert totals["committed"] == 0 and totals["failed"] > 0 and totals["lost"] == 0
    assert any("write path cut" in reason for reason in report["failure_reasons"])
    west = stack["regions"]["eu-west-1"]["lb_dimension"]
    counts = report["load_balancers"][west]
    assert counts["HTTPCode_Target_5XX_Count"] == counts["RequestCount"] > 0
    expected = {name: counts[name] for name in ("HTTPCode_Target_5XX_Count", "RequestCount")}
    assert _published_alb_sums(aws, control, "eu-west-1", west, expected) == expected
    # the us-east-1 application (local region writer) is not affected by an eu-west-1 cut
    ps.set_weights(aws, stack, {"us-east-1": 100, "eu-west-1": 0})
    control("POST", "/_emulator/workload/reset")
    assert run(control, (lambda r: r["totals"]["committed"] >= 20, "20 payments committed"))["totals"]["failed"] == 0


def test_app_errors_cost_retries_not_payments(aws, control, fast, add_fault):
    stack = ps.build(aws, weights={"us-east-1": 0, "eu-west-1": 100})
    add_fault("app_errors", region="eu-west-1", rate=0.5)
    report = run(control, (lambda r: r["totals"]["retried_then_committed"] > 0, "a payment retried, then committed"))
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
    report = run(control, (lambda r: r["totals"]["failed"] > 0, "a payment failed for good"))
    assert report["totals"]["committed"] == 0
    counts = report["load_balancers"][stack["regions"]["eu-west-1"]["lb_dimension"]]
    assert counts["HTTPCode_ELB_5XX_Count"] == counts["RequestCount"] > 0


def test_unhealthy_region_is_skipped_by_route53_when_the_other_is_healthy(aws, control, fast, add_fault):
    stack = ps.build(aws, weights={"us-east-1": 50, "eu-west-1": 50})
    add_fault("unhealthy_targets", target_group_arn=stack["regions"]["eu-west-1"]["tg"])
    report = run(control, (lambda r: r["totals"]["committed"] >= 50, "50 payments committed"))
    assert report["totals"]["committed"] == report["totals"]["attempted"] > 0
    assert stack["regions"]["eu-west-1"]["lb_dimension"] not in report["load_balancers"]


def test_lag_metric_follows_the_replication_state_and_never_the_primary(aws, control, fast, add_fault):
    ps.build(aws, weights={"us-east-1": 100, "eu-west-1": 0})
    control("POST", "/_emulator/workload/start", {"rate": 100})
    try:
        # The commits made under the fault reach the secondary `lag` seconds after they were made, whenever the
        # fault is cleared; they are all made after `added`. The reads below happen within a few seconds of it on
        # an idle machine: `lag` leaves room for a loaded one, and the drain is awaited, not timed.
        lag = 10.0
        added = time.monotonic()
        fault = add_fault("replication_lag", value_ms=lag * 1000, duration=300, cluster="aurora-euw1")
        before = _live(control)["totals"]["committed"]
        _until(control, lambda r: r["totals"]["committed"] > before, "a payment committed under the lag fault")
        time.sleep(1)  # past 1 s: from now on the oldest commit the fault delayed is older than that
        assert control("DELETE", f"/_emulator/faults?id={fault['id']}") == (200, {"cleared": 1})
        backlog = _published_lag(aws, control, next_whole_second())  # only datapoints published after the clear
        assert time.monotonic() < added + lag, "too slow: the delayed commits may have arrived before this read"
        # the age of the oldest unreplicated commit: above any baseline, below the fault's value that is gone
        assert 1000 <= backlog["Minimum"] <= backlog["Maximum"] < lag * 1000, backlog

        def back_to_baseline() -> bool:
            return _published_lag(aws, control, next_whole_second())["Maximum"] <= BASELINE_MAX_MS

        wait_until(back_to_baseline, "the published lag back to the baseline once the backlog arrived")
    finally:
        control("POST", "/_emulator/workload/stop", {})
    assert _lag_points(aws, "us-east-1", "aurora-use1", datetime.now(UTC) - timedelta(minutes=5)) is None
    assert _lag_points(aws, "eu-west-1", "aurora-use1", datetime.now(UTC) - timedelta(minutes=5)) is None


def test_reconciliation_per_phase(aws, control, fast):
    stack = ps.build(aws, weights={"us-east-1": 100, "eu-west-1": 0})
    control("POST", "/_emulator/workload/start", {"rate": 100, "zone_name": ps.ZONE, "record_name": ps.RECORD})
    try:
        # each phase lasts until the workload has paid in it
        for weights, label in ((None, "0 % to eu-west-1, writer us-east-1"),
                               ({"us-east-1": 75, "eu-west-1": 25}, "25 % to eu-west-1, writer us-east-1"),
                               ({"us-east-1": 0, "eu-west-1": 100}, "100 % to eu-west-1, writer us-east-1")):
            if weights:
                ps.set_weights(aws, stack, weights)
            live = _until(control, _has_phase(label), f"payments in the phase {label}")
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
