"""payments.region_migration.rds_global_cluster against the emulator (state read back with boto3)."""

from __future__ import annotations

import pytest
from ansible_collections.payments.region_migration.plugins.modules import rds_global_cluster

from tests.integration._global_db_helpers import (
    ENGINE,
    ENGINE_VERSION,
    PRIMARY_REGION,
    SECONDARY_REGION,
    add_fault,
    create_cluster,
    create_global_db,
    members,
    pending_faults,
    read_global_cluster,
)

GDB = "gdb-payments-test"


@pytest.fixture
def gc(run, module_args):
    """gc(**options) -> result of rds_global_cluster (check_mode / diff / region as keywords)."""

    def call(check_mode=False, diff=False, region=PRIMARY_REGION, **options):
        args = {**module_args, "region": region, "global_cluster_identifier": GDB, **options}
        return run(rds_global_cluster, args, check_mode=check_mode, diff=diff)

    return call


def test_create_from_source_check_mode_real_run_idempotent(aws, gc):
    source = create_cluster(aws, PRIMARY_REGION, "aurora-payments-use1")

    checked = gc(check_mode=True, diff=True, source_db_cluster_identifier=source)
    assert checked["changed"] is True
    assert checked["diff"]["before"] == {}
    assert checked["diff"]["after"]["global_cluster_members"][0]["db_cluster_arn"] == source
    assert read_global_cluster(aws, GDB) is None

    created = gc(diff=True, source_db_cluster_identifier=source)
    assert created["changed"] is True, created
    after = read_global_cluster(aws, GDB)
    assert after is not None and members(after) == [source]
    assert after["Engine"] == ENGINE and after["EngineVersion"] == ENGINE_VERSION
    assert created["global_cluster"]["global_cluster_arn"] == after["GlobalClusterArn"]
    assert created["global_cluster"]["status"] == "available"

    again = gc(source_db_cluster_identifier=source)
    assert again["changed"] is False and again["differences"] == []
    rechecked = gc(check_mode=True, source_db_cluster_identifier=source)
    assert rechecked["changed"] is False
    assert len([c for c in aws("rds", PRIMARY_REGION).describe_global_clusters()["GlobalClusters"]
                if c["GlobalClusterIdentifier"] == GDB]) == 1


def test_create_resolves_plain_identifier_in_region(aws, gc):
    source = create_cluster(aws, PRIMARY_REGION, "aurora-payments-use1")
    result = gc(source_db_cluster_identifier="aurora-payments-use1")
    assert result["changed"] is True
    assert members(read_global_cluster(aws, GDB)) == [source]


def test_create_without_source_needs_engine(aws, gc):
    result = gc(engine=ENGINE, engine_version=ENGINE_VERSION, storage_encrypted=True, wait=False)
    assert result["changed"] is True
    after = read_global_cluster(aws, GDB)
    assert after["Engine"] == ENGINE and after["StorageEncrypted"] is True and members(after) == []
    assert gc(engine=ENGINE, engine_version=ENGINE_VERSION, storage_encrypted=True)["changed"] is False


@pytest.mark.parametrize("options, message", [
    ({}, "give source_db_cluster_identifier"),
    ({"source_db_cluster_identifier": "arn:aws:rds:us-east-1:123456789012:cluster:missing"}, "not found"),
    ({"source_db_cluster_identifier": "missing"}, "not found"),
    ({"remove_members": ["not-an-arn"]}, "is not an ARN"),
])
def test_create_errors_change_nothing(aws, gc, options, message):
    result = gc(**options)
    assert result["failed"] is True and message in result["msg"]
    assert read_global_cluster(aws, GDB) is None


def test_create_refuses_options_that_contradict_the_source(aws, gc):
    source = create_cluster(aws, PRIMARY_REGION, "aurora-payments-use1")
    result = gc(source_db_cluster_identifier=source, engine_version="8.0.mysql_aurora.3.04.0")
    assert result["failed"] is True
    assert "does not match source DB cluster" in result["msg"] and ENGINE_VERSION in result["msg"]
    assert read_global_cluster(aws, GDB) is None


