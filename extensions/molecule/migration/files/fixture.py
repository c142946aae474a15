"""Two-region payment stack for the migration scenario: the application model of CONTRACT section 2.

Used by prepare.yml instead of playbooks/baseline.yml + provision.yml (about 4 minutes) to build, in
a few seconds, what the migration playbooks and the emulator's payment workload need:

- per region: a VPC, two subnets, an internet-facing ALB whose HTTP listener forwards to the
  region's target group;
- us-east-1 (the existing stack): two instances registered in a target group whose name is NOT the
  rehearsal's tg-payment-<suffix> (the migration must find it through the ALB's listeners), their
  EC2 user data carrying the application environment block;
- eu-west-1 (what provision.yml creates): launch template lt-payment-<suffix> with the same
  environment block in its user data, Auto Scaling group asg-payment-<suffix> attached to
  tg-payment-<suffix>;
- an Aurora global database (primary us-east-1, secondary eu-west-1); the application writes
  through its global writer endpoint (GlobalCluster.Endpoint, DB_WRITER_ENDPOINT) and reads from
  its region's reader endpoint;
- an active VPC peering between the two VPCs (the cross-region write path);
- the hosted zone with the weighted alias records (us-east-1 100 / eu-west-1 0, or the eu-west-1
  share TARGET_PERCENT: a stack that starts at a later phase of the phase table);
- the eu-west-1 alarms, on the metrics and dimensions CloudWatch publishes;
- for preflight.yml: the KMS alias and an ACM certificate request (left pending: preflight must
  report it).
Idempotent enough for re-runs: existing resources are found and kept.

Usage: python fixture.py ENDPOINT_URL SUFFIX DOMAIN RECORD [TARGET_PERCENT]
"""

from __future__ import annotations

import base64
import sys

import boto3
from botocore.exceptions import ClientError

ENDPOINT = sys.argv[1]
SUFFIX = sys.argv[2] if len(sys.argv) > 2 else "rehearsal"
DOMAIN = sys.argv[3] if len(sys.argv) > 3 else f"payments-{SUFFIX}.example.com"
RECORD = sys.argv[4] if len(sys.argv) > 4 else f"api.{DOMAIN}"
TARGET_PERCENT = int(sys.argv[5]) if len(sys.argv) > 5 else 0
CIDRS = {"us-east-1": "10.0", "eu-west-1": "10.1"}
GLOBAL = f"gdb-payment-{SUFFIX}"
CLUSTER = f"aurora-payment-{SUFFIX}"
# The us-east-1 target group deliberately has a production-like name, not the rehearsal's.
TARGET_GROUP = {"us-east-1": f"payments-legacy-{SUFFIX}", "eu-west-1": f"tg-payment-{SUFFIX}"}


def client(service: str, region: str):
    return boto3.client(service, region_name=region, endpoint_url=ENDPOINT,
                        aws_access_key_id="testing", aws_secret_access_key="testing")


def database() -> dict:
    """The global database; returns the global writer endpoint and each region's reader endpoint."""
    rds = {region: client("rds", region) for region in CIDRS}
    try:
        rds["us-east-1"].describe_db_clusters(DBClusterIdentifier=CLUSTER)
    except ClientError:
        primary = rds["us-east-1"].create_db_cluster(
            DBClusterIdentifier=CLUSTER, Engine="aurora-mysql", EngineVersion="8.0.mysql_aurora.3.04.0",
            MasterUsername="admin", MasterUserPassword="password-123", DatabaseName="payments")["DBCluster"]
        rds["us-east-1"].create_global_cluster(GlobalClusterIdentifier=GLOBAL,
                                               SourceDBClusterIdentifier=primary["DBClusterArn"])
        rds["eu-west-1"].create_db_cluster(DBClusterIdentifier=CLUSTER, Engine="aurora-mysql",
                                           EngineVersion="8.0.mysql_aurora.3.04.0", GlobalClusterIdentifier=GLOBAL)
    global_cluster = next(g for g in rds["us-east-1"].describe_global_clusters()["GlobalClusters"]
                          if g["GlobalClusterIdentifier"] == GLOBAL)
    readers = {region: rds[region].describe_db_clusters(DBClusterIdentifier=CLUSTER)["DBClusters"][0]
               .get("ReaderEndpoint", "") for region in CIDRS}
    return {"writer": global_cluster.get("Endpoint", ""), "readers": readers}


