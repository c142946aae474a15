"""The emulator's Aurora global database additions (emulator/ext_rds.py), through boto3."""

from __future__ import annotations

import os
import time

import pytest
from botocore.exceptions import ClientError

from tests.conftest import wait_until

ENGINE = "aurora-postgresql"
VERSION = "15.4"
PRIMARY_REGION = "us-east-1"
SECONDARY_REGION = "eu-west-1"
SWITCHOVER_SECONDS = float(os.environ.get("EMULATOR_SWITCHOVER_SECONDS", "2"))  # the server's setting


def _cluster(aws, region, identifier, version=VERSION, global_cluster=None, **extra):
    params = {"DBClusterIdentifier": identifier, "Engine": ENGINE, "EngineVersion": version, **extra}
    if global_cluster:
        params["GlobalClusterIdentifier"] = global_cluster
    else:
        params.update(MasterUsername="admin", MasterUserPassword="not-a-real-password")
    return aws("rds", region).create_db_cluster(**params)["DBCluster"]


@pytest.fixture
def gdb(aws):
    """gdb-test: primary in us-east-1 (writer), secondary in eu-west-1 (reader)."""
    primary = _cluster(aws, PRIMARY_REGION, "aurora-use1", StorageEncrypted=True)
    aws("rds", PRIMARY_REGION).create_global_cluster(GlobalClusterIdentifier="gdb-test",
                                                     SourceDBClusterIdentifier=primary["DBClusterArn"])
    secondary = _cluster(aws, SECONDARY_REGION, "aurora-euw1", global_cluster="gdb-test", StorageEncrypted=True,
                         KmsKeyId="arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555")
    return {"primary": primary["DBClusterArn"], "secondary": secondary["DBClusterArn"]}


@pytest.fixture
def fast_switchover(control):
    """Switchovers take 0.3 s in this test (POST /_emulator/config; the next reset restores the default)."""
    status, settings = control("POST", "/_emulator/config", {"switchover_seconds": 0.3})
    assert (status, settings["switchover_seconds"]) == (200, 0.3)
    return 0.3


def _global(aws, region=SECONDARY_REGION, identifier="gdb-test"):
    return aws("rds", region).describe_global_clusters(GlobalClusterIdentifier=identifier)["GlobalClusters"][0]


def _writer(global_cluster):
    return [m["DBClusterArn"] for m in global_cluster["GlobalClusterMembers"] if m["IsWriter"]]


def _error(excinfo):
    return excinfo.value.response["Error"]["Code"]


def test_global_database_across_regions(aws, gdb):
    global_cluster = _global(aws)
    assert global_cluster["Status"] == "available"
    assert "FailoverState" not in global_cluster
    assert global_cluster["StorageEncrypted"] is True  # inherited from the source cluster
    assert _writer(global_cluster) == [gdb["primary"]]
    writer = next(m for m in global_cluster["GlobalClusterMembers"] if m["IsWriter"])
    assert writer["Readers"] == [gdb["secondary"]]
    # the secondary joined without master credentials and kept its KMS key
    secondary = aws("rds", SECONDARY_REGION).describe_db_clusters(DBClusterIdentifier="aurora-euw1")["DBClusters"][0]
    assert secondary["GlobalClusterIdentifier"] == "gdb-test"
    assert "MasterUsername" not in secondary
    assert secondary["KmsKeyId"].endswith("key/11111111-2222-3333-4444-555555555555")
    primary = aws("rds", PRIMARY_REGION).describe_db_clusters(DBClusterIdentifier="aurora-use1")["DBClusters"][0]
    assert primary["GlobalClusterIdentifier"] == "gdb-test"  # the identifier, not the ARN
    assert primary["KmsKeyId"].startswith("arn:aws:kms:us-east-1:")  # encrypted without a key: AWS default key


