"""migration_lock: the lock decision (pure) and the races around SSM writes (fake SSM client)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from unittest import mock

import botocore.exceptions
import pytest
from ansible_collections.payments.region_migration.plugins.module_utils._aws_client import ClientCache
from ansible_collections.payments.region_migration.plugins.module_utils._migration_lock import (
    ACQUIRE,
    FAIL,
    NONE,
    RELEASE,
    RENEW,
    TAKEOVER,
    decide,
    describe_holder,
    is_expired,
    new_lock,
    parse_lock,
    parse_time,
)
from ansible_collections.payments.region_migration.plugins.modules import migration_lock

from tests.conftest import run_module

NOW = datetime(2026, 11, 27, 14, 0, 0, tzinfo=UTC)


def held(owner, minutes_left):
    return {"owner": owner, "acquired": "2026-11-27T12:00:00Z",
            "expires": (NOW + timedelta(minutes=minutes_left)).strftime("%Y-%m-%dT%H:%M:%SZ"), "purpose": "x"}


@pytest.mark.parametrize("current, owner, state, break_stale, force, action, text", [
    (None, "alice", "present", False, False, ACQUIRE, "free"),
    (held("alice", 30), "alice", "present", False, False, NONE, "already held"),
    (held("alice", -1), "alice", "present", False, False, RENEW, "renewing"),
    (held("bob", 30), "alice", "present", False, False, FAIL, "'bob'"),
    (held("bob", 30), "alice", "present", True, False, FAIL, "Wait until"),
    (held("bob", 30), "alice", "present", False, True, TAKEOVER, "force is set"),  # an interrupted run's lock
    (held("bob", -1), "alice", "present", False, False, FAIL, "break_stale=true"),
    (held("bob", -1), "alice", "present", True, False, TAKEOVER, "expired"),
    (held("bob", 0), "alice", "present", True, False, TAKEOVER, "expired"),  # expiry instant counts as expired
    ({"owner": None, "raw": "junk"}, "alice", "present", False, False, FAIL, "unreadable"),
    ({"owner": None, "raw": "junk"}, "alice", "present", True, False, TAKEOVER, "unreadable"),
    (None, "alice", "absent", False, False, NONE, "not held"),
    (held("alice", 30), "alice", "absent", False, False, RELEASE, "releasing"),
    (held("alice", -1), "alice", "absent", False, False, RELEASE, "releasing"),
    (held("bob", 30), "alice", "absent", False, False, FAIL, "force=true"),
    (held("bob", 30), "alice", "absent", True, False, FAIL, "force=true"),
    (held("bob", 30), "alice", "absent", False, True, RELEASE, "force is set"),
    (held("bob", -1), "alice", "absent", True, False, RELEASE, "break_stale is set"),
])
def test_decide(current, owner, state, break_stale, force, action, text):
    decided, message = decide(current, owner, state, NOW, break_stale, force)
    assert decided == action
    assert text in message


@pytest.mark.parametrize("value, expected", [
    ("2026-11-27T14:00:00Z", NOW),
    ("2026-11-27T15:00:00+01:00", NOW),
    ("2026-11-27T14:00:00.000+00:00", NOW),
    ("yesterday", None),
    (None, None),
    (1234, None),
])
def test_parse_time(value, expected):
    assert parse_time(value) == expected


@pytest.mark.parametrize("value, expected", [
    (None, None),
    ('{"owner": "a"}', {"owner": "a"}),
    ("not json", {"owner": None, "raw": "not json"}),
    ("[1, 2]", {"owner": None, "raw": "[1, 2]"}),
])
def test_parse_lock(value, expected):
    assert parse_lock(value) == expected


def test_new_lock_and_expiry():
    lock = new_lock("alice", 90, NOW, purpose=None, run_id="7")
    assert lock == {"owner": "alice", "acquired": "2026-11-27T14:00:00Z", "expires": "2026-11-27T14:01:30Z",
                    "purpose": "", "run_id": "7"}
    assert not is_expired(lock, NOW) and is_expired(lock, NOW + timedelta(seconds=90))
    assert is_expired({"owner": "x"}, NOW)  # no readable expiry
    assert "run '7'" in describe_holder(lock)


# --------------------------------------------------------------------------- races (fake SSM)

def client_error(code, operation):
    return botocore.exceptions.ClientError({"Error": {"Code": code, "Message": code}}, operation)


class FakeSSM:
    """An in-memory parameter with hooks that let another operator act between two calls."""

    def __init__(self, value=None):
        self.value = value
        self.version = 1 if value is not None else None
        self.before_put = None
        self.after_put = None
        self.before_delete = None
        self.lose_put_response = False
        self.calls = []

    def get_parameter(self, Name, aws_retry):  # noqa: N803
        self.calls.append("get")
        if self.value is None:
            raise client_error("ParameterNotFound", "GetParameter")
        return {"Parameter": {"Name": Name, "Value": self.value, "Version": self.version}}

    def put_parameter(self, Name, Value, Overwrite, aws_retry, **kwargs):  # noqa: N803
        self.calls.append("put")
        if self.before_put:
            self.before_put(self)
        if self.value is not None and not Overwrite:
            raise client_error("ParameterAlreadyExists", "PutParameter")
        self.value, self.version = Value, (self.version or 0) + 1
        if self.lose_put_response:  # written, but the answer was lost and the retried call sees it
            raise client_error("ParameterAlreadyExists", "PutParameter")
        if self.after_put:
            self.after_put(self)

    def delete_parameter(self, Name, aws_retry):  # noqa: N803
        self.calls.append("delete")
        if self.before_delete:
            self.before_delete(self)
        if self.value is None:
            raise client_error("ParameterNotFound", "DeleteParameter")
        self.value, self.version = None, None


def bob(minutes_left):
    return json.dumps(held("bob", minutes_left))


def run_lock(fake, **options):
    args = {"name": "/payments/test/lock", "owner": "alice", "region": "eu-west-1", **options}
    with mock.patch.object(ClientCache, "_connect", return_value=fake):
        return run_module(migration_lock, args)


def test_lost_race_on_a_free_lock_names_the_winner():
    fake = FakeSSM()
    fake.before_put = lambda f: setattr(f, "value", bob(60)) or setattr(f, "version", 1)
    result = run_lock(fake)
    assert result["failed"] is True and "taken by someone else" in result["msg"] and "'bob'" in result["msg"]
    assert json.loads(fake.value)["owner"] == "bob"


def test_lost_race_then_released_again():
    fake = FakeSSM()

    def other_takes_and_releases(f):
        f.value, f.version = bob(60), 1
        f.get_parameter = lambda **kw: (never for never in ()).throw(client_error("ParameterNotFound", "GetParameter"))

    fake.before_put = other_takes_and_releases
    result = run_lock(fake)
    assert result["failed"] is True and "released again since" in result["msg"]


def test_late_acknowledged_own_write_counts_as_acquired():
    fake = FakeSSM()
    fake.lose_put_response = True
    result = run_lock(fake)
    assert result["changed"] is True and json.loads(fake.value)["owner"] == "alice"


def test_takeover_refused_when_the_stale_lock_changed_meanwhile():
    fake = FakeSSM(bob(-5))
    state = {"reads": 0}
    original_get = fake.get_parameter

    def get(**kwargs):
        state["reads"] += 1
        if state["reads"] == 2:  # the re-read before the delete sees carol's fresh lock
            fake.value, fake.version = json.dumps(dict(held("bob", -5), owner="carol")), 2
        return original_get(**kwargs)

    fake.get_parameter = get
    result = run_lock(fake, break_stale=True)
    assert result["failed"] is True and "changed while" in result["msg"] and "'carol'" in result["msg"]
    assert "delete" not in fake.calls and json.loads(fake.value)["owner"] == "carol"


def test_takeover_detects_being_overtaken_after_writing():
    fake = FakeSSM(bob(-5))
    fake.after_put = lambda f: setattr(f, "value", json.dumps(held("carol", 60)))
    result = run_lock(fake, break_stale=True)
    assert result["failed"] is True and result["changed"] is True and "taken over by someone else" in result["msg"]


def test_release_when_someone_else_deleted_it_first():
    fake = FakeSSM(json.dumps(held("alice", 30)))
    fake.before_delete = lambda f: setattr(f, "value", None)
    result = run_lock(fake, state="absent")
    assert result["changed"] is True and fake.value is None


def test_release_when_already_gone_at_the_re_read():
    fake = FakeSSM(json.dumps(held("alice", 30)))
    original_get = fake.get_parameter
    state = {"reads": 0}

    def get(**kwargs):
        state["reads"] += 1
        if state["reads"] == 2:
            fake.value = None
        return original_get(**kwargs)

    fake.get_parameter = get
    result = run_lock(fake, state="absent")
    assert result["changed"] is True and "delete" not in fake.calls


def test_client_creation_failure():
    with mock.patch.object(ClientCache, "_connect", side_effect=botocore.exceptions.NoRegionError()):
        result = run_module(migration_lock, {"name": "/x", "owner": "alice"})
    assert result["failed"] is True and "Failed to connect to ssm" in result["msg"]


# --------------------------------------------------------------------------- per-run ownership, renewal

def run_held(owner, run_id, minutes_left, progress=None):
    lock = held(owner, minutes_left)
    lock["run_id"] = run_id
    if progress is not None:
        lock["progress"] = progress
    return lock


@pytest.mark.parametrize("current, owner, run_id, progress, action", [
    # the same user in another terminal is another run: refused (the old rule let both hold it)
    (run_held("alice", "run-1", 50), "alice", "run-2", None, FAIL),
    (run_held("alice", "run-1", 50), "alice", None, None, FAIL),
    (held("alice", 50), "alice", "run-2", None, FAIL),
    # the holding run: nothing to do while more than half of the TTL (60 min) is left ...
    (run_held("alice", "run-1", 50), "alice", "run-1", None, NONE),
    # ... renewed when less is left, or when its progress changed
    (run_held("alice", "run-1", 20), "alice", "run-1", None, "update"),
    (run_held("alice", "run-1", 50), "alice", "run-1", {"phase": 2}, "update"),
    (run_held("alice", "run-1", 50, {"phase": 2}), "alice", "run-1", {"phase": 2}, NONE),
    (run_held("alice", "run-1", -1), "alice", "run-1", None, RENEW),
    # another user's run id does not make it ours
    (run_held("bob", "run-1", 50), "alice", "run-1", None, FAIL),
])
def test_ownership_is_per_run(current, owner, run_id, progress, action):
    decided, message = decide(current, owner, "present", NOW, run_id=run_id, ttl_seconds=3600, progress=progress)
    assert decided == action, message


def test_refusal_names_the_run_and_its_progress():
    current = run_held("alice", "run-1", 50, {"phase": 2, "step": "bake", "bake_seconds": 60})
    decided, message = decide(current, "alice", "present", NOW, run_id="run-2")
    assert decided == FAIL
    assert "run 'run-1'" in message and "progress bake_seconds=60, phase=2, step=bake" in message
    assert "force=true" in message


def test_release_only_by_the_holding_run():
    current = run_held("alice", "run-1", 50)
    assert decide(current, "alice", "absent", NOW, run_id="run-2")[0] == FAIL
    assert decide(current, "alice", "absent", NOW, run_id="run-1")[0] == RELEASE


def test_updated_lock_keeps_acquisition_and_records_progress():
    from ansible_collections.payments.region_migration.plugins.module_utils._migration_lock import updated_lock

    current = run_held("alice", "run-1", 5)
    lock = updated_lock(current, 600, NOW, {"phase": 1})
    assert lock["acquired"] == current["acquired"] and lock["run_id"] == "run-1"
    assert lock["expires"] == "2026-11-27T14:10:00Z" and lock["renewed"] == "2026-11-27T14:00:00Z"
    assert lock["progress"] == {"phase": 1}
    assert updated_lock(lock, 600, NOW)["progress"] == {"phase": 1}  # omitted progress is kept


def test_lock_status():
    from ansible_collections.payments.region_migration.plugins.module_utils._migration_lock import lock_status

    assert lock_status(None, NOW)["held"] is False
    status = lock_status(run_held("alice", "run-1", -5, {"phase": 3}), NOW)
    assert status["held"] is True and status["expired"] is True
    assert status["age_seconds"] == 7200 and status["expires_in_seconds"] == -300
    assert status["progress"] == {"phase": 3} and "run 'run-1'" in status["holder"]
