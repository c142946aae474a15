# Copyright: Contributors to the payments.region_migration project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Decision logic of migration_lock: pure functions over the lock record, no AWS calls.

A lock is an SSM parameter whose value is a JSON object
``{"owner", "run_id", "acquired", "expires", "renewed", "purpose", "progress"}`` (times in ISO 8601,
UTC). Taking a free lock is a PutParameter with Overwrite=False, which SSM performs atomically:
exactly one of two concurrent callers succeeds, the other gets ParameterAlreadyExists.

Ownership is per run: when a run id is given (or recorded in the lock), the holder is the pair
(owner, run id), so the same user in two terminals - two runs - never both hold the lock. The
holder renews its live lock (a new expiry) while it runs, and may record its ``progress`` (for
example ``{phase, bake_started, bake_seconds, step}``) so that status shows an unfinished bake and
a re-run can resume the remaining part of it.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from ansible_collections.payments.region_migration.plugins.module_utils._aws_client import (
    AWS_ERRORS,
    is_boto3_error_code,
)

TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"

# Actions decide() can return.
NONE = "none"  # nothing to do (lock already held by the caller / already free)
ACQUIRE = "acquire"  # free: PutParameter Overwrite=False
RENEW = "renew"  # the caller's own lock has expired: replace it with a fresh one
UPDATE = "update"  # the caller's own live lock: extend its expiry and/or record progress
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
             run_id: str | None = None, progress: dict[str, Any] | None = None) -> dict[str, Any]:
    lock = {
        "owner": owner,
        "acquired": format_time(now),
        "expires": format_time(now + timedelta(seconds=ttl_seconds)),
        "purpose": purpose or "",
    }
    if run_id:
        lock["run_id"] = run_id
    if progress is not None:
        lock["progress"] = progress
    return lock


def updated_lock(current: dict[str, Any], ttl_seconds: int, now: datetime,
                 progress: dict[str, Any] | None = None) -> dict[str, Any]:
    """The holder's own lock renewed from now (same acquisition), with its latest progress."""
    lock = dict(current)
    lock["expires"] = format_time(now + timedelta(seconds=ttl_seconds))
    lock["renewed"] = format_time(now)
    if progress is not None:
        lock["progress"] = progress
    return lock


def same_holder(current: dict[str, Any], owner: str | None, run_id: str | None) -> bool:
    """Whether the caller holds ``current``: the same run (owner and run id) when either has a run id."""
    if current.get("run_id") or run_id:
        return current.get("run_id") == run_id and current.get("owner") == owner
    return current.get("owner") is not None and current.get("owner") == owner


def needs_update(current: dict[str, Any], ttl_seconds: int, now: datetime,
                 progress: dict[str, Any] | None) -> bool:
    """Renew the holder's live lock when less than half its lifetime is left or the progress changed.

    A renewal right after another one changes nothing, so a repeated call is idempotent.
    """
    if progress is not None and progress != current.get("progress"):
        return True
    expires = parse_time(current.get("expires"))
    return expires is None or (expires - now).total_seconds() < ttl_seconds / 2


def lock_status(lock: dict[str, Any] | None, now: datetime) -> dict[str, Any]:
    """What state=query reports: holder, age, expiry and the recorded progress (an unfinished bake)."""
    if lock is None:
        return {"held": False, "holder": None, "expired": None, "age_seconds": None, "expires_in_seconds": None,
                "progress": None}
    acquired = parse_time(lock.get("acquired"))
    expires = parse_time(lock.get("expires"))
    return {
        "held": True,
        "holder": describe_holder(lock),
        "expired": is_expired(lock, now),
        "age_seconds": int((now - acquired).total_seconds()) if acquired else None,
        "expires_in_seconds": int((expires - now).total_seconds()) if expires else None,
        "progress": lock.get("progress"),
    }


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
    progress = lock.get("progress")
    if isinstance(progress, dict) and progress:
        parts.append("progress " + ", ".join(f"{k}={v}" for k, v in sorted(progress.items())))
    return ", ".join(parts)


