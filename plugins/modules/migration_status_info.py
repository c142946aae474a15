#!/usr/bin/python

# Copyright: Contributors to the payments.region_migration project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: migration_status_info
version_added: 1.0.0
short_description: Where a region migration stands - weights, phase, writer region, gates
description:
  - One call returns the weights of the weighted record set and the migration phase they
    correspond to, the region of the Aurora global database's writer, the replication-lag gate's
    verdict, and the target region's target health and alarm states.
  - The gates are evaluated once, with the same rules as M(payments.region_migration.migration_gate);
    an unhealthy gate is reported, never a task failure.
  - Every weighted type of the record name (C(A) and C(AAAA)) is read. When their weights give the
    target different shares, RV(weights_consistent) is V(false), RV(phase) is null and a warning
    says so; M(payments.region_migration.route53_weighted_shift) realigns them.
  - Read-only.
author:
  - Payments platform engineering (@payments-platform)
options:
  target_identifier:
    description: SetIdentifier of the target region's record.
    type: str
    required: true
  source_identifier:
    description: SetIdentifier of the source region's record; only used to report RV(source_percent).
    type: str
  phase_percents:
    description:
      - Target percentage of each phase, phase 0 first. RV(phase) is the index of the entry that
        the current weights give exactly.
      - The migration role passes the inventory's phase table (C(migration_phases)); the module
        keeps no copy of it.
    type: list
    elements: int
    required: true
  phases:
    description:
      - The inventory's phase table, each entry C(phase), C(target_percent) and C(writer)
        (V(source) or V(target)). When given, RV(location) places the live weights and writer in it
        with the same rule as the migration role (the highest phase fully reached, and whether it is exact).
    type: list
    elements: dict
    version_added: 1.1.0
  global_cluster_identifier:
    description: Aurora global database; without it RV(writer_cluster_arn), RV(writer_region) and RV(lag) are null.
    type: str
  target_cluster_identifier:
    description:
      - Identifier (in O(region)) or ARN of the target region's Aurora cluster.
      - The lag is read for this cluster while it is a secondary, and for the other member once it
        has become the writer.
    type: str
  lag_threshold_ms:
    description: Threshold of the lag gate, in milliseconds.
    type: float
    default: 1000
  lag_window_seconds:
    description: Window of the lag gate, in seconds.
    type: int
    default: 300
  lag_period_seconds:
    description: Period of one lag sample, in seconds.
    type: int
    default: 60
  lag_min_datapoints:
    description: Fewest lag samples for a passing lag gate.
    type: int
    default: 3
  lag_metric_name:
    description:
      - Lag metric to read.
      - Chosen for the engine by default (see M(payments.region_migration.migration_gate)).
    type: str
  target_group_arn:
    description: Target group of the target region; without it RV(traffic) is null.
    type: str
  min_healthy_targets:
    description: Fewest healthy targets for a passing traffic gate.
    type: int
    default: 2
  alarm_names:
    description: CloudWatch alarms in O(region) that must not be in C(ALARM).
    type: list
    elements: str
    default: []
  load_balancer_arn:
    description: ARN of the target region's Application Load Balancer, for the 5xx percentage.
    type: str
    aliases: [load_balancer]
  max_5xx_percent:
    description:
      - Highest healthy 5xx percentage (0-100), the same option as in M(payments.region_migration.migration_gate).
    type: float
    default: 1.0
    aliases: [max_5xx_rate]
  traffic_window_seconds:
    description: Window of the 5xx rate, in seconds.
    type: int
    default: 300
notes:
  - O(region) is the target region (target group, alarms, target cluster identifier).
  - Supports check mode.
extends_documentation_fragment:
  - payments.region_migration.hosted_zone
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Read where the migration stands
  payments.region_migration.migration_status_info:
    region: eu-west-1
    zone: payments-rehearsal.example.com
    record_name: api.payments-rehearsal.example.com
    source_identifier: us-east-1
    target_identifier: eu-west-1
    global_cluster_identifier: gdb-payments-rehearsal
    target_cluster_identifier: aurora-payments-rehearsal
    target_group_arn: "{{ target_group_arn }}"
    alarm_names: [alarm-replication-lag-rehearsal]
  register: status

- name: Show the phase
  ansible.builtin.debug:
    msg: "phase {{ status.phase }} ({{ status.target_percent }} %), writer in {{ status.writer_region }}"
"""

RETURN = r"""
weights:
  description: Current weights, SetIdentifier to weight.
  returned: always
  type: dict
  sample: {"us-east-1": 75, "eu-west-1": 25}
target_percent:
  description: Share of the traffic of O(target_identifier); null when all weights are zero.
  returned: always
  type: float
  sample: 25.0
