"""aurora_lag_gate against the emulator: verdicts on crafted CloudWatch series, global cluster checks.

The emulator publishes a baseline lag (100-300 ms) for every secondary every few seconds; the
tests add their own datapoints with put_metric_data (and, where the baseline must be high, a
``replication_lag`` fault) and use small windows and periods so that they stay fast. Nothing here
writes to AWS apart from the set-up: the gate is read-only, and the tests check that the global
cluster read back with boto3 is unchanged.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from ansible_collections.payments.region_migration.plugins.module_utils import _gate_lag
from ansible_collections.payments.region_migration.plugins.modules import aurora_lag_gate as module

from tests.conftest import emulator_call

ENGINE_VERSION = "8.0.mysql_aurora.3.05.2"
RPO = "AuroraGlobalDBRPOLag"
_names = itertools.count(1)


@dataclass
class GlobalDB:
    identifier: str
    primary_arn: str
    secondary_id: str
    secondary_arn: str


def create_global_db(aws, engine_version: str = ENGINE_VERSION) -> GlobalDB:
    n = next(_names)
    identifier, primary, secondary = f"gdb-lag-{n}", f"aurora-lag-use1-{n}", f"aurora-lag-euw1-{n}"
    primary_arn = aws("rds", "us-east-1").create_db_cluster(
        DBClusterIdentifier=primary, Engine="aurora-mysql", EngineVersion=engine_version,
        MasterUsername="admin", MasterUserPassword="not-a-real-password-1")["DBCluster"]["DBClusterArn"]
    aws("rds", "us-east-1").create_global_cluster(GlobalClusterIdentifier=identifier,
                                                  SourceDBClusterIdentifier=primary_arn)
    secondary_arn = aws("rds", "eu-west-1").create_db_cluster(
        DBClusterIdentifier=secondary, Engine="aurora-mysql", EngineVersion=engine_version,
        GlobalClusterIdentifier=identifier)["DBCluster"]["DBClusterArn"]
    return GlobalDB(identifier, primary_arn, secondary, secondary_arn)


@pytest.fixture
def gdb(aws) -> GlobalDB:
    return create_global_db(aws)


def put_lag(aws, cluster_id: str, points: list[tuple[float, float]], metric: str = RPO) -> None:
    """Datapoints ``(seconds before now, value ms)`` with both dimension sets the lag is published with."""
    now = datetime.now(UTC)
    data = []
    for ago, value in points:
        for dims in ([{"Name": "DBClusterIdentifier", "Value": cluster_id}],
                     [{"Name": "DBClusterIdentifier", "Value": cluster_id},
                      {"Name": "SourceRegion", "Value": "us-east-1"}]):
            data.append({"MetricName": metric, "Dimensions": dims, "Value": value, "Unit": "Milliseconds",
                         "Timestamp": now - timedelta(seconds=ago)})
    aws("cloudwatch", "eu-west-1").put_metric_data(Namespace="AWS/RDS", MetricData=data)


def members(aws, identifier: str) -> list[tuple[str, bool]]:
    clusters = aws("rds", "us-east-1").describe_global_clusters(GlobalClusterIdentifier=identifier)["GlobalClusters"]
    [cluster] = [c for c in clusters if c["GlobalClusterIdentifier"] == identifier]
    return sorted((m["DBClusterArn"], m["IsWriter"]) for m in cluster["GlobalClusterMembers"])


def gate_args(module_args, gdb: GlobalDB, **extra) -> dict:
    return {**module_args, "region": "eu-west-1", "global_cluster_identifier": gdb.identifier,
            "secondary_cluster_identifier": gdb.secondary_id, "window_seconds": 60, "period_seconds": 10,
            "poll_interval": 1, **extra}


@pytest.mark.parametrize("check_mode", [False, True], ids=["run", "check-mode"])
def test_low_lag_passes_and_changes_nothing(aws, gdb, module_args, run, check_mode):
    before = members(aws, gdb.identifier)
    put_lag(aws, gdb.secondary_id, [(ago, 150.0) for ago in (55, 45, 35, 25, 15, 5)])

    result = run(module, gate_args(module_args, gdb), check_mode=check_mode)

    assert result.get("failed") is not True, result.get("msg")
    assert result["changed"] is False
    assert result["healthy"] is True and result["verdict"] == "pass"
    assert result["metric_name"] == RPO
    assert result["threshold_ms"] == 1000.0
    assert result["datapoints"] == len(result["samples"]) >= 6
    assert 150.0 <= result["maximum"] < 1000.0
    assert result["maximum"] == max(s["value"] for s in result["samples"])
    assert "at or below 1000 ms" in result["reason"]
    status = result["global_cluster_status"]
    assert status["status"] == "available"
    assert status["secondary_cluster_arn"] == gdb.secondary_arn
    assert members(aws, gdb.identifier) == before


def test_secondary_given_as_arn_without_region(aws, gdb, module_args, run):
    put_lag(aws, gdb.secondary_id, [(ago, 120.0) for ago in (50, 30, 10)])
    args = gate_args(module_args, gdb, secondary_cluster_identifier=gdb.secondary_arn)
    del args["region"]

    result = run(module, args)

    assert result["healthy"] is True
    assert result["global_cluster_status"]["secondary_cluster_arn"] == gdb.secondary_arn


def test_high_lag_fails_the_task_with_the_reason(aws, gdb, emulator, module_args, run):
    emulator_call(emulator, "POST", "/_emulator/faults",
                  {"kind": "replication_lag", "value_ms": 5000, "cluster": gdb.secondary_id, "duration": 120})
    put_lag(aws, gdb.secondary_id, [(ago, 5000.0) for ago in (45, 25, 5, 1)])

    result = run(module, gate_args(module_args, gdb))

    assert result["failed"] is True
    assert result["changed"] is False
    assert result["healthy"] is False and result["verdict"] == "fail"
    assert result["msg"] == result["reason"]
    assert "above 1000 ms" in result["msg"]
    assert result["maximum"] == 5000.0
    assert result["samples"]


def test_fail_on_unhealthy_false_reports_without_failing(aws, gdb, emulator, module_args, run):
    emulator_call(emulator, "POST", "/_emulator/faults",
                  {"kind": "replication_lag", "value_ms": 2500, "cluster": gdb.secondary_id, "duration": 120})
    put_lag(aws, gdb.secondary_id, [(ago, 2500.0) for ago in (45, 25, 5, 1)])

    result = run(module, gate_args(module_args, gdb, fail_on_unhealthy=False, threshold_ms=2000))

    assert result.get("failed") is not True
    assert result["healthy"] is False and result["verdict"] == "fail"
    assert "above 2000 ms" in result["reason"]


@pytest.mark.parametrize(("consecutive", "healthy"), [(3, True), (5, False)])
def test_spike_counts_only_within_the_newest_consecutive_samples(aws, gdb, module_args, run, consecutive, healthy):
    # One sample per 10 s period; the spike is the 4th newest of six.
    put_lag(aws, gdb.secondary_id, [(55, 150.0), (45, 150.0), (35, 4000.0), (25, 150.0), (15, 150.0), (5, 150.0)])

    result = run(module, gate_args(module_args, gdb, consecutive_healthy=consecutive, fail_on_unhealthy=False))

    assert result["healthy"] is healthy
    assert result["maximum"] == 4000.0


def test_too_few_datapoints_fail_unless_allowed(aws, gdb, module_args, run):
    put_lag(aws, gdb.secondary_id, [(ago, 100.0) for ago in (50, 30, 10)])

    strict = run(module, gate_args(module_args, gdb, min_datapoints=30))
    lenient = run(module, gate_args(module_args, gdb, min_datapoints=30, allow_no_data=True))

    assert strict["failed"] is True
    assert "no data is never healthy" in strict["msg"]
    assert "need 30" in strict["msg"]
    assert lenient.get("failed") is not True
    assert lenient["healthy"] is True
    assert "allow_no_data" in lenient["reason"]


def test_metric_without_data_fails(aws, gdb, module_args, run):
    result = run(module, gate_args(module_args, gdb, metric_name="AuroraGlobalDBProgressLag"))

    assert result["failed"] is True
    assert result["datapoints"] == 0 and result["samples"] == [] and result["maximum"] is None
    assert "AuroraGlobalDBProgressLag: no datapoints" in result["msg"]


def test_cluster_that_is_not_a_member_fails(aws, gdb, module_args, run):
    aws("rds", "eu-west-1").create_db_cluster(
        DBClusterIdentifier="aurora-lonely-euw1", Engine="aurora-mysql", EngineVersion=ENGINE_VERSION,
        MasterUsername="admin", MasterUserPassword="not-a-real-password-1")
    put_lag(aws, "aurora-lonely-euw1", [(ago, 100.0) for ago in (50, 30, 10)])

    result = run(module, gate_args(module_args, gdb, secondary_cluster_identifier="aurora-lonely-euw1"))

    assert result["failed"] is True
    assert f"aurora-lonely-euw1 is not a member of global cluster {gdb.identifier}" in result["msg"]
    assert result["global_cluster_status"]["secondary_cluster_arn"] is None


def test_missing_global_cluster_fails(aws, gdb, module_args, run):
    result = run(module, gate_args(module_args, gdb, global_cluster_identifier="gdb-does-not-exist"))

    assert result["failed"] is True
    assert "global cluster gdb-does-not-exist not found" in result["msg"]
    assert result["global_cluster_status"] == {"found": False}


def test_engine_version_chooses_the_metric(aws, module_args, run):
    old = create_global_db(aws, engine_version="8.0.mysql_aurora.3.02.0")
    put_lag(aws, old.secondary_id, [(ago, 100.0) for ago in (50, 30, 10)], metric="AuroraGlobalDBReplicationLag")

    result = run(module, gate_args(module_args, old))

    assert result["metric_name"] == "AuroraGlobalDBReplicationLag"
    assert result["healthy"] is True


def test_wait_mode_waits_until_healthy(aws, gdb, emulator, module_args, run, monkeypatch):
    fault = emulator_call(emulator, "POST", "/_emulator/faults",
                          {"kind": "replication_lag", "value_ms": 5000, "cluster": gdb.secondary_id})["fault"]
    put_lag(aws, gdb.secondary_id, [(3, 5000.0), (2, 5000.0), (1, 5000.0), (0, 5000.0)])
    original = _gate_lag.lag_samples
    calls = []

    def lag_recovers_after_first_read(*args, **kwargs):
        samples = original(*args, **kwargs)
        calls.append(samples)
        if len(calls) == 1:
            # The replication catches up: the baseline is back to normal and new datapoints are low.
            emulator_call(emulator, "DELETE", f"/_emulator/faults?id={fault['id']}")
            time.sleep(1.1)
            put_lag(aws, gdb.secondary_id, [(0, 90.0)])
        return samples

    monkeypatch.setattr(_gate_lag, "lag_samples", lag_recovers_after_first_read)
    result = run(module, gate_args(module_args, gdb, mode="wait", window_seconds=10, period_seconds=1,
                                   min_datapoints=1, timeout=20))

    assert result.get("failed") is not True, result.get("msg")
    assert result["healthy"] is True
    assert result["attempts"] >= 2
    assert calls[0][-1]["value"] == 5000.0
    assert result["maximum"] == 5000.0  # the spike is still in the window, but no longer the newest sample


def test_wait_mode_times_out(aws, gdb, module_args, run):
    result = run(module, gate_args(module_args, gdb, mode="wait", min_datapoints=500, timeout=5))

    assert result["failed"] is True
    assert result["msg"].startswith("still unhealthy after 5 s")
    assert result["attempts"] >= 2


def test_throttled_reads_are_retried(aws, gdb, emulator, module_args, run):
    put_lag(aws, gdb.secondary_id, [(ago, 100.0) for ago in (50, 30, 10)])
    emulator_call(emulator, "POST", "/_emulator/faults",
                  {"kind": "api_error", "action": "DescribeGlobalClusters", "count": 2, "error": "Throttling"})

    result = run(module, gate_args(module_args, gdb,
                                   aws_config={"retries": {"mode": "standard", "total_max_attempts": 1}}))

    assert result.get("failed") is not True, result.get("msg")
    assert result["healthy"] is True
    assert emulator_call(emulator, "GET", "/_emulator/faults")["faults"] == []


@pytest.mark.parametrize(("option", "value", "message"), [
    ("period_seconds", 0, "period_seconds must be greater than 0"),
    ("window_seconds", 5, "period_seconds must not be greater than window_seconds"),
    ("timeout", -1, "timeout must not be negative"),
])
def test_invalid_options_are_refused(gdb, module_args, run, option, value, message):
    result = run(module, gate_args(module_args, gdb, **{option: value}))

    assert result["failed"] is True
    assert message in result["msg"]


def test_switchover_in_progress_fails(aws, gdb, emulator, module_args, run):
    put_lag(aws, gdb.secondary_id, [(ago, 100.0) for ago in (50, 30, 10)])
    emulator_call(emulator, "POST", "/_emulator/config", {"switchover_seconds": 30})
    aws("rds", "us-east-1").switchover_global_cluster(GlobalClusterIdentifier=gdb.identifier,
                                                      TargetDbClusterIdentifier=gdb.secondary_arn)

    result = run(module, gate_args(module_args, gdb))

    assert result["failed"] is True
    assert "switchover in progress" in result["msg"]
    assert result["global_cluster_status"]["failover_state"] in ("pending", "switching-over")
