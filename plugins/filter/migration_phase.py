# Copyright: Payments platform engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure decisions of the phased migration: where the live state stands and which phases to walk.

The phase table (``migration_phases`` in roles/migration/defaults/main.yml) is the one definition
of the phases; these filters only interpret it, so the playbooks never hard-code a percentage.
"""

from __future__ import annotations

import math
from typing import Any

from ansible.errors import AnsibleFilterError
from ansible_collections.payments.region_migration.plugins.module_utils import weights as w


def _phase_table(phases: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The validated phase table (module_utils.weights.phase_table), errors as filter errors."""
    try:
        return w.phase_table(phases)
    except w.WeightError as exc:
        raise AnsibleFilterError(str(exc)) from exc


def migration_target_percent(weights: dict[str, Any], source_id: str, target_id: str) -> int | None:
    """Share of DNS answers (0-100, rounded) that go to the target set (module_utils.weights.target_percent)."""
    return w.target_percent(weights, source_id, target_id)


def migration_phase_weights(phase: dict[str, Any], source_id: str, target_id: str) -> dict[str, int]:
    """The weights a phase sets: the percentages themselves (they sum to 100, within 0-255)."""
    percent = int(phase["target_percent"])
    return {source_id: 100 - percent, target_id: percent}


def migration_locate(phases: list[dict[str, Any]], target_percent: int | None,
                     writer_at_target: bool) -> dict[str, Any]:
    """Where the live state stands in the phase table: module_utils.weights.locate_phase, the one rule."""
    try:
        return w.locate_phase(phases, target_percent, writer_at_target)
    except w.WeightError as exc:
        raise AnsibleFilterError(str(exc)) from exc


def migration_phase_path(phases: list[dict[str, Any]], current: int, exact: bool, requested: int,
                         allow_skip: bool = False) -> dict[str, Any]:
    """The plan of a shift: direction and the phases to apply, in order.

    Forward walks every intermediate phase (each with its gates and bake) unless skipping is
    explicitly allowed; backward goes straight to the requested phase, because moving back is the
    safe direction and should be as short as possible. Re-requesting the current phase is a no-op
    only when the live state is exactly that phase; otherwise it is applied again (backward
    semantics: writer first, then weights).
    """
    table = _phase_table(phases)
    current, requested = int(current), int(requested)
    last = table[-1]["phase"]
    if not 0 <= requested <= last:
        raise AnsibleFilterError(f"phase {requested} is not in the phase table (0-{last})")
    if requested == current and exact:
        return {"direction": "none", "path": [], "from": current, "to": requested}
    if requested > current:
        path = [requested] if allow_skip else list(range(current + 1, requested + 1))
        return {"direction": "forward", "path": path, "from": current, "to": requested}
    return {"direction": "backward", "path": [requested], "from": current, "to": requested}


# Audit events that open a bake: a weight change, or the resume of an interrupted one (step_forward.yml).
_BAKE_EVENTS = ("weight_change", "bake_resume")


def _int(value: Any) -> int:
    """int() as Jinja's ``int`` filter does it for the audit log's values: None and '' are 0."""
    return int(value) if value not in (None, "") else 0


def migration_resume(last_event: dict[str, Any] | None, live_weights: dict[str, Any], requested: int) -> dict[str, Any]:
    """The interrupted bake to resume, or {}.

    The audit log's last step record (a weight change or a bake resume, with no later shift or
    rollback record) is a bake the run did not finish. It is resumed only when it was a forward step,
    its weights are still the live ones (nobody moved them since) and its phase is not beyond the
    requested one.
    """
    event = last_event or {}
    if (event.get("event", "") in _BAKE_EVENTS
            and event.get("direction", "") == "forward"
            and (event.get("weights_after") or {}) == live_weights
            and _int(event.get("to_phase")) <= int(requested)):
        return event
    return {}