def test_describe_global_clusters_filters_and_not_found(aws, gdb):
    aws("rds", PRIMARY_REGION).create_global_cluster(GlobalClusterIdentifier="other", Engine=ENGINE)
    rds = aws("rds", SECONDARY_REGION)
    assert sorted(c["GlobalClusterIdentifier"] for c in rds.describe_global_clusters()["GlobalClusters"]) == [
        "gdb-test", "other"]
    assert [c["GlobalClusterIdentifier"] for c in rds.describe_global_clusters(
        GlobalClusterIdentifier="GDB-TEST")["GlobalClusters"]] == ["gdb-test"]
    by_member = rds.describe_global_clusters(Filters=[{"Name": "db-cluster-id", "Values": [gdb["secondary"]]}])
    assert [c["GlobalClusterIdentifier"] for c in by_member["GlobalClusters"]] == ["gdb-test"]
    with pytest.raises(ClientError) as excinfo:
        rds.describe_global_clusters(GlobalClusterIdentifier="missing")
    assert _error(excinfo) == "GlobalClusterNotFoundFault"
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_switchover_moves_the_writer_after_a_transition(aws, gdb, control):
    # 5 s (the next reset restores the default): the reads below fit in it on a loaded machine too
    seconds = 5.0
    assert control("POST", "/_emulator/config", {"switchover_seconds": seconds})[0] == 200
    sent = time.monotonic()
    started = aws("rds", SECONDARY_REGION).switchover_global_cluster(
        GlobalClusterIdentifier="gdb-test", TargetDbClusterIdentifier=gdb["secondary"])["GlobalCluster"]
    answered = time.monotonic()
    assert started["Status"] == "switching-over"
    assert started["FailoverState"] == {"Status": "pending", "FromDbClusterArn": gdb["primary"],
                                        "ToDbClusterArn": gdb["secondary"], "IsDataLossAllowed": False}
    # while it runs, the old writer stays the writer and a second request is refused
    during = _global(aws, PRIMARY_REGION)
    assert during["Status"] == "switching-over" and _writer(during) == [gdb["primary"]]
    with pytest.raises(ClientError) as excinfo:
        aws("rds", SECONDARY_REGION).switchover_global_cluster(
            GlobalClusterIdentifier="gdb-test", TargetDbClusterIdentifier=gdb["secondary"])
    assert _error(excinfo) == "InvalidGlobalClusterStateFault"
    # It ends by itself. The server started it after `sent` and before `answered`: a read answered within
    # `seconds` of `sent` sees it running (pending in the first half), one sent after half of it from
    # `answered` sees it past pending. No read is timed; each is placed by when it was sent and answered.
    reads = []

    def ended() -> bool:
        read_sent = time.monotonic()
        cluster = _global(aws)
        reads.append((read_sent - answered, time.monotonic() - sent, cluster))
        return cluster["Status"] == "available"

    wait_until(ended, "the switchover's end")
    for read_sent, read_answered, cluster in reads:
        if read_answered < seconds:
            assert cluster["Status"] == "switching-over", (read_answered, cluster)
        if read_answered < seconds / 2:
            assert cluster["FailoverState"]["Status"] == "pending", (read_answered, cluster)
        if read_sent > seconds / 2 and cluster["Status"] == "switching-over":
            assert cluster["FailoverState"]["Status"] == "switching-over", (read_sent, cluster)
    done = _global(aws)
    assert done["Status"] == "available"
    assert "FailoverState" not in done
    assert _writer(done) == [gdb["secondary"]]
    new_writer = next(m for m in done["GlobalClusterMembers"] if m["IsWriter"])
    assert new_writer["Readers"] == [gdb["primary"]]
    # switching back is allowed once done; switching to the writer is not
    with pytest.raises(ClientError) as excinfo:
        aws("rds", PRIMARY_REGION).switchover_global_cluster(
            GlobalClusterIdentifier="gdb-test", TargetDbClusterIdentifier=gdb["secondary"])
    assert _error(excinfo) == "InvalidParameterValue"


