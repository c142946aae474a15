"""The pure parts of the AWS helpers: member lookup, ARN parsing, change batches, paging, waiting."""

from __future__ import annotations

import pytest
from ansible_collections.payments.region_migration.plugins.module_utils import _gate_traffic as traffic
from ansible_collections.payments.region_migration.plugins.module_utils import _rds_global as lag
from ansible_collections.payments.region_migration.plugins.module_utils import _route53_weighted as r53
from ansible_collections.payments.region_migration.plugins.module_utils._aws_client import ClientCache

SRC = "arn:aws:rds:us-east-1:123456789012:cluster:aurora-payments"
TGT = "arn:aws:rds:eu-west-1:123456789012:cluster:aurora-payments"


def global_cluster(writer: str | None):
    return {"GlobalClusterMembers": [{"DBClusterArn": SRC, "IsWriter": writer == SRC},
                                     {"DBClusterArn": TGT, "IsWriter": writer == TGT}]}


@pytest.mark.parametrize(("reference", "region", "expected"), [
    (TGT, None, TGT),
    (SRC, "eu-west-1", SRC),  # an ARN names its region itself
    ("aurora-payments", "eu-west-1", TGT),  # same identifier in both regions: the region decides
    ("AURORA-PAYMENTS", "us-east-1", SRC),
    ("aurora-payments", None, SRC),
    ("aurora-other", "eu-west-1", None),
    ("arn:aws:rds:eu-west-1:123456789012:cluster:other", None, None),
])
def test_find_member(reference, region, expected):
    assert lag.find_member(global_cluster(SRC), reference, region) == expected


@pytest.mark.parametrize(("writer", "target", "expected"), [
    (SRC, "aurora-payments", TGT),  # before the switchover: the target is the secondary
    (TGT, "aurora-payments", SRC),  # after it: the old primary replicates from the target
    (SRC, None, TGT),
    (None, "aurora-payments", TGT),  # writer unknown: the named target
    (None, None, None),
])
def test_pick_secondary(writer, target, expected):
    assert lag.pick_secondary(global_cluster(writer), target, "eu-west-1") == expected


def test_arn_helpers():
    assert lag.arn_region(TGT) == "eu-west-1"
    assert lag.arn_region("aurora-payments") is None
    assert lag.arn_region(None) is None
    assert lag.cluster_id_of(TGT) == "aurora-payments"
    assert lag.cluster_id_of("aurora-payments") == "aurora-payments"
    assert lag.writer_arn(global_cluster(TGT)) == TGT
    assert lag.writer_arn(None) is None


def test_global_cluster_status():
    assert lag.global_cluster_status(None, None) == {"found": False}
    status = lag.global_cluster_status({**global_cluster(SRC), "GlobalClusterIdentifier": "gdb", "Status": "available",
                                        "FailoverState": {"Status": "pending"}}, TGT)
    assert status["failover_state"] == "pending"
    assert status["writer_cluster_arn"] == SRC
    assert status["members"] == [{"db_cluster_arn": SRC, "is_writer": True},
                                 {"db_cluster_arn": TGT, "is_writer": False}]


@pytest.mark.parametrize(("arn", "dimension"), [
    ("arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/alb-payment/50dc6c495c0c9188",
     "app/alb-payment/50dc6c495c0c9188"),
    ("arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/net/nlb/50dc6c495c0c9188", None),
    ("arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/tg/50dc6c495c0c9188", None),
    ("alb-payment", None),
])
def test_load_balancer_dimension(arn, dimension):
    assert traffic.load_balancer_dimension(arn) == dimension


def test_change_batch_upserts_every_record_with_everything_but_the_weight_kept():
    records = [
        {"Name": "api.example.com.", "Type": "A", "SetIdentifier": "us-east-1", "Weight": 100,
         "AliasTarget": {"HostedZoneId": "Z1", "DNSName": "a.", "EvaluateTargetHealth": True}},
        {"Name": "api.example.com.", "Type": "A", "SetIdentifier": "eu-west-1", "Weight": 0, "TTL": 60,
         "ResourceRecords": [{"Value": "192.0.2.1"}], "HealthCheckId": "hc"},
    ]
    batch = r53.change_batch(records, {"us-east-1": 75, "eu-west-1": 25}, "shift")
    assert batch["Comment"] == "shift"
    assert [c["Action"] for c in batch["Changes"]] == ["UPSERT", "UPSERT"]
    by_id = {c["ResourceRecordSet"]["SetIdentifier"]: c["ResourceRecordSet"] for c in batch["Changes"]}
    assert by_id["us-east-1"] == {**records[0], "Weight": 75}
    assert by_id["eu-west-1"] == {**records[1], "Weight": 25}
    assert records[0]["Weight"] == 100  # the input is not modified


