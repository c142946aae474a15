#!/usr/bin/env python3
"""Benchmark: provisioning cold, warm (no-op) and in check mode, in realistic-latency mode, and the rehearsal.

Speed is measured here, never by timed assertions in tests. One command from a clean clone
(`make benchmark`); every run starts its own emulator on --port:

    .venv/bin/python scripts/benchmark.py [--port 5030] [--repeat 3] [--latency-scale 10]
                                          [--skip-latency] [--skip-targets] [--steps] [--targets-only]
    .venv/bin/python scripts/benchmark.py --report-only   # RESULTS.md and README summary from results.json

Per repeat, on a fresh emulator: the us-east-1 baseline, then provision.yml cold, again (no-op), and with
--check. Each reports wall-clock seconds, tasks run and changed (the play recap), and the AWS API requests
the emulator answered during it (its request counter, /_emulator/requests), in total and per service.
Then, on another fresh emulator, the baseline and a cold provision in realistic-latency mode
(emulator/latency.py, --latency-scale emulator seconds per real AWS minute): its wall time is compared with
the sum of the slow resources' waits (what a serial provisioning pays) and with the longest single wait.
The role polls are scaled like the waits (a 30 s poll becomes 30 s x scale / 60).

The median, min and max over the repeats go to benchmarks/results.json and benchmarks/RESULTS.md (kept in
the repository, with the commit, the machine and the date), each target with its verdict and, when missed,
by how much. Logs go to artifacts/benchmark/.

--steps also times every step of a full rehearsal once (the table of earlier versions). After that the
issue-10 targets of the migration engine are measured on a fresh emulator built by the molecule migration
fixture (files/fixture.py), each reported with its target and whether it is met (a report, never an
assertion):

- a shift with zero bake, gates and audit included: under 10 s;
- a bake of N s: N s plus at most one poll interval (the hold gate's own elapsed time);
- from a lag spike becoming visible in CloudWatch (its first datapoint above the threshold) to the
  rollback's weight change (audit record): at most one poll interval plus 5 s;
- tasks run from phase 0 to 4 (ok + skipped of the play recap): at least two thirds fewer than 220;
- the molecule migration scenario alone (`molecule test -s migration`): at most half of the 389 s it took
  when issue 10 was filed (--skip-scenario leaves it out, --scenario-only measures only it).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RESULTS_DIR = REPO / "benchmarks"
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
# The slow resources provision.yml creates and waits for (emulator/latency.py figures): a serial
# provisioning pays the sum of their waits (the two Aurora instances come up together, as do the three
# NAT gateways); the Aurora secondary cluster is the longest single wait.
PROVISION_WAITS = ["aurora_cluster", "aurora_instance", "nat_gateway", "load_balancer", "acm_validation"]
TARGET_NOOP_RATIO = 0.3
TARGET_LATENCY_RATIO = 1.3
# The molecule migration scenario when issue 10 was filed (its target: half of it).
SCENARIO_BEFORE_SECONDS = 389


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


def measure_migration_scenario(env: dict[str, str], log) -> dict:
    """The issue-10 target on the test suite: `molecule test -s migration` alone, twice as fast as the 389 s it
    took when the issue was filed. Its own molecule state directory; its emulator on this run's port."""
    state = Path(tempfile.mkdtemp(prefix="benchmark-molecule-"))
    started = time.monotonic()
    rc = subprocess.run([str(REPO / ".venv" / "bin" / "molecule"), "test", "-s", "migration"], cwd=REPO / "extensions",
                        env={**env, "MOLECULE_EPHEMERAL_DIRECTORY": str(state)}, stdout=log,
                        stderr=subprocess.STDOUT, check=False).returncode
    seconds = round(time.monotonic() - started, 1)
    limit = SCENARIO_BEFORE_SECONDS / 2
    target = {"target": "molecule migration scenario", "measured": seconds, "limit": limit, "unit": "s",
              "detail": {"rc": rc, "before_seconds": SCENARIO_BEFORE_SECONDS}, "met": rc == 0 and seconds <= limit}
    print(f"target  {target['target']:<40} {seconds!s:>8} s     (limit {limit}) "
          f"{'met' if target['met'] else 'NOT MET'}", flush=True)
    return target


# --------------------------------------------------------------------------- provisioning (issue 14)


def emulator_api(endpoint: str, method: str, path: str, payload: dict | None = None) -> dict:
    data = json.dumps(payload).encode() if payload is not None else None
    request = urllib.request.Request(f"{endpoint}{path}", data=data, method=method,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read() or b"{}")


