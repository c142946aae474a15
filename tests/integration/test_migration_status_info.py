"""migration_status_info against the emulator: phase from the weights, writer, lag and traffic verdicts.

The expected values are read from the emulator with boto3 (weights, global cluster members, target
health, alarm states) and compared with what the module reports.
"""

from __future__ import annotations

import time

import pytest
from ansible_collections.payments.region_migration.plugins.modules import migration_status_info as module
from ansible_collections.payments.region_migration.plugins.modules import route53_weighted_shift

from tests.conftest import emulator_call, phase_percents
from tests.integration._gate_helpers import build_stack, create_global_db, members, put_lag
from tests.integration.test_route53_weighted_shift import RECORD, ZONE, alias_record, weights


@pytest.fixture
def zone(aws) -> str:
    r53 = aws("route53", "us-east-1")
    zone_id = r53.create_hosted_zone(Name=ZONE, CallerReference="status-test")["HostedZone"]["Id"].split("/")[-1]
    r53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": [
        {"Action": "CREATE", "ResourceRecordSet": alias_record(r, w)} for r, w in (("us-east-1", 100),
                                                                                     ("eu-west-1", 0))]})
    return zone_id


def status_args(module_args, **extra) -> dict:
    return {**module_args, "region": "eu-west-1", "zone": ZONE, "record_name": RECORD,
            "source_identifier": "us-east-1", "target_identifier": "eu-west-1",
            "phase_percents": phase_percents(), **extra}


def set_weights(aws, zone_id: str, use1: int, euw1: int) -> None:
    aws("route53", "us-east-1").change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": [
        {"Action": "UPSERT", "ResourceRecordSet": alias_record("us-east-1", use1)},
        {"Action": "UPSERT", "ResourceRecordSet": alias_record("eu-west-1", euw1)}]})


def test_phase_follows_the_weights(aws, zone, module_args, run):
    start = run(module, status_args(module_args), check_mode=True)
    assert start["changed"] is False
    assert start["weights"] == weights(aws, zone) == {"us-east-1": 100, "eu-west-1": 0}
    assert (start["phase"], start["target_percent"], start["source_percent"]) == (0, 0.0, 100.0)
    assert start["lag"] is None and start["traffic"] is None and start["writer_region"] is None

    shifted = run(route53_weighted_shift, {**module_args, "zone": ZONE, "record_name": RECORD,
                                           "target_identifier": "eu-west-1", "percent": 75})
    assert shifted["changed"] is True
    third = run(module, status_args(module_args))
    assert third["weights"] == weights(aws, zone) == {"us-east-1": 25, "eu-west-1": 75}
    assert (third["phase"], third["target_percent"]) == (3, 75.0)

    set_weights(aws, zone, 60, 40)
    by_id = status_args(module_args, hosted_zone_id=zone)
    del by_id["zone"]
    between = run(module, by_id)
    assert between["phase"] is None
    assert between["target_percent"] == 40.0

    custom = run(module, status_args(module_args, phase_percents=[0, 40, 100]))
    assert custom["phase"] == 1


def test_full_status_with_global_database_and_traffic(aws, zone, module_args, run):
    gdb = create_global_db(aws)
    stack = build_stack(aws)
    put_lag(aws, gdb.secondary_id, [(ago, 140.0) for ago in (50, 40, 30, 20, 10)])
    aws("cloudwatch", "eu-west-1").set_alarm_state(AlarmName=stack.alarm_names[0], StateValue="ALARM",
                                                   StateReason="test")

    result = run(module, status_args(
        module_args, global_cluster_identifier=gdb.identifier, target_cluster_identifier=gdb.secondary_id,
        lag_window_seconds=60, lag_period_seconds=10, target_group_arn=stack.target_group_arn,
        alarm_names=stack.alarm_names, load_balancer=stack.load_balancer_arn,
    ), check_mode=True)

    assert result.get("failed") is not True, result.get("msg")
    clusters = aws("rds", "us-east-1").describe_global_clusters(GlobalClusterIdentifier=gdb.identifier)
    [cluster] = [c for c in clusters["GlobalClusters"] if c["GlobalClusterIdentifier"] == gdb.identifier]
    writers = [m["DBClusterArn"] for m in cluster["GlobalClusterMembers"] if m["IsWriter"]]
    assert result["writer_cluster_arn"] == (writers[0] if writers else None)
    assert result["writer_region"] == (writers[0].split(":")[3] if writers else None)
    lag = result["lag"]
    assert lag["healthy"] is True and lag["verdict"] == "pass"
    assert lag["secondary_cluster_arn"] == gdb.secondary_arn
    assert lag["metric_name"] == "AuroraGlobalDBRPOLag"
    assert 140.0 <= lag["maximum"] < 1000.0
    traffic = result["traffic"]
    assert traffic["healthy"] is False and traffic["verdict"] == "fail"
    assert traffic["healthy_targets"] == 2
    assert traffic["alarms"] == {stack.alarm_names[0]: "ALARM", stack.alarm_names[1]: "OK"}
    assert traffic["error_rate"] == 0.0
    assert "in ALARM" in traffic["reason"]


