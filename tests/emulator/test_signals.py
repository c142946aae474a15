"""Simulated Aurora lag signals (emulator/signals.py) and the replication_lag fault."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import next_whole_second, published, wait_until

PRIMARY_REGION, SECONDARY_REGION = "us-east-1", "eu-west-1"
LOW = float(os.environ.get("EMULATOR_LAG_MIN_MS", "100"))
HIGH = float(os.environ.get("EMULATOR_LAG_MAX_MS", "300"))


@pytest.fixture
def gdb(aws):
    east, west = aws("rds", PRIMARY_REGION), aws("rds", SECONDARY_REGION)
    primary = east.create_db_cluster(DBClusterIdentifier="aurora-use1", Engine="aurora-mysql", MasterUsername="admin",
                                     MasterUserPassword="not-a-real-password")["DBCluster"]
    east.create_global_cluster(GlobalClusterIdentifier="gdb-signals", SourceDBClusterIdentifier=primary["DBClusterArn"])
    secondary = west.create_db_cluster(DBClusterIdentifier="aurora-euw1", Engine="aurora-mysql",
                                       GlobalClusterIdentifier="gdb-signals")["DBCluster"]
    return {"primary": primary["DBClusterArn"], "secondary": secondary["DBClusterArn"]}


def _stats(aws, region, cluster, metric="AuroraGlobalDBReplicationLag", source_region=None, start=None):
    """Statistics of the datapoints stamped from start (default: the last 5 minutes), or None."""
    dimensions = [{"Name": "DBClusterIdentifier", "Value": cluster}]
    if source_region:
        dimensions.append({"Name": "SourceRegion", "Value": source_region})
    now = datetime.now(UTC)
    points = aws("cloudwatch", region).get_metric_statistics(
        Namespace="AWS/RDS", MetricName=metric, Dimensions=dimensions, StartTime=start or now - timedelta(minutes=5),
        EndTime=now + timedelta(minutes=1), Period=3600, Statistics=["Minimum", "Maximum", "SampleCount"],
        Unit="Milliseconds")["Datapoints"]
    return points[0] if points else None


def _published_from(aws, control, start, metric="AuroraGlobalDBReplicationLag", cluster="aurora-euw1"):
    """Publish until the secondary has a datapoint of metric stamped from start on; their statistics."""
    return published(control, lambda: _stats(aws, SECONDARY_REGION, cluster, metric, start=start),
                     f"a {metric} datapoint stamped from {start}")


def test_publish_writes_lag_for_the_secondary_in_its_region(aws, gdb, control):
    assert control("GET", "/_emulator/signals") == (200, {"secondaries": [
        {"region": SECONDARY_REGION, "cluster": "aurora-euw1", "source_region": PRIMARY_REGION}]})
    assert control("POST", "/_emulator/signals/publish") == (200, {"published": 4})
    for metric in ("AuroraGlobalDBReplicationLag", "AuroraGlobalDBRPOLag"):
        # (the server's own publisher thread may add datapoints at any time: no exact counts)
        point = _stats(aws, SECONDARY_REGION, "aurora-euw1", metric)
        assert point["SampleCount"] >= 1
        assert LOW <= point["Minimum"] <= point["Maximum"] <= HIGH
        with_source = _stats(aws, SECONDARY_REGION, "aurora-euw1", metric, source_region=PRIMARY_REGION)
        assert LOW <= with_source["Minimum"] <= with_source["Maximum"] <= HIGH
    # nothing for the primary, nothing in the primary's region
    assert _stats(aws, PRIMARY_REGION, "aurora-use1") is None
    assert _stats(aws, SECONDARY_REGION, "aurora-use1") is None


def test_replication_lag_fault_overrides_then_expires(aws, gdb, control, add_fault):
    # Only datapoints stamped after the fault was set are read: the server's publisher thread may have written
    # normal ones just before. The overriding fault outlives the reads; its removal is explicit.
    fault = add_fault("replication_lag", value_ms=4500, duration=300, cluster="aurora-euw1")
    start = next_whole_second()
    for metric in ("AuroraGlobalDBReplicationLag", "AuroraGlobalDBRPOLag"):
        point = _published_from(aws, control, start, metric)
        assert point["Minimum"] == point["Maximum"] == 4500.0
    assert control("DELETE", f"/_emulator/faults?id={fault['id']}") == (200, {"cleared": 1})
    # a fault that ends by itself no longer overrides
    add_fault("replication_lag", value_ms=7777, duration=0.5, cluster="aurora-euw1")
    wait_until(lambda: not control("GET", "/_emulator/faults")[1]["faults"], "the lag fault's expiry")
    point = _published_from(aws, control, next_whole_second())
    assert LOW <= point["Minimum"] <= point["Maximum"] <= HIGH
    # a fault for another cluster does not touch this one
    add_fault("replication_lag", value_ms=9999, duration=300, cluster="some-other-cluster")
    point = _published_from(aws, control, next_whole_second())
    assert LOW <= point["Minimum"] <= point["Maximum"] <= HIGH


def test_after_a_switchover_the_old_primary_gets_the_signals(aws, gdb, control):
    control("POST", "/_emulator/config", {"switchover_seconds": 0.2})
    aws("rds", SECONDARY_REGION).switchover_global_cluster(GlobalClusterIdentifier="gdb-signals",
                                                           TargetDbClusterIdentifier=gdb["secondary"])
    wait_until(lambda: aws("rds").describe_global_clusters(GlobalClusterIdentifier="gdb-signals")["GlobalClusters"][0][
        "Status"] == "available", "the switchover's end")
    assert control("GET", "/_emulator/signals")[1] == {"secondaries": [
        {"region": PRIMARY_REGION, "cluster": "aurora-use1", "source_region": SECONDARY_REGION}]}
    control("POST", "/_emulator/signals/publish")
    assert LOW <= _stats(aws, PRIMARY_REGION, "aurora-use1", source_region=SECONDARY_REGION)["Maximum"] <= HIGH


def test_background_publisher_repeats_and_survives_errors(monkeypatch):
    """The server's publisher thread (in-process, publish_once stubbed): repeats, survives errors, stops."""
    from emulator import signals

    calls = []

    def publish_once():
        calls.append(time.monotonic())
        if len(calls) == 2:
            raise RuntimeError("a failed publication must not stop the thread")
        return 0

    monkeypatch.setattr(signals, "publish_once", publish_once)
    monkeypatch.setenv("EMULATOR_SIGNAL_INTERVAL", "0.05")
    publisher = signals.SignalPublisher()
    assert publisher.interval == 0.05
    publisher.start()
    # No timing is asserted (a loaded machine stretches any interval; timing belongs in the benchmark):
    # the thread must publish again after the failed second publication, and stop when told.
    deadline = time.monotonic() + 30
    while len(calls) < 4 and time.monotonic() < deadline:
        time.sleep(0.01)
    publisher.stop()
    publisher.join(timeout=5)
    assert not publisher.is_alive()
    assert len(calls) >= 4
