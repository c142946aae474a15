"""migration_gate against the emulator: once / wait / hold, lag, traffic (5xx percent), writer, write path.

Set-up is made with boto3 (a global database, an ALB with targets, alarms, an ASG with a launch
template, a VPC peering); CloudWatch series are written with put_metric_data. The gate only reads:
the tests check that what they built reads back unchanged, in check mode too.
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from ansible_collections.payments.region_migration.plugins.module_utils import _gate_traffic
from ansible_collections.payments.region_migration.plugins.modules import migration_gate as module

from tests.conftest import emulator_call, wait_until

ENGINE_VERSION = "8.0.mysql_aurora.3.05.2"
REGION = "eu-west-1"
# the emulator's simulated lag (its EMULATOR_LAG_MIN_MS / EMULATOR_LAG_MAX_MS); the tests' own points are 150 ms
BASELINE_LAG_MS = (float(os.environ.get("EMULATOR_LAG_MIN_MS", "100")),
                   float(os.environ.get("EMULATOR_LAG_MAX_MS", "300")))
_names = itertools.count(1)


@dataclass
class World:
    gdb: str
    primary_arn: str
    secondary_id: str
    secondary_arn: str
    lb_arn: str
    lb_dimension: str
    tg_arn: str
    alarms: list[str]
    vpc: str


def build(aws) -> World:
    n = next(_names)
    gdb, primary, secondary = f"gdb-gate-{n}", f"aurora-gate-use1-{n}", f"aurora-gate-euw1-{n}"
    primary_arn = aws("rds", "us-east-1").create_db_cluster(
        DBClusterIdentifier=primary, Engine="aurora-mysql", EngineVersion=ENGINE_VERSION,
        MasterUsername="admin", MasterUserPassword="not-a-real-password-1")["DBCluster"]["DBClusterArn"]
    aws("rds", "us-east-1").create_global_cluster(GlobalClusterIdentifier=gdb, SourceDBClusterIdentifier=primary_arn)
    secondary_arn = aws("rds", REGION).create_db_cluster(
        DBClusterIdentifier=secondary, Engine="aurora-mysql", EngineVersion=ENGINE_VERSION,
        GlobalClusterIdentifier=gdb)["DBCluster"]["DBClusterArn"]
    ec2, elbv2, cloudwatch = aws("ec2", REGION), aws("elbv2", REGION), aws("cloudwatch", REGION)
    vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.1.{i}.0/24", AvailabilityZone=f"{REGION}{az}")["Subnet"]
               ["SubnetId"] for i, az in enumerate("ab")]
    lb = elbv2.create_load_balancer(Name=f"alb-gate-{n}", Subnets=subnets, Type="application",
                                    Scheme="internet-facing")["LoadBalancers"][0]["LoadBalancerArn"]
    tg = elbv2.create_target_group(Name=f"tg-gate-{n}", Protocol="HTTPS", Port=443, VpcId=vpc, TargetType="ip",
                                   HealthCheckPath="/health")["TargetGroups"][0]["TargetGroupArn"]
    elbv2.register_targets(TargetGroupArn=tg, Targets=[{"Id": f"10.1.0.{10 + i}", "Port": 443} for i in range(2)])
    alarms = [f"alarm-gate-{n}"]
    # The emulator evaluates alarms from the published data (like CloudWatch): missing data is not
    # breaching for this alarm, so it stays OK until a test sets another state.
    cloudwatch.put_metric_alarm(AlarmName=alarms[0], Namespace="AWS/ApplicationELB", MetricName="RequestCount",
                                Statistic="Sum", Period=60, EvaluationPeriods=1, Threshold=1e9,
                                ComparisonOperator="GreaterThanThreshold", TreatMissingData="notBreaching")
    cloudwatch.set_alarm_state(AlarmName=alarms[0], StateValue="OK", StateReason="test set-up")
    world = World(gdb, primary_arn, secondary, secondary_arn, lb, _gate_traffic.load_balancer_dimension(lb), tg,
                  alarms, vpc)
    put_lag(aws, world, [(ago, 150.0) for ago in (55, 45, 35, 25, 15, 5)])
    return world


@pytest.fixture
def world(aws) -> World:
    return build(aws)


def put_lag(aws, world: World, points) -> None:
    now = datetime.now(UTC)
    data = []
    for ago, value in points:
        for dims in ([{"Name": "DBClusterIdentifier", "Value": world.secondary_id}],
                     [{"Name": "DBClusterIdentifier", "Value": world.secondary_id},
                      {"Name": "SourceRegion", "Value": "us-east-1"}]):
            data.append({"MetricName": "AuroraGlobalDBRPOLag", "Dimensions": dims, "Value": value,
                         "Unit": "Milliseconds", "Timestamp": now - timedelta(seconds=ago)})
    aws("cloudwatch", REGION).put_metric_data(Namespace="AWS/RDS", MetricData=data)


def put_alb_counts(aws, world: World, requests: float, elb_5xx: float = 0, target_5xx: float = 0) -> None:
    now = datetime.now(UTC) - timedelta(seconds=5)
    dims = [{"Name": "LoadBalancer", "Value": world.lb_dimension}]
    data = [{"MetricName": name, "Dimensions": dims, "Value": value, "Unit": "Count", "Timestamp": now}
            for name, value in (("RequestCount", requests), ("HTTPCode_ELB_5XX_Count", elb_5xx),
                                ("HTTPCode_Target_5XX_Count", target_5xx)) if value]
    aws("cloudwatch", REGION).put_metric_data(Namespace="AWS/ApplicationELB", MetricData=data)


def lag(world: World, **extra) -> dict:
    # The emulator also publishes the lag of its own replication model, which a loaded machine can
    # slow down: tests about other things use a threshold that only a crafted spike exceeds.
    return {"global_cluster_identifier": world.gdb, "secondary_cluster_identifier": world.secondary_id,
            "window_seconds": 60, "period_seconds": 10, "threshold_ms": 4000, **extra}


def traffic(world: World, **extra) -> dict:
    return {"target_group_arn": world.tg_arn, "alarm_names": world.alarms, "load_balancer_arn": world.lb_arn,
            "window_seconds": 60, "period_seconds": 60, **extra}


def writer(world: World, region: str = "us-east-1") -> dict:
    return {"global_cluster_identifier": world.gdb, "expected_region": region}


def args(module_args, **extra) -> dict:
    return {**module_args, "region": REGION, "poll_interval": 1, **extra}


def state(aws, world: World):
    clusters = aws("rds", "us-east-1").describe_global_clusters(GlobalClusterIdentifier=world.gdb)["GlobalClusters"]
    [gc] = [c for c in clusters if c["GlobalClusterIdentifier"] == world.gdb]
    alarms = aws("cloudwatch", REGION).describe_alarms(AlarmNames=world.alarms)["MetricAlarms"]
    targets = aws("elbv2", REGION).describe_target_health(TargetGroupArn=world.tg_arn)["TargetHealthDescriptions"]
    return (sorted((m["DBClusterArn"], m["IsWriter"]) for m in gc["GlobalClusterMembers"]),
            [(a["AlarmName"], a["StateValue"]) for a in alarms], len(targets))


@pytest.mark.parametrize("check_mode", [False, True], ids=["run", "check-mode"])
def test_once_all_checks_pass_and_nothing_changes(aws, world, module_args, run, check_mode):
    before = state(aws, world)
    put_alb_counts(aws, world, requests=1000, target_5xx=2)

    result = run(module, args(module_args, lag=lag(world), traffic=traffic(world), writer=writer(world)),
                 check_mode=check_mode)

    assert result.get("failed") is not True, result.get("msg")
    assert result["changed"] is False
    assert result["healthy"] is True and result["verdict"] == "pass"
    assert set(result["checks"]) == {"lag", "traffic", "writer"}
    # the fixture's 150 ms points, or the emulator's own baseline that its publisher thread may add at any time
    assert BASELINE_LAG_MS[0] <= result["checks"]["lag"]["values"]["latest_ms"] <= BASELINE_LAG_MS[1]
    assert result["checks"]["traffic"]["values"]["error_percent"] == 0.2  # percent, not a fraction
    assert result["checks"]["writer"]["values"]["writer_region"] == "us-east-1"
    assert len(result["samples"]) == 1 and result["attempts"] == 1
    assert state(aws, world) == before


@pytest.mark.parametrize(("errors", "max_percent", "healthy"), [(20, 1.0, False), (20, 5.0, True), (0, 0.0, True)])
def test_5xx_is_a_percentage_of_requests(aws, world, module_args, run, errors, max_percent, healthy):
    put_alb_counts(aws, world, requests=1000, elb_5xx=errors / 2, target_5xx=errors / 2)

    result = run(module, args(module_args, fail_on_unhealthy=False,
                              traffic=traffic(world, max_5xx_percent=max_percent)))

    assert result["healthy"] is healthy, result["reason"]
    assert result["checks"]["traffic"]["values"]["error_percent"] == pytest.approx(errors / 10)
    counts = result["checks"]["traffic"]["values"]["request_counts"]
    assert counts["RequestCount"] == 1000.0
    if not healthy:
        assert "5xx rate 2 % >= 1 %" in result["reason"]


def test_insufficient_data_alarm_is_not_healthy(aws, world, emulator, module_args, run):
    # A fault keeps the state, whatever the emulator's alarm evaluation computes meanwhile.
    emulator_call(emulator, "POST", "/_emulator/faults",
                  {"kind": "alarm_state", "alarm_name": world.alarms[0], "state": "INSUFFICIENT_DATA"})

    result = run(module, args(module_args, traffic=traffic(world)))

    assert result["failed"] is True and result["healthy"] is False
    assert "INSUFFICIENT_DATA" in result["msg"] and world.alarms[0] in result["msg"]


def test_writer_in_the_wrong_region_fails(aws, world, module_args, run):
    result = run(module, args(module_args, writer=writer(world, REGION)))

    assert result["failed"] is True
    assert result["msg"].startswith("writer: the writer is in us-east-1, not in eu-west-1")


def test_writer_reports_a_switchover_in_progress(aws, world, emulator, module_args, run):
    emulator_call(emulator, "POST", "/_emulator/config", {"switchover_seconds": 30})
    aws("rds", "us-east-1").switchover_global_cluster(GlobalClusterIdentifier=world.gdb,
                                                      TargetDbClusterIdentifier=world.secondary_arn)

    result = run(module, args(module_args, fail_on_unhealthy=False, writer=writer(world, "us-east-1")))

    assert result["healthy"] is False
    assert "switchover in progress" in result["reason"]
    assert result["checks"]["writer"]["values"]["switchover_in_progress"] is True


def test_lag_without_data_is_never_healthy(aws, module_args, run):
    world = build(aws)
    result = run(module, args(module_args, lag=lag(world, window_seconds=10, period_seconds=10, min_datapoints=3)))

    assert result["failed"] is True
    assert "no data is never healthy" in result["msg"] or "datapoint" in result["msg"]


def test_hold_lasts_its_time_plus_at_most_one_poll_and_logs_progress(aws, world, module_args, run, tmp_path,
                                                                        monkeypatch):
    progress = tmp_path / "progress.log"
    monkeypatch.setenv("MIGRATION_PROGRESS_FILE", str(progress))
    put_alb_counts(aws, world, requests=100)
    started = time.monotonic()

    result = run(module, args(module_args, mode="hold", hold_seconds=3, poll_interval=1,
                              lag=lag(world), traffic=traffic(world), writer=writer(world)))

    took = time.monotonic() - started
    assert result.get("failed") is not True, result.get("msg")
    assert result["healthy"] is True and result["mode"] == "hold"
    assert 3.0 <= result["elapsed_seconds"] <= took
    # (how far past its 3 s a hold runs is timing: the benchmark's business, not a test's)
    assert result["samples"][-1]["elapsed"] >= 3.0
    # one sample per evaluation (how many fit in 3 s depends on the machine's load: no count asserted)
    assert len(result["samples"]) == result["attempts"] >= 1
    assert all(s["healthy"] for s in result["samples"])
    assert result["reason"].startswith("held 3 s")
    lines = progress.read_text().splitlines()
    assert len(lines) == len(result["samples"])
    assert "/3 s elapsed" in lines[0] and "remaining" in lines[0] and "lag " in lines[0] and "5xx 0 %" in lines[0]
    assert lines[-1].split(" s remaining")[0].endswith("0.0")


def _in_background(function) -> tuple[threading.Thread, dict]:
    """Run function() in a thread; its result lands in the returned dict under "result"."""
    outcome: dict = {}
    thread = threading.Thread(target=lambda: outcome.update(result=function()), daemon=True)
    thread.start()
    return thread, outcome


def _target_health_calls(emulator) -> int:
    counts = emulator_call(emulator, "GET", "/_emulator/requests")["by_action"]
    return counts.get("elasticloadbalancing:DescribeTargetHealth", 0)


def test_hold_stops_at_the_first_failed_evaluation(aws, world, emulator, module_args, run):
    before = _target_health_calls(emulator)
    thread, outcome = _in_background(lambda: run(module, args(module_args, mode="hold", hold_seconds=30,
                                                              poll_interval=1, fail_on_unhealthy=False,
                                                              traffic=traffic(world))))
    # The targets break once the first evaluation has read them healthy: the gate reads target health once
    # per evaluation, one call after the other, so a second call means the first was answered (a timer
    # guessed at it, and fired before the first evaluation at load 14).
    wait_until(lambda: _target_health_calls(emulator) >= before + 2, "the second evaluation of the hold", timeout=60,
               step=0.05)
    emulator_call(emulator, "POST", "/_emulator/faults",
                  {"kind": "unhealthy_targets", "target_group_arn": world.tg_arn, "duration": 60})
    thread.join(timeout=120)
    result = outcome["result"]

    assert result["healthy"] is False and result["verdict"] == "fail"
    assert result["elapsed_seconds"] < 30  # stopped at the failure, not at the end of the hold
    assert result["samples"][0]["healthy"] is True
    assert result["samples"][-1]["healthy"] is False
    assert all(s["healthy"] for s in result["samples"][:-1])
    assert "of the 30 s hold" in result["reason"] and "healthy targets" in result["reason"]


def test_wait_times_out_with_every_sample(aws, world, module_args, run):
    result = run(module, args(module_args, mode="wait", timeout=2, poll_interval=1, writer=writer(world, REGION)))

    assert result["failed"] is True
    assert result["msg"].startswith(f"still unhealthy after 2 s ({len(result['samples'])} evaluations)")
    assert len(result["samples"]) == result["attempts"] >= 1
    assert result["elapsed_seconds"] >= 2.0


def test_wait_passes_when_the_check_recovers(aws, world, emulator, module_args, run):
    fault = emulator_call(emulator, "POST", "/_emulator/faults",
                          {"kind": "unhealthy_targets", "target_group_arn": world.tg_arn, "duration": 120})["fault"]

    thread, outcome = _in_background(lambda: run(module, args(
        module_args, mode="wait", timeout=60, poll_interval=1,
        traffic=traffic(world, alarm_names=[], load_balancer_arn=None))))
    # The targets recover once the gate has read them unhealthy (the fault's hits: DescribeTargetHealth answers
    # it changed). A fault of a fixed duration ended before the first evaluation at load 13, even at 6 s.
    def read_unhealthy() -> bool:
        faults = emulator_call(emulator, "GET", "/_emulator/faults")["faults"]
        return any(f["id"] == fault["id"] and f["hits"] >= 1 for f in faults)

    wait_until(read_unhealthy, "the gate reading the targets unhealthy", timeout=60, step=0.05)
    emulator_call(emulator, "DELETE", f"/_emulator/faults?id={fault['id']}")
    thread.join(timeout=120)
    result = outcome["result"]

    assert result.get("failed") is not True, result.get("msg")
    assert result["samples"][0]["healthy"] is False and result["samples"][-1]["healthy"] is True


# -- write path --------------------------------------------------------------------------------


def app(aws, world: World, user_data: str | None) -> str:
    ec2 = aws("ec2", REGION)
    name = f"asg-gate-{next(_names)}"
    data = {"ImageId": "ami-12c6146b", "InstanceType": "t3.micro"}
    if user_data is not None:
        data["UserData"] = base64.b64encode(user_data.encode()).decode()
    ec2.create_launch_template(LaunchTemplateName=f"lt-{name}", LaunchTemplateData=data)
    subnet = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [world.vpc]}])["Subnets"][0]["SubnetId"]
    aws("autoscaling", REGION).create_auto_scaling_group(
        AutoScalingGroupName=name, LaunchTemplate={"LaunchTemplateName": f"lt-{name}", "Version": "$Latest"},
        MinSize=0, MaxSize=1, DesiredCapacity=0, VPCZoneIdentifier=subnet)
    return name


def peer(aws, world: World, active: bool = True) -> str:
    other = aws("ec2", "us-east-1").create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    peering = aws("ec2", REGION).create_vpc_peering_connection(VpcId=world.vpc, PeerVpcId=other,
                                                               PeerRegion="us-east-1")["VpcPeeringConnection"]
    if active:
        aws("ec2", "us-east-1").accept_vpc_peering_connection(VpcPeeringConnectionId=peering["VpcPeeringConnectionId"])
    return other


def global_endpoint(aws, world: World) -> str | None:
    clusters = aws("rds", REGION).describe_global_clusters(GlobalClusterIdentifier=world.gdb)["GlobalClusters"]
    return [c for c in clusters if c["GlobalClusterIdentifier"] == world.gdb][0].get("Endpoint")


def write_path(world: World, asg: str, vpcs: list[str] | None) -> dict:
    return {"region": REGION, "global_cluster_identifier": world.gdb, "asg_name": asg, "peering_vpc_ids": vpcs}


def test_write_path_without_writer_endpoint_in_user_data_fails(aws, world, module_args, run):
    asg = app(aws, world, "#!/bin/bash\ncat > /etc/payment-processor.env <<'EOF'\nDB_PORT=3306\nEOF\n")
    other = peer(aws, world)

    result = run(module, args(module_args, write_path=write_path(world, asg, [world.vpc, other])))

    assert result["failed"] is True
    assert "no write path from eu-west-1" in result["msg"]
    assert "carries no DB_WRITER_ENDPOINT" in result["msg"]


def test_write_path_without_the_asg_fails(aws, world, module_args, run):
    result = run(module, args(module_args, write_path=write_path(world, "asg-that-does-not-exist", None)))

    assert result["failed"] is True
    assert "Auto Scaling group asg-that-does-not-exist not found in eu-west-1" in result["msg"]
    assert "give peering_vpc_ids" in result["msg"]


def test_write_path_needs_an_active_peering_while_the_writer_is_elsewhere(aws, world, module_args, run):
    endpoint = global_endpoint(aws, world)
    asg = app(aws, world, f"#!/bin/bash\nDB_WRITER_ENDPOINT={endpoint}\n")
    other = peer(aws, world, active=False)

    result = run(module, args(module_args, fail_on_unhealthy=False,
                              write_path=write_path(world, asg, [world.vpc, other])))

    assert result["healthy"] is False
    assert f"no active VPC peering connection between {world.vpc} and {other}" in result["reason"]
    assert result["checks"]["write_path"]["values"]["writer_region"] == "us-east-1"


def test_write_path_to_the_wrong_endpoint_fails(aws, world, module_args, run):
    if not global_endpoint(aws, world):
        pytest.skip("the emulator does not report GlobalCluster.Endpoint yet")
    asg = app(aws, world, "DB_WRITER_ENDPOINT=some-cluster.cluster-x.eu-west-1.rds.amazonaws.com\n")
    other = peer(aws, world)

    result = run(module, args(module_args, write_path=write_path(world, asg, [world.vpc, other])))

    assert result["failed"] is True
    assert "writes to some-cluster.cluster-x.eu-west-1.rds.amazonaws.com, not to the global writer endpoint" \
        in result["msg"]


def test_write_path_through_the_global_writer_endpoint_passes(aws, world, module_args, run):
    endpoint = global_endpoint(aws, world)
    if not endpoint:
        pytest.skip("the emulator does not report GlobalCluster.Endpoint yet")
    asg = app(aws, world, f"#!/bin/bash\ncat > /etc/payment-processor.env <<'EOF'\nDB_WRITER_ENDPOINT={endpoint}\n"
                          "DB_PORT=3306\nEOF\n")
    other = peer(aws, world)

    result = run(module, args(module_args, write_path=write_path(world, asg, [world.vpc, other])))

    assert result.get("failed") is not True, result.get("msg")
    values = result["checks"]["write_path"]["values"]
    assert values["app_writer_endpoint"] == endpoint == values["global_writer_endpoint"]
    assert values["peering_connection_id"]


@pytest.mark.parametrize(("extra", "message"), [
    ({}, "give at least one check"),
    ({"traffic": {"target_group_arn": "arn:x", "max_5xx_percent": 150}}, "max_5xx_percent is a percentage"),
    ({"traffic": {"target_group_arn": "arn:x", "load_balancer_arn": "not-an-arn"}}, "Application Load Balancer ARN"),
    ({"writer": {"global_cluster_identifier": "g"}, "poll_interval": 0}, "poll_interval must be greater than 0"),
    ({"write_path": {"region": REGION, "global_cluster_identifier": "g", "asg_name": "a",
                     "peering_vpc_ids": ["vpc-1"]}}, "exactly two VPCs"),
    ({"lag": {"global_cluster_identifier": "g", "secondary_cluster_identifier": "s", "period_seconds": 600}},
     "lag.period_seconds must not be greater"),
])
def test_bad_input_is_refused_before_any_call(module_args, run, extra, message):
    result = run(module, {**module_args, "region": REGION, **extra})

    assert result["failed"] is True
    assert message in result["msg"]


# -- lag check details (ported from the removed aurora_lag_gate tests) ---------------------------


def test_lag_secondary_given_as_arn_without_region(aws, world, module_args, run):
    result = run(module, {**module_args, "lag": lag(world, secondary_cluster_identifier=world.secondary_arn)})

    assert result.get("failed") is not True, result.get("msg")
    assert result["checks"]["lag"]["values"]["dimensions"]["DBClusterIdentifier"] == world.secondary_id


def test_lag_of_a_cluster_that_is_not_a_member_fails(aws, world, module_args, run):
    aws("rds", REGION).create_db_cluster(
        DBClusterIdentifier="aurora-lonely-euw1", Engine="aurora-mysql", EngineVersion=ENGINE_VERSION,
        MasterUsername="admin", MasterUserPassword="not-a-real-password-1")

    result = run(module, args(module_args, lag=lag(world, secondary_cluster_identifier="aurora-lonely-euw1")))

    assert result["failed"] is True
    assert f"aurora-lonely-euw1 is not a member of global cluster {world.gdb}" in result["msg"]


def test_missing_global_cluster_fails_every_database_check(aws, world, module_args, run):
    missing = {"global_cluster_identifier": "gdb-does-not-exist"}
    result = run(module, args(module_args, fail_on_unhealthy=False, lag=lag(world, **missing),
                              writer={**writer(world), **missing}))

    assert result["healthy"] is False
    assert "global cluster gdb-does-not-exist not found" in result["checks"]["lag"]["reason"]
    assert result["checks"]["writer"]["reason"] == "global cluster gdb-does-not-exist not found"


def test_high_lag_fails_with_the_values(aws, world, module_args, run):
    put_lag(aws, world, [(ago, 5000.0) for ago in (4, 2, 1)])

    result = run(module, args(module_args, fail_on_unhealthy=False, lag=lag(world)))

    assert result["healthy"] is False and "above 4000 ms" in result["reason"]
    assert result["checks"]["lag"]["values"]["maximum_ms"] == 5000.0


def test_throttled_reads_are_retried(aws, world, emulator, module_args, run, retry_sleeps):
    emulator_call(emulator, "POST", "/_emulator/faults",
                  {"kind": "api_error", "action": "DescribeGlobalClusters", "count": 2, "error": "Throttling"})

    result = run(module, args(module_args, lag=lag(world), writer=writer(world),
                              aws_config={"retries": {"mode": "standard", "total_max_attempts": 1}}))

    assert result.get("failed") is not True, result.get("msg")
    assert emulator_call(emulator, "GET", "/_emulator/faults")["faults"] == []
    assert len(retry_sleeps.aws_retry) == 2  # the module's retry policy backed off once per throttled read



# --- the options that make one gate call of several tasks: stack, audit, lock -------------------
def stack(aws, world: World, **target) -> dict:
    """The gate's stack option: the world's ALB (forwarding to its target group) and VPC in both roles."""
    elbv2 = aws("elbv2", REGION)
    if not elbv2.describe_listeners(LoadBalancerArn=world.lb_arn)["Listeners"]:
        elbv2.create_listener(LoadBalancerArn=world.lb_arn, Protocol="HTTP", Port=80,
                              DefaultActions=[{"Type": "forward", "TargetGroupArn": world.tg_arn}])
    side = {"region": REGION, "alb_arn": world.lb_arn, "vpc_id": world.vpc}
    return {"source": side, "target": {**side, **target}}


def test_stack_finds_both_stacks_in_one_call(aws, world, module_args, run):
    result = run(module, args(module_args, stack=stack(aws, world), writer=writer(world)))

    assert result.get("failed") is not True, result.get("msg")
    assert result["changed"] is False and result["healthy"] is True
    for side in ("source", "target"):
        found = result["stack"][side]
        assert (found["alb_arn"], found["target_group_arn"], found["vpc_id"]) == (world.lb_arn, world.tg_arn, world.vpc)
        assert found["vpc_cidr"] == "10.1.0.0/16"


def test_stack_names_what_is_missing_and_changes_nothing(aws, world, module_args, run):
    result = run(module, args(module_args, stack=stack(aws, world, alb_arn=None, alb_name="alb-missing",
                                                       vpc_id=None, vpc_name="vpc-missing")))

    assert result["failed"] is True
    assert "eu-west-1: no load balancer alb-missing" in result["msg"]
    assert "eu-west-1: 0 VPCs match vpc-missing (need exactly one)" in result["msg"]
    assert "Nothing was changed" in result["msg"]


def test_hold_writes_its_audit_records_before_and_after(aws, world, module_args, run, tmp_path):
    log = tmp_path / "audit" / "migration-audit.jsonl"
    audit = {"path": str(log), "before": [{"event": "weight_change", "to_phase": 1}],
             "after": {"event": "shift", "to_phase": 1, "gates": [{"mode": "wait"}]}}

    result = run(module, args(module_args, mode="hold", hold_seconds=1, writer=writer(world), audit=audit))

    assert result.get("failed") is not True, result.get("msg")
    records = [json.loads(line) for line in log.read_text().splitlines()]
    assert [r["event"] for r in records] == ["weight_change", "shift"]
    assert records[0]["epoch"] <= records[1]["epoch"]
    assert [g["mode"] for g in records[1]["gates"]] == ["wait", "hold"]
    assert records[1]["gates"][1]["healthy"] is True and records[1]["gates"][1]["samples"]


def test_audit_after_is_not_written_when_the_gate_fails_nor_in_check_mode(aws, world, module_args, run, tmp_path):
    log = tmp_path / "migration-audit.jsonl"
    audit = {"path": str(log), "before": [{"event": "weight_change"}], "after": {"event": "shift"}}

    run(module, args(module_args, writer=writer(world), audit=audit), check_mode=True)
    assert not log.exists()

    failed = run(module, args(module_args, writer=writer(world, region="eu-west-1"), audit=audit))
    assert failed["failed"] is True
    assert [json.loads(line)["event"] for line in log.read_text().splitlines()] == ["weight_change"]


def test_zero_hold_with_audit_evaluates_nothing(aws, world, module_args, run, tmp_path):
    log = tmp_path / "migration-audit.jsonl"
    result = run(module, args(module_args, mode="hold", audit={"path": str(log), "after": {"event": "shift"}}))

    assert result.get("failed") is not True, result.get("msg")
    assert result["attempts"] == 0 and result["samples"] == []
    assert json.loads(log.read_text())["gates"] == []


def test_lock_is_taken_with_the_gate_and_refused_while_another_run_holds_it(aws, world, module_args, run):
    ssm = aws("ssm", REGION)
    name = f"/payments/region-migration/gate-{next(_names)}/lock"
    lock = {"name": name, "owner": "me@here", "run_id": "run-1", "ttl_seconds": 60}

    run(module, args(module_args, writer=writer(world), lock=lock), check_mode=True)
    assert not ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [name]}])["Parameters"]

    result = run(module, args(module_args, writer=writer(world), lock=lock))
    assert result.get("failed") is not True, result.get("msg")
    assert json.loads(ssm.get_parameter(Name=name)["Parameter"]["Value"])["run_id"] == "run-1"

    refused = run(module, args(module_args, writer=writer(world), lock={**lock, "owner": "other@elsewhere",
                                                                         "run_id": "run-2"}))
    assert refused["failed"] is True
    assert "held by" in refused["msg"] and "me@here" in refused["msg"]
    assert "samples" not in refused  # refused before any evaluation
    assert json.loads(ssm.get_parameter(Name=name)["Parameter"]["Value"])["run_id"] == "run-1"
    assert refused["lock_refused"] is True  # the caller must not release a lock it never held


def test_lock_absent_writes_the_audit_then_releases_only_its_own_lock(aws, world, module_args, run, tmp_path):
    ssm = aws("ssm", REGION)
    name = f"/payments/region-migration/gate-{next(_names)}/lock"
    lock = {"name": name, "owner": "me@here", "run_id": "run-1", "ttl_seconds": 60}
    log = tmp_path / "migration-audit.jsonl"
    closing = {"path": str(log), "before": [{"event": "run", "run_id": "run-1"}]}
    assert run(module, args(module_args, lock=lock)).get("failed") is not True

    # Check mode: neither the record nor the release.
    run(module, args(module_args, audit=closing, lock={**lock, "state": "absent"}), check_mode=True)
    assert not log.exists() and ssm.get_parameter(Name=name)["Parameter"]["Value"]

    # Another run's release is refused and changes nothing.
    refused = run(module, args(module_args, lock={**lock, "owner": "other@elsewhere", "run_id": "run-2",
                                                  "state": "absent"}))
    assert refused["failed"] is True and refused["lock_refused"] is True
    assert json.loads(ssm.get_parameter(Name=name)["Parameter"]["Value"])["run_id"] == "run-1"

    result = run(module, args(module_args, audit=closing, lock={**lock, "state": "absent"}))
    assert result.get("failed") is not True, result.get("msg")
    assert [json.loads(line)["event"] for line in log.read_text().splitlines()] == ["run"]
    assert not ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [name]}])["Parameters"]


def test_record_returns_the_live_weights(aws, module_args, run):
    route53 = aws("route53", "us-east-1")
    zone = f"gate-{next(_names)}.example.com"
    zone_id = route53.create_hosted_zone(Name=zone, CallerReference=zone)["HostedZone"]["Id"].split("/")[-1]
    changes = [{"Action": "CREATE", "ResourceRecordSet": {
        "Name": f"api.{zone}", "Type": "A", "SetIdentifier": region, "Weight": weight, "TTL": 60,
        "ResourceRecords": [{"Value": address}]}}
        for region, weight, address in (("us-east-1", 75, "10.0.0.1"), ("eu-west-1", 25, "10.1.0.1"))]
    route53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": changes})

    for by in ({"zone": zone}, {"hosted_zone_id": zone_id}):
        record = {**by, "record_name": f"api.{zone}"}
        result = run(module, args(module_args, record=record))
        assert result.get("failed") is not True, result.get("msg")
        assert result["weights"] == {"us-east-1": 75, "eu-west-1": 25}
        assert result["weights_by_type"] == {"A": {"us-east-1": 75, "eu-west-1": 25}}

    both = run(module, args(module_args, record={"zone": zone, "hosted_zone_id": zone_id, "record_name": "x"}))
    assert both["failed"] is True and "exactly one of hosted_zone_id and zone" in both["msg"]