def test_existing_with_other_source_reports_differences(aws, gc):
    db = create_global_db(aws, GDB, secondary=False)
    other = create_cluster(aws, PRIMARY_REGION, "aurora-other-use1")
    result = gc(source_db_cluster_identifier=other, engine_version="8.0.mysql_aurora.3.04.0")
    assert result["changed"] is False
    assert any("is not a member" in d and other in d for d in result["differences"])
    assert any(d.startswith("engine_version is") for d in result["differences"])
    assert members(read_global_cluster(aws, GDB)) == [db.primary_arn]


def test_deletion_protection_check_mode_only_reports(aws, gc):
    create_global_db(aws, GDB, secondary=False)
    result = gc(check_mode=True, diff=True, deletion_protection=True)
    assert result["changed"] is True
    assert result["diff"]["after"]["deletion_protection"] is True
    assert read_global_cluster(aws, GDB)["DeletionProtection"] is False
    assert gc(deletion_protection=False)["changed"] is False


def test_deletion_protection_is_modified_and_guards_deletion(aws, gc, emulator):
    db = create_global_db(aws, GDB, secondary=False)
    add_fault(emulator, "ModifyGlobalCluster")
    protected = gc(deletion_protection=True)
    assert protected["changed"] is True and protected["global_cluster"]["deletion_protection"] is True
    assert read_global_cluster(aws, GDB)["DeletionProtection"] is True
    assert gc(deletion_protection=True)["changed"] is False

    refused = gc(state="absent", remove_members=[db.primary_arn])
    assert refused["failed"] is True and "deletion protection" in refused["msg"]
    assert members(read_global_cluster(aws, GDB)) == [db.primary_arn]

    assert gc(deletion_protection=False)["changed"] is True
    assert gc(state="absent", remove_members=[db.primary_arn])["changed"] is True
    assert read_global_cluster(aws, GDB) is None


def test_create_survives_throttling(aws, gc, emulator, retry_sleeps):
    source = create_cluster(aws, PRIMARY_REGION, "aurora-payments-use1")
    add_fault(emulator, "CreateGlobalCluster")
    result = gc(source_db_cluster_identifier=source)
    assert result["changed"] is True, result
    assert members(read_global_cluster(aws, GDB)) == [source]
    assert pending_faults(emulator, "CreateGlobalCluster") == []  # both injected errors were consumed
    assert retry_sleeps.backoffs == 2  # one backoff per throttled call (none of them slept)


def test_remove_secondary_check_mode_real_run_idempotent(aws, gc):
    db = create_global_db(aws, GDB)
    before = members(read_global_cluster(aws, GDB))
    assert before == sorted([db.primary_arn, db.secondary_arn])

    checked = gc(check_mode=True, diff=True, region=SECONDARY_REGION, remove_members=[db.secondary_arn])
    assert checked["changed"] is True and checked["removed_members"] == [db.secondary_arn]
    assert members(checked["diff"]["after"] and read_global_cluster(aws, GDB)) == before

    removed = gc(region=SECONDARY_REGION, remove_members=[db.secondary_arn])
    assert removed["changed"] is True, removed
    assert members(read_global_cluster(aws, GDB)) == [db.primary_arn]
    # the detached cluster still exists, stand-alone
    assert aws("rds", SECONDARY_REGION).describe_db_clusters(DBClusterIdentifier=f"{GDB}-euw1")["DBClusters"]

    again = gc(region=SECONDARY_REGION, remove_members=[db.secondary_arn])
    assert again["changed"] is False and again["removed_members"] == []


def test_remove_from_missing_global_cluster_is_unchanged(aws, gc):
    secondary = create_cluster(aws, SECONDARY_REGION, "aurora-standalone-euw1")
    result = gc(region=SECONDARY_REGION, remove_members=[secondary])
    assert result["changed"] is False and result["global_cluster"] == {}
    assert read_global_cluster(aws, GDB) is None


def test_remove_survives_throttling(aws, gc, emulator, retry_sleeps):
    db = create_global_db(aws, GDB)
    add_fault(emulator, "RemoveFromGlobalCluster")
    result = gc(region=SECONDARY_REGION, remove_members=[db.secondary_arn])
    assert result["changed"] is True, result
    assert members(read_global_cluster(aws, GDB)) == [db.primary_arn]
    assert retry_sleeps.backoffs == 2


