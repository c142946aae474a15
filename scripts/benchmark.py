#!/usr/bin/env python3
"""Benchmark: time every step of a full rehearsal against a fresh local emulator.

Speed is measured here, never by timed assertions in tests. Each step is one ansible-playbook
run; the table and a JSON file (artifacts/benchmark/) record wall-clock seconds per step, so two
commits can be compared on the same machine:

    .venv/bin/python scripts/benchmark.py [--port 5030] [--repeat 1]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", default=os.environ.get("BENCHMARK_EMULATOR_PORT", "5030"))
    parser.add_argument("--repeat", type=int, default=1, help="full runs, each on a reset emulator")
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
        for repeat in range(args.repeat):
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
    total = sum(r["seconds"] for r in results)
    report = {"date": stamp, "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                                         "platform": platform.platform()},
              "git": subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True,
                                    text=True, check=False).stdout.strip(),
              "steps": results, "total_seconds": round(total, 2), "failed": failed}
    report_path = out_dir / f"benchmark-{stamp}.json"
    report_path.write_text(json.dumps(report, indent=2) + "\n")
    print(f"total {total:.1f} s; report {report_path.relative_to(REPO)}; log {log_path.relative_to(REPO)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
