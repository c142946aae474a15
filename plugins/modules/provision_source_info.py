#!/usr/bin/python
# Copyright: Contributors to the payments.region_migration project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: provision_source_info
version_added: 1.1.0
short_description: Read the existing source-region stack that provisioning checks, in one call
description:
  - The reads C(provision.yml) checks the source (us-east-1) stack with before any change, in one process instead of
    seven module runs (issue 14) - the VPC, its named route tables, the Aurora primary cluster, the Aurora global
    databases, the load balancers, the public hosted zone and the record sets of the payment API name.
  - Each result has the shape of the amazon.aws info module that reads it (snake_case keys, tags as a dict; the
    hosted zones as C(route53_info) returns them), so that the play's checks
    (C(plugins/filter/provision_checks.py)) read them alike.
  - The route tables are read only when exactly one VPC matches, the record sets only when exactly one public hosted
    zone matches; otherwise they are empty and the play's checks report the VPC or the zone.
  - Only reads; never changes anything, also outside check mode.
options:
  vpc_id:
    description: Id of the VPC. Without it, the VPCs whose Name tag is O(vpc_name).
    type: str
  vpc_name:
    description: Name tag of the VPC (when O(vpc_id) is not given).
    type: str
  route_table_ids:
    description: Ids of route tables of the VPC to read. Without them, O(route_table_names).
    type: list
    elements: str
    default: []
  route_table_names:
    description: Name tags of route tables of the VPC to read.
    type: list
    elements: str
    default: []
  cluster_identifier:
    description: Identifier of the Aurora primary cluster.
    type: str
    required: true
  hosted_zone_name:
    description: Name of the public hosted zone.
    type: str
    required: true
  hosted_zone_id:
    description: Id of the hosted zone, to pick one of several public zones of that name.
    type: str
  record_name:
    description: Name whose record sets to read (the first 20 from that name, all types).
    type: str
    required: true
author:
  - Payments platform engineering (@payments-platform)
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Read the us-east-1 stack
  payments.region_migration.provision_source_info:
    region: us-east-1
    vpc_name: vpc-payments
    route_table_names: [rtb-public, rtb-private-a]
    cluster_identifier: aurora-payments
    hosted_zone_name: payments.example.com
    record_name: api.payments.example.com
  register: source
"""

RETURN = r"""
vpcs:
  description: The matching VPCs (as C(amazon.aws.ec2_vpc_net_info) returns them, with C(id)).
  returned: always
  type: list
  elements: dict
route_tables:
  description: The matching route tables of the VPC (as C(amazon.aws.ec2_vpc_route_table_info), with C(id)).
  returned: always
  type: list
  elements: dict
clusters:
  description: The Aurora cluster O(cluster_identifier), empty when missing (as C(amazon.aws.rds_cluster_info)).
  returned: always
  type: list
  elements: dict
global_clusters:
  description: The Aurora global databases of the region (as C(amazon.aws.rds_global_cluster_info)).
  returned: always
  type: list
  elements: dict
load_balancers:
  description: The load balancers of the region (DescribeLoadBalancers, snake_case).
  returned: always
  type: list
  elements: dict
HostedZones:
  description: The hosted zones listed from O(hosted_zone_name) (ListHostedZonesByName, as C(amazon.aws.route53_info)).
  returned: always
  type: list
  elements: dict
resource_record_sets:
  description: The first 20 record sets from O(record_name) in the selected zone (snake_case), empty without one.
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
    is_boto3_error_code,
)


def _snake(resource: dict, tag_key: str = "Tags") -> dict:
    tags = resource.pop(tag_key, None)
    result = camel_dict_to_snake_dict(resource)
    if tags is not None:
        result["tags"] = boto3_tag_list_to_ansible_dict(tags)
    return result


def _pages(client, operation: str, key: str, **params) -> list:
    return [item for page in client.get_paginator(operation).paginate(**params) for item in page[key]]


