"""Pure verdicts of the writer and write-path checks (_gate_writer)."""

from __future__ import annotations

import base64

import pytest
from ansible_collections.payments.region_migration.plugins.module_utils import _gate_writer as gw

USE1 = "arn:aws:rds:us-east-1:123456789012:cluster:aurora-use1"
EUW1 = "arn:aws:rds:eu-west-1:123456789012:cluster:aurora-euw1"
ENDPOINT = "gdb.global-abc.global.rds.amazonaws.com"


def gc(writer=USE1, **extra):
    return {"GlobalClusterIdentifier": "gdb", "Status": "available", "Endpoint": ENDPOINT,
            "GlobalClusterMembers": [{"DBClusterArn": USE1, "IsWriter": writer == USE1},
                                     {"DBClusterArn": EUW1, "IsWriter": writer == EUW1}], **extra}


@pytest.mark.parametrize(("cluster", "expected", "healthy", "text"), [
    (gc(), "us-east-1", True, "writer in us-east-1"),
    (gc(), None, True, "writer in us-east-1"),
    (gc(), "eu-west-1", False, "the writer is in us-east-1, not in eu-west-1"),
    (gc(EUW1), "eu-west-1", True, "writer in eu-west-1"),
    (None, "us-east-1", False, "global cluster gdb not found"),
    (gc(None), "us-east-1", False, "has no writer member"),
    (gc(Status="modifying"), "us-east-1", False, "is 'modifying', not 'available'"),
    (gc(Status="switching-over", FailoverState={"Status": "switching-over", "ToDbClusterArn": EUW1,
                                                "FromDbClusterArn": USE1}),
     "us-east-1", False, f"switchover in progress on global cluster gdb (switching-over from {USE1} to {EUW1})"),
    (gc(FailoverState={"Status": "failing-over", "IsDataLossAllowed": True}), None, False, "failover in progress"),
])
def test_writer_verdict(cluster, expected, healthy, text):
    ok, reason, values = gw.writer_verdict(cluster, "gdb", expected)
    assert ok is healthy
    assert text in reason


@pytest.mark.parametrize(("user_data", "endpoint"), [
    ("DB_WRITER_ENDPOINT=a.example\n", "a.example"),
    ("#!/bin/bash\ncat > /etc/x.env <<'EOF'\nDB_PORT=3306\nDB_WRITER_ENDPOINT='b.example'\nEOF\n", "b.example"),
    ("export DB_WRITER_ENDPOINT=\"c.example\"\n", "c.example"),
    ("DB_READER_ENDPOINT=r.example\n", None),
    ("", None),
    (None, None),
])
def test_writer_endpoint_in_user_data(user_data, endpoint):
    assert gw.writer_endpoint_in_user_data(user_data) == endpoint


def test_decode_user_data():
    assert gw.decode_user_data(base64.b64encode(b"DB_WRITER_ENDPOINT=x").decode()) == "DB_WRITER_ENDPOINT=x"
    assert gw.decode_user_data(None) == ""
    assert gw.decode_user_data("not base64!") == "not base64!"


def peering(a, b, code="active"):
    return {"VpcPeeringConnectionId": "pcx-1", "RequesterVpcInfo": {"VpcId": a}, "AccepterVpcInfo": {"VpcId": b},
            "Status": {"Code": code}}


def test_active_peering_either_direction():
    assert gw.active_peering([peering("vpc-b", "vpc-a")], "vpc-a", "vpc-b")["VpcPeeringConnectionId"] == "pcx-1"
    assert gw.active_peering([peering("vpc-a", "vpc-b", "pending-acceptance")], "vpc-a", "vpc-b") is None
    assert gw.active_peering([peering("vpc-a", "vpc-c")], "vpc-a", "vpc-b") is None


APP = {"asg_name": "asg", "found": True, "launch_template": "lt version 1", "writer_endpoint": ENDPOINT}


@pytest.mark.parametrize(("cluster", "app", "peer", "vpcs", "healthy", "text"), [
    (gc(), APP, peering("a", "b"), ["a", "b"], True, "over peering pcx-1"),
    (gc(EUW1), APP, None, None, True, "in region"),
    (gc(), APP, None, ["a", "b"], False, "no active VPC peering connection between a and b"),
    (gc(), APP, None, None, False, "give peering_vpc_ids"),
    (gc(EUW1), {**APP, "writer_endpoint": None}, None, None, False, "carries no DB_WRITER_ENDPOINT"),
    (gc(EUW1), {**APP, "writer_endpoint": "x.example"}, None, None, False, "writes to x.example, not to the global"),
    (gc(EUW1), {**APP, "found": False}, None, None, False, "Auto Scaling group asg not found"),
    (gc(EUW1), {**APP, "launch_template": None}, None, None, False, "has no launch template"),
    (gc(EUW1, Endpoint=None), APP, None, None, False, "reports no global writer endpoint"),
    (None, APP, None, None, False, "global cluster gdb not found"),
])
def test_write_path_verdict(cluster, app, peer, vpcs, healthy, text):
    ok, reason, values = gw.write_path_verdict("eu-west-1", cluster, "gdb", app, peer, vpcs)
    assert ok is healthy, reason
    assert text in reason
    if not ok:
        assert reason.startswith("no write path from eu-west-1: ")