def test_switchover_errors(aws, gdb):
    rds = aws("rds", SECONDARY_REGION)
    _cluster(aws, SECONDARY_REGION, "standalone")
    cases = [
        ({"GlobalClusterIdentifier": "missing", "TargetDbClusterIdentifier": gdb["secondary"]},
         "GlobalClusterNotFoundFault"),
        ({"GlobalClusterIdentifier": "gdb-test", "TargetDbClusterIdentifier": gdb["primary"]},
         "InvalidParameterValue"),  # already the writer
        ({"GlobalClusterIdentifier": "gdb-test",
          "TargetDbClusterIdentifier": "arn:aws:rds:eu-west-1:123456789012:cluster:nope"}, "DBClusterNotFoundFault"),
        ({"GlobalClusterIdentifier": "gdb-test", "TargetDbClusterIdentifier": "standalone"},
         "InvalidParameterValue"),  # exists, not a member
    ]
    for params, code in cases:
        with pytest.raises(ClientError) as excinfo:
            rds.switchover_global_cluster(**params)
        assert _error(excinfo) == code, params
    # an identifier (not an ARN) is looked up in the caller's region
    with pytest.raises(ClientError) as excinfo:
        aws("rds", PRIMARY_REGION).switchover_global_cluster(GlobalClusterIdentifier="gdb-test",
                                                             TargetDbClusterIdentifier="aurora-euw1")
    assert _error(excinfo) == "DBClusterNotFoundFault"
    assert _global(aws)["Status"] == "available"
    assert _writer(_global(aws)) == [gdb["primary"]]


def test_switchover_refuses_members_with_different_engine_versions(aws):
    primary = _cluster(aws, PRIMARY_REGION, "aurora-use1")
    aws("rds", PRIMARY_REGION).create_global_cluster(GlobalClusterIdentifier="gdb-test",
                                                     SourceDBClusterIdentifier=primary["DBClusterArn"])
    secondary = _cluster(aws, SECONDARY_REGION, "aurora-euw1", version="15.5", global_cluster="gdb-test")
    rds = aws("rds", SECONDARY_REGION)
    with pytest.raises(ClientError) as excinfo:
        rds.switchover_global_cluster(GlobalClusterIdentifier="gdb-test",
                                      TargetDbClusterIdentifier=secondary["DBClusterArn"])
    assert _error(excinfo) == "InvalidParameterCombination"
    with pytest.raises(ClientError) as excinfo:
        rds.failover_global_cluster(GlobalClusterIdentifier="gdb-test",
                                    TargetDbClusterIdentifier=secondary["DBClusterArn"], Switchover=True)
    assert _error(excinfo) == "InvalidParameterCombination"
    # an unplanned failover (data loss allowed) does not need matching versions
    started = rds.failover_global_cluster(GlobalClusterIdentifier="gdb-test",
                                          TargetDbClusterIdentifier=secondary["DBClusterArn"],
                                          AllowDataLoss=True)["GlobalCluster"]
    assert started["Status"] == "failing-over"
    assert started["FailoverState"]["IsDataLossAllowed"] is True
    assert _global(aws)["Status"] == "failing-over"


def test_failover_with_data_loss_and_switchover_flag(aws, gdb, fast_switchover):
    rds = aws("rds", SECONDARY_REGION)
    with pytest.raises(ClientError) as excinfo:
        rds.failover_global_cluster(GlobalClusterIdentifier="gdb-test", TargetDbClusterIdentifier=gdb["secondary"],
                                    AllowDataLoss=True, Switchover=True)
    assert _error(excinfo) == "InvalidParameterCombination"
    with pytest.raises(ClientError) as excinfo:
        rds.failover_global_cluster(GlobalClusterIdentifier="missing", TargetDbClusterIdentifier=gdb["secondary"])
    assert _error(excinfo) == "GlobalClusterNotFoundFault"
    started = rds.failover_global_cluster(GlobalClusterIdentifier="gdb-test",
                                          TargetDbClusterIdentifier=gdb["secondary"], Switchover=True)
    assert started["GlobalCluster"]["Status"] == "switching-over"
    assert started["GlobalCluster"]["FailoverState"]["IsDataLossAllowed"] is False
    time.sleep(fast_switchover + 0.1)
    after = _global(aws)
    assert (after["Status"], _writer(after)) == ("available", [gdb["secondary"]])


