# Copyright: Contributors to the payments.region_migration project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Pure decisions about Route 53 weighted record sets: weights for a percentage, phases.

No AWS calls here, so every rule can be unit tested with plain dictionaries. A weighted record set
is represented as ``{set_identifier: weight}``.

Percentages are expressed on a scale of 100: the target record gets ``percent`` and the other
records share ``100 - percent``. Route 53 only looks at the ratios, and a 0-100 scale keeps the
weights readable (``us-east-1: 75, eu-west-1: 25`` is 25 %).
"""

from __future__ import annotations

from typing import Any

MIN_WEIGHT = 0
MAX_WEIGHT = 255
PERCENT_SCALE = 100


class WeightError(ValueError):
    """A request that cannot be turned into valid weights; the message is meant for the user."""


def share_percent(weights: dict[str, int], identifier: str) -> float | None:
    """The share (0-100) of the traffic that ``identifier`` receives, None when all weights are 0.

    Route 53 splits evenly between records when all weights are zero, but that is not a state this
    collection ever writes, so it is reported as "no defined share" rather than guessed.
    """
    total = sum(weights.values())
    if total <= 0 or identifier not in weights:
        return None
    return round(100.0 * weights[identifier] / total, 4)


def split_remainder(remainder: int, current: dict[str, int]) -> dict[str, int]:
    """Split ``remainder`` between the records of ``current`` in proportion to their weights.

    Evenly when they are all zero. Largest-remainder rounding keeps the sum exactly ``remainder``;
    ties go to the identifier that sorts first, so the result is deterministic.
    """
    if not current:
        return {}
    names = sorted(current)
    total = sum(current[name] for name in names)
    basis = {name: (current[name] if total > 0 else 1) for name in names}
    basis_total = sum(basis.values())
    exact = {name: remainder * basis[name] / basis_total for name in names}
    result = {name: int(exact[name]) for name in names}
    missing = remainder - sum(result.values())
    by_fraction = sorted(names, key=lambda name: (-(exact[name] - result[name]), name))
    for name in by_fraction[:missing]:
        result[name] += 1
    return result


def weights_for_percent(current: dict[str, int], target: str, percent: int) -> dict[str, int]:
    """Weights that give ``target`` exactly ``percent`` % of the traffic.

    When the current weights already give the target exactly that share they are returned as they
    are (whatever their scale), so that a repeated run changes nothing.
    """
    validate_percent(percent)
    if target not in current:
        raise WeightError(
            f"target_identifier {target!r} is not in the record set (found: {', '.join(sorted(current)) or 'none'})"
        )
    total = sum(current.values())
    if total > 0 and current[target] * PERCENT_SCALE == percent * total:
        return dict(current)
    others = {name: weight for name, weight in current.items() if name != target}
    remainder = PERCENT_SCALE - percent
    if remainder > 0 and not others:
        raise WeightError(
            f"the record set has no record other than {target!r} to receive the remaining {remainder} %"
        )
    result = split_remainder(remainder, others)
    result[target] = percent
    return result


def merge_explicit_weights(current: dict[str, int], requested: dict[str, int]) -> dict[str, int]:
    """The current weights with the requested ones applied; records not mentioned keep theirs."""
    unknown = sorted(set(requested) - set(current))
    if unknown:
        raise WeightError(
            f"weights names {', '.join(repr(u) for u in unknown)}, not in the record set "
            f"(found: {', '.join(sorted(current)) or 'none'})"
        )
    for name, weight in requested.items():
        validate_weight(name, weight)
    result = dict(current)
    result.update({name: int(weight) for name, weight in requested.items()})
    return result


def validate_percent(percent) -> None:
    if isinstance(percent, bool) or not isinstance(percent, int) or not 0 <= percent <= 100:
        raise WeightError(f"percent must be an integer from 0 to 100, got {percent!r}")


def validate_weight(name: str, weight) -> None:
    if isinstance(weight, bool) or not isinstance(weight, int) or not MIN_WEIGHT <= weight <= MAX_WEIGHT:
        raise WeightError(f"weight for {name!r} must be an integer from {MIN_WEIGHT} to {MAX_WEIGHT}, got {weight!r}")


def validate_result(weights: dict[str, int]) -> None:
    """Refuse a split that Route 53 would accept but that means nothing: every weight zero."""
    for name, weight in weights.items():
        validate_weight(name, weight)
    if weights and sum(weights.values()) == 0:
        raise WeightError("all weights would be zero; at least one record must receive traffic")


def phase_table(phases: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Validate the phase table once: consecutive phase numbers from 0, percents 0-100 not decreasing.

    Each entry is ``{phase, target_percent, writer: source|target}`` (the inventory's table).
    """
    if not isinstance(phases, list) or not phases:
        raise WeightError("the phase table must be a non-empty list")
    table: list[dict[str, Any]] = []
    for index, entry in enumerate(phases):
        try:
            number = int(entry["phase"])
            percent = int(entry["target_percent"])
        except (KeyError, TypeError, ValueError) as exc:
            raise WeightError(f"phase table entry {index} needs integer 'phase' and 'target_percent'") from exc
        writer = entry.get("writer", "source")
        if number != index:
            raise WeightError(f"phase table entry {index} has phase {number}; phases must be 0, 1, 2, ...")
        if not 0 <= percent <= 100:
            raise WeightError(f"phase {number}: target_percent {percent} is not within 0-100")
        if writer not in ("source", "target"):
            raise WeightError(f"phase {number}: writer must be 'source' or 'target', not {writer!r}")
        if table and percent < table[-1]["target_percent"]:
            raise WeightError(f"phase {number}: target_percent must not decrease from one phase to the next")
        table.append(dict(entry, phase=number, target_percent=percent, writer=writer))
    return table


