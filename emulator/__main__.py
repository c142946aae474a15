"""Command line: python -m emulator {start,stop,status,serve,fault} ...

start   start the emulator in the background, wait until it answers, record its PID
stop    stop it by the recorded PID
status  say whether it answers
serve   run in the foreground (what `start` runs)
fault   add, list or clear faults (see README.md)
signals publish the simulated CloudWatch signals once, now (or --list the secondaries they cover)
workload start, stop, report or reset the payment workload (the data plane, see README.md)
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from . import DEFAULT_HOST, DEFAULT_PORT

STATE_DIR = Path(
    os.environ.get("EMULATOR_STATE_DIR", Path(__file__).resolve().parent.parent / "artifacts" / "emulator")
)


def _port(args) -> int:
    return int(args.port or os.environ.get("EMULATOR_PORT") or DEFAULT_PORT)


def _base(args) -> str:
    return f"http://{args.host}:{_port(args)}"


def _pid_file(port: int) -> Path:
    return STATE_DIR / f"emulator-{port}.pid"


def _answers(base: str) -> bool:
    try:
        with urllib.request.urlopen(f"{base}/_emulator/health", timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def _port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def _alive(pid: int) -> bool:
    """The process exists and is not a zombie waiting for its (re)parent to reap it."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("State:"):
                return "Z" not in line.split(":", 1)[1].split()[0]
    except OSError:
        return False
    return True


def _recorded_pid(port: int) -> int | None:
    """The PID recorded for the port, if that process is still an emulator; stale files are removed."""
    pid_file = _pid_file(port)
    try:
        pid = int(pid_file.read_text().strip())
    except (OSError, ValueError):
        return None
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        cmdline = None
    if cmdline is None:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            pid_file.unlink(missing_ok=True)
            return None
        except PermissionError:
            return None
        return pid
    if b"emulator" not in cmdline or b"serve" not in cmdline:
        pid_file.unlink(missing_ok=True)
        return None
    return pid


def cmd_start(args) -> int:
    port = _port(args)
    base = _base(args)
    pid = _recorded_pid(port)
    if _answers(base):
        owner = f"pid {pid}" if pid else "not started by this command: no PID recorded"
        print(f"emulator already answers on {base} ({owner})")
        return 0
    if not _port_free(args.host, port):
        print(f"cannot start the emulator: {args.host}:{port} is in use by another process "
              "that is not an emulator (choose another --port / EMULATOR_PORT)", file=sys.stderr)
        return 2
    STATE_DIR.mkdir(parents=True, exist_ok=True)
    log_path = STATE_DIR / f"emulator-{port}.log"
    env = dict(os.environ)
    if args.latency is not None:
        env["EMULATOR_LATENCY_SCALE"] = str(args.latency)
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "emulator", "serve", "--host", args.host, "--port", str(port)],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
            cwd=str(Path(__file__).resolve().parent.parent), start_new_session=True,
        )
    _pid_file(port).write_text(f"{process.pid}\n")
    deadline = time.monotonic() + args.timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            print(f"emulator exited with {process.returncode}; see {log_path}", file=sys.stderr)
            _pid_file(port).unlink(missing_ok=True)
            return 1
        if _answers(base):
            print(f"emulator started on {base} (pid {process.pid}, log {log_path})")
            return 0
        time.sleep(0.2)
    print(f"emulator did not answer on {base} within {args.timeout}s; see {log_path}", file=sys.stderr)
    process.terminate()
    _pid_file(port).unlink(missing_ok=True)
    return 1


def cmd_stop(args) -> int:
    port = _port(args)
    pid = _recorded_pid(port)
    if pid is None:
        print(f"no running emulator recorded for port {port}")
        return 0
    try:
        os.kill(pid, signal.SIGTERM)
        for _ in range(100):
            if not _alive(pid):
                break
            time.sleep(0.05)
        else:
            os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    _pid_file(port).unlink(missing_ok=True)
    print(f"emulator on port {port} stopped (pid {pid})")
    return 0


