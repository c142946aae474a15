"""provision.yml against the unfilled aws inventory: it stops at the first check, naming what is missing,
before any AWS call (no credentials and no endpoint are given, so any call would fail differently)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _run(playbook: str, *extra: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"), "ANSIBLE_NOCOLOR": "1",
           "ANSIBLE_FORCE_COLOR": "0", "AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "",
           "AWS_PROFILE": "", "AWS_ENDPOINT_URL": "http://127.0.0.1:9"}
    return subprocess.run(
        [str(Path(sys.executable).parent / "ansible-playbook"), "-i", "inventories/aws", f"playbooks/{playbook}",
         *extra],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)


def test_unfilled_aws_inventory_names_every_missing_stack_input():
    result = _run("provision.yml")
    out = result.stdout + result.stderr
    assert result.returncode != 0
    assert "Check the stack variables of the inventory" in out
    assert "migration_env_suffix (REQUIRED" in out
    # item 3: the container image is a required input with no placeholder default
    assert "migration_app_image (REQUIRED" in out
    assert "123456789012" not in out
    assert "has no element" not in out
    assert "ok=0" in out and "changed=0" in out


def test_aws_inventory_with_stack_but_no_source_names_the_source_inputs():
    result = _run("provision.yml", "-e", "migration_env_suffix=prod",
                  "-e", "migration_app_image=111122223333.dkr.ecr.eu-west-1.amazonaws.com/payment-processor:1.4.2",
                  "-e", "source_hosted_zone_name=payments.example.com",
                  "-e", "source_record_name=api.payments.example.com")
    out = result.stdout + result.stderr
    assert result.returncode != 0
    assert "Check that the inventory names the us-east-1 stack" in out
    for name in ("source_vpc_id or source_vpc_name", "source_route_table_ids or source_route_table_names",
                 "source_cluster_identifier", "source_global_cluster_identifier", "source_alb_arn or source_alb_name"):
        assert name in out
    assert "changed=0" in out
