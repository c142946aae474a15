#!/usr/bin/python
# Copyright: Contributors to the payments.region_migration project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

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
  - Only reads; never changes anything, also outside check mode.
options:
  execution_arn:
    description:
      - ARN of the execution.
    required: true
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
  - payments.region_migration contributors
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

- name: Show the states it entered
  ansible.builtin.debug:
    msg: "{{ progress.states | map(attribute='name') | list }}"
"""

RETURN = r"""
status:
  description: The execution's status.
  returned: always
  type: str
  sample: RUNNING
running:
  description: Whether the execution is still running.
  returned: always
  type: bool
error:
  description: The error name of a failed, timed-out or aborted execution; null otherwise.
  returned: always
  type: str
  sample: LagAboveThreshold
cause:
  description: The cause of a failed execution; null otherwise.
  returned: always
  type: str
output:
  description: The output of a succeeded execution, parsed from JSON; null otherwise.
  returned: always
  type: raw
states:
  description: The states entered after O(since_event_id), oldest first.
  returned: always
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
  returned: always
  type: int
"""

import json
import time

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.payments.region_migration.plugins.module_utils._aws_client import AWS_ERRORS

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
        self.arn = module.params["execution_arn"]
        self.client = module.client("stepfunctions", retry_decorator=AWSRetry.jittered_backoff())

    def describe(self) -> dict:
        try:
            return self.client.describe_execution(executionArn=self.arn, aws_retry=True)
        except AWS_ERRORS as e:
            self.module.fail_json_aws(e, msg=f"Failed to describe the execution {self.arn}")

    def history(self) -> list[dict]:
        events, kwargs = [], {"executionArn": self.arn, "maxResults": 1000}
        try:
            while True:
                page = self.client.get_execution_history(aws_retry=True, **kwargs)
                events.extend(page.get("events", []))
                if not page.get("nextToken"):
                    return events
                kwargs["nextToken"] = page["nextToken"]
        except AWS_ERRORS as e:
            self.module.fail_json_aws(e, msg=f"Failed to read the history of the execution {self.arn}")

    def run(self) -> dict:
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
        execution_arn=dict(type="str", required=True),
        since_event_id=dict(type="int", default=0),
        wait_seconds=dict(type="int", default=0),
        poll_seconds=dict(type="int", default=2),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    module.exit_json(**ExecutionReader(module).run())


if __name__ == "__main__":
    main()
