"""What AWS publishes to CloudWatch, and under which dimensions: the one definition the emulator's
publishers (signals.py, alarms.py) and its CloudWatch rules (exact dimension matching, alarm
evaluation) share.

CloudWatch treats every distinct combination of dimensions as a separate metric, and a query
(GetMetricStatistics, GetMetricData, an alarm) only sees the datapoints published with exactly the
dimensions it names ("Amazon CloudWatch concepts - Dimensions", CloudWatch User Guide,
https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch_concepts.html#Dimension).
So what matters below is each full dimension *set*, not single dimension names.
"""

from __future__ import annotations

# --- Aurora global database lag --------------------------------------------------------------
# Aurora User Guide, "Amazon CloudWatch metrics for Amazon Aurora" (cluster-level metrics,
# https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/Aurora.AuroraMonitoring.Metrics.html):
# AuroraGlobalDBReplicationLag and AuroraGlobalDBRPOLag (the latter Aurora MySQL 3 / PostgreSQL),
# unit Milliseconds, namespace AWS/RDS, "available only in the secondary AWS Region": a primary
# cluster never has them. They are published in the secondary's region, per DB cluster.
# "Amazon CloudWatch dimensions for Aurora"
# (https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/dimensions.html) and the Aurora
# global database monitoring page / Aurora labs ("select RDS, then the metric group with
# SourceRegion": the console lists the lag under DBClusterIdentifier + SourceRegion, SourceRegion =
# the primary's region): the secondary cluster's lag exists under
#   - DBClusterIdentifier
#   - DBClusterIdentifier + SourceRegion
# The gate module (plugins/module_utils/_gate_lag.py choose_dimensions) finds the set with
# ListMetrics and prefers DBClusterIdentifier + SourceRegion; the monitoring role's alarms use the
# same set. After a switchover SourceRegion is the new primary's region.
LAG_NAMESPACE = "AWS/RDS"
LAG_METRICS = ("AuroraGlobalDBReplicationLag", "AuroraGlobalDBRPOLag")
LAG_UNIT = "Milliseconds"
LAG_DIMENSION_NAMES = (("DBClusterIdentifier",), ("DBClusterIdentifier", "SourceRegion"))


def lag_dimension_sets(cluster_id: str, source_region: str) -> list[list[dict[str, str]]]:
    """The dimension sets under which one secondary's lag datapoints are published."""
    values = {"DBClusterIdentifier": cluster_id, "SourceRegion": source_region}
    return [[{"Name": name, "Value": values[name]} for name in names] for names in LAG_DIMENSION_NAMES]


# --- Application Load Balancer ---------------------------------------------------------------
# Elastic Load Balancing User Guide for ALBs, "CloudWatch metrics for your Application Load
# Balancer" (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-cloudwatch-metrics.html):
# - RequestCount, HTTPCode_Target_5XX_Count, HTTPCode_ELB_5XX_Count: unit Count, statistic Sum,
#   dimension LoadBalancer (also AvailabilityZone+LoadBalancer, and TargetGroup+LoadBalancer for
#   the target metrics), reported only when there are requests / a non-zero value.
# - HealthyHostCount, UnHealthyHostCount: unit Count, statistics Average/Minimum/Maximum,
#   dimensions TargetGroup + LoadBalancer (also TargetGroup + AvailabilityZone + LoadBalancer),
#   reported if health checks are enabled.
# LoadBalancer = the ARN suffix app/<name>/<id>; TargetGroup = targetgroup/<name>/<id>.
ALB_NAMESPACE = "AWS/ApplicationELB"
ALB_TRAFFIC_METRICS = ("RequestCount", "HTTPCode_Target_5XX_Count", "HTTPCode_ELB_5XX_Count")
ALB_HOST_COUNT_METRICS = ("HealthyHostCount", "UnHealthyHostCount")
ALB_UNIT = "Count"


def load_balancer_dimension(load_balancer_arn: str) -> str:
    """app/<name>/<id> of arn:...:loadbalancer/app/<name>/<id>."""
    return load_balancer_arn.split(":loadbalancer/", 1)[-1]


def target_group_dimension(target_group_arn: str) -> str:
    """targetgroup/<name>/<id> of arn:...:targetgroup/<name>/<id>."""
    return "targetgroup/" + target_group_arn.split(":targetgroup/", 1)[-1]


def alb_dimensions(load_balancer_arn: str) -> list[dict[str, str]]:
    """The dimension set of the per-load-balancer traffic metrics."""
    return [{"Name": "LoadBalancer", "Value": load_balancer_dimension(load_balancer_arn)}]


def host_count_dimensions(target_group_arn: str, load_balancer_arn: str) -> list[dict[str, str]]:
    """The dimension set of HealthyHostCount / UnHealthyHostCount of one target group behind one ALB."""
    return [{"Name": "TargetGroup", "Value": target_group_dimension(target_group_arn)},
            {"Name": "LoadBalancer", "Value": load_balancer_dimension(load_balancer_arn)}]