def cmd_status(args) -> int:
    base = _base(args)
    up = _answers(base)
    pid = _recorded_pid(_port(args))
    print(f"emulator on {base}: {'up' if up else 'down'}" + (f" (pid {pid})" if pid else ""))
    return 0 if up else 1


def cmd_serve(args) -> int:
    from .server import serve

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    serve(args.host, _port(args))
    return 0


def _request(method: str, url: str, payload: dict | None = None, timeout: float = 10) -> dict:
    data = json.dumps(payload).encode() if payload is not None else None
    request = urllib.request.Request(url, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as exc:
        raise SystemExit(f"emulator refused: {exc.read().decode()}") from None


def cmd_fault(args) -> int:
    url = f"{_base(args)}/_emulator/faults"
    if args.fault_cmd == "list":
        result = _request("GET", url)
    elif args.fault_cmd == "clear":
        result = _request("DELETE", url + (f"?id={args.id}" if args.id else ""))
    else:
        spec = {k: v for k, v in vars(args).items()
                if k in FAULT_FIELDS.get(args.fault_cmd, ()) and v is not None}
        spec["kind"] = args.fault_cmd.replace("-", "_")
        result = _request("POST", url, spec)
    print(json.dumps(result, indent=2))
    return 0


def cmd_signals(args) -> int:
    base = f"{_base(args)}/_emulator/signals"
    result = _request("GET", base) if args.list else _request("POST", f"{base}/publish")
    print(json.dumps(result, indent=2))
    return 0


def cmd_workload(args) -> int:
    from .workload import format_report

    base = f"{_base(args)}/_emulator/workload"
    if args.workload_cmd == "start":
        spec = {k: v for k, v in (("rate", args.rate), ("zone_name", args.zone_name),
                                  ("record_name", args.record_name), ("target_region", args.target_region),
                                  ("switchover_write_block_seconds", args.write_block_seconds),
                                  ("payment_deadline_seconds", args.deadline_seconds)) if v is not None}
        print(json.dumps(_request("POST", f"{base}/start", spec), indent=2))
        return 0
    if args.workload_cmd == "reset":
        print(json.dumps(_request("POST", f"{base}/reset", {}), indent=2))
        return 0
    if args.workload_cmd == "stop":
        report = _request("POST", f"{base}/stop", {"drain_seconds": args.drain_seconds},
                          timeout=args.drain_seconds + 30)
    else:
        report = _request("GET", f"{base}/report", timeout=60)
    print(json.dumps(report, indent=2) if args.json else format_report(report))
    if args.check and not report.get("ok"):
        return 1
    return 0


FAULT_FIELDS = {
    "api-error": ("action", "path", "method", "service", "region", "count", "error", "message", "status", "duration"),
    "replication-lag": ("value_ms", "duration", "cluster"),
    "unhealthy-targets": ("target_group_arn", "duration", "reason"),
    "alarm-state": ("alarm_name", "state", "region", "reason"),
    "app-errors": ("region", "rate", "duration"),
    "write-path-cut": ("region", "duration"),
}


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="python -m emulator", description=__doc__,
                                  formatter_class=argparse.RawDescriptionHelpFormatter)
    top.add_argument("--host", default=DEFAULT_HOST)
    top.add_argument("--port", type=int, help=f"default: $EMULATOR_PORT or {DEFAULT_PORT}")
    sub = top.add_subparsers(dest="cmd", required=True)
    start = sub.add_parser("start")
    start.add_argument("--timeout", type=float, default=60)
    start.add_argument("--latency", type=float, nargs="?", const=1.0, metavar="SCALE",
                       help="realistic-latency mode: SCALE emulator seconds per real AWS minute of a slow "
                            "resource's wait (default 1; emulator/latency.py)")
    sub.add_parser("stop")
    sub.add_parser("status")
    serve = sub.add_parser("serve")
    serve.add_argument("--host", default=argparse.SUPPRESS)
    serve.add_argument("--port", type=int, default=argparse.SUPPRESS)
    signals = sub.add_parser("signals", help="publish the simulated lag signals once, now")
    signals.add_argument("--list", action="store_true", help="only list the secondaries that get signals")
    fault = sub.add_parser("fault").add_subparsers(dest="fault_cmd", required=True)
    fault.add_parser("list")
    clear = fault.add_parser("clear")
    clear.add_argument("--id")
    api = fault.add_parser("api-error", help="the next N calls of an action fail")
    api.add_argument("--action")
    api.add_argument("--path", help="regex on the request path (REST APIs)")
    api.add_argument("--method")
    api.add_argument("--service")
    api.add_argument("--region")
    api.add_argument("--count", type=int, default=1)
    api.add_argument("--error", default="Throttling")
    api.add_argument("--message", default="Rate exceeded")
    api.add_argument("--status", type=int, default=400)
    api.add_argument("--duration", type=float)
    lag = fault.add_parser("replication-lag", help="simulated Aurora lag is VALUE_MS for DURATION s")
    lag.add_argument("--value-ms", dest="value_ms", type=float, required=True)
    lag.add_argument("--duration", type=float, default=60)
    lag.add_argument("--cluster")
    unhealthy = fault.add_parser("unhealthy-targets", help="a target group's targets are unhealthy")
    unhealthy.add_argument("--target-group-arn", dest="target_group_arn", required=True)
    unhealthy.add_argument("--duration", type=float)
    unhealthy.add_argument("--reason")
    alarm = fault.add_parser("alarm-state", help="set an alarm's state")
    alarm.add_argument("--alarm-name", dest="alarm_name", required=True)
    alarm.add_argument("--state", required=True, choices=["OK", "ALARM", "INSUFFICIENT_DATA"])
    alarm.add_argument("--region", default="eu-west-1")
    alarm.add_argument("--reason")
    app_errors = fault.add_parser("app-errors", help="a region's application answers HTTP 500")
    app_errors.add_argument("--region", required=True, help="the application's region")
    app_errors.add_argument("--rate", type=float, help="share of requests that fail, 0..1 (default 1)")
    app_errors.add_argument("--duration", type=float)
    cut = fault.add_parser("write-path-cut", help="a region's application cannot reach a writer elsewhere")
    cut.add_argument("--region", required=True, help="the application's region")
    cut.add_argument("--duration", type=float)
    workload = sub.add_parser("workload", help="the payment workload").add_subparsers(dest="workload_cmd",
                                                                                     required=True)
    start_workload = workload.add_parser("start", help="start paying")
    start_workload.add_argument("--rate", type=float, help="payments per second (default 200)")
    start_workload.add_argument("--zone-name", dest="zone_name")
    start_workload.add_argument("--record-name", dest="record_name")
    start_workload.add_argument("--target-region", dest="target_region", help="phase labels (default eu-west-1)")
    start_workload.add_argument("--write-block-seconds", dest="write_block_seconds", type=float,
                                help="writes refused for the last N s of a switchover")
    start_workload.add_argument("--deadline-seconds", dest="deadline_seconds", type=float,
                                help="a payment not committed after N s has failed for good")
    for name, help_text in (("stop", "stop paying, let the payments in flight finish, print the reconciliation"),
                            ("report", "print the reconciliation")):
        command = workload.add_parser(name, help=help_text)
        command.add_argument("--json", action="store_true", help="the report as JSON")
        command.add_argument("--check", action="store_true", help="exit 1 unless 0 lost and 0 duplicated")
        if name == "stop":
            command.add_argument("--drain-seconds", dest="drain_seconds", type=float, default=10.0)
    workload.add_parser("reset", help="stop and forget every payment and ledger")
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return {"start": cmd_start, "stop": cmd_stop, "status": cmd_status,
            "serve": cmd_serve, "fault": cmd_fault, "signals": cmd_signals,
            "workload": cmd_workload}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
