#!/usr/bin/python

# Copyright: Contributors to the payments.region_migration project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: route53_weighted_shift
version_added: 1.0.0
short_description: Move a Route 53 weighted record set to a new split in one atomic change
description:
  - Sets the weights of all records of a weighted record set (one record per region told apart by
    its SetIdentifier) in B(one) Route 53 C(ChangeResourceRecordSets) request, so that resolvers
    never see an intermediate split. M(amazon.aws.route53) changes one record per call.
  - Every weighted type of the name moves in that same request - C(A) and C(AAAA) (and any other
    weighted type of the name), each with the same set identifiers.
  - The split is given either as the percentage of traffic for one record (O(target_identifier) and
    O(percent)) or as explicit weights (O(weights)).
  - Alias targets or values, TTL and health check settings are copied from the current records;
    only the weights change.
  - When the weights are already as requested nothing is written and RV(changed) is V(false).
  - Route 53 is a global service; the module works without O(region) (the client then uses us-east-1).
author:
  - Payments platform engineering (@payments-platform)
options:
  target_identifier:
    description:
      - SetIdentifier of the record that receives O(percent) of the traffic (the target region's record).
      - Required with O(percent); mutually exclusive with O(weights).
    type: str
  percent:
    description:
      - Share of the traffic, from 0 to 100, for the record O(target_identifier).
      - Weights are written on a scale of 100. With two records the other one gets V(100 - percent);
        with more, the other records share the rest in proportion to their current weights
        (evenly when they are all zero).
      - When the current weights already give the target exactly this share they are left as they are.
    type: int
  weights:
    description:
      - Explicit weights, V(SetIdentifier) to weight (0-255). Records not named keep their weight.
      - Mutually exclusive with O(percent) and O(target_identifier).
    type: dict
  wait:
    description:
      - Wait until Route 53 reports the change as C(INSYNC).
    type: bool
    default: true
  wait_timeout:
    description:
      - How many seconds to wait for C(INSYNC) when O(wait=true).
    type: int
    default: 300
notes:
  - Supports check mode (nothing is written; RV(changed) says whether a write would happen) and
    diff mode (before and after weights).
  - Fails without changing anything when the zone or the record set does not exist, when the
    record set is not weighted, when an identifier is not in the set, when O(percent) is outside
    0-100, when a weight is outside 0-255 and when all weights would be zero.
extends_documentation_fragment:
  - payments.region_migration.hosted_zone
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Send 25 % of the API traffic to eu-west-1
  payments.region_migration.route53_weighted_shift:
    zone: payments.example.com
    record_name: api.payments.example.com
    target_identifier: eu-west-1
    percent: 25

- name: Set explicit weights (roll back to us-east-1)
  payments.region_migration.route53_weighted_shift:
    hosted_zone_id: Z0123456789ABCDEFGHIJ
    record_name: api.payments.example.com
    weights:
      us-east-1: 100
      eu-west-1: 0
  register: rollback

- name: Show what changed
  ansible.builtin.debug:
    msg: "{{ rollback.before }} -> {{ rollback.after }} ({{ rollback.change_id }})"
"""

RETURN = r"""
changed:
  description: Whether the weights were (or, in check mode, would be) changed.
  returned: always
  type: bool
before:
  description: Weights before the run, SetIdentifier to weight.
  returned: always
  type: dict
  sample: {"us-east-1": 100, "eu-west-1": 0}
after:
  description: Weights after the run (in check mode, the weights that would be written).
  returned: always
  type: dict
  sample: {"us-east-1": 75, "eu-west-1": 25}
change_id:
  description: Id of the Route 53 change; null when nothing was written.
  returned: always
  type: str
  sample: C2682N5HXP0BZ4
change_status:
  description: Last known status of the change (C(PENDING) or C(INSYNC)); null when nothing was written.
  returned: always
  type: str
  sample: INSYNC
hosted_zone_id:
  description: Id of the hosted zone.
  returned: always
  type: str
  sample: Z0123456789ABCDEFGHIJ
record_name:
  description: Fully qualified name of the record set, with the trailing dot.
  returned: always
  type: str
  sample: api.payments.example.com.
record_type:
  description: The first weighted type of the name (C(A) when it has one); RV(before) and RV(after) are its weights.
  returned: always
  type: str
  sample: A
record_types:
  description: Every weighted type of the name that was read (and moved).
  returned: always
  type: list
  elements: str
  sample: [A, AAAA]
before_by_type:
  description: Weights before the run, per record type.
  returned: always
  type: dict
  sample: {"A": {"us-east-1": 100, "eu-west-1": 0}, "AAAA": {"us-east-1": 100, "eu-west-1": 0}}
after_by_type:
  description: Weights after the run (in check mode, that would be written), per record type.
  returned: always
  type: dict
  sample: {"A": {"us-east-1": 75, "eu-west-1": 25}, "AAAA": {"us-east-1": 75, "eu-west-1": 25}}
target_percent:
  description: Share of the traffic of O(target_identifier) after the run; null without O(target_identifier).
  returned: always
  type: float
  sample: 25.0
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.payments.region_migration.plugins.module_utils import _route53_weighted as r53
from ansible_collections.payments.region_migration.plugins.module_utils import weights as w
from ansible_collections.payments.region_migration.plugins.module_utils._aws_client import ClientCache


def desired_weights(module, current: dict[str, int]) -> dict[str, int]:
    params = module.params
    try:
        if params.get("weights") is not None:
            requested = {}
            for name, value in params["weights"].items():
                try:
                    requested[name] = int(value) if not isinstance(value, bool) else value
                except (TypeError, ValueError):
                    requested[name] = value
            desired = w.merge_explicit_weights(current, requested)
        else:
            desired = w.weights_for_percent(current, params["target_identifier"], params["percent"])
        w.validate_result(desired)
    except w.WeightError as e:
        module.fail_json(msg=str(e), before=current, changed=False)
    return desired


def main():
    argument_spec = dict(
        **r53.HOSTED_ZONE_ARGUMENT_SPEC,
        target_identifier=dict(type="str"),
        percent=dict(type="int"),
        weights=dict(type="dict"),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=300),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        supports_check_mode=True,
        required_one_of=r53.HOSTED_ZONE_REQUIRED_ONE_OF + [["percent", "weights"]],
        mutually_exclusive=r53.HOSTED_ZONE_MUTUALLY_EXCLUSIVE + [["weights", "percent"],
                                                                 ["weights", "target_identifier"]],
        required_together=[["percent", "target_identifier"]],
    )
    params = module.params
    if params["percent"] is not None:
        try:
            w.validate_percent(params["percent"])
        except w.WeightError as e:
            module.fail_json(msg=str(e), changed=False)

    route53 = ClientCache(module)("route53")
    zone_id, _zone_name = r53.resolve_zone(module, route53)
    record_name = r53.fqdn(params["record_name"])
    by_type = r53.weighted_record_sets(module, route53, zone_id, record_name, params["record_type"])
    before_by_type = r53.weights_by_type(by_type)
    after_by_type = {record_type: desired_weights(module, weights) for record_type, weights in before_by_type.items()}
    first = next(iter(by_type))
    before, after = before_by_type[first], after_by_type[first]
    moving = [t for t in by_type if before_by_type[t] != after_by_type[t]]

    result = dict(
        changed=bool(moving),
        before=before,
        after=after,
        before_by_type=before_by_type,
        after_by_type=after_by_type,
        change_id=None,
        change_status=None,
        hosted_zone_id=zone_id,
        record_name=record_name,
        record_type=first,
        record_types=list(by_type),
        target_percent=w.share_percent(after, params["target_identifier"]) if params["target_identifier"] else None,
    )
    if module._diff:
        result["diff"] = {"before": before_by_type, "after": after_by_type}

    if result["changed"] and not module.check_mode:
        summary = ", ".join(f"{name}={after[name]}" for name in sorted(after))
        # One request for every type that moves (A and AAAA together): Route 53 applies a batch atomically.
        records = [record for record_type in moving for record in by_type[record_type]]
        batch = r53.change_batch(records, {t: after_by_type[t] for t in moving},
                                 f"route53_weighted_shift: {', '.join(moving)} {summary}")
        result["change_id"] = r53.apply_change(module, route53, zone_id, batch)
        result["change_status"] = "PENDING"
        if params["wait"]:
            result["change_status"] = r53.wait_insync(module, route53, result["change_id"], params["wait_timeout"])
            if result["change_status"] != "INSYNC":
                module.fail_json(msg=f"Change {result['change_id']} was made but is not INSYNC after "
                                     f"{params['wait_timeout']} s", **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
