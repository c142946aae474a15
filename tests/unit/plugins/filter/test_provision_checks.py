"""Unit tests of provision.yml's checks of the inventory and of the source stack."""

from __future__ import annotations

import pytest
from ansible_collections.payments.region_migration.plugins.filter.provision_checks import (
    FilterModule,
    aurora_feature_problems,
    aurora_release,
    cidrs_overlap,
    cluster_parameter_differences,
    cluster_parameter_group_check,
    cluster_parameters_to_apply,
    global_cluster_problems,
    parameter_group_family,
    source_input_problems,
    stack_input_problems,
    vpc_cidr_problems,
)

STACK = {
    "migration_env_suffix": "prod",
    "migration_environment": "prod",
    "migration_source_region": "us-east-1",
    "migration_target_region": "eu-west-1",
    "migration_domain_name": "payments.example.com",
    "migration_record_name": "api.payments.example.com",
    "migration_artifacts_dir": "/tmp/artifacts",
    "migration_stack_tags": {"Stack": "s"},
    "migration_target_vpc_cidr": "10.1.0.0/16",
    "migration_app_image": "111122223333.dkr.ecr.eu-west-1.amazonaws.com/payment-processor:1.4.2",
}
SOURCE = {
    "source_vpc_id": "vpc-1",
    "source_route_table_names": ["rtb-a"],
    "source_alb_name": "alb-payment-prod",
    "source_cluster_identifier": "aurora-payment-prod",
    "source_global_cluster_identifier": "gdb-payment-prod",
    "source_hosted_zone_name": "Payments.Example.com.",
    "source_record_name": "api.payments.example.com",
    "migration_record_name": "api.payments.example.com",
    "migration_domain_name": "payments.example.com",
}


def test_complete_stack_inputs_pass():
    assert stack_input_problems(STACK) == []


@pytest.mark.parametrize(("change", "expected"), [
    ({"migration_env_suffix": ""}, "migration_env_suffix (REQUIRED"),
    ({"migration_env_suffix": "Prod_1"}, "migration_env_suffix (REQUIRED"),
    ({"migration_target_region": "us-east-1"}, "migration_target_region 'us-east-1'"),
    ({"migration_record_name": ""}, "migration_record_name (REQUIRED)"),
    ({"migration_stack_tags": "x"}, "migration_stack_tags"),
    ({"migration_target_vpc_cidr": "10.1.0.0/33"}, "migration_target_vpc_cidr '10.1.0.0/33' is not a CIDR"),
    ({"migration_target_vpc_cidr": "10.1.0.1/16"}, "is not a CIDR block (10.1.0.1/16 has host bits set)"),
    # item 3: the image is a required input, and the message says what is missing
    ({"migration_app_image": ""}, "migration_app_image (REQUIRED: the payment processor's container image"),
    ({"migration_app_image": "payment-processor"}, "migration_app_image 'payment-processor'"),
])
def test_stack_input_problems_name_the_input(change, expected):
    problems = stack_input_problems({**STACK, **change})
    assert len(problems) == 1
    assert expected in problems[0]


def test_image_is_only_checked_where_the_playbook_passes_it():
    inputs = dict(STACK)
    del inputs["migration_app_image"]
    assert stack_input_problems(inputs) == []


def test_unfilled_inventory_lists_every_missing_input():
    problems = stack_input_problems({"migration_app_image": ""})
    assert len(problems) == 10


def test_complete_source_inputs_pass():
    assert source_input_problems(SOURCE) == []


@pytest.mark.parametrize(("change", "expected"), [
    ({"source_vpc_id": ""}, "source_vpc_id or source_vpc_name (REQUIRED)"),
    ({"source_route_table_names": []}, "source_route_table_ids or source_route_table_names (REQUIRED)"),
    ({"source_alb_name": None}, "source_alb_arn or source_alb_name (REQUIRED)"),
    ({"source_cluster_identifier": ""}, "source_cluster_identifier (REQUIRED)"),
    ({"source_record_name": "www.payments.example.com"}, "source_record_name 'www.payments.example.com' must equal"),
    ({"source_vpc_cidr": "10.0.0.0"}, "source_vpc_cidr '10.0.0.0' is not an IPv4 CIDR block"),
])
def test_source_input_problems_name_the_input(change, expected):
    problems = source_input_problems({**SOURCE, **change})
    assert len(problems) == 1
    assert expected in problems[0]


