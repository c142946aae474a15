"""Global writer endpoint and global write forwarding (emulator/ext_rds.py), through boto3.

botocore's RDS model: ``GlobalCluster.Endpoint`` ("the writer endpoint ... always points to the
writer DB instance in the current primary cluster"); ``CreateDBCluster`` / ``ModifyDBCluster``
``EnableGlobalWriteForwarding``; ``DBCluster.GlobalWriteForwardingRequested`` /
``GlobalWriteForwardingStatus`` and ``GlobalClusterMember.GlobalWriteForwardingStatus`` (enabled |
disabled | enabling | disabling | unknown), which exist for secondary clusters.
"""

from __future__ import annotations

import re
import time

import pytest

ENGINE = "aurora-mysql"
VERSION = "8.0.mysql_aurora.3.05.2"
ENDPOINT = re.compile(r"^gdb-test\.global-[0-9a-z]+\.global\.rds\.amazonaws\.com$")


def _cluster(aws, region, identifier, global_cluster=None, **extra):
    params = {"DBClusterIdentifier": identifier, "Engine": ENGINE, "EngineVersion": VERSION, **extra}
    if global_cluster:
        params["GlobalClusterIdentifier"] = global_cluster
    else:
        params.update(MasterUsername="admin", MasterUserPassword="not-a-real-password")
    return aws("rds", region).create_db_cluster(**params)["DBCluster"]


@pytest.fixture
def gdb(aws):
    primary = _cluster(aws, "us-east-1", "aurora-use1")
    aws("rds", "us-east-1").create_global_cluster(GlobalClusterIdentifier="gdb-test",
                                                  SourceDBClusterIdentifier=primary["DBClusterArn"])
    secondary = _cluster(aws, "eu-west-1", "aurora-euw1", global_cluster="gdb-test")
    return {"primary": primary, "secondary": secondary}


def _global(aws, region="eu-west-1"):
    return aws("rds", region).describe_global_clusters(GlobalClusterIdentifier="gdb-test")["GlobalClusters"][0]


def _described(aws, region, identifier):
    return aws("rds", region).describe_db_clusters(DBClusterIdentifier=identifier)["DBClusters"][0]


def _member(global_cluster, arn):
    return next(m for m in global_cluster["GlobalClusterMembers"] if m["DBClusterArn"] == arn)


def test_global_writer_endpoint_is_stable_and_region_independent(aws, gdb, control):
    endpoint = _global(aws)["Endpoint"]
    assert ENDPOINT.match(endpoint), endpoint
    assert _global(aws, "us-east-1")["Endpoint"] == endpoint
    # it names the global cluster, not a member cluster, and survives a switchover
    assert endpoint not in (gdb["primary"]["Endpoint"], gdb["secondary"]["Endpoint"])
    control("POST", "/_emulator/config", {"switchover_seconds": 0.2})
    aws("rds", "us-east-1").switchover_global_cluster(GlobalClusterIdentifier="gdb-test",
                                                      TargetDbClusterIdentifier=gdb["secondary"]["DBClusterArn"])
    time.sleep(0.3)
    after = _global(aws)
    assert _member(after, gdb["secondary"]["DBClusterArn"])["IsWriter"] is True
    assert after["Endpoint"] == endpoint


def test_write_forwarding_is_off_by_default_and_reported_for_the_secondary(aws, gdb):
    secondary = _described(aws, "eu-west-1", "aurora-euw1")
    assert secondary["GlobalWriteForwardingRequested"] is False
    assert secondary["GlobalWriteForwardingStatus"] == "disabled"
    primary = _described(aws, "us-east-1", "aurora-use1")
    assert "GlobalWriteForwardingStatus" not in primary  # only a secondary has a status
    member = _member(_global(aws), gdb["secondary"]["DBClusterArn"])
    assert member["GlobalWriteForwardingStatus"] == "disabled"
    assert "GlobalWriteForwardingStatus" not in _member(_global(aws), gdb["primary"]["DBClusterArn"])