def decide(current: dict[str, Any] | None, owner: str, state: str, now: datetime,
           break_stale: bool = False, force: bool = False, name: str = "the lock", run_id: str | None = None,
           ttl_seconds: int = 3600, progress: dict[str, Any] | None = None) -> tuple[str, str]:
    """What to do with the lock: (action, message). The message explains refusals and actions."""
    me = f"{owner!r}" + (f" (run {run_id!r})" if run_id else "")
    if state == "present":
        if current is None:
            return ACQUIRE, f"{name} is free"
        expired = is_expired(current, now)
        if same_holder(current, owner, run_id):
            if expired:
                return RENEW, f"{name} is held by {me} but expired at {current.get('expires')}; renewing it"
            if needs_update(current, ttl_seconds, now, progress):
                return UPDATE, f"{name} is held by {me}; renewing it"
            return NONE, f"{name} is already held by {me}"
        holder = describe_holder(current)
        if expired:
            if break_stale or force:
                return TAKEOVER, f"{name} was held by {holder}; it has expired and break_stale is set"
            return FAIL, (
                f"{name} is held by {holder}. It has expired: re-run with break_stale=true to take it over, "
                "after making sure that run is no longer active. Nothing was changed"
            )
        if force:
            return TAKEOVER, f"{name} was held by {holder}; force is set, taking it over"
        return FAIL, (
            f"{name} is held by {holder}, not by {me}. Wait until it is released or has expired (then "
            "break_stale=true takes it over), or, if that run is certainly dead (for example interrupted), take "
            "it over with force=true; its progress is returned in 'previous'. Nothing was changed"
        )
    if current is None:
        return NONE, f"{name} is not held"
    if same_holder(current, owner, run_id):
        return RELEASE, f"{name} is held by {me}; releasing it"
    holder = describe_holder(current)
    if force:
        return RELEASE, f"{name} is held by {holder}; force is set, releasing it"
    if break_stale and is_expired(current, now):
        return RELEASE, f"{name} was held by {holder}; it has expired and break_stale is set, releasing it"
    return FAIL, (
        f"{name} is held by {holder}, not by {me}. Only its owner releases it; use force=true to release "
        "someone else's lock (or break_stale=true once it has expired). Nothing was changed"
    )


DESCRIPTION = "Region migration operator lock (payments.region_migration.migration_lock)"


