#!/usr/bin/python

# Copyright: Contributors to the payments.region_migration project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: aurora_global_switchover
version_added: 1.0.0
short_description: Move the writer of an Aurora global database to another member cluster
description:
  - Makes O(target_cluster_identifier) the writer (primary) of an Aurora global database.
  - By default a managed switchover (C(SwitchoverGlobalCluster)) without data loss, for planned
    region migrations. With O(allow_data_loss=true) a failover (C(FailoverGlobalCluster) with
    C(AllowDataLoss)), for when the writer's region is impaired; writes not yet replicated are lost.
  - Refuses, changing nothing, when the target is not a member of the global cluster, when the
    member clusters' engine versions differ, when the global cluster is not available, or when
    another switchover or failover is in progress.
  - Idempotent. When the target already is the writer nothing is written and RV(changed) is
    false. When a switchover to the target is already in progress (for example an earlier run
    timed out), nothing is written and the module waits for it.
  - With O(wait=true) the module returns once the target is the writer, the global cluster is
    C(available) again and no switchover or failover is in progress.
  - A switchover is requested in the region of the current primary, like the Aurora User Guide's
    CLI form (C(aws rds --region <region of the primary> switchover-global-cluster)); a failover
    with data loss in the region of the target, since the primary's region may be impaired.
  - A switchover or failover already in progress is detected from the global cluster's
    C(FailoverState). One to the same target is waited for. One to another member is waited for
    until it has finished (O(in_progress=wait), within O(wait_timeout)) and the request is then
    planned again from the new state, or refused with an explanation (O(in_progress=fail), or
    O(wait=false)). A second switchover is never requested while one runs.
author:
  - Payments platform engineering (@payments-platform)
options:
  global_cluster_identifier:
    description:
      - The identifier of the global cluster.
    required: true
    type: str
  target_cluster_identifier:
    description:
      - The member DB cluster that becomes the writer.
      - An ARN, or a DB cluster identifier that is resolved in O(region).
    required: true
    type: str
  allow_data_loss:
    description:
      - V(false) runs a managed switchover, which waits for the secondary to catch up and loses no
        committed write.
      - V(true) runs a failover that allows data loss (C(FailoverGlobalCluster) with C(AllowDataLoss)).
      - The engine versions of all members must match in both modes.
    type: bool
    default: false
  wait:
    description:
      - Wait until the writer has moved and the global cluster is available again.
    type: bool
    default: true
  wait_timeout:
    description:
      - How many seconds to wait. On timeout the module fails; the switchover carries on in AWS
        and a re-run waits for it without requesting another one.
    type: int
    default: 1800
  poll_interval:
    description:
      - Seconds between two reads of the global cluster while waiting.
    type: int
    default: 5
  in_progress:
    description:
      - What to do when a switchover or failover to another member is already in progress.
      - V(wait) waits for it to finish (within O(wait_timeout)), then decides again from the new state.
      - V(fail) refuses with an explanation and changes nothing.
    type: str
    default: wait
    choices: [wait, fail]
    version_added: 1.1.0
notes:
  - Supports check mode (nothing is requested; RV(changed) says whether a switchover would be
    requested) and diff mode (the writer before and after).
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Switch the payments writer over to eu-west-1 (no data loss)
  payments.region_migration.aurora_global_switchover:
    region: eu-west-1
    global_cluster_identifier: gdb-payments-rehearsal
    target_cluster_identifier: aurora-payments-rehearsal-euw1
  register: aurora_global_switchover_result

- name: Roll the writer back to us-east-1
  payments.region_migration.aurora_global_switchover:
    region: us-east-1
    global_cluster_identifier: gdb-payments-rehearsal
    target_cluster_identifier: arn:aws:rds:us-east-1:123456789012:cluster:aurora-payments-rehearsal

