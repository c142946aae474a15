"""Unit tests of the read-once drift filters of the provisioning roles (plugins/filter/provision_drift.py)."""

from __future__ import annotations

import json

import pytest
from ansible_collections.payments.region_migration.plugins.filter.provision_drift import (
    FilterModule,
    alarms_to_ensure,
    iam_role_in_sync,
    ids_by,
    nat_gateways_by_subnet,
    policy_in_sync,
    route_tables_to_ensure,
    route_tables_without_route,
    security_group_in_sync,
    state_machine_in_sync,
    subnets_to_ensure,
    tags_in_sync,
    weighted_records_plan,
)

TAGS = {"Env": "prod", "Name": "x"}


@pytest.mark.parametrize(("actual", "desired", "purge", "expected"), [
    ({"Env": "prod", "Name": "x"}, TAGS, True, True),
    ({"Env": "prod", "Name": "x", "aws:cloudformation:stack-name": "s"}, TAGS, True, True),
    ({"Env": "prod", "Name": "x", "Extra": "1"}, TAGS, True, False),
    ({"Env": "prod", "Name": "x", "Extra": "1"}, TAGS, False, True),
    ({"Env": "dev", "Name": "x"}, TAGS, False, False),
    ({"Name": "x"}, TAGS, True, False),
    (None, {}, True, True),
    ({"Port": "443"}, {"Port": 443}, True, True),
])
def test_tags_in_sync(actual, desired, purge, expected):
    assert tags_in_sync(actual, desired, purge) is expected


def _subnet(cidr, az="eu-west-1a", public=True, tags=None, ipv6=None):
    return {"id": f"subnet-{cidr.split('.')[2]}", "cidr_block": cidr, "availability_zone": az,
            "map_public_ip_on_launch": public, "assign_ipv6_address_on_creation": False,
            "ipv6_cidr_block_association_set": ipv6 or [], "tags": tags if tags is not None else TAGS}


WANTED = [{"az": "eu-west-1a", "cidr": "10.1.0.0/24", "map_public": True, "tags": TAGS},
          {"az": "eu-west-1a", "cidr": "10.1.10.0/24", "map_public": False, "tags": TAGS}]


def test_subnets_in_sync_need_nothing():
    existing = [_subnet("10.1.0.0/24"), _subnet("10.1.10.0/24", public=False)]
    assert subnets_to_ensure(existing, WANTED) == []


@pytest.mark.parametrize("existing", [
    [_subnet("10.1.0.0/24")],  # missing
    [_subnet("10.1.0.0/24"), _subnet("10.1.10.0/24", public=True)],  # MapPublicIpOnLaunch drifted
    [_subnet("10.1.0.0/24"), _subnet("10.1.10.0/24", public=False, tags={"Name": "x"})],  # tag removed
    [_subnet("10.1.0.0/24"),
     _subnet("10.1.10.0/24", public=False, ipv6=[{"ipv6_cidr_block_state": {"state": "associated"}}])],
])
def test_a_missing_or_drifted_subnet_is_ensured(existing):
    assert subnets_to_ensure(existing, WANTED) == [WANTED[1]]


def test_ids_by_keeps_the_order_and_lets_later_resources_win():
    resources = [{"id": "a", "cidr_block": "1"}, {"id": "b", "cidr_block": "2"}, {}, {"id": None, "cidr_block": "3"},
                 {"id": "c", "cidr_block": "1"}]
    assert ids_by(resources, ["2", "1", "3", "4"]) == ["b", "c", "", ""]
    assert ids_by([{"id": "r", "tags": {"Name": "n"}}], ["n", "m"], "tags.Name") == ["r", ""]
    assert ids_by([{"group_id": "sg-1", "group_name": "a"}, {"skipped": True}], ["a", "b"], "group_name",
                  "group_id") == ["sg-1", ""]


