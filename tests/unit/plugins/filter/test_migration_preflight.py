"""Unit tests of preflight.yml's readiness rules."""

from __future__ import annotations

import pytest
from ansible_collections.payments.region_migration.plugins.filter.migration_preflight import (
    FilterModule,
    migration_preflight_checks,
    migration_preflight_table,
    ttl_rows,
)

READY = {
    "record_sets": [
        {"set_identifier": "us-east-1", "alias_target": {"dns_name": "alb-east"}, "weight": 100},
        {"set_identifier": "eu-west-1", "alias_target": {"dns_name": "alb-west"}, "weight": 0},
    ],
    "max_ttl": 60,
    "certificates": [{"domain_name": "api.example.com", "status": "ISSUED"}],
    "asg": {"auto_scaling_group_name": "asg-payment-x", "min_size": 2,
            "instances": [{"lifecycle_state": "InService"}, {"lifecycle_state": "InService"}]},
    "traffic": {"healthy_targets": 2, "alarms": {"alarm-a": "OK", "alarm-b": "OK"}},
    "min_healthy_targets": 2,
    "lag": {"healthy": True, "reason": "newest sample 200 ms"},
    "engine_versions": {"source": "8.0.mysql_aurora.3.05.2", "target": "8.0.mysql_aurora.3.05.2"},
    "peerings": [{"vpc_peering_connection_id": "pcx-1", "status": {"code": "active"}}],
    "kms_key": {"key_state": "Enabled"},
    "kms_alias": "alias/kms-migration-x",
    "write_path": {"healthy": True, "reason": "launch template carries the global writer endpoint"},
    "target_region": "eu-west-1",
}


def rows_by_check(facts):
    return {row["check"]: row for row in migration_preflight_checks(facts)}


def test_ready_stack_passes_every_check():
    rows = migration_preflight_checks(READY)
    assert [r["check"] for r in rows] == [
        "record TTL (us-east-1)", "record TTL (eu-west-1)", "certificate issued", "ASG in service",
        "targets healthy", "alarms OK", "replication lag", "same engine version", "VPC peering active",
        "KMS key enabled", "write path (eu-west-1)",
    ]
    assert all(r["ok"] for r in rows)
    assert "alias record" in rows[0]["detail"]


@pytest.mark.parametrize(
    ("change", "check"),
    [
        ({"certificates": [{"domain_name": "api", "status": "PENDING_VALIDATION"}]}, "certificate issued"),
        ({"certificates": []}, "certificate issued"),
        ({"asg": {"min_size": 2, "instances": [{"lifecycle_state": "InService"}, {"lifecycle_state": "Pending"}]}},
         "ASG in service"),
        ({"asg": {}}, "ASG in service"),
        ({"traffic": {"healthy_targets": 1, "alarms": {"a": "OK"}}}, "targets healthy"),
        ({"traffic": {"healthy_targets": 2, "alarms": {"a": "ALARM"}}}, "alarms OK"),
        ({"traffic": {"healthy_targets": 2, "alarms": {"a": "INSUFFICIENT_DATA"}}}, "alarms OK"),
        ({"traffic": {"healthy_targets": 2, "alarms": {}}}, "alarms OK"),
        ({"lag": {"healthy": False, "reason": "5000 ms"}}, "replication lag"),
        ({"engine_versions": {"source": "8.0.mysql_aurora.3.05.2", "target": "8.0.mysql_aurora.3.04.0"}},
         "same engine version"),
        ({"engine_versions": {"source": None, "target": None}}, "same engine version"),
        ({"peerings": [{"vpc_peering_connection_id": "pcx-1", "status": {"code": "pending-acceptance"}}]},
         "VPC peering active"),
        ({"peerings": []}, "VPC peering active"),
        ({"kms_key": {"key_state": "Disabled"}}, "KMS key enabled"),
        ({"kms_key": {}}, "KMS key enabled"),
        # The write path row is migration_gate's write_path verdict (was computed in YAML).
        ({"write_path": {"healthy": False, "reason": "no DB_WRITER_ENDPOINT"}}, "write path (eu-west-1)"),
        ({"write_path": None}, "write path (eu-west-1)"),
    ],
)
def test_each_failure_fails_only_its_check(change, check):
    rows = rows_by_check(dict(READY, **change))
    assert rows[check]["ok"] is False
    assert [name for name, row in rows.items() if not row["ok"]] == [check]


@pytest.mark.parametrize(
    ("record", "lowered", "ok", "fragment"),
    [
        ({"set_identifier": "us-east-1", "ttl": 60}, [], True, "TTL 60 s"),
        ({"set_identifier": "us-east-1", "ttl": 300}, [], False, "lower it a day before"),
        ({"set_identifier": "us-east-1", "ttl": 300}, ["us-east-1"], True, "lowered from 300"),
        ({"set_identifier": "us-east-1", "alias_target": {"dns_name": "x"}}, [], True, "alias record"),
    ],
)
def test_ttl_rows(record, lowered, ok, fragment):
    (row,) = ttl_rows([record], 60, lowered)
    assert row["ok"] is ok
    assert fragment in row["detail"]


def test_no_record_fails():
    assert ttl_rows([], 60) == [{"check": "record TTL", "ok": False, "detail": "no weighted record set found"}]


def test_table_is_aligned():
    table = migration_preflight_table([{"check": "a", "ok": True, "detail": "x"},
                                       {"check": "longer", "ok": False, "detail": "y"}])
    lines = table.splitlines()
    assert lines[0].startswith("CHECK") and "RESULT" in lines[0]
    assert lines[1].index("PASS") == lines[2].index("FAIL") == lines[0].index("RESULT")


def test_filters_are_registered():
    assert set(FilterModule().filters()) == {"migration_preflight_checks", "migration_preflight_table"}
