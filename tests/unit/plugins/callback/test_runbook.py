"""The runbook stdout callback: pure helpers and the callback driven in-process (a real playbook run through
the repository's ansible.cfg: tests/unit/test_runbook_console.py)."""

from __future__ import annotations

import os
from pathlib import Path
from types import SimpleNamespace

import pytest
from ansible_collections.payments.region_migration.plugins.callback import runbook

from tests.conftest import wait_until

REPO = Path(__file__).resolve().parents[4]
OPTIONS = {"slow_step_seconds": 5.0, "progress_delay": 0.0, "progress_interval": 0.3, "summary_steps": 3,
           "display_failed_stderr": False, "show_custom_stats": False, "check_mode_markers": False,
           "display_ok_hosts": True, "display_skipped_hosts": False, "show_task_path_on_failure": False,
           "result_format": "yaml", "pretty_results": None, "show_per_host_start": False}


@pytest.mark.parametrize("seconds, text", [(4.24, "4.2s"), (75.4, "75s"), (725, "12m05s")])
def test_fmt_seconds(seconds, text):
    assert runbook.fmt_seconds(seconds) == text


def test_result_note_prefers_the_gate_verdict():
    assert runbook.result_note({"verdict": "fail", "reason": "lag:  5000 ms\nabove"}) == "FAIL: lag: 5000 ms above"
    assert runbook.result_note({"msg": "All items completed"}) == ""
    assert runbook.result_note({"msg": "x" * 300}).endswith("...")


def test_failure_text_has_message_failed_items_and_stderr_tail():
    lines = runbook.failure_text({"msg": "rolled back\nto phase 3", "stderr": "\n".join(f"e{i}" for i in range(20)),
                                  "results": [{"failed": True, "item": "a", "msg": "bad a"}, {"item": "b"}]})
    assert lines[:3] == ["rolled back", "to phase 3", "item a: bad a"]
    assert lines[3] == "stderr:" and lines[-1] == "  e19" and len(lines) == 14
    assert runbook.failure_text({"rc": 2}) == ["{'rc': 2}"]


def test_debug_lines():
    assert runbook.debug_lines({"msg": ["a", 1]}) == ["a", "1"]
    assert runbook.debug_lines({"msg": "a\nb"}) == ["a", "b"]
    assert runbook.debug_lines({"x": 1, "changed": False}) == ["x: 1"]
    assert runbook.debug_lines({"changed": False}) is None


class Task(SimpleNamespace):
    def get_name(self):
        return self.name


def _callback(monkeypatch, verbosity=0):
    cb = runbook.CallbackModule()
    cb._plugin_options = dict(OPTIONS)
    monkeypatch.setattr(cb._display, "verbosity", verbosity)
    cb._tty = False
    return cb


def _result(task, **res):
    host = SimpleNamespace(get_name=lambda: "localhost")
    return SimpleNamespace(task=task, result=res, task_name=task.name, host=host, _host=host)


