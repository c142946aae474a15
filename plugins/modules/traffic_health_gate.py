#!/usr/bin/python

# Copyright: Contributors to the payments.region_migration project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: traffic_health_gate
version_added: 1.0.0
short_description: Pass only when a region serves traffic healthily
description:
  - Passes when a target group has at least O(min_healthy_targets) healthy targets, none of the
    CloudWatch alarms O(alarm_names) is in C(ALARM) and, when O(load_balancer) is given, the
    Application Load Balancer's 5xx rate over the window is below O(max_5xx_rate).
  - An alarm name that does not exist fails the gate; it is never taken as healthy.
  - The 5xx rate is (C(HTTPCode_ELB_5XX_Count) + C(HTTPCode_Target_5XX_Count)) / C(RequestCount)
    in namespace C(AWS/ApplicationELB) over O(window_seconds). A window without requests has a
    rate of 0, and RV(reason) says so.
  - Evaluates once (O(mode=once)) or until the gate passes (O(mode=wait)), with the same polling
    and reporting as M(payments.region_migration.aurora_lag_gate).
  - Read-only; RV(changed) is always V(false). A failed gate fails the task with RV(reason)
    unless O(fail_on_unhealthy=false).
author:
  - Payments platform engineering (@payments-platform)
options:
  target_group_arn:
    description: ARN of the target group whose targets are counted.
    type: str
    required: true
  min_healthy_targets:
    description: Fewest targets in state C(healthy) for the gate to pass.
    type: int
    default: 2
  alarm_names:
    description: CloudWatch alarms (metric or composite) that must not be in C(ALARM), in O(region).
    type: list
    elements: str
    default: []
  load_balancer:
    description: ARN of the Application Load Balancer whose 5xx rate is checked; no 5xx check without it.
    type: str
  max_5xx_rate:
    description: The 5xx rate, in percent, must be below this value.
    type: float
    default: 1.0
  window_seconds:
    description: Length of the window over which the 5xx rate is computed, in seconds, ending now.
    type: int
    default: 300
  period_seconds:
    description: CloudWatch period used to read the counts, in seconds.
    type: int
    default: 60
  consecutive_healthy:
    description:
      - How many evaluations in a row, O(poll_interval) apart, must pass for the gate to pass.
      - In O(mode=once) the first failing evaluation fails the gate.
    type: int
    default: 1
extends_documentation_fragment:
  - payments.region_migration.gate
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Require two healthy targets, quiet alarms and less than 1 % of 5xx in eu-west-1
  payments.region_migration.traffic_health_gate:
    region: eu-west-1
    target_group_arn: "{{ target_group_arn }}"
    load_balancer: "{{ alb_arn }}"
    alarm_names:
      - alarm-replication-lag-rehearsal
      - alarm-healthy-hosts-rehearsal

- name: Wait up to 5 minutes for the new region to become healthy
  payments.region_migration.traffic_health_gate:
    region: eu-west-1
    target_group_arn: "{{ target_group_arn }}"
    mode: wait
    poll_interval: 15
    timeout: 300
"""

RETURN = r"""
changed:
  description: Always V(false); the gate only reads.
  returned: always
  type: bool
healthy:
  description: Whether the gate passed.
  returned: always
  type: bool
verdict:
  description: V(pass) or V(fail).
  returned: always
  type: str
  sample: pass
reason:
  description: One line that says why the gate passed or failed.
  returned: always
  type: str
  sample: "2 healthy targets (need 2); no alarm in ALARM (2 checked); 5xx rate 0 % < 1 % (no requests in the window)"
healthy_targets:
  description: Number of targets in state C(healthy).
  returned: always
  type: int
  sample: 2
targets:
  description: Every registered target.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: Target id (instance id or IP address).
      type: str
    port:
      description: Target port.
      type: int
    state:
      description: Health state, for example C(healthy), C(unhealthy), C(initial).
      type: str
    reason:
      description: Reason code for a state other than C(healthy), null otherwise.
      type: str
alarms:
  description: State of each alarm in O(alarm_names); C(NOT_FOUND) for an alarm that does not exist.
  returned: always
  type: dict
  sample: {"alarm-healthy-hosts-rehearsal": "OK"}
error_rate:
  description: 5xx rate in percent over the window; null without O(load_balancer).
  returned: always
  type: float
  sample: 0.0
request_counts:
  description: Sums over the window of the ALB metrics used for RV(error_rate); null without O(load_balancer).
  returned: always
  type: dict
  sample: {"HTTPCode_ELB_5XX_Count": 0.0, "HTTPCode_Target_5XX_Count": 2.0, "RequestCount": 1000.0}
attempts:
  description: Number of evaluations made.
  returned: always
  type: int
  sample: 1
elapsed_seconds:
  description: Time spent evaluating.
  returned: always
  type: float
  sample: 0.08
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.payments.region_migration.plugins.module_utils import _gate_traffic, gates
from ansible_collections.payments.region_migration.plugins.module_utils._aws_client import ClientCache


def main():
    argument_spec = dict(
        target_group_arn=dict(type="str", required=True),
        min_healthy_targets=dict(type="int", default=2),
        alarm_names=dict(type="list", elements="str", default=[]),
        load_balancer=dict(type="str"),
        max_5xx_rate=dict(type="float", default=1.0),
        **gates.GATE_ARGUMENT_SPEC,
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    gates.validate_gate_params(module)
    params = module.params
    clients = ClientCache(module)

    def evaluate():
        return _gate_traffic.evaluate_traffic(
            module, clients, params["target_group_arn"], params["min_healthy_targets"], params["alarm_names"],
            params["load_balancer"], params["max_5xx_rate"], params["window_seconds"], params["period_seconds"],
        )

    result = gates.run_gate(evaluate, params["mode"], params["poll_interval"], params["timeout"],
                            consecutive=params["consecutive_healthy"])
    gates.exit_gate(module, result)


if __name__ == "__main__":
    main()
