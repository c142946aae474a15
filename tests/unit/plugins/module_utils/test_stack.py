"""Unit tests of the stack discovery's decisions (module_utils/_stack.py): the stacks from what
DescribeLoadBalancers, DescribeListeners and DescribeVpcs answered, and their problems."""

from __future__ import annotations

import pytest
from ansible_collections.payments.region_migration.plugins.module_utils import _stack

SRC, TGT = "us-east-1", "eu-west-1"


def _side(region: str, name: str, *target_groups: str, found: bool = True, arn: str = "", vpcs: int = 1,
          cidr: str = "10.0.0.0/16", vpc: str = "") -> dict:
    """One region's stack from API answers shaped as botocore returns them."""
    lbs = [{"LoadBalancerArn": f"arn:aws:elasticloadbalancing:{region}:1:loadbalancer/app/{name}/x"}] if found else []
    listeners = [{"DefaultActions": [{"Type": "forward", "TargetGroupArn": tg}]} for tg in target_groups]
    spec = {"region": region, "alb_arn": arn, "alb_name": name, "vpc_id": "", "vpc_name": vpc or f"{name}-vpc"}
    return _stack.side(spec, lbs, listeners, [{"VpcId": f"vpc-{region}-{i}", "CidrBlock": cidr} for i in range(vpcs)])


def test_side_fields():
    stack = {"source": _side(SRC, "src", "tg-a", "tg-a"), "target": _side(TGT, "tgt", "tg-b", cidr="10.1.0.0/16")}
    assert stack["source"] == {
        "region": SRC, "alb": "src", "alb_arn": f"arn:aws:elasticloadbalancing:{SRC}:1:loadbalancer/app/src/x",
        "alb_count": 1, "target_group_arns": ["tg-a"], "target_group_arn": "tg-a",
        "vpc": "src-vpc", "vpc_count": 1, "vpc_id": f"vpc-{SRC}-0", "vpc_cidr": "10.0.0.0/16",
    }
    assert stack["target"]["target_group_arn"] == "tg-b"
    assert stack["target"]["vpc_cidr"] == "10.1.0.0/16"
    assert _stack.problems(stack, "10.0.0.0/16") == []
    assert _stack.problems(stack) == []


def test_forwarded_target_groups_reads_forward_config_and_ignores_other_actions():
    forward_config = {"TargetGroups": [{"TargetGroupArn": "tg-a"}]}
    listeners = [{"DefaultActions": [{"Type": "redirect"}]},
                 {"DefaultActions": [{"Type": "forward", "ForwardConfig": forward_config}]},
                 {"DefaultActions": [{"Type": "forward", "TargetGroupArn": "tg-a"}]}]
    assert _stack.forwarded_target_groups(listeners) == ["tg-a"]


def test_side_prefers_the_arn():
    assert _side(SRC, "src", "tg-a", arn="arn:given")["alb"] == "arn:given"


@pytest.mark.parametrize(
    ("source", "target", "cidr", "expected"),
    [
        (_side(SRC, "src", "tg-a", found=False), _side(TGT, "tgt", "tg-b"), "", [f"{SRC}: no load balancer src"]),
        (_side(SRC, "src", found=False, vpcs=0, vpc="vpc-1"), _side(TGT, "tgt", "tg-b"), "",
         [f"{SRC}: no load balancer src", f"{SRC}: 0 VPCs match vpc-1 (need exactly one)"]),
        (_side(SRC, "src", "tg-a", "tg-c"), _side(TGT, "tgt", vpcs=2, vpc="t"), "",
         [f"{SRC}: load balancer src forwards to 2 target groups (need exactly one)",
          f"{TGT}: load balancer tgt forwards to 0 target groups (need exactly one)",
          f"{TGT}: 2 VPCs match t (need exactly one)"]),
        (_side(SRC, "src", "tg-a", vpc="s"), _side(TGT, "tgt", "tg-b"), "10.9.0.0/16",
         ["source_vpc_cidr is 10.9.0.0/16 but the VPC s has 10.0.0.0/16"]),
    ],
)
def test_problems(source, target, cidr, expected):
    assert _stack.problems({"source": source, "target": target}, cidr) == expected
