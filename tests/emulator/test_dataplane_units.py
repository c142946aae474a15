"""Pure logic of the data plane, in-process: user data parsing, routing, replication, the report table."""

from __future__ import annotations

import base64
import threading
from types import SimpleNamespace

import pytest

from emulator import appmodel, config
from emulator.faults import FaultRegistry
from emulator.replication import Replication, WriterDemoted
from emulator.workload import Payment, Workload, format_report

USER_DATA = """#!/bin/bash
set -euo pipefail
cat > /etc/other.env <<'EOF'
DB_WRITER_ENDPOINT=not-this-one
EOF
cat > /etc/payment-processor.env <<'ENVIRONMENT'
PORT=8080
DB_WRITER_ENDPOINT=gdb.global-abc.global.rds.amazonaws.com
DB_READER_ENDPOINT="x.cluster-ro-1.eu-west-1.rds.amazonaws.com"
not a setting
ENVIRONMENT
echo DB_WRITER_ENDPOINT=after-the-block
"""


def test_parse_env_block_reads_only_the_payment_processor_heredoc():
    env = appmodel.parse_env_block(USER_DATA)
    assert env == {"PORT": "8080", "DB_WRITER_ENDPOINT": "gdb.global-abc.global.rds.amazonaws.com",
                   "DB_READER_ENDPOINT": "x.cluster-ro-1.eu-west-1.rds.amazonaws.com"}
    assert appmodel.parse_env_block("#!/bin/bash\necho DB_WRITER_ENDPOINT=x\n") == {}
    assert appmodel.parse_env_block("") == {}


def test_decode_user_data_accepts_base64_and_plain_text():
    encoded = base64.b64encode(USER_DATA.encode()).decode()
    assert appmodel.decode_user_data(encoded) == USER_DATA
    assert appmodel.decode_user_data(SimpleNamespace(as_bytes=lambda: encoded.encode())) == USER_DATA
    assert appmodel.decode_user_data([encoded]) == USER_DATA
    assert appmodel.decode_user_data("not base64 at all!") == "not base64 at all!"
    assert appmodel.decode_user_data(None) == ""


def _app(region, weight, healthy=True, evaluate=True):
    targets = [appmodel.Target("i-1", "vpc-1", "db")] if healthy else []
    return appmodel.App(region=region, weight=weight, evaluate_target_health=evaluate, load_balancer="app/x/1",
                        targets=targets)


@pytest.mark.parametrize(("apps", "expected"), [
    ([_app("a", 100), _app("b", 0)], {"a": 100}),
    ([_app("a", 50), _app("b", 50, healthy=False)], {"a": 50}),  # unhealthy alias target left out
    ([_app("a", 50), _app("b", 50, healthy=False, evaluate=False)], {"a": 50, "b": 50}),  # not evaluated
    ([_app("a", 50, healthy=False), _app("b", 50, healthy=False)], {"a": 50, "b": 50}),  # all unhealthy: all
    ([_app("a", 0), _app("b", 0)], {"a": 1, "b": 1}),  # all weights 0: equal shares
])
def test_routable_follows_route53_weighted_routing(apps, expected):
    snapshot = appmodel.Snapshot("z", "r", {a.region: a for a in apps})
    assert {a.region: a.weight for a in snapshot.routable()} == expected


@pytest.fixture
def replication(monkeypatch):
    monkeypatch.setenv("EMULATOR_LAG_MIN_MS", "200")
    monkeypatch.setenv("EMULATOR_LAG_MAX_MS", "200")
    config.reset()
    return Replication(FaultRegistry())


SECONDARY = [("arn:b", "b")]


def test_commits_arrive_after_the_lag_and_the_lag_reports_the_backlog(replication):
    assert replication.commit("arn:a", SECONDARY, "k1", now=100.0) is True
    assert replication.commit("arn:a", SECONDARY, "k1", now=100.1) is False  # idempotent replay
    assert replication.lag_ms("arn:b", "b", now=100.1) == pytest.approx(200)  # configured: larger than 100 ms age
    assert not replication.has("arn:b", "k1")
    replication.registry.add({"kind": "replication_lag", "value_ms": 1000})
    replication.commit("arn:a", SECONDARY, "k2", now=100.15)  # arrives at 101.15
    replication.registry.clear()
    replication.commit("arn:a", SECONDARY, "k3", now=100.2)  # in order: not before k2
    assert replication.lag_ms("arn:b", "b", now=100.25) == pytest.approx(200)
    assert replication.has("arn:b", "k1") and not replication.has("arn:b", "k2")
    assert replication.lag_ms("arn:b", "b", now=101.0) == pytest.approx(850)  # k2 is 850 ms old
    assert replication.unreplicated("arn:b") == 2
    assert replication.lag_ms("arn:b", "b", now=101.2) == pytest.approx(200)
    assert replication.has("arn:b", "k3") and replication.unreplicated("arn:b") == 0


def _op(target, data_loss):
    return SimpleNamespace(target=SimpleNamespace(db_cluster_arn=target), data_loss=data_loss)


def _global(*arns):
    return SimpleNamespace(members=[SimpleNamespace(db_cluster_arn=a) for a in arns])