def test_remove_from_global_cluster_from_the_secondary_region(aws, gdb):
    rds = aws("rds", SECONDARY_REGION)
    removed = rds.remove_from_global_cluster(GlobalClusterIdentifier="gdb-test",
                                             DbClusterIdentifier=gdb["secondary"])["GlobalCluster"]
    assert [m["DBClusterArn"] for m in removed["GlobalClusterMembers"]] == [gdb["primary"]]
    assert [m["DBClusterArn"] for m in _global(aws, PRIMARY_REGION)["GlobalClusterMembers"]] == [gdb["primary"]]
    standalone = rds.describe_db_clusters(DBClusterIdentifier="aurora-euw1")["DBClusters"][0]
    assert "GlobalClusterIdentifier" not in standalone
    # not a member any more; an unknown global cluster
    with pytest.raises(ClientError) as excinfo:
        rds.remove_from_global_cluster(GlobalClusterIdentifier="gdb-test", DbClusterIdentifier=gdb["secondary"])
    assert _error(excinfo) == "InvalidParameterValue"
    with pytest.raises(ClientError) as excinfo:
        rds.remove_from_global_cluster(GlobalClusterIdentifier="missing", DbClusterIdentifier=gdb["secondary"])
    assert _error(excinfo) == "GlobalClusterNotFoundFault"
    # a standalone cluster can be deleted
    rds.delete_db_cluster(DBClusterIdentifier="aurora-euw1", SkipFinalSnapshot=True)
    assert rds.describe_db_clusters()["DBClusters"] == []


def test_members_cannot_be_deleted_and_global_cluster_deletion_rules(aws, gdb):
    east, west = aws("rds", PRIMARY_REGION), aws("rds", SECONDARY_REGION)
    with pytest.raises(ClientError) as excinfo:
        west.delete_db_cluster(DBClusterIdentifier="aurora-euw1", SkipFinalSnapshot=True)
    assert _error(excinfo) == "InvalidDBClusterStateFault"
    with pytest.raises(ClientError) as excinfo:
        west.delete_global_cluster(GlobalClusterIdentifier="gdb-test")
    assert _error(excinfo) == "InvalidGlobalClusterStateFault"
    with pytest.raises(ClientError) as excinfo:
        west.delete_global_cluster(GlobalClusterIdentifier="missing")
    assert _error(excinfo) == "GlobalClusterNotFoundFault"
    west.remove_from_global_cluster(GlobalClusterIdentifier="gdb-test", DbClusterIdentifier=gdb["secondary"])
    east.remove_from_global_cluster(GlobalClusterIdentifier="gdb-test", DbClusterIdentifier="aurora-use1")
    west.modify_global_cluster(GlobalClusterIdentifier="gdb-test", DeletionProtection=True)
    assert _global(aws)["DeletionProtection"] is True
    with pytest.raises(ClientError) as excinfo:
        west.delete_global_cluster(GlobalClusterIdentifier="gdb-test")
    assert _error(excinfo) == "InvalidParameterCombination"
    west.modify_global_cluster(GlobalClusterIdentifier="gdb-test", DeletionProtection=False)
    deleted = west.delete_global_cluster(GlobalClusterIdentifier="gdb-test")["GlobalCluster"]
    assert deleted["GlobalClusterIdentifier"] == "gdb-test"
    assert east.describe_global_clusters()["GlobalClusters"] == []


