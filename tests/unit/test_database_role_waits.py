"""The database role bounds its waits with database_wait_timeout (issue 8 item 9).

amazon.aws.rds_cluster and rds_instance wait with fixed waiter limits (rds_cluster: 20 minutes); the
emulator makes clusters available at once, so no run against it can show the difference. This test
reads the role instead: no module waits by itself, and each poll's attempts come from
database_wait_timeout / database_wait_poll_seconds.

Issue 14: the polls live in tasks/wait.yml (entry point `wait`), after both creations: the instances are
requested right after the cluster, so that both come up together, and a play can start the database with
database_wait: false and join later (provision.yml).
"""

from __future__ import annotations

import math
from pathlib import Path

import jinja2
import yaml

ROLE = Path(__file__).resolve().parents[2] / "roles" / "database"


def _tasks(name: str) -> list[dict]:
    return yaml.safe_load((ROLE / "tasks" / name).read_text())


def test_no_module_waits_with_its_own_fixed_limit():
    for task in _tasks("cluster.yml"):
        for module in ("amazon.aws.rds_cluster", "amazon.aws.rds_instance"):
            if module in task:
                assert task[module]["wait"] is False, task["name"]


def test_polls_are_bounded_by_database_wait_timeout():
    variables = yaml.safe_load((ROLE / "vars" / "main.yml").read_text())
    assert not [t for t in _tasks("cluster.yml") if "until" in t]
    polls = [t for t in _tasks("wait.yml") if "until" in t]
    assert {next(k for k in t if k.endswith("_info")) for t in polls} == {
        "amazon.aws.rds_cluster_info", "amazon.aws.rds_instance_info"}
    for poll in polls:
        assert poll["retries"] == "{{ __database_wait_retries }}"
        assert poll["delay"] == "{{ database_wait_poll_seconds | int }}"
        # each poll is followed by a check that fails with the status at the timeout
    checks = [t for t in _tasks("wait.yml") if "ansible.builtin.assert" in t]
    assert any("database_wait_timeout" in t["ansible.builtin.assert"]["fail_msg"] for t in checks)
    env = jinja2.Environment()
    env.filters["int"] = int
    env.filters["round"] = lambda value, precision=0, method="common": float(math.ceil(value))
    for timeout, poll, attempts in ((3600, 30, 120), (7200, 30, 240), (100, 30, 4)):
        rendered = env.from_string(variables["__database_wait_retries"]).render(
            database_wait_timeout=timeout, database_wait_poll_seconds=poll)
        assert int(rendered) == attempts


def test_both_creations_come_before_any_wait_and_the_wait_is_optional():
    tasks = _tasks("cluster.yml")
    prefixes = ("amazon.aws.", "ansible.builtin.include_tasks")
    modules = [next((k for k in t if k.startswith(prefixes)), None) for t in tasks]
    assert modules.index("amazon.aws.rds_cluster") < modules.index("amazon.aws.rds_instance")
    join = tasks[modules.index("ansible.builtin.include_tasks")]
    assert join["ansible.builtin.include_tasks"] == "wait.yml"
    assert join["when"] == "database_wait | bool"
    assert modules.index("ansible.builtin.include_tasks") == len(tasks) - 1
    defaults = yaml.safe_load((ROLE / "defaults" / "main.yml").read_text())
    specs = yaml.safe_load((ROLE / "meta" / "argument_specs.yml").read_text())["argument_specs"]
    assert defaults["database_wait"] is True
    assert specs["main"]["options"]["database_wait"]["default"] is True
    assert "wait" in specs
    # the join changes nothing and is skipped in check mode
    for task in _tasks("wait.yml"):
        assert not any(k in task for k in ("amazon.aws.rds_cluster", "amazon.aws.rds_instance"))
        if "until" in task:
            assert "not ansible_check_mode" in task["when"]
