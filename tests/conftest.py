"""Shared fixtures: the running local AWS emulator, boto3 clients for it, in-process module runs.

Tests that talk to AWS use the emulator on $EMULATOR_PORT (default 5010). `make test` starts it;
a bare `pytest` starts one itself and stops it afterwards.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
# The phase table: its one definition, which the playbooks read too.
PHASE_TABLE_FILE = REPO / "playbooks" / "group_vars" / "all" / "migration_phases.yml"
# payments.region_migration resolves through the link in .collections (see ansible.cfg).
sys.path.insert(0, str(REPO / ".collections"))
sys.path.insert(0, str(REPO))

CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_emulator/health", timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


@pytest.fixture(scope="session")
def emulator_url() -> str:
    port = os.environ.setdefault("EMULATOR_PORT", "5010")
    url = f"http://127.0.0.1:{port}"
    started = False
    if not _answers(url):
        subprocess.run([sys.executable, "-m", "emulator", "--port", port, "start"], cwd=REPO, check=True)
        started = True
    yield url
    if started:
        subprocess.run([sys.executable, "-m", "emulator", "--port", port, "stop"], cwd=REPO, check=False)


def emulator_call(url: str, method: str, path: str, payload: dict | None = None) -> dict:
    data = json.dumps(payload).encode() if payload is not None else None
    request = urllib.request.Request(f"{url}{path}", data=data, method=method,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        body = response.read()
        return json.loads(body) if body else {}


class _RecordingSleep:
    """Stands in for the ``time`` module of one library module: ``sleep`` is recorded, not slept."""

    def __init__(self, slept: list[float]):
        self.slept = slept

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)

    def __getattr__(self, name: str):
        return getattr(time, name)


class RetrySleeps:
    """The backoff sleeps requested in this test, by who asked for them (none was really slept)."""

    def __init__(self):
        self.aws_retry: list[float] = []  # AWSRetry.jittered_backoff of amazon.aws (the modules' retry policy)
        self.botocore: list[float] = []  # botocore's own retries

    @property
    def backoffs(self) -> int:
        """How many times a call was retried after a backoff, whoever retried it."""
        return len(self.aws_retry) + len(self.botocore)


@pytest.fixture(autouse=True)
def retry_sleeps(monkeypatch) -> RetrySleeps:
    """No test waits for a retry backoff: AWSRetry's and botocore's sleeps are recorded instead.

    Only those two sleeps are replaced (the ``time`` name inside amazon.aws' cloud.py and
    botocore/endpoint.py), so retries still happen in full against the emulator; a throttling test
    can assert on how often its module backed off. Modules run in-process (``run_module``) only.
    """
    import botocore.endpoint
    from ansible_collections.amazon.aws.plugins.module_utils import cloud

    sleeps = RetrySleeps()
    monkeypatch.setattr(cloud, "time", _RecordingSleep(sleeps.aws_retry))
    monkeypatch.setattr(botocore.endpoint, "time", _RecordingSleep(sleeps.botocore))
    return sleeps


@pytest.fixture
def emulator(emulator_url: str) -> str:
    """A clean emulator: all AWS state and all faults cleared before the test."""
    emulator_call(emulator_url, "POST", "/moto-api/reset")
    emulator_call(emulator_url, "DELETE", "/_emulator/faults")
    yield emulator_url
    emulator_call(emulator_url, "DELETE", "/_emulator/faults")


@pytest.fixture
def aws(emulator: str):
    """aws(service, region, retries=0) -> a boto3 client for the clean emulator.

    ``retries`` counts retries after the first attempt (botocore's ``max_attempts`` in legacy
    terms); the default 0 lets every injected fault show.
    """
    import boto3
    from botocore.config import Config

    def client(service: str, region: str = "eu-west-1", retries: int = 0):
        return boto3.client(service, region_name=region, endpoint_url=emulator,
                            config=Config(retries={"mode": "standard", "total_max_attempts": retries + 1}),
                            **CREDENTIALS)

    return client


def wait_until(condition, what: str, timeout: float = 30, step: float = 0.2) -> None:
    """Poll condition() until it is true; fail the test naming what was awaited after timeout seconds. Tests
    wait for the event itself, never for a fixed time: a loaded machine stretches every delay."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"not seen within {timeout} s: {what}"
        time.sleep(step)


