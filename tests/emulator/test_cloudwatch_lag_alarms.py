"""The monitoring role's lag alarms against a real global database: they follow the lag Aurora
publishes (exact dimensions and unit) and survive the cutover (issue 8 item 4).

Runs tests/roles/monitoring/converge.yml with a 10 s period (extra vars) so that one period without
data passes quickly; the emulator evaluates the alarms on demand.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import wait_until

REPO = Path(__file__).resolve().parents[2]
SUFFIX = "rehearsal"  # migration_env_suffix of the local inventory
SOURCE, TARGET = "us-east-1", "eu-west-1"
ALARM = f"alarm-replication-lag-{SUFFIX}"


@pytest.fixture
def gdb(aws):
    east, west = aws("rds", SOURCE), aws("rds", TARGET)
    primary = east.create_db_cluster(DBClusterIdentifier=f"aurora-source-{SUFFIX}", Engine="aurora-mysql",
                                     MasterUsername="admin", MasterUserPassword="not-a-real-password")["DBCluster"]
    east.create_global_cluster(GlobalClusterIdentifier="gdb-role", SourceDBClusterIdentifier=primary["DBClusterArn"])
    secondary = west.create_db_cluster(DBClusterIdentifier=f"aurora-payment-{SUFFIX}", Engine="aurora-mysql",
                                       GlobalClusterIdentifier="gdb-role")["DBCluster"]
    return {"primary": primary["DBClusterArn"], "secondary": secondary["DBClusterArn"]}


def _converge(emulator: str) -> None:
    env = {**os.environ, "EMULATOR_PORT": emulator.rsplit(":", 1)[1], "ANSIBLE_CONFIG": str(REPO / "ansible.cfg")}
    playbook = Path(sys.executable).parent / "ansible-playbook"
    result = subprocess.run([str(playbook), "tests/roles/monitoring/converge.yml",
                             "-e", "monitoring_period=10", "-e", "monitoring_evaluation_periods=1"],
                            cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]


def _states(control) -> dict[str, str]:
    control("POST", "/_emulator/signals/publish")
    status, body = control("POST", "/_emulator/alarms/evaluate")
    assert status == 200, body
    return {region: body["alarms"].get(region, {}).get(ALARM) for region in (SOURCE, TARGET)}


def test_lag_alarms_follow_the_secondary_across_the_cutover(aws, gdb, emulator, control, add_fault):
    _converge(emulator)
    # before the cutover: eu-west-1 is the secondary and is watched; the us-east-1 primary has no lag
    assert _states(control) == {TARGET: "OK", SOURCE: "INSUFFICIENT_DATA"}
    fault = add_fault("replication_lag", value_ms=4000, cluster=f"aurora-payment-{SUFFIX}", duration=60)
    assert _states(control)[TARGET] == "ALARM"
    control("DELETE", f"/_emulator/faults?id={fault['id']}")

    control("POST", "/_emulator/config", {"switchover_seconds": 0.2})
    aws("rds", SOURCE).switchover_global_cluster(GlobalClusterIdentifier="gdb-role",
                                                 TargetDbClusterIdentifier=gdb["secondary"])
    wait_until(lambda: aws("rds").describe_global_clusters(GlobalClusterIdentifier="gdb-role")["GlobalClusters"][0][
        "Status"] == "available", "the switchover's end")
    time.sleep(10.5)  # one period (10 s) without eu-west-1 lag: the new primary's alarm has no data
    # after the cutover: the eu-west-1 alarm is not in ALARM for being the primary; us-east-1 is watched
    assert _states(control) == {TARGET: "INSUFFICIENT_DATA", SOURCE: "OK"}
    add_fault("replication_lag", value_ms=4000, cluster=f"aurora-source-{SUFFIX}", duration=60)
    assert _states(control) == {TARGET: "INSUFFICIENT_DATA", SOURCE: "ALARM"}
