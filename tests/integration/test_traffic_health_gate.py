"""traffic_health_gate against the emulator: targets, alarms, the ALB's 5xx rate, once and wait modes.

Set-up builds an ALB with an IP target group in eu-west-1 with boto3; alarm states and ALB metrics
are set with CloudWatch's own API. The gate is read-only: the tests check that targets and alarms
read back with boto3 are what they were.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from ansible_collections.payments.region_migration.plugins.module_utils import _gate_traffic
from ansible_collections.payments.region_migration.plugins.modules import traffic_health_gate as module

from tests.conftest import emulator_call

REGION = "eu-west-1"


@dataclass
class Stack:
    load_balancer_arn: str
    load_balancer_dimension: str
    target_group_arn: str
    alarm_names: list[str]


def build_stack(aws, targets: int = 2) -> Stack:
    ec2, elbv2, cloudwatch = aws("ec2", REGION), aws("elbv2", REGION), aws("cloudwatch", REGION)
    vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.1.{i}.0/24", AvailabilityZone=f"{REGION}{az}")["Subnet"]
               ["SubnetId"] for i, az in enumerate("ab")]
    lb = elbv2.create_load_balancer(Name="alb-payment-gate", Subnets=subnets, Type="application",
                                    Scheme="internet-facing")["LoadBalancers"][0]["LoadBalancerArn"]
    tg = elbv2.create_target_group(Name="tg-payment-gate", Protocol="HTTPS", Port=443, VpcId=vpc,
                                   TargetType="ip", HealthCheckPath="/health")["TargetGroups"][0]["TargetGroupArn"]
    if targets:
        elbv2.register_targets(TargetGroupArn=tg, Targets=[{"Id": f"10.1.0.{10 + i}", "Port": 443}
                                                           for i in range(targets)])
    alarms = ["alarm-replication-lag-gate", "alarm-healthy-hosts-gate"]
    for name in alarms:
        cloudwatch.put_metric_alarm(AlarmName=name, Namespace="AWS/RDS", MetricName="AuroraGlobalDBRPOLag",
                                    Statistic="Maximum", Period=60, EvaluationPeriods=2, Threshold=1000,
                                    ComparisonOperator="GreaterThanThreshold")
        cloudwatch.set_alarm_state(AlarmName=name, StateValue="OK", StateReason="test set-up")
    return Stack(lb, _gate_traffic.load_balancer_dimension(lb), tg, alarms)


@pytest.fixture
def stack(aws) -> Stack:
    return build_stack(aws)


def put_alb_counts(aws, stack: Stack, requests: float, elb_5xx: float = 0, target_5xx: float = 0) -> None:
    now = datetime.now(UTC) - timedelta(seconds=5)
    dims = [{"Name": "LoadBalancer", "Value": stack.load_balancer_dimension}]
    data = [{"MetricName": name, "Dimensions": dims, "Value": value, "Unit": "Count", "Timestamp": now}
            for name, value in (("RequestCount", requests), ("HTTPCode_ELB_5XX_Count", elb_5xx),
                                ("HTTPCode_Target_5XX_Count", target_5xx)) if value]
    if data:
        aws("cloudwatch", REGION).put_metric_data(Namespace="AWS/ApplicationELB", MetricData=data)


def target_states(aws, stack: Stack) -> list[tuple[str, str]]:
    described = aws("elbv2", REGION).describe_target_health(TargetGroupArn=stack.target_group_arn)
    return sorted((d["Target"]["Id"], d["TargetHealth"]["State"]) for d in described["TargetHealthDescriptions"])


def alarm_states(aws, names: list[str]) -> dict[str, str]:
    alarms = aws("cloudwatch", REGION).describe_alarms(AlarmNames=names)["MetricAlarms"]
    return {a["AlarmName"]: a["StateValue"] for a in alarms}


def gate_args(module_args, stack: Stack, **extra) -> dict:
    return {**module_args, "region": REGION, "target_group_arn": stack.target_group_arn,
            "alarm_names": stack.alarm_names, "load_balancer": stack.load_balancer_arn,
            "window_seconds": 60, "period_seconds": 60, "poll_interval": 1, **extra}


@pytest.mark.parametrize("check_mode", [False, True], ids=["run", "check-mode"])
def test_healthy_region_passes_and_changes_nothing(aws, stack, module_args, run, check_mode):
    put_alb_counts(aws, stack, requests=1000, target_5xx=5)
    targets_before, alarms_before = target_states(aws, stack), alarm_states(aws, stack.alarm_names)

    result = run(module, gate_args(module_args, stack), check_mode=check_mode)

    assert result.get("failed") is not True, result.get("msg")
    assert result["changed"] is False
    assert result["healthy"] is True and result["verdict"] == "pass"
    assert result["healthy_targets"] == 2
    assert sorted((t["id"], t["state"]) for t in result["targets"]) == targets_before
    assert all(t["port"] == 443 for t in result["targets"])
    assert result["alarms"] == alarms_before == {name: "OK" for name in stack.alarm_names}
    assert result["error_rate"] == 0.5
    assert result["request_counts"]["RequestCount"] == 1000
    assert "5xx rate 0.5 % < 1 %" in result["reason"]
    assert target_states(aws, stack) == targets_before


def test_no_requests_is_rate_zero_and_said_so(aws, stack, module_args, run):
    result = run(module, gate_args(module_args, stack))

    assert result["healthy"] is True
    assert result["error_rate"] == 0.0
    assert "no requests in the window" in result["reason"]


def test_without_load_balancer_there_is_no_rate(aws, stack, module_args, run):
    args = gate_args(module_args, stack, alarm_names=[])
    del args["load_balancer"]

    result = run(module, args)

    assert result["healthy"] is True
    assert result["error_rate"] is None and result["request_counts"] is None
    assert result["alarms"] == {}


def test_high_5xx_rate_fails(aws, stack, module_args, run):
    put_alb_counts(aws, stack, requests=200, elb_5xx=3, target_5xx=3)

    result = run(module, gate_args(module_args, stack))

    assert result["failed"] is True
    assert result["error_rate"] == 3.0
    assert "5xx rate 3 % >= 1 %" in result["msg"]


def test_alarm_in_alarm_fails(aws, stack, emulator, module_args, run):
    aws("cloudwatch", REGION).set_alarm_state(AlarmName=stack.alarm_names[0], StateValue="ALARM",
                                              StateReason="lag too high")

    result = run(module, gate_args(module_args, stack))

    assert result["failed"] is True
    assert result["alarms"][stack.alarm_names[0]] == "ALARM"
    assert f"in ALARM: {stack.alarm_names[0]}" in result["msg"]
    assert alarm_states(aws, stack.alarm_names)[stack.alarm_names[0]] == "ALARM"


def test_missing_alarm_is_never_healthy(aws, stack, module_args, run):
    result = run(module, gate_args(module_args, stack, alarm_names=[*stack.alarm_names, "alarm-typo"]))

    assert result["failed"] is True
    assert result["alarms"]["alarm-typo"] == "NOT_FOUND"
    assert "alarm not found: alarm-typo" in result["msg"]


def test_too_few_healthy_targets_fail(aws, module_args, run):
    stack = build_stack(aws, targets=1)

    result = run(module, gate_args(module_args, stack))

    assert result["failed"] is True
    assert result["healthy_targets"] == 1
    assert "only 1 healthy targets (need 2)" in result["msg"]


def test_unhealthy_targets_fault_fails_the_gate(aws, stack, emulator, module_args, run):
    emulator_call(emulator, "POST", "/_emulator/faults",
                  {"kind": "unhealthy_targets", "target_group_arn": stack.target_group_arn})
    if all(state == "healthy" for _, state in target_states(aws, stack)):
        pytest.skip("this emulator does not apply unhealthy_targets faults yet")

    result = run(module, gate_args(module_args, stack))

    assert result["failed"] is True
    assert result["healthy_targets"] == 0
    assert {t["state"] for t in result["targets"]} == {"unhealthy"}


def test_consecutive_healthy_evaluations_in_once_mode(aws, stack, module_args, run):
    result = run(module, gate_args(module_args, stack, consecutive_healthy=2))

    assert result["healthy"] is True
    assert result["attempts"] == 2


def test_wait_mode_waits_for_the_alarm_to_clear(aws, stack, module_args, run, monkeypatch):
    cloudwatch = aws("cloudwatch", REGION)
    cloudwatch.set_alarm_state(AlarmName=stack.alarm_names[1], StateValue="ALARM", StateReason="hosts down")
    original = _gate_traffic.alarm_states
    seen = []

    def alarm_clears_after_first_read(*args, **kwargs):
        states = original(*args, **kwargs)
        seen.append(states)
        if len(seen) == 1:
            cloudwatch.set_alarm_state(AlarmName=stack.alarm_names[1], StateValue="OK", StateReason="recovered")
        return states

    monkeypatch.setattr(_gate_traffic, "alarm_states", alarm_clears_after_first_read)
    result = run(module, gate_args(module_args, stack, mode="wait", timeout=20))

    assert result.get("failed") is not True, result.get("msg")
    assert result["healthy"] is True
    assert result["attempts"] == 2
    assert seen[0][stack.alarm_names[1]] == "ALARM"


def test_wait_mode_times_out(aws, stack, module_args, run):
    result = run(module, gate_args(module_args, stack, mode="wait", min_healthy_targets=5, timeout=3))

    assert result["failed"] is True
    assert result["msg"].startswith("still unhealthy after 3 s")


def test_wait_mode_needs_consecutive_passes_before_the_timeout(aws, stack, module_args, run):
    result = run(module, gate_args(module_args, stack, mode="wait", consecutive_healthy=50, timeout=2))

    assert result["failed"] is True
    assert "consecutive evaluations of 50 needed" in result["msg"]


def test_unknown_target_group_fails(stack, module_args, run):
    result = run(module, gate_args(module_args, stack, target_group_arn=stack.target_group_arn + "0"))

    assert result["failed"] is True
    assert "not found" in result["msg"]


def test_load_balancer_must_be_an_alb_arn(stack, module_args, run):
    result = run(module, gate_args(module_args, stack, load_balancer="alb-payment-gate"))

    assert result["failed"] is True
    assert "Application Load Balancer ARN" in result["msg"]


def test_throttled_reads_are_retried(aws, stack, emulator, module_args, run):
    emulator_call(emulator, "POST", "/_emulator/faults",
                  {"kind": "api_error", "action": "DescribeTargetHealth", "count": 2, "error": "Throttling"})

    result = run(module, gate_args(module_args, stack,
                                   aws_config={"retries": {"mode": "standard", "total_max_attempts": 1}}))

    assert result.get("failed") is not True, result.get("msg")
    assert result["healthy_targets"] == 2
    assert emulator_call(emulator, "GET", "/_emulator/faults")["faults"] == []