- name: Fail over to eu-west-1 while us-east-1 is down, accepting data loss
  payments.region_migration.aurora_global_switchover:
    region: eu-west-1
    global_cluster_identifier: gdb-payments-rehearsal
    target_cluster_identifier: aurora-payments-rehearsal-euw1
    allow_data_loss: true
    wait_timeout: 900
"""

RETURN = r"""
changed:
  description: Whether a switchover or failover was (or, in check mode, would be) requested.
  returned: always
  type: bool
mode:
  description: V(switchover) (managed, no data loss) or V(failover) (data loss allowed).
  returned: always
  type: str
  sample: switchover
writer_before:
  description: ARN of the writer before the run (null if the global cluster had no writer).
  returned: always
  type: str
  sample: arn:aws:rds:us-east-1:123456789012:cluster:aurora-payments-rehearsal
writer_after:
  description:
    - ARN of the writer after the run.
    - The target's ARN in check mode and when O(wait=false) (the switchover may still be running).
  returned: always
  type: str
  sample: arn:aws:rds:eu-west-1:123456789012:cluster:aurora-payments-rehearsal-euw1
writer_region_before:
  description: Region of RV(writer_before).
  returned: always
  type: str
  sample: us-east-1
writer_region_after:
  description: Region of RV(writer_after).
  returned: always
  type: str
  sample: eu-west-1
waited_for:
  description:
    - The C(FailoverState) (snake_case) of another switchover or failover that was in progress when
      the module started and that it waited for; null when none was.
  returned: always
  type: dict
  sample: {"status": "switching-over", "to_db_cluster_arn": "arn:aws:rds:us-west-2:123456789012:cluster:c"}
global_cluster:
  description: The global cluster after the run (before it in check mode), in snake_case, as returned by
    M(amazon.aws.rds_global_cluster_info).
  returned: always
  type: dict
  sample:
    global_cluster_identifier: gdb-payments-rehearsal
    status: available
    global_cluster_members:
      - db_cluster_arn: arn:aws:rds:eu-west-1:123456789012:cluster:aurora-payments-rehearsal-euw1
        is_writer: true
