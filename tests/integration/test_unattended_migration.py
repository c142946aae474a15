"""Issue 11: the orchestration role's state machine, executed by the emulator (Step Functions execution on).

The happy path 0 -> 4 runs with the payment workload: tests/emulator/test_unattended_workload.py.
Each test renders the role's definition (tests/state_machine_render.py) for a fresh global database, hosted zone
and alarms, runs one execution and asserts on what it leaves in AWS: the Route 53 weights (A and AAAA), the
Aurora writer and the SSM lock. Bakes are 1 s and lag windows 6 s (the emulator publishes the lag every 5 s).
"""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import emulator_call, phase_percents
from tests.integration import _global_db_helpers as gdb
from tests.state_machine_render import LOCK, lock_value, render

ZONE = "unattended.example.com"
RECORD = f"api.{ZONE}."
ALARMS = ["alarm-replication-lag-test", "alarm-healthy-hosts-test"]
SOURCE_ALB = ("alb-use1.us-east-1.elb.amazonaws.com", "Z35SXDOTRQ7X7K")
TARGET_ALB = ("alb-euw1.eu-west-1.elb.amazonaws.com", "Z32O12XQLNTSW2")


@pytest.fixture
def stack(aws):
    """A global database (writer in us-east-1), weighted A and AAAA records at 100/0, two OK alarms."""
    db = gdb.create_global_db(aws, "gdb-unattended")
    r53 = aws("route53", "us-east-1")
    zone_id = r53.create_hosted_zone(Name=ZONE, CallerReference=str(time.time()))["HostedZone"]["Id"].split("/")[-1]
    r53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": [
        {"Action": "CREATE", "ResourceRecordSet": {
            "Name": RECORD, "Type": rtype, "SetIdentifier": region, "Weight": weight,
            "AliasTarget": {"DNSName": alb[0], "HostedZoneId": alb[1], "EvaluateTargetHealth": True}}}
        for rtype in ("A", "AAAA")
        for region, weight, alb in (("us-east-1", 100, SOURCE_ALB), ("eu-west-1", 0, TARGET_ALB))]})
    cloudwatch = aws("cloudwatch", "eu-west-1")
    for name in ALARMS:
        cloudwatch.put_metric_alarm(
            AlarmName=name, Namespace="AWS/RDS", MetricName="AuroraGlobalDBRPOLag", Statistic="Maximum",
            Dimensions=[{"Name": "DBClusterIdentifier", "Value": "gdb-unattended-euw1"}],
            Period=60, EvaluationPeriods=1, Threshold=1e9, ComparisonOperator="GreaterThanThreshold",
            TreatMissingData="notBreaching")
        cloudwatch.set_alarm_state(AlarmName=name, StateValue="OK", StateReason="test")
    return {"db": db, "zone_id": zone_id}


def state_machine(aws, stack, alarms=ALARMS) -> str:
    definition = render(
        orchestration_hosted_zone_id=stack["zone_id"], orchestration_record_name=RECORD,
        orchestration_record_types=["A", "AAAA"],
        orchestration_source_alias_dns_name=SOURCE_ALB[0], orchestration_source_alias_zone_id=SOURCE_ALB[1],
        orchestration_target_alias_dns_name=TARGET_ALB[0], orchestration_target_alias_zone_id=TARGET_ALB[1],
        orchestration_alarm_names=alarms, orchestration_global_cluster_identifier=stack["db"].identifier,
        orchestration_lock_name=LOCK, orchestration_poll_seconds=1,
        __orchestration_source_cluster_arn=stack["db"].primary_arn,
        __orchestration_target_cluster_arn=stack["db"].secondary_arn)
    return aws("stepfunctions").create_state_machine(
        name="sfn-migration-test", definition=json.dumps(definition),
        roleArn="arn:aws:iam::123456789012:role/role-sfn-migration-test")["stateMachineArn"]


def execute(aws, arn: str, target_phase: int = 4, during=None, timeout: float = 150) -> dict:
    """Start an execution and wait for its end; ``during(history_state_names)`` runs at every poll."""
    sfn = aws("stepfunctions")
    expires = (datetime.now(UTC) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    execution = sfn.start_execution(stateMachineArn=arn, input=json.dumps({
        "target_phase": target_phase, "bake_seconds": 1, "lag_window_seconds": 6, "lock_expires": expires}))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        described = sfn.describe_execution(executionArn=execution["executionArn"])
        if during:
            events = sfn.get_execution_history(executionArn=execution["executionArn"])["events"]
            during([e["stateEnteredEventDetails"]["name"] for e in events if "stateEnteredEventDetails" in e])
        if described["status"] != "RUNNING":
            described["states"] = [e["stateEnteredEventDetails"]["name"] for e in sfn.get_execution_history(
                executionArn=execution["executionArn"], maxResults=1000)["events"] if "stateEnteredEventDetails" in e]
            return described
        time.sleep(1)
    raise AssertionError("the execution did not end in time")


def weights(aws, zone_id: str) -> dict[str, dict[str, int]]:
    records = aws("route53", "us-east-1").list_resource_record_sets(HostedZoneId=zone_id)["ResourceRecordSets"]
    found: dict[str, dict[str, int]] = {}
    for record in records:
        if record["Name"] == RECORD and "SetIdentifier" in record:
            found.setdefault(record["Type"], {})[record["SetIdentifier"]] = record["Weight"]
    return found


def set_weights(aws, zone_id: str, source: int, target: int) -> None:
    aws("route53", "us-east-1").change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": [
        {"Action": "UPSERT", "ResourceRecordSet": {
            "Name": RECORD, "Type": rtype, "SetIdentifier": region, "Weight": weight,
            "AliasTarget": {"DNSName": alb[0], "HostedZoneId": alb[1], "EvaluateTargetHealth": True}}}
        for rtype in ("A", "AAAA")
        for region, weight, alb in (("us-east-1", source, SOURCE_ALB), ("eu-west-1", target, TARGET_ALB))]})


