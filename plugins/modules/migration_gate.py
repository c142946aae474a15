#!/usr/bin/python

# Copyright: Contributors to the payments.region_migration project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: migration_gate
version_added: 1.1.0
short_description: One gate for a region migration - replication lag, traffic, writer and write path
description:
  - Evaluates the checks that are given (O(lag), O(traffic), O(writer), O(write_path)) and passes
    only when every one of them passes. No data is never healthy.
  - O(mode=once) evaluates once. O(mode=wait) evaluates every O(poll_interval) seconds until the
    gate passes or O(timeout) seconds have gone by. O(mode=hold) is the bake - it evaluates every
    O(poll_interval) seconds for O(hold_seconds) and stops at the first failed evaluation. A hold
    of N seconds lasts N seconds plus at most one evaluation; elapsed time is measured with a
    monotonic clock and the module never sleeps past the end of the hold.
  - Every evaluation is returned in RV(samples). In O(mode=hold) (and O(mode=wait)) one progress
    line per evaluation (elapsed and remaining seconds, latest values) is appended to the file named
    by the environment variable E(MIGRATION_PROGRESS_FILE) when it is set, and written to the
    module's log.
  - Read-only; RV(changed) is always V(false). A failed gate fails the task with RV(reason) unless
    O(fail_on_unhealthy=false).
author:
  - Payments platform engineering (@payments-platform)