class SsmLock:
    """The lock as an SSM parameter: take, renew, release or query it (migration_lock, migration_gate's lock).

    ``params`` are migration_lock's options (name, owner, run_id, purpose, progress, state,
    ttl_seconds, break_stale, force); ``client`` an SSM client with the collection's retry policy.
    A refusal fails the module with the holder's description (and ``refusal``, extra result keys that
    let a caller tell a refusal from other failures); writes are skipped in check mode.
    """

    def __init__(self, module, params: dict[str, Any], client, refusal: dict[str, Any] | None = None):
        self.module = module
        self.params = params
        self.name = params["name"]
        self.client = client
        self.refusal = refusal or {}

    def read(self):
        """(lock record, parameter version), (None, None) when the lock is free."""
        try:
            parameter = self.client.get_parameter(Name=self.name, aws_retry=True)["Parameter"]
        except is_boto3_error_code("ParameterNotFound"):
            return None, None
        except AWS_ERRORS as e:  # pylint: disable=duplicate-except
            self.module.fail_json_aws(e, msg=f"Failed to read the lock {self.name}")
        return parse_lock(parameter.get("Value")), parameter.get("Version")

    def fail(self, msg, previous, changed=False):
        self.module.fail_json(msg=msg, changed=changed, lock=previous, previous=previous, **self.refusal)

    def put(self, lock, previous):
        """Create the parameter if it does not exist (atomic); fail naming the holder if it does."""
        try:
            self.client.put_parameter(
                Name=self.name, Value=serialize(lock), Type="String", Overwrite=False,
                Description=DESCRIPTION, aws_retry=True,
            )
        except is_boto3_error_code("ParameterAlreadyExists"):
            holder, _version = self.read()
            if holder == lock:
                return  # our own write, acknowledged late (a retried call)
            self.fail(
                f"The lock {self.name} was taken by someone else at the same moment: "
                f"{describe_holder(holder) if holder else 'released again since'}. Nothing was changed",
                holder, changed=False,
            )
        except AWS_ERRORS as e:  # pylint: disable=duplicate-except
            self.module.fail_json_aws(e, msg=f"Failed to write the lock {self.name}", previous=previous)

    def overwrite(self, lock, expected_version, previous):
        """Replace the holder's own live lock in place, provided nobody changed it since it was read."""
        current, version = self.read()
        if version != expected_version or current != previous:
            self.fail(
                f"The lock {self.name} changed while it was being renewed; it is now "
                f"{'held by ' + describe_holder(current) if current else 'free'}. Nothing was changed; "
                "re-run to decide again", current,
            )
        try:
            self.client.put_parameter(
                Name=self.name, Value=serialize(lock), Type="String", Overwrite=True,
                Description=DESCRIPTION, aws_retry=True,
            )
        except AWS_ERRORS as e:
            self.module.fail_json_aws(e, msg=f"Failed to renew the lock {self.name}", previous=previous)

    def delete(self, expected_version, previous):
        """Delete the parameter, provided it still is the version the decision was based on."""
        current, version = self.read()
        if version is None:
            return
        if version != expected_version or current != previous:
            self.fail(
                f"The lock {self.name} changed while it was being replaced or released; it is now held by "
                f"{describe_holder(current)}. Nothing was changed; re-run to decide again", current,
            )
        try:
            self.client.delete_parameter(Name=self.name, aws_retry=True)
        except is_boto3_error_code("ParameterNotFound"):
            return
        except AWS_ERRORS as e:  # pylint: disable=duplicate-except
            self.module.fail_json_aws(e, msg=f"Failed to delete the lock {self.name}", previous=previous)

    def query(self):
        current, _version = self.read()
        return {"changed": False, "lock": current, "previous": current, "status": lock_status(current, utc_now()),
                "msg": f"The lock {self.name} is " + (f"held by {describe_holder(current)}" if current else "free")}

    def run(self):
        if self.params["state"] == "query":
            return self.query()
        if self.params["ttl_seconds"] < 1:
            self.module.fail_json(msg="ttl_seconds must be at least 1")
        owner = self.params["owner"]
        ttl = self.params["ttl_seconds"]
        now = utc_now()
        previous, version = self.read()
        action, message = decide(previous, owner, self.params["state"], now, self.params["break_stale"],
                                 self.params["force"], name=f"The lock {self.name}", run_id=self.params["run_id"],
                                 ttl_seconds=ttl, progress=self.params["progress"])
        if action == FAIL:
            self.fail(message, previous)
        changed = action != NONE
        if action == NONE:
            after = previous
        elif action == RELEASE:
            after = None
        elif action == UPDATE:
            after = updated_lock(previous, ttl, now, self.params["progress"])
        else:
            after = new_lock(owner, ttl, now, self.params["purpose"], self.params["run_id"], self.params["progress"])
        if changed and not self.module.check_mode:
            if action == UPDATE:
                self.overwrite(after, version, previous)
            else:
                if action != ACQUIRE:  # RENEW and TAKEOVER replace the old lock, RELEASE removes it
                    self.delete(version, previous)
                if after is not None:
                    self.put(after, previous)
            if after is not None:
                held, _version = self.read()
                if held != after:
                    self.fail(
                        f"The lock {self.name} was taken over by someone else at the same moment: "
                        f"{describe_holder(held) if held else 'it is free again'}. Re-run to decide again",
                        held, changed=True,
                    )
        result = {"changed": changed, "lock": after, "previous": previous, "msg": message}
        if self.module._diff:
            result["diff"] = {"before": previous or {}, "after": after or {}}
        return result