"""

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.payments.region_migration.plugins.module_utils._rds_global import (
    AWS_ERRORS,
    RDSClients,
    failover_in_progress,
    in_progress_message,
    member_arns,
    plan_switchover,
    region_from_arn,
    request_region,
    switchover_done,
    wait_for,
)


def snake(global_cluster):
    return camel_dict_to_snake_dict(global_cluster, ignore_list=["TagList"]) if global_cluster else {}


class Switchover:
    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.identifier = module.params["global_cluster_identifier"]
        target = module.params["target_cluster_identifier"]
        self.clients = RDSClients(module, module.region or region_from_arn(target))

    def describe(self):
        return self.clients.global_cluster(self.identifier)

    def resolve_target(self):
        return self.clients.resolve_cluster(self.params["target_cluster_identifier"], "Target",
                                            changed=False)["DBClusterArn"]

    def engine_versions(self, global_cluster):
        versions = {}
        for arn in member_arns(global_cluster):
            cluster = self.clients.db_cluster(arn, region_from_arn(arn), "member")
            versions[arn] = (cluster or {}).get("EngineVersion")
        return versions

    def request(self, plan):
        client = self.clients(request_region(plan))
        params = {"GlobalClusterIdentifier": self.identifier, "TargetDbClusterIdentifier": plan["target"]}
        try:
            if plan["mode"] == "failover":
                client.failover_global_cluster(AllowDataLoss=True, aws_retry=True, **params)
            else:
                client.switchover_global_cluster(aws_retry=True, **params)
        except AWS_ERRORS as e:
            self.module.fail_json_aws(
                e, msg=f"Failed to request the {plan['mode']} of global cluster {self.identifier} "
                f"to {plan['target']}", changed=False,
            )

    def wait(self, plan, changed):
        timeout = self.params["wait_timeout"]
        finished, last = wait_for(
            self.describe, lambda gc: switchover_done(gc, plan["target"]), timeout, self.params["poll_interval"]
        )
        if not finished:
            state = (last or {}).get("FailoverState")
            self.module.fail_json(
                msg=f"Timed out after {timeout}s waiting for the {plan['mode']} of global cluster "
                f"{self.identifier} to {plan['target']} (status {(last or {}).get('Status')}, "
                f"failover state {state}). It carries on in AWS; re-run to keep waiting, it is not requested again",
                changed=changed, global_cluster=snake(last), writer_before=plan["writer_before"],
                writer_region_before=region_from_arn(plan["writer_before"] or ""), mode=plan["mode"],
            )
        return last

    def after_running(self, current, plan, target):
        """Another switchover/failover runs: wait for it to end and plan again, or refuse."""
        message = in_progress_message(current)
        if self.params["in_progress"] == "fail" or not self.params["wait"]:
            plan["error"] = (f"Refusing: {message}. A second switchover is never started while one runs; "
                             "re-run when it has finished (or with in_progress=wait and wait=true)")
            return current, plan
        if self.module.check_mode:
            self.module.warn(f"{message}; a real run waits for it to finish, then decides again")
            plan.update(error=None, action=plan["mode"])
            return current, plan
        timeout = self.params["wait_timeout"]
        finished, last = wait_for(self.describe, lambda gc: gc is not None and failover_in_progress(gc) is None,
                                  timeout, self.params["poll_interval"])
        if not finished:
            plan["error"] = (f"Refusing: {message}, and it was still running after {timeout}s. Nothing was "
                             "requested; re-run when it has finished")
            return last or current, plan
        return last, plan_switchover(last, target, self.engine_versions(last), self.params["allow_data_loss"])

    def run(self):
        if self.params["wait_timeout"] < 0 or self.params["poll_interval"] < 1:
            self.module.fail_json(msg="wait_timeout must be >= 0 and poll_interval >= 1")
        target = self.resolve_target()
        current = self.describe()
        if current is None:
            self.module.fail_json(msg=f"Global cluster {self.identifier} not found", changed=False)
        plan = plan_switchover(current, target, self.engine_versions(current), self.params["allow_data_loss"])
        waited_for = None
        if plan["running"]:
            waited_for = camel_dict_to_snake_dict(plan["running"])
            current, plan = self.after_running(current, plan, target)
        if plan["error"]:
            self.module.fail_json(msg=plan["error"], changed=False, global_cluster=snake(current),
                                  mode=plan["mode"], writer_before=plan["writer_before"])
        changed = plan["action"] in ("switchover", "failover")
        after = current
        if changed and not self.module.check_mode:
            self.request(plan)
        if plan["action"] != "none" and not self.module.check_mode:
            after = self.wait(plan, changed) if self.params["wait"] else (self.describe() or current)
        writer_after = plan["writer_before"] if plan["action"] == "none" else plan["target"]
        result = {
            "changed": changed,
            "mode": plan["mode"],
            "writer_before": plan["writer_before"],
            "writer_after": writer_after,
            "writer_region_before": region_from_arn(plan["writer_before"] or ""),
            "writer_region_after": region_from_arn(writer_after or ""),
            "global_cluster": snake(after),
            "waited_for": waited_for,
        }
        if self.module._diff:
            result["diff"] = {
                "before": {"writer": result["writer_before"], "writer_region": result["writer_region_before"]},
                "after": {"writer": result["writer_after"], "writer_region": result["writer_region_after"]},
            }
        return result


def main():
    argument_spec = dict(
        global_cluster_identifier=dict(type="str", required=True),
        target_cluster_identifier=dict(type="str", required=True),
        allow_data_loss=dict(type="bool", default=False),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=1800),
        poll_interval=dict(type="int", default=5),
        in_progress=dict(type="str", default="wait", choices=["wait", "fail"]),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    module.exit_json(**Switchover(module).run())


if __name__ == "__main__":
    main()
