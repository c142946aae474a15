# Copyright: Contributors to the payments.region_migration project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The two stacks of a migration, found in AWS: each region's ALB, its one forwarded target group, its VPC.

Private to this collection. Read once per run by migration_gate's ``stack`` option (one module call
instead of four ``*_info`` tasks). Each region's target group is the one its ALB's listeners forward
to: DescribeListeners ``DefaultActions`` of ``Type: forward`` carry ``TargetGroupArn``, or list the
groups in ``ForwardConfig.TargetGroups`` (botocore elbv2 shapes ``Action`` and ``ForwardActionConfig``),
never a guessed name. A VPC is looked up by id, or by its ``Name`` tag (EC2 DescribeVpcs filter
``tag:Name``).
"""

from __future__ import annotations

from typing import Any

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.payments.region_migration.plugins.module_utils._aws_client import AWS_ERRORS


def forwarded_target_groups(listeners: list[dict[str, Any]]) -> list[str]:
    """Target group ARNs the listeners' default actions forward to, in order, each once."""
    arns: list[str] = []
    for listener in listeners or []:
        for action in listener.get("DefaultActions") or []:
            if action.get("Type") != "forward":
                continue
            found = [action.get("TargetGroupArn")] + [
                group.get("TargetGroupArn") for group in (action.get("ForwardConfig") or {}).get("TargetGroups") or []]
            arns.extend(arn for arn in found if arn and arn not in arns)
    return arns


def side(spec: dict[str, Any], load_balancers: list[dict[str, Any]], listeners: list[dict[str, Any]],
         vpcs: list[dict[str, Any]]) -> dict[str, Any]:
    """One region's stack from what DescribeLoadBalancers, DescribeListeners and DescribeVpcs answered."""
    target_groups = forwarded_target_groups(listeners) if load_balancers else []
    return {
        "region": spec["region"],
        "alb": spec.get("alb_arn") or spec.get("alb_name"),
        "alb_arn": load_balancers[0].get("LoadBalancerArn", "") if load_balancers else "",
        "alb_count": len(load_balancers),
        "target_group_arns": target_groups,
        "target_group_arn": target_groups[0] if target_groups else "",
        "vpc": spec.get("vpc_id") or spec.get("vpc_name"),
        "vpc_count": len(vpcs),
        "vpc_id": vpcs[0].get("VpcId", "") if vpcs else "",
        "vpc_cidr": vpcs[0].get("CidrBlock", "") if vpcs else "",
    }


def problems(stack: dict[str, Any], source_vpc_cidr: str | None = None) -> list[str]:
    """What is not as the inventory says (empty: both stacks found), one sentence per problem."""
    found = []
    for one in (stack["source"], stack["target"]):
        if one["alb_count"] != 1:
            found.append(f"{one['region']}: no load balancer {one['alb']}")
        elif len(one["target_group_arns"]) != 1:
            found.append(f"{one['region']}: load balancer {one['alb']} forwards to "
                         f"{len(one['target_group_arns'])} target groups (need exactly one)")
        if one["vpc_count"] != 1:
            found.append(f"{one['region']}: {one['vpc_count']} VPCs match {one['vpc']} (need exactly one)")
    source = stack["source"]
    if source_vpc_cidr and source_vpc_cidr != source["vpc_cidr"]:
        found.append(f"source_vpc_cidr is {source_vpc_cidr} but the VPC {source['vpc']} has {source['vpc_cidr']}")
    return found


def discover_side(module, clients, spec: dict[str, Any]) -> dict[str, Any]:
    """Read one region's ALB (by ARN or name), its listeners and its VPC (by id or Name tag)."""
    region = spec["region"]
    elbv2, ec2 = clients("elbv2", region), clients("ec2", region)
    by = {"LoadBalancerArns": [spec["alb_arn"]]} if spec.get("alb_arn") else {"Names": [spec["alb_name"]]}
    try:
        load_balancers = elbv2.describe_load_balancers(aws_retry=True, **by)["LoadBalancers"]
    except is_boto3_error_code(["LoadBalancerNotFound", "ValidationError"]):
        load_balancers = []
    except AWS_ERRORS as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg=f"Failed to read the load balancer {spec.get('alb_arn') or spec.get('alb_name')} "
                                    f"in {region}")
    listeners: list[dict[str, Any]] = []
    if len(load_balancers) == 1:
        try:
            paginator = elbv2.get_paginator("describe_listeners")
            for page in paginator.paginate(LoadBalancerArn=load_balancers[0]["LoadBalancerArn"]):
                listeners.extend(page.get("Listeners") or [])
        except AWS_ERRORS as e:
            module.fail_json_aws(e, msg=f"Failed to read the listeners of {load_balancers[0]['LoadBalancerArn']}")
    by = {"VpcIds": [spec["vpc_id"]]} if spec.get("vpc_id") else \
        {"Filters": [{"Name": "tag:Name", "Values": [spec["vpc_name"]]}]}
    try:
        vpcs = ec2.describe_vpcs(aws_retry=True, **by)["Vpcs"]
    except is_boto3_error_code("InvalidVpcID.NotFound"):
        vpcs = []
    except AWS_ERRORS as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg=f"Failed to read the VPC {spec.get('vpc_id') or spec.get('vpc_name')} in {region}")
    return side(spec, load_balancers, listeners, vpcs)


def discover(module, clients, spec: dict[str, Any]) -> dict[str, Any]:
    """``{source, target}`` as found in AWS (see :func:`problems` for what is wrong with them)."""
    return {"source": discover_side(module, clients, spec["source"]),
            "target": discover_side(module, clients, spec["target"])}
