"""CloudWatch as AWS: exact dimension matching (ext_cloudwatch) and alarm evaluation (alarms)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import wait_until

PRIMARY_REGION, SECONDARY_REGION = "us-east-1", "eu-west-1"
LAG = "AuroraGlobalDBReplicationLag"


def _dims(**pairs):
    return [{"Name": k, "Value": v} for k, v in pairs.items()]


def _window():
    now = datetime.now(UTC)
    return now - timedelta(minutes=5), now + timedelta(minutes=1)


def _maximum(cloudwatch, namespace, metric, dimensions, unit=None):
    start, end = _window()
    kwargs = {"Unit": unit} if unit else {}
    points = cloudwatch.get_metric_statistics(Namespace=namespace, MetricName=metric, Dimensions=dimensions,
                                              StartTime=start, EndTime=end, Period=600,
                                              Statistics=["Maximum"], **kwargs)["Datapoints"]
    return max((p["Maximum"] for p in points), default=None)


def _metric_data(cloudwatch, namespace, metric, dimensions):
    start, end = _window()
    result = cloudwatch.get_metric_data(StartTime=start, EndTime=end, MetricDataQueries=[{
        "Id": "m", "MetricStat": {"Metric": {"Namespace": namespace, "MetricName": metric, "Dimensions": dimensions},
                                  "Period": 600, "Stat": "Maximum"}}])
    return result["MetricDataResults"][0]["Values"]


def _evaluate(control):
    status, body = control("POST", "/_emulator/alarms/evaluate")
    assert status == 200, body
    return body["alarms"]


def _state(aws, region, name):
    return aws("cloudwatch", region).describe_alarms(AlarmNames=[name])["MetricAlarms"][0]["StateValue"]


def _alarm(aws, region, name, namespace, metric, dimensions, *, threshold=1000.0, operator="GreaterThanThreshold",
           statistic="Maximum", unit=None, period=10, periods=1, treat="missing"):
    kwargs = {"Unit": unit} if unit else {}
    aws("cloudwatch", region).put_metric_alarm(
        AlarmName=name, Namespace=namespace, MetricName=metric, Dimensions=dimensions, Statistic=statistic,
        Period=period, EvaluationPeriods=periods, Threshold=threshold, ComparisonOperator=operator,
        TreatMissingData=treat, **kwargs)


# --------------------------------------------------------------------------- exact dimensions


def test_queries_match_the_published_dimension_set_exactly(aws):
    cloudwatch = aws("cloudwatch", SECONDARY_REGION)
    cloudwatch.put_metric_data(Namespace="Test/Exact", MetricData=[
        {"MetricName": "Lag", "Value": 1.0, "Unit": "Milliseconds", "Dimensions": _dims(Cluster="c1")},
        {"MetricName": "Lag", "Value": 100.0, "Unit": "Milliseconds", "Dimensions": _dims(Cluster="c1", Source="s")},
    ])
    # moto counted the (Cluster, Source) datapoint for a query on Cluster alone: AWS does not
    assert _maximum(cloudwatch, "Test/Exact", "Lag", _dims(Cluster="c1")) == 1.0
    assert _maximum(cloudwatch, "Test/Exact", "Lag", _dims(Source="s", Cluster="c1")) == 100.0
    assert _maximum(cloudwatch, "Test/Exact", "Lag", _dims(Source="s")) is None
    assert _maximum(cloudwatch, "Test/Exact", "Lag", []) is None  # nothing was published without dimensions
    assert _maximum(cloudwatch, "Test/Exact", "Lag", _dims(Cluster="c1"), unit="Seconds") is None
    assert _metric_data(cloudwatch, "Test/Exact", "Lag", _dims(Cluster="c1")) == [1.0]
    assert _metric_data(cloudwatch, "Test/Exact", "Lag", _dims(Cluster="c1", Source="s")) == [100.0]
    assert _metric_data(cloudwatch, "Test/Exact", "Lag", []) == []
    assert _metric_data(cloudwatch, "Other/Namespace", "Lag", _dims(Cluster="c1")) == []
    # ListMetrics filters (a metric carrying the given dimension is listed), each metric once
    cloudwatch.put_metric_data(Namespace="Test/Exact", MetricData=[
        {"MetricName": "Lag", "Value": 5.0, "Dimensions": _dims(Cluster="c1", Source="s")}])
    listed = cloudwatch.list_metrics(Namespace="Test/Exact", MetricName="Lag", Dimensions=_dims(Cluster="c1"))
    assert sorted(sorted(d["Name"] for d in m["Dimensions"]) for m in listed["Metrics"]) == [
        ["Cluster"], ["Cluster", "Source"]]


# --------------------------------------------------------------------------- lag of a global database


@pytest.fixture
def gdb(aws, control):
    east, west = aws("rds", PRIMARY_REGION), aws("rds", SECONDARY_REGION)
    primary = east.create_db_cluster(DBClusterIdentifier="aurora-use1", Engine="aurora-mysql", MasterUsername="admin",
                                     MasterUserPassword="not-a-real-password")["DBCluster"]
    east.create_global_cluster(GlobalClusterIdentifier="gdb-cw", SourceDBClusterIdentifier=primary["DBClusterArn"])
    secondary = west.create_db_cluster(DBClusterIdentifier="aurora-euw1", Engine="aurora-mysql",
                                       GlobalClusterIdentifier="gdb-cw")["DBCluster"]
    return {"primary": primary["DBClusterArn"], "secondary": secondary["DBClusterArn"]}


def _lag_alarms(aws, treat="missing"):
    """One lag alarm per cluster, in its region, on the set the gate module picks (with SourceRegion)."""
    _alarm(aws, SECONDARY_REGION, "lag-euw1", "AWS/RDS", LAG,
           _dims(DBClusterIdentifier="aurora-euw1", SourceRegion=PRIMARY_REGION), unit="Milliseconds", treat=treat)
    _alarm(aws, PRIMARY_REGION, "lag-use1", "AWS/RDS", LAG,
           _dims(DBClusterIdentifier="aurora-use1", SourceRegion=SECONDARY_REGION), unit="Milliseconds", treat=treat)


def _lag_metrics(aws, region, cluster):
    return aws("cloudwatch", region).list_metrics(
        Namespace="AWS/RDS", Dimensions=_dims(DBClusterIdentifier=cluster))["Metrics"]


def test_lag_alarm_on_the_published_dimensions_follows_the_lag(aws, gdb, control, add_fault):
    _lag_alarms(aws)
    # an alarm whose unit is not the published one sees nothing, as on AWS
    _alarm(aws, SECONDARY_REGION, "lag-in-seconds", "AWS/RDS", LAG,
           _dims(DBClusterIdentifier="aurora-euw1", SourceRegion=PRIMARY_REGION), unit="Seconds")
    assert _state(aws, SECONDARY_REGION, "lag-euw1") == "INSUFFICIENT_DATA"  # a new alarm, before evaluation
    control("POST", "/_emulator/signals/publish")
    states = _evaluate(control)
    assert states[SECONDARY_REGION]["lag-euw1"] == "OK"
    assert states[SECONDARY_REGION]["lag-in-seconds"] == "INSUFFICIENT_DATA"
    assert states[PRIMARY_REGION]["lag-use1"] == "INSUFFICIENT_DATA"  # a primary has no lag: no data, no alarm
    add_fault("replication_lag", value_ms=5000, cluster="aurora-euw1", duration=60)
    control("POST", "/_emulator/signals/publish")
    assert _evaluate(control)[SECONDARY_REGION]["lag-euw1"] == "ALARM"
    alarm = aws("cloudwatch", SECONDARY_REGION).describe_alarms(AlarmNames=["lag-euw1"])["MetricAlarms"][0]
    assert "5000" in alarm["StateReason"] and "greater than the threshold (1000)" in alarm["StateReason"]
    # lag metrics are never published for the primary, in any region
    assert _lag_metrics(aws, PRIMARY_REGION, "aurora-use1") == []
    assert _lag_metrics(aws, SECONDARY_REGION, "aurora-use1") == []
    assert {tuple(sorted(d["Name"] for d in m["Dimensions"])) for m in _lag_metrics(aws, SECONDARY_REGION,
                                                                                    "aurora-euw1")} == {
        ("DBClusterIdentifier",), ("DBClusterIdentifier", "SourceRegion")}


def test_after_a_switchover_the_new_primary_alarm_leaves_alarm_and_the_new_secondary_is_watched(
        aws, gdb, control, add_fault):
    _lag_alarms(aws)
    _alarm(aws, SECONDARY_REGION, "lag-euw1-breaching", "AWS/RDS", LAG,
           _dims(DBClusterIdentifier="aurora-euw1", SourceRegion=PRIMARY_REGION), unit="Milliseconds",
           treat="breaching")
    add_fault("replication_lag", value_ms=5000, duration=60)
    control("POST", "/_emulator/signals/publish")
    assert _evaluate(control)[SECONDARY_REGION]["lag-euw1"] == "ALARM"
    control("DELETE", "/_emulator/faults")
    control("POST", "/_emulator/config", {"switchover_seconds": 0.2})
    aws("rds", PRIMARY_REGION).switchover_global_cluster(GlobalClusterIdentifier="gdb-cw",
                                                         TargetDbClusterIdentifier=gdb["secondary"])
    wait_until(lambda: aws("rds").describe_global_clusters(GlobalClusterIdentifier="gdb-cw")["GlobalClusters"][0][
        "Status"] == "available", "the switchover's end")
    assert control("GET", "/_emulator/signals")[1]["secondaries"] == [
        {"region": PRIMARY_REGION, "cluster": "aurora-use1", "source_region": SECONDARY_REGION}]
    time.sleep(10.5)  # one alarm period (10 s) without any eu-west-1 lag datapoint
    control("POST", "/_emulator/signals/publish")
    states = _evaluate(control)
    assert states[SECONDARY_REGION]["lag-euw1"] == "INSUFFICIENT_DATA"  # the new primary: silent, not ALARM
    assert states[SECONDARY_REGION]["lag-euw1-breaching"] == "ALARM"  # what treat_missing_data=breaching did
    assert states[PRIMARY_REGION]["lag-use1"] == "OK"  # the new secondary is watched
    add_fault("replication_lag", value_ms=7000, cluster="aurora-use1", duration=60)
    control("POST", "/_emulator/signals/publish")
    assert _evaluate(control)[PRIMARY_REGION]["lag-use1"] == "ALARM"


# --------------------------------------------------------------------------- missing data


@pytest.mark.parametrize(("treat", "expected"), [
    ("missing", "INSUFFICIENT_DATA"), ("breaching", "ALARM"), ("notBreaching", "OK"),
    ("ignore", "INSUFFICIENT_DATA"),  # keeps its state: the initial INSUFFICIENT_DATA
])
def test_alarm_on_dimensions_never_published(aws, control, treat, expected):
    cloudwatch = aws("cloudwatch", SECONDARY_REGION)
    cloudwatch.put_metric_data(Namespace="AWS/RDS", MetricData=[
        {"MetricName": LAG, "Value": 5000.0, "Unit": "Milliseconds",
         "Dimensions": _dims(DBClusterIdentifier="aurora-x", SourceRegion=PRIMARY_REGION)}])
    # DBClusterIdentifier + Role is a real Aurora dimension set, but the lag is not published under it
    _alarm(aws, SECONDARY_REGION, "lag-wrong-dims", "AWS/RDS", LAG,
           _dims(DBClusterIdentifier="aurora-x", Role="WRITER"), treat=treat)
    assert _evaluate(control)[SECONDARY_REGION]["lag-wrong-dims"] == expected
    assert _state(aws, SECONDARY_REGION, "lag-wrong-dims") == expected


def test_alarm_update_keeps_its_state_and_alarm_state_fault_overrides(aws, control, add_fault):
    _alarm(aws, SECONDARY_REGION, "silent", "Test/None", "Nothing", _dims(X="y"))
    assert _evaluate(control)[SECONDARY_REGION]["silent"] == "INSUFFICIENT_DATA"
    add_fault("alarm_state", alarm_name="silent", state="ALARM", region=SECONDARY_REGION)
    assert _state(aws, SECONDARY_REGION, "silent") == "ALARM"
    assert _evaluate(control)[SECONDARY_REGION]["silent"] == "ALARM"  # the fault wins over the evaluation
    _alarm(aws, SECONDARY_REGION, "silent", "Test/None", "Nothing", _dims(X="y"), threshold=5.0)  # an update
    assert _state(aws, SECONDARY_REGION, "silent") == "ALARM"
    control("DELETE", "/_emulator/faults")
    assert _evaluate(control)[SECONDARY_REGION]["silent"] == "INSUFFICIENT_DATA"


# --------------------------------------------------------------------------- ALB healthy hosts


@pytest.fixture
def alb_stack(aws):
    """An ALB forwarding to a target group of an ASG of 2 instances."""
    ec2, elbv2, autoscaling = aws("ec2"), aws("elbv2"), aws("autoscaling")
    vpc_id = ec2.create_vpc(CidrBlock="10.30.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc_id, CidrBlock=f"10.30.{i}.0/24", AvailabilityZone=f"{SECONDARY_REGION}{az}")
               ["Subnet"]["SubnetId"] for i, az in enumerate("ab")]
    tg_arn = elbv2.create_target_group(Name="tg-cw-test", Protocol="HTTP", Port=8080, VpcId=vpc_id,
                                       TargetType="instance")["TargetGroups"][0]["TargetGroupArn"]
    lb_arn = elbv2.create_load_balancer(Name="alb-cw-test", Subnets=subnets, Type="application")[
        "LoadBalancers"][0]["LoadBalancerArn"]
    elbv2.create_listener(LoadBalancerArn=lb_arn, Protocol="HTTP", Port=80,
                          DefaultActions=[{"Type": "forward", "TargetGroupArn": tg_arn}])
    ec2.create_launch_template(LaunchTemplateName="lt-cw-test",
                               LaunchTemplateData={"ImageId": "ami-12c6146b", "InstanceType": "t3.micro"})
    autoscaling.create_auto_scaling_group(
        AutoScalingGroupName="asg-cw-test", LaunchTemplate={"LaunchTemplateName": "lt-cw-test"},
        MinSize=2, MaxSize=2, DesiredCapacity=2, VPCZoneIdentifier=",".join(subnets), TargetGroupARNs=[tg_arn])
    return {"tg": tg_arn, "lb": lb_arn,
            "dims": _dims(TargetGroup="targetgroup/" + tg_arn.split(":targetgroup/")[1],
                          LoadBalancer=lb_arn.split(":loadbalancer/")[1])}


def test_healthy_host_count_follows_target_health(aws, alb_stack, control, add_fault):
    cloudwatch = aws("cloudwatch", SECONDARY_REGION)
    _alarm(aws, SECONDARY_REGION, "healthy-hosts", "AWS/ApplicationELB", "HealthyHostCount", alb_stack["dims"],
           threshold=2.0, operator="LessThanThreshold", statistic="Minimum", unit="Count", treat="breaching")
    # The background evaluator may have published a count while the fixture was still attaching the ASG (a
    # loaded machine): that lower datapoint holds the period's Minimum below 2 until it leaves the 10 s window.
    wait_until(lambda: _evaluate(control)[SECONDARY_REGION]["healthy-hosts"] == "OK", "the healthy-host alarm OK",
               timeout=15, step=0.5)
    assert _evaluate(control)[SECONDARY_REGION]["healthy-hosts"] == "OK"
    assert _maximum(cloudwatch, "AWS/ApplicationELB", "HealthyHostCount", alb_stack["dims"], unit="Count") == 2.0
    assert _maximum(cloudwatch, "AWS/ApplicationELB", "UnHealthyHostCount", alb_stack["dims"]) == 0.0
    add_fault("unhealthy_targets", target_group_arn=alb_stack["tg"], duration=60)
    assert _evaluate(control)[SECONDARY_REGION]["healthy-hosts"] == "ALARM"
    assert _maximum(cloudwatch, "AWS/ApplicationELB", "UnHealthyHostCount", alb_stack["dims"]) == 2.0
    # published under TargetGroup + LoadBalancer only
    assert _maximum(cloudwatch, "AWS/ApplicationELB", "HealthyHostCount", alb_stack["dims"][:1]) is None


def test_evaluator_interval_is_a_runtime_setting(control, emulator):
    assert control("GET", "/_emulator/config")[1]["alarm_interval_seconds"] > 0
    status, body = control("POST", "/_emulator/config", {"alarm_interval_seconds": 0.5})
    assert status == 200 and body["alarm_interval_seconds"] == 0.5
    assert control("POST", "/_emulator/config", {"alarm_interval_seconds": 0.01})[0] == 400  # >= 0.2
    control("POST", "/moto-api/reset")
    assert control("GET", "/_emulator/config")[1]["alarm_interval_seconds"] != 0.5
    assert control("GET", "/_emulator/alarms/evaluate")[0] == 404
