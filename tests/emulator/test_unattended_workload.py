"""Issue 11: the happy path of the unattended migration (the Step Functions execution, 0 -> 4), with payments.

The two-region payment stack of _payment_stack.py, the payment workload at 100/s following the live Route 53
weights, and the orchestration role's state machine executed by the emulator. At the end: every weighted record
(A and AAAA) at 0/100, the writer in eu-west-1, the lock released after the execution held it (in migration_lock's
format, refusing migration_lock - what shift.yml runs - meanwhile), every phase of the table shifted in order, and
the reconciliation shows lost = 0 and no duplicate. The failure paths are in
tests/integration/test_unattended_migration.py.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import _payment_stack as ps

from tests.conftest import CREDENTIALS, phase_percents, run_module, wait_until
from tests.state_machine_render import LOCK, lock_value, render

LAST_PHASE = "100 % to eu-west-1, writer eu-west-1"
FAST = {"workload_tick_seconds": 0.05, "retry_base_seconds": 0.05, "retry_max_seconds": 0.5,
        "payment_deadline_seconds": 30}


def shift_lock_attempt(aws) -> dict:
    """What shift.yml runs first: migration_lock for another run."""
    from ansible_collections.payments.region_migration.plugins.modules import migration_lock

    return run_module(migration_lock, {
        "name": LOCK, "owner": "bob", "run_id": "shift-2", "region": "eu-west-1",
        "endpoint_url": aws("ssm").meta.endpoint_url, "access_key": CREDENTIALS["aws_access_key_id"],
        "secret_key": CREDENTIALS["aws_secret_access_key"]})


def test_unattended_migration_to_the_last_phase_loses_no_payment(aws, control):
    assert control("POST", "/_emulator/config", FAST)[0] == 200
    stack = ps.build(aws, weights={"us-east-1": 100, "eu-west-1": 0})
    cloudwatch = aws("cloudwatch", "eu-west-1")
    cloudwatch.put_metric_alarm(
        AlarmName="alarm-replication-lag-test", Namespace="AWS/RDS", MetricName="AuroraGlobalDBRPOLag",
        Statistic="Maximum", Dimensions=[{"Name": "DBClusterIdentifier", "Value": "aurora-euw1"}], Period=60,
        EvaluationPeriods=1, Threshold=1e9, ComparisonOperator="GreaterThanThreshold", TreatMissingData="notBreaching")
    cloudwatch.set_alarm_state(AlarmName="alarm-replication-lag-test", StateValue="OK", StateReason="test")
    east, west = stack["regions"]["us-east-1"], stack["regions"]["eu-west-1"]
    definition = render(
        orchestration_hosted_zone_id=stack["zone_id"].split("/")[-1], orchestration_record_name=ps.RECORD,
        orchestration_source_alias_dns_name=east["lb_dns"], orchestration_source_alias_zone_id=east["lb_zone"],
        orchestration_target_alias_dns_name=west["lb_dns"], orchestration_target_alias_zone_id=west["lb_zone"],
        orchestration_record_types=["A", "AAAA"], orchestration_alarm_names=["alarm-replication-lag-test"],
        orchestration_global_cluster_identifier="gdb-pay",
        orchestration_lock_name=LOCK, orchestration_poll_seconds=1,
        __orchestration_source_cluster_arn=stack["primary"]["DBClusterArn"],
        __orchestration_target_cluster_arn=stack["secondary"]["DBClusterArn"])
    sfn = aws("stepfunctions")
    machine = sfn.create_state_machine(name="sfn-migration-pay", definition=json.dumps(definition),
                                       roleArn="arn:aws:iam::123456789012:role/sfn")["stateMachineArn"]
    status, body = control("POST", "/_emulator/workload/start", {"rate": 100, "zone_name": ps.ZONE,
                                                                  "record_name": ps.RECORD})
    assert status == 200, body
    try:
        expires = (datetime.now(UTC) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        execution = sfn.start_execution(stateMachineArn=machine, input=json.dumps({
            "target_phase": 4, "bake_seconds": 1, "lag_window_seconds": 6, "lock_expires": expires}))["executionArn"]
        deadline = time.monotonic() + 150
        held, refusals = [], []
        while (described := sfn.describe_execution(executionArn=execution))["status"] == "RUNNING":
            assert time.monotonic() < deadline, "the execution did not end in time"
            held.append(lock_value(aws))
            if held[-1] and not refusals:
                refusals.append(shift_lock_attempt(aws))
            time.sleep(1)
        # payments after the switchover, on eu-west-1's writer, and the volume asserted below: a loaded machine
        # ticks the workload less often (each tick creates rate x tick payments, however late it comes)
        def paid() -> bool:
            live = control("GET", "/_emulator/workload/report")[1]
            return LAST_PHASE in [p["phase"] for p in live["phases"]] and live["totals"]["attempted"] > 1000

        wait_until(paid, "payments after the switchover, more than 1000 in all")
    finally:
        status, report = control("POST", "/_emulator/workload/stop", {"drain_seconds": 20})
    assert described["status"] == "SUCCEEDED", (described.get("error"), described.get("cause"))
    writer = [m for m in aws("rds", "us-east-1").describe_global_clusters(GlobalClusterIdentifier="gdb-pay")[
        "GlobalClusters"][0]["GlobalClusterMembers"] if m["IsWriter"]]
    assert writer[0]["DBClusterArn"] == stack["secondary"]["DBClusterArn"]
    records = aws("route53", "us-east-1").list_resource_record_sets(HostedZoneId=stack["zone_id"])[
        "ResourceRecordSets"]
    weights = {(r["Type"], r["SetIdentifier"]): r["Weight"] for r in records if "SetIdentifier" in r}
    assert weights == {("A", "us-east-1"): 0, ("A", "eu-west-1"): 100,
                       ("AAAA", "us-east-1"): 0, ("AAAA", "eu-west-1"): 100}
    # the execution held the lock in migration_lock's format, shift.yml's lock refused, and it is released
    taken = [lock for lock in held if lock]
    assert taken and taken[0]["run_id"] == execution and taken[0]["owner"] == "stepfunctions:sfn-migration-pay"
    assert refusals and refusals[0]["failed"] and "stepfunctions:sfn-migration-pay" in refusals[0]["msg"]
    assert lock_value(aws) is None
    # every phase of the table, in order, then the writer
    states = [e["stateEnteredEventDetails"]["name"] for e in sfn.get_execution_history(
        executionArn=execution, maxResults=1000)["events"] if "stateEnteredEventDetails" in e]
    shifts = [name for name in states if name.startswith("Shift") and name[5:].isdigit()]
    assert shifts == [f"Shift{n}" for n in range(1, len(phase_percents()))]
    assert states.index("Switchover") > states.index(shifts[-1])
    totals = report["totals"]
    assert totals["attempted"] > 1000
    assert totals["lost"] == 0 and totals["duplicates"] == 0, report
    assert report["phases"][-1]["phase"] == LAST_PHASE