options:
  mode:
    description:
      - V(once) evaluates once, V(wait) until the gate passes or O(timeout), V(hold) for
        O(hold_seconds) or until the first failed evaluation.
    type: str
    default: once
    choices: [once, wait, hold]
  poll_interval:
    description: Seconds between two evaluations.
    type: int
    default: 10
  timeout:
    description: Longest wait for a passing gate in O(mode=wait), in seconds.
    type: int
    default: 600
  hold_seconds:
    description: How long the gate must keep passing in O(mode=hold), in seconds.
    type: int
    default: 0
  fail_on_unhealthy:
    description: Fail the task when the gate does not pass; with V(false) the task reports RV(healthy=false).
    type: bool
    default: true
  lock:
    description:
      - With O(lock.state=present), take or renew the migration lock (an SSM parameter, as
        M(payments.region_migration.migration_lock) does) before anything else, so that a step renews its
        lock and gates in one call.
      - With O(lock.state=absent), release it after everything else (the gate and its O(audit) records),
        so that a run closes its audit log and frees the lock in one call. Only the holder releases it.
      - Fails, changing nothing, when another run holds it; the failed result then has RV(lock_refused=true)
        (so that a caller does not release a lock it never held). Not written in check mode.
    type: dict
    suboptions:
      name:
        description: Name of the SSM parameter that holds the lock.
        type: str
        required: true
      owner:
        description: Who holds the lock (operator and host).
        type: str
        required: true
      run_id:
        description: The run that holds the lock.
        type: str
      purpose:
        description: What the run is doing, recorded in the lock.
        type: str
      ttl_seconds:
        description: Lifetime of the lock from now, in seconds.
        type: int
        default: 3600
      break_stale:
        description: Take over another owner's lock once it has expired.
        type: bool
        default: false
      region:
        description: Region of the SSM parameter (default O(region)).
        type: str
      state:
        description: V(present) takes or renews the lock first, V(absent) releases it last.
        type: str
        default: present
        choices: [present, absent]
  stack:
    description:
      - Find both stacks of the migration before the gate is evaluated - in each region the load
        balancer (by ARN or name), the one target group its listeners forward to, and the VPC (by id
        or C(Name) tag). Returned as RV(stack); the task fails, naming each problem, when a load
        balancer or VPC is missing or ambiguous, or a load balancer does not forward to exactly one
        target group.
      - Only reads; it replaces four C(*_info) tasks with this one call.
    type: dict
    suboptions:
      source:
        description: The region the platform runs in today.
        type: dict
        required: true
        suboptions:
          region:
            description: The region.
            type: str
            required: true
          alb_arn:
            description: ARN of the load balancer (else O(stack.source.alb_name)).
            type: str
          alb_name:
            description: Name of the load balancer.
            type: str
          vpc_id:
            description: Id of the VPC (else O(stack.source.vpc_name)).
            type: str
          vpc_name:
            description: C(Name) tag of the VPC.
            type: str
          vpc_cidr:
            description: CIDR block the VPC must have (not checked when empty).
            type: str
      target:
        description: The region the platform moves to.
        type: dict
        required: true
        suboptions:
          region:
            description: The region.
            type: str
            required: true
          alb_arn:
            description: ARN of the load balancer (else O(stack.target.alb_name)).
            type: str
          alb_name:
            description: Name of the load balancer.
            type: str
          vpc_id:
            description: Id of the VPC (else O(stack.target.vpc_name)).
            type: str
          vpc_name:
            description: C(Name) tag of the VPC.
            type: str
          vpc_cidr:
            description: CIDR block the VPC must have (not checked when empty).
            type: str
  record:
    description:
      - Also read the live weights of a weighted record set (Route 53 ListResourceRecordSets, every
        weighted type of the name as M(payments.region_migration.migration_status_info) reads them),
        after the gate, and return them as RV(weights) and RV(weights_by_type). Only reads; a run reads
        its live state in the same call that finds the stacks.
    type: dict
    suboptions:
      hosted_zone_id:
        description: Id of the hosted zone (else O(record.zone)).
        type: str
      zone:
        description: Name of the hosted zone.
        type: str
      private_zone:
        description: Look O(record.zone) up among private hosted zones.
        type: bool
        default: false
      record_name:
        description: Fully qualified name of the weighted record set.
        type: str
        required: true
      record_type:
        description: A type the name must have as a weighted record set; any type when omitted.
        type: str
        choices: [A, AAAA, CNAME, TXT, MX, SRV, PTR, SPF, NAPTR, CAA, DS, HTTPS, SVCB]
  audit:
    description:
      - Audit records to append to a JSON lines file, each stamped with C(time) and C(epoch) when
        written. Not written in check mode.
      - O(audit.before) is written before the first evaluation (for example the weight change that
        the hold bakes), O(audit.after) only when the gate passes, with this gate's result appended
        to its C(gates) list - so a step is recorded by the module that closes it, without a task of
        its own.
    type: dict
    suboptions:
      path:
        description: The JSON lines file (its directory is created when missing).
        type: path
        required: true
      before:
        description: Records to write before the gate is evaluated.
        type: list
        elements: dict
        default: []
      after:
        description: Record to write when the gate passes; this gate's result is appended to its C(gates).
        type: dict
  lag:
    description:
      - Replication lag of the Aurora global database secondary, read from CloudWatch (namespace
        C(AWS/RDS), per-period C(Maximum)) with the dimensions the metric is published with.
      - Passes when at least O(lag.min_datapoints) periods have data and the newest
        O(lag.consecutive_healthy) are at or below O(lag.threshold_ms), and the global cluster is
        available with no switchover in progress and the secondary is not its writer.
    type: dict
    suboptions:
      global_cluster_identifier:
        description: Identifier of the global database.
        type: str
        required: true
      secondary_cluster_identifier:
        description: Identifier or ARN of the secondary DB cluster.
        type: str
        required: true
      secondary_region:
        description: Region of the secondary (taken from the ARN when an ARN is given; else O(region)).
        type: str
      threshold_ms:
        description: Highest healthy lag in milliseconds.
        type: float
        default: 1000
      window_seconds:
        description: Length of the window read, in seconds, ending now.
        type: int
        default: 300
      period_seconds:
        description: CloudWatch period of one sample, in seconds.
        type: int
        default: 60
      min_datapoints:
        description: Fewest periods with data for the check to pass.
        type: int
        default: 3
      consecutive_healthy:
        description: How many of the newest samples must be at or below the threshold.
        type: int
        default: 1
      allow_no_data:
        description: Let the check pass with fewer than O(lag.min_datapoints) samples.
        type: bool
        default: false
      metric_name:
        description:
          - C(AuroraGlobalDBRPOLag) or C(AuroraGlobalDBReplicationLag); by default chosen from the
            global cluster's engine version.
        type: str
  traffic:
    description:
      - Health of the region that serves traffic - healthy targets, alarms and the load balancer's 5xx
        percentage.
      - The 5xx percentage is 100 * (C(HTTPCode_ELB_5XX_Count) + C(HTTPCode_Target_5XX_Count)) /
        C(RequestCount) of namespace C(AWS/ApplicationELB) for the dimension C(LoadBalancer) =
        C(app/<name>/<id>) (the end of the load balancer ARN), summed over the window.
      - An alarm passes only in state C(OK); C(ALARM), C(INSUFFICIENT_DATA) and a missing alarm fail.
    type: dict
    suboptions:
      region:
        description: Region of the target group, load balancer and alarms (default O(region)).
        type: str
      target_group_arn:
        description: Target group whose healthy targets are counted.
        type: str
        required: true
      min_healthy_targets:
        description: Fewest healthy targets.
        type: int
        default: 2
      alarm_names:
        description: CloudWatch alarms that must be C(OK).
        type: list
        elements: str
        default: []
      load_balancer_arn:
        description: Application Load Balancer whose 5xx percentage is checked; no 5xx check without it.
        type: str
      max_5xx_percent:
        description: The 5xx percentage (0-100) must be below this value.
        type: float
        default: 1.0
      window_seconds:
        description: Window of the 5xx percentage, in seconds, ending now.
        type: int
        default: 300
      period_seconds:
        description: CloudWatch period used to read the counts.
        type: int
        default: 60
  writer:
    description:
      - The writer of the global database must be in O(writer.expected_region), the global cluster
        C(available), and no switchover or failover in progress (reported as "switchover in progress").
    type: dict
    suboptions:
      global_cluster_identifier:
        description: Identifier of the global database.
        type: str
        required: true
      expected_region:
        description: Region the writer must be in; any region when omitted.
        type: str
  write_path:
    description:
      - The application of O(write_path.region) must be able to write - its launch template's user
        data carries C(DB_WRITER_ENDPOINT=<the global writer endpoint>) (C(GlobalCluster.Endpoint))
        and, while the writer is in another region, an C(active) VPC peering connection joins
        O(write_path.peering_vpc_ids).
      - Without a write path the check fails with a reason that says what is missing.
    type: dict
    suboptions:
      region:
        description: The region about to take traffic.
        type: str
        required: true
      global_cluster_identifier:
        description: Identifier of the global database.
        type: str
        required: true
      asg_name:
        description: Auto Scaling group of the application in O(write_path.region).
        type: str
        required: true
      peering_vpc_ids:
        description: The two VPCs (this region's and the writer region's) the peering must join.
        type: list
        elements: str
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
notes:
  - Supports check mode; the module only reads, so it behaves the same in check mode.
