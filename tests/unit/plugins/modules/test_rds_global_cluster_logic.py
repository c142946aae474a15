"""Pure helpers of rds_global_cluster (module_utils/_rds_global.py) and its describe wrappers."""

from __future__ import annotations

import botocore.exceptions
import pytest
from ansible_collections.payments.region_migration.plugins.module_utils._rds_global import (
    describe_db_cluster,
    describe_global_cluster,
    find_member,
    global_cluster_differences,
    is_arn,
    members_after_removal,
    predicted_global_cluster,
)

USE1 = "arn:aws:rds:us-east-1:123456789012:cluster:aurora-use1"
EUW1 = "arn:aws:rds:eu-west-1:123456789012:cluster:aurora-euw1"
V = "8.0.mysql_aurora.3.05.2"
CURRENT = {
    "GlobalClusterIdentifier": "gdb",
    "Engine": "aurora-mysql",
    "EngineVersion": V,
    "StorageEncrypted": True,
    "DeletionProtection": False,
    "GlobalClusterMembers": [{"DBClusterArn": USE1, "IsWriter": True}, {"DBClusterArn": EUW1, "IsWriter": False}],
}


@pytest.mark.parametrize("desired, expected", [
    ({}, []),
    ({"Engine": "AURORA-MYSQL", "EngineVersion": V, "StorageEncrypted": True, "SourceDBClusterIdentifier": USE1}, []),
    ({"SourceDBClusterIdentifier": EUW1}, []),  # any member counts (after a switchover the source is a reader)
    ({"EngineVersion": "8.0.mysql_aurora.3.04.0"}, ["engine_version is"]),
    ({"StorageEncrypted": False}, ["storage_encrypted is True, not False"]),
    ({"Engine": "aurora-postgresql", "SourceDBClusterIdentifier": "arn:aws:rds:us-east-1:1:cluster:x"},
     ["engine is", "is not a member"]),
    ({"DeletionProtection": True}, []),  # modifiable: handled by the module, not a difference
])
def test_global_cluster_differences(desired, expected):
    differences = global_cluster_differences(CURRENT, desired)
    assert len(differences) == len(expected)
    for difference, text in zip(differences, expected, strict=True):
        assert text in difference


@pytest.mark.parametrize("desired, source, members, engine, encrypted", [
    ({"Engine": "aurora-mysql"}, None, [], "aurora-mysql", False),
    ({"Engine": "aurora-mysql", "StorageEncrypted": True}, None, [], "aurora-mysql", True),
    ({}, {"DBClusterArn": USE1, "Engine": "aurora-mysql", "EngineVersion": V, "StorageEncrypted": True},
     [USE1], "aurora-mysql", True),
])
def test_predicted_global_cluster(desired, source, members, engine, encrypted):
    predicted = predicted_global_cluster("gdb", desired, source)
    assert [m["DBClusterArn"] for m in predicted["GlobalClusterMembers"]] == members
    assert predicted["Engine"] == engine and predicted["StorageEncrypted"] is encrypted
    assert predicted["Status"] == "available"


@pytest.mark.parametrize("remove, left", [
    ([EUW1], [USE1]), ([EUW1.upper()], [USE1]), ([USE1, EUW1], []), ([], [USE1, EUW1]),
])
def test_members_after_removal(remove, left):
    after = members_after_removal(CURRENT, remove)
    assert [m["DBClusterArn"] for m in after["GlobalClusterMembers"]] == left
    assert len(CURRENT["GlobalClusterMembers"]) == 2  # not mutated


@pytest.mark.parametrize("value, expected", [(USE1, True), ("aurora-use1", False), (None, False), ("", False)])
def test_is_arn(value, expected):
    assert is_arn(value) is expected


def test_find_member():
    assert find_member(CURRENT, EUW1.upper()) == EUW1
    assert find_member(CURRENT, "arn:aws:rds:eu-west-1:1:cluster:nope") is None
    assert find_member(None, EUW1) is None


class FakeRDS:
    """describe_* answering from fixed data, or raising the AWS 'not found' error."""

    def __init__(self, global_clusters=None, missing=False):
        self.global_clusters = global_clusters or []
        self.missing = missing

    def _not_found(self, code, operation):
        return botocore.exceptions.ClientError({"Error": {"Code": code, "Message": "not found"}}, operation)

    def describe_global_clusters(self, GlobalClusterIdentifier, aws_retry):  # noqa: N803
        assert aws_retry is True
        if self.missing:
            raise self._not_found("GlobalClusterNotFoundFault", "DescribeGlobalClusters")
        return {"GlobalClusters": self.global_clusters}

    def describe_db_clusters(self, DBClusterIdentifier, aws_retry):  # noqa: N803
        assert aws_retry is True
        if self.missing:
            raise self._not_found("DBClusterNotFoundFault", "DescribeDBClusters")
        return {"DBClusters": [{"DBClusterIdentifier": DBClusterIdentifier}] if self.global_clusters else []}


@pytest.mark.parametrize("client, identifier, found", [
    (FakeRDS([CURRENT]), "GDB", True),
    (FakeRDS([{"GlobalClusterIdentifier": "other"}, CURRENT]), "gdb", True),  # filter ignored by the endpoint
    (FakeRDS([{"GlobalClusterIdentifier": "other"}]), "gdb", False),
    (FakeRDS(missing=True), "gdb", False),
])
def test_describe_global_cluster(client, identifier, found):
    assert (describe_global_cluster(client, identifier) is CURRENT) is found


def test_describe_db_cluster():
    assert describe_db_cluster(FakeRDS([CURRENT]), "aurora-use1") == {"DBClusterIdentifier": "aurora-use1"}
    assert describe_db_cluster(FakeRDS([]), "aurora-use1") is None
    assert describe_db_cluster(FakeRDS(missing=True), "aurora-use1") is None