def user_data(region: str, endpoints: dict) -> str:
    """The compute role's user data, reduced to the environment block the application reads."""
    environment = {"AWS_REGION": region, "DB_WRITER_ENDPOINT": endpoints["writer"],
                   "DB_READER_ENDPOINT": endpoints["readers"][region], "DB_PORT": "3306", "DB_NAME": "payments"}
    lines = "\n".join(f"{key}={value}" for key, value in sorted(environment.items()))
    return f"#!/bin/bash\ncat > /etc/payment-processor.env <<'ENVIRONMENT'\n{lines}\nENVIRONMENT\n"


def network(region: str) -> tuple[str, list[str]]:
    ec2 = client("ec2", region)
    prefix = CIDRS[region]
    vpcs = ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": [f"vpc-migration-{SUFFIX}"]}])["Vpcs"]
    if vpcs:
        vpc_id = vpcs[0]["VpcId"]
        return vpc_id, [s["SubnetId"] for s in ec2.describe_subnets(
            Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Subnets"]]
    vpc_id = ec2.create_vpc(CidrBlock=f"{prefix}.0.0/16", TagSpecifications=[
        {"ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": f"vpc-migration-{SUFFIX}"}]}])["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc_id, CidrBlock=f"{prefix}.{i}.0/24",
                                 AvailabilityZone=f"{region}{az}")["Subnet"]["SubnetId"]
               for i, az in ((0, "a"), (1, "b"))]
    return vpc_id, subnets


def region_stack(region: str, endpoints: dict) -> dict:
    ec2, elb = client("ec2", region), client("elbv2", region)
    vpc_id, subnets = network(region)
    try:
        tg_arn = elb.describe_target_groups(Names=[TARGET_GROUP[region]])["TargetGroups"][0]["TargetGroupArn"]
    except ClientError:
        tg_arn = elb.create_target_group(Name=TARGET_GROUP[region], Protocol="HTTP", Port=8080, VpcId=vpc_id,
                                         HealthCheckPath="/health")["TargetGroups"][0]["TargetGroupArn"]
    albs = [a for a in elb.describe_load_balancers()["LoadBalancers"]
            if a["LoadBalancerName"] == f"alb-payment-{SUFFIX}"]
    alb = albs[0] if albs else elb.create_load_balancer(Name=f"alb-payment-{SUFFIX}", Subnets=subnets,
                                                        Scheme="internet-facing")["LoadBalancers"][0]
    if not elb.describe_listeners(LoadBalancerArn=alb["LoadBalancerArn"])["Listeners"]:
        elb.create_listener(LoadBalancerArn=alb["LoadBalancerArn"], Protocol="HTTP", Port=80,
                            DefaultActions=[{"Type": "forward", "TargetGroupArn": tg_arn}])
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    if region == "us-east-1":
        if not elb.describe_target_health(TargetGroupArn=tg_arn)["TargetHealthDescriptions"]:
            instances = ec2.run_instances(ImageId=image, MinCount=2, MaxCount=2, InstanceType="t3.medium",
                                          SubnetId=subnets[0], UserData=user_data(region, endpoints))["Instances"]
            elb.register_targets(TargetGroupArn=tg_arn, Targets=[{"Id": i["InstanceId"]} for i in instances])
    else:
        autoscaling = client("autoscaling", region)
        name = f"asg-payment-{SUFFIX}"
        if not autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"]:
            ec2.create_launch_template(LaunchTemplateName=f"lt-payment-{SUFFIX}", LaunchTemplateData={
                "ImageId": image, "InstanceType": "t3.medium",
                "UserData": base64.b64encode(user_data(region, endpoints).encode()).decode()})
            autoscaling.create_auto_scaling_group(
                AutoScalingGroupName=name, MinSize=2, MaxSize=6, DesiredCapacity=2,
                LaunchTemplate={"LaunchTemplateName": f"lt-payment-{SUFFIX}", "Version": "$Latest"},
                VPCZoneIdentifier=",".join(subnets), TargetGroupARNs=[tg_arn])
    return {"tg": tg_arn, "alb_arn": alb["LoadBalancerArn"], "alb_dns": alb["DNSName"],
            "alb_zone": alb["CanonicalHostedZoneId"], "vpc": vpc_id, "subnets": subnets}


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
        for region, weight in (("us-east-1", 100 - TARGET_PERCENT), ("eu-west-1", TARGET_PERCENT))]
    r53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": changes})