def test_fqdn_and_weights_of():
    assert r53.fqdn(" API.Example.com ") == "api.example.com."
    assert r53.fqdn("api.example.com.") == "api.example.com."
    assert r53.weights_of([{"SetIdentifier": "a", "Weight": 3}]) == {"a": 3}


class FakeRoute53:
    """Pages of ListResourceRecordSets and a GetChange status that never settles."""

    def __init__(self, pages):
        self.pages = list(pages)
        self.list_calls = []
        self.get_change_calls = 0

    def list_resource_record_sets(self, aws_retry, **kwargs):
        assert aws_retry is True
        self.list_calls.append(kwargs)
        return self.pages.pop(0)

    def get_change(self, aws_retry, Id):  # noqa: N803 (boto3 parameter name)
        self.get_change_calls += 1
        return {"ChangeInfo": {"Id": Id, "Status": "PENDING"}}


def rec(identifier, name="api.example.com.", rtype="A"):
    return {"Name": name, "Type": rtype, "SetIdentifier": identifier, "Weight": 1}


def test_record_sets_follows_pages_until_another_record():
    fake = FakeRoute53([
        {"ResourceRecordSets": [rec("a"), rec("b")], "IsTruncated": True, "NextRecordName": "api.example.com.",
         "NextRecordType": "A", "NextRecordIdentifier": "c"},
        {"ResourceRecordSets": [rec("c"), rec("x", name="www.example.com.")], "IsTruncated": True,
         "NextRecordName": "www.example.com.", "NextRecordType": "A"},
    ])
    found = r53.record_sets(None, fake, "Z1", "api.example.com", "A")
    assert [r["SetIdentifier"] for r in found] == ["a", "b", "c"]
    assert fake.list_calls[1]["StartRecordIdentifier"] == "c"
    assert len(fake.list_calls) == 2


def test_record_sets_stops_when_paging_does_not_advance():
    page = {"ResourceRecordSets": [rec("a")], "IsTruncated": True, "NextRecordName": "api.example.com.",
            "NextRecordType": "A"}
    fake = FakeRoute53([page, page, page])
    found = r53.record_sets(None, fake, "Z1", "api.example.com.", "A")
    assert [r["SetIdentifier"] for r in found] == ["a"]
    assert len(fake.list_calls) == 2


def test_wait_insync_gives_up_at_the_timeout():
    fake = FakeRoute53([])
    now = [0.0]

    def sleep(seconds):
        now[0] += seconds

    status = r53.wait_insync(None, fake, "C1", timeout=12, sleep=sleep, clock=lambda: now[0])
    assert status == "PENDING"
    assert fake.get_change_calls == 4  # at 0, 5, 10 s and at the timeout (12 s)


class FakeModule:
    def __init__(self, region, **params):
        self.region = region
        self.params = {"region": region, **params}


@pytest.mark.parametrize(("region", "service", "expected"), [
    (None, "route53", "us-east-1"),
    ("eu-west-1", "route53", "eu-west-1"),
    ("eu-west-1", "rds", "eu-west-1"),
    (None, "rds", None),
])
def test_client_cache_regions(region, service, expected, monkeypatch):
    created = []
    monkeypatch.setattr(ClientCache, "_connect", lambda self, svc, reg: created.append((svc, reg)) or object())
    clients = ClientCache(FakeModule(region))
    first = clients(service)
    assert clients(service) is first
    assert created == [(service, expected)]


def test_client_cache_clients_share_one_session_and_the_connection_settings():
    """One boto3 session per module run: each service model is loaded once, not once per client."""
    module = FakeModule("eu-west-1", endpoint_url="http://127.0.0.1:9", access_key="AKIDTEST", secret_key="secret",
                        aws_config={"connect_timeout": 7})
    clients = ClientCache(module)
    ec2, rds_us = clients("ec2"), clients("rds", "us-east-1")

    assert ec2.client.meta.region_name == "eu-west-1" and rds_us.client.meta.region_name == "us-east-1"
    assert ec2.client.meta.endpoint_url == "http://127.0.0.1:9"
    assert ec2.client.meta.config.connect_timeout == 7
    assert "Ansible/" in ec2.client.meta.config.user_agent
    assert clients._session is not None and ec2.client._loader is rds_us.client._loader
