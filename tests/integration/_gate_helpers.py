"""Set-up shared by the integration tests of migration_gate and migration_status_info.

A global database (aurora-mysql primary in us-east-1, secondary in eu-west-1) with lag datapoints,
and an ALB with an IP target group and alarms in eu-west-1, all built with boto3.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from ansible_collections.payments.region_migration.plugins.module_utils import _gate_traffic

ENGINE_VERSION = "8.0.mysql_aurora.3.05.2"
RPO = "AuroraGlobalDBRPOLag"
REGION = "eu-west-1"
_names = itertools.count(1)


@dataclass
class GlobalDB:
    identifier: str
    primary_arn: str
    secondary_id: str
    secondary_arn: str


def create_global_db(aws, engine_version: str = ENGINE_VERSION) -> GlobalDB:
    n = next(_names)
    identifier, primary, secondary = f"gdb-lag-{n}", f"aurora-lag-use1-{n}", f"aurora-lag-euw1-{n}"
    primary_arn = aws("rds", "us-east-1").create_db_cluster(
        DBClusterIdentifier=primary, Engine="aurora-mysql", EngineVersion=engine_version,
        MasterUsername="admin", MasterUserPassword="not-a-real-password-1")["DBCluster"]["DBClusterArn"]
    aws("rds", "us-east-1").create_global_cluster(GlobalClusterIdentifier=identifier,
                                                  SourceDBClusterIdentifier=primary_arn)
    secondary_arn = aws("rds", "eu-west-1").create_db_cluster(
        DBClusterIdentifier=secondary, Engine="aurora-mysql", EngineVersion=engine_version,
        GlobalClusterIdentifier=identifier)["DBCluster"]["DBClusterArn"]
    return GlobalDB(identifier, primary_arn, secondary, secondary_arn)


def put_lag(aws, cluster_id: str, points: list[tuple[float, float]], metric: str = RPO) -> None:
    """Datapoints ``(seconds before now, value ms)`` with both dimension sets the lag is published with."""
    now = datetime.now(UTC)
    data = []
    for ago, value in points:
        for dims in ([{"Name": "DBClusterIdentifier", "Value": cluster_id}],
                     [{"Name": "DBClusterIdentifier", "Value": cluster_id},
                      {"Name": "SourceRegion", "Value": "us-east-1"}]):
            data.append({"MetricName": metric, "Dimensions": dims, "Value": value, "Unit": "Milliseconds",
                         "Timestamp": now - timedelta(seconds=ago)})
    aws("cloudwatch", "eu-west-1").put_metric_data(Namespace="AWS/RDS", MetricData=data)


def members(aws, identifier: str) -> list[tuple[str, bool]]:
    clusters = aws("rds", "us-east-1").describe_global_clusters(GlobalClusterIdentifier=identifier)["GlobalClusters"]
    [cluster] = [c for c in clusters if c["GlobalClusterIdentifier"] == identifier]
    return sorted((m["DBClusterArn"], m["IsWriter"]) for m in cluster["GlobalClusterMembers"])


@dataclass
class Stack:
    load_balancer_arn: str
    load_balancer_dimension: str
    target_group_arn: str
    alarm_names: list[str]


def build_stack(aws, targets: int = 2) -> Stack:
    ec2, elbv2, cloudwatch = aws("ec2", REGION), aws("elbv2", REGION), aws("cloudwatch", REGION)
    vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.1.{i}.0/24", AvailabilityZone=f"{REGION}{az}")["Subnet"]
               ["SubnetId"] for i, az in enumerate("ab")]
    lb = elbv2.create_load_balancer(Name="alb-payment-gate", Subnets=subnets, Type="application",
                                    Scheme="internet-facing")["LoadBalancers"][0]["LoadBalancerArn"]
    tg = elbv2.create_target_group(Name="tg-payment-gate", Protocol="HTTPS", Port=443, VpcId=vpc,
                                   TargetType="ip", HealthCheckPath="/health")["TargetGroups"][0]["TargetGroupArn"]
    if targets:
        elbv2.register_targets(TargetGroupArn=tg, Targets=[{"Id": f"10.1.0.{10 + i}", "Port": 443}
                                                           for i in range(targets)])
    alarms = ["alarm-replication-lag-gate", "alarm-healthy-hosts-gate"]
    for name in alarms:
        cloudwatch.put_metric_alarm(AlarmName=name, Namespace="AWS/RDS", MetricName="AuroraGlobalDBRPOLag",
                                    Statistic="Maximum", Period=60, EvaluationPeriods=2, Threshold=1000,
                                    ComparisonOperator="GreaterThanThreshold", TreatMissingData="notBreaching")
        cloudwatch.set_alarm_state(AlarmName=name, StateValue="OK", StateReason="test set-up")
    return Stack(lb, _gate_traffic.load_balancer_dimension(lb), tg, alarms)
