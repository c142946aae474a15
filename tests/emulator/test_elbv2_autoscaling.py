"""Target health with `unhealthy_targets` faults (ext_elbv2) and ASG metrics collection (ext_autoscaling)."""

from __future__ import annotations

import pytest
from ansible_collections.amazon.aws.plugins.modules import autoscaling_group

REGION = "eu-west-1"


@pytest.fixture
def asg_stack(aws):
    """A VPC, a target group and an ASG of 2 instances registered in it (by the ASG, as in the stack)."""
    ec2, elbv2, autoscaling = aws("ec2"), aws("elbv2"), aws("autoscaling")
    vpc_id = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc_id, CidrBlock=f"10.20.{i}.0/24", AvailabilityZone=f"{REGION}{az}")
               ["Subnet"]["SubnetId"] for i, az in enumerate("ab")]
    target_group_arn = elbv2.create_target_group(Name="tg-payment-test", Protocol="HTTP", Port=8080, VpcId=vpc_id,
                                                 TargetType="instance")["TargetGroups"][0]["TargetGroupArn"]
    other_tg_arn = elbv2.create_target_group(Name="tg-other-test", Protocol="HTTP", Port=8080, VpcId=vpc_id,
                                             TargetType="instance")["TargetGroups"][0]["TargetGroupArn"]
    ec2.create_launch_template(LaunchTemplateName="lt-payment-test",
                               LaunchTemplateData={"ImageId": "ami-12c6146b", "InstanceType": "t3.micro"})
    autoscaling.create_auto_scaling_group(
        AutoScalingGroupName="asg-payment-test", LaunchTemplate={"LaunchTemplateName": "lt-payment-test"},
        MinSize=2, MaxSize=2, DesiredCapacity=2, VPCZoneIdentifier=",".join(subnets),
        TargetGroupARNs=[target_group_arn, other_tg_arn])
    return {"target_group_arn": target_group_arn, "other_tg_arn": other_tg_arn, "subnets": subnets}


def _health(aws, target_group_arn):
    descriptions = aws("elbv2").describe_target_health(TargetGroupArn=target_group_arn)["TargetHealthDescriptions"]
    return sorted((d["Target"]["Id"], d["TargetHealth"]["State"], d["TargetHealth"].get("Reason"))
                  for d in descriptions)


def test_asg_instances_are_healthy_targets(aws, asg_stack):
    instances = aws("autoscaling").describe_auto_scaling_groups(
        AutoScalingGroupNames=["asg-payment-test"])["AutoScalingGroups"][0]["Instances"]
    ids = sorted(i["InstanceId"] for i in instances)
    assert len(ids) == 2 and {i["LifecycleState"] for i in instances} == {"InService"}
    assert _health(aws, asg_stack["target_group_arn"]) == [(i, "healthy", None) for i in ids]


def test_unhealthy_targets_fault_until_cleared_or_expired(aws, asg_stack, add_fault, control):
    tg_arn = asg_stack["target_group_arn"]
    ids = [target for target, _, _ in _health(aws, tg_arn)]
    fault = add_fault("unhealthy_targets", target_group_arn=tg_arn)
    assert _health(aws, tg_arn) == [(i, "unhealthy", "Target.FailedHealthChecks") for i in ids]
    description = aws("elbv2").describe_target_health(TargetGroupArn=tg_arn)["TargetHealthDescriptions"][0]
    assert description["TargetHealth"]["Description"] == "Health checks failed"
    # only the faulted target group; asking for one target gives that target's unhealthy state
    assert {state for _, state, _ in _health(aws, asg_stack["other_tg_arn"])} == {"healthy"}
    one = aws("elbv2").describe_target_health(TargetGroupArn=tg_arn, Targets=[{"Id": ids[0]}])
    assert [d["TargetHealth"]["State"] for d in one["TargetHealthDescriptions"]] == ["unhealthy"]
    # hits: the DescribeTargetHealth answers the fault changed (the other group's and the emulator's own
    # alarm evaluations do not count), so that a test can wait until a client has read the fault
    assert [f["hits"] for f in control("GET", "/_emulator/faults")[1]["faults"] if f["id"] == fault["id"]] == [3]
    control("DELETE", f"/_emulator/faults?id={fault['id']}")
    assert {state for _, state, _ in _health(aws, tg_arn)} == {"healthy"}
    # a fault with a duration and a reason, matched by the target group's name part of the ARN
    add_fault("unhealthy_targets", target_group_arn="targetgroup/tg-payment-test/", reason="Target.Timeout",
              duration=30)
    assert {(state, reason) for _, state, reason in _health(aws, tg_arn)} == {("unhealthy", "Target.Timeout")}
    assert {state for _, state, _ in _health(aws, asg_stack["other_tg_arn"])} == {"healthy"}


def test_autoscaling_group_metrics_collection_is_idempotent(aws, asg_stack, module_args, run):
    args = {**module_args, "region": REGION, "name": "asg-metrics-test",
            "launch_template": {"launch_template_name": "lt-payment-test"}, "min_size": 1, "max_size": 1,
            "desired_capacity": 1, "vpc_zone_identifier": asg_stack["subnets"], "wait_for_instances": False,
            "metrics_collection": True, "metrics_list": ["GroupInServiceInstances", "GroupDesiredCapacity"]}
    created = run(autoscaling_group, args)
    assert created.get("failed") is not True, created
    assert created["changed"] is True

    def enabled():
        group = aws("autoscaling").describe_auto_scaling_groups(
            AutoScalingGroupNames=["asg-metrics-test"])["AutoScalingGroups"][0]
        return sorted(m["Metric"] for m in group.get("EnabledMetrics", []))

    assert enabled() == ["GroupDesiredCapacity", "GroupInServiceInstances"]
    again = run(autoscaling_group, args)
    assert (again.get("failed"), again["changed"]) == (None, False), again
    disabled = run(autoscaling_group, {**args, "metrics_collection": False})
    assert disabled.get("failed") is not True, disabled
    assert enabled() == []
    rerun = run(autoscaling_group, {**args, "metrics_collection": False})
    assert (rerun.get("failed"), rerun["changed"]) == (None, False), rerun
    assert enabled() == []


def test_disable_metrics_collection_by_name_and_unknown_group(aws, asg_stack):
    autoscaling = aws("autoscaling")
    autoscaling.enable_metrics_collection(AutoScalingGroupName="asg-payment-test", Granularity="1Minute",
                                          Metrics=["GroupMinSize", "GroupMaxSize", "GroupTotalInstances"])
    autoscaling.disable_metrics_collection(AutoScalingGroupName="asg-payment-test", Metrics=["GroupMaxSize"])
    group = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=["asg-payment-test"])["AutoScalingGroups"][0]
    assert sorted(m["Metric"] for m in group["EnabledMetrics"]) == ["GroupMinSize", "GroupTotalInstances"]
    autoscaling.disable_metrics_collection(AutoScalingGroupName="asg-payment-test")
    group = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=["asg-payment-test"])["AutoScalingGroups"][0]
    assert group.get("EnabledMetrics", []) == []
    with pytest.raises(autoscaling.exceptions.ClientError) as excinfo:
        autoscaling.disable_metrics_collection(AutoScalingGroupName="missing")
    assert excinfo.value.response["Error"]["Code"] == "ValidationError"