source_percent:
  description: Share of the traffic of O(source_identifier); null without it.
  returned: always
  type: float
  sample: 75.0
phase:
  description:
    - Index in O(phase_percents) of the current split; null when the weights match no phase or the
      record types disagree.
  returned: always
  type: int
  sample: 1
location:
  description:
    - Where the live state stands in O(phases) (null without O(phases)) - C(phase) (highest phase
      fully reached), C(exact), C(target_percent), C(writer_at_target), C(last_phase).
  returned: always
  type: dict
  sample: {"phase": 1, "exact": true, "target_percent": 25, "writer_at_target": false, "last_phase": 4}
weights_by_type:
  description: Weights per weighted record type of the name.
  returned: always
  type: dict
  sample: {"A": {"us-east-1": 75, "eu-west-1": 25}, "AAAA": {"us-east-1": 75, "eu-west-1": 25}}
weights_consistent:
  description: Whether every record type gives the target the same share.
  returned: always
  type: bool
phase_percents:
  description: The phases used to find RV(phase).
  returned: always
  type: list
  elements: int
hosted_zone_id:
  description: Id of the hosted zone.
  returned: always
  type: str
record_name:
  description: Fully qualified name of the record set, with the trailing dot.
  returned: always
  type: str
record_type:
  description: The first weighted type of the name (C(A) when it has one); RV(weights) are its weights.
  returned: always
  type: str
record_types:
  description: Every weighted type of the name.
  returned: always
  type: list
  elements: str
writer_cluster_arn:
  description: ARN of the global database's writer cluster; null when unknown.
  returned: always
  type: str
writer_region:
  description: Region of the writer cluster; null when unknown.
  returned: always
  type: str
  sample: us-east-1
lag:
  description: The lag gate's verdict (evaluated once); null without O(global_cluster_identifier).
  returned: always
  type: dict
  contains:
    healthy:
      description: Whether the lag gate passes.
      type: bool
    verdict:
      description: V(pass) or V(fail).
      type: str
    reason:
      description: One line.
      type: str
    maximum:
      description: Highest lag in the window, in milliseconds.
      type: float
    metric_name:
      description: Metric read.
      type: str
    secondary_cluster_arn:
      description: Cluster whose lag was read.
      type: str
    datapoints:
      description: Number of samples.
      type: int
traffic:
  description: The traffic gate's verdict (evaluated once); null without O(target_group_arn).
  returned: always
  type: dict
  contains:
    healthy:
      description: Whether the traffic gate passes.
      type: bool
    verdict:
      description: V(pass) or V(fail).
      type: str
    reason:
      description: One line.
      type: str
    healthy_targets:
      description: Number of healthy targets.
      type: int
    alarms:
      description: State of each alarm (C(NOT_FOUND) when missing).
      type: dict
    error_rate:
      description: 5xx percentage (0-100); null without O(load_balancer_arn).
      type: float
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.payments.region_migration.plugins.module_utils import _gate_lag, _gate_traffic
from ansible_collections.payments.region_migration.plugins.module_utils import _rds_global as rds_global
from ansible_collections.payments.region_migration.plugins.module_utils import _route53_weighted as r53
from ansible_collections.payments.region_migration.plugins.module_utils import weights as w
from ansible_collections.payments.region_migration.plugins.module_utils._aws_client import ClientCache

LAG_KEYS = ("healthy", "verdict", "reason", "maximum", "metric_name", "datapoints")
TRAFFIC_KEYS = ("healthy", "verdict", "reason", "healthy_targets", "alarms", "error_rate")


def lag_status(module, clients) -> tuple[dict | None, str | None]:
    """(lag summary, writer ARN) for the global cluster, (None, None) without one."""
    params = module.params
    identifier = params["global_cluster_identifier"]
    if not identifier:
        return None, None
    target = params["target_cluster_identifier"]
    region = rds_global.arn_region(target) or module.region
    global_cluster = _gate_lag.describe_global_cluster(module, clients("rds", region), identifier)
    writer = rds_global.writer_arn(global_cluster)
    secondary = rds_global.pick_secondary(global_cluster, target, region) or target
    if secondary is None:
        return {"healthy": False, "verdict": "fail", "reason": "no secondary cluster to read the lag of "
                "(pass target_cluster_identifier)", "maximum": None, "metric_name": None, "datapoints": 0,
                "secondary_cluster_arn": None}, writer
    result = _gate_lag.evaluate_lag(
        module, clients, identifier, secondary, threshold_ms=params["lag_threshold_ms"],
        window_seconds=params["lag_window_seconds"], period_seconds=params["lag_period_seconds"],
        min_datapoints=params["lag_min_datapoints"], consecutive_healthy=1, allow_no_data=False,
        metric_name=params["lag_metric_name"], global_cluster=global_cluster,
    )
    summary = {key: result[key] for key in LAG_KEYS}
    summary["secondary_cluster_arn"] = result["global_cluster_status"].get("secondary_cluster_arn")
    return summary, writer