@pytest.mark.parametrize(("first", "second", "overlap"), [
    ("10.0.0.0/16", "10.1.0.0/16", False),
    ("10.0.0.0/8", "10.1.0.0/16", True),
    ("10.1.128.0/17", "10.1.0.0/16", True),
    ("172.31.0.0/16", "10.1.0.0/16", False),
    ("10.1.255.0/24", "10.1.0.0/16", True),
])
def test_cidrs_overlap(first, second, overlap):
    assert cidrs_overlap(first, second) is overlap
    assert cidrs_overlap(second, first) is overlap  # pylint: disable=arguments-out-of-order


def test_vpc_cidr_problems():
    assert vpc_cidr_problems("172.31.0.0/16", "10.1.0.0/16") == []
    # the looked-up CIDR is what counts; the inventory value is only an expectation
    assert "but the inventory says source_vpc_cidr 10.0.0.0/16" in vpc_cidr_problems(
        "172.31.0.0/16", "10.1.0.0/16", "10.0.0.0/16")[0]
    assert "overlaps the target VPC CIDR 10.1.0.0/16" in vpc_cidr_problems("10.0.0.0/8", "10.1.0.0/16")[0]
    assert "is not a CIDR block" in vpc_cidr_problems("nonsense", "10.1.0.0/16")[0]


def test_aurora_release():
    assert aurora_release("8.0.mysql_aurora.3.05.2") == "3.05.2"
    assert aurora_release("5.7.mysql_aurora.2.11.2") == "2.11.2"
    assert aurora_release("15.4") == ""


@pytest.mark.parametrize(("version", "features", "expected"), [
    ("8.0.mysql_aurora.3.05.2", None, []),
    ("8.0.mysql_aurora.3.04.0", None, []),
    # 3.02 has a global database, switchover and the global writer endpoint, but no RPO lag metric
    ("8.0.mysql_aurora.3.02.2", None,
     ["CloudWatch metric AuroraGlobalDBRPOLag (lag gates and alarms) needs Aurora MySQL 3.04.0 or newer; "
      "8.0.mysql_aurora.3.02.2 is 3.02.2"]),
    ("8.0.mysql_aurora.3.02.2", ["global_database", "switchover", "global_writer_endpoint"], []),
    ("5.7.mysql_aurora.2.09.0", ["switchover"],
     ["managed global database switchover (SwitchoverGlobalCluster) needs Aurora MySQL 2.09.1 or newer; "
      "5.7.mysql_aurora.2.09.0 is 2.09.0"]),
    ("5.7.mysql_aurora.2.12.0", None, []),
    ("5.7.mysql_aurora.2.08.0", ["write_forwarding"],
     ["global write forwarding (EnableGlobalWriteForwarding) needs Aurora MySQL 2.08.1 or newer; "
      "5.7.mysql_aurora.2.08.0 is 2.08.0"]),
    ("5.6.mysql_aurora.1.23.0", ["global_database"],
     ["Aurora global database is not available on Aurora MySQL 1.23.0 (version 1)"]),
])
def test_aurora_feature_problems(version, features, expected):
    assert aurora_feature_problems("aurora-mysql", version, features) == expected


def test_aurora_feature_problems_other_engine_and_unknown_feature():
    assert "aurora-mysql global databases only" in aurora_feature_problems("aurora-postgresql", "15.4")[0]
    assert "unknown Aurora feature" in aurora_feature_problems("aurora-mysql", "8.0.mysql_aurora.3.05.2", ["x"])[0]
    assert "is not an Aurora MySQL version" in aurora_feature_problems("aurora-mysql", "8.0.32")[0]


ARN = "arn:aws:rds:us-east-1:1:cluster:aurora-payment-prod"


def gdb(name, members, engine="aurora-mysql"):
    return {"global_cluster_identifier": name, "engine": engine,
            "global_cluster_members": [{"db_cluster_arn": m} for m in members]}