def writer_region(aws, identifier: str) -> str:
    return gdb.writer(gdb.read_global_cluster(aws, identifier)).split(":")[3]


def both(source: int, target: int) -> dict:
    return {rtype: {"us-east-1": source, "eu-west-1": target} for rtype in ("A", "AAAA")}


def test_lag_spike_during_a_bake_rolls_back(aws, stack, emulator):
    arn = state_machine(aws, stack)
    injected = []

    def spike(states):
        if not injected and "Bake2" in states:
            injected.append(emulator_call(emulator, "POST", "/_emulator/faults", {
                "kind": "replication_lag", "value_ms": 90000, "duration": 30, "cluster": "gdb-unattended-euw1"}))

    result = execute(aws, arn, during=spike)

    assert injected
    assert result["status"] == "FAILED"
    assert result["error"] == "LagAboveThreshold"
    # the bake that saw the spike (phase 2, or 3 when the machine outran the test's poll), rolled back to the phase
    # before it, with the reason
    seen = re.search(r"Bake(\d)Lag: AuroraGlobalDBRPOLag of gdb-unattended-euw1 reached 90000", result["cause"])
    failed_phase = int(seen[1])
    assert failed_phase >= 2 and result["cause"].startswith("Rolled back")
    good = phase_percents()[failed_phase - 1]
    assert weights(aws, stack["zone_id"]) == both(100 - good, good)
    assert writer_region(aws, stack["db"].identifier) == "us-east-1"
    assert lock_value(aws) is None


def test_missing_alarm_refuses_to_shift(aws, stack):
    arn = state_machine(aws, stack, alarms=[*ALARMS, "alarm-that-does-not-exist"])
    result = execute(aws, arn)

    assert result["status"] == "FAILED"
    assert result["error"] == "AlarmMissing"
    assert "2 found of the 3 alarms" in result["cause"]
    assert not any(s.startswith("Shift") for s in result["states"])
    assert weights(aws, stack["zone_id"]) == both(100, 0)
    assert lock_value(aws) is None


def test_lock_held_by_shift_refuses(aws, stack, run):
    from ansible_collections.payments.region_migration.plugins.modules import migration_lock

    taken = run(migration_lock, {"name": LOCK, "owner": "alice", "run_id": "shift-1", "purpose": "shift phase 1",
                                 "region": "eu-west-1", "endpoint_url": aws("ssm").meta.endpoint_url,
                                 "access_key": "testing", "secret_key": "testing"})
    assert taken["changed"]
    arn = state_machine(aws, stack)
    result = execute(aws, arn)

    assert result["status"] == "FAILED"
    assert result["error"] == "LockHeld"
    assert result["states"][-1] == "LockHeld"
    assert weights(aws, stack["zone_id"]) == both(100, 0)
    assert lock_value(aws)["owner"] == "alice"


def test_failure_after_the_switchover_switches_the_writer_back_first(aws, stack, emulator):
    """Started at phase 3 (read from Route 53): phase 4, the writer moves, then the execution cannot read the
    global cluster: switchback (gated on the us-east-1 lag), then the phase-3 weights, then the lock."""
    three = phase_percents()[3]
    set_weights(aws, stack["zone_id"], 100 - three, three)
    arn = state_machine(aws, stack)
    injected = []

    def break_reads(states):
        if not injected and "SwitchoverPause" in states:
            injected.append(gdb.add_fault(emulator, "DescribeGlobalClusters", error="InternalFailure", count=4))

    result = execute(aws, arn, during=break_reads)

    assert injected
    assert result["status"] == "FAILED", result["states"][-10:]
    assert result["cause"].startswith("Rolled back") and "Rate exceeded" in result["cause"]
    assert "Switchback" in result["states"] and "SwitchbackLagVerdict" in result["states"]
    assert result["states"].index("Switchback") < result["states"].index("RestoreWeights")
    assert not {"Shift1", "Shift2", "Shift3"} & set(result["states"])
    assert writer_region(aws, stack["db"].identifier) == "us-east-1"
    assert weights(aws, stack["zone_id"]) == both(100 - three, three)
    assert lock_value(aws) is None
