"""The migration report's model (_report, pure) and its rendering (_report_render, matplotlib) on a small fixture."""

from __future__ import annotations

import json
import re

import pytest
from ansible_collections.payments.region_migration.plugins.module_utils import _report as report
from ansible_collections.payments.region_migration.plugins.module_utils import _report_render as render

PHASES = [{"phase": i, "target_percent": p, "writer": "target" if i == 4 else "source"}
          for i, p in enumerate([0, 25, 50, 75, 100])]
S, T = "us-east-1", "eu-west-1"


def w(target: int) -> dict:
    return {S: 100 - target, T: target}


def sample(t: float, healthy: bool = True, lag: float = 200.0) -> dict:
    return {"time": f"2026-11-30T10:00:{t:06.3f}+00:00", "elapsed": 1.0, "healthy": healthy,
            "values": {"lag": {"latest_ms": lag}}}


def gate(mode: str, *samples, reason="lag: ok") -> dict:
    return {"mode": mode, "verdict": "pass" if all(s["healthy"] for s in samples) else "fail",
            "reason": reason, "samples": list(samples)}


BASE = 1796032800.0  # 2026-11-30T10:00:00Z


def ev(offset: float, event: str, **fields) -> dict:
    return {"epoch": BASE + offset, "time": f"t+{offset}", "event": event, "run_id": fields.pop("run_id", "r1"),
            "check_mode": False, **fields}


EVENTS = [
    ev(1, "weight_change", direction="forward", from_phase=0, to_phase=1, weights_before=w(0), weights_after=w(25),
       bake_seconds=4),
    ev(6, "shift", direction="forward", from_phase=0, to_phase=1, weights_before=w(0), weights_after=w(25),
       writer_before=S, writer_after=S, gates=[gate("wait", sample(0.5)), gate("hold", sample(2), sample(4))]),
    ev(7, "weight_change", direction="forward", from_phase=1, to_phase=4, weights_before=w(25), weights_after=w(100),
       bake_seconds=8),
    ev(10, "rollback", direction="backward", from_phase=4, to_phase=1, weights_before=w(100), weights_after=w(25),
       writer_before=S, writer_after=S, reason="lag: AuroraGlobalDBRPOLag 5000 ms above 1000 ms",
       gates=[gate("hold", sample(9, False, 5000.0), reason="lag: 5000 ms above 1000 ms")]),
    ev(11, "run", action="shift", result="rolled_back", reason="lag spike", from_phase=1, to_phase=1,
       duration_seconds=10.0),
    ev(20, "weight_change", run_id="r2", direction="forward", from_phase=1, to_phase=4, weights_before=w(25),
       weights_after=w(100), bake_seconds=4),
    ev(30, "shift", run_id="r2", direction="forward", from_phase=1, to_phase=4, weights_before=w(25),
       weights_after=w(100), writer_before=S, writer_after=T),
    ev(31, "shift", run_id="r3", direction="forward", from_phase=1, to_phase=2, weights_before=w(25),
       weights_after=w(50), check_mode=True),
]

RECONCILIATION = {
    "running": False, "ok": True,
    "totals": {"attempted": 110, "committed": 108, "failed": 2, "duplicates": 0, "lost": 0},
    "phases": [
        {"phase": "0 % to eu-west-1, writer us-east-1", "attempted": 50, "committed": 50, "failed": 0, "lost": 0},
        {"phase": "25 % to eu-west-1, writer us-east-1", "attempted": 20, "committed": 20, "failed": 0, "lost": 0},
        {"phase": "100 % to eu-west-1, writer us-east-1", "attempted": 20, "committed": 18, "failed": 2, "lost": 0},
        {"phase": "100 % to eu-west-1, writer eu-west-1", "attempted": 20, "committed": 20, "failed": 0, "lost": 1},
        {"phase": "33 % to eu-west-1, writer us-east-1", "attempted": 1, "committed": 1, "failed": 0, "lost": 0},
    ],
}


def test_parse_audit_log_skips_and_reports_broken_lines_and_sorts():
    text = "\n".join([json.dumps(EVENTS[1]), '{"cut short', "", json.dumps({"event": "x"}), json.dumps(EVENTS[0])])
    events, bad = report.parse_audit_log(text)
    assert [e["epoch"] for e in events] == [BASE + 1, BASE + 6]
    assert bad == [2, 4]


def test_weight_series_starts_with_weights_before_and_ignores_check_mode():
    series = report.weight_series(EVENTS, [S, T])
    assert series[T] == [(BASE + 1, 0.0), (BASE + 1, 25.0), (BASE + 6, 25.0), (BASE + 7, 100.0),
                         (BASE + 10, 25.0), (BASE + 20, 100.0), (BASE + 30, 100.0)]
    assert series[S][0] == (BASE + 1, 100.0)


def test_bakes_completed_rolled_back_and_unfinished():
    bakes = report.bakes(EVENTS + [ev(40, "weight_change", run_id="r4", to_phase=4, weights_after=w(100))])
    expected = [(1, "completed"), (4, "rolled_back"), (4, "completed"), (4, "unfinished")]
    assert [(b["phase"], b["outcome"]) for b in bakes] == expected
    assert bakes[1]["end"] == BASE + 10