"""

EXAMPLES = r"""
- name: Wait until eu-west-1 may take more traffic
  payments.region_migration.migration_gate:
    region: eu-west-1
    mode: wait
    timeout: 300
    poll_interval: 5
    lag:
      global_cluster_identifier: gdb-payments-rehearsal
      secondary_cluster_identifier: aurora-payments-rehearsal
      threshold_ms: 1000
    traffic:
      target_group_arn: "{{ target_group_arn }}"
      load_balancer_arn: "{{ alb_arn }}"
      max_5xx_percent: 1
      alarm_names: [alarm-healthy-hosts-rehearsal]
    writer:
      global_cluster_identifier: gdb-payments-rehearsal
      expected_region: us-east-1
    write_path:
      region: eu-west-1
      global_cluster_identifier: gdb-payments-rehearsal
      asg_name: asg-payment-rehearsal
      peering_vpc_ids: ["{{ vpc_euw1 }}", "{{ vpc_use1 }}"]

- name: Bake for 60 seconds, stop at the first failed evaluation
  payments.region_migration.migration_gate:
    region: eu-west-1
    mode: hold
    hold_seconds: 60
    poll_interval: 5
    fail_on_unhealthy: false
    lag:
      global_cluster_identifier: gdb-payments-rehearsal
      secondary_cluster_identifier: aurora-payments-rehearsal
  environment:
    MIGRATION_PROGRESS_FILE: /tmp/migration-progress.log
  register: bake