def test_lag_of_a_global_cluster_that_does_not_exist(aws, zone, module_args, run):
    result = run(module, status_args(module_args, global_cluster_identifier="gdb-nope",
                                     target_cluster_identifier="aurora-nope"))

    assert result.get("failed") is not True
    assert result["lag"]["healthy"] is False
    assert "global cluster gdb-nope not found" in result["lag"]["reason"]
    assert result["writer_cluster_arn"] is None


def test_lag_without_a_cluster_to_read(aws, zone, module_args, run):
    gdb = create_global_db(aws)

    result = run(module, status_args(module_args, global_cluster_identifier=gdb.identifier))

    # Without target_cluster_identifier the secondary is only known once a writer is known.
    if result["writer_cluster_arn"] is None:
        assert result["lag"]["healthy"] is False
        assert "no secondary cluster" in result["lag"]["reason"]
    else:
        assert result["lag"]["secondary_cluster_arn"] == gdb.secondary_arn


@pytest.mark.parametrize(("extra", "message"), [
    ({"target_identifier": "ap-south-1"}, "'ap-south-1' is not in the record set"),
    ({"zone": "nowhere.example.com"}, "not found"),
    ({"record_name": "www.payments-test.example.com"}, "not found"),
    ({"phase_percents": [0, 150]}, "phase_percents: percent must be an integer from 0 to 100"),
    ({"lag_window_seconds": 0}, "lag_window_seconds must be greater than 0"),
])
def test_errors_fail_clearly(aws, zone, module_args, run, extra, message):
    result = run(module, status_args(module_args, **extra))

    assert result["failed"] is True
    assert message in result["msg"]
    assert weights(aws, zone) == {"us-east-1": 100, "eu-west-1": 0}


def test_after_a_switchover_the_writer_is_the_target_and_the_old_primary_is_gated(aws, zone, emulator, module_args,
                                                                                  run):
    gdb = create_global_db(aws)
    emulator_call(emulator, "POST", "/_emulator/config", {"switchover_seconds": 0.3})
    aws("rds", "us-east-1").switchover_global_cluster(GlobalClusterIdentifier=gdb.identifier,
                                                      TargetDbClusterIdentifier=gdb.secondary_arn)
    time.sleep(0.6)
    emulator_call(emulator, "POST", "/_emulator/signals/publish")

    result = run(module, status_args(module_args, global_cluster_identifier=gdb.identifier,
                                     target_cluster_identifier=gdb.secondary_id, lag_min_datapoints=1,
                                     lag_window_seconds=60, lag_period_seconds=10))

    writers = [arn for arn, is_writer in members(aws, gdb.identifier) if is_writer]
    assert writers == [gdb.secondary_arn]
    assert result["writer_cluster_arn"] == gdb.secondary_arn
    assert result["writer_region"] == "eu-west-1"
    assert result["lag"]["secondary_cluster_arn"] == gdb.primary_arn
    assert result["lag"]["healthy"] is True, result["lag"]["reason"]


def put_aaaa(aws, zone_id: str, use1: int, euw1: int) -> None:
    changes = []
    for region, weight in (("us-east-1", use1), ("eu-west-1", euw1)):
        record = alias_record(region, weight)
        record["Type"] = "AAAA"
        changes.append({"Action": "UPSERT", "ResourceRecordSet": record})
    aws("route53", "us-east-1").change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": changes})


PHASES = [{"phase": 0, "target_percent": 0, "writer": "source"}, {"phase": 1, "target_percent": 25},
          {"phase": 2, "target_percent": 50}, {"phase": 3, "target_percent": 75},
          {"phase": 4, "target_percent": 100, "writer": "target"}]


def test_a_and_aaaa_read_together_and_disagreement_is_flagged(aws, zone, module_args, run):
    """Issue 8 item 11: the weights of every weighted type are read; A and AAAA that disagree are flagged."""
    set_weights(aws, zone, 75, 25)
    put_aaaa(aws, zone, 75, 25)
    agree = run(module, status_args(module_args, phases=PHASES))
    assert agree["record_types"] == ["A", "AAAA"] and agree["weights_consistent"] is True
    assert agree["phase"] == 1
    assert agree["location"] == {"phase": 1, "exact": True, "target_percent": 25, "writer_at_target": False,
                                 "last_phase": 4}

    put_aaaa(aws, zone, 100, 0)
    disagree = run(module, status_args(module_args, phases=PHASES))
    assert disagree.get("failed") is not True
    assert disagree["weights_consistent"] is False
    assert disagree["phase"] is None and disagree["location"] is None
    assert disagree["weights_by_type"]["AAAA"] == {"us-east-1": 100, "eu-west-1": 0}
    assert any("different shares" in warning for warning in disagree["warnings"])


def test_old_option_names_still_work(aws, zone, module_args, run):
    result = run(module, status_args(module_args, record_type="A", max_5xx_rate=2.0))
    assert result.get("failed") is not True, result.get("msg")
    assert result["record_type"] == "A"