def test_create_rules(aws, gdb):
    east = aws("rds", PRIMARY_REGION)
    with pytest.raises(ClientError) as excinfo:
        east.create_global_cluster(GlobalClusterIdentifier="gdb-test", Engine=ENGINE)
    assert _error(excinfo) == "GlobalClusterAlreadyExistsFault"
    with pytest.raises(ClientError) as excinfo:
        east.create_global_cluster(GlobalClusterIdentifier="gdb-two", SourceDBClusterIdentifier=gdb["primary"])
    assert _error(excinfo) == "InvalidDBClusterStateFault"  # already in a global cluster
    with pytest.raises(ClientError) as excinfo:
        _cluster(aws, SECONDARY_REGION, "orphan", global_cluster="missing")
    assert _error(excinfo) == "GlobalClusterNotFoundFault"
    assert [c["DBClusterIdentifier"] for c in aws("rds", SECONDARY_REGION).describe_db_clusters()["DBClusters"]] == [
        "aurora-euw1"]
    plain = _cluster(aws, SECONDARY_REGION, "plain")
    assert "KmsKeyId" not in plain  # unencrypted: no key, as in AWS
    # an empty global cluster: the first cluster that joins becomes the writer
    east.create_global_cluster(GlobalClusterIdentifier="empty", Engine=ENGINE, EngineVersion=VERSION,
                               Tags=[{"Key": "stack", "Value": "test"}])
    first = _cluster(aws, PRIMARY_REGION, "first", global_cluster="empty")
    created = _global(aws, identifier="empty")
    assert _writer(created) == [first["DBClusterArn"]]
    assert created["TagList"] == [{"Key": "stack", "Value": "test"}]
    renamed = east.modify_global_cluster(GlobalClusterIdentifier="empty",
                                         NewGlobalClusterIdentifier="renamed")["GlobalCluster"]
    assert renamed["GlobalClusterIdentifier"] == "renamed"
    first_now = east.describe_db_clusters(DBClusterIdentifier="first")["DBClusters"][0]
    assert first_now["GlobalClusterIdentifier"] == "renamed"


def test_switchover_duration_is_configurable_until_reset(control):
    def setting():
        return control("GET", "/_emulator/config")[1]["switchover_seconds"]

    assert setting() == SWITCHOVER_SECONDS
    status, settings = control("POST", "/_emulator/config", {"switchover_seconds": 0.5})
    assert (status, settings["switchover_seconds"]) == (200, 0.5)
    assert setting() == 0.5
    for refused in ({"switchover_seconds": -1}, {"switchover_seconds": "soon"}, {"colour": "red"},
                    {"switchover_seconds": 1, "colour": "red"}, {"switchover_seconds": True}):
        assert control("POST", "/_emulator/config", refused)[0] == 400
    assert setting() == 0.5  # a refused request changes nothing, not even its valid part
    assert control("POST", "/moto-api/reset")[0] == 200
    assert setting() == SWITCHOVER_SECONDS


def test_a_cluster_without_a_group_uses_the_family_default_group_which_exists(aws):
    # AWS names the default cluster parameter group after the family (default.aurora-mysql8.0) and
    # it can be described like any group; moto said default.aurora8.0 and knew no such group.
    rds = aws("rds", PRIMARY_REGION)
    assert _cluster(aws, PRIMARY_REGION, "pg-postgres")["DBClusterParameterGroup"] == "default.aurora-postgresql15"
    cluster = _cluster(aws, PRIMARY_REGION, "pg-default", Engine="aurora-mysql", version="8.0.mysql_aurora.3.05.2")
    assert cluster["DBClusterParameterGroup"] == "default.aurora-mysql8.0"
    described = rds.describe_db_clusters(DBClusterIdentifier="pg-default")["DBClusters"][0]
    assert described["DBClusterParameterGroup"] == "default.aurora-mysql8.0"
    group = rds.describe_db_cluster_parameter_groups(
        DBClusterParameterGroupName="default.aurora-mysql8.0")["DBClusterParameterGroups"][0]
    assert group["DBParameterGroupFamily"] == "aurora-mysql8.0"
    assert rds.describe_db_cluster_parameters(
        DBClusterParameterGroupName="default.aurora-mysql8.0", Source="user")["Parameters"] == []
    with pytest.raises(ClientError):
        rds.describe_db_cluster_parameter_groups(DBClusterParameterGroupName="cpg-does-not-exist")