def alarms(stacks: dict) -> None:
    """The monitoring role's two eu-west-1 alarms, on the dimensions CloudWatch publishes them with.

    Missing data is not breaching: the lag metric stops once eu-west-1 becomes the primary (issue 8
    item 4), and an alarm must not stay in ALARM only because of that. A 10 s period and one
    evaluation period (the monitoring role uses minutes) let an alarm that a fault put in ALARM
    return to OK within seconds of the fault's end, so the scenario need not wait minutes.
    """
    cw = client("cloudwatch", "eu-west-1")
    west = stacks["eu-west-1"]
    cw.put_metric_alarm(AlarmName=f"alarm-replication-lag-{SUFFIX}", Namespace="AWS/RDS",
                        MetricName="AuroraGlobalDBReplicationLag", Statistic="Maximum", Period=10,
                        EvaluationPeriods=1, Threshold=1000, ComparisonOperator="GreaterThanThreshold",
                        TreatMissingData="notBreaching",
                        Dimensions=[{"Name": "DBClusterIdentifier", "Value": CLUSTER}])
    cw.put_metric_alarm(AlarmName=f"alarm-healthy-hosts-{SUFFIX}", Namespace="AWS/ApplicationELB",
                        MetricName="HealthyHostCount", Statistic="Minimum", Period=10, EvaluationPeriods=1,
                        Threshold=2, ComparisonOperator="LessThanThreshold", TreatMissingData="notBreaching",
                        Dimensions=[{"Name": "TargetGroup", "Value": west["tg"].split(":")[-1]},
                                    {"Name": "LoadBalancer", "Value": west["alb_arn"].split(":loadbalancer/")[-1]}])
    for name in (f"alarm-replication-lag-{SUFFIX}", f"alarm-healthy-hosts-{SUFFIX}"):
        cw.set_alarm_state(AlarmName=name, StateValue="OK", StateReason="fixture")


def readiness(stacks: dict) -> None:
    """The cross-region write path (VPC peering) and what preflight.yml checks: KMS key, certificate."""
    east, west = client("ec2", "us-east-1"), client("ec2", "eu-west-1")
    # This stack's peering only (another stack on the same emulator has its own VPCs and peering).
    if not any(p["RequesterVpcInfo"].get("VpcId") == stacks["us-east-1"]["vpc"]
               and p["AccepterVpcInfo"].get("VpcId") == stacks["eu-west-1"]["vpc"]
               for p in west.describe_vpc_peering_connections()["VpcPeeringConnections"]):
        pcx = east.create_vpc_peering_connection(VpcId=stacks["us-east-1"]["vpc"], PeerVpcId=stacks["eu-west-1"]["vpc"],
                                                 PeerRegion="eu-west-1")["VpcPeeringConnection"]
        west.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx["VpcPeeringConnectionId"])
    kms = client("kms", "eu-west-1")
    alias = f"alias/kms-migration-{SUFFIX}"
    if not any(a["AliasName"] == alias for a in kms.list_aliases()["Aliases"]):
        kms.create_alias(AliasName=alias, TargetKeyId=kms.create_key()["KeyMetadata"]["KeyId"])
    acm = client("acm", "eu-west-1")
    if not any(c.get("DomainName") == RECORD for c in acm.list_certificates()["CertificateSummaryList"]):
        arn = acm.request_certificate(DomainName=RECORD, ValidationMethod="DNS")["CertificateArn"]
        # ACM (and the emulator) issues it once its validation CNAME is in the zone, as the loadbalancer role writes it
        r53 = client("route53", "us-east-1")
        zone_id = [z["Id"] for z in r53.list_hosted_zones()["HostedZones"] if z["Name"] == DOMAIN + "."][0]
        records = [o["ResourceRecord"] for o in acm.describe_certificate(CertificateArn=arn)["Certificate"][
            "DomainValidationOptions"]]
        r53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": [
            {"Action": "UPSERT", "ResourceRecordSet": {"Name": r["Name"], "Type": "CNAME", "TTL": 300,
                                                       "ResourceRecords": [{"Value": r["Value"]}]}}
            for r in records]})


def main() -> None:
    endpoints = database()
    stacks = {region: region_stack(region, endpoints) for region in CIDRS}
    dns(stacks)
    alarms(stacks)
    readiness(stacks)
    print(f"fixture ready: {DOMAIN} {RECORD} {GLOBAL} {CLUSTER} writer endpoint {endpoints['writer'] or 'MISSING'}")


if __name__ == "__main__":
    main()
