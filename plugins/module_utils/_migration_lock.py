# Copyright: Contributors to the payments.region_migration project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Decision logic of migration_lock: pure functions over the lock record, no AWS calls.

A lock is an SSM parameter whose value is a JSON object
``{"owner", "run_id", "acquired", "expires", "purpose"}`` (times in ISO 8601, UTC). Taking a free
lock is a PutParameter with Overwrite=False, which SSM performs atomically: exactly one of two
concurrent callers succeeds, the other gets ParameterAlreadyExists.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"

# Actions decide() can return.
NONE = "none"  # nothing to do (lock already held by the caller / already free)
ACQUIRE = "acquire"  # free: PutParameter Overwrite=False
RENEW = "renew"  # the caller's own lock has expired: replace it with a fresh one
TAKEOVER = "takeover"  # another owner's expired lock, break_stale given: replace it
RELEASE = "release"  # delete the parameter
FAIL = "fail"  # refuse, change nothing


def utc_now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def format_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(TIME_FORMAT)


def parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    for pattern in (TIME_FORMAT, "%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S.%f%z"):
        try:
            parsed = datetime.strptime(value, pattern)
        except ValueError:
            continue
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None


def parse_lock(value: str | None) -> dict[str, Any] | None:
    """The lock record stored in the parameter; a value that is not a lock record is kept raw."""
    if value is None:
        return None
    try:
        record = json.loads(value)
    except ValueError:
        record = None
    if not isinstance(record, dict):
        return {"owner": None, "raw": value}
    return record


def new_lock(owner: str, ttl_seconds: int, now: datetime, purpose: str | None = None,
             run_id: str | None = None) -> dict[str, Any]:
    lock = {
        "owner": owner,
        "acquired": format_time(now),
        "expires": format_time(now + timedelta(seconds=ttl_seconds)),
        "purpose": purpose or "",
    }
    if run_id:
        lock["run_id"] = run_id
    return lock


def serialize(lock: dict[str, Any]) -> str:
    return json.dumps(lock, sort_keys=True, separators=(",", ":"))


def is_expired(lock: dict[str, Any], now: datetime) -> bool:
    """True when the lock's expiry has passed; a record without a readable expiry counts as expired."""
    expires = parse_time(lock.get("expires"))
    return expires is None or expires <= now


def describe_holder(lock: dict[str, Any]) -> str:
    if lock.get("owner") is None:
        return f"an unreadable lock record ({lock.get('raw')!r})"
    parts = [f"owner {lock['owner']!r}"]
    if lock.get("run_id"):
        parts.append(f"run {lock['run_id']!r}")
    if lock.get("purpose"):
        parts.append(f"purpose {lock['purpose']!r}")
    parts.append(f"acquired {lock.get('acquired')}")
    parts.append(f"expires {lock.get('expires')}")
    return ", ".join(parts)


def decide(current: dict[str, Any] | None, owner: str, state: str, now: datetime,
           break_stale: bool = False, force: bool = False, name: str = "the lock") -> tuple[str, str]:
    """What to do with the lock: (action, message). The message explains refusals and actions."""
    if state == "present":
        if current is None:
            return ACQUIRE, f"{name} is free"
        expired = is_expired(current, now)
        if current.get("owner") == owner:
            if expired:
                return RENEW, f"{name} is held by {owner!r} but expired at {current.get('expires')}; renewing it"
            return NONE, f"{name} is already held by {owner!r}"
        holder = describe_holder(current)
        if expired:
            if break_stale:
                return TAKEOVER, f"{name} was held by {holder}; it has expired and break_stale is set"
            return FAIL, (
                f"{name} is held by {holder}. It has expired: re-run with break_stale=true to take it over, "
                "after making sure that run is no longer active. Nothing was changed"
            )
        return FAIL, (
            f"{name} is held by {holder}. Wait until it is released or has expired (then break_stale=true "
            "takes it over), or, if that run is certainly dead, release it with state=absent and force=true. "
            "Nothing was changed"
        )
    if current is None:
        return NONE, f"{name} is not held"
    if current.get("owner") == owner:
        return RELEASE, f"{name} is held by {owner!r}; releasing it"
    holder = describe_holder(current)
    if force:
        return RELEASE, f"{name} is held by {holder}; force is set, releasing it"
    if break_stale and is_expired(current, now):
        return RELEASE, f"{name} was held by {holder}; it has expired and break_stale is set, releasing it"
    return FAIL, (
        f"{name} is held by {holder}, not by {owner!r}. Only its owner releases it; use force=true to release "
        "someone else's lock (or break_stale=true once it has expired). Nothing was changed"
    )
