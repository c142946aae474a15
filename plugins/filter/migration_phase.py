# Copyright: Payments platform engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure decisions of the phased migration: where the live state stands and which phases to walk.

The phase table (``migration_phases`` in roles/migration/defaults/main.yml) is the one definition
of the phases; these filters only interpret it, so the playbooks never hard-code a percentage.
"""

from __future__ import annotations

from typing import Any

from ansible.errors import AnsibleFilterError


def _phase_table(phases: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Validate the table once: consecutive phase numbers from 0, percents 0-100 not decreasing."""
    if not isinstance(phases, list) or not phases:
        raise AnsibleFilterError("the phase table must be a non-empty list")
    table = []
    for index, entry in enumerate(phases):
        try:
            number = int(entry["phase"])
            percent = int(entry["target_percent"])
        except (KeyError, TypeError, ValueError) as exc:
            raise AnsibleFilterError(f"phase table entry {index} needs integer 'phase' and 'target_percent'") from exc
        writer = entry.get("writer", "source")
        if number != index:
            raise AnsibleFilterError(f"phase table entry {index} has phase {number}; phases must be 0, 1, 2, ...")
        if not 0 <= percent <= 100:
            raise AnsibleFilterError(f"phase {number}: target_percent {percent} is not within 0-100")
        if writer not in ("source", "target"):
            raise AnsibleFilterError(f"phase {number}: writer must be 'source' or 'target', not {writer!r}")
        if table and percent < table[-1]["target_percent"]:
            raise AnsibleFilterError(f"phase {number}: target_percent must not decrease from one phase to the next")
        table.append(dict(entry, phase=number, target_percent=percent, writer=writer))
    return table


def migration_target_percent(weights: dict[str, Any], source_id: str, target_id: str) -> int | None:
    """Share of DNS answers (0-100, rounded) that go to the target set; None without any weight.

    Route 53 answers each weighted set in proportion weight / sum(weights): 0/0 would spread
    evenly, which matches no phase, hence None rather than a guess.
    """
    weights = weights or {}
    source = int(weights.get(source_id) or 0)
    target = int(weights.get(target_id) or 0)
    if source + target == 0:
        return None
    return round(100 * target / (source + target))


def migration_phase_weights(phase: dict[str, Any], source_id: str, target_id: str) -> dict[str, int]:
    """The weights a phase sets: the percentages themselves (they sum to 100, within 0-255)."""
    percent = int(phase["target_percent"])
    return {source_id: 100 - percent, target_id: percent}


def migration_locate(phases: list[dict[str, Any]], target_percent: int | None,
                     writer_at_target: bool) -> dict[str, Any]:
    """Where the live state stands in the phase table.

    ``phase`` is the highest phase fully reached (its traffic share is at most the live share, and
    if it needs the writer in the target region, the writer is there); ``exact`` says whether the
    live weights and writer are exactly that phase. A run interrupted between the weight change
    and the writer switchover of the last phase therefore reads as "phase 3, not exact", and
    re-running either direction converges.
    """
    table = _phase_table(phases)
    percent = target_percent if target_percent is not None else -1
    reached = [
        p for p in table
        if p["target_percent"] <= percent and (p["writer"] == "source" or writer_at_target)
    ]
    current = reached[-1] if reached else table[0]
    exact = current["target_percent"] == percent and (current["writer"] == "target") == bool(writer_at_target)
    return {
        "phase": current["phase"],
        "exact": exact,
        "target_percent": target_percent,
        "writer_at_target": bool(writer_at_target),
        "last_phase": table[-1]["phase"],
    }


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
            "migration_valid_phase": migration_valid_phase,
        }
