#!/usr/bin/python
# Copyright: Contributors to the payments.region_migration project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: stepfunctions_execution_info
version_added: 1.1.0
short_description: Follow a Step Functions execution - its status and the states it went through
description:
  - Reads one execution of a Step Functions state machine (C(DescribeExecution)) and its history
    (C(GetExecutionHistory)), and returns its status, its error and cause when it failed, its output when it
    succeeded, and the states it entered after the history event O(since_event_id).
  - With O(wait_seconds), waits up to that long until the execution has entered a new state or has ended, so
    that a playbook can print the progress of a long execution state by state (see the orchestration role's
    C(execute) entry point).
  - With O(state_machine_arn) instead, lists the state machine's running executions and the state each one is
    in (RV(executions)), for a status report. A state machine that does not exist has none.
  - Only reads; never changes anything, also outside check mode.
options:
  execution_arn:
    description:
      - ARN of the execution to follow.
      - Exactly one of O(execution_arn) and O(state_machine_arn) is required.
    type: str
  state_machine_arn:
    description:
      - ARN of a state machine whose running executions to list.
    type: str
  since_event_id:
    description:
      - Return only the states entered after this history event (the RV(last_event_id) of the previous call).
    type: int
    default: 0
  wait_seconds:
    description:
      - Wait up to this many seconds for a new state or the end of the execution; V(0) reads once.
    type: int
    default: 0
  poll_seconds:
    description:
      - Seconds between two reads while waiting.
    type: int
    default: 2
notes:
  - Supports check mode (it only reads).
  - Needs C(states:DescribeExecution) and C(states:GetExecutionHistory) on the execution.
author:
  - Payments platform engineering (@payments-platform)
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Wait up to 30 s for the migration execution to move on
  payments.region_migration.stepfunctions_execution_info:
    region: eu-west-1
    execution_arn: "{{ execution.execution_arn }}"
    since_event_id: "{{ last_event_id | default(0) }}"
    wait_seconds: 30
  register: progress

- name: List the running executions of the migration state machine
  payments.region_migration.stepfunctions_execution_info:
    region: eu-west-1
    state_machine_arn: arn:aws:states:eu-west-1:123456789012:stateMachine:sfn-migration-rehearsal
  register: running

- name: Show the states it entered
  ansible.builtin.debug:
    msg: "{{ progress.states | map(attribute='name') | list }}"
"""

RETURN = r"""
executions:
  description: With O(state_machine_arn), its running executions, newest first.
  returned: when O(state_machine_arn) is given
  type: list
  elements: dict
  contains:
    name:
      description: The execution's name.
      type: str
      sample: migrate-phase4-20261130T163923
    execution_arn:
      description: The execution's ARN.
      type: str
    start_date:
      description: When it started (ISO 8601).
      type: str
    state:
      description: The state it last entered.
      type: str
      sample: Bake2LagWait
status:
  description: The execution's status.
  returned: when O(execution_arn) is given
  type: str
  sample: RUNNING
running:
  description: Whether the execution is still running.
  returned: when O(execution_arn) is given
  type: bool
error:
  description: The error name of a failed, timed-out or aborted execution; null otherwise.
  returned: when O(execution_arn) is given
  type: str
  sample: LagAboveThreshold
cause:
  description: The cause of a failed execution; null otherwise.
  returned: when O(execution_arn) is given
  type: str
output:
  description: The output of a succeeded execution, parsed from JSON; null otherwise.
  returned: when O(execution_arn) is given
  type: raw
states:
  description: The states entered after O(since_event_id), oldest first.
  returned: when O(execution_arn) is given
  type: list
  elements: dict
  contains:
    name:
      description: The state's name.
      type: str
      sample: Shift1
    type:
      description: The state's type, from the history event (Task, Choice, Wait, Pass, Fail, Succeed ...).
      type: str
      sample: Task
    event_id:
      description: The history event that entered it.
      type: int
    entered:
      description: When it was entered (ISO 8601).
      type: str
last_event_id:
  description: The newest history event read; pass it as O(since_event_id) to the next call.
  returned: when O(execution_arn) is given
  type: int