def traffic_status(module, clients) -> dict | None:
    params = module.params
    if not params["target_group_arn"]:
        return None
    result = _gate_traffic.evaluate_traffic(
        module, clients, params["target_group_arn"], params["min_healthy_targets"], params["alarm_names"],
        params["load_balancer_arn"], params["max_5xx_percent"], params["traffic_window_seconds"],
        min(60, params["traffic_window_seconds"]),
    )
    return {key: result[key] for key in TRAFFIC_KEYS}


def main():
    argument_spec = dict(
        **r53.HOSTED_ZONE_ARGUMENT_SPEC,
        target_identifier=dict(type="str", required=True),
        source_identifier=dict(type="str"),
        phase_percents=dict(type="list", elements="int", required=True),
        global_cluster_identifier=dict(type="str"),
        target_cluster_identifier=dict(type="str"),
        lag_threshold_ms=dict(type="float", default=1000.0),
        lag_window_seconds=dict(type="int", default=300),
        lag_period_seconds=dict(type="int", default=60),
        lag_min_datapoints=dict(type="int", default=3),
        lag_metric_name=dict(type="str"),
        target_group_arn=dict(type="str"),
        min_healthy_targets=dict(type="int", default=2),
        alarm_names=dict(type="list", elements="str", default=[]),
        load_balancer_arn=dict(type="str", aliases=["load_balancer"]),
        max_5xx_percent=dict(type="float", default=1.0, aliases=["max_5xx_rate"]),
        phases=dict(type="list", elements="dict"),
        traffic_window_seconds=dict(type="int", default=300),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        supports_check_mode=True,
        required_one_of=r53.HOSTED_ZONE_REQUIRED_ONE_OF,
        mutually_exclusive=r53.HOSTED_ZONE_MUTUALLY_EXCLUSIVE,
    )
    params = module.params
    for name in ("lag_window_seconds", "lag_period_seconds", "traffic_window_seconds"):
        if params[name] <= 0:
            module.fail_json(msg=f"{name} must be greater than 0, got {params[name]}")
    for percent in params["phase_percents"]:
        try:
            w.validate_percent(percent)
        except w.WeightError as e:
            module.fail_json(msg=f"phase_percents: {e}")

    clients = ClientCache(module)
    route53 = clients("route53")
    zone_id, _zone_name = r53.resolve_zone(module, route53)
    record_name = r53.fqdn(params["record_name"])
    by_type = r53.weighted_record_sets(module, route53, zone_id, record_name, params["record_type"])
    weights_by_type = r53.weights_by_type(by_type)
    first = next(iter(by_type))
    weights = weights_by_type[first]
    target = params["target_identifier"]
    if target not in weights:
        module.fail_json(msg=f"target_identifier {target!r} is not in the record set "
                             f"(found: {', '.join(sorted(weights))})", weights=weights)
    shares = {t: w.share_percent(values, target) for t, values in weights_by_type.items()}
    consistent = len(set(shares.values())) <= 1
    if not consistent:
        module.warn(f"The record types of {record_name} give {target} different shares "
                    f"({', '.join(f'{t} {share} %' for t, share in shares.items())}); the phase is unknown until "
                    "route53_weighted_shift realigns them")

    lag, writer = lag_status(module, clients)
    location = None
    if params["phases"] is not None and consistent:
        writer_at_target = bool(writer and rds_global.arn_region(writer) == module.region)
        live = None if shares[first] is None else round(shares[first])
        try:
            location = w.locate_phase(params["phases"], live, writer_at_target)
        except w.WeightError as e:
            module.fail_json(msg=f"phases: {e}")
    module.exit_json(
        changed=False,
        weights=weights,
        weights_by_type=weights_by_type,
        weights_consistent=consistent,
        target_percent=w.share_percent(weights, target),
        source_percent=w.share_percent(weights, params["source_identifier"]) if params["source_identifier"] else None,
        phase=w.phase_for_weights(weights, target, params["phase_percents"]) if consistent else None,
        phase_percents=params["phase_percents"],
        location=location,
        hosted_zone_id=zone_id,
        record_name=record_name,
        record_type=first,
        record_types=list(by_type),
        writer_cluster_arn=writer,
        writer_region=rds_global.arn_region(writer),
        lag=lag,
        traffic=traffic_status(module, clients),
    )


if __name__ == "__main__":
    main()
