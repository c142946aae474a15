#!/usr/bin/python
# Copyright: Contributors to the payments.region_migration project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: provision_peering_info
version_added: 1.1.0
short_description: Read a VPC peering connection as both sides see it, and both sides' route tables, in one call
description:
  - One read of what the peering role of C(provision.yml) compares before it calls an ensure module, in one process
    instead of four module runs (issue 14) - the peering connections between the two VPCs as the requester region
    lists them (C(DescribeVpcPeeringConnections) filtered on both VPC ids, either way round, as
    C(amazon.aws.ec2_vpc_peering) finds them), the active or pending one as the accepter region sees it (a
    cross-region connection carries its own tags in each region), and the route tables of each side
    (C(DescribeRouteTables), in the shape of C(amazon.aws.ec2_vpc_route_table_info)).
  - Only reads; never changes anything, also outside check mode.
options:
  requester_region:
    description: Region of the requester VPC.
    type: str
    required: true
  requester_vpc_id:
    description: Id of the requester VPC.
    type: str
    required: true
  requester_route_table_ids:
    description: Route tables of the requester VPC to read.
    type: list
    elements: str
    default: []
  accepter_region:
    description: Region of the accepter VPC.
    type: str
    required: true
  accepter_vpc_id:
    description: Id of the accepter VPC.
    type: str
    required: true
  accepter_route_table_ids:
    description: Route tables of the accepter VPC to read.
    type: list
    elements: str
    default: []
author:
  - Payments platform engineering (@payments-platform)
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Read the peering connection and the route tables of both sides
  payments.region_migration.provision_peering_info:
    requester_region: us-east-1
    requester_vpc_id: vpc-0123
    requester_route_table_ids: [rtb-0123]
    accepter_region: eu-west-1
    accepter_vpc_id: vpc-4567
    accepter_route_table_ids: [rtb-4567]
  register: peering_read
"""

RETURN = r"""
connections:
  description: Every peering connection between the two VPCs the requester region lists (snake_case, tags as a dict).
  returned: always
  type: list
  elements: dict
connection:
  description: >-
    The active (else pending-acceptance) connection as the requester region sees it, empty when there is none.
  returned: always
  type: dict
accepter_connection:
  description: The same connection as the accepter region sees it (its tags there), empty when there is none.
  returned: always
  type: dict
requester_route_tables:
  description: The requester route tables read (as C(amazon.aws.ec2_vpc_route_table_info), with C(id)).
  returned: always
  type: list
  elements: dict
accepter_route_tables:
  description: The accepter route tables read.
  returned: always
  type: list
  elements: dict
"""

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict
from ansible_collections.payments.region_migration.plugins.module_utils._aws_client import (
    AWS_ERRORS,
    ClientCache,
)


def _snake(resource: dict, id_key: str) -> dict:
    tags = resource.pop("Tags", None) or []
    result = camel_dict_to_snake_dict(resource)
    result["tags"] = boto3_tag_list_to_ansible_dict(tags)
    result["id"] = resource.get(id_key)
    return result


def _connections(ec2, vpc_id: str, peer_vpc_id: str) -> list[dict]:
    """As ec2_vpc_peering finds them: requester -> accepter first, the other way round when there is none."""
    for requester, accepter in ((vpc_id, peer_vpc_id), (peer_vpc_id, vpc_id)):
        filters = [{"Name": "requester-vpc-info.vpc-id", "Values": [requester]},
                   {"Name": "accepter-vpc-info.vpc-id", "Values": [accepter]}]
        found = [c for page in ec2.get_paginator("describe_vpc_peering_connections").paginate(Filters=filters)
                 for c in page["VpcPeeringConnections"]]
        if found:
            return found
    return []


def _route_tables(ec2, ids: list[str]) -> list[dict]:
    if not ids:
        return []
    filters = [{"Name": "route-table-id", "Values": ids}]
    tables = [t for page in ec2.get_paginator("describe_route_tables").paginate(Filters=filters)
              for t in page["RouteTables"]]
    return [_snake(t, "RouteTableId") for t in tables]


def main():
    argument_spec = dict(
        requester_region=dict(type="str", required=True),
        requester_vpc_id=dict(type="str", required=True),
        requester_route_table_ids=dict(type="list", elements="str", default=[]),
        accepter_region=dict(type="str", required=True),
        accepter_vpc_id=dict(type="str", required=True),
        accepter_route_table_ids=dict(type="list", elements="str", default=[]),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    clients = ClientCache(module)
    requester, accepter = clients("ec2", params["requester_region"]), clients("ec2", params["accepter_region"])
    try:
        connections = [_snake(c, "VpcPeeringConnectionId")
                       for c in _connections(requester, params["requester_vpc_id"], params["accepter_vpc_id"])]
        current = next((c for state in ("active", "pending-acceptance") for c in connections
                        if (c.get("status") or {}).get("code") == state), {})
        accepter_view = {}
        if current:
            seen = accepter.describe_vpc_peering_connections(VpcPeeringConnectionIds=[current["id"]],
                                                             aws_retry=True)["VpcPeeringConnections"]
            accepter_view = _snake(seen[0], "VpcPeeringConnectionId") if seen else {}
        module.exit_json(changed=False, connections=connections, connection=current,
                         accepter_connection=accepter_view,
                         requester_route_tables=_route_tables(requester, params["requester_route_table_ids"]),
                         accepter_route_tables=_route_tables(accepter, params["accepter_route_table_ids"]))
    except AWS_ERRORS as e:
        module.fail_json_aws(e, msg="Failed to read the VPC peering connection and the route tables")


if __name__ == "__main__":
    main()
