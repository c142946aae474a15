"""The design card's commands as a user types them at the checkout's root (`ansible-playbook provision.yml`,
`ansible-playbook shift.yml -e phase=2`): the root's playbooks run playbooks/<name>.yml with its group_vars (the
phase table) and its playbook_dir. No AWS call is made here (the endpoint is unreachable); the rehearsal runs
them in full against the emulator."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
ROOT_PLAYBOOKS = ("provision", "preflight", "shift", "status", "rollback")


def _run(*args: str) -> subprocess.CompletedProcess:
    # what a user at the root gets: ansible.cfg from the current directory, its default (local) inventory
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    env.update({"ANSIBLE_NOCOLOR": "1", "ANSIBLE_FORCE_COLOR": "0", "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
                "EMULATOR_PORT": "9"})
    return subprocess.run([str(Path(sys.executable).parent / "ansible-playbook"), *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300, check=False)


@pytest.mark.parametrize("name", ROOT_PLAYBOOKS)
def test_each_root_playbook_imports_its_namesake_under_playbooks(name):
    plays = yaml.safe_load((ROOT / f"{name}.yml").read_text())
    assert [play["ansible.builtin.import_playbook"] for play in plays] == [f"playbooks/{name}.yml"]
    assert (ROOT / "playbooks" / f"{name}.yml").is_file()


def test_shift_from_the_root_reads_the_phase_table_and_refuses_an_unknown_phase():
    result = _run("shift.yml", "-e", "phase=7")
    out = result.stdout + result.stderr
    assert result.returncode != 0
    # the phase table (playbooks/group_vars/all) was loaded: its check passed and the phase was judged against it
    assert "Invalid phase '7': it must be an integer from 0 to 4" in out
    assert "ok=3" in out and "changed=0" in out


def test_provision_from_the_root_checks_the_inventory_before_any_aws_call():
    result = _run("-i", "inventories/aws", "provision.yml")
    out = result.stdout + result.stderr
    assert result.returncode != 0
    assert "Check the stack variables of the inventory" in out
    assert "migration_env_suffix (REQUIRED" in out
    assert "ok=0" in out and "changed=0" in out
