# Copyright: Contributors to the payments.region_migration project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: runbook
type: stdout
short_description: Short console output that reads like a runbook, with live progress of long waits
version_added: 1.2.0
description:
  - One line per step that changed something, failed or took a while; the messages of C(debug) tasks
    (the migration's plans, verdicts and status tables) as they are; nothing for skipped or quick
    unchanged tasks.
  - Live progress of long waits. While a task runs for more than O(progress_delay) seconds, the latest
    line of the migration gate's progress file (C(MIGRATION_PROGRESS_FILE) in the task's environment,
    with elapsed and remaining time and the latest gate values) is shown, or for other slow tasks
    (switchover, slow AWS resources) the elapsed time. On a terminal the progress line is rewritten in
    place; otherwise a new line is printed at most every O(progress_interval) seconds.
  - At the end a summary table (plays with their duration and counts, the slowest steps, the failures)
    followed by the standard C(PLAY RECAP) lines of the default callback, so that tools reading the recap
    keep working.
  - With C(-v) or more, every event is shown exactly as the default callback shows it. Choose
    C(ansible.builtin.default) (C(ANSIBLE_STDOUT_CALLBACK=ansible.builtin.default)) for the full output
    without extra verbosity.
author:
  - Payments platform engineering (@payments-platform)
extends_documentation_fragment:
  - default_callback
  - result_format_callback
requirements:
  - set as stdout callback in ansible.cfg (C(stdout_callback = payments.region_migration.runbook))
options:
  slow_step_seconds:
    description: An unchanged task that ran at least this long gets its own line.
    type: float
    default: 10
    ini:
      - section: callback_runbook
        key: slow_step_seconds
    env:
      - name: RUNBOOK_SLOW_STEP_SECONDS
  progress_delay:
    description: Seconds a task runs before its progress is shown.
    type: float
    default: 2
    ini:
      - section: callback_runbook
        key: progress_delay
    env:
      - name: RUNBOOK_PROGRESS_DELAY
  progress_interval:
    description:
      - Seconds between two progress lines when the output is not a terminal. A task without gate progress
        (a slow resource) gets its first "still running" line after this many seconds too.
    type: float
    default: 30
    ini:
      - section: callback_runbook
        key: progress_interval
    env:
      - name: RUNBOOK_PROGRESS_INTERVAL
  summary_steps:
    description: How many of the slowest steps the summary lists.
    type: int
    default: 5
    ini:
      - section: callback_runbook
        key: summary_steps
    env:
      - name: RUNBOOK_SUMMARY_STEPS
"""

import os
import sys
import threading
import time

from ansible import constants as C
from ansible import context
from ansible.playbook.task_include import TaskInclude
from ansible.plugins.callback.default import CallbackModule as DefaultCallbackModule

PROGRESS_ENV = "MIGRATION_PROGRESS_FILE"
GATE_PREFIX = "migration_gate "


def fmt_seconds(seconds: float) -> str:
    """Compact duration: 4.2s, 75s, 12m05s."""
    if seconds < 10:
        return f"{seconds:.1f}s"
    if seconds < 600:
        return f"{seconds:.0f}s"
    minutes, rest = divmod(int(round(seconds)), 60)
    return f"{minutes}m{rest:02d}s"


def first_line(text, limit: int = 160) -> str:
    text = " ".join(str(text or "").split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def task_name(task) -> str:
    """The task's name without the role prefix (``role : name``): the runbook reads as steps."""
    return str(task.get_name()).split(" : ", 1)[-1].strip()


def result_note(result: dict) -> str:
    """A few words from a module result worth a runbook line: a gate's verdict, a reason, a message."""
    if "verdict" in result and "reason" in result:
        return f"{str(result['verdict']).upper()}: {first_line(result['reason'], 140)}"
    for key in ("reason", "msg"):
        if result.get(key) and isinstance(result[key], str) and result[key] != "All items completed":
            return first_line(result[key], 140)
    return ""