"""

import json
import time

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.payments.region_migration.plugins.module_utils._aws_client import (
    AWS_ERRORS,
    is_boto3_error_code,
)

FINISHED = ("SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED")


def entered_states(events: list[dict], since_event_id: int) -> list[dict]:
    """The states entered after ``since_event_id``: one entry per ``*StateEntered`` history event."""
    states = []
    for event in events:
        details = event.get("stateEnteredEventDetails")
        if event.get("id", 0) <= since_event_id or not details:
            continue
        timestamp = event.get("timestamp")
        states.append({
            "name": details.get("name"),
            "type": event.get("type", "").replace("StateEntered", ""),
            "event_id": event.get("id"),
            "entered": timestamp.isoformat() if hasattr(timestamp, "isoformat") else timestamp,
        })
    return states


def summary(described: dict) -> dict:
    """status, running, error, cause, output of a DescribeExecution answer."""
    status = described.get("status")
    output = described.get("output")
    try:
        parsed = json.loads(output) if output else None
    except ValueError:
        parsed = output
    return {
        "status": status,
        "running": status not in FINISHED,
        "error": described.get("error"),
        "cause": described.get("cause"),
        "output": parsed if status == "SUCCEEDED" else None,
    }


class ExecutionReader:
    def __init__(self, module):
        self.module = module
        self.arn = module.params["execution_arn"] or module.params["state_machine_arn"]
        self.client = module.client("stepfunctions", retry_decorator=AWSRetry.jittered_backoff())

    def describe(self) -> dict:
        try:
            return self.client.describe_execution(executionArn=self.arn, aws_retry=True)
        except AWS_ERRORS as e:
            self.module.fail_json_aws(e, msg=f"Failed to describe the execution {self.arn}")

    def running_executions(self) -> list[dict]:
        """The running executions of the state machine, newest first, each with the state it is in."""
        found, kwargs = [], {"stateMachineArn": self.arn, "statusFilter": "RUNNING"}
        try:
            while True:
                page = self.client.list_executions(aws_retry=True, **kwargs)
                found.extend(page.get("executions", []))
                if not page.get("nextToken"):
                    break
                kwargs["nextToken"] = page["nextToken"]
        except is_boto3_error_code("StateMachineDoesNotExist"):
            return []
        except AWS_ERRORS as e:  # pylint: disable=duplicate-except
            self.module.fail_json_aws(e, msg=f"Failed to list the executions of {self.arn}")
        executions = []
        for execution in sorted(found, key=lambda e: e.get("startDate"), reverse=True):
            states = entered_states(self.history(execution["executionArn"]), 0)
            start = execution.get("startDate")
            executions.append({
                "name": execution.get("name"),
                "execution_arn": execution["executionArn"],
                "start_date": start.isoformat() if hasattr(start, "isoformat") else start,
                "state": states[-1]["name"] if states else None,
            })
        return executions

    def history(self, arn: str | None = None) -> list[dict]:
        arn = arn or self.arn
        events, kwargs = [], {"executionArn": arn, "maxResults": 1000}
        try:
            while True:
                page = self.client.get_execution_history(aws_retry=True, **kwargs)
                events.extend(page.get("events", []))
                if not page.get("nextToken"):
                    return events
                kwargs["nextToken"] = page["nextToken"]
        except AWS_ERRORS as e:
            self.module.fail_json_aws(e, msg=f"Failed to read the history of the execution {arn}")

    def run(self) -> dict:
        if self.module.params["state_machine_arn"]:
            return {"changed": False, "executions": self.running_executions()}
        since = self.module.params["since_event_id"]
        deadline = time.monotonic() + max(self.module.params["wait_seconds"], 0)
        while True:
            described = self.describe()
            events = self.history()
            states = entered_states(events, since)
            result = summary(described)
            if states or not result["running"] or time.monotonic() >= deadline:
                last = max([since] + [e.get("id", 0) for e in events])
                return dict(changed=False, states=states, last_event_id=last, **result)
            time.sleep(max(self.module.params["poll_seconds"], 1))


def main():
    argument_spec = dict(
        execution_arn=dict(type="str"),
        state_machine_arn=dict(type="str"),
        since_event_id=dict(type="int", default=0),
        wait_seconds=dict(type="int", default=0),
        poll_seconds=dict(type="int", default=2),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True,
                              required_one_of=[["execution_arn", "state_machine_arn"]],
                              mutually_exclusive=[["execution_arn", "state_machine_arn"]])
    module.exit_json(**ExecutionReader(module).run())


if __name__ == "__main__":
    main()