def _table(name, routes, subnets, tags=None, table_id="rtb-1"):
    return {"id": table_id, "tags": tags if tags is not None else {"Name": name},
            "routes": [{"destination_cidr_block": "10.1.0.0/16", "gateway_id": "local", "origin": "CreateRouteTable"}]
            + routes,
            "associations": [{"subnet_id": s, "main": False, "association_state": {"state": "associated"}}
                             for s in subnets]}


NAT_ROUTE = {"destination_cidr_block": "0.0.0.0/0", "nat_gateway_id": "nat-1", "origin": "CreateRoute",
             "state": "active"}
PEER_ROUTE = {"destination_cidr_block": "10.0.0.0/16", "vpc_peering_connection_id": "pcx-1", "origin": "CreateRoute"}
WANTED_TABLE = {"name": "rtb-a", "tags": {"Name": "rtb-a"}, "subnets": ["subnet-1"],
                "routes": [{"dest": "0.0.0.0/0", "target_key": "nat_gateway_id", "target_id": "nat-1"}]}


def test_a_route_table_in_sync_needs_nothing_and_other_routes_are_kept():
    assert route_tables_to_ensure([_table("rtb-a", [NAT_ROUTE, PEER_ROUTE], ["subnet-1"])], [WANTED_TABLE]) == []


@pytest.mark.parametrize(("table", "purge"), [
    (None, False),
    (_table("rtb-a", [PEER_ROUTE], ["subnet-1"]), False),  # default route deleted
    (_table("rtb-a", [{**NAT_ROUTE, "nat_gateway_id": "nat-2"}], ["subnet-1"]), False),  # pointed elsewhere
    (_table("rtb-a", [NAT_ROUTE], []), False),  # association removed
    (_table("rtb-a", [NAT_ROUTE], ["subnet-1", "subnet-2"]), False),  # extra association (purge_subnets)
    (_table("rtb-a", [NAT_ROUTE], ["subnet-1"], tags={"Name": "rtb-a", "Extra": "1"}), False),  # tag added
    (_table("rtb-a", [NAT_ROUTE, PEER_ROUTE], ["subnet-1"]), True),  # extra route with purge_routes
])
def test_a_missing_or_drifted_route_table_is_ensured(table, purge):
    assert route_tables_to_ensure([table] if table else [], [WANTED_TABLE], purge) == ["rtb-a"]


def test_route_tables_without_the_peering_route():
    tables = [_table("a", [PEER_ROUTE], [], table_id="rtb-1"), _table("b", [], [], table_id="rtb-2"),
              _table("c", [{**PEER_ROUTE, "vpc_peering_connection_id": "pcx-old"}], [], table_id="rtb-3")]
    assert route_tables_without_route(["rtb-1", "rtb-2", "rtb-3", "rtb-gone"], tables, "10.0.0.0/16",
                                      "vpc_peering_connection_id", "pcx-1") == ["rtb-2", "rtb-3", "rtb-gone"]


def test_nat_gateways_by_subnet():
    nats = [{"nat_gateway_id": "nat-p", "subnet_id": "s1", "state": "pending", "tags": {"Name": "n1", "Env": "p"}},
            {"nat_gateway_id": "nat-a", "subnet_id": "s1", "state": "available",
             "nat_gateway_addresses": [{"allocation_id": "eipalloc-1"}], "tags": {"Name": "n1", "Env": "p", "X": "y"}},
            {"nat_gateway_id": "nat-2", "subnet_id": "s2", "state": "available", "tags": {"Name": "n2"}}]
    assert nat_gateways_by_subnet(nats, ["s1", "s2", "s3"], {"Env": "p"}, ["n1", "n2", "n3"]) == [
        {"nat_gateway_id": "nat-a", "state": "available", "allocation_id": "eipalloc-1", "in_sync": True},
        {"nat_gateway_id": "nat-2", "state": "available", "allocation_id": "", "in_sync": False},
        {"in_sync": False}]


