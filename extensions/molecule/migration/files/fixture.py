"""Minimal two-region stack for the migration scenario, by the names the provisioning roles give.

Used by prepare.yml when playbooks/baseline.yml (the rehearsal us-east-1 stack) is not there to
build the real thing. Creates, per region: VPC, subnet, two running instances registered in
tg-payment-<suffix>, an ALB; an Aurora global database (primary us-east-1, secondary eu-west-1);
the hosted zone with the weighted alias records (us-east-1 100 / eu-west-1 0); the eu-west-1 alarms;
and for preflight.yml: the KMS alias, an active VPC peering, the Auto Scaling group and an ACM
certificate request (left pending validation: preflight must report it).
Idempotent enough for re-runs: existing resources are found and kept.

Usage: python fixture.py ENDPOINT_URL [SUFFIX] [DOMAIN] [RECORD]
"""

from __future__ import annotations

import sys

import boto3
from botocore.exceptions import ClientError

ENDPOINT = sys.argv[1]
SUFFIX = sys.argv[2] if len(sys.argv) > 2 else "rehearsal"
DOMAIN = sys.argv[3] if len(sys.argv) > 3 else f"payments-{SUFFIX}.example.com"
RECORD = sys.argv[4] if len(sys.argv) > 4 else f"api.{DOMAIN}"
CIDRS = {"us-east-1": "10.0", "eu-west-1": "10.1"}
GLOBAL = f"gdb-payment-{SUFFIX}"
CLUSTER = f"aurora-payment-{SUFFIX}"


def client(service: str, region: str):
    return boto3.client(service, region_name=region, endpoint_url=ENDPOINT,
                        aws_access_key_id="testing", aws_secret_access_key="testing")


def region_stack(region: str) -> dict:
    ec2, elb = client("ec2", region), client("elbv2", region)
    prefix = CIDRS[region]
    vpcs = ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": [f"vpc-migration-{SUFFIX}"]}])["Vpcs"]
    if vpcs:
        vpc_id = vpcs[0]["VpcId"]
        subnets = [s["SubnetId"] for s in ec2.describe_subnets(
            Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Subnets"]]
    else:
        vpc_id = ec2.create_vpc(CidrBlock=f"{prefix}.0.0/16", TagSpecifications=[
            {"ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": f"vpc-migration-{SUFFIX}"}]}])["Vpc"]["VpcId"]
        subnets = [ec2.create_subnet(VpcId=vpc_id, CidrBlock=f"{prefix}.{i}.0/24",
                                     AvailabilityZone=f"{region}{az}")["Subnet"]["SubnetId"]
                   for i, az in ((0, "a"), (1, "b"))]
    name = f"tg-payment-{SUFFIX}"
    try:
        tg_arn = elb.describe_target_groups(Names=[name])["TargetGroups"][0]["TargetGroupArn"]
    except ClientError:
        tg_arn = elb.create_target_group(Name=name, Protocol="HTTPS", Port=443, VpcId=vpc_id,
                                         HealthCheckPath="/health")["TargetGroups"][0]["TargetGroupArn"]
    if not elb.describe_target_health(TargetGroupArn=tg_arn)["TargetHealthDescriptions"]:
        image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
        instances = ec2.run_instances(ImageId=image, MinCount=2, MaxCount=2, InstanceType="t3.medium",
                                      SubnetId=subnets[0])["Instances"]
        elb.register_targets(TargetGroupArn=tg_arn, Targets=[{"Id": i["InstanceId"]} for i in instances])
    albs = [a for a in elb.describe_load_balancers()["LoadBalancers"]
            if a["LoadBalancerName"] == f"alb-payment-{SUFFIX}"]
    alb = albs[0] if albs else elb.create_load_balancer(Name=f"alb-payment-{SUFFIX}", Subnets=subnets,
                                                        Scheme="internet-facing")["LoadBalancers"][0]
    return {"tg": tg_arn, "alb_dns": alb["DNSName"], "alb_zone": alb["CanonicalHostedZoneId"], "vpc": vpc_id,
            "subnets": subnets}


def database() -> None:
    rds_east, rds_west = client("rds", "us-east-1"), client("rds", "eu-west-1")
    try:
        rds_east.describe_global_clusters(GlobalClusterIdentifier=GLOBAL)
        return
    except ClientError:
        pass
    primary = rds_east.create_db_cluster(DBClusterIdentifier=CLUSTER, Engine="aurora-mysql",
                                         EngineVersion="8.0.mysql_aurora.3.04.0", MasterUsername="admin",
                                         MasterUserPassword="password-123")["DBCluster"]
    rds_east.create_global_cluster(GlobalClusterIdentifier=GLOBAL, SourceDBClusterIdentifier=primary["DBClusterArn"])
    rds_west.create_db_cluster(DBClusterIdentifier=CLUSTER, Engine="aurora-mysql",
                               EngineVersion="8.0.mysql_aurora.3.04.0", GlobalClusterIdentifier=GLOBAL)


