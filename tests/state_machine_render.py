"""Render the orchestration role's Step Functions definition outside Ansible (unit and emulator tests).

The template is rendered with the role's defaults, the phase table (tests.conftest.phase_percents) and the
values a test gives, with the two Ansible filters it uses (to_json, bool) - the same text the role sends.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jinja2
import yaml

REPO = Path(__file__).resolve().parent.parent
ROLE = REPO / "roles" / "orchestration"
# The SSM lock the executions of these tests take (orchestration_lock_name), in eu-west-1.
LOCK = "/payments/region-migration/test/lock"


def lock_value(aws) -> dict | None:
    """The lock record the execution or migration_lock wrote, None when the lock is free."""
    ssm = aws("ssm", "eu-west-1")
    try:
        return json.loads(ssm.get_parameter(Name=LOCK)["Parameter"]["Value"])
    except ssm.exceptions.ParameterNotFound:
        return None


def _bool(value: Any) -> bool:
    return value if isinstance(value, bool) else str(value).lower() in ("1", "true", "yes", "on")


def render(**values: Any) -> dict:
    """The definition as a dict; ``values`` override the role defaults (internal names included)."""
    from tests.conftest import phase_percents

    defaults = yaml.safe_load((ROLE / "defaults" / "main.yml").read_text())
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(ROLE / "templates")), undefined=jinja2.StrictUndefined)
    env.filters["to_json"] = json.dumps
    env.filters["bool"] = _bool
    context = {k: v for k, v in defaults.items() if not (isinstance(v, str) and "{{" in v)}
    context.update({
        "orchestration_traffic_steps": phase_percents()[1:],
        "orchestration_lock_name": "/payments/region-migration/test/lock",
        "orchestration_lock_region": context["orchestration_region"],
    })
    for side in ("source", "target"):
        arn = values.get(f"__orchestration_{side}_cluster_arn")
        if arn:
            context[f"__orchestration_{side}_cluster_id"] = arn.split(":")[-1]
    context.update(values)
    return json.loads(env.get_template("state_machine.json.j2").render(**context))