ALB_RULES = [{"proto": "tcp", "ports": [443], "cidr_ip": ["0.0.0.0/0"], "rule_desc": "HTTPS"},
             {"proto": "tcp", "ports": ["80"], "cidr_ip": ["0.0.0.0/0"], "rule_desc": "HTTP"}]
ALB_EGRESS = [{"proto": "tcp", "ports": ["443"], "group_id": "sg-app", "rule_desc": "to app"}]


def _group(ingress=None, egress=None, tags=None):
    return {"group_id": "sg-alb", "tags": tags if tags is not None else {"Name": "sg-alb"},
            "ip_permissions": ingress if ingress is not None else [
                {"ip_protocol": "tcp", "from_port": 443, "to_port": 443,
                 "ip_ranges": [{"cidr_ip": "0.0.0.0/0", "description": "HTTPS"}], "user_id_group_pairs": []},
                {"ip_protocol": "tcp", "from_port": 80, "to_port": 80,
                 "ip_ranges": [{"cidr_ip": "0.0.0.0/0", "description": "HTTP"}]}],
            "ip_permissions_egress": egress if egress is not None else [
                {"ip_protocol": "tcp", "from_port": 443, "to_port": 443, "ip_ranges": [],
                 "user_id_group_pairs": [{"group_id": "sg-app", "user_id": "123", "description": "to app"}]}]}


def test_security_group_in_sync():
    assert security_group_in_sync(_group(), {"Name": "sg-alb"}, ALB_RULES, ALB_EGRESS)
    # only what is given is compared
    assert security_group_in_sync(_group(tags={"Name": "other"}), None, ALB_RULES, ALB_EGRESS)
    assert security_group_in_sync(_group(ingress=[], egress=[]), {"Name": "sg-alb"})
    # purge_rules false: the wanted rules are there, others may be too
    assert security_group_in_sync(_group(), None, ALB_RULES[:1], None, False)
    assert not security_group_in_sync(_group(ingress=[]), None, ALB_RULES[:1], None, False)


ALL_TRAFFIC = {"ip_protocol": "-1", "ip_ranges": [{"cidr_ip": "0.0.0.0/0"}]}


@pytest.mark.parametrize("group", [
    None,
    _group(ingress=[_group()["ip_permissions"][0]]),  # HTTP rule removed
    _group(egress=[ALL_TRAFFIC]),  # default egress rule back, own rule gone
    _group(egress=_group()["ip_permissions_egress"] + [ALL_TRAFFIC]),  # a rule added
    _group(ingress=[{**_group()["ip_permissions"][0], "ip_ranges": [{"cidr_ip": "0.0.0.0/0", "description": "old"}]},
                    _group()["ip_permissions"][1]]),  # re-described
])
def test_a_drifted_security_group_is_not_in_sync(group):
    assert not security_group_in_sync(group, {"Name": "sg-alb"}, ALB_RULES, ALB_EGRESS)


def test_weighted_records_plan_keeps_live_weights_and_flags_drift():
    current = [
        {"name": "api.example.com.", "type": "A", "set_identifier": "us-east-1", "weight": 75,
         "alias_target": {"dns_name": "alb-east.us-east-1.elb.amazonaws.com.", "hosted_zone_id": "Z1",
                          "evaluate_target_health": True}},
        {"name": "api.example.com.", "type": "A", "set_identifier": "eu-west-1", "weight": 25,
         "alias_target": {"dns_name": "alb-old.eu-west-1.elb.amazonaws.com.", "hosted_zone_id": "Z2",
                          "evaluate_target_health": True}},
        {"name": "api.example.com.", "type": "AAAA", "set_identifier": "ap", "weight": 1},
    ]
    wanted = [{"set_identifier": "us-east-1", "alias_dns_name": "ALB-East.us-east-1.elb.amazonaws.com",
               "alias_zone_id": "Z1", "initial_weight": 100},
              {"set_identifier": "eu-west-1", "alias_dns_name": "alb-west.eu-west-1.elb.amazonaws.com",
               "alias_zone_id": "Z2", "initial_weight": 0},
              {"set_identifier": "ap", "alias_dns_name": "alb-ap", "alias_zone_id": "Z3", "initial_weight": 0}]
    assert weighted_records_plan(current, "API.example.com", "A", wanted, True) == [
        {"set_identifier": "us-east-1", "weight": 75, "alias_dns_name": "alb-east.us-east-1.elb.amazonaws.com.",
         "alias_zone_id": "Z1", "change": False},
        {"set_identifier": "eu-west-1", "weight": 25, "alias_dns_name": "alb-west.eu-west-1.elb.amazonaws.com.",
         "alias_zone_id": "Z2", "change": True},
        {"set_identifier": "ap", "weight": 0, "alias_dns_name": "alb-ap.", "alias_zone_id": "Z3", "change": True}]
    # evaluate_target_health drift
    assert weighted_records_plan(current[:1], "api.example.com.", "A", wanted[:1], False)[0]["change"] is True