def test_absent_refuses_while_members_remain(aws, gc):
    db = create_global_db(aws, GDB)
    result = gc(state="absent", remove_members=[db.secondary_arn])
    assert result["failed"] is True
    assert "still has member clusters" in result["msg"] and db.primary_arn in result["msg"]
    assert members(read_global_cluster(aws, GDB)) == sorted([db.primary_arn, db.secondary_arn])


def test_absent_detaches_listed_members_and_deletes(aws, gc, emulator):
    db = create_global_db(aws, GDB)
    both = [db.primary_arn, db.secondary_arn]  # the writer is listed first; secondaries go first anyway

    checked = gc(check_mode=True, diff=True, state="absent", remove_members=both)
    assert checked["changed"] is True and checked["diff"]["after"] == {}
    assert members(read_global_cluster(aws, GDB)) == sorted(both)

    add_fault(emulator, "DeleteGlobalCluster")
    deleted = gc(state="absent", remove_members=both)
    assert deleted["changed"] is True, deleted
    assert deleted["global_cluster"] == {}
    assert read_global_cluster(aws, GDB) is None
    assert gc(state="absent", remove_members=both)["changed"] is False


def test_absent_of_missing_is_unchanged(aws, gc):
    assert gc(state="absent")["changed"] is False
    assert read_global_cluster(aws, GDB) is None


def test_absent_refuses_deletion_protection(aws, gc):
    aws("rds", PRIMARY_REGION).create_global_cluster(GlobalClusterIdentifier=GDB, Engine=ENGINE,
                                                     DeletionProtection=True)
    result = gc(state="absent")
    assert result["failed"] is True and "deletion protection" in result["msg"]
    assert read_global_cluster(aws, GDB) is not None


@pytest.mark.parametrize("action, options, message", [
    ("DescribeGlobalClusters", {}, f"Failed to describe global cluster {GDB}"),
    ("DescribeDBClusters", {"source_db_cluster_identifier": "aurora-payments-use1"}, "Failed to describe source"),
    ("CreateGlobalCluster", {"source_db_cluster_identifier": "aurora-payments-use1"}, "Failed to create global"),
])
def test_aws_errors_on_create_fail_clearly(aws, gc, emulator, action, options, message):
    create_cluster(aws, PRIMARY_REGION, "aurora-payments-use1")
    add_fault(emulator, action, error="AccessDenied", count=1)
    result = gc(**options)
    assert result["failed"] is True and message in result["msg"] and "AccessDenied" in result["msg"]
    assert read_global_cluster(aws, GDB) is None


@pytest.mark.parametrize("action, options, message", [
    ("ModifyGlobalCluster", {"deletion_protection": True}, "Failed to set deletion protection"),
    ("RemoveFromGlobalCluster", {"remove_members": ["SECONDARY"]}, "Failed to detach DB cluster"),
    ("DeleteGlobalCluster", {"state": "absent", "remove_members": ["SECONDARY", "PRIMARY"]},
     "Failed to delete global cluster"),
])
def test_aws_errors_on_change_fail_clearly(aws, gc, emulator, action, options, message):
    db = create_global_db(aws, GDB)
    if "remove_members" in options:
        options = dict(options, remove_members=[db.secondary_arn if a == "SECONDARY" else db.primary_arn
                                                for a in options["remove_members"]])
    add_fault(emulator, action, error="AccessDenied", count=1)
    result = gc(**options)
    assert result["failed"] is True and message in result["msg"] and "AccessDenied" in result["msg"]
    after = read_global_cluster(aws, GDB)
    if action == "DeleteGlobalCluster":
        assert after is not None and members(after) == []  # detached first, the deletion failed
    else:
        assert after["DeletionProtection"] is False
        assert members(after) == sorted([db.primary_arn, db.secondary_arn])


def test_no_wait_create_and_delete(aws, gc):
    source = create_cluster(aws, PRIMARY_REGION, "aurora-payments-use1")
    assert gc(source_db_cluster_identifier=source, wait=False)["changed"] is True
    assert members(read_global_cluster(aws, GDB)) == [source]
    removed = gc(remove_members=[source], wait=False)
    assert removed["changed"] is True and removed["global_cluster"]["global_cluster_members"] == []
    assert gc(state="absent", wait=False)["changed"] is True
    assert read_global_cluster(aws, GDB) is None
