"""provision.yml's overlap of the database layer (issue 14), against the emulator in realistic-latency mode.

The database role with database_wait: false returns while the Aurora secondary cluster and both instances
are still 'creating' (requested together, nothing awaited); tasks_from: wait returns once all of them are
'available'. A second run changes nothing and --check changes nothing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from emulator import latency
from tests.conftest import emulator_call

REPO = Path(__file__).resolve().parents[2]
PLAYBOOK = "tests/integration/playbooks/database_overlap.yml"


def _stack(aws) -> dict[str, str]:
    """The inputs of the database role, built with latency mode still off."""
    east, ec2, kms = aws("rds", "us-east-1"), aws("ec2"), aws("kms")
    primary = east.create_db_cluster(DBClusterIdentifier="aurora-source-overlap", Engine="aurora-mysql",
                                     EngineVersion="8.0.mysql_aurora.3.05.2", MasterUsername="admin",
                                     MasterUserPassword="not-a-real-password", StorageEncrypted=True)["DBCluster"]
    vpc_id = ec2.create_vpc(CidrBlock="10.44.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc_id, CidrBlock=f"10.44.{i}.0/24", AvailabilityZone=f"eu-west-1{az}")
               ["Subnet"]["SubnetId"] for i, az in enumerate("ab")]
    group = ec2.create_security_group(GroupName="sg-overlap", Description="overlap test", VpcId=vpc_id)["GroupId"]
    key = kms.create_key(Description="overlap test")["KeyMetadata"]["Arn"]
    return {"overlap_source_cluster_arn": primary["DBClusterArn"], "overlap_subnet_ids": subnets,
            "overlap_security_group_id": group, "overlap_kms_key_arn": key}


def _play(emulator: str, extra: dict, report: Path, *args: str) -> str:
    env = {**os.environ, "EMULATOR_PORT": emulator.rsplit(":", 1)[1], "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"),
           "OVERLAP_REPORT": str(report)}
    result = subprocess.run([str(Path(sys.executable).parent / "ansible-playbook"), PLAYBOOK,
                             "-e", json.dumps(extra), *args],
                            cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    return result.stdout


def _utc(text: str) -> datetime:
    """An ISO 8601 time, UTC when it names no zone (Ansible's now(utc=true))."""
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def test_database_is_requested_without_waiting_and_joined_later(aws, emulator, tmp_path):
    extra = _stack(aws)
    # 2 s per real minute: the cluster (20 min) is creating for 40 s, each instance (10 min) for 20 s, more
    # than the role needs to return (a few tasks) even at load 12 (at 1 s per minute the writer instance was
    # available before the role returned, in two clones' `make test` at once); the join waits about 40 s
    scale = 2
    assert emulator_call(emulator, "POST", "/_emulator/config", {"latency_scale": scale})["latency_scale"] == scale
    report = tmp_path / "overlap.json"
    _play(emulator, extra, report)
    # right after the role returned, the cluster and both instances were still being created: nothing was
    # awaited. Each is judged by when the reads were answered: read within its pending time from its creation,
    # it must be 'creating' (a loaded machine may read later: then the join below is what is checked)
    started = json.loads(report.read_text())
    read_done = _utc(started["read_done"])
    seen = [(started["cluster"], started["cluster_created"], "aurora_cluster")] + [
        (status, created, "aurora_instance")
        for status, created in zip(started["instances"], started["instances_created"], strict=True)]
    assert len(seen) == 3
    for status, created, kind in seen:
        assert status in ("creating", "available"), seen
        if read_done < _utc(created) + timedelta(seconds=latency.FIGURES[kind].minutes * scale):
            assert status == "creating", (kind, created, started["read_done"], status)
    # after the join, AWS says the cluster and both instances are available
    rds = aws("rds")
    assert rds.describe_db_clusters(DBClusterIdentifier="aurora-payment-overlap")["DBClusters"][0]["Status"] \
        == "available"
    instances = rds.describe_db_instances(Filters=[{"Name": "db-cluster-id",
                                                     "Values": ["aurora-payment-overlap"]}])["DBInstances"]
    assert sorted((i["DBInstanceIdentifier"], i["DBInstanceStatus"]) for i in instances) == [
        ("aurora-payment-reader-overlap", "available"), ("aurora-payment-writer-overlap", "available")]
    # idempotent (the re-run finds everything available: its join does not poll), and check mode changes nothing
    assert "changed=0 " in _play(emulator, extra, tmp_path / "again.json")
    assert "changed=0 " in _play(emulator, extra, tmp_path / "check.json", "--check")