def test_modify_db_cluster_turns_write_forwarding_on_and_off(aws, gdb):
    west = aws("rds", "eu-west-1")
    modified = west.modify_db_cluster(DBClusterIdentifier="aurora-euw1", EnableGlobalWriteForwarding=True,
                                      ApplyImmediately=True)["DBCluster"]
    assert modified["GlobalWriteForwardingRequested"] is True
    described = _described(aws, "eu-west-1", "aurora-euw1")
    assert (described["GlobalWriteForwardingRequested"], described["GlobalWriteForwardingStatus"]) == (True, "enabled")
    assert _member(_global(aws), gdb["secondary"]["DBClusterArn"])["GlobalWriteForwardingStatus"] == "enabled"
    # a modification without the parameter keeps it
    west.modify_db_cluster(DBClusterIdentifier="aurora-euw1", BackupRetentionPeriod=3, ApplyImmediately=True)
    assert _described(aws, "eu-west-1", "aurora-euw1")["GlobalWriteForwardingStatus"] == "enabled"
    west.modify_db_cluster(DBClusterIdentifier="aurora-euw1", EnableGlobalWriteForwarding=False,
                           ApplyImmediately=True)
    described = _described(aws, "eu-west-1", "aurora-euw1")
    assert (described["GlobalWriteForwardingRequested"], described["GlobalWriteForwardingStatus"]) == (
        False, "disabled")


def test_create_db_cluster_with_write_forwarding(aws, gdb):
    created = _cluster(aws, "eu-central-1", "aurora-euc1", global_cluster="gdb-test",
                       EnableGlobalWriteForwarding=True)
    assert created["GlobalWriteForwardingRequested"] is True
    assert _described(aws, "eu-central-1", "aurora-euc1")["GlobalWriteForwardingStatus"] == "enabled"


def test_forwarding_requested_on_the_primary_applies_once_it_is_demoted(aws, gdb, control):
    aws("rds", "us-east-1").modify_db_cluster(DBClusterIdentifier="aurora-use1", EnableGlobalWriteForwarding=True,
                                              ApplyImmediately=True)
    primary = _described(aws, "us-east-1", "aurora-use1")
    assert primary["GlobalWriteForwardingRequested"] is True
    assert "GlobalWriteForwardingStatus" not in primary  # "does nothing until" the primary is demoted
    control("POST", "/_emulator/config", {"switchover_seconds": 0.2})
    aws("rds", "us-east-1").switchover_global_cluster(GlobalClusterIdentifier="gdb-test",
                                                      TargetDbClusterIdentifier=gdb["secondary"]["DBClusterArn"])
    time.sleep(0.3)
    assert _described(aws, "us-east-1", "aurora-use1")["GlobalWriteForwardingStatus"] == "enabled"
    assert "GlobalWriteForwardingStatus" not in _described(aws, "eu-west-1", "aurora-euw1")


def test_write_forwarding_is_refused_outside_a_global_database(aws, gdb):
    """AWS sets it "only on Aurora DB clusters that are members of an Aurora global database"."""
    from botocore.exceptions import ClientError

    message = "Requested global functionality, but global cluster identifier is not specified"
    west = aws("rds", "eu-west-1")
    with pytest.raises(ClientError) as excinfo:
        _cluster(aws, "eu-west-1", "standalone", EnableGlobalWriteForwarding=True)
    assert excinfo.value.response["Error"] == {"Code": "InvalidParameterCombination", "Message": message,
                                               "Type": "Sender"}
    assert [c["DBClusterIdentifier"] for c in west.describe_db_clusters()["DBClusters"]] == ["aurora-euw1"]
    _cluster(aws, "eu-west-1", "standalone")
    with pytest.raises(ClientError) as excinfo:
        west.modify_db_cluster(DBClusterIdentifier="standalone", EnableGlobalWriteForwarding=True,
                               ApplyImmediately=True)
    assert excinfo.value.response["Error"]["Code"] == "InvalidParameterCombination"
    assert _described(aws, "eu-west-1", "standalone")["GlobalWriteForwardingRequested"] is False
    # turning it off, or leaving it out, is no global functionality
    west.modify_db_cluster(DBClusterIdentifier="standalone", EnableGlobalWriteForwarding=False, ApplyImmediately=True)
    # a cluster removed from the global database is standalone again
    west.remove_from_global_cluster(GlobalClusterIdentifier="gdb-test",
                                    DbClusterIdentifier=gdb["secondary"]["DBClusterArn"])
    with pytest.raises(ClientError) as excinfo:
        west.modify_db_cluster(DBClusterIdentifier="aurora-euw1", EnableGlobalWriteForwarding=True,
                               ApplyImmediately=True)
    assert excinfo.value.response["Error"]["Code"] == "InvalidParameterCombination"