def measured(args: list[str], env: dict[str, str], log) -> dict:
    """One ansible-playbook run: seconds, rc, the play recap's tasks and the AWS requests it caused."""
    endpoint = f"http://127.0.0.1:{env['EMULATOR_PORT']}"
    emulator_api(endpoint, "DELETE", "/_emulator/requests")
    started = time.monotonic()
    process = subprocess.run([str(REPO / ".venv/bin/ansible-playbook"), *args], cwd=REPO, env=env,
                             capture_output=True, text=True, check=False)
    seconds = time.monotonic() - started
    log.write(f"== ansible-playbook {' '.join(args)}\n{process.stdout}{process.stderr}")
    log.flush()
    requests = emulator_api(endpoint, "DELETE", "/_emulator/requests")
    return {"seconds": round(seconds, 2), "rc": process.returncode, "tasks": recap_tasks(process.stdout),
            "requests": requests["total"], "requests_by_service": requests["by_service"]}


def fresh_emulator(emulator: list[str], env: dict[str, str], log) -> None:
    subprocess.run([*emulator, "stop"], cwd=REPO, env=env, stdout=log, check=False)
    subprocess.run([*emulator, "start"], cwd=REPO, env=env, stdout=log, check=True)


def measure_provisioning(env: dict[str, str], emulator: list[str], log, check: bool = True) -> dict:
    """Baseline, then provision cold, warm (no-op) and --check on one fresh emulator."""
    runs: dict[str, dict] = {}
    fresh_emulator(emulator, env, log)
    steps = [("baseline", ["playbooks/baseline.yml"]), ("provision cold", ["playbooks/provision.yml"]),
             ("provision warm (no-op)", ["playbooks/provision.yml"])]
    if check:
        steps.append(("provision --check", ["playbooks/provision.yml", "--check"]))
    try:
        for name, step in steps:
            runs[name] = measured(step, env, log)
            report(name, runs[name])
            if runs[name]["rc"] != 0:
                break
    finally:
        subprocess.run([*emulator, "stop"], cwd=REPO, env=env, stdout=log, check=False)
    return runs


def measure_latency(env: dict[str, str], emulator: list[str], scale: float, log) -> dict:
    """Baseline without latency, then provision cold with latency_scale = scale (polls scaled alike)."""
    endpoint = f"http://127.0.0.1:{env['EMULATOR_PORT']}"
    fresh_emulator(emulator, env, log)
    try:
        baseline = measured(["playbooks/baseline.yml"], env, log)
        if baseline["rc"] != 0:
            return {"baseline": baseline}
        emulator_api(endpoint, "POST", "/_emulator/config", {"latency_scale": scale})
        figures = emulator_api(endpoint, "GET", "/_emulator/latency")["resources"]
        poll = max(1, round(30 * scale / 60))
        polls = {"database_wait_poll_seconds": poll, "network_nat_gateway_poll_seconds": max(1, round(10 * scale / 60))}
        run = measured(["playbooks/provision.yml", "-e", json.dumps(polls)], env, log)  # JSON: integers stay integers
    finally:
        subprocess.run([*emulator, "stop"], cwd=REPO, env=env, stdout=log, check=False)
    waits = {kind: figures[kind]["seconds"] for kind in PROVISION_WAITS}
    run.update(scale=scale, waits=waits, sum_of_waits=round(sum(waits.values()), 1),
               longest_wait=max(waits.values()), poll_seconds=poll)
    report("provision cold, latency mode", run)
    return run


def report(name: str, run: dict) -> None:
    tasks, rc = run["tasks"], run["rc"]
    print(f"{name:<32} {run['seconds']:8.1f} s  tasks {tasks['total']:>4} changed {tasks['changed']:>3}  "
          f"AWS requests {run['requests']:>5}  {'ok' if rc == 0 else f'FAILED rc={rc}'}", flush=True)


def spread(values: list[float]) -> dict:
    return {"median": round(statistics.median(values), 2), "min": round(min(values), 2),
            "max": round(max(values), 2), "n": len(values)}