@pytest.mark.parametrize(("globals_", "expected"), [
    ([], []),
    ([gdb("gdb-payment-prod", [ARN])], []),
    ([gdb("gdb-payment-prod", [ARN]), gdb("other", ["arn:x"])], []),
    ([gdb("other", [ARN])], ["already belongs to the global cluster(s) other"]),
    ([gdb("gdb-payment-prod", ["arn:x"])], ["exists but " + ARN + " is not one of its members (arn:x)"]),
    ([gdb("gdb-payment-prod", [ARN], engine="aurora-postgresql")], ["runs aurora-postgresql, not aurora-mysql"]),
])
def test_global_cluster_problems(globals_, expected):
    problems = global_cluster_problems(globals_, "gdb-payment-prod", ARN)
    assert len(problems) == len(expected)
    for problem, text in zip(problems, expected, strict=True):
        assert text in problem


def param(name, value, source="user", apply_type="dynamic"):
    return {"parameter_name": name, "parameter_value": value, "source": source, "apply_type": apply_type}


PRIMARY = {"name": "cpg-payment-prod", "family": "aurora-mysql8.0",
           "parameters": [param("time_zone", "UTC"), param("binlog_format", "ROW", apply_type="static"),
                          param("innodb_lock_wait_timeout", "50", source="engine-default")]}


def test_cluster_parameter_groups_match():
    secondary = {"name": "cpg-payment-prod", "family": "aurora-mysql8.0",
                 "parameters": [param("binlog_format", "ROW"), param("time_zone", "UTC")]}
    assert cluster_parameter_differences(PRIMARY, secondary) == []


def test_cluster_parameter_group_differences():
    secondary = {"name": "default.aurora-mysql5.7", "family": "aurora-mysql5.7",
                 "parameters": [param("time_zone", "Europe/Dublin"), param("max_connections", "100")]}
    assert cluster_parameter_differences(PRIMARY, secondary) == [
        "parameter group family: primary cpg-payment-prod aurora-mysql8.0, "
        "secondary default.aurora-mysql5.7 aurora-mysql5.7",
        "binlog_format: primary ROW, secondary (default)",
        "max_connections: primary (default), secondary 100",
        "time_zone: primary UTC, secondary Europe/Dublin",
    ]


def test_default_secondary_group_differs_from_a_customised_primary():
    """Item 10: the secondary kept the default group while the primary has its own."""
    secondary = {"name": "default.aurora-mysql8.0", "family": "aurora-mysql8.0", "parameters": []}
    assert len(cluster_parameter_differences(PRIMARY, secondary)) == 2


def test_cluster_parameters_to_apply():
    assert cluster_parameters_to_apply(PRIMARY["parameters"]) == [
        {"parameter_name": "binlog_format", "parameter_value": "ROW", "apply_method": "pending-reboot"},
        {"parameter_name": "time_zone", "parameter_value": "UTC", "apply_method": "immediate"},
    ]
    assert cluster_parameters_to_apply(None) == []


def test_parameter_group_family():
    assert parameter_group_family("aurora-mysql", "8.0.mysql_aurora.3.05.2") == "aurora-mysql8.0"


def test_filters_are_registered():
    filters = FilterModule().filters()
    assert filters["cluster_parameter_differences"] is cluster_parameter_differences
    assert filters["provision_vpc_cidr_problems"] is vpc_cidr_problems


def _info(name, family, parameters=()):
    group = {"db_cluster_parameter_group_name": name, "db_parameter_group_family": family,
             "db_parameters": list(parameters)}
    return {"db_cluster_parameter_groups": [group]}


@pytest.mark.parametrize(
    ("infos", "ok", "detail"),
    [
        ([_info("default.aurora-mysql8.0", "aurora-mysql8.0"), _info("cpg-payment-x", "aurora-mysql8.0")], True,
         "same family and non-default parameters (default.aurora-mysql8.0, cpg-payment-x)"),
        ([_info("p", "aurora-mysql8.0", [{"parameter_name": "binlog_format", "parameter_value": "ROW",
                                          "source": "user"}]),
          _info("s", "aurora-mysql8.0")], False, "binlog_format: primary ROW, secondary (default)"),
        ([_info("p", "aurora-mysql8.0"), {"db_cluster_parameter_groups": []}], False,
         "cannot read both cluster parameter groups"),
        ([_info("p", "aurora-mysql8.0"), {"failed": True, "msg": "DBParameterGroupNotFound"}], False,
         "cannot read both cluster parameter groups"),
        ([], False, "cannot read both cluster parameter groups"),
    ],
)
def test_cluster_parameter_group_check_fails_unless_both_groups_are_read_and_equal(infos, ok, detail):
    assert cluster_parameter_group_check(infos) == {"ok": ok, "detail": detail}
