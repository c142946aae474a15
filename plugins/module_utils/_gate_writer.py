# Copyright: Contributors to the payments.region_migration project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Writer and write-path checks of migration_gate: where the writer is, and can the app reach it.

Private to this collection. The verdicts are pure functions (unit tested); the readers only call
AWS. The write path is the one decided for this project: every region's application writes
through the Aurora global database's global writer endpoint (``GlobalCluster.Endpoint`` of
DescribeGlobalClusters, which "always points to the current writer DB cluster" - Aurora User
Guide, "Connecting to Amazon Aurora global databases"), carried in the application environment as
``DB_WRITER_ENDPOINT`` in the launch template's user data; while the writer is in the other
region its writes cross an active VPC peering connection.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from ansible_collections.payments.region_migration.plugins.module_utils import _rds_global as rds_global
from ansible_collections.payments.region_migration.plugins.module_utils._aws_client import AWS_ERRORS

WRITER_ENDPOINT_KEY = "DB_WRITER_ENDPOINT"
_ENV_LINE = re.compile(r"^\s*(?:export\s+)?DB_WRITER_ENDPOINT\s*=\s*(?P<value>.*?)\s*$", re.MULTILINE)


# ---------------------------------------------------------------------------------------------
# Pure verdicts
# ---------------------------------------------------------------------------------------------


def writer_verdict(global_cluster: dict[str, Any] | None, identifier: str,
                   expected_region: str | None) -> tuple[bool, str, dict[str, Any]]:
    """The writer must be in ``expected_region``, the global cluster available, nothing switching."""
    if global_cluster is None:
        return False, f"global cluster {identifier} not found", {"writer_region": None}
    writer = rds_global.writer_arn(global_cluster)
    region = rds_global.writer_region(global_cluster)
    state = (global_cluster.get("FailoverState") or {}).get("Status")
    values = {"writer_region": region, "writer_cluster_arn": writer, "status": global_cluster.get("Status"),
              "failover_state": state, "switchover_in_progress": bool(rds_global.failover_in_progress(global_cluster))}
    problems = []
    running = rds_global.in_progress_message(global_cluster)
    if running:
        problems.append(running)
    if writer is None:
        problems.append(f"global cluster {identifier} has no writer member")
    elif expected_region and region != expected_region:
        problems.append(f"the writer is in {region}, not in {expected_region} ({writer})")
    if global_cluster.get("Status") not in (None, "available") and not running:
        problems.append(f"global cluster {identifier} is {global_cluster.get('Status')!r}, not 'available'")
    if problems:
        return False, "; ".join(problems), values
    return True, f"writer in {region} ({writer}), global cluster available", values


def writer_endpoint_in_user_data(user_data: str | None) -> str | None:
    """The last DB_WRITER_ENDPOINT=... value of the user data (plain text), None when absent."""
    values = [m.group("value").strip("'\"") for m in _ENV_LINE.finditer(user_data or "")]
    return values[-1] if values else None


def decode_user_data(encoded: str | None) -> str:
    """Launch template user data is base64 encoded (RequestLaunchTemplateData.UserData)."""
    if not encoded:
        return ""
    try:
        return base64.b64decode(encoded).decode("utf-8", errors="replace")
    except (binascii.Error, ValueError):
        return encoded


def active_peering(peerings: list[dict[str, Any]], vpc_a: str, vpc_b: str) -> dict[str, Any] | None:
    """The active peering connection between the two VPCs (either direction), None if there is none."""
    wanted = {vpc_a, vpc_b}
    for peering in peerings:
        vpcs = {(peering.get("RequesterVpcInfo") or {}).get("VpcId"),
                (peering.get("AccepterVpcInfo") or {}).get("VpcId")}
        if vpcs == wanted and (peering.get("Status") or {}).get("Code") == "active":
            return peering
    return None


def write_path_verdict(region: str, global_cluster: dict[str, Any] | None, identifier: str,
                       app: dict[str, Any], peering: dict[str, Any] | None,
                       peering_vpc_ids: list[str] | None) -> tuple[bool, str, dict[str, Any]]:
    """Whether the application of ``region`` can write, and if not, what is missing.

    ``app`` is ``{asg_name, found, launch_template, writer_endpoint}`` as read from AWS.
    """
    endpoint = (global_cluster or {}).get("Endpoint")
    writer_reg = rds_global.writer_region(global_cluster)
    values = {"global_writer_endpoint": endpoint, "app_writer_endpoint": app.get("writer_endpoint"),
              "launch_template": app.get("launch_template"), "writer_region": writer_reg,
              "peering_connection_id": (peering or {}).get("VpcPeeringConnectionId")}
    problems = []
    if global_cluster is None:
        problems.append(f"global cluster {identifier} not found")
    elif not endpoint:
        problems.append(f"global cluster {identifier} reports no global writer endpoint (GlobalCluster.Endpoint)")
    if not app.get("found"):
        problems.append(f"Auto Scaling group {app.get('asg_name')} not found in {region}")
    elif not app.get("launch_template"):
        problems.append(f"Auto Scaling group {app.get('asg_name')} has no launch template")
    elif not app.get("writer_endpoint"):
        problems.append(f"the user data of launch template {app['launch_template']} in {region} carries no "
                        f"{WRITER_ENDPOINT_KEY}: the application has no database writer endpoint")
    elif endpoint and app["writer_endpoint"] != endpoint:
        problems.append(f"the application of {region} writes to {app['writer_endpoint']}, not to the global "
                        f"writer endpoint {endpoint}")
    if writer_reg and writer_reg != region:
        if not peering_vpc_ids:
            problems.append(f"the writer is in {writer_reg}: give peering_vpc_ids to check the path to it")
        elif peering is None:
            problems.append(f"the writer is in {writer_reg} and there is no active VPC peering connection "
                            f"between {peering_vpc_ids[0]} and {peering_vpc_ids[1]}")
    if problems:
        return False, "no write path from " + region + ": " + "; ".join(problems), values
    via = f"over peering {values['peering_connection_id']}" if writer_reg != region else "in region"
    return True, f"{region} writes to {endpoint} (writer in {writer_reg}, {via})", values