def test_every_filter_is_registered():
    assert set(FilterModule().filters()) == {
        "provision_tags_in_sync", "provision_subnets_to_ensure", "provision_ids_by",
        "provision_route_tables_to_ensure", "provision_route_tables_without_route",
        "provision_nat_gateways_by_subnet", "provision_security_group_in_sync", "provision_weighted_records_plan",
        "provision_rds_instances_to_ensure", "provision_alarms_to_ensure",
        "provision_policy_in_sync", "provision_iam_role_in_sync", "provision_state_machine_in_sync"}


def _wanted_alarm(region="eu-west-1", name="alarm-lag", **changes):
    alarm = {"region": region, "alarm_name": name, "alarm_description": "lag above 1000 ms",
             "namespace": "AWS/RDS", "metric_name": "AuroraGlobalDBReplicationLag", "statistic": "Maximum",
             "comparison_operator": "GreaterThanThreshold", "threshold": 1000.0, "unit": "Milliseconds",
             "period": 60, "evaluation_periods": 2, "treat_missing_data": "missing",
             "dimensions": {"DBClusterIdentifier": "aurora-x", "SourceRegion": "us-east-1"},
             "alarm_actions": [], "ok_actions": [], "insufficient_data_actions": []}
    alarm.update(changes)
    return alarm


def _read_alarm(region="eu-west-1", name="alarm-lag", **changes):
    """What cloudwatch_metric_alarm_info returns (DescribeAlarms MetricAlarm, snake_case)."""
    alarm = {"alarm_name": name, "alarm_arn": f"arn:aws:cloudwatch:{region}:123456789012:alarm:{name}",
             "alarm_description": "lag above 1000 ms", "actions_enabled": True, "state_value": "INSUFFICIENT_DATA",
             "namespace": "AWS/RDS", "metric_name": "AuroraGlobalDBReplicationLag", "statistic": "Maximum",
             "comparison_operator": "GreaterThanThreshold", "threshold": 1000.0, "unit": "Milliseconds",
             "period": 60, "evaluation_periods": 2, "treat_missing_data": "missing",
             "dimensions": [{"name": "SourceRegion", "value": "us-east-1"},
                            {"name": "DBClusterIdentifier", "value": "aurora-x"}],
             "alarm_actions": [], "ok_actions": [], "insufficient_data_actions": []}
    alarm.update(changes)
    return alarm


def test_alarms_in_sync_need_nothing_whatever_their_state_or_dimension_order():
    existing = [_read_alarm(), _read_alarm("us-east-1", state_value="OK", actions_enabled=False)]
    wanted = [_wanted_alarm(), _wanted_alarm("us-east-1", threshold="1000")]
    assert alarms_to_ensure(existing, wanted) == []


def test_an_alarm_without_treat_missing_data_counts_as_missing():
    existing = [_read_alarm(treat_missing_data=None)]
    assert alarms_to_ensure(existing, [_wanted_alarm()]) == []


