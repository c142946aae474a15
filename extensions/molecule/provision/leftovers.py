#!/usr/bin/env python3
"""What teardown.yml left of the eu-west-1 stack, and what it kept of the us-east-1 side, as one JSON object.

Usage: leftovers.py '<JSON: target, source, suffix, tags, domain, record, global_cluster, source_vpc_name,
                     source_cluster, target_cidr>'
One process reads every resource type with boto3 (the scenario's teardown check used to run one *_info
module per type, about a second each). Prints {"left": {type: [ids]}, "kept": {...}}: "left" lists what
of the stack is still there, each type read the way the *_info reads did (whole region where they read the
whole region, by the stack's tags where they filtered by tags).
Connection: AWS_ENDPOINT_URL / AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY from the environment.
"""

from __future__ import annotations

import json
import os
import sys

import boto3


def _client(service: str, region: str):
    return boto3.client(service, region_name=region, endpoint_url=os.environ.get("AWS_ENDPOINT_URL") or None)


def left_behind(want: dict) -> dict:
    """Per resource type, the identifiers of what of the stack is left (every list is empty after a teardown)."""
    target, source = want["target"], want["source"]
    tag_filters = [{"Name": f"tag:{key}", "Values": [value]} for key, value in want["tags"].items()]
    ec2, ec2_source = _client("ec2", target), _client("ec2", source)
    rds, elbv2 = _client("rds", target), _client("elbv2", target)
    kms, cloudwatch = _client("kms", target), _client("cloudwatch", target)
    keys = []
    for key in kms.list_keys()["Keys"]:
        metadata = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
        if metadata["KeyState"] in ("PendingDeletion", "PendingReplicaDeletion"):
            continue
        tags = {t["TagKey"]: t["TagValue"] for t in kms.list_resource_tags(KeyId=key["KeyId"]).get("Tags", [])}
        if all(tags.get(k) == v for k, v in want["tags"].items()):
            keys.append(key["KeyId"])
    alarm = f"alarm-replication-lag-{want['suffix']}"
    return {
        "vpcs": [v["VpcId"] for v in ec2.describe_vpcs(Filters=tag_filters)["Vpcs"]],
        "subnets": [s["SubnetId"] for s in ec2.describe_subnets(Filters=tag_filters)["Subnets"]],
        "nat_gateways": [n["NatGatewayId"] for n in ec2.describe_nat_gateways(
            Filters=[{"Name": "state", "Values": ["pending", "available", "deleting"]}])["NatGateways"]],
        "elastic_ips": [a["PublicIp"] for a in ec2.describe_addresses()["Addresses"]],
        "security_groups": [g["GroupId"] for g in ec2.describe_security_groups(Filters=tag_filters)["SecurityGroups"]],
        "peerings": [p["VpcPeeringConnectionId"] for p in ec2.describe_vpc_peering_connections(
            Filters=[{"Name": "status-code", "Values": ["pending-acceptance", "provisioning", "active"]}]
        )["VpcPeeringConnections"] if p["Status"]["Code"] not in ("deleted", "deleting")],
        "source_routes_to_target": [
            table["RouteTableId"] for table in ec2_source.describe_route_tables()["RouteTables"]
            if any(route.get("DestinationCidrBlock") == want["target_cidr"] for route in table["Routes"])],
        "auto_scaling_groups": [g["AutoScalingGroupName"] for g in
                                _client("autoscaling", target).describe_auto_scaling_groups()["AutoScalingGroups"]],
        "launch_templates": [t["LaunchTemplateName"] for t in ec2.describe_launch_templates()["LaunchTemplates"]],
        "load_balancers": [b["LoadBalancerName"] for b in elbv2.describe_load_balancers()["LoadBalancers"]],
        "target_groups": [g["TargetGroupName"] for g in elbv2.describe_target_groups()["TargetGroups"]],
        "certificates": [c["CertificateArn"] for c in
                         _client("acm", target).list_certificates()["CertificateSummaryList"]],
        "db_clusters": [c["DBClusterIdentifier"] for c in rds.describe_db_clusters()["DBClusters"]],
        "db_instances": [i["DBInstanceIdentifier"] for i in rds.describe_db_instances()["DBInstances"]],
        "cluster_parameter_groups": [g["DBClusterParameterGroupName"] for g in
                                     rds.describe_db_cluster_parameter_groups()["DBClusterParameterGroups"]
                                     if g["DBClusterParameterGroupName"] == f"cpg-payment-{want['suffix']}"],
        "alarms": [a["AlarmName"] for a in cloudwatch.describe_alarms()["MetricAlarms"]],
        "source_alarms": [a["AlarmName"] for a in
                          _client("cloudwatch", source).describe_alarms(AlarmNames=[alarm])["MetricAlarms"]],
        "kms_keys": keys,
        "iam_roles": [r["RoleName"] for page in _client("iam", target).get_paginator("list_roles").paginate()
                      for r in page["Roles"] if r["RoleName"].endswith(want["suffix"])],
    }


def kept(want: dict) -> dict:
    """What stays: the weighted record sets of the name, the global database's members, the us-east-1 baseline."""
    source = want["source"]
    route53 = _client("route53", source)
    zone_name = want["domain"].rstrip(".") + "."
    zones = [z for z in route53.list_hosted_zones_by_name(DNSName=zone_name, MaxItems="10")["HostedZones"]
             if z["Name"] == zone_name and not z.get("Config", {}).get("PrivateZone")]
    record = want["record"].rstrip(".") + "."
    records = []
    if zones:
        records = [{"set_identifier": r.get("SetIdentifier"), "weight": r.get("Weight"), "type": r["Type"]}
                   for r in route53.list_resource_record_sets(HostedZoneId=zones[0]["Id"], StartRecordName=record,
                                                              MaxItems="10")["ResourceRecordSets"]
                   if r["Name"] == record]
    rds = _client("rds", source)
    members = [m["DBClusterArn"] for g in rds.describe_global_clusters()["GlobalClusters"]
               if g["GlobalClusterIdentifier"] == want["global_cluster"] for m in g.get("GlobalClusterMembers", [])]
    clusters = [c["Status"] for c in rds.describe_db_clusters()["DBClusters"]
                if c["DBClusterIdentifier"] == want["source_cluster"]]
    vpcs = _client("ec2", source).describe_vpcs(
        Filters=[{"Name": "tag:Name", "Values": [want["source_vpc_name"]]}])["Vpcs"]
    return {"records": records, "global_members": members, "source_cluster_statuses": clusters,
            "source_vpcs": [v["VpcId"] for v in vpcs]}


if __name__ == "__main__":
    wanted = json.loads(sys.argv[1])
    json.dump({"left": left_behind(wanted), "kept": kept(wanted)}, sys.stdout, default=str)
