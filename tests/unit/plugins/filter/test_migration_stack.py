"""Unit tests of discover.yml's decisions: the stacks from the ALB and VPC lookups, and their problems."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.payments.region_migration.plugins.filter.migration_stack import (
    FilterModule,
    migration_stack,
    migration_stack_problems,
)

SRC, TGT = "us-east-1", "eu-west-1"


def _alb(region: str, name: str, *target_groups: str, found: bool = True, arn: str = "") -> dict:
    """An elb_application_lb_info loop result (one listener forwarding to each target group)."""
    lbs = [{"load_balancer_arn": f"arn:aws:elasticloadbalancing:{region}:1:loadbalancer/app/{name}/x",
            "listeners": [{"default_actions": [{"type": "forward", "target_group_arn": tg}]} for tg in target_groups]}]
    return {"item": {"region": region, "arn": arn, "name": name}, "load_balancers": lbs if found else []}


def _vpc(region: str, name: str, count: int = 1, cidr: str = "10.0.0.0/16") -> dict:
    """An ec2_vpc_net_info loop result with ``count`` VPCs matching the name."""
    return {"item": {"region": region, "id": "", "name": name},
            "vpcs": [{"id": f"vpc-{region}-{i}", "cidr_block": cidr} for i in range(count)]}


def test_stack_fields():
    stack = migration_stack([_alb(SRC, "src", "tg-a", "tg-a"), _alb(TGT, "tgt", "tg-b")],
                            [_vpc(SRC, "src-vpc"), _vpc(TGT, "tgt-vpc", cidr="10.1.0.0/16")])
    assert stack["source"] == {
        "region": SRC, "alb": "src", "alb_arn": f"arn:aws:elasticloadbalancing:{SRC}:1:loadbalancer/app/src/x",
        "alb_count": 1, "target_group_arns": ["tg-a"], "target_group_arn": "tg-a",
        "vpc": "src-vpc", "vpc_count": 1, "vpc_id": f"vpc-{SRC}-0", "vpc_cidr": "10.0.0.0/16",
    }
    assert stack["target"]["target_group_arn"] == "tg-b"
    assert stack["target"]["vpc_cidr"] == "10.1.0.0/16"
    assert migration_stack_problems(stack, "10.0.0.0/16") == []
    assert migration_stack_problems(stack) == []


def test_stack_ignores_non_forward_actions_and_prefers_arn():
    alb = _alb(SRC, "src", "tg-a", arn="arn:given")
    alb["load_balancers"][0]["listeners"].append({"default_actions": [{"type": "redirect"}]})
    stack = migration_stack([alb, _alb(TGT, "tgt", "tg-b")], [_vpc(SRC, "s"), _vpc(TGT, "t")])
    assert stack["source"]["alb"] == "arn:given"
    assert stack["source"]["target_group_arns"] == ["tg-a"]


@pytest.mark.parametrize(
    ("albs", "vpcs", "cidr", "expected"),
    [
        ([_alb(SRC, "src", "tg-a", found=False), _alb(TGT, "tgt", "tg-b")], [_vpc(SRC, "s"), _vpc(TGT, "t")], "",
         [f"{SRC}: no load balancer src"]),
        # A failed lookup (failed_when: false) has no load_balancers/vpcs key at all.
        ([{"item": {"region": SRC, "arn": "", "name": "src"}}, _alb(TGT, "tgt", "tg-b")],
         [{"item": {"region": SRC, "id": "vpc-1", "name": ""}}, _vpc(TGT, "t")], "",
         [f"{SRC}: no load balancer src", f"{SRC}: 0 VPCs match vpc-1 (need exactly one)"]),
        ([_alb(SRC, "src", "tg-a", "tg-c"), _alb(TGT, "tgt")], [_vpc(SRC, "s"), _vpc(TGT, "t", count=2)], "",
         [f"{SRC}: load balancer src forwards to 2 target groups (need exactly one)",
          f"{TGT}: load balancer tgt forwards to 0 target groups (need exactly one)",
          f"{TGT}: 2 VPCs match t (need exactly one)"]),
        ([_alb(SRC, "src", "tg-a"), _alb(TGT, "tgt", "tg-b")], [_vpc(SRC, "s"), _vpc(TGT, "t")], "10.9.0.0/16",
         ["source_vpc_cidr is 10.9.0.0/16 but the VPC s has 10.0.0.0/16"]),
    ],
)
def test_stack_problems(albs, vpcs, cidr, expected):
    assert migration_stack_problems(migration_stack(albs, vpcs), cidr) == expected


def test_stack_needs_two_regions():
    with pytest.raises(AnsibleFilterError):
        migration_stack([_alb(SRC, "src", "tg-a")], [_vpc(SRC, "s")])


def test_filters_are_registered():
    assert set(FilterModule().filters()) == {"migration_stack", "migration_stack_problems"}
