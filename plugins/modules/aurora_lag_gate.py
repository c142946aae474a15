#!/usr/bin/python

# Copyright: Contributors to the payments.region_migration project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: aurora_lag_gate
version_added: 1.0.0
short_description: Pass only when an Aurora global database secondary's replication lag is low
description:
  - Reads the replication lag of a secondary cluster of an Aurora global database from CloudWatch
    over a window (statistic C(Maximum) per period) and decides whether it is low enough.
  - The gate passes when at least O(min_datapoints) periods have data and the newest
    O(consecutive_healthy) periods are all at or below O(threshold_ms). Missing data or too few
    datapoints never pass, unless O(allow_no_data=true).
  - It also checks the global cluster - the secondary must be a member and not its writer, the
    global cluster must be C(available) and no switchover or failover may be in progress.
  - Evaluates once (O(mode=once)) or until the gate passes (O(mode=wait)).
  - Read-only; RV(changed) is always V(false). A failed gate fails the task with RV(reason)
    unless O(fail_on_unhealthy=false).
author:
  - Payments platform engineering (@payments-platform)
options:
  global_cluster_identifier:
    description: Identifier of the Aurora global database.
    type: str
    required: true
  secondary_cluster_identifier:
    description:
      - Identifier or ARN of the secondary DB cluster whose lag is read.
      - With an identifier, O(region) is the secondary's region; an ARN carries its region.
    type: str
    required: true
  metric_name:
    description:
      - CloudWatch metric (namespace C(AWS/RDS)) to read.
      - By default chosen for the global cluster's engine - C(AuroraGlobalDBRPOLag) for Aurora
        PostgreSQL and for Aurora MySQL 3.04 and later (2.12 and later on the 2.x line), otherwise
        C(AuroraGlobalDBReplicationLag).
    type: str
  threshold_ms:
    description: Highest healthy lag, in milliseconds.
    type: float
    default: 1000
  window_seconds:
    description: Length of the window of samples read, in seconds, ending now.
    type: int
    default: 300
  period_seconds:
    description: CloudWatch period of one sample, in seconds.
    type: int
    default: 60
  min_datapoints:
    description: Fewest periods with data in the window for the gate to pass.
    type: int
    default: 3
  consecutive_healthy:
    description:
      - How many of the newest samples must all be at or below O(threshold_ms).
      - A spike older than that is reported in RV(maximum) but does not fail the gate.
    type: int
    default: 1
  allow_no_data:
    description: Let the gate pass when there are fewer than O(min_datapoints) samples.
    type: bool
    default: false
extends_documentation_fragment:
  - payments.region_migration.gate
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Require the eu-west-1 secondary to be less than 1 s behind
  payments.region_migration.aurora_lag_gate:
    region: eu-west-1
    global_cluster_identifier: gdb-payments-rehearsal
    secondary_cluster_identifier: aurora-payments-rehearsal

- name: Wait up to 10 minutes for three healthy minutes in a row
  payments.region_migration.aurora_lag_gate:
    region: eu-west-1
    global_cluster_identifier: gdb-payments-rehearsal
    secondary_cluster_identifier: arn:aws:rds:eu-west-1:123456789012:cluster:aurora-payments-rehearsal
    mode: wait
    consecutive_healthy: 3
    timeout: 600

- name: Read the verdict without failing
  payments.region_migration.aurora_lag_gate:
    region: eu-west-1
    global_cluster_identifier: gdb-payments-rehearsal
    secondary_cluster_identifier: aurora-payments-rehearsal
    fail_on_unhealthy: false
  register: lag
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
  sample: "AuroraGlobalDBRPOLag: newest 1 of 5 samples at or below 1000 ms (latest 212 ms, window maximum 287 ms)"
samples:
  description: Per-period Maximum of the metric in the window, oldest first.
  returned: always
  type: list
  elements: dict
  contains:
    timestamp:
      description: Start of the period, ISO 8601.
      type: str
    value:
      description: Highest lag in the period, in milliseconds.
      type: float
maximum:
  description: Highest sample in the window, in milliseconds; null without samples.
  returned: always
  type: float
  sample: 287.5
metric_name:
  description: The CloudWatch metric read.
  returned: always
  type: str
  sample: AuroraGlobalDBRPOLag
dimensions:
  description: The metric's dimensions that were queried.
  returned: always
  type: dict
  sample: {"DBClusterIdentifier": "aurora-payments-rehearsal", "SourceRegion": "us-east-1"}
threshold_ms:
  description: The threshold applied.
  returned: always
  type: float
  sample: 1000.0
datapoints:
  description: Number of samples in the window.
  returned: always
  type: int
  sample: 5
global_cluster_status:
  description: The global cluster as the gate saw it.
  returned: always
  type: dict
  contains:
    found:
      description: Whether the global cluster exists.
      type: bool
    identifier:
      description: Its identifier.
      type: str
    status:
      description: Its status, C(available) when healthy.
      type: str
    engine:
      description: Its engine.
      type: str
    engine_version:
      description: Its engine version.
      type: str
    failover_state:
      description: Status of a switchover or failover in progress, null when none.
      type: str
    writer_cluster_arn:
      description: ARN of the writer member, null when none is marked as writer.
      type: str
    secondary_cluster_arn:
      description: ARN of the secondary that was checked, null when it is not a member.
      type: str
    members:
      description: Members, each C(db_cluster_arn) and C(is_writer).
      type: list
      elements: dict
attempts:
  description: Number of evaluations made.
  returned: always
  type: int
  sample: 1
elapsed_seconds:
  description: Time spent evaluating.
  returned: always
  type: float
  sample: 0.12
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.payments.region_migration.plugins.module_utils import _gate_lag, gates
from ansible_collections.payments.region_migration.plugins.module_utils._aws_client import ClientCache


def main():
    argument_spec = dict(
        global_cluster_identifier=dict(type="str", required=True),
        secondary_cluster_identifier=dict(type="str", required=True),
        metric_name=dict(type="str"),
        threshold_ms=dict(type="float", default=1000.0),
        min_datapoints=dict(type="int", default=3),
        allow_no_data=dict(type="bool", default=False),
        **gates.GATE_ARGUMENT_SPEC,
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    gates.validate_gate_params(module)
    params = module.params
    clients = ClientCache(module)

    def evaluate():
        return _gate_lag.evaluate_lag(
            module, clients, params["global_cluster_identifier"], params["secondary_cluster_identifier"],
            threshold_ms=params["threshold_ms"], window_seconds=params["window_seconds"],
            period_seconds=params["period_seconds"], min_datapoints=params["min_datapoints"],
            consecutive_healthy=params["consecutive_healthy"], allow_no_data=params["allow_no_data"],
            metric_name=params["metric_name"],
        )

    result = gates.run_gate(evaluate, params["mode"], params["poll_interval"], params["timeout"])
    gates.exit_gate(module, result)


if __name__ == "__main__":
    main()
