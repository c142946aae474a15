"""Unit tests of the teardown filters: a route table or security group minus the stack's one entry."""

from __future__ import annotations

from ansible_collections.payments.region_migration.plugins.filter.migration_teardown import (
    FilterModule,
    migration_groups_with_rule,
    migration_routes_without,
    migration_rules_without,
)

ROUTES = [
    {"destination_cidr_block": "10.0.0.0/16", "gateway_id": "local", "origin": "CreateRouteTable"},
    {"destination_cidr_block": "0.0.0.0/0", "nat_gateway_id": "nat-1", "origin": "CreateRoute", "gateway_id": None},
    {"destination_cidr_block": "10.1.0.0/16", "vpc_peering_connection_id": "pcx-1", "origin": "CreateRoute"},
    {"destination_cidr_block": "10.2.0.0/16", "vpc_peering_connection_id": "pcx-2", "origin": "CreateRoute"},
    {"destination_ipv6_cidr_block": "::/0", "gateway_id": "igw-1", "origin": "CreateRoute"},
    {"destination_cidr_block": "10.9.0.0/16", "gateway_id": "vgw-1", "origin": "EnableVgwRoutePropagation"},
]


def test_routes_without_keeps_every_other_created_route():
    assert migration_routes_without(ROUTES, "10.1.0.0/16") == [
        {"dest": "0.0.0.0/0", "nat_gateway_id": "nat-1"},
        {"dest": "10.2.0.0/16", "vpc_peering_connection_id": "pcx-2"},
    ]


def test_routes_without_keeps_a_non_peering_route_to_the_cidr():
    routes = [{"destination_cidr_block": "10.1.0.0/16", "gateway_id": "vgw-9", "origin": "CreateRoute"}]
    assert migration_routes_without(routes, "10.1.0.0/16") == [{"dest": "10.1.0.0/16", "gateway_id": "vgw-9"}]


PERMISSIONS = [
    {"ip_protocol": "tcp", "from_port": 3306, "to_port": 3306,
     "ip_ranges": [{"cidr_ip": "10.0.0.0/16", "description": "app"}, {"cidr_ip": "10.1.0.0/16", "description": "eu"}],
     "ipv6_ranges": [], "user_id_group_pairs": [{"group_id": "sg-app", "user_id": "1"}], "prefix_list_ids": []},
    {"ip_protocol": "tcp", "from_port": 443, "to_port": 443, "ip_ranges": [{"cidr_ip": "10.1.0.0/16"}],
     "ipv6_ranges": [{"cidr_ipv6": "::/0"}], "user_id_group_pairs": [],
     "prefix_list_ids": [{"prefix_list_id": "pl-1"}]},
    {"ip_protocol": "-1", "ip_ranges": [{"cidr_ip": "192.168.0.0/24"}]},
]


def test_rules_without_removes_only_the_port_from_the_cidrs():
    assert migration_rules_without(PERMISSIONS, 3306, ["10.1.0.0/16"]) == [
        {"proto": "tcp", "from_port": 3306, "to_port": 3306, "cidr_ip": "10.0.0.0/16", "rule_desc": "app"},
        {"proto": "tcp", "from_port": 3306, "to_port": 3306, "group_id": "sg-app"},
        {"proto": "tcp", "from_port": 443, "to_port": 443, "cidr_ip": "10.1.0.0/16"},
        {"proto": "tcp", "from_port": 443, "to_port": 443, "cidr_ipv6": "::/0"},
        {"proto": "tcp", "from_port": 443, "to_port": 443, "ip_prefix": "pl-1"},
        {"proto": "-1", "cidr_ip": "192.168.0.0/24"},
    ]
    assert len(migration_rules_without(PERMISSIONS, 3306, [])) == 7


def test_groups_with_rule():
    groups = [{"group_id": "sg-1", "ip_permissions": PERMISSIONS},
              {"group_id": "sg-2", "ip_permissions": PERMISSIONS[1:]},
              {"group_id": "sg-3", "ip_permissions": []}]
    assert [g["group_id"] for g in migration_groups_with_rule(groups, 3306, ["10.1.0.0/16"])] == ["sg-1"]
    assert migration_groups_with_rule(groups, 3306, ["10.7.0.0/16"]) == []


def test_filters_are_registered():
    assert set(FilterModule().filters()) == {"migration_routes_without", "migration_rules_without",
                                             "migration_groups_with_rule"}
