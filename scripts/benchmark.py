#!/usr/bin/env python3
"""Benchmark: time every step of a full rehearsal against a fresh local emulator.

Speed is measured here, never by timed assertions in tests. Each step is one ansible-playbook
run; the table and a JSON file (artifacts/benchmark/) record wall-clock seconds per step, so two
commits can be compared on the same machine:

    .venv/bin/python scripts/benchmark.py [--port 5030] [--repeat 1] [--targets-only]

After the rehearsal steps it measures the issue-10 targets of the migration engine on a fresh
emulator built by the molecule migration fixture (files/fixture.py), and reports each with its
target and whether it is met (a report, never an assertion):

- a shift with zero bake, gates and audit included: under 10 s;
- a bake of N s: N s plus at most one poll interval (the hold gate's own elapsed time);
- from a lag spike becoming visible in CloudWatch (its first datapoint above the threshold) to the
  rollback's weight change (audit record): at most one poll interval plus 5 s;
- tasks run from phase 0 to 4 (ok + skipped of the play recap): at least two thirds fewer than 220.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
STEPS: list[tuple[str, list[str]]] = [
    ("baseline (us-east-1)", ["playbooks/baseline.yml"]),
    ("provision (eu-west-1)", ["playbooks/provision.yml"]),
    ("provision again (idempotent)", ["playbooks/provision.yml"]),
    ("provision --check", ["playbooks/provision.yml", "--check"]),
    ("preflight", ["playbooks/preflight.yml"]),
    ("shift phase 1", ["playbooks/shift.yml", "-e", "phase=1"]),
    ("shift phase 2", ["playbooks/shift.yml", "-e", "phase=2"]),
    ("shift phase 3", ["playbooks/shift.yml", "-e", "phase=3"]),
    ("shift phase 4 (writer switchover)", ["playbooks/shift.yml", "-e", "phase=4"]),
    ("shift phase 4 again (no change)", ["playbooks/shift.yml", "-e", "phase=4"]),
    ("rollback to phase 0", ["playbooks/rollback.yml"]),
    ("status", ["playbooks/status.yml"]),
    ("teardown", ["playbooks/teardown.yml"]),
]


def run_step(args: list[str], env: dict[str, str], log) -> tuple[float, int]:
    started = time.monotonic()
    process = subprocess.run([str(REPO / ".venv/bin/ansible-playbook"), *args], cwd=REPO, env=env,
                             stdout=log, stderr=subprocess.STDOUT, check=False)
    return time.monotonic() - started, process.returncode


FIXTURE = REPO / "extensions/molecule/migration/files/fixture.py"
INJECT = REPO / "extensions/molecule/migration/files/inject_when.py"
STACK = {"suffix": "rehearsal", "domain": "payments-rehearsal.example.com",
         "record": "api.payments-rehearsal.example.com"}
BAKE_SECONDS, POLL_SECONDS, LAG_THRESHOLD_MS = 10, 2, 1000


def playbook(args: list[str], env: dict[str, str], audit: Path, log) -> tuple[float, int, str]:
    """Run one playbook with the benchmark's audit log; wall-clock seconds, rc and output."""
    started = time.monotonic()
    process = subprocess.run([str(REPO / ".venv/bin/ansible-playbook"), *args, "-e", f"migration_audit_log={audit}",
                              "-e", f"migration_artifacts_dir={audit.parent}"],
                             cwd=REPO, env=env, capture_output=True, text=True, check=False)
    log.write(process.stdout + process.stderr)
    return time.monotonic() - started, process.returncode, process.stdout


def recap_tasks(output: str) -> dict[str, int]:
    match = re.search(r"ok=(\d+)\s+changed=(\d+).*?failed=(\d+)\s+skipped=(\d+)", output)
    ok, changed, failed, skipped = (int(v) for v in match.groups()) if match else (0, 0, 0, 0)
    return {"ok": ok, "changed": changed, "failed": failed, "skipped": skipped, "total": ok + failed + skipped}