def target_percent(weights: dict[str, Any], source_id: str, target_id: str) -> int | None:
    """Share of DNS answers (0-100, rounded) that go to the target set among source and target.

    Route 53 answers each weighted set in proportion weight / sum(weights): 0/0 would spread
    evenly, which matches no phase, hence None rather than a guess.
    """
    weights = weights or {}
    pair = {source_id: int(weights.get(source_id) or 0), target_id: int(weights.get(target_id) or 0)}
    share = share_percent(pair, target_id)
    return None if share is None else round(share)


def locate_phase(phases: list[dict[str, Any]], percent: int | None, writer_at_target: bool) -> dict[str, Any]:
    """The one function that locates the live state in the phase table.

    ``phase`` is the highest phase fully reached (its traffic share is at most the live share, and
    if it needs the writer in the target region, the writer is there); ``exact`` says whether the
    live weights and writer are exactly that phase. A run interrupted between the weight change
    and the writer switchover of the last phase therefore reads as "phase 3, not exact", and
    re-running either direction converges.
    """
    table = phase_table(phases)
    live = percent if percent is not None else -1
    reached = [p for p in table if p["target_percent"] <= live and (p["writer"] == "source" or writer_at_target)]
    current = reached[-1] if reached else table[0]
    exact = current["target_percent"] == live and (current["writer"] == "target") == bool(writer_at_target)
    return {
        "phase": current["phase"],
        "exact": exact,
        "target_percent": percent,
        "writer_at_target": bool(writer_at_target),
        "last_phase": table[-1]["phase"],
    }


def phase_for_weights(weights: dict[str, int], target: str, phase_percents: list[int]) -> int | None:
    """Index of the phase whose target percentage the weights give exactly, None if none does.

    For a bare list of percentages (no writer column); :func:`locate_phase` is the full rule.
    """
    share = share_percent(weights, target)
    if share is None:
        return None
    for index, percent in enumerate(phase_percents):
        if abs(share - percent) < 1e-6:
            return index
    return None