@pytest.mark.parametrize("existing", [
    [],  # missing
    [_read_alarm("us-east-1")],  # same name, other region
    [_read_alarm(threshold=5000.0)],  # threshold changed by hand
    [_read_alarm(treat_missing_data="breaching")],
    [_read_alarm(alarm_description="edited")],
    [_read_alarm(alarm_actions=["arn:aws:sns:eu-west-1:123456789012:pager"])],
    [_read_alarm(dimensions=[{"name": "DBClusterIdentifier", "value": "aurora-x"}])],
    [_read_alarm(datapoints_to_alarm=1)],  # set by hand: the module puts the alarm without it
    [_read_alarm(evaluation_periods=5)],
    [_read_alarm(statistic="Average")],
])
def test_a_missing_or_drifted_alarm_is_ensured(existing):
    assert alarms_to_ensure(existing, [_wanted_alarm()]) == [_wanted_alarm()]


TRUST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "states.amazonaws.com"},
                                                 "Action": "sts:AssumeRole"}]}
PERMISSIONS = {"Version": "2012-10-17", "Statement": [
    {"Sid": "A", "Effect": "Allow", "Action": ["route53:GetChange"], "Resource": "*"},
    {"Sid": "B", "Effect": "Allow", "Action": ["ssm:GetParameter", "ssm:PutParameter"], "Resource": "arn:aws:ssm:x"}]}


def test_policies_compare_as_iam_does():
    reordered = {"Version": "2012-10-17", "Statement": [
        {"Sid": "B", "Effect": "Allow", "Action": ["ssm:PutParameter", "ssm:GetParameter"],
         "Resource": "arn:aws:ssm:x"},
        {"Sid": "A", "Effect": "Allow", "Action": "route53:GetChange", "Resource": ["*"]}]}
    assert policy_in_sync(reordered, PERMISSIONS)
    assert policy_in_sync(json.dumps(PERMISSIONS), PERMISSIONS)
    widened = {**PERMISSIONS, "Statement": PERMISSIONS["Statement"] + [
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
    assert not policy_in_sync(widened, PERMISSIONS)
    assert not policy_in_sync({}, PERMISSIONS)


def _role(**changes):
    role = {"arn": "arn:aws:iam::123456789012:role/r", "description": "d", "assume_role_policy_document": TRUST,
            "attached_policy_arns": [], "tags": {"Name": "r"}, "policy_document": PERMISSIONS}
    role.update(changes)
    return role


@pytest.mark.parametrize(("role", "expected"), [
    (_role(), True),
    ({}, False),  # missing
    (_role(description="edited"), False),
    (_role(tags={"Name": "r", "Owner": "someone"}), False),
    (_role(attached_policy_arns=["arn:aws:iam::aws:policy/AdministratorAccess"]), False),
    (_role(assume_role_policy_document={**TRUST, "Statement": [{**TRUST["Statement"][0],
                                                                "Principal": {"Service": "ec2.amazonaws.com"}}]}),
     False),
])
def test_iam_role_in_sync(role, expected):
    assert iam_role_in_sync(role, TRUST, "d", [], {"Name": "r"}) is expected


def test_an_iam_role_without_a_wanted_description_keeps_its_own():
    assert iam_role_in_sync(_role(description="anything"), TRUST, None, [], {"Name": "r"})


@pytest.mark.parametrize(("machine", "expected"), [
    ({"definition": '{"StartAt": "A"}', "role_arn": "arn:r", "tags": {"Name": "m"}}, True),
    ({}, False),
    ({"definition": '{"StartAt": "B"}', "role_arn": "arn:r", "tags": {"Name": "m"}}, False),
    ({"definition": '{"StartAt": "A"}', "role_arn": "arn:other", "tags": {"Name": "m"}}, False),
    ({"definition": '{"StartAt": "A"}', "role_arn": "arn:r", "tags": {}}, False),
])
def test_state_machine_in_sync(machine, expected):
    assert state_machine_in_sync(machine, '{"StartAt": "A"}', "arn:r", {"Name": "m"}) is expected
