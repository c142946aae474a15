"""payments.region_migration.migration_report against the emulator: the lag history comes from CloudWatch.

The audit log here is a small written fixture (the module's own contract); tests/browser/ builds its
data by running a real migration with a rollback and a switchover.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from ansible_collections.payments.region_migration.plugins.modules import migration_report

from tests.conftest import phase_table

S, T = "us-east-1", "eu-west-1"
CLUSTER = "aurora-payment-report"


def weights(target: int) -> dict:
    return {S: 100 - target, T: target}


@pytest.fixture
def audit_log(tmp_path):
    now = datetime.now(UTC).timestamp()
    records = [
        {"epoch": now - 50, "time": "a", "event": "weight_change", "run_id": "r1", "from_phase": 0, "to_phase": 1,
         "direction": "forward", "weights_before": weights(0), "weights_after": weights(25), "bake_seconds": 4},
        {"epoch": now - 40, "time": "b", "event": "rollback", "run_id": "r1", "from_phase": 1, "to_phase": 0,
         "weights_before": weights(25), "weights_after": weights(0), "writer_before": S, "writer_after": S,
         "reason": "lag: AuroraGlobalDBRPOLag 4000 ms above 1000 ms"},
    ]
    path = tmp_path / "migration-audit.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def put_lag(aws, values):
    cloudwatch = aws("cloudwatch", T)
    now = datetime.now(UTC)
    cloudwatch.put_metric_data(Namespace="AWS/RDS", MetricData=[
        {"MetricName": "AuroraGlobalDBRPOLag", "Value": value, "Unit": "Milliseconds",
         "Timestamp": now - timedelta(seconds=60 - 10 * i),
         "Dimensions": [{"Name": "DBClusterIdentifier", "Value": CLUSTER}, {"Name": "SourceRegion", "Value": S}]}
        for i, value in enumerate(values)])


@pytest.fixture
def report(run, module_args, audit_log, tmp_path):
    def call(check_mode=False, diff=False, **options):
        args = {**module_args, "region": T, "audit_log": str(audit_log), "dest": str(tmp_path / "out" / "r.html"),
                "environment": "itest", "phases": phase_table(), "source_region": S, "target_region": T,
                "lag_clusters": [{"identifier": CLUSTER, "region": T, "source_region": S},
                                 {"identifier": CLUSTER, "region": S, "source_region": T}],
                "lag_period_seconds": 10, **options}
        return run(migration_report, args, check_mode=check_mode, diff=diff)

    return call


def test_check_mode_then_write_then_idempotent(aws, report, tmp_path):
    put_lag(aws, [200.0, 250.0, 4000.0, 300.0])
    html, png = tmp_path / "out" / "r.html", tmp_path / "out" / "r.png"

    checked = report(check_mode=True, diff=True)
    assert checked["changed"] is True and not html.exists() and not png.exists()
    assert checked["diff"]["before"] == {"html_sha1": None, "png_sha1": None}

    written = report(diff=True)
    assert written["changed"] is True and written["html_path"] == str(html) and written["png_path"] == str(png)
    assert written["lag_datapoints"] == {f"{CLUSTER} ({T})": 4, f"{CLUSTER} ({S})": 0}
    assert written["diff"]["after"] == checked["diff"]["after"]
    page = html.read_text()
    assert png.read_bytes().startswith(b"\x89PNG")
    assert page.count('class="phase-row') == len(phase_table())
    assert "lag: AuroraGlobalDBRPOLag 4000 ms above 1000 ms" in page and '<tr class="rollback">' in page
    assert written["last_rollback"]["to_phase"] == 0 and written["reconciled"] is False
    assert 'id="payments" class="absent"' in page

    again = report()
    assert again["changed"] is False


def test_reconciliation_fills_the_payment_columns(report, tmp_path):
    done = report(reconciliation={"ok": True, "totals": {"committed": 7, "lost": 0},
                                  "phases": [{"phase": "25 % to eu-west-1, writer us-east-1", "committed": 7,
                                              "failed": 1, "lost": 0}]})
    assert done["reconciled"] is True and done["phases"][1]["payments"]["committed"] == 7
    assert 'class="num committed">7<' in (tmp_path / "out" / "r.html").read_text()


@pytest.mark.parametrize("options, message", [
    ({"phases": []}, "phase table is empty"),
    ({"target_region": S}, "both"),
    ({"lag_period_seconds": 0}, "lag_period_seconds must be greater than 0"),
    ({"png_dest": "SAME"}, "dest and png_dest are the same file"),
])
def test_bad_input_fails_clearly_and_writes_nothing(report, tmp_path, options, message):
    if options.get("png_dest") == "SAME":
        options = {"png_dest": str(tmp_path / "out" / "r.html")}
    failed = report(**options)
    assert failed["failed"] is True and message in failed["msg"]
    assert not (tmp_path / "out").exists()


def test_broken_audit_lines_are_skipped_and_reported(report, audit_log):
    with audit_log.open("a") as handle:
        handle.write('{"cut short\n')
    done = report()
    assert done["skipped_lines"] == [3] and done["events"] == 2