def failure_text(result: dict) -> list[str]:
    """Every line an operator needs to see of a failure: the message, a loop's failing items, stderr's tail."""
    lines: list[str] = []
    msg = result.get("msg") or result.get("reason") or ""
    if isinstance(msg, (list, tuple)):
        lines.extend(str(m) for m in msg)
    elif msg:
        lines.extend(str(msg).splitlines())
    for item in result.get("results") or []:
        if isinstance(item, dict) and item.get("failed"):
            lines.append(f"item {first_line(item.get('item'), 60)}: {first_line(item.get('msg'), 300)}")
    stderr = result.get("stderr_lines") or str(result.get("stderr") or "").splitlines()
    if stderr:
        lines.extend(["stderr:"] + [f"  {s}" for s in stderr[-10:]])
    if not lines:
        lines.append(first_line({k: v for k, v in result.items() if not k.startswith("_")}, 400))
    return lines


def debug_lines(result: dict) -> list[str] | None:
    """The text a debug task shows (msg, or var: value), None when it has none."""
    if "msg" in result:
        msg = result["msg"]
        if isinstance(msg, (list, tuple)):
            return [str(m) for m in msg]
        return str(msg).splitlines() or [""]
    shown = [(k, v) for k, v in result.items() if not k.startswith("_") and k not in ("changed", "failed")]
    if shown:
        return [f"{k}: {v}" for k, v in shown]
    return None


