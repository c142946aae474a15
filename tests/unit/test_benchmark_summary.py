"""scripts/benchmark.py: medians over the repeats and the issue-14 target verdicts (pure functions)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

SPEC = importlib.util.spec_from_file_location(
    "benchmark", Path(__file__).resolve().parents[2] / "scripts" / "benchmark.py")
benchmark = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(benchmark)


def _run(seconds: float, requests: int, changed: int = 0, total: int = 100) -> dict:
    return {"seconds": seconds, "rc": 0, "requests": requests, "requests_by_service": {"ec2": requests},
            "tasks": {"ok": total, "changed": changed, "failed": 0, "skipped": 0, "total": total}}


def _latency(seconds: float) -> dict:
    waits = {"aurora_cluster": 200.0, "aurora_instance": 100.0, "nat_gateway": 30.0, "load_balancer": 30.0,
             "acm_validation": 50.0}
    return {**_run(seconds, 500), "scale": 10.0, "waits": waits, "sum_of_waits": 410.0, "longest_wait": 200.0,
            "poll_seconds": 5}


def test_medians_min_max_and_verdicts():
    repeats = [{"provision cold": _run(cold, 900, changed=40), "provision warm (no-op)": _run(warm, 300)}
               for cold, warm in ((100, 40), (120, 30), (110, 20))]
    summary = benchmark.summarise(repeats, [_latency(250), _latency(270), _latency(240)])
    assert summary["provision cold"]["seconds"] == {"median": 110, "min": 100, "max": 120, "n": 3}
    targets = {t["target"]: t for t in summary["targets"]}
    noop = targets["no-op provision <= 0.3 x cold"]
    assert (noop["measured"], noop["met"]) == (round(30 / 110, 2), True)
    assert targets["second provision reports changed=0"]["met"] is True
    latency = targets["latency-mode provision <= 1.3 x the longest single wait"]
    assert (latency["measured"], latency["met"], latency["sum_of_waits_ratio"]) == (1.25, True, 0.61)


def test_a_missed_target_and_a_changed_second_run_are_reported():
    repeats = [{"provision cold": _run(100, 900), "provision warm (no-op)": _run(50, 300, changed=1)}]
    targets = {t["target"]: t for t in benchmark.summarise(repeats, [_latency(400)])["targets"]}
    assert targets["no-op provision <= 0.3 x cold"]["met"] is False
    assert targets["second provision reports changed=0"]["met"] is False
    assert targets["latency-mode provision <= 1.3 x the longest single wait"]["measured"] == 2.0
    report = {"git": "abc", "date": "d", "repeat": 1, "summary": benchmark.summarise(repeats, [_latency(400)]),
              "machine": {"cpus": 2, "platform": "p", "python": "3", "load": 1.0}, "targets": []}
    text = benchmark.markdown(report)
    assert "| no-op provision <= 0.3 x cold | 0.5 | 0.3 | MISSED by 0.20 |" in text
    assert "MISSED by 0.70" in text