def test_rollbacks_switchovers_runs():
    assert report.rollbacks(EVENTS) == [{"time": "t+10", "epoch": BASE + 10, "from_phase": 4, "to_phase": 1,
                                         "reason": "lag: AuroraGlobalDBRPOLag 5000 ms above 1000 ms",
                                         "from_percent": None, "to_percent": None, "run_id": "r1", "operator": None}]
    assert [(r["from_percent"], r["to_percent"]) for r in report.rollbacks(EVENTS, T)] == [(100.0, 25.0)]
    assert [(s["from_region"], s["to_region"], s["phase"]) for s in report.switchovers(EVENTS)] == [(S, T, 4)]
    assert [r["result"] for r in report.runs(EVENTS)] == ["rolled_back"]


def test_gate_samples_as_sampled_with_failures():
    samples = report.gate_samples(EVENTS)
    assert [(s["mode"], s["healthy"], s["phase"]) for s in samples] == [
        ("wait", True, 1), ("hold", True, 1), ("hold", True, 1), ("hold", False, 1)]
    assert samples[-1]["lag_ms"] == 5000.0 and "5000" in samples[-1]["reason"]


def test_reconciliation_by_phase_sums_both_states_of_the_last_phase():
    rows = report.reconciliation_by_phase(PHASES, RECONCILIATION, T)
    assert rows[4]["committed"] == 38 and rows[4]["failed"] == 2 and rows[4]["lost"] == 1
    assert rows[0]["committed"] == 50
    assert rows[-1]["states"] == ["33 % to eu-west-1, writer us-east-1"]


def test_build_one_row_per_phase_with_and_without_reconciliation():
    model = report.build(PHASES, EVENTS, RECONCILIATION, S, T)
    assert [r["phase"] for r in model["phases"]] == [0, 1, 2, 3, 4]
    assert model["phases"][4]["payments"]["lost"] == 1
    assert model["phases"][1]["reached"] and not model["phases"][2]["reached"]
    assert model["current_phase"] == 4 and model["writer_region"] == T
    assert model["last_rollback"]["to_phase"] == 1
    bare = report.build(PHASES, EVENTS, None, S, T)
    assert bare["reconciliation"] is None and all(r["payments"] is None for r in bare["phases"])


@pytest.mark.parametrize("phases, source, target, message", [
    ([], S, T, "phase table is empty"),
    ([{"phase": 0}], S, T, "without phase or target_percent"),
    (PHASES, S, S, "both"),
])
def test_build_refuses_bad_input(phases, source, target, message):
    with pytest.raises(report.ReportError, match=message):
        report.build(phases, EVENTS, None, source, target)


@pytest.mark.parametrize("first, last, now, period, expected", [
    (1000.0, 1100.0, 1200.0, 5, (700.0, 1201.0, 5)),
    (None, None, 1200.0, 60, (900.0, 1201.0, 60)),
    (0.0, 10.0, 86400.0 * 3, 60, (-300.0, 86400.0 * 3 + 1, 240)),
])
def test_lag_window_keeps_within_1440_datapoints(first, last, now, period, expected):
    assert report.lag_window(first, last, now, 300, period) == expected


def _model(reconciliation):
    model = report.build(PHASES, EVENTS, reconciliation, S, T)
    model.update(environment="unit", lag=[{"cluster": "aurora-x", "region": T, "metric_name": "AuroraGlobalDBRPOLag",
                                           "samples": [{"timestamp": "2026-11-30T10:00:05+00:00", "value": 250.0},
                                                       {"timestamp": "2026-11-30T10:00:10+00:00", "value": 4800.0}]}],
                 lag_threshold_ms=1000.0, end_epoch=BASE + 40, lag_note="CloudWatch")
    return model


def test_render_html_and_png_are_self_contained_and_deterministic():
    model = _model(RECONCILIATION)
    svg, png = render.render_images(model)
    page = render.render_html(model, svg)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    for gid in ("chart-weights", "chart-lag", "chart-gates", "chart-payments"):
        assert f'id="{gid}"' in svg
    assert page.count('class="phase-row') == 5
    assert '<tr class="rollback">' in page and "AuroraGlobalDBRPOLag 5000 ms above 1000 ms" in page
    # self-contained: no script, nothing loaded from elsewhere (XML namespaces are names, not loads)
    assert 'class="switchover"' in page and "<script" not in page
    assert re.search(r'(src|href)\s*=\s*"(?!#)', page) is None
    assert "NOT OK" not in page and "<span class='ok'>OK</span>" in page
    assert render.render_images(model) == (svg, png)


def test_render_without_reconciliation_says_so():
    model = _model(None)
    svg, _png = render.render_images(model)
    page = render.render_html(model, svg)
    assert 'id="payments" class="absent"' in page and "not reconciled" in page
    assert "no payment reconciliation" in svg or 'id="chart-payments"' in svg
