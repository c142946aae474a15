# Copyright: Contributors to the payments.region_migration project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The migration report's data, built from the audit log (and the payment reconciliation): pure.

Private to this collection; used by the migration_report module, which adds CloudWatch's lag
history and renders the result (``_report_render``). Every function here takes plain data (the
audit log's JSON records, the phase table, the reconciliation report) and returns plain data, so
that the whole report model is unit-tested without AWS or a plotting library.

The audit records are those of roles/migration/tasks/audit.yml: ``time``, ``epoch``, ``event``
(weight_change, bake_resume, shift, rollback, run, noop), ``from_phase``/``to_phase``,
``weights_before``/``weights_after`` (SetIdentifier -> weight), ``writer_before``/``writer_after``,
``bake_seconds``, ``gates`` (the gate module's results, each with its ``samples``), ``reason``.
"""

from __future__ import annotations

import json
import re
from typing import Any

# Events that set the weights (each has weights_after).
_WEIGHT_EVENTS = ("weight_change", "bake_resume", "shift", "rollback")
# Events that open a bake (step_forward.yml).
_BAKE_EVENTS = ("weight_change", "bake_resume")
# The emulator's reconciliation names a phase by the state the payments saw:
# "<percent> % to <target region>, writer <region>" (emulator/workload.py).
_RECONCILIATION_LABEL = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*%\s*to\s+(\S+?),\s*writer\s+(\S+)\s*$")


class ReportError(Exception):
    """Input the report cannot be built from (the module fails with this message)."""


def parse_audit_log(text: str) -> tuple[list[dict[str, Any]], list[int]]:
    """The audit log's records, oldest first, and the numbers of the lines that are not JSON records.

    A line cut short by a run that died mid-write must not hide the rest of the log; it is
    skipped and reported. Records without ``epoch`` cannot be placed on the timeline and are
    skipped the same way.
    """
    events: list[dict[str, Any]] = []
    bad: list[int] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError:
            bad.append(number)
            continue
        if not isinstance(record, dict) or not isinstance(record.get("epoch"), (int, float)):
            bad.append(number)
            continue
        events.append(record)
    events.sort(key=lambda e: e["epoch"])
    return events, bad


def _phase_of_percent(phases: list[dict[str, Any]], percent: float | None) -> int | None:
    for entry in phases:
        if percent is not None and float(entry["target_percent"]) == float(percent):
            return int(entry["phase"])
    return None


def _percent(weights: dict[str, Any] | None, target: str) -> float | None:
    weights = weights or {}
    total = sum(float(v or 0) for v in weights.values())
    if not total:
        return None
    return round(100.0 * float(weights.get(target) or 0) / total, 1)


def weight_series(events: list[dict[str, Any]], regions: list[str]) -> dict[str, list[tuple[float, float]]]:
    """Per region, the (epoch, weight) steps: the first record's weights_before, then every weights_after.

    Only records that really set weights count (not check-mode runs).
    """
    series: dict[str, list[tuple[float, float]]] = {region: [] for region in regions}
    for event in events:
        if event.get("event") not in _WEIGHT_EVENTS or event.get("check_mode"):
            continue
        if not any(series.values()) and event.get("weights_before"):
            for region in regions:
                series[region].append((event["epoch"], float((event["weights_before"] or {}).get(region) or 0)))
        after = event.get("weights_after") or {}
        for region in regions:
            if region in after:
                series[region].append((event["epoch"], float(after.get(region) or 0)))
    return series


def gate_samples(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every gate evaluation recorded in the audit log, as sampled: time, verdict, mode, phase, lag.

    The gate results sit in the step records (shift, rollback) and carry each sample's time, its
    verdict and the values read (lag latest_ms among them). Duplicates (the same sample recorded
    twice) are dropped.
    """
    seen: set[tuple[str, bool]] = set()
    samples: list[dict[str, Any]] = []
    for event in events:
        for gate in event.get("gates") or []:
            if not isinstance(gate, dict):
                continue
            for sample in gate.get("samples") or []:
                key = (str(sample.get("time")), bool(sample.get("healthy")))
                if not sample.get("time") or key in seen:
                    continue
                seen.add(key)
                lag = (sample.get("values") or {}).get("lag") or {}
                samples.append({"time": sample["time"], "healthy": bool(sample.get("healthy")),
                                "mode": gate.get("mode") or "once", "phase": event.get("to_phase"),
                                "event": event.get("event"), "lag_ms": lag.get("latest_ms"),
                                "reason": None if sample.get("healthy") else gate.get("reason")})
    samples.sort(key=lambda s: s["time"])
    return samples


def bakes(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each bake: phase, start, planned seconds, end and how it ended (completed, rolled_back, unfinished).

    A bake opens with a weight change (or bake resume) and closes with the next record of the
    same run that moved on: its shift record (completed) or a rollback (rolled_back).
    """
    result: list[dict[str, Any]] = []
    for index, event in enumerate(events):
        if event.get("event") not in _BAKE_EVENTS or event.get("check_mode"):
            continue
        bake = {"phase": event.get("to_phase"), "start": event["epoch"], "seconds": event.get("bake_seconds"),
                "run_id": event.get("run_id"), "end": None, "outcome": "unfinished"}
        for later in events[index + 1:]:
            if later.get("event") == "shift" and later.get("run_id") == event.get("run_id"):
                bake.update(end=later["epoch"], outcome="completed")
                break
            if later.get("event") == "rollback" or later.get("event") in _BAKE_EVENTS:
                bake.update(end=later["epoch"], outcome="rolled_back" if later.get("event") == "rollback"
                            else "superseded")
                break
        result.append(bake)
    return result


def rollbacks(events: list[dict[str, Any]], target_region: str | None = None) -> list[dict[str, Any]]:
    """Every rollback with its reason, the phase it went back to and the target's share before and after.

    The share is the clearest "from": a rollback during a bake starts between phases (the weights of
    the phase being baked, the writer of the one before), which the audit record names by the phase
    the live state had fully reached.
    """
    return [{"time": e.get("time"), "epoch": e["epoch"], "from_phase": e.get("from_phase"),
             "to_phase": e.get("to_phase"), "reason": e.get("reason") or "no reason recorded",
             "from_percent": _percent(e.get("weights_before"), target_region) if target_region else None,
             "to_percent": _percent(e.get("weights_after"), target_region) if target_region else None,
             "run_id": e.get("run_id"), "operator": e.get("operator")}
            for e in events if e.get("event") == "rollback" and not e.get("check_mode")]


def switchovers(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every move of the Aurora writer: a step record whose writer_after differs from writer_before."""
    return [{"time": e.get("time"), "epoch": e["epoch"], "from_region": e.get("writer_before"),
             "to_region": e.get("writer_after"), "phase": e.get("to_phase"), "event": e.get("event")}
            for e in events
            if e.get("event") in ("shift", "rollback") and not e.get("check_mode")
            and e.get("writer_after") and e.get("writer_before") and e["writer_after"] != e["writer_before"]]


def runs(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every playbook run's closing record: action, result, reason, duration."""
    return [{"time": e.get("time"), "epoch": e["epoch"], "action": e.get("action"), "run_id": e.get("run_id"),
             "result": e.get("result"), "reason": e.get("reason"), "from_phase": e.get("from_phase"),
             "to_phase": e.get("to_phase"), "duration_seconds": e.get("duration_seconds")}
            for e in events if e.get("event") == "run" and not e.get("check_mode")]


def reconciliation_by_phase(phases: list[dict[str, Any]], reconciliation: dict[str, Any] | None,
                            target_region: str) -> dict[int, dict[str, Any]]:
    """The reconciliation's per-phase counts summed per phase number of the phase table.

    The emulator reports the payments per state they saw ("25 % to eu-west-1, writer us-east-1");
    a state is placed in the phase with that target percentage (the last phase's weights before
    and after the switchover are both that phase). A state matching no phase is kept under the
    key -1 ("between phases").
    """
    rows: dict[int, dict[str, Any]] = {}
    for entry in (reconciliation or {}).get("phases") or []:
        match = _RECONCILIATION_LABEL.match(str(entry.get("phase", "")))
        phase = None
        if match and match.group(2) == target_region:
            phase = _phase_of_percent(phases, float(match.group(1)))
        key = -1 if phase is None else phase
        row = rows.setdefault(key, {"attempted": 0, "committed": 0, "failed": 0, "lost": 0, "duplicates": 0,
                                    "retried_then_committed": 0, "states": []})
        for name in ("attempted", "committed", "failed", "lost", "duplicates", "retried_then_committed"):
            row[name] += int(entry.get(name) or 0)
        row["states"].append(str(entry.get("phase")))
    return rows


def phase_rows(phases: list[dict[str, Any]], events: list[dict[str, Any]], reconciliation: dict[str, Any] | None,
               source_region: str, target_region: str) -> list[dict[str, Any]]:
    """One row per phase of the phase table: what it is, what happened in it, and its payments.

    ``payments`` is None when there is no reconciliation (real AWS): the report then says so
    instead of showing zeros.
    """
    by_phase = reconciliation_by_phase(phases, reconciliation, target_region) if reconciliation else None
    all_bakes = bakes(events)
    samples = gate_samples(events)
    rows = []
    for entry in phases:
        number = int(entry["phase"])
        percent = float(entry["target_percent"])
        writer = target_region if entry.get("writer") == "target" else source_region
        phase_bakes = [b for b in all_bakes if b["phase"] is not None and int(b["phase"]) == number]
        phase_samples = [s for s in samples if s["phase"] is not None and int(s["phase"]) == number]
        row = {
            "phase": number,
            "target_percent": percent,
            "weights": {source_region: round(100 - percent, 1), target_region: percent},
            "writer": writer,
            "reached": any(int(e.get("to_phase", -1) if e.get("to_phase") is not None else -1) == number
                           for e in events if e.get("event") in ("shift", "rollback") and not e.get("check_mode")),
            "bakes": len(phase_bakes),
            "bakes_completed": sum(1 for b in phase_bakes if b["outcome"] == "completed"),
            "rollbacks_during_bake": sum(1 for b in phase_bakes if b["outcome"] == "rolled_back"),
            "gate_samples": len(phase_samples),
            "gate_failures": sum(1 for s in phase_samples if not s["healthy"]),
            "payments": None,
        }
        if by_phase is not None:
            counts = by_phase.get(number) or {"attempted": 0, "committed": 0, "failed": 0, "lost": 0,
                                              "duplicates": 0, "retried_then_committed": 0, "states": []}
            row["payments"] = counts
        rows.append(row)
    return rows


def build(phases: list[dict[str, Any]], events: list[dict[str, Any]], reconciliation: dict[str, Any] | None,
          source_region: str, target_region: str) -> dict[str, Any]:
    """The whole report model except the CloudWatch lag history (the module adds ``lag``)."""
    if not phases:
        raise ReportError("the phase table is empty")
    for entry in phases:
        if "phase" not in entry or "target_percent" not in entry:
            raise ReportError(f"phase table entry without phase or target_percent: {entry!r}")
    if source_region == target_region:
        raise ReportError(f"source_region and target_region are both {source_region!r}")
    last_weights = None
    writer = None
    for event in events:
        if event.get("event") in _WEIGHT_EVENTS and not event.get("check_mode") and event.get("weights_after"):
            last_weights = event["weights_after"]
        if event.get("event") in ("shift", "rollback") and not event.get("check_mode") and event.get("writer_after"):
            writer = event["writer_after"]
    all_rollbacks = rollbacks(events, target_region)
    totals = None
    if reconciliation:
        keys = ("attempted", "committed", "failed", "lost", "duplicates")
        totals = reconciliation.get("totals") or {k: reconciliation.get(k) for k in keys}
    return {
        "source_region": source_region,
        "target_region": target_region,
        "first_epoch": events[0]["epoch"] if events else None,
        "last_epoch": events[-1]["epoch"] if events else None,
        "events": len(events),
        "weights": weight_series(events, [source_region, target_region]),
        "current_weights": last_weights,
        "current_target_percent": _percent(last_weights, target_region),
        "current_phase": _phase_of_percent(phases, _percent(last_weights, target_region)),
        "writer_region": writer,
        "gate_samples": gate_samples(events),
        "bakes": bakes(events),
        "rollbacks": all_rollbacks,
        "last_rollback": all_rollbacks[-1] if all_rollbacks else None,
        "switchovers": switchovers(events),
        "runs": runs(events),
        "phases": phase_rows(phases, events, reconciliation, source_region, target_region),
        "reconciliation": {"totals": totals, "ok": reconciliation.get("ok"),
                           "running": reconciliation.get("running")} if reconciliation else None,
    }


def lag_window(first_epoch: float | None, last_epoch: float | None, now_epoch: float,
               margin_seconds: int, period_seconds: int, max_datapoints: int = 1440) -> tuple[float, float, int]:
    """(start, end, period) of the CloudWatch query for the lag history of the migration.

    From the first audit record (minus a margin) to now; without records, the margin before now.
    GetMetricStatistics returns at most 1,440 datapoints per call (CloudWatch API Reference,
    GetMetricStatistics), so a long history gets a coarser period, in whole minutes.
    """
    start = (first_epoch if first_epoch is not None else now_epoch) - margin_seconds
    end = max(now_epoch, (last_epoch or now_epoch)) + 1
    period = max(1, int(period_seconds))
    if (end - start) / period > max_datapoints:
        needed = (end - start) / max_datapoints
        period = int(-(-needed // 60) * 60)
    return start, end, period