"""

RETURN = r"""
changed:
  description: Always V(false).
  returned: always
  type: bool
healthy:
  description: Whether the gate passed (every check, for the whole hold in O(mode=hold)).
  returned: always
  type: bool
verdict:
  description: V(pass) or V(fail).
  returned: always
  type: str
  sample: pass
reason:
  description: What an operator needs to read - which check failed and why, or that all passed.
  returned: always
  type: str
  sample: "held 60 s (13 evaluations): lag: AuroraGlobalDBRPOLag: newest 1 of 5 samples at or below 1000 ms"
checks:
  description: The latest result of each check given, keyed C(lag), C(traffic), C(writer), C(write_path).
  returned: always
  type: dict
  contains:
    healthy:
      description: Whether the check passed.
      type: bool
    reason:
      description: Why.
      type: str
    values:
      description: The values the verdict is based on (latest lag, 5xx percentage, writer region, ...).
      type: dict
samples:
  description: Every evaluation, oldest first.
  returned: always
  type: list
  elements: dict
  contains:
    time:
      description: When the evaluation ended, ISO 8601 UTC.
      type: str
    elapsed:
      description: Seconds since the gate started.
      type: float
    healthy:
      description: The verdict of that evaluation.
      type: bool
    values:
      description: The values of each check, keyed by check.
      type: dict
elapsed_seconds:
  description: Seconds the gate took, measured with a monotonic clock.
  returned: always
  type: float
  sample: 60.4
attempts:
  description: Number of evaluations.
  returned: always
  type: int
  sample: 13
stack:
  description: Both stacks as found (O(stack) given), keyed C(source) and C(target).
  returned: when O(stack) is given
  type: dict
  contains:
    alb_arn:
      description: ARN of the region's load balancer.
      type: str
    target_group_arn:
      description: The one target group its listeners forward to.
      type: str
    vpc_id:
      description: Id of the region's VPC.
      type: str
    vpc_cidr:
      description: CIDR block of that VPC.
      type: str
weights:
  description: The live weights of O(record) (its first weighted type, C(A) first), set identifier to weight.
  returned: when O(record) is given
  type: dict
  sample: {"us-east-1": 75, "eu-west-1": 25}
weights_by_type:
  description: The live weights of every weighted type of O(record).
  returned: when O(record) is given
  type: dict
lock_refused:
  description:
    - The lock of O(lock) is held by another run. With O(lock.state=present) nothing was read or changed;
      with O(lock.state=absent) the lock is left as it is.
  returned: when the task fails for that reason
  type: bool
  sample: true
mode:
  description: The mode used.
  returned: always
  type: str
  sample: hold