def summarise(repeats: list[dict], latency: list[dict]) -> dict:
    """Median, min and max per measure over the repeats, and the issue-14 targets with their verdicts."""
    summary: dict = {}
    for name in ("baseline", "provision cold", "provision warm (no-op)", "provision --check"):
        runs = [r[name] for r in repeats if name in r and r[name]["rc"] == 0]
        if runs:
            summary[name] = {"seconds": spread([r["seconds"] for r in runs]),
                             "tasks": spread([r["tasks"]["total"] for r in runs]),
                             "changed": spread([r["tasks"]["changed"] for r in runs]),
                             "requests": spread([r["requests"] for r in runs]),
                             "requests_by_service": runs[-1]["requests_by_service"]}
    targets = []
    cold, warm = summary.get("provision cold"), summary.get("provision warm (no-op)")
    if cold and warm:
        ratio = warm["seconds"]["median"] / cold["seconds"]["median"]
        targets.append({"target": "no-op provision <= 0.3 x cold", "measured": round(ratio, 2),
                        "limit": TARGET_NOOP_RATIO, "met": ratio <= TARGET_NOOP_RATIO,
                        "detail": f"{warm['seconds']['median']} s no-op / {cold['seconds']['median']} s cold; "
                                  f"the no-op run makes {warm['requests']['median']:g} AWS requests in "
                                  f"{warm['tasks']['median']:g} tasks (cold: {cold['requests']['median']:g} in "
                                  f"{cold['tasks']['median']:g})"})
        changed = max(r["provision warm (no-op)"]["tasks"]["changed"] for r in repeats if "provision warm (no-op)" in r)
        targets.append({"target": "second provision reports changed=0", "measured": changed, "limit": 0,
                        "met": changed == 0})
    good = [run for run in latency if run.get("rc") == 0]
    if good:
        walls = [run["seconds"] for run in good]
        summary["provision cold, latency mode"] = {
            "seconds": spread(walls), "scale": good[0]["scale"], "waits": good[0]["waits"],
            "sum_of_waits": good[0]["sum_of_waits"], "longest_wait": good[0]["longest_wait"],
            "requests": spread([run["requests"] for run in good]), "poll_seconds": good[0]["poll_seconds"]}
        wall, longest = statistics.median(walls), good[0]["longest_wait"]
        ratio = wall / longest
        detail = (f"{wall:.1f} s wall against a longest single wait of {longest:g} s (Aurora secondary cluster) "
                  f"and a sum of waits of {good[0]['sum_of_waits']:g} s at latency_scale {good[0]['scale']:g}")
        if cold:
            detail += (f"; the same provisioning without latency takes {cold['seconds']['median']} s of API "
                       "round trips, which overlap the waits only after the database has been requested")
        targets.append({"target": "latency-mode provision <= 1.3 x the longest single wait",
                        "measured": round(ratio, 2), "limit": TARGET_LATENCY_RATIO,
                        "met": ratio <= TARGET_LATENCY_RATIO, "detail": detail,
                        "sum_of_waits_ratio": round(wall / good[0]["sum_of_waits"], 2)})
    summary["targets"] = targets
    return summary


def markdown(report_data: dict) -> str:
    summary = report_data["summary"]
    lines = ["# Benchmark results", "",
             "Written by `make benchmark` (scripts/benchmark.py); the raw runs are in results.json.", "",
             f"- commit: `{report_data['git']}`", f"- date (UTC): {report_data['date']}",
             f"- machine: {report_data['machine']['cpus']} CPUs, {report_data['machine']['platform']}, "
             f"Python {report_data['machine']['python']}, load average at start {report_data['machine']['load']}",
             f"- repeats: {report_data['repeat']} (median, min-max)", "",
             "| run | seconds | tasks | changed | AWS requests |", "|---|---|---|---|---|"]

    def cell(stats: dict) -> str:
        return f"{stats['median']:g} ({stats['min']:g}-{stats['max']:g})"

    for name in ("baseline", "provision cold", "provision warm (no-op)", "provision --check"):
        if name in summary:
            row = summary[name]
            lines.append(f"| {name} | {cell(row['seconds'])} | {cell(row['tasks'])} | {cell(row['changed'])} | "
                         f"{cell(row['requests'])} |")
    latency = summary.get("provision cold, latency mode")
    if latency:
        lines.append(f"| provision cold, latency mode (scale {latency['scale']:g}) | {cell(latency['seconds'])} | | | "
                     f"{cell(latency['requests'])} |")
        lines += ["", f"Realistic-latency mode: latency_scale {latency['scale']:g} emulator s per real minute, role "
                  f"polls every {latency['poll_seconds']} s. Waits: "
                  + ", ".join(f"{k} {v:g} s" for k, v in latency["waits"].items())
                  + f"; sum {latency['sum_of_waits']:g} s, longest {latency['longest_wait']:g} s."]
    lines += ["", "AWS requests per service (last repeat):", ""]
    for name in ("baseline", "provision cold", "provision warm (no-op)", "provision --check"):
        if name in summary:
            lines.append(f"- {name}: " + ", ".join(f"{k} {v}" for k, v in summary[name]["requests_by_service"].items()))
    lines += ["", "## Targets (issue 14)", "", "| target | measured | limit | verdict |", "|---|---|---|---|"]
    for target in summary["targets"]:
        verdict = "met" if target["met"] else f"MISSED by {abs(target['measured'] - target['limit']):.2f}"
        lines.append(f"| {target['target']} | {target['measured']} | {target['limit']} | {verdict} |")
    for target in summary["targets"]:
        if target.get("detail"):
            lines.append(f"\n- {target['target']}: {target['detail']}.")
    notes = RESULTS_DIR / "NOTES.md"
    if notes.exists():
        lines += ["", notes.read_text().strip()]
    if report_data.get("targets"):
        lines += ["", "## Issue-10 targets (migration engine)", "", "| target | measured | limit | verdict |",
                  "|---|---|---|---|"]
        for target in report_data["targets"]:
            lines.append(f"| {target['target']} | {target['measured']} {target['unit']} | {target['limit']} | "
                         f"{'met' if target['met'] else 'NOT MET'} |")
    return "\n".join(lines) + "\n"