def next_whole_second() -> datetime:
    """The next whole second (UTC). CloudWatch's StartTime has whole seconds: only datapoints stamped from it on
    are surely newer than what happened before this call (such as the emulator's own publisher thread's)."""
    return datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=1)


def published(control, read, what: str):
    """Publish the emulator's signals (POST /_emulator/signals/publish) until read() returns something other than
    None; that value. For a test that reads only datapoints newer than an event, or counts the publisher thread
    may hold and not have written yet."""
    seen = {}

    def done() -> bool:
        control("POST", "/_emulator/signals/publish")
        seen["value"] = read()
        return seen["value"] is not None

    wait_until(done, what)
    return seen["value"]


def publish_certificate_validation(aws, arn: str, zone_name: str, region: str = "eu-west-1") -> str:
    """Write an ACM certificate's DNS validation CNAMEs into the public hosted zone zone_name (created if
    missing), as the loadbalancer role does: ACM, and the emulator, issue the certificate only then. The zone id."""
    route53 = aws("route53", "us-east-1")
    zones = [z["Id"] for z in route53.list_hosted_zones()["HostedZones"]
             if z["Name"] == zone_name.rstrip(".") + "." and not z.get("Config", {}).get("PrivateZone")]
    zone_id = zones[0] if zones else route53.create_hosted_zone(
        Name=zone_name, CallerReference=f"validation-{arn.rsplit('/', 1)[-1]}")["HostedZone"]["Id"]
    options = aws("acm", region).describe_certificate(CertificateArn=arn)["Certificate"]["DomainValidationOptions"]
    route53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": [
        {"Action": "UPSERT", "ResourceRecordSet": {"Name": o["ResourceRecord"]["Name"], "Type": "CNAME", "TTL": 300,
                                                   "ResourceRecords": [{"Value": o["ResourceRecord"]["Value"]}]}}
        for o in options]})
    return zone_id


@pytest.fixture
def module_args(emulator: str):
    """The connection arguments a module needs to reach the emulator."""
    return {"endpoint_url": emulator, "access_key": "testing", "secret_key": "testing"}


class ModuleExit(Exception):
    def __init__(self, result: dict, failed: bool):
        super().__init__(result.get("msg", ""))
        self.result = result
        self.failed = failed


def run_module(module, args: dict, check_mode: bool = False, diff: bool = False) -> dict:
    """Run a module's main() in-process; returns its result dict (``failed`` set on fail_json)."""
    from unittest import mock

    from ansible.module_utils import basic
    from ansible.module_utils.testing import patch_module_args

    def exit_json(self, **kwargs):
        raise ModuleExit(kwargs, failed=False)

    def fail_json(self, msg, **kwargs):
        kwargs["msg"] = msg
        kwargs["failed"] = True
        raise ModuleExit(kwargs, failed=True)

    full = dict(args)
    full["_ansible_check_mode"] = check_mode
    full["_ansible_diff"] = diff
    with patch_module_args(full), mock.patch.object(basic.AnsibleModule, "exit_json", exit_json), \
            mock.patch.object(basic.AnsibleModule, "fail_json", fail_json):
        try:
            module.main()
        except ModuleExit as done:
            return done.result
    raise AssertionError("the module returned without exit_json or fail_json")


@pytest.fixture
def run():
    return run_module


def phase_table() -> list[dict]:
    """phase, target_percent and writer of every phase of the inventory-level phase table (the rest
    of each entry is templated from the inventory's timing variables)."""
    import yaml

    phases = yaml.safe_load(PHASE_TABLE_FILE.read_text())["migration_phases"]
    return [{"phase": int(p["phase"]), "target_percent": int(p["target_percent"]), "writer": p["writer"]}
            for p in phases]


def phase_percents() -> list[int]:
    """target_percent of every phase, phase 0 first."""
    return [phase["target_percent"] for phase in phase_table()]
