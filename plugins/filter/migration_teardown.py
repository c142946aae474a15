# Copyright: Payments platform engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Teardown decisions: what is left of a route table or a security group once the stack's one entry goes.

amazon.aws.ec2_vpc_route_table and amazon.aws.ec2_security_group cannot remove a single route or
rule: they are given every other route or rule (purge) and remove the rest. These filters turn what
the ``*_info`` modules read (snake_cased DescribeRouteTables ``Routes`` and DescribeSecurityGroups
``IpPermissions``, botocore shapes ``Route`` and ``IpPermission``) into the module's own format,
one entry per source, so that nothing else changes.
"""

from __future__ import annotations

from typing import Any

# Route targets ec2_vpc_route_table accepts besides ``dest`` (botocore ``Route`` members, snake_cased).
_ROUTE_TARGETS = ("gateway_id", "nat_gateway_id", "instance_id", "network_interface_id", "vpc_peering_connection_id",
                  "transit_gateway_id", "carrier_gateway_id")


def migration_routes_without(routes: list[dict[str, Any]], cidr: str) -> list[dict[str, Any]]:
    """The created routes of a table, in ec2_vpc_route_table's format, without the peering route to ``cidr``.

    Local and propagated routes (origin other than CreateRoute) are never passed: the module keeps them.
    """
    kept = []
    for route in routes or []:
        dest = route.get("destination_cidr_block") or ""
        if route.get("origin") != "CreateRoute" or not dest:
            continue
        if dest == cidr and route.get("vpc_peering_connection_id"):
            continue
        kept.append({"dest": dest, **{key: route[key] for key in _ROUTE_TARGETS if route.get(key)}})
    return kept


def _rule(permission: dict[str, Any], source: dict[str, Any]) -> dict[str, Any]:
    rule: dict[str, Any] = {"proto": str(permission.get("ip_protocol", "-1"))}
    if rule["proto"] != "-1":
        rule["from_port"] = permission.get("from_port")
        rule["to_port"] = permission.get("to_port")
    rule.update(source)
    return rule


def migration_rules_without(permissions: list[dict[str, Any]], port: int, cidrs: list[str]) -> list[dict[str, Any]]:
    """Every rule of a security group, in ec2_security_group's format, without ``port`` from ``cidrs``.

    Each source of a permission (IPv4 and IPv6 range, security group, prefix list) becomes one rule
    with its own description, so the module, purging, removes only the rules that were left out.
    """
    removed = set(cidrs or [])
    rules = []
    for permission in permissions or []:
        ours = str(permission.get("ip_protocol")) == "tcp" and permission.get("from_port") == int(port) \
            and permission.get("to_port") == int(port)
        for item in permission.get("ip_ranges") or []:
            if ours and item.get("cidr_ip") in removed:
                continue
            rules.append(_rule(permission, {"cidr_ip": item["cidr_ip"], **_desc(item)}))
        for item in permission.get("ipv6_ranges") or []:
            rules.append(_rule(permission, {"cidr_ipv6": item["cidr_ipv6"], **_desc(item)}))
        for item in permission.get("user_id_group_pairs") or []:
            rules.append(_rule(permission, {"group_id": item["group_id"], **_desc(item)}))
        for item in permission.get("prefix_list_ids") or []:
            rules.append(_rule(permission, {"ip_prefix": item["prefix_list_id"], **_desc(item)}))
    return rules


def _desc(item: dict[str, Any]) -> dict[str, str]:
    return {"rule_desc": item["description"]} if item.get("description") else {}


def migration_groups_with_rule(groups: list[dict[str, Any]], port: int, cidrs: list[str]) -> list[dict[str, Any]]:
    """The security groups (ec2_security_group_info) that still open ``port`` to one of ``cidrs``."""
    return [group for group in groups or []
            if len(migration_rules_without(group.get("ip_permissions"), port, cidrs))
            != len(migration_rules_without(group.get("ip_permissions"), port, []))]


class FilterModule:
    """Teardown filters of the roles' absent entry points."""

    def filters(self) -> dict[str, Any]:
        return {"migration_routes_without": migration_routes_without,
                "migration_rules_without": migration_rules_without,
                "migration_groups_with_rule": migration_groups_with_rule}