class CallbackModule(DefaultCallbackModule):
    """Runbook console: short lines, live progress, a summary table, the standard recap."""

    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "stdout"
    CALLBACK_NAME = "payments.region_migration.runbook"

    def __init__(self):
        super().__init__()
        self._lock = threading.RLock()
        self._tty = sys.stdout.isatty()
        self._live = False  # a progress line is on screen (terminal only)
        self._ticker = None
        self._stop = threading.Event()
        self._task = None
        self._task_started = 0.0
        self._progress_path = None
        self._progress_offset = 0
        self._progress_line = ""
        self._printed_progress = 0.0
        self._play_name = None
        self._play_started = 0.0
        self._plays: list[dict] = []
        self._steps: list[tuple[float, str, str]] = []
        self._failures: list[str] = []
        self._path_cache: dict[str, str | None] = {}
        self._started = time.monotonic()

    # --- helpers ----------------------------------------------------------------------------
    def _full(self) -> bool:
        return self._display.verbosity >= 1

    def _emit(self, text: str, color: str | None = None, stderr: bool = False) -> None:
        with self._lock:
            self._clear_live()
            self._display.display(text, color=color, stderr=stderr)

    def _clear_live(self) -> None:
        if self._live:
            sys.stdout.write("\r\x1b[K")
            sys.stdout.flush()
            self._live = False

    def _resolve_progress_path(self, task) -> str | None:
        """The task's MIGRATION_PROGRESS_FILE, templated with the play's variables (cached per value)."""
        raw = None
        environments = task.environment or []
        if isinstance(environments, dict):
            environments = [environments]
        for env in environments:
            if isinstance(env, dict) and PROGRESS_ENV in env:
                raw = env[PROGRESS_ENV]
        if raw is None:
            return os.environ.get(PROGRESS_ENV)
        if "{{" not in str(raw):
            return str(raw)
        if str(raw) in self._path_cache:
            return self._path_cache[str(raw)]
        path = None
        try:
            from ansible.template import Templar, trust_as_template

            play = self._play
            manager = play.get_variable_manager()
            hosts = manager._inventory.get_hosts(play.hosts)
            variables = manager.get_vars(play=play, host=hosts[0] if hosts else None, task=task)
            # the task's own (trusted) expression, as the task itself templates it
            path = str(Templar(loader=manager._loader, variables=variables).template(trust_as_template(str(raw))))
        except Exception as e:  # noqa: BLE001 - progress is a nicety; never break the run for it
            self._display.vvv(f"runbook: cannot resolve {PROGRESS_ENV} {raw!r}: {e}")
            path = None
        self._path_cache[str(raw)] = path
        return path

    def _start_task(self, task) -> None:
        self._stop_ticker()
        self._task = task
        self._task_started = time.monotonic()
        self._progress_line = ""
        self._printed_progress = 0.0
        self._progress_path = self._resolve_progress_path(task)
        try:
            self._progress_offset = os.path.getsize(self._progress_path) if self._progress_path else 0
        except OSError:
            self._progress_offset = 0
        self._stop = threading.Event()
        self._ticker = threading.Thread(target=self._tick, args=(self._stop, task_name(task)), daemon=True)
        self._ticker.start()

    def _stop_ticker(self) -> None:
        if self._ticker is not None:
            self._stop.set()
            self._ticker.join(timeout=2)
            self._ticker = None
        with self._lock:
            self._clear_live()

    def _read_progress(self) -> None:
        if not self._progress_path:
            return
        try:
            with open(self._progress_path, encoding="utf-8", errors="replace") as handle:
                handle.seek(self._progress_offset)
                chunk = handle.read()
        except OSError:
            return
        complete = chunk[: chunk.rfind("\n") + 1] if "\n" in chunk else ""
        self._progress_offset += len(complete.encode("utf-8"))
        lines = [line for line in complete.splitlines() if line.strip()]
        if lines:
            line = lines[-1]
            self._progress_line = line[len(GATE_PREFIX):] if line.startswith(GATE_PREFIX) else line

    def _tick(self, stop: threading.Event, name: str) -> None:
        delay = float(self.get_option("progress_delay"))
        interval = float(self.get_option("progress_interval"))
        while not stop.wait(1.0 if self._tty else 0.5):
            elapsed = time.monotonic() - self._task_started
            self._read_progress()
            if elapsed < delay:
                continue
            detail = self._progress_line or "still running"
            text = f"  ...      {fmt_seconds(elapsed):>6}  {name}: {detail}"
            with self._lock:
                if stop.is_set():
                    return
                if self._tty:
                    width = os.get_terminal_size().columns if sys.stdout.isatty() else 160
                    sys.stdout.write("\r\x1b[K" + text[: max(20, width - 1)])
                    sys.stdout.flush()
                    self._live = True
                elif (self._progress_line and self._printed_progress == 0.0) or (
                        elapsed >= interval and time.monotonic() - self._printed_progress >= interval):
                    self._display.display(text, color=C.COLOR_VERBOSE)
                    self._printed_progress = time.monotonic()

    def _step(self, result, status: str, color: str | None, note: str = "") -> None:
        duration = time.monotonic() - self._task_started
        name = task_name(result.task)
        self._steps.append((duration, name, status))
        line = f"  {status:<8} {fmt_seconds(duration):>6}  {name}"
        if note:
            line += f" - {note}"
        self._emit(line, color=color)

    # --- events -----------------------------------------------------------------------------
    def v2_playbook_on_start(self, playbook):
        if self._full():
            return super().v2_playbook_on_start(playbook)
        self._started = time.monotonic()
        if context.CLIARGS.get("check"):
            self._emit("DRY RUN (check mode): nothing is changed", color=C.COLOR_HIGHLIGHT)

    def v2_playbook_on_play_start(self, play):
        self._play = play
        if self._full():
            return super().v2_playbook_on_play_start(play)
        self._stop_ticker()
        self._close_play()
        self._play_name = play.get_name().strip() or ",".join(play.hosts)
        self._play_started = time.monotonic()
        self._plays.append({"name": self._play_name, "seconds": 0.0})
        self._emit(f"PLAY {self._play_name}", color=C.COLOR_HIGHLIGHT)

    def _close_play(self) -> None:
        if self._plays and self._play_name:
            self._plays[-1]["seconds"] = time.monotonic() - self._play_started

    def v2_playbook_on_task_start(self, task, is_conditional):
        if self._full():
            return super().v2_playbook_on_task_start(task, is_conditional)
        self._start_task(task)

    def v2_playbook_on_handler_task_start(self, task):
        if self._full():
            return super().v2_playbook_on_handler_task_start(task)
        self._start_task(task)

    def v2_runner_on_ok(self, result):
        if self._full():
            return super().v2_runner_on_ok(result)
        self._stop_ticker()
        if isinstance(result.task, TaskInclude):
            return
        self._handle_warnings_and_exception(result)
        res = result.result
        if result.task.action in C._ACTION_DEBUG:
            # a debug task above its verbosity threshold has nothing to show
            lines = None if res.get("skipped") or "skipped_reason" in res else debug_lines(res)
            if lines is not None:
                self._emit(f"  {task_name(result.task)}:", color=C.COLOR_OK)
                for line in lines:
                    self._emit(f"    {line}", color=C.COLOR_OK)
            return
        duration = time.monotonic() - self._task_started
        if res.get("changed", False):
            self._step(result, "changed", C.COLOR_CHANGED, result_note(res))
        elif duration >= float(self.get_option("slow_step_seconds")) or "verdict" in res:
            self._step(result, "ok", C.COLOR_OK, result_note(res))
        else:
            self._steps.append((duration, task_name(result.task), "ok"))

    def v2_runner_on_failed(self, result, ignore_errors=False):
        if self._full():
            return super().v2_runner_on_failed(result, ignore_errors)
        self._stop_ticker()
        self._handle_warnings_and_exception(result)
        res = result.result
        if ignore_errors:
            self._step(result, "failed", C.COLOR_SKIP, f"ignored: {first_line(res.get('msg'), 120)}")
            return
        self._step(result, "FAILED", C.COLOR_ERROR)
        lines = failure_text(res)
        for line in lines:
            self._emit(f"    {line}", color=C.COLOR_ERROR, stderr=self.get_option("display_failed_stderr"))
        self._failures.append(f"{task_name(result.task)}: {first_line(lines[0], 200)}")

    def v2_runner_on_unreachable(self, result):
        if self._full():
            return super().v2_runner_on_unreachable(result)
        self._stop_ticker()
        self._step(result, "UNREACH", C.COLOR_UNREACHABLE, first_line(result.result.get("msg"), 200))
        self._failures.append(f"{task_name(result.task)}: unreachable")

    def v2_runner_on_skipped(self, result):
        if self._full():
            return super().v2_runner_on_skipped(result)
        self._stop_ticker()

    def v2_runner_item_on_ok(self, result):
        if self._full():
            return super().v2_runner_item_on_ok(result)

    def v2_runner_item_on_skipped(self, result):
        if self._full():
            return super().v2_runner_item_on_skipped(result)

    def v2_runner_item_on_failed(self, result):
        if self._full():
            return super().v2_runner_item_on_failed(result)

    def v2_playbook_on_include(self, included_file):
        if self._full():
            return super().v2_playbook_on_include(included_file)

    def v2_runner_retry(self, result):
        if self._full():
            return super().v2_runner_retry(result)
        res = result.result
        self._progress_line = f"retry {res.get('attempts')} of {res.get('retries')}"

    def v2_runner_on_async_poll(self, result):
        if self._full():
            return super().v2_runner_on_async_poll(result)
        self._progress_line = "waiting for the asynchronous job"

    def v2_runner_on_async_ok(self, result):
        if self._full():
            return super().v2_runner_on_async_ok(result)

    def v2_runner_on_async_failed(self, result):
        if self._full():
            return super().v2_runner_on_async_failed(result)
        self._emit(f"    async job failed: {first_line(result.result.get('msg'), 200)}", color=C.COLOR_ERROR)

    def v2_on_file_diff(self, result):
        with self._lock:
            self._clear_live()
            super().v2_on_file_diff(result)

    def v2_playbook_on_stats(self, stats):
        if self._full():
            return super().v2_playbook_on_stats(stats)
        self._stop_ticker()
        self._close_play()
        total = time.monotonic() - self._started
        self._emit("")
        self._emit(f"SUMMARY ({fmt_seconds(total)})", color=C.COLOR_HIGHLIGHT)
        width = max([4] + [len(p["name"]) for p in self._plays])
        width = min(width, 60)
        self._emit(f"  {'play':<{width}}  {'time':>7}")
        for play in self._plays:
            self._emit(f"  {play['name'][:width]:<{width}}  {fmt_seconds(play['seconds']):>7}")
        slowest = sorted(self._steps, key=lambda s: s[0], reverse=True)[: int(self.get_option("summary_steps"))]
        if slowest:
            steps = "; ".join(f"{first_line(n, 60)} {fmt_seconds(d)}" for d, n, _rest in slowest)
            self._emit("  slowest steps: " + steps)
        for failure in self._failures:
            self._emit(f"  FAILED: {failure}", color=C.COLOR_ERROR)
        super().v2_playbook_on_stats(stats)
