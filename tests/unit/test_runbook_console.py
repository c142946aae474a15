"""The runbook stdout callback in a real ansible-playbook run through the repository's ansible.cfg.

Not under tests/unit/plugins: ansible-test units runs those on the built collection, which has no ansible.cfg.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

PLAYBOOK = """
- name: Runbook demo
  hosts: localhost
  gather_facts: false
  vars:
    demo_progress: "{{ demo_dir }}/progress.log"
  tasks:
    - name: Wait like a bake
      ansible.builtin.shell: |
        for i in 1 2 3; do
          echo "migration_gate hold: $i/3 s elapsed, $((3-i)) s remaining: pass: lag 1$i ms" >>"$PROGRESS"
          sleep 1
        done
      environment:
        MIGRATION_PROGRESS_FILE: "{{ demo_progress }}"
        PROGRESS: "{{ demo_progress }}"
      changed_when: false
    - name: Change something
      ansible.builtin.command: "true"
      changed_when: true
    - name: Quick and unchanged
      ansible.builtin.set_fact:
        demo_fact: 1
    - name: Show the table
      ansible.builtin.debug:
        msg: ["phase 3 of 4", "last rollback none"]
"""


def _run_playbook(tmp_path: Path, *extra: str, env_extra: dict | None = None) -> str:
    playbook = tmp_path / "demo.yml"
    playbook.write_text(PLAYBOOK)
    env = {**os.environ, "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"), "ANSIBLE_NOCOLOR": "1",
           "ANSIBLE_FORCE_COLOR": "0", "RUNBOOK_PROGRESS_INTERVAL": "1", "RUNBOOK_PROGRESS_DELAY": "0.5",
           **(env_extra or {})}
    process = subprocess.run([str(Path(sys.executable).parent / "ansible-playbook"), str(playbook),
                              "-e", f"demo_dir={tmp_path}", *extra], cwd=REPO, env=env, capture_output=True,
                             text=True, timeout=180, check=False)
    assert process.returncode == 0, process.stdout + process.stderr
    return process.stdout


def test_runbook_is_the_repository_default_and_keeps_the_recap(tmp_path):
    out = _run_playbook(tmp_path)
    assert "PLAY Runbook demo" in out and "TASK [" not in out
    assert "Wait like a bake: hold: " in out and "s remaining: pass: lag 1" in out
    assert "changed" in out and "Change something" in out
    assert "Quick and unchanged" not in out.split("SUMMARY")[0]
    assert "    phase 3 of 4\n    last rollback none" in out
    assert "SUMMARY" in out and "PLAY RECAP" in out
    assert "localhost                  : ok=4    changed=1    unreachable=0    failed=0    skipped=0" in out


def test_full_output_with_v_and_with_the_default_callback(tmp_path):
    assert "TASK [Quick and unchanged]" in _run_playbook(tmp_path, "-v")
    default = _run_playbook(tmp_path, env_extra={"ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.default"})
    assert "TASK [Quick and unchanged]" in default and "SUMMARY" not in default
