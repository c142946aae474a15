"""The migration report in a real browser (issue 13): headless Chromium (Debian's package).

The data comes from a real migration against the emulator, run as an operator runs it: the migration
scenario's fixture builds the two-region stack at phase 0, a payment workload runs, shift.yml walks
to phase 4 while a replication-lag spike is injected during phase 4's bake (rollback to phase 3 with
the gate's reason), shift.yml then reaches phase 4 with the writer switchover, and status.yml writes
the report. The test opens the page in Chromium, takes a screenshot and checks the charts, one row
per phase, the rollback with its reason and the switchover in the DOM Chromium built.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

from tests.conftest import CREDENTIALS, REPO, emulator_call, phase_table, wait_until

INSTALL = "apt-get install -y --no-install-recommends chromium"
FIXTURE = REPO / "extensions" / "molecule" / "migration" / "files"
STACK = yaml.safe_load((REPO / "inventories" / "local" / "group_vars" / "all" / "stack.yml").read_text())
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--hide-scrollbars"]


def lag_alarm_ok(emulator_url: str, name: str) -> None:
    """Wait until the lag alarm is OK and its evaluation window holds lag datapoints, none above its threshold:
    the spike is over for the alarm too. (OK alone is not enough: read right after the rollback, the alarm may
    not have evaluated the spike yet, and turn to ALARM while the retry's gate waits.)"""
    import boto3

    cloudwatch = boto3.client("cloudwatch", region_name="eu-west-1", endpoint_url=emulator_url, **CREDENTIALS)

    def over() -> bool:
        alarm = cloudwatch.describe_alarms(AlarmNames=[name])["MetricAlarms"][0]
        now = datetime.now(UTC)
        points = cloudwatch.get_metric_statistics(
            Namespace=alarm["Namespace"], MetricName=alarm["MetricName"], Dimensions=alarm["Dimensions"],
            StartTime=now - timedelta(seconds=alarm["Period"] * alarm["EvaluationPeriods"]), EndTime=now,
            Period=alarm["Period"] * alarm["EvaluationPeriods"], Statistics=[alarm["Statistic"]])["Datapoints"]
        return (alarm["StateValue"] == "OK" and bool(points)
                and all(p[alarm["Statistic"]] <= alarm["Threshold"] for p in points))

    wait_until(over, f"{name} OK, with no lag above its threshold in its window, after the lag spike", timeout=180,
               step=1)


def chromium() -> str:
    """Debian's chromium; its absence fails the test with the command that installs it (never a skip)."""
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    pytest.fail(f"chromium is not installed: the browser test needs Debian's package ({INSTALL}, as root)")


def run_chromium(*args: str, timeout: int = 120) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        return subprocess.run([chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
                              capture_output=True, text=True, timeout=timeout, check=False)


def playbook(name: str, artifacts: Path, *extra: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"), "ANSIBLE_NOCOLOR": "1",
           "ANSIBLE_FORCE_COLOR": "0"}
    return subprocess.run([str(Path(sys.executable).parent / "ansible-playbook"), f"playbooks/{name}",
                           "-e", f"migration_artifacts_dir={artifacts}", *extra],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=900, check=False)


class Dom(HTMLParser):
    """Elements of the DOM Chromium dumped: (tag, attributes) in order, and the text under each id/class."""

    def __init__(self):
        super().__init__()
        self.elements: list[tuple[str, dict]] = []
        self.rows: list[dict] = []
        self._row = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.elements.append((tag, attributes))
        if tag == "tr":
            self._row = {"class": attributes.get("class") or "", "data-phase": attributes.get("data-phase"),
                         "text": ""}
            self.rows.append(self._row)

    def handle_endtag(self, tag):
        if tag == "tr":
            self._row = None

    def handle_data(self, data):
        if self._row is not None:
            self._row["text"] += data

    def ids(self) -> set[str]:
        return {a["id"] for _tag, a in self.elements if a.get("id")}


@pytest.fixture(scope="module")
def migrated(emulator_url, tmp_path_factory):
    """A real migration with a rollback and a switchover; returns the artifacts directory and console outputs."""
    chromium()  # fail first, before minutes of migration, when the browser is missing
    artifacts = tmp_path_factory.mktemp("report-artifacts")
    emulator_call(emulator_url, "POST", "/moto-api/reset")
    emulator_call(emulator_url, "DELETE", "/_emulator/faults")
    zone, record = STACK["migration_domain_name"], STACK["migration_record_name"]
    subprocess.run([sys.executable, str(FIXTURE / "fixture.py"), emulator_url, STACK["migration_env_suffix"],
                    zone, record], check=True, capture_output=True, timeout=300)
    emulator_call(emulator_url, "POST", "/_emulator/workload/start",
                  {"rate": 50, "zone_name": zone, "record_name": record, "switchover_write_block_seconds": 1})
    fault = {"kind": "replication_lag", "value_ms": 5000, "duration": 15}
    watcher = subprocess.Popen([sys.executable, str(FIXTURE / "inject_when.py"), emulator_url, zone, record,
                                "eu-west-1", "100", json.dumps(fault), "600"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        rolled_back = playbook("shift.yml", artifacts, "-e", "phase=4", "-e", "migration_bake_seconds=8")
    finally:
        injected = watcher.communicate(timeout=650)
    emulator_call(emulator_url, "DELETE", "/_emulator/faults")
    assert watcher.returncode == 0, injected
    assert rolled_back.returncode != 0, rolled_back.stdout[-3000:]
    # As an operator would, retry once the lag alarm is OK again: on an idle machine the retry came seconds
    # after the rollback, while the alarm still held the spike, and its 20 s gate wait ran out.
    lag_alarm_ok(emulator_url, f"alarm-replication-lag-{STACK['migration_env_suffix']}")
    switched = playbook("shift.yml", artifacts, "-e", "phase=4")
    assert switched.returncode == 0, switched.stdout[-3000:] + switched.stderr[-2000:]
    status = playbook("status.yml", artifacts)
    assert status.returncode == 0, status.stdout[-3000:] + status.stderr[-2000:]
    emulator_call(emulator_url, "POST", "/_emulator/workload/stop")
    yield {"artifacts": artifacts, "rolled_back": rolled_back.stdout, "switched": switched.stdout,
           "status": status.stdout}
    emulator_call(emulator_url, "POST", "/moto-api/reset")


def test_console_reads_like_a_runbook(migrated):
    out = migrated["rolled_back"]
    assert "TASK [" not in out and "PLAY RECAP" in out and "SUMMARY" in out
    # the bake's live progress: elapsed, remaining and the latest gate values
    assert re.search(r"bake of phase \d: hold: [\d.]+/8 s elapsed, [\d.]+ s remaining: (pass|fail): lag ", out), out
    assert "FAILED and was rolled back to phase 3" in out
    status = migrated["status"]
    assert re.search(r"last rollback\s+to phase 3 at \S+ \(eu-west-1 weight 100 -> 75\): .*lag", status), status
    assert re.search(r"lock\s+free", status) and re.search(r"unfinished bake\s+none", status)


def test_report_in_headless_chromium(migrated, tmp_path):
    match = re.search(r"^\s*report\s+(/\S+\.html)\s*$", migrated["status"], re.M)
    assert match, migrated["status"]
    page = Path(match.group(1))
    assert page.parent == migrated["artifacts"] and page.with_suffix(".png").stat().st_size > 20_000

    screenshot = tmp_path / "report-screenshot.png"
    shot = run_chromium(f"--screenshot={screenshot}", "--window-size=1300,2400", page.as_uri())
    assert screenshot.exists() and screenshot.stat().st_size > 20_000, shot.stderr[-2000:]
    from PIL import Image

    with Image.open(screenshot) as image:
        assert image.size == (1300, 2400)
        colors = image.convert("RGB").getcolors(maxcolors=1_000_000)
        assert colors is not None and len(colors) > 50, "the screenshot is blank"

    dumped = run_chromium("--dump-dom", page.as_uri())
    assert dumped.returncode == 0 and "<html" in dumped.stdout, dumped.stderr[-2000:]
    dom = Dom()
    dom.feed(dumped.stdout)
    ids = dom.ids()
    # the charts (one inline SVG, each chart a group with its own id)
    assert {"charts", "chart-weights", "chart-lag", "chart-gates", "chart-payments"} <= ids
    assert any(tag == "svg" for tag, _attrs in dom.elements)
    # one row per phase of the phase table, with the payments committed, failed and lost
    phase_rows = [r for r in dom.rows if "phase-row" in r["class"]]
    assert [int(r["data-phase"]) for r in phase_rows] == [p["phase"] for p in phase_table()]
    assert "not reconciled" not in " ".join(r["text"] for r in phase_rows)
    # the rollback, marked, with its reason (the lag gate that failed during phase 4's bake)
    rollbacks = [r for r in dom.rows if r["class"] == "rollback"]
    assert len(rollbacks) == 1 and "lag" in rollbacks[0]["text"] and "5000" in rollbacks[0]["text"]
    # the writer switchover
    switchovers = [r for r in dom.rows if r["class"] == "switchover"]
    assert len(switchovers) == 1 and "us-east-1" in switchovers[0]["text"] and "eu-west-1" in switchovers[0]["text"]
