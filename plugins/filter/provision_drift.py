# Copyright: Payments platform engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read-once provisioning: which resources differ from what a role wants (issue 14).

A role reads the resources of one type once (one amazon.aws ``*_info`` call), and runs its "ensure"
module only for the resources these filters name: missing, or different from the desired state in a
way the ensure module would repair. A no-op re-run then costs the reads only; drift (a tag, a route, a
rule or an association changed behind the playbook's back) still reaches the ensure module, which
repairs it (and reports it in check mode without making it).

Each filter compares exactly what the role's ensure task manages, with that module's options
(amazon.aws 10): anything outside it is ignored here as it is there. The inputs are the snake_case
results of the amazon.aws info modules (DescribeSubnets, DescribeRouteTables, DescribeNatGateways,
DescribeSecurityGroups in the EC2 API Reference, converted with camel_dict_to_snake_dict; tags as a
dict). Unit tests: tests/unit/plugins/filter/test_provision_drift_filters.py.
"""

from __future__ import annotations

import json
from typing import Any

from ansible_collections.amazon.aws.plugins.module_utils.policy import compare_policies
from ansible_collections.payments.region_migration.plugins.module_utils._route53_weighted import (
    decode_name,
    fqdn,
)

# Tag keys AWS reserves ("aws:" prefix): no module may set or purge them (amazon.aws compare_aws_tags
# skips them when purging), so they never count as drift.
RESERVED_TAG_PREFIX = "aws:"


def _user_tags(tags: dict | None) -> dict:
    return {k: v for k, v in (tags or {}).items() if not str(k).startswith(RESERVED_TAG_PREFIX)}


def tags_in_sync(actual: dict | None, desired: dict, purge: bool = True) -> bool:
    """Whether ``actual`` tags already are ``desired`` (purge: no other user tag either)."""
    actual = _user_tags(actual)
    desired = {str(k): str(v) for k, v in (desired or {}).items()}
    if purge:
        return actual == desired
    return all(actual.get(k) == v for k, v in desired.items())


def subnets_to_ensure(existing: list[dict], wanted: list[dict]) -> list[dict]:
    """The wanted subnets (``{cidr, az, map_public, tags}``) that are missing or differ.

    amazon.aws.ec2_vpc_subnet (purge_tags true, assign_instances_ipv6 false, no ipv6_cidr) repairs
    MapPublicIpOnLaunch, AssignIpv6AddressOnCreation, an IPv6 CIDR association and the tags.
    """
    by_cidr = {s.get("cidr_block"): s for s in existing or []}
    result = []
    for item in wanted:
        subnet = by_cidr.get(item["cidr"])
        ipv6 = [a for a in (subnet or {}).get("ipv6_cidr_block_association_set") or []
                if (a.get("ipv6_cidr_block_state") or {}).get("state") in ("associating", "associated")]
        if (subnet is None or subnet.get("availability_zone") != item["az"]
                or bool(subnet.get("map_public_ip_on_launch")) != bool(item["map_public"])
                or bool(subnet.get("assign_ipv6_address_on_creation")) or ipv6
                or not tags_in_sync(subnet.get("tags"), item["tags"])):
            result.append(item)
    return result


def _lookup(resource: dict, key: str) -> Any:
    value: Any = resource
    for part in key.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def ids_by(resources: list[dict], values: list[str], key: str = "cidr_block", id_key: str = "id") -> list[str]:
    """The ``id_key`` of the resource whose ``key`` (dotted: ``tags.Name``) is each of ``values``, in order.

    '' where none has an id (check mode on a resource still to create). Later resources win: pass the
    read state first and the ensure results after it.
    """
    found: dict[Any, str] = {}
    for resource in resources or []:
        if isinstance(resource, dict) and resource.get(id_key) and _lookup(resource, key):
            found[_lookup(resource, key)] = resource[id_key]
    return [found.get(value, "") for value in values]


def _created_routes(table: dict) -> list[dict]:
    """Routes a module manages (what ec2_vpc_route_table purges): Origin CreateRoute, not the local route of
    the table (CreateRouteTable), propagated (EnableVgwRoutePropagation) or advertised routes (RouteOrigin in
    the EC2 API Reference; botocore ec2 2016-11-15). A route without Origin counts as created."""
    return [r for r in table.get("routes") or []
            if r.get("gateway_id") != "local" and r.get("origin", "CreateRoute") == "CreateRoute"
            and r.get("destination_cidr_block")]


def has_route(table: dict, dest: str, target_key: str, target_id: str) -> bool:
    """Whether the table routes ``dest`` to that target (what ec2_vpc_route_table compares)."""
    return any(r.get("destination_cidr_block") == dest and r.get(target_key) == target_id
               for r in _created_routes(table))


def route_tables_to_ensure(existing: list[dict], wanted: list[dict], purge_routes: bool = False) -> list[str]:
    """Names of the wanted route tables that are missing or differ from what ec2_vpc_route_table ensures.

    ``wanted``: ``{name, tags, subnets, routes: [{dest, target_key, target_id}]}``; the existing table is
    the last one with that Name tag (the role's lookup). Compared: the tags (purge_tags true), the
    subnet associations (purge_subnets true: exactly ``subnets``), every wanted route, and with
    ``purge_routes`` no other created route.
    """
    by_name: dict[str, dict] = {}
    for table in existing or []:
        name = (table.get("tags") or {}).get("Name")
        if name:
            by_name[name] = table
    names = []
    for item in wanted:
        table = by_name.get(item["name"])
        if table is None:
            names.append(item["name"])
            continue
        associated = sorted(a.get("subnet_id") for a in table.get("associations") or []
                            if a.get("subnet_id") and not a.get("main")
                            and (a.get("association_state") or {}).get("state", "associated") == "associated")
        routes_ok = all(has_route(table, r["dest"], r["target_key"], r["target_id"]) for r in item["routes"])
        extra = [r for r in _created_routes(table)
                 if not any(r.get("destination_cidr_block") == w["dest"] for w in item["routes"])]
        if (not tags_in_sync(table.get("tags"), item["tags"]) or associated != sorted(item["subnets"])
                or not routes_ok or (purge_routes and extra)):
            names.append(item["name"])
    return names


def route_tables_without_route(table_ids: list[str], existing: list[dict], dest: str, target_key: str,
                               target_id: str) -> list[str]:
    """The ids (of ``table_ids``) whose table lacks the route ``dest`` -> target, or was not found."""
    by_id = {t.get("id") or t.get("route_table_id"): t for t in existing or []}
    return [i for i in table_ids if i not in by_id or not has_route(by_id[i], dest, target_key, target_id)]


def nat_gateways_by_subnet(nat_gateways: list[dict], subnet_ids: list[str], tags: dict, names: list[str]) -> list[dict]:
    """Per public subnet: the NAT gateway in it (available before pending) and whether its tags are in sync.

    A gateway must carry ``tags`` plus its Name of ``names`` (one per subnet; ec2_tag with purge_tags
    false: other tags are kept). Each entry: ``{nat_gateway_id, allocation_id, state, in_sync}``, or
    ``{in_sync: false}`` where the subnet has no pending or available gateway.
    """
    result = []
    for subnet_id, name in zip(subnet_ids, names, strict=False):
        wanted_tags = {**(tags or {}), "Name": name}
        found = [n for n in nat_gateways or [] if n.get("subnet_id") == subnet_id
                 and n.get("state") in ("pending", "available")]
        found.sort(key=lambda n: n.get("state") != "available")
        if not found:
            result.append({"in_sync": False})
            continue
        nat = found[0]
        addresses = nat.get("nat_gateway_addresses") or [{}]
        result.append({"nat_gateway_id": nat.get("nat_gateway_id"), "state": nat.get("state"),
                       "allocation_id": addresses[0].get("allocation_id", ""),
                       "in_sync": tags_in_sync(nat.get("tags"), wanted_tags, purge=False)})
    return result


def _ports(rule: dict) -> list[tuple[int, int]]:
    ports = rule.get("ports")
    if ports is None:
        return [(int(rule.get("from_port", -1)), int(rule.get("to_port", -1)))]
    result = []
    for port in ports if isinstance(ports, list) else [ports]:
        text = str(port)
        low, _sep, high = text.partition("-")
        result.append((int(low), int(high or low)))
    return result


def _listify(value: Any) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _desired_permissions(rules: list[dict]) -> set[tuple]:
    """Role rules (``proto, ports, cidr_ip | group_id, rule_desc``) as (proto, from, to, kind, target, desc)."""
    result = set()
    for rule in rules or []:
        proto = str(rule.get("proto", "tcp"))
        proto = "-1" if proto in ("all", "-1") else proto
        for low, high in _ports(rule):
            for cidr in _listify(rule.get("cidr_ip")):
                result.add((proto, low, high, "cidr", cidr, rule.get("rule_desc") or ""))
            for group in _listify(rule.get("group_id")):
                result.add((proto, low, high, "group", group, rule.get("rule_desc") or ""))
    return result


def _actual_permissions(permissions: list[dict]) -> set[tuple]:
    """DescribeSecurityGroups IpPermissions (snake_case) in the same shape."""
    result = set()
    for perm in permissions or []:
        proto = str(perm.get("ip_protocol"))
        low = int(perm.get("from_port", -1)) if proto != "-1" else -1
        high = int(perm.get("to_port", -1)) if proto != "-1" else -1
        for item in perm.get("ip_ranges") or []:
            result.add((proto, low, high, "cidr", item.get("cidr_ip"), item.get("description") or ""))
        for item in perm.get("ipv6_ranges") or []:
            result.add((proto, low, high, "cidr6", item.get("cidr_ipv6"), item.get("description") or ""))
        for item in perm.get("user_id_group_pairs") or []:
            result.add((proto, low, high, "group", item.get("group_id"), item.get("description") or ""))
        for item in perm.get("prefix_list_ids") or []:
            result.add((proto, low, high, "prefix", item.get("prefix_list_id"), item.get("description") or ""))
    return result


def security_group_in_sync(group: dict | None, tags: dict | None = None, rules: list[dict] | None = None,
                           rules_egress: list[dict] | None = None, purge: bool = True) -> bool:
    """Whether an existing group (ec2_security_group_info) already has these tags and exactly these rules.

    ``tags`` None: not compared (a task that does not set tags). ``rules``/``rules_egress`` None: not
    compared (the role's create step, purge_rules false). Given: the
    ec2_security_group rule format the role uses (proto, ports, cidr_ip or group_id, rule_desc), compared
    as a set with purge_rules true, rule descriptions included (the module updates them). ``purge``
    false (purge_rules false): the wanted rules must be there, others may be too.
    """
    if not group:
        return False
    if tags is not None and not tags_in_sync(group.get("tags"), tags):
        return False
    for wanted, key in ((rules, "ip_permissions"), (rules_egress, "ip_permissions_egress")):
        if wanted is None:
            continue
        actual, desired = _actual_permissions(group.get(key)), _desired_permissions(wanted)
        if (actual != desired) if purge else not desired <= actual:
            return False
    return True


def rds_instances_to_ensure(instances: list[dict], wanted: list[dict]) -> list[dict]:
    """The wanted DB instances (``{identifier, cluster, instance_class, promotion_tier, subnet_group, tags}``,
    not publicly accessible) that are missing or differ in what the role's amazon.aws.rds_instance task sets
    (DescribeDBInstances in the RDS API Reference: DBInstanceClass, PromotionTier, DBSubnetGroup, PubliclyAccessible,
    DBClusterIdentifier, tags with purge).
    """
    by_id = {i.get("db_instance_identifier"): i for i in instances or []}
    result = []
    for item in wanted:
        found = by_id.get(item["identifier"])
        if (found is None or found.get("db_cluster_identifier") != item["cluster"]
                or found.get("db_instance_class") != item["instance_class"]
                or int(found.get("promotion_tier", -1)) != int(item["promotion_tier"])
                or (found.get("db_subnet_group") or {}).get("db_subnet_group_name") != item["subnet_group"]
                or bool(found.get("publicly_accessible"))
                or not tags_in_sync(found.get("tags"), item["tags"])):
            result.append(item)
    return result


def _dns_name(name: str | None) -> str:
    """A name as Route 53 answers it (lower case, final dot, octal escapes such as \\052 decoded): the
    module_utils rules the route53_weighted_shift module compares names with."""
    return fqdn(decode_name(name or ""))


def weighted_records_plan(current: list[dict], record_name: str, record_type: str, wanted: list[dict],
                          evaluate_target_health: bool) -> list[dict]:
    """What the dns role does with each wanted weighted alias record set, from one ListResourceRecordSets read.

    ``wanted``: ``{set_identifier, alias_dns_name, alias_zone_id, initial_weight}``. The live weight wins
    over ``initial_weight`` (only a record set that does not exist yet gets it: re-running provisioning
    mid-migration never resets weights). Each entry: ``{set_identifier, weight, alias_dns_name,
    alias_zone_id, change}``; ``change`` is true where the set is missing or its alias target differs
    (what amazon.aws.route53 with overwrite would UPSERT; Route 53 API Reference, ChangeResourceRecordSets).
    ``current``: ListResourceRecordSets from the record's name and type, which lists the sets of that name
    and type first ("Sort order" in the Route 53 API Reference, ListResourceRecordSets).
    """
    sets = {s.get("set_identifier"): s for s in current or []
            if _dns_name(s.get("name")) == _dns_name(record_name) and s.get("type") == record_type
            and s.get("set_identifier") is not None}
    plan = []
    for item in wanted:
        found = sets.get(item["set_identifier"])
        alias = (found or {}).get("alias_target") or {}
        weight = int(found["weight"]) if found and found.get("weight") is not None else int(item["initial_weight"])
        change = (found is None or found.get("weight") is None
                  or _dns_name(alias.get("dns_name")) != _dns_name(item["alias_dns_name"])
                  or alias.get("hosted_zone_id") != item["alias_zone_id"]
                  or bool(alias.get("evaluate_target_health")) != bool(evaluate_target_health))
        plan.append({"set_identifier": item["set_identifier"], "weight": weight,
                     "alias_dns_name": _dns_name(item["alias_dns_name"]), "alias_zone_id": item["alias_zone_id"],
                     "change": change})
    return plan


# The alarm settings amazon.aws.cloudwatch_metric_alarm (amazon.aws 10) sends to PutMetricAlarm and then compares
# with DescribeAlarms' MetricAlarm (CloudWatch API Reference, MetricAlarm; botocore cloudwatch 2010-08-01), as the
# snake_case keys of cloudwatch_metric_alarm_info, each with the value AWS reports when it is not set.
_ALARM_FIELDS = {
    "alarm_description": None, "namespace": None, "metric_name": None, "statistic": None,
    "extended_statistic": None, "comparison_operator": None, "threshold": None, "unit": None, "period": None,
    "evaluation_periods": None, "datapoints_to_alarm": None, "evaluate_low_sample_count_percentile": None,
    "treat_missing_data": "missing", "alarm_actions": [], "ok_actions": [], "insufficient_data_actions": [],
}


def _alarm_settings(alarm: dict) -> dict:
    settings = {}
    for key, unset in _ALARM_FIELDS.items():
        value = alarm.get(key)
        settings[key] = unset if value in (None, "") else value
    if settings["threshold"] is not None:
        settings["threshold"] = float(settings["threshold"])
    for key in ("period", "evaluation_periods", "datapoints_to_alarm"):
        if settings[key] is not None:
            settings[key] = int(settings[key])
    for key in ("alarm_actions", "ok_actions", "insufficient_data_actions"):
        settings[key] = list(settings[key] or [])
    dimensions = alarm.get("dimensions") or []
    if isinstance(dimensions, dict):  # the module's option: {name: value}
        dimensions = [{"name": k, "value": v} for k, v in dimensions.items()]
    settings["dimensions"] = sorted((str(d.get("name")), str(d.get("value"))) for d in dimensions)
    settings["metrics"] = bool(alarm.get("metrics"))
    return settings


def alarms_to_ensure(existing: list[dict], wanted: list[dict]) -> list[dict]:
    """The wanted metric alarms that are missing or differ from what cloudwatch_metric_alarm would put.

    ``existing``: the alarms cloudwatch_metric_alarm_info read, in any region (each one's region is the
    fourth field of its ``alarm_arn``). ``wanted``: ``{region, alarm_name, ...}`` with the module's settings
    under the MetricAlarm names of ``_ALARM_FIELDS`` (``comparison_operator``, ``alarm_description``,
    ``dimensions`` as a dict). Compared: every setting the module sends (a threshold, description, action or
    missing-data rule changed by hand, an extra DatapointsToAlarm); the state, ActionsEnabled and timestamps
    are not (the module ignores them too). Dimensions are compared as a set: their order means nothing to
    CloudWatch.
    """
    by_key = {}
    for alarm in existing or []:
        region = str(alarm.get("alarm_arn") or "").split(":")[3:4]
        by_key[(region[0] if region else "", alarm.get("alarm_name"))] = alarm
    result = []
    for item in wanted:
        found = by_key.get((item["region"], item["alarm_name"]))
        if found is None or _alarm_settings(found) != _alarm_settings(item):
            result.append(item)
    return result


def _policy(document: Any) -> dict:
    """The document as plain JSON types (what the modules json.loads from their policy_json option)."""
    return json.loads(document if isinstance(document, str) else json.dumps(document or {}))


def policy_in_sync(current: Any, desired: Any) -> bool:
    """Whether an IAM policy document (the decoded JSON AWS returns, or nothing) already is ``desired``.

    amazon.aws.iam_policy and iam_role compare documents with amazon.aws's ``compare_policies`` (which
    ignores statement order and single value vs. one-element list), and so does this.
    """
    if not current:
        return False
    return not compare_policies(_policy(current), _policy(desired))


def iam_role_in_sync(role: dict | None, trust_policy: Any, description: str | None, managed_policy_arns: list[str],
                     tags: dict, purge_policies: bool = True) -> bool:
    """Whether a role read by provision_orchestration_info is what amazon.aws.iam_role would leave it.

    What the module updates on an existing role (GetRole, ListAttachedRolePolicies in the IAM API Reference):
    the trust policy, the description (when one is given), the tags (purge_tags true) and the attached managed
    policies (exactly ``managed_policy_arns`` with ``purge_policies``).
    """
    if not role:
        return False
    attached = set(role.get("attached_policy_arns") or [])
    wanted = set(managed_policy_arns or [])
    return (policy_in_sync(role.get("assume_role_policy_document"), trust_policy)
            and (description is None or role.get("description") == description)
            and tags_in_sync(role.get("tags"), tags)
            and (attached == wanted if purge_policies else wanted <= attached))


def state_machine_in_sync(machine: dict | None, definition: str, role_arn: str, tags: dict) -> bool:
    """Whether a state machine read by provision_orchestration_info is what community.aws.stepfunctions_state_machine
    would leave it: the same definition string and role ARN (the module compares DescribeStateMachine's
    ``definition`` and ``roleArn`` as they are) and the same tags (purge_tags true)."""
    if not machine:
        return False
    return (machine.get("definition") == definition and machine.get("role_arn") == role_arn
            and tags_in_sync(machine.get("tags"), tags))


class FilterModule:
    """Read-once drift filters of the provisioning roles."""

    def filters(self):
        return {
            "provision_tags_in_sync": tags_in_sync,
            "provision_subnets_to_ensure": subnets_to_ensure,
            "provision_ids_by": ids_by,
            "provision_route_tables_to_ensure": route_tables_to_ensure,
            "provision_route_tables_without_route": route_tables_without_route,
            "provision_nat_gateways_by_subnet": nat_gateways_by_subnet,
            "provision_security_group_in_sync": security_group_in_sync,
            "provision_weighted_records_plan": weighted_records_plan,
            "provision_rds_instances_to_ensure": rds_instances_to_ensure,
            "provision_alarms_to_ensure": alarms_to_ensure,
            "provision_policy_in_sync": policy_in_sync,
            "provision_iam_role_in_sync": iam_role_in_sync,
            "provision_state_machine_in_sync": state_machine_in_sync,
        }
