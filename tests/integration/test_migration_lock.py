"""payments.region_migration.migration_lock against the emulator (the SSM parameter read back with boto3)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from ansible_collections.payments.region_migration.plugins.modules import migration_lock

from tests.integration._global_db_helpers import add_fault, pending_faults

NAME = "/payments-region-migration/test/lock"
REGION = "eu-west-1"


@pytest.fixture
def lock(run, module_args):
    def call(owner, check_mode=False, diff=False, **options):
        args = {**module_args, "region": REGION, "name": NAME, "owner": owner, **options}
        return run(migration_lock, args, check_mode=check_mode, diff=diff)

    return call


def stored(aws):
    """The lock record in SSM, None when the parameter does not exist."""
    ssm = aws("ssm", REGION)
    try:
        return json.loads(ssm.get_parameter(Name=NAME)["Parameter"]["Value"])
    except ssm.exceptions.ParameterNotFound:
        return None


def plant(aws, owner, expires_in, purpose="rollback"):
    """Store a lock of another owner directly, expiring ``expires_in`` seconds from now."""
    now = datetime.now(UTC).replace(microsecond=0)
    record = {"owner": owner, "acquired": (now - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ"),
              "expires": (now + timedelta(seconds=expires_in)).strftime("%Y-%m-%dT%H:%M:%SZ"),
              "purpose": purpose, "run_id": "run-9"}
    aws("ssm", REGION).put_parameter(Name=NAME, Value=json.dumps(record), Type="String")
    return record


def test_acquire_check_mode_real_run_idempotent(aws, lock):
    checked = lock("alice", check_mode=True, diff=True, purpose="shift phase 2", run_id="42")
    assert checked["changed"] is True and checked["previous"] is None
    assert checked["lock"]["owner"] == "alice" and checked["diff"]["before"] == {}
    assert stored(aws) is None

    taken = lock("alice", purpose="shift phase 2", run_id="42", ttl_seconds=600)
    assert taken["changed"] is True
    record = stored(aws)
    assert record == taken["lock"]
    assert record["owner"] == "alice" and record["purpose"] == "shift phase 2" and record["run_id"] == "42"
    acquired = datetime.strptime(record["acquired"], "%Y-%m-%dT%H:%M:%S%z")
    expires = datetime.strptime(record["expires"], "%Y-%m-%dT%H:%M:%S%z")
    assert expires - acquired == timedelta(seconds=600)

    again = lock("alice", purpose="shift phase 2", run_id="42", ttl_seconds=600)
    assert again["changed"] is False and again["lock"] == record and again["previous"] == record
    assert lock("alice", run_id="42", ttl_seconds=600, check_mode=True)["changed"] is False
    assert stored(aws) == record


def test_second_owner_is_refused(aws, lock):
    held = lock("alice", purpose="shift phase 2")["lock"]
    refused = lock("bob")
    assert refused["failed"] is True
    for text in ("'alice'", held["acquired"], held["expires"], "shift phase 2", "break_stale", "force"):
        assert text in refused["msg"]
    assert refused["previous"] == held
    assert stored(aws) == held
    # check mode refuses the same way
    assert lock("bob", check_mode=True)["failed"] is True


def test_stale_lock_needs_break_stale(aws, lock, emulator):
    planted = plant(aws, "bob", expires_in=-60)
    refused = lock("alice")
    assert refused["failed"] is True and "expired" in refused["msg"] and "break_stale=true" in refused["msg"]
    assert stored(aws) == planted

    checked = lock("alice", check_mode=True, diff=True, break_stale=True)
    assert checked["changed"] is True and checked["diff"]["before"] == planted
    assert stored(aws) == planted

    add_fault(emulator, "PutParameter", count=2)
    taken = lock("alice", break_stale=True, purpose="shift phase 3")
    assert taken["changed"] is True and taken["previous"] == planted, taken
    assert stored(aws)["owner"] == "alice" and stored(aws) == taken["lock"]
    assert pending_faults(emulator, "PutParameter") == []
    assert lock("alice", break_stale=True)["changed"] is False


def test_unexpired_lock_is_not_broken_by_break_stale(aws, lock):
    planted = plant(aws, "bob", expires_in=600)
    refused = lock("alice", break_stale=True)
    assert refused["failed"] is True and "'bob'" in refused["msg"]
    assert stored(aws) == planted


def test_own_expired_lock_is_renewed(aws, lock):
    planted = plant(aws, "alice", expires_in=-5)
    renewed = lock("alice", run_id="run-9", ttl_seconds=120)
    assert renewed["changed"] is True and renewed["previous"] == planted
    record = stored(aws)
    assert record["owner"] == "alice" and record["expires"] > planted["expires"]


def test_acquire_survives_throttling(aws, lock, emulator, retry_sleeps):
    add_fault(emulator, "PutParameter", count=2)
    taken = lock("alice")
    assert taken["changed"] is True, taken
    assert stored(aws)["owner"] == "alice"
    assert pending_faults(emulator, "PutParameter") == []
    assert retry_sleeps.backoffs == 2  # one backoff per throttled call (none of them slept)


def test_release_check_mode_real_run_idempotent(aws, lock, emulator):
    held = lock("alice")["lock"]
    checked = lock("alice", state="absent", check_mode=True, diff=True)
    assert checked["changed"] is True and checked["diff"] == {"before": held, "after": {}}
    assert stored(aws) == held

    add_fault(emulator, "DeleteParameter", count=2)
    released = lock("alice", state="absent")
    assert released["changed"] is True and released["lock"] is None and released["previous"] == held
    assert stored(aws) is None
    assert pending_faults(emulator, "DeleteParameter") == []

    assert lock("alice", state="absent")["changed"] is False
    # free again: another owner can take it
    assert lock("bob")["changed"] is True and stored(aws)["owner"] == "bob"


def test_release_of_someone_elses_lock(aws, lock):
    planted = plant(aws, "bob", expires_in=600)
    refused = lock("alice", state="absent")
    assert refused["failed"] is True and "force=true" in refused["msg"]
    assert stored(aws) == planted
    assert lock("alice", state="absent", break_stale=True)["failed"] is True  # not expired
    assert stored(aws) == planted

    forced = lock("alice", state="absent", force=True)
    assert forced["changed"] is True and forced["previous"] == planted
    assert stored(aws) is None


def test_release_of_someone_elses_stale_lock_with_break_stale(aws, lock):
    plant(aws, "bob", expires_in=-1)
    assert lock("alice", state="absent", break_stale=True)["changed"] is True
    assert stored(aws) is None


def test_unreadable_lock_record(aws, lock):
    aws("ssm", REGION).put_parameter(Name=NAME, Value="not json", Type="String")
    refused = lock("alice")
    assert refused["failed"] is True and "unreadable lock record" in refused["msg"]
    assert lock("alice", break_stale=True)["changed"] is True
    assert stored(aws)["owner"] == "alice"


def test_invalid_ttl_changes_nothing(aws, lock):
    result = lock("alice", ttl_seconds=0)
    assert result["failed"] is True and "ttl_seconds" in result["msg"]
    assert stored(aws) is None


def test_aws_error_is_reported(aws, lock, emulator):
    add_fault(emulator, "PutParameter", error="AccessDeniedException", count=1)
    result = lock("alice")
    assert result["failed"] is True and "Failed to write the lock" in result["msg"]
    assert stored(aws) is None


@pytest.mark.parametrize("action, options, message", [
    ("GetParameter", {}, "Failed to read the lock"),
    ("DeleteParameter", {"state": "absent", "force": True}, "Failed to delete the lock"),
])
def test_aws_errors_on_read_and_delete(aws, lock, emulator, action, options, message):
    planted = plant(aws, "bob", expires_in=600)
    add_fault(emulator, action, error="AccessDeniedException", count=1)
    result = lock("alice", **options)
    assert result["failed"] is True and message in result["msg"]
    assert stored(aws) == planted


# -- per-run ownership, renewal, progress, query (issue 8 item 7) -------------------------------


def test_same_user_in_two_terminals_does_not_both_hold_it(aws, lock):
    first = lock("alice", run_id="terminal-1", ttl_seconds=600)
    assert first["changed"] is True
    second = lock("alice", run_id="terminal-2", ttl_seconds=600)
    assert second["failed"] is True and second["changed"] is False
    assert "run 'terminal-1'" in second["msg"] and "not by 'alice' (run 'terminal-2')" in second["msg"]
    assert stored(aws)["run_id"] == "terminal-1"


def test_the_holding_run_renews_its_lock_and_records_progress(aws, lock):
    plant(aws, "alice", expires_in=100)  # run-9 of alice, less than half of a 600 s TTL left
    before = stored(aws)
    renewed = lock("alice", run_id="run-9", ttl_seconds=600, diff=True)
    assert renewed["changed"] is True
    record = stored(aws)
    assert record["expires"] > before["expires"] and record["acquired"] == before["acquired"]
    assert record["renewed"] and renewed["diff"]["before"] == before

    assert lock("alice", run_id="run-9", ttl_seconds=600)["changed"] is False  # idempotent right after

    progress = {"phase": 2, "step": "bake", "bake_started": "2026-11-30T14:00:00Z", "bake_seconds": 60}
    checked = lock("alice", run_id="run-9", ttl_seconds=600, progress=progress, check_mode=True)
    assert checked["changed"] is True and "progress" not in stored(aws)
    with_progress = lock("alice", run_id="run-9", ttl_seconds=600, progress=progress)
    assert with_progress["changed"] is True and stored(aws)["progress"] == progress
    assert lock("alice", run_id="run-9", ttl_seconds=600, progress=progress)["changed"] is False


def test_query_shows_the_holder_its_age_and_an_unfinished_bake(aws, run, module_args):
    args = {**module_args, "region": REGION, "name": NAME, "state": "query"}
    free = run(migration_lock, args)
    assert free["changed"] is False and free["lock"] is None and free["status"]["held"] is False

    planted = plant(aws, "alice", expires_in=-30)
    planted["progress"] = {"phase": 2, "step": "bake", "bake_seconds": 60, "bake_started": "2026-11-30T14:00:00Z"}
    aws("ssm", REGION).put_parameter(Name=NAME, Value=json.dumps(planted), Type="String", Overwrite=True)
    status = run(migration_lock, args, check_mode=True)
    assert status["changed"] is False and status["lock"] == planted
    assert status["status"]["expired"] is True and status["status"]["age_seconds"] >= 7200
    assert status["status"]["progress"]["bake_seconds"] == 60
    assert "progress bake_seconds=60" in status["msg"]
    assert stored(aws) == planted


def test_interrupted_run_is_taken_over_with_force_and_its_progress_returned(aws, lock):
    planted = plant(aws, "alice", expires_in=3000)
    progress = {"phase": 1, "step": "bake", "bake_seconds": 60, "bake_started": "2026-11-30T14:00:00Z"}
    planted["progress"] = progress
    aws("ssm", REGION).put_parameter(Name=NAME, Value=json.dumps(planted), Type="String", Overwrite=True)
    refused = lock("alice", run_id="run-10")
    assert refused["failed"] is True and "force=true" in refused["msg"]

    taken = lock("alice", run_id="run-10", force=True)
    assert taken["changed"] is True and taken["previous"]["progress"] == progress
    assert stored(aws)["run_id"] == "run-10"


def test_query_needs_no_owner_but_present_does(run, module_args):
    result = run(migration_lock, {**module_args, "region": REGION, "name": NAME})
    assert result["failed"] is True and "owner" in result["msg"]