def dns(stacks: dict) -> None:
    r53 = client("route53", "us-east-1")
    zones = [z for z in r53.list_hosted_zones()["HostedZones"] if z["Name"] == DOMAIN + "."]
    zone_id = (zones[0]["Id"] if zones
               else r53.create_hosted_zone(Name=DOMAIN, CallerReference=SUFFIX)["HostedZone"]["Id"])
    existing = r53.list_resource_record_sets(HostedZoneId=zone_id)["ResourceRecordSets"]
    if any(r["Name"] == RECORD + "." and r.get("SetIdentifier") for r in existing):
        return
    changes = [{"Action": "UPSERT", "ResourceRecordSet": {
        "Name": RECORD, "Type": "A", "SetIdentifier": region, "Weight": weight,
        "AliasTarget": {"HostedZoneId": stacks[region]["alb_zone"], "DNSName": stacks[region]["alb_dns"],
                        "EvaluateTargetHealth": True}}}
        for region, weight in (("us-east-1", 100), ("eu-west-1", 0))]
    r53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": changes})


def alarms(stacks: dict) -> None:
    cw = client("cloudwatch", "eu-west-1")
    cw.put_metric_alarm(AlarmName=f"alarm-replication-lag-{SUFFIX}", Namespace="AWS/RDS",
                        MetricName="AuroraGlobalDBReplicationLag", Statistic="Maximum", Period=60,
                        EvaluationPeriods=2, Threshold=1000, ComparisonOperator="GreaterThanThreshold",
                        Dimensions=[{"Name": "DBClusterIdentifier", "Value": CLUSTER}])
    cw.put_metric_alarm(AlarmName=f"alarm-healthy-hosts-{SUFFIX}", Namespace="AWS/ApplicationELB",
                        MetricName="HealthyHostCount", Statistic="Minimum", Period=60, EvaluationPeriods=2,
                        Threshold=2, ComparisonOperator="LessThanThreshold",
                        Dimensions=[{"Name": "TargetGroup", "Value": stacks["eu-west-1"]["tg"].split(":")[-1]}])
    for name in (f"alarm-replication-lag-{SUFFIX}", f"alarm-healthy-hosts-{SUFFIX}"):
        cw.set_alarm_state(AlarmName=name, StateValue="OK", StateReason="fixture")


def readiness(stacks: dict) -> None:
    """What preflight.yml checks besides traffic: KMS key, VPC peering, Auto Scaling group, certificate."""
    kms = client("kms", "eu-west-1")
    alias = f"alias/kms-migration-{SUFFIX}"
    if not any(a["AliasName"] == alias for a in kms.list_aliases()["Aliases"]):
        kms.create_alias(AliasName=alias, TargetKeyId=kms.create_key()["KeyMetadata"]["KeyId"])
    east, west = client("ec2", "us-east-1"), client("ec2", "eu-west-1")
    if not west.describe_vpc_peering_connections()["VpcPeeringConnections"]:
        pcx = east.create_vpc_peering_connection(VpcId=stacks["us-east-1"]["vpc"], PeerVpcId=stacks["eu-west-1"]["vpc"],
                                                 PeerRegion="eu-west-1")["VpcPeeringConnection"]
        west.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx["VpcPeeringConnectionId"])
    asg = client("autoscaling", "eu-west-1")
    name = f"asg-payment-{SUFFIX}"
    if not asg.describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"]:
        image = west.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
        west.create_launch_template(LaunchTemplateName=f"lt-payment-{SUFFIX}",
                                    LaunchTemplateData={"ImageId": image, "InstanceType": "t3.medium"})
        asg.create_auto_scaling_group(AutoScalingGroupName=name, MinSize=2, MaxSize=6, DesiredCapacity=2,
                                      LaunchTemplate={"LaunchTemplateName": f"lt-payment-{SUFFIX}"},
                                      VPCZoneIdentifier=",".join(stacks["eu-west-1"]["subnets"]))
    acm = client("acm", "eu-west-1")
    if not acm.list_certificates()["CertificateSummaryList"]:
        acm.request_certificate(DomainName=RECORD, ValidationMethod="DNS")


def main() -> None:
    stacks = {region: region_stack(region) for region in CIDRS}
    database()
    dns(stacks)
    alarms(stacks)
    readiness(stacks)
    print(f"fixture ready: {DOMAIN} {RECORD} {GLOBAL} {CLUSTER}")


if __name__ == "__main__":
    main()
