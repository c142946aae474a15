# Copyright: Contributors to the payments.region_migration project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The migration audit log: one JSON object per line, appended at the moment of the event.

Private to this collection. The migration role builds each record (run context plus the event);
the module that makes or closes the step appends it here, so that writing the record costs no task
of its own. Never written in check mode (the caller decides).
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from typing import Any


def stamped(record: dict[str, Any], now: datetime | None = None) -> dict[str, Any]:
    """The record with the moment it is written: ``time`` (ISO 8601 UTC) and ``epoch`` (seconds)."""
    moment = now or datetime.now(UTC)
    return {**record, "time": moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), "epoch": round(moment.timestamp(), 3)}


def gate_record(result: dict[str, Any]) -> dict[str, Any]:
    """What a gate returned, as the audit log keeps it (no task bookkeeping)."""
    keep = ("healthy", "verdict", "reason", "checks", "samples", "elapsed_seconds", "attempts", "mode")
    return {key: result[key] for key in keep if key in result}


def append(path: str, records: list[dict[str, Any]]) -> None:
    """Append the records (stamped now) to the JSON lines file, creating its directory if needed."""
    if not records:
        return
    directory = os.path.dirname(path)
    if directory:
        os.makedirs(directory, exist_ok=True)
    with open(path, "a", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(stamped(record), sort_keys=True) + "\n")