def migration_plan(phases: list[dict[str, Any]], state: dict[str, Any], requested: int, allow_skip: bool = False,
                   last_event: dict[str, Any] | None = None, now_epoch: float = 0.0) -> dict[str, Any]:
    """The whole plan of a shift: migration_phase_path plus the forward steps and the resumed bake.

    ``state`` is migration_state (phase, exact, weights); ``last_event`` the audit log's last step
    record; ``now_epoch`` the current time (seconds since the epoch), a parameter so that the
    function stays pure. Each step is ``{phase, from, bake_seconds}``: the resumed phase (if any)
    comes first with the seconds its bake still had left (rounded up, never below 0), then every
    forward phase of the path with the bake of its phase table entry.
    """
    current, requested = int(state["phase"]), int(requested)
    plan = migration_phase_path(phases, current, bool(state.get("exact")), requested, allow_skip)
    resume = migration_resume(last_event, state.get("weights") or {}, requested)
    # Only a forward plan has forward steps. Re-requesting the located phase while the live state is
    # between phases (not exact) is a backward plan straight to it, never a forward step as well.
    forward = list(plan["path"]) if plan["direction"] == "forward" else []
    walk = forward
    if resume and _int(resume.get("to_phase")) not in forward:
        walk = [_int(resume.get("to_phase"))] + forward
    steps: list[dict[str, Any]] = []
    for phase in walk:
        if resume and phase == _int(resume.get("to_phase")):
            left = _int(resume.get("bake_seconds")) - (float(now_epoch) - float(resume.get("epoch") or 0))
            step = {"phase": phase, "from": _int(resume.get("from_phase")),
                    "bake_seconds": int(math.ceil(max(0, left)))}
        else:
            step = {"phase": phase, "from": steps[-1]["phase"] if steps else current,
                    "bake_seconds": int(phases[phase]["bake_seconds"])}
        steps.append(step)
    return {**plan, "steps": steps, "resumed": resume}


def migration_restore_point(events: list[dict[str, Any]], run_id: str,
                            rollback_to: str = "last_good") -> dict[str, Any]:
    """Where a failed run goes back to: ``{changed, phase, result}``.

    The run's forward step records (weight change, bake resume, shift) tell what it changed. The
    last good phase is the last step it completed (a shift record), or the phase before a weight
    change whose bake or switchover did not complete; ``rollback_to='zero'`` always means phase 0.
    A run that changed nothing is refused (phase None unless rolling back to zero).
    """
    steps = [e for e in events or []
             if e.get("run_id") == run_id and e.get("event") in ("weight_change", "bake_resume", "shift")
             and e.get("direction") == "forward"]
    if rollback_to == "zero":
        phase = 0
    elif not steps:
        phase = None
    else:
        last = steps[-1]
        phase = last.get("to_phase") if last.get("event") == "shift" else last.get("from_phase")
    return {"changed": bool(steps), "phase": phase, "result": "rolled_back" if steps else "refused"}


def migration_valid_phase(value: Any, last: int = 4) -> int | None:
    """The phase as an int if ``value`` is an integer 0..last (or its decimal string), else None.

    Extra vars arrive as strings (``-e phase=3``) or, from JSON/YAML, as ints; booleans, floats,
    '3.0', ' 3', '' and None are all refused rather than coerced.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and value.isascii() and value.isdigit():
        number = int(value)
    else:
        return None
    return number if 0 <= number <= int(last) else None


class FilterModule:
    """Phase-table filters for the migration role."""

    def filters(self) -> dict[str, Any]:
        return {
            "migration_target_percent": migration_target_percent,
            "migration_phase_weights": migration_phase_weights,
            "migration_locate": migration_locate,
            "migration_phase_path": migration_phase_path,
            "migration_resume": migration_resume,
            "migration_plan": migration_plan,
            "migration_restore_point": migration_restore_point,
            "migration_valid_phase": migration_valid_phase,
        }
