"""A small two-region payment stack built with boto3, for the data plane's tests.

us-east-1 (VPC 10.0.0.0/16) and eu-west-1 (VPC 10.1.0.0/16) peered; an Aurora MySQL global
database (primary us-east-1, secondary eu-west-1); in each region an ALB -> target group -> one
instance whose user data writes the /etc/payment-processor.env block; weighted alias records
api.pay.example.com (SetIdentifier = region) in the zone pay.example.com.
"""

from __future__ import annotations

import base64

ZONE = "pay.example.com"
RECORD = "api.pay.example.com"
REGIONS = {"us-east-1": "10.0", "eu-west-1": "10.1"}
ENGINE, VERSION = "aurora-mysql", "8.0.mysql_aurora.3.05.2"
SHORT = {"us-east-1": "use1", "eu-west-1": "euw1"}


def user_data(endpoint: str | None, region: str) -> str:
    lines = ["PORT=8080", f"AWS_REGION={region}"]
    if endpoint:
        lines.append(f"DB_WRITER_ENDPOINT={endpoint}")
    env = "\n".join(lines)
    return (f"#!/bin/bash\nset -euo pipefail\ncat > /etc/payment-processor.env <<'ENVIRONMENT'\n{env}\n"
            "ENVIRONMENT\nchmod 0600 /etc/payment-processor.env\n")


def build(aws, writer_endpoints: dict[str, str] | None = None, weights: dict[str, int] | None = None,
          peering: bool = True) -> dict:
    """The stack; writer_endpoints: region -> "global" (default) | "local" | "none" | an endpoint name."""
    writer_endpoints = writer_endpoints or {}
    weights = weights or {"us-east-1": 100, "eu-west-1": 0}
    stack: dict = {"regions": {}}
    for region, prefix in REGIONS.items():
        ec2 = aws("ec2", region)
        vpc = ec2.create_vpc(CidrBlock=f"{prefix}.0.0/16")["Vpc"]["VpcId"]
        subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"{prefix}.{i}.0/24", AvailabilityZone=f"{region}{az}")[
            "Subnet"]["SubnetId"] for i, az in ((1, "a"), (2, "b"))]
        aws("rds", region).create_db_subnet_group(DBSubnetGroupName=f"db-{SHORT[region]}",
                                                  DBSubnetGroupDescription="payments", SubnetIds=subnets)
        stack["regions"][region] = {"vpc": vpc, "subnets": subnets}
    if peering:
        east, west = stack["regions"]["us-east-1"], stack["regions"]["eu-west-1"]
        pcx = aws("ec2", "us-east-1").create_vpc_peering_connection(
            VpcId=east["vpc"], PeerVpcId=west["vpc"], PeerRegion="eu-west-1")["VpcPeeringConnection"][
            "VpcPeeringConnectionId"]
        aws("ec2", "eu-west-1").accept_vpc_peering_connection(VpcPeeringConnectionId=pcx)
        stack["peering"] = pcx
    rds_east, rds_west = aws("rds", "us-east-1"), aws("rds", "eu-west-1")
    primary = rds_east.create_db_cluster(
        DBClusterIdentifier="aurora-use1", Engine=ENGINE, EngineVersion=VERSION, MasterUsername="admin",
        MasterUserPassword="not-a-real-password", DBSubnetGroupName="db-use1")["DBCluster"]
    global_cluster = rds_east.create_global_cluster(GlobalClusterIdentifier="gdb-pay",
                                                    SourceDBClusterIdentifier=primary["DBClusterArn"])["GlobalCluster"]
    secondary = rds_west.create_db_cluster(
        DBClusterIdentifier="aurora-euw1", Engine=ENGINE, EngineVersion=VERSION, GlobalClusterIdentifier="gdb-pay",
        DBSubnetGroupName="db-euw1")["DBCluster"]
    stack.update(primary=primary, secondary=secondary, global_endpoint=global_cluster["Endpoint"])
    clusters = {"us-east-1": primary, "eu-west-1": secondary}
    zone_id = aws("route53", "us-east-1").create_hosted_zone(Name=ZONE, CallerReference="pay")["HostedZone"]["Id"]
    stack["zone_id"] = zone_id
    for region, resources in stack["regions"].items():
        choice = writer_endpoints.get(region, "global")
        endpoint = {"global": stack["global_endpoint"], "local": clusters[region]["Endpoint"],
                    "none": None}.get(choice, choice)
        ec2, elb = aws("ec2", region), aws("elbv2", region)
        instance = ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1, SubnetId=resources["subnets"][0],
                                     UserData=user_data(endpoint, region))["Instances"][0]["InstanceId"]
        lb = elb.create_load_balancer(Name=f"alb-{SHORT[region]}", Subnets=resources["subnets"],
                                      Type="application")["LoadBalancers"][0]
        tg = elb.create_target_group(Name=f"tg-{SHORT[region]}", Protocol="HTTP", Port=8080, VpcId=resources["vpc"],
                                     TargetType="instance")["TargetGroups"][0]["TargetGroupArn"]
        elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=80,
                            DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}])
        elb.register_targets(TargetGroupArn=tg, Targets=[{"Id": instance}])
        resources.update(instance=instance, lb_arn=lb["LoadBalancerArn"], lb_dns=lb["DNSName"],
                         lb_zone=lb["CanonicalHostedZoneId"], tg=tg,
                         lb_dimension=lb["LoadBalancerArn"].split(":loadbalancer/")[1])
    set_weights(aws, stack, weights)
    return stack


def set_weights(aws, stack: dict, weights: dict[str, int]) -> None:
    changes = []
    for region, weight in weights.items():
        resources = stack["regions"][region]
        changes.append({"Action": "UPSERT", "ResourceRecordSet": {
            "Name": RECORD, "Type": "A", "SetIdentifier": region, "Weight": weight,
            "AliasTarget": {"HostedZoneId": resources["lb_zone"], "DNSName": resources["lb_dns"],
                            "EvaluateTargetHealth": True}}})
    aws("route53", "us-east-1").change_resource_record_sets(HostedZoneId=stack["zone_id"],
                                                           ChangeBatch={"Changes": changes})


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()