"""

import os
from datetime import UTC, datetime

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.payments.region_migration.plugins.module_utils import (
    _audit,
    _gate_lag,
    _gate_traffic,
    _gate_writer,
    _poll,
    _route53_weighted,
    _stack,
    gates,
)
from ansible_collections.payments.region_migration.plugins.module_utils._aws_client import ClientCache
from ansible_collections.payments.region_migration.plugins.module_utils._migration_lock import SsmLock

CHECKS = ("lag", "traffic", "writer", "write_path")
PROGRESS_ENV = "MIGRATION_PROGRESS_FILE"

LAG_SPEC = dict(
    global_cluster_identifier=dict(type="str", required=True),
    secondary_cluster_identifier=dict(type="str", required=True),
    secondary_region=dict(type="str"),
    threshold_ms=dict(type="float", default=1000.0),
    window_seconds=dict(type="int", default=300),
    period_seconds=dict(type="int", default=60),
    min_datapoints=dict(type="int", default=3),
    consecutive_healthy=dict(type="int", default=1),
    allow_no_data=dict(type="bool", default=False),
    metric_name=dict(type="str"),
)
TRAFFIC_SPEC = dict(
    region=dict(type="str"),
    target_group_arn=dict(type="str", required=True),
    min_healthy_targets=dict(type="int", default=2),
    alarm_names=dict(type="list", elements="str", default=[]),
    load_balancer_arn=dict(type="str"),
    max_5xx_percent=dict(type="float", default=1.0),
    window_seconds=dict(type="int", default=300),
    period_seconds=dict(type="int", default=60),
)
WRITER_SPEC = dict(
    global_cluster_identifier=dict(type="str", required=True),
    expected_region=dict(type="str"),
)
LOCK_SPEC = dict(
    name=dict(type="str", required=True),
    owner=dict(type="str", required=True),
    run_id=dict(type="str"),
    purpose=dict(type="str"),
    ttl_seconds=dict(type="int", default=3600),
    break_stale=dict(type="bool", default=False),
    region=dict(type="str"),
    state=dict(type="str", default="present", choices=["present", "absent"]),
)
STACK_SIDE_SPEC = dict(
    region=dict(type="str", required=True),
    alb_arn=dict(type="str"),
    alb_name=dict(type="str"),
    vpc_id=dict(type="str"),
    vpc_name=dict(type="str"),
    vpc_cidr=dict(type="str"),
)
STACK_SPEC = dict(
    source=dict(type="dict", required=True, options=STACK_SIDE_SPEC),
    target=dict(type="dict", required=True, options=STACK_SIDE_SPEC),
)
RECORD_SPEC = dict(
    hosted_zone_id=dict(type="str"),
    zone=dict(type="str"),
    private_zone=dict(type="bool", default=False),
    record_name=dict(type="str", required=True),
    record_type=dict(type="str", choices=_route53_weighted.RECORD_TYPES),
)
AUDIT_SPEC = dict(
    path=dict(type="path", required=True),
    before=dict(type="list", elements="dict", default=[]),
    after=dict(type="dict"),
)
WRITE_PATH_SPEC = dict(
    region=dict(type="str", required=True),
    global_cluster_identifier=dict(type="str", required=True),
    asg_name=dict(type="str", required=True),
    peering_vpc_ids=dict(type="list", elements="str"),
)


def validate(params) -> list[str]:
    """Option values that would make the gate meaningless; empty when all is well."""
    errors = []
    if not any(params.get(name) for name in CHECKS + ("stack", "record", "audit", "lock")):
        errors.append("give at least one check: lag, traffic, writer or write_path (or stack, record, audit or lock)")
    for name, one in ((params.get("stack") or {}) or {}).items():
        if not (one.get("alb_arn") or one.get("alb_name")) or not (one.get("vpc_id") or one.get("vpc_name")):
            errors.append(f"stack.{name} needs alb_arn or alb_name, and vpc_id or vpc_name")
    if params["poll_interval"] <= 0:
        errors.append(f"poll_interval must be greater than 0, got {params['poll_interval']}")
    for name in ("timeout", "hold_seconds"):
        if params[name] < 0:
            errors.append(f"{name} must not be negative, got {params[name]}")
    for check in ("lag", "traffic"):
        sub = params.get(check) or {}
        if not sub:
            continue
        if sub["window_seconds"] <= 0 or sub["period_seconds"] <= 0:
            errors.append(f"{check}.window_seconds and {check}.period_seconds must be greater than 0")
        elif sub["period_seconds"] > sub["window_seconds"]:
            errors.append(f"{check}.period_seconds must not be greater than {check}.window_seconds")
    lag = params.get("lag") or {}
    if lag and (lag["min_datapoints"] < 0 or lag["consecutive_healthy"] < 0):
        errors.append("lag.min_datapoints and lag.consecutive_healthy must not be negative")
    traffic = params.get("traffic") or {}
    if traffic:
        if traffic["min_healthy_targets"] < 0:
            errors.append("traffic.min_healthy_targets must not be negative")
        if not 0 <= traffic["max_5xx_percent"] <= 100:
            errors.append(f"traffic.max_5xx_percent is a percentage from 0 to 100, got {traffic['max_5xx_percent']}")
        if traffic.get("load_balancer_arn") and \
                _gate_traffic.load_balancer_dimension(traffic["load_balancer_arn"]) is None:
            errors.append(f"traffic.load_balancer_arn must be an Application Load Balancer ARN, "
                          f"got {traffic['load_balancer_arn']!r}")
    record = params.get("record") or {}
    if record and bool(record.get("hosted_zone_id")) == bool(record.get("zone")):
        errors.append("record needs exactly one of hosted_zone_id and zone")
    write_path = params.get("write_path") or {}
    if write_path.get("peering_vpc_ids") is not None and len(write_path["peering_vpc_ids"]) != 2:
        errors.append("write_path.peering_vpc_ids must name exactly two VPCs")
    return errors


def combine(checks: dict) -> tuple[bool, str]:
    """All checks must pass; the reason names the failing ones first."""
    failing = [f"{name}: {c['reason']}" for name, c in checks.items() if not c["healthy"]]
    if failing:
        return False, "; ".join(failing)
    return True, "; ".join(f"{name}: {c['reason']}" for name, c in checks.items())


def summary(values: dict) -> str:
    """The latest values in a few words, for a progress line."""
    parts = []
    lag = values.get("lag")
    if lag is not None:
        latest = lag.get("latest_ms")
        parts.append(f"lag {'n/a' if latest is None else f'{latest:g}'} ms")
    traffic = values.get("traffic")
    if traffic is not None:
        rate = traffic.get("error_percent")
        parts.append(f"targets {traffic.get('healthy_targets')}")
        if rate is not None:
            parts.append(f"5xx {rate:g} %")
    writer = values.get("writer")
    if writer is not None:
        parts.append(f"writer {writer.get('writer_region') or 'unknown'}" +
                     (" (switchover in progress)" if writer.get("switchover_in_progress") else ""))
    write_path = values.get("write_path")
    if write_path is not None:
        parts.append(f"write path {'ok' if write_path.get('ok') else 'missing'}")
    return ", ".join(parts)


def progress_line(mode: str, evaluation: dict, elapsed: float, remaining: float | None, total: float) -> str:
    verdict = gates.verdict(evaluation["healthy"])
    clock = f"{elapsed:.1f}/{total:g} s elapsed, {remaining:.1f} s remaining" if remaining is not None \
        else f"{elapsed:.1f} s elapsed"
    line = f"migration_gate {mode}: {clock}: {verdict}: {summary(evaluation['values'])}"
    return line if evaluation["healthy"] else f"{line} ({evaluation['reason']})"


class Gate:
    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.clients = ClientCache(module)
        self.started_wall = datetime.now(UTC)

    def lag(self) -> dict:
        p = self.params["lag"]
        result = _gate_lag.evaluate_lag(
            self.module, self.clients, p["global_cluster_identifier"], p["secondary_cluster_identifier"],
            threshold_ms=p["threshold_ms"], window_seconds=p["window_seconds"], period_seconds=p["period_seconds"],
            min_datapoints=p["min_datapoints"], consecutive_healthy=p["consecutive_healthy"],
            allow_no_data=p["allow_no_data"], metric_name=p["metric_name"], region=p["secondary_region"],
        )
        samples = result["samples"]
        status = result["global_cluster_status"]
        return {"healthy": result["healthy"], "reason": result["reason"], "values": {
            "latest_ms": samples[-1]["value"] if samples else None, "maximum_ms": result["maximum"],
            "datapoints": result["datapoints"], "metric_name": result["metric_name"],
            "dimensions": result["dimensions"], "failover_state": status.get("failover_state"),
            "writer_cluster_arn": status.get("writer_cluster_arn")}}

    def traffic(self) -> dict:
        p = self.params["traffic"]
        result = _gate_traffic.evaluate_traffic(
            self.module, self.clients, p["target_group_arn"], p["min_healthy_targets"], p["alarm_names"],
            p["load_balancer_arn"], p["max_5xx_percent"], p["window_seconds"], p["period_seconds"],
            region=p["region"],
        )
        return {"healthy": result["healthy"], "reason": result["reason"], "values": {
            "healthy_targets": result["healthy_targets"], "alarms": result["alarms"],
            "error_percent": result["error_rate"], "request_counts": result["request_counts"]}}

    def writer(self) -> dict:
        p = self.params["writer"]
        return _gate_writer.evaluate_writer(self.module, self.clients, p["global_cluster_identifier"],
                                            p["expected_region"])

    def write_path(self) -> dict:
        p = self.params["write_path"]
        result = _gate_writer.evaluate_write_path(self.module, self.clients, p["region"],
                                                  p["global_cluster_identifier"], p["asg_name"],
                                                  p["peering_vpc_ids"])
        result["values"]["ok"] = result["healthy"]
        return result

    def evaluate(self) -> dict:
        checks = {name: getattr(self, name)() for name in CHECKS if self.params.get(name)}
        healthy, reason = combine(checks)
        return {"healthy": healthy, "reason": reason, "checks": checks,
                "values": {name: c["values"] for name, c in checks.items()},
                "time": datetime.now(UTC).isoformat()}

    def report(self, evaluation: dict, elapsed: float, remaining: float | None) -> None:
        mode = self.params["mode"]
        if mode == "once":
            return
        total = self.params["hold_seconds"] if mode == "hold" else self.params["timeout"]
        line = progress_line(mode, evaluation, elapsed, remaining, total)
        self.module.log(line)
        path = os.environ.get(PROGRESS_ENV)
        if path:
            try:
                os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
                with open(path, "a", encoding="utf-8") as handle:
                    handle.write(line + "\n")
            except OSError as e:
                self.module.warn(f"Cannot write progress to {path}: {e}")

    def discover(self) -> dict:
        """Both stacks (option stack), or fail naming what is not as the inventory says."""
        spec = self.params["stack"]
        stack = _stack.discover(self.module, self.clients, spec)
        problems = _stack.problems(stack, spec["source"].get("vpc_cidr"))
        if problems:
            self.module.fail_json(msg=f"The stacks are not as the inventory says: {'; '.join(problems)}. "
                                      "Nothing was changed.", changed=False, stack=stack, problems=problems)
        return stack

    def read_weights(self) -> dict:
        """The live weights of option record (every weighted type of the name, A first)."""
        spec = self.params["record"]
        route53 = self.clients("route53")
        if spec["hosted_zone_id"]:
            zone_id = _route53_weighted.check_zone(self.module, route53, spec["hosted_zone_id"])["Id"]
            zone_id = zone_id.replace("/hostedzone/", "")
        else:
            zone_id = _route53_weighted.zone_id_by_name(self.module, route53, spec["zone"], spec["private_zone"])
        by_type = _route53_weighted.weighted_record_sets(self.module, route53, zone_id, spec["record_name"],
                                                         spec["record_type"])
        weights_by_type = _route53_weighted.weights_by_type(by_type)
        return {"weights": next(iter(weights_by_type.values())), "weights_by_type": weights_by_type}

    def audit(self, records: list) -> None:
        if self.params["audit"] and records and not self.module.check_mode:
            try:
                _audit.append(self.params["audit"]["path"], records)
            except OSError as e:
                self.module.fail_json(msg=f"Cannot write the audit log {self.params['audit']['path']}: {e}")

    def set_lock(self, state: str) -> None:
        """Take or renew (present), or release (absent) the lock of option lock when it asks for ``state``.

        A refusal (another run holds it) fails the module naming the holder.
        """
        spec = self.params["lock"]
        if not spec or spec["state"] != state:
            return
        if spec["ttl_seconds"] < 1:
            self.module.fail_json(msg="lock.ttl_seconds must be at least 1")
        params = {**spec, "force": False, "progress": None}
        SsmLock(self.module, params, self.clients("ssm", spec["region"]), refusal={"lock_refused": True}).run()

    def run(self) -> dict:
        p = self.params
        self.set_lock("present")
        stack = self.discover() if p["stack"] else None
        self.audit((p["audit"] or {}).get("before") or [])
        if not any(p.get(name) for name in CHECKS):
            result = {"changed": False, "healthy": True, "verdict": gates.verdict(True), "reason": "no check given",
                      "checks": {}, "samples": [], "elapsed_seconds": 0.0, "attempts": 0, "mode": p["mode"]}
            return self.closed(result, stack)
        polled = _poll.poll(self.evaluate, lambda e: e["healthy"], p["mode"], p["poll_interval"],
                            timeout=p["timeout"], hold_seconds=p["hold_seconds"], on_sample=self.report)
        last = polled["value"]
        samples = [{"time": e["time"], "elapsed": round(elapsed, 3), "healthy": e["healthy"], "values": e["values"]}
                   for elapsed, e in polled["values"]]
        elapsed = polled["elapsed"]
        count = polled["attempts"]
        outcome = polled["outcome"]
        healthy = outcome == _poll.PASSED
        if p["mode"] == "hold":
            if healthy:
                reason = f"held {p['hold_seconds']} s ({count} evaluations, {elapsed:.1f} s): {last['reason']}"
            else:
                reason = f"failed after {samples[-1]['elapsed']:.1f} s of the {p['hold_seconds']} s hold " \
                         f"(evaluation {count}): {last['reason']}"
        elif outcome == _poll.TIMED_OUT:
            reason = f"still unhealthy after {p['timeout']} s ({count} evaluations): {last['reason']}"
        else:
            reason = last["reason"]
        result = {"changed": False, "healthy": healthy, "verdict": gates.verdict(healthy), "reason": reason,
                  "checks": last["checks"], "samples": samples, "elapsed_seconds": round(elapsed, 3),
                  "attempts": count, "mode": p["mode"]}
        return self.closed(result, stack)

    def closed(self, result: dict, stack: dict | None) -> dict:
        """The result with the stack found; the closing audit record written when the gate passed."""
        after = (self.params["audit"] or {}).get("after")
        if after and result["healthy"]:
            own = [_audit.gate_record(result)] if result["attempts"] else []  # a zero hold is no gate
            self.audit([{**after, "gates": list(after.get("gates") or []) + own}])
        if stack is not None:
            result["stack"] = stack
        if self.params["record"]:
            result.update(self.read_weights())
        self.set_lock("absent")
        return result


def main():
    argument_spec = dict(
        mode=dict(type="str", default="once", choices=list(_poll.MODES)),
        poll_interval=dict(type="int", default=10),
        timeout=dict(type="int", default=600),
        hold_seconds=dict(type="int", default=0),
        fail_on_unhealthy=dict(type="bool", default=True),
        lag=dict(type="dict", options=LAG_SPEC),
        traffic=dict(type="dict", options=TRAFFIC_SPEC),
        writer=dict(type="dict", options=WRITER_SPEC),
        write_path=dict(type="dict", options=WRITE_PATH_SPEC),
        lock=dict(type="dict", options=LOCK_SPEC, no_log=False),
        stack=dict(type="dict", options=STACK_SPEC),
        record=dict(type="dict", options=RECORD_SPEC),
        audit=dict(type="dict", options=AUDIT_SPEC),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    errors = validate(module.params)
    if errors:
        module.fail_json(msg="; ".join(errors), changed=False)
    result = Gate(module).run()
    if not result["healthy"] and module.params["fail_on_unhealthy"]:
        module.fail_json(msg=result["reason"], **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