def _network(clients, params) -> tuple[list, list]:
    ec2 = clients("ec2")
    if params["vpc_id"]:
        vpc_params = {"VpcIds": [params["vpc_id"]]}
    else:
        vpc_params = {"Filters": [{"Name": "tag:Name", "Values": [params["vpc_name"] or ""]}]}
    try:
        vpcs = _pages(ec2, "describe_vpcs", "Vpcs", **vpc_params)
    except is_boto3_error_code("InvalidVpcID.NotFound"):
        vpcs = []
    vpcs = [dict(_snake(v), id=v["VpcId"]) for v in vpcs]
    if len(vpcs) != 1:
        return vpcs, []
    filters = [{"Name": "vpc-id", "Values": [vpcs[0]["id"]]}]
    if params["route_table_ids"]:
        filters.append({"Name": "route-table-id", "Values": params["route_table_ids"]})
    else:
        filters.append({"Name": "tag:Name", "Values": params["route_table_names"]})
    tables = _pages(ec2, "describe_route_tables", "RouteTables", Filters=filters)
    return vpcs, [dict(_snake(t), id=t["RouteTableId"]) for t in tables]


def _database(clients, identifier: str) -> tuple[list, list]:
    rds = clients("rds")
    try:
        clusters = _pages(rds, "describe_db_clusters", "DBClusters", DBClusterIdentifier=identifier)
    except is_boto3_error_code("DBClusterNotFoundFault"):
        clusters = []
    result = []
    for cluster in clusters:
        tags = rds.list_tags_for_resource(ResourceName=cluster["DBClusterArn"], aws_retry=True)["TagList"]
        snake = camel_dict_to_snake_dict(cluster)
        snake["tags"] = boto3_tag_list_to_ansible_dict(tags)
        result.append(snake)
    globals_ = _pages(rds, "describe_global_clusters", "GlobalClusters")
    return result, [camel_dict_to_snake_dict(g, ignore_list=["Tags"]) for g in globals_]


def _zone_ids(zones: list[dict], name: str, zone_id: str | None) -> list[str]:
    """The public zones named ``name`` (and of id ``zone_id`` when given): what provision.yml selects."""
    wanted = name.lower().rstrip(".") + "."
    ids = [z["Id"].replace("/hostedzone/", "") for z in zones
           if z.get("Name") == wanted and not (z.get("Config") or {}).get("PrivateZone")]
    return [i for i in ids if i == zone_id.replace("/hostedzone/", "")] if zone_id else ids


def _dns(clients, params) -> tuple[list, list]:
    route53 = clients("route53")
    zones = route53.list_hosted_zones_by_name(DNSName=params["hosted_zone_name"], MaxItems="10",
                                              aws_retry=True)["HostedZones"]
    ids = _zone_ids(zones, params["hosted_zone_name"], params["hosted_zone_id"])
    if len(ids) != 1:
        return zones, []
    records = route53.list_resource_record_sets(HostedZoneId=ids[0], StartRecordName=params["record_name"],
                                                MaxItems="20", aws_retry=True)["ResourceRecordSets"]
    return zones, [camel_dict_to_snake_dict(r) for r in records]


def main():
    argument_spec = dict(
        vpc_id=dict(type="str"),
        vpc_name=dict(type="str"),
        route_table_ids=dict(type="list", elements="str", default=[]),
        route_table_names=dict(type="list", elements="str", default=[]),
        cluster_identifier=dict(type="str", required=True),
        hosted_zone_name=dict(type="str", required=True),
        hosted_zone_id=dict(type="str"),
        record_name=dict(type="str", required=True),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True,
                              required_one_of=[["vpc_id", "vpc_name"]])
    clients = ClientCache(module)
    try:
        vpcs, route_tables = _network(clients, module.params)
        clusters, global_clusters = _database(clients, module.params["cluster_identifier"])
        load_balancers = [camel_dict_to_snake_dict(lb) for lb in
                          _pages(clients("elbv2"), "describe_load_balancers", "LoadBalancers")]
        zones, records = _dns(clients, module.params)
    except AWS_ERRORS as e:
        module.fail_json_aws(e, msg="Failed to read the source stack")
    module.exit_json(changed=False, vpcs=vpcs, route_tables=route_tables, clusters=clusters,
                     global_clusters=global_clusters, load_balancers=load_balancers, HostedZones=zones,
                     resource_record_sets=records)


if __name__ == "__main__":
    main()