def readme_summary(report_data: dict) -> str:
    """The few lines README.md shows between its benchmark-summary markers."""
    summary = report_data["summary"]
    lines = [f"Commit `{report_data['git']}`, {report_data['date']}, {report_data['machine']['cpus']} CPUs "
             f"(load average {report_data['machine']['load']} at start), {report_data['repeat']} repeat(s):", ""]
    for name in ("provision cold", "provision warm (no-op)", "provision --check", "provision cold, latency mode"):
        if name in summary:
            row = summary[name]
            lines.append(f"- {name}: {row['seconds']['median']:g} s, {row['requests']['median']:g} AWS requests"
                         + (f", {row['tasks']['median']:g} tasks, changed {row['changed']['median']:g}"
                            if "tasks" in row else
                            f" (longest wait {row['longest_wait']:g} s, sum of waits {row['sum_of_waits']:g} s)"))
    for target in summary["targets"]:
        lines.append(f"- target {target['target']}: {target['measured']} "
                     f"({'met' if target['met'] else 'missed, see RESULTS.md'})")
    return "\n".join(lines)


def update_readme(report_data: dict) -> None:
    readme = REPO / "README.md"
    text = readme.read_text()
    start, end = "<!-- benchmark-summary -->", "<!-- /benchmark-summary -->"
    if start in text and end in text:
        head, rest = text.split(start, 1)
        readme.write_text(f"{head}{start}\n{readme_summary(report_data)}\n{end}{rest.split(end, 1)[1]}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", default=os.environ.get("BENCHMARK_EMULATOR_PORT", "5030"))
    parser.add_argument("--repeat", type=int, default=3, help="provisioning measurements, each on a fresh emulator")
    parser.add_argument("--latency-scale", type=float, default=10.0,
                        help="emulator seconds per real AWS minute in the realistic-latency run (default 10)")
    parser.add_argument("--latency-repeat", type=int, help="latency-mode runs (default: --repeat)")
    parser.add_argument("--skip-latency", action="store_true", help="no realistic-latency run")
    parser.add_argument("--skip-targets", action="store_true", help="do not measure the issue-10 migration targets")
    parser.add_argument("--steps", action="store_true", help="also time every step of a full rehearsal once")
    parser.add_argument("--targets-only", action="store_true", help="measure only the issue-10 migration targets")
    parser.add_argument("--no-save", action="store_true", help="do not write benchmarks/results.json and RESULTS.md")
    parser.add_argument("--skip-check", action="store_true", help="no provision --check run")
    parser.add_argument("--skip-scenario", action="store_true",
                        help="do not time the molecule migration scenario (an issue-10 target)")
    parser.add_argument("--scenario-only", action="store_true",
                        help="time only the molecule migration scenario (merge its --json-out with --merge)")
    parser.add_argument("--json-out", type=Path, help="also write the report to this file")
    parser.add_argument("--report-only", action="store_true",
                        help="only rewrite benchmarks/RESULTS.md and the README summary from benchmarks/results.json")
    parser.add_argument("--merge", type=Path, nargs="+", metavar="REPORT",
                        help="merge reports of separate runs (--json-out) into benchmarks/results.json and RESULTS.md")
    args = parser.parse_args()
    if args.merge:
        reports = [json.loads(path.read_text()) for path in args.merge]
        merged = {**reports[0], "repeats": [r for rep in reports for r in rep["repeats"]],
                  "latency": [r for rep in reports for r in rep["latency"]],
                  "targets": [t for rep in reports for t in rep["targets"]],
                  "failed": any(rep["failed"] for rep in reports),
                  "merged_from": [{"date": rep["date"], "git": rep["git"], "load": rep["machine"]["load"]}
                                  for rep in reports]}
        merged["repeat"] = len(merged["repeats"])
        merged["summary"] = summarise(merged["repeats"], merged["latency"])
        RESULTS_DIR.mkdir(exist_ok=True)
        (RESULTS_DIR / "results.json").write_text(json.dumps(merged, indent=2) + "\n")
    if args.report_only or args.merge:
        report_data = json.loads((RESULTS_DIR / "results.json").read_text())
        (RESULTS_DIR / "RESULTS.md").write_text(markdown(report_data))
        update_readme(report_data)
        return 0

    env = {**os.environ, "EMULATOR_PORT": str(args.port), "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"),
           "PATH": f"{REPO / '.venv/bin'}:{os.environ['PATH']}"}
    env.pop("EMULATOR_LATENCY_SCALE", None)  # latency mode only where this script turns it on
    out_dir = REPO / "artifacts" / "benchmark"
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    log_path = out_dir / f"benchmark-{stamp}.log"
    emulator = [sys.executable, "-m", "emulator", "--port", str(args.port)]
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    steps: list[dict] = []
    repeats: list[dict] = []
    latency: list[dict] = []
    failed = False
    with open(log_path, "w") as log:
        if not (args.targets_only or args.scenario_only):
            for repeat in range(args.repeat):
                print(f"-- repeat {repeat + 1}/{args.repeat}", flush=True)
                repeats.append(measure_provisioning(env, emulator, log, check=not args.skip_check))
                failed |= any(run["rc"] != 0 for run in repeats[-1].values())
                if failed:
                    break
            latency_repeat = args.repeat if args.latency_repeat is None else args.latency_repeat
            for _ in range(0 if failed or args.skip_latency else latency_repeat):
                latency.append(measure_latency(env, emulator, args.latency_scale, log))
                failed |= latency[-1].get("rc", 1) != 0
            if args.steps and not failed:
                fresh_emulator(emulator, env, log)
                try:
                    for name, step in STEPS:
                        seconds, rc = run_step(step, env, log)
                        steps.append({"step": name, "seconds": round(seconds, 2), "rc": rc})
                        print(f"step {name:<36} {seconds:8.1f} s  {'ok' if rc == 0 else f'FAILED rc={rc}'}",
                              flush=True)
                        if rc != 0:
                            failed = True
                            break
                finally:
                    subprocess.run([*emulator, "stop"], cwd=REPO, env=env, stdout=log, check=False)
        targets = [] if failed or args.skip_targets or args.scenario_only else measure_targets(env, emulator, log)
        if not (failed or args.skip_targets or args.skip_scenario):
            targets.append(measure_migration_scenario(env, log))
    report_data = {
        "date": stamp, "repeat": len(repeats),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
                    "load": round(load, 2) if load is not None else None},
        "git": subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True,
                              text=True, check=False).stdout.strip(),
        "summary": summarise(repeats, latency), "repeats": repeats, "latency": latency,
        "steps": steps, "failed": failed, "targets": targets}
    (out_dir / f"benchmark-{stamp}.json").write_text(json.dumps(report_data, indent=2) + "\n")
    if args.json_out:
        args.json_out.write_text(json.dumps(report_data, indent=2) + "\n")
    for target in report_data["summary"]["targets"]:
        print(f"target  {target['target']:<58} {target['measured']!s:>6} (limit {target['limit']}) "
              f"{'met' if target['met'] else 'MISSED'}", flush=True)
    if not args.no_save and not (args.targets_only or args.scenario_only):
        RESULTS_DIR.mkdir(exist_ok=True)
        (RESULTS_DIR / "results.json").write_text(json.dumps(report_data, indent=2) + "\n")
        (RESULTS_DIR / "RESULTS.md").write_text(markdown(report_data))
        update_readme(report_data)
        print(f"results: {(RESULTS_DIR / 'RESULTS.md').relative_to(REPO)}; log {log_path.relative_to(REPO)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
