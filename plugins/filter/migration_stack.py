# Copyright: Payments platform engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The two stacks of the migration as discover.yml found them, and what is wrong with them.

Input are the registered loop results of amazon.aws.elb_application_lb_info (with listeners) and
amazon.aws.ec2_vpc_net_info, source region first. Each region's target group is the one its ALB's
listeners forward to: DescribeListeners ``DefaultActions`` of ``Type: forward`` carry
``TargetGroupArn`` (botocore elbv2 shape ``Action``), never a guessed name.
"""

from __future__ import annotations

from typing import Any

from ansible.errors import AnsibleFilterError


def _side(alb: dict[str, Any], vpc: dict[str, Any]) -> dict[str, Any]:
    """One region's stack from its ALB and VPC lookups (a lookup that failed found nothing)."""
    alb_item, vpc_item = alb.get("item") or {}, vpc.get("item") or {}
    lbs = alb.get("load_balancers") or []
    vpcs = vpc.get("vpcs") or []
    target_groups: list[str] = []
    for listener in (lbs[0].get("listeners") or []) if lbs else []:
        for action in listener.get("default_actions") or []:
            arn = action.get("target_group_arn") or ""
            if action.get("type") == "forward" and arn and arn not in target_groups:
                target_groups.append(arn)
    return {
        "region": alb_item.get("region"),
        "alb": alb_item.get("arn") or alb_item.get("name"),
        "alb_arn": lbs[0].get("load_balancer_arn", "") if lbs else "",
        "alb_count": len(lbs),
        "target_group_arns": target_groups,
        "target_group_arn": target_groups[0] if target_groups else "",
        "vpc": vpc_item.get("id") or vpc_item.get("name"),
        "vpc_count": len(vpcs),
        "vpc_id": vpcs[0].get("id", "") if vpcs else "",
        "vpc_cidr": vpcs[0].get("cidr_block", "") if vpcs else "",
    }


def migration_stack(alb_results: list[dict[str, Any]], vpc_results: list[dict[str, Any]]) -> dict[str, Any]:
    """``{source, target}``: each region's ALB, its one forwarded target group, and its VPC."""
    if len(alb_results) != 2 or len(vpc_results) != 2:
        raise AnsibleFilterError("migration_stack needs the ALB and VPC lookups of exactly two regions "
                                 "(source, target)")
    source, target = (_side(alb, vpc) for alb, vpc in zip(alb_results, vpc_results, strict=True))
    return {"source": source, "target": target}


def migration_stack_problems(stack: dict[str, Any], source_vpc_cidr: str | None = None) -> list[str]:
    """What is not as the inventory says (empty: both stacks found), one sentence per problem."""
    problems = []
    for side in (stack["source"], stack["target"]):
        if side["alb_count"] != 1:
            problems.append(f"{side['region']}: no load balancer {side['alb']}")
        elif len(side["target_group_arns"]) != 1:
            problems.append(f"{side['region']}: load balancer {side['alb']} forwards to "
                            f"{len(side['target_group_arns'])} target groups (need exactly one)")
        if side["vpc_count"] != 1:
            problems.append(f"{side['region']}: {side['vpc_count']} VPCs match {side['vpc']} (need exactly one)")
    source = stack["source"]
    if source_vpc_cidr and source_vpc_cidr != source["vpc_cidr"]:
        problems.append(f"source_vpc_cidr is {source_vpc_cidr} but the VPC {source['vpc']} has {source['vpc_cidr']}")
    return problems


class FilterModule:
    """Stack discovery filters for the migration role."""

    def filters(self) -> dict[str, Any]:
        return {"migration_stack": migration_stack, "migration_stack_problems": migration_stack_problems}