def test_callback_lines_progress_and_summary(monkeypatch, capsys, tmp_path):
    cb = _callback(monkeypatch)
    monkeypatch.setattr(runbook.context, "CLIARGS", {"check": True})
    cb.v2_playbook_on_start(None)
    cb.v2_playbook_on_play_start(SimpleNamespace(get_name=lambda: "Shift", hosts=["localhost"]))
    progress = tmp_path / "progress.log"
    progress.write_text("old line\n")
    bake = Task(name="migration : Hold the gates for the bake of phase 2", action="migration_gate", loop=None,
                environment=[{runbook.PROGRESS_ENV: str(progress)}])
    cb.v2_playbook_on_task_start(bake, False)
    with progress.open("a") as handle:
        handle.write("migration_gate hold: 2.1/4 s elapsed, 1.9 s remaining: pass: lag 260 ms, targets 2\n")
    # the ticker thread prints the progress line on its own schedule: a loaded machine delays it
    wait_until(lambda: cb._printed_progress > 0.0, "the bake's progress line printed", step=0.05)
    cb.v2_runner_on_ok(_result(bake, changed=False, verdict="pass", reason="held 4 s"))
    quick = Task(name="Read the lock", action="migration_lock", loop=None, environment=[])
    cb.v2_playbook_on_task_start(quick, False)
    cb.v2_runner_on_ok(_result(quick, changed=False))
    cb.v2_playbook_on_task_start(quick, False)
    cb.v2_runner_on_skipped(_result(quick, skipped=True))
    shift = Task(name="Shift the weights", action="route53_weighted_shift", loop=None, environment=[])
    cb.v2_playbook_on_task_start(shift, False)
    cb.v2_runner_on_ok(_result(shift, changed=True))
    show = Task(name="Show the status", action="ansible.builtin.debug", loop=None, environment=[])
    cb.v2_playbook_on_task_start(show, False)
    cb.v2_runner_on_ok(_result(show, msg=["phase 2 of 4", "lock free"]))
    cb.v2_playbook_on_task_start(show, False)
    cb.v2_runner_on_ok(_result(show, skipped_reason="Verbosity threshold not met.", skipped=True))
    fail = Task(name="Fail with the reason", action="ansible.builtin.fail", loop=None, environment=[])
    cb.v2_playbook_on_task_start(fail, False)
    cb.v2_runner_on_failed(_result(fail, msg="FAILED and was rolled back to phase 1"), ignore_errors=True)
    cb.v2_runner_on_failed(_result(fail, msg="FAILED and was rolled back to phase 1"))
    stats = SimpleNamespace(processed={"localhost": 1}, custom={}, summarize=lambda h: {
        "ok": 5, "changed": 1, "unreachable": 0, "failures": 1, "skipped": 1, "rescued": 0, "ignored": 1})
    cb.v2_playbook_on_stats(stats)
    out = capsys.readouterr().out
    assert "DRY RUN" in out and "PLAY Shift" in out
    assert "Hold the gates for the bake of phase 2: hold: 2.1/4 s elapsed, 1.9 s remaining: pass: lag 260 ms" in out
    assert "old line" not in out and "migration : " not in out
    assert "PASS: held 4 s" in out
    assert "Read the lock" not in out.split("SUMMARY")[0]
    assert "changed" in out and "Shift the weights" in out
    assert "    phase 2 of 4\n    lock free" in out and "Verbosity threshold" not in out
    assert "ignored: FAILED and was rolled back" in out and "FAILED: Fail with the reason" in out
    assert "PLAY RECAP" in out
    assert "localhost                  : ok=5    changed=1    unreachable=0    failed=1    skipped=1 " in out


def test_callback_is_the_default_output_with_v(monkeypatch, capsys):
    cb = _callback(monkeypatch, verbosity=1)
    task = Task(name="Shift the weights", action="route53_weighted_shift", loop=None, environment=[], _uuid="u1",
                check_mode=False, get_path=lambda: "x.yml:1", no_log=False, _role=None, resolved_action="x")
    called = []
    monkeypatch.setattr(runbook.DefaultCallbackModule, "v2_playbook_on_task_start",
                        lambda self, t, c: called.append(("task", t.name)))
    monkeypatch.setattr(runbook.DefaultCallbackModule, "v2_runner_on_ok", lambda self, r: called.append(("ok", r)))
    cb.v2_playbook_on_task_start(task, False)
    cb.v2_runner_on_ok("r")
    assert called == [("task", "Shift the weights"), ("ok", "r")]
    assert capsys.readouterr().out == ""


DELEGATED = [("v2_playbook_on_start", (None,)), ("v2_playbook_on_play_start", (SimpleNamespace(),)),
             ("v2_playbook_on_handler_task_start", ("t",)), ("v2_runner_on_failed", ("r", False)),
             ("v2_runner_on_unreachable", ("r",)), ("v2_runner_on_skipped", ("r",)),
             ("v2_runner_item_on_ok", ("r",)), ("v2_runner_item_on_skipped", ("r",)),
             ("v2_runner_item_on_failed", ("r",)), ("v2_playbook_on_include", ("f",)), ("v2_runner_retry", ("r",)),
             ("v2_runner_on_async_poll", ("r",)), ("v2_runner_on_async_ok", ("r",)),
             ("v2_runner_on_async_failed", ("r",)), ("v2_playbook_on_stats", ("s",))]