def test_switchover_catches_up_and_loses_nothing(replication):
    for i in range(5):
        replication.commit("arn:a", SECONDARY, f"k{i}", now=10.0)
    op = _op("arn:b", data_loss=False)
    replication.started(_global("arn:a", "arn:b"), op)
    replication.catch_up(op, ["arn:a", "arn:b"])
    assert replication.unreplicated("arn:b") == 0
    replication.roles_changing(_global("arn:a", "arn:b"), op)
    assert set(replication.ledger_keys("arn:b")) == {f"k{i}" for i in range(5)}


def test_a_commit_that_chose_the_writer_before_the_roles_changed_is_refused(replication):
    # The workload looks the writer up, then commits; a switchover's role change can come between.
    # Landing on the demoted writer would let the payment reach the new primary late (a transient
    # "lost") or never: Aurora refuses it (read-only), and the client retries on the new writer.
    op = _op("arn:b", data_loss=False)
    replication.roles_changing(_global("arn:a", "arn:b"), op)
    with pytest.raises(WriterDemoted):
        replication.commit("arn:a", SECONDARY, "late", now=11.0)
    assert not replication.has("arn:a", "late")
    assert replication.commit("arn:b", [("arn:a", "a")], "late", now=11.1) is True
    # and back: the switchback makes arn:a the writer again, arn:b refuses
    replication.roles_changing(_global("arn:a", "arn:b"), _op("arn:a", data_loss=False))
    assert replication.commit("arn:a", SECONDARY, "after", now=12.0) is True
    with pytest.raises(WriterDemoted):
        replication.commit("arn:b", [("arn:a", "a")], "after-b", now=12.1)


def test_failover_with_data_loss_drops_what_the_target_had_not_received(replication):
    replication.commit("arn:a", SECONDARY, "early", now=10.0)
    replication.replicate(10.5)
    replication.commit("arn:a", SECONDARY, "late", now=10.6)
    op = _op("arn:b", data_loss=True)
    replication.started(_global("arn:a", "arn:b"), op)
    replication.commit("arn:a", SECONDARY, "during", now=10.7)  # the old primary still writes
    replication.replicate(20.0)
    replication.roles_changing(_global("arn:a", "arn:b"), op)
    assert set(replication.ledger_keys("arn:b")) == {"early"}
    assert set(replication.ledger_keys("arn:a")) == {"early"}  # rebuilt from the new primary


def test_format_report_is_a_readable_table():
    tally = {"attempted": 10, "committed": 9, "retried_then_committed": 2, "failed": 0, "duplicates": 0, "lost": 1,
             "in_flight": 0, "max_unavailable_seconds": 1.25}
    report = {"rate": 200, "duration_seconds": 3, "running": False, "totals": tally,
              "phases": [{"phase": "0 % to eu-west-1, writer us-east-1", **tally}], "missing": ["pay-1-0000007"],
              "failure_reasons": {"eu-west-1: HTTP 500, write path cut": 4}, "ok": False}
    text = format_report(report)
    assert "0 % to eu-west-1, writer us-east-1" in text and "TOTAL" in text
    assert "FAILED: 1 lost, 0 duplicated" in text
    assert "pay-1-0000007" in text and "write path cut" in text
    clean = {**tally, "committed": 10, "lost": 0}
    assert "OK: all 10 payments committed" in format_report({**report, "totals": clean, "ok": True})
    failed = {**tally, "committed": 0, "failed": 10, "lost": 0}
    assert "but 10 failed for good" in format_report({**report, "totals": failed, "ok": True})


def _committed(key: str, scope: tuple[str, str]) -> Payment:
    payment = Payment(key, 0.0, "0 % to eu-west-1, writer us-east-1")
    payment.status, payment.scope = "committed", scope
    return payment


def test_report_never_counts_a_payment_acknowledged_while_it_reads_as_lost(replication, monkeypatch):
    # A tick that commits while the report reads the ledgers: the report must see that payment in
    # both (or in neither), never acknowledged yet missing from the ledger - a false "lost".
    workload = Workload(replication, FaultRegistry())
    scope = ("cluster", "arn:c")
    replication.commit("arn:c", [], "pay-1", now=0.5)
    workload.payments["pay-1"] = _committed("pay-1", scope)
    ticked = threading.Event()

    def tick():
        with workload._lock:  # the lock every tick commits under
            replication.commit("arn:c", [], "pay-2", now=1.0)
            workload.payments["pay-2"] = _committed("pay-2", scope)
        ticked.set()

    read_ledger = replication.ledger_keys

    def ledger_keys_during_a_tick(arn):
        keys = read_ledger(arn)
        threading.Thread(target=tick).start()
        ticked.wait(0.3)
        return keys

    monkeypatch.setattr(replication, "ledger_keys", ledger_keys_during_a_tick)
    report = workload.report()
    assert report["totals"]["lost"] == 0 and report["missing"] == []
    assert ticked.wait(2)
    monkeypatch.setattr(replication, "ledger_keys", read_ledger)
    again = workload.report()
    assert again["totals"]["committed"] == 2 and again["totals"]["lost"] == 0