# ---------------------------------------------------------------------------------------------
# Readers
# ---------------------------------------------------------------------------------------------


def read_global_cluster(module, clients, identifier: str, region: str | None) -> dict[str, Any] | None:
    try:
        return rds_global.describe_global_cluster(clients("rds", region), identifier)
    except AWS_ERRORS as e:
        module.fail_json_aws(e, msg=f"Failed to describe global cluster {identifier}")


def read_app(module, clients, region: str, asg_name: str) -> dict[str, Any]:
    """The ASG's launch template and the DB_WRITER_ENDPOINT its user data carries."""
    app: dict[str, Any] = {"asg_name": asg_name, "found": False, "launch_template": None, "writer_endpoint": None}
    try:
        groups = clients("autoscaling", region).describe_auto_scaling_groups(
            aws_retry=True, AutoScalingGroupNames=[asg_name])["AutoScalingGroups"]
    except AWS_ERRORS as e:
        module.fail_json_aws(e, msg=f"Failed to describe Auto Scaling group {asg_name}")
    if not groups:
        return app
    app["found"] = True
    group = groups[0]
    spec = group.get("LaunchTemplate") or \
        ((group.get("MixedInstancesPolicy") or {}).get("LaunchTemplate") or {}).get("LaunchTemplateSpecification")
    if not spec:
        return app
    query: dict[str, Any] = {"Versions": [str(spec.get("Version") or "$Default")]}
    if spec.get("LaunchTemplateId"):
        query["LaunchTemplateId"] = spec["LaunchTemplateId"]
    else:
        query["LaunchTemplateName"] = spec.get("LaunchTemplateName")
    try:
        versions = clients("ec2", region).describe_launch_template_versions(aws_retry=True, **query)[
            "LaunchTemplateVersions"]
    except AWS_ERRORS as e:
        module.fail_json_aws(e, msg=f"Failed to read the launch template of {asg_name}")
    if not versions:
        return app
    version = versions[0]
    app["launch_template"] = f"{version.get('LaunchTemplateName') or version.get('LaunchTemplateId')} " \
                             f"version {version.get('VersionNumber')}"
    user_data = decode_user_data((version.get("LaunchTemplateData") or {}).get("UserData"))
    app["writer_endpoint"] = writer_endpoint_in_user_data(user_data)
    return app


def read_peerings(module, clients, region: str, vpc_ids: list[str]) -> list[dict[str, Any]]:
    try:
        paginator = clients("ec2", region).get_paginator("describe_vpc_peering_connections")
        return paginator.paginate(Filters=[{"Name": "requester-vpc-info.vpc-id", "Values": list(vpc_ids)}]) \
            .build_full_result()["VpcPeeringConnections"] + \
            paginator.paginate(Filters=[{"Name": "accepter-vpc-info.vpc-id", "Values": list(vpc_ids)}]) \
            .build_full_result()["VpcPeeringConnections"]
    except AWS_ERRORS as e:
        module.fail_json_aws(e, msg="Failed to describe VPC peering connections")


def evaluate_writer(module, clients, identifier: str, expected_region: str | None) -> dict[str, Any]:
    global_cluster = read_global_cluster(module, clients, identifier, expected_region)
    healthy, reason, values = writer_verdict(global_cluster, identifier, expected_region)
    return {"healthy": healthy, "reason": reason, "values": values}


def evaluate_write_path(module, clients, region: str, identifier: str, asg_name: str,
                        peering_vpc_ids: list[str] | None) -> dict[str, Any]:
    global_cluster = read_global_cluster(module, clients, identifier, region)
    app = read_app(module, clients, region, asg_name)
    peering = None
    writer_reg = rds_global.writer_region(global_cluster)
    if peering_vpc_ids and writer_reg and writer_reg != region:
        peering = active_peering(read_peerings(module, clients, region, peering_vpc_ids), *peering_vpc_ids[:2])
    healthy, reason, values = write_path_verdict(region, global_cluster, identifier, app, peering, peering_vpc_ids)
    return {"healthy": healthy, "reason": reason, "values": values}