def events(audit: Path) -> list[dict]:
    return [json.loads(line) for line in audit.read_text().splitlines() if line.strip()] if audit.exists() else []


def first_visible_spike(endpoint: str, since: datetime) -> float | None:
    """Epoch of the first lag datapoint above the threshold (when CloudWatch could first show it)."""
    import boto3

    cloudwatch = boto3.client("cloudwatch", region_name="eu-west-1", endpoint_url=endpoint,
                              aws_access_key_id="testing", aws_secret_access_key="testing")
    points = cloudwatch.get_metric_statistics(
        Namespace="AWS/RDS", MetricName="AuroraGlobalDBReplicationLag", StartTime=since, EndTime=datetime.now(UTC),
        Period=1, Statistics=["Maximum"],
        Dimensions=[{"Name": "DBClusterIdentifier", "Value": f"aurora-payment-{STACK['suffix']}"}])["Datapoints"]
    spikes = sorted(p["Timestamp"].timestamp() for p in points if p["Maximum"] > LAG_THRESHOLD_MS)
    return spikes[0] if spikes else None


def measure_targets(env: dict[str, str], emulator: list[str], log) -> list[dict]:
    """The issue-10 targets, each measured once on a fresh emulator built by the migration fixture."""
    endpoint = f"http://127.0.0.1:{env['EMULATOR_PORT']}"
    audit = Path(tempfile.mkdtemp(prefix="benchmark-")) / "migration-audit.jsonl"
    subprocess.run([*emulator, "stop"], cwd=REPO, env=env, stdout=log, check=False)
    subprocess.run([*emulator, "start"], cwd=REPO, env=env, stdout=log, check=True)
    targets: list[dict] = []
    try:
        subprocess.run([sys.executable, str(FIXTURE), endpoint, STACK["suffix"], STACK["domain"], STACK["record"]],
                       cwd=REPO, env=env, stdout=log, check=True)
        # Phase 0 -> 4 in one run: the task count (the first gate also waits for the first lag datapoints).
        seconds, rc, output = playbook(["playbooks/shift.yml", "-e", "phase=4"], env, audit, log)
        tasks = recap_tasks(output)
        targets.append({"target": "tasks phase 0 -> 4", "measured": tasks["total"], "limit": 220 // 3,
                        "unit": "tasks", "detail": tasks, "seconds": round(seconds, 1),
                        "met": rc == 0 and tasks["total"] <= 220 // 3})
        playbook(["playbooks/rollback.yml"], env, audit, log)
        # A shift with zero bake, gates and audit included.
        seconds, rc, _ = playbook(["playbooks/shift.yml", "-e", "phase=1", "-e", "migration_bake_seconds=0"],
                                  env, audit, log)
        targets.append({"target": "shift with zero bake", "measured": round(seconds, 1), "limit": 10, "unit": "s",
                        "met": rc == 0 and seconds < 10})
        # A bake of N s: the hold gate's own elapsed time.
        _, rc, _ = playbook(["playbooks/shift.yml", "-e", "phase=2", "-e", f"migration_bake_seconds={BAKE_SECONDS}",
                             "-e", f"migration_bake_poll_seconds={POLL_SECONDS}"], env, audit, log)
        step = [e for e in events(audit) if e["event"] == "shift"][-1]
        # The step's gates are [the pre-shift wait, the hold]: the hold's elapsed time is the bake.
        elapsed = step["gates"][1]["elapsed_seconds"] if len(step.get("gates", [])) > 1 else None
        limit = BAKE_SECONDS + POLL_SECONDS
        targets.append({"target": f"bake of {BAKE_SECONDS} s", "measured": elapsed, "limit": limit,
                        "unit": "s", "met": rc == 0 and elapsed is not None and elapsed <= limit})
        # A lag spike during the bake of phase 3: from visible in CloudWatch to the rollback's weight change.
        since = datetime.now(UTC)
        fault = json.dumps({"kind": "replication_lag", "value_ms": 5000, "duration": 60})
        watcher = subprocess.Popen([sys.executable, str(INJECT), endpoint, STACK["domain"], STACK["record"],
                                    "eu-west-1", "75", fault, "120"], cwd=REPO, env=env, stdout=log)
        _, rc, _ = playbook(["playbooks/shift.yml", "-e", "phase=3", "-e", "migration_bake_seconds=30",
                             "-e", f"migration_bake_poll_seconds={POLL_SECONDS}"], env, audit, log)
        watcher.wait(timeout=130)
        visible = first_visible_spike(endpoint, since)
        rollback = [e for e in events(audit) if e["event"] == "rollback" and e.get("weights_after")]
        delay = round(rollback[-1]["epoch"] - visible, 1) if rollback and visible else None
        targets.append({"target": "lag spike visible -> rollback write", "measured": delay, "limit": POLL_SECONDS + 5,
                        "unit": "s", "met": rc != 0 and delay is not None and delay <= POLL_SECONDS + 5})
        request = urllib.request.Request(f"{endpoint}/_emulator/faults", method="DELETE")
        urllib.request.urlopen(request, timeout=10).close()
    finally:
        subprocess.run([*emulator, "stop"], cwd=REPO, env=env, stdout=log, check=False)
    for target in targets:
        print(f"target  {target['target']:<40} {target['measured']!s:>8} {target['unit']:<5} "
              f"(limit {target['limit']}) {'met' if target['met'] else 'NOT MET'}", flush=True)
    return targets


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", default=os.environ.get("BENCHMARK_EMULATOR_PORT", "5030"))
    parser.add_argument("--repeat", type=int, default=1, help="full runs, each on a reset emulator")
    parser.add_argument("--targets-only", action="store_true", help="measure only the issue-10 migration targets")
    args = parser.parse_args()

    env = {**os.environ, "EMULATOR_PORT": str(args.port), "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"),
           "PATH": f"{REPO / '.venv/bin'}:{os.environ['PATH']}"}
    out_dir = REPO / "artifacts" / "benchmark"
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    log_path = out_dir / f"benchmark-{stamp}.log"
    emulator = [sys.executable, "-m", "emulator", "--port", str(args.port)]
    results: list[dict] = []
    failed = False
    with open(log_path, "w") as log:
        for repeat in range(0 if args.targets_only else args.repeat):
            subprocess.run([*emulator, "stop"], cwd=REPO, env=env, stdout=log, check=False)
            subprocess.run([*emulator, "start"], cwd=REPO, env=env, stdout=log, check=True)
            try:
                for name, step in STEPS:
                    seconds, rc = run_step(step, env, log)
                    results.append({"run": repeat + 1, "step": name, "seconds": round(seconds, 2), "rc": rc})
                    print(f"{repeat + 1}  {name:<36} {seconds:8.1f} s  {'ok' if rc == 0 else f'FAILED rc={rc}'}",
                          flush=True)
                    if rc != 0:
                        failed = True
                        break
            finally:
                subprocess.run([*emulator, "stop"], cwd=REPO, env=env, stdout=log, check=False)
            if failed:
                break
        targets = [] if failed else measure_targets(env, emulator, log)
    total = sum(r["seconds"] for r in results)
    report = {"date": stamp, "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                                         "platform": platform.platform()},
              "git": subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True,
                                    text=True, check=False).stdout.strip(),
              "steps": results, "total_seconds": round(total, 2), "failed": failed, "targets": targets}
    report_path = out_dir / f"benchmark-{stamp}.json"
    report_path.write_text(json.dumps(report, indent=2) + "\n")
    print(f"total {total:.1f} s; report {report_path.relative_to(REPO)}; log {log_path.relative_to(REPO)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