@pytest.mark.parametrize("name, args", DELEGATED, ids=[d[0] for d in DELEGATED])
def test_every_event_is_the_default_callbacks_with_v(monkeypatch, capsys, name, args):
    cb = _callback(monkeypatch, verbosity=1)
    called = []
    monkeypatch.setattr(runbook.DefaultCallbackModule, name, lambda self, *a: called.append(a))
    getattr(cb, name)(*args)
    assert called == [args] and capsys.readouterr().out == ""


def test_short_mode_quiet_events_and_heartbeat(monkeypatch, capsys):
    cb = _callback(monkeypatch)
    cb._plugin_options.update(progress_interval=0.5)
    slow = Task(name="Create the Aurora cluster", action="rds_cluster", loop=None, environment={})
    monkeypatch.delenv(runbook.PROGRESS_ENV, raising=False)
    cb.v2_playbook_on_task_start(slow, False)
    cb.v2_runner_retry(_result(slow, attempts=2, retries=30))
    # the ticker thread prints the retry as the task's progress on its own schedule: a loaded machine delays it
    wait_until(lambda: cb._printed_progress > 0.0, "the retry printed as the task's progress", step=0.05)
    cb.v2_runner_on_async_poll(_result(slow))
    cb.v2_runner_item_on_ok(_result(slow))
    cb.v2_runner_item_on_skipped(_result(slow))
    cb.v2_runner_item_on_failed(_result(slow))
    cb.v2_playbook_on_include(None)
    cb.v2_runner_on_async_ok(_result(slow))
    cb.v2_runner_on_async_failed(_result(slow, msg="job died"))
    cb.v2_runner_on_unreachable(_result(slow, msg="no route"))
    out = capsys.readouterr().out
    assert "Create the Aurora cluster: retry 2 of 30" in out
    assert "async job failed: job died" in out and "UNREACH" in out and "no route" in out


def test_progress_path_is_templated_with_the_play_variables(monkeypatch, tmp_path):
    cb = _callback(monkeypatch)
    loader = SimpleNamespace()
    manager = SimpleNamespace(_inventory=SimpleNamespace(get_hosts=lambda pattern: ["localhost"]), _loader=None,
                              get_vars=lambda play, host, task: {"artifacts": str(tmp_path)})
    cb._play = SimpleNamespace(hosts="all", get_variable_manager=lambda: manager, _loader=loader)
    task = Task(name="Hold", environment=[{runbook.PROGRESS_ENV: "{{ artifacts }}/progress.log"}])
    assert cb._resolve_progress_path(task) == f"{tmp_path}/progress.log"
    # cached per expression; a broken play gives no progress, never an error
    cb._play = None
    assert cb._resolve_progress_path(task) == f"{tmp_path}/progress.log"
    other = Task(name="Hold", environment={runbook.PROGRESS_ENV: "{{ missing }}"})
    assert cb._resolve_progress_path(other) is None
    assert cb._resolve_progress_path(Task(name="x", environment={runbook.PROGRESS_ENV: "/p.log"})) == "/p.log"


def test_terminal_progress_is_rewritten_in_place(monkeypatch, capsys, tmp_path):
    cb = _callback(monkeypatch)
    cb._tty = True
    monkeypatch.setattr(runbook.os, "get_terminal_size", lambda: os.terminal_size((80, 24)))
    monkeypatch.setattr(runbook.sys.stdout, "isatty", lambda: True, raising=False)
    task = Task(name="Wait for the switchover", action="aurora_global_switchover", loop=None, environment=[])
    cb.v2_playbook_on_task_start(task, False)
    wait_until(lambda: cb._live, "the live progress line written", step=0.05)
    cb.v2_runner_on_ok(_result(task, changed=True))
    out = capsys.readouterr().out
    assert "\r\x1b[K  ..." in out and "Wait for the switchover: still running" in out
    assert out.rstrip().endswith("Wait for the switchover")
