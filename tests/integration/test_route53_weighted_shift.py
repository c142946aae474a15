"""route53_weighted_shift against the emulator: check mode, real run, idempotence, errors, atomicity.

Every test reads the record sets back with boto3; the API calls the module makes are recorded at
botocore's ``_make_api_call`` so that the number of ChangeResourceRecordSets requests and the
content of each ChangeBatch can be asserted (one request must carry every record of the set).
"""

from __future__ import annotations

import copy

import pytest
from ansible_collections.payments.region_migration.plugins.modules import route53_weighted_shift as module
from botocore.client import BaseClient

from tests.conftest import emulator_call

ZONE = "payments-test.example.com"
RECORD = "api.payments-test.example.com"
ELB_ZONE = {"us-east-1": "Z35SXDOTRQ7X7K", "eu-west-1": "Z32O12XQLNTSW2", "eu-central-1": "Z215JYRZR1TBD5"}


@pytest.fixture
def api_calls(monkeypatch):
    """Every AWS call made in-process: (operation name, parameters)."""
    calls: list[tuple[str, dict]] = []
    original = BaseClient._make_api_call

    def recording(self, operation_name, api_params):
        calls.append((operation_name, copy.deepcopy(api_params)))
        return original(self, operation_name, api_params)

    monkeypatch.setattr(BaseClient, "_make_api_call", recording)
    return calls


def writes(calls):
    return [params for name, params in calls if name == "ChangeResourceRecordSets"]


def alias_record(region: str, weight: int, name: str = RECORD) -> dict:
    return {
        "Name": name, "Type": "A", "SetIdentifier": region, "Weight": weight,
        "AliasTarget": {"HostedZoneId": ELB_ZONE[region], "EvaluateTargetHealth": True,
                        "DNSName": f"alb-payment-{region}.{region}.elb.amazonaws.com."},
    }


@pytest.fixture
def zone(aws):
    """A public zone with a weighted alias set (us-east-1 100, eu-west-1 0); returns the zone id."""
    r53 = aws("route53", "us-east-1")
    zone_id = r53.create_hosted_zone(Name=ZONE, CallerReference="weighted-shift-test")["HostedZone"]["Id"]
    zone_id = zone_id.replace("/hostedzone/", "")
    changes = [{"Action": "CREATE", "ResourceRecordSet": alias_record(r, w)}
               for r, w in (("us-east-1", 100), ("eu-west-1", 0))]
    r53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": changes})
    return zone_id


def read_set(aws, zone_id: str, name: str = RECORD, record_type: str = "A") -> dict[str, dict]:
    """The records of a set as Route 53 returns them, by SetIdentifier."""
    records = aws("route53", "us-east-1").list_resource_record_sets(HostedZoneId=zone_id)["ResourceRecordSets"]
    return {r["SetIdentifier"]: r for r in records
            if r["Name"] == name.rstrip(".") + "." and r["Type"] == record_type and "SetIdentifier" in r}


def weights(aws, zone_id: str, name: str = RECORD, record_type: str = "A") -> dict[str, int]:
    return {k: v["Weight"] for k, v in read_set(aws, zone_id, name, record_type).items()}


def shift_args(module_args, **extra):
    # No region on purpose: Route 53 is global and the module must work without one.
    return {**module_args, "zone": ZONE, "record_name": RECORD, **extra}


def test_check_mode_reports_the_change_and_writes_nothing(aws, zone, module_args, run, api_calls):
    result = run(module, shift_args(module_args, target_identifier="eu-west-1", percent=25), check_mode=True,
                 diff=True)

    assert result["changed"] is True
    assert result["before"] == {"us-east-1": 100, "eu-west-1": 0}
    assert result["after"] == {"us-east-1": 75, "eu-west-1": 25}
    assert result["diff"] == {"before": {"A": result["before"]}, "after": {"A": result["after"]}}
    assert result["change_id"] is None
    assert writes(api_calls) == []
    assert weights(aws, zone) == {"us-east-1": 100, "eu-west-1": 0}


def test_real_run_changes_all_weights_in_one_request_and_keeps_targets(aws, zone, module_args, run, api_calls):
    before = read_set(aws, zone)

    result = run(module, shift_args(module_args, target_identifier="eu-west-1", percent=25), diff=True)

    assert result["changed"] is True
    assert result["change_id"]
    assert result["change_status"] == "INSYNC"
    assert result["target_percent"] == 25.0
    assert result["diff"]["after"] == {"A": {"us-east-1": 75, "eu-west-1": 25}}
    after = read_set(aws, zone)
    assert {k: v["Weight"] for k, v in after.items()} == {"us-east-1": 75, "eu-west-1": 25}
    for identifier, record in after.items():
        assert {k: v for k, v in record.items() if k != "Weight"} == \
            {k: v for k, v in before[identifier].items() if k != "Weight"}
    # Atomic: exactly one ChangeResourceRecordSets request, and it carries every record of the set.
    [batch] = writes(api_calls)
    changes = batch["ChangeBatch"]["Changes"]
    assert sorted((c["Action"], c["ResourceRecordSet"]["SetIdentifier"], c["ResourceRecordSet"]["Weight"])
                  for c in changes) == [("UPSERT", "eu-west-1", 25), ("UPSERT", "us-east-1", 75)]
    assert [name for name, _ in api_calls].count("GetChange") >= 1


def test_second_run_is_idempotent(aws, zone, module_args, run, api_calls):
    first = run(module, shift_args(module_args, target_identifier="eu-west-1", percent=50))
    assert first["changed"] is True
    api_calls.clear()

    second = run(module, shift_args(module_args, target_identifier="eu-west-1", percent=50))

    assert second["changed"] is False
    assert second["change_id"] is None
    assert second["before"] == second["after"] == {"us-east-1": 50, "eu-west-1": 50}
    assert writes(api_calls) == []
    assert weights(aws, zone) == {"us-east-1": 50, "eu-west-1": 50}


def test_equivalent_split_on_another_scale_is_left_alone(aws, zone, module_args, run, api_calls):
    # 100/0 is already 0 % for eu-west-1: no rewrite to another scale.
    result = run(module, shift_args(module_args, target_identifier="eu-west-1", percent=0))

    assert result["changed"] is False
    assert writes(api_calls) == []
    assert weights(aws, zone) == {"us-east-1": 100, "eu-west-1": 0}


def test_explicit_weights_by_hosted_zone_id_without_waiting(aws, zone, module_args, run, api_calls):
    run(module, shift_args(module_args, target_identifier="eu-west-1", percent=100))
    api_calls.clear()

    args = {**module_args, "hosted_zone_id": zone, "record_name": RECORD + ".",
            "weights": {"us-east-1": 255, "eu-west-1": "0"}, "wait": False}
    result = run(module, args)

    assert result["changed"] is True
    assert result["change_status"] == "PENDING"
    assert result["target_percent"] is None
    assert weights(aws, zone) == {"us-east-1": 255, "eu-west-1": 0}
    assert len(writes(api_calls)) == 1
    assert "GetChange" not in [name for name, _ in api_calls]


def test_three_records_share_the_rest_in_proportion(aws, zone, module_args, run, api_calls):
    r53 = aws("route53", "us-east-1")
    r53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [
        {"Action": "UPSERT", "ResourceRecordSet": alias_record("us-east-1", 60)},
        {"Action": "CREATE", "ResourceRecordSet": alias_record("eu-central-1", 20)},
    ]})
    api_calls.clear()

    result = run(module, shift_args(module_args, target_identifier="eu-west-1", percent=20))

    assert result["after"] == {"us-east-1": 60, "eu-central-1": 20, "eu-west-1": 20}
    assert weights(aws, zone) == result["after"]
    [batch] = writes(api_calls)
    assert len(batch["ChangeBatch"]["Changes"]) == 3


def test_value_records_keep_ttl_values_and_health_check(aws, zone, module_args, run):
    r53 = aws("route53", "us-east-1")
    check_id = r53.create_health_check(CallerReference="hc-use1", HealthCheckConfig={
        "Type": "HTTPS", "FullyQualifiedDomainName": "use1.payments-test.example.com", "ResourcePath": "/health",
    })["HealthCheck"]["Id"]
    name = "txt.payments-test.example.com"
    r53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [
        {"Action": "CREATE", "ResourceRecordSet": {
            "Name": name, "Type": "TXT", "SetIdentifier": "us-east-1", "Weight": 10, "TTL": 60,
            "ResourceRecords": [{"Value": '"use1"'}], "HealthCheckId": check_id}},
        {"Action": "CREATE", "ResourceRecordSet": {
            "Name": name, "Type": "TXT", "SetIdentifier": "eu-west-1", "Weight": 0, "TTL": 30,
            "ResourceRecords": [{"Value": '"euw1"'}]}},
    ]})

    result = run(module, {**module_args, "zone": ZONE + ".", "record_name": name, "record_type": "TXT",
                          "target_identifier": "eu-west-1", "percent": 75})

    assert result["changed"] is True
    after = read_set(aws, zone, name, "TXT")
    assert {k: v["Weight"] for k, v in after.items()} == {"us-east-1": 25, "eu-west-1": 75}
    assert after["us-east-1"]["TTL"] == 60
    assert after["us-east-1"]["HealthCheckId"] == check_id
    assert after["us-east-1"]["ResourceRecords"] == [{"Value": '"use1"'}]
    assert after["eu-west-1"]["TTL"] == 30
    assert "HealthCheckId" not in after["eu-west-1"]
    # The A set next to it is untouched.
    assert weights(aws, zone) == {"us-east-1": 100, "eu-west-1": 0}


ERROR_CASES = [
    pytest.param({"zone": "missing.example.com", "target_identifier": "eu-west-1", "percent": 25},
                 "not found", id="zone-name-not-found"),
    pytest.param({"zone": None, "hosted_zone_id": "ZNOTAZONE123", "target_identifier": "eu-west-1", "percent": 25},
                 "not found", id="zone-id-not-found"),
    pytest.param({"private_zone": True, "target_identifier": "eu-west-1", "percent": 25},
                 "(private) not found", id="no-private-zone-of-that-name"),
    pytest.param({"record_name": "www.payments-test.example.com", "target_identifier": "eu-west-1", "percent": 25},
                 "Record set www.payments-test.example.com. not found", id="record-set-not-found"),
    pytest.param({"record_type": "AAAA", "target_identifier": "eu-west-1", "percent": 25},
                 "not found", id="record-type-not-found"),
    pytest.param({"target_identifier": "ap-south-1", "percent": 25},
                 "'ap-south-1' is not in the record set", id="target-not-in-set"),
    pytest.param({"weights": {"us-east-1": 50, "ap-south-1": 50}},
                 "'ap-south-1', not in the record set", id="weights-name-not-in-set"),
    pytest.param({"target_identifier": "eu-west-1", "percent": 101},
                 "percent must be an integer from 0 to 100", id="percent-above-100"),
    pytest.param({"target_identifier": "eu-west-1", "percent": -1},
                 "percent must be an integer from 0 to 100", id="percent-negative"),
    pytest.param({"weights": {"us-east-1": 256}}, "from 0 to 255", id="weight-above-255"),
    pytest.param({"weights": {"eu-west-1": -5}}, "from 0 to 255", id="weight-negative"),
    pytest.param({"weights": {"eu-west-1": "lots"}}, "from 0 to 255", id="weight-not-a-number"),
    pytest.param({"weights": {"us-east-1": 0, "eu-west-1": 0}}, "all weights would be zero", id="all-zero"),
    pytest.param({"weights": {"us-east-1": 0}}, "all weights would be zero", id="all-zero-after-merge"),
]


@pytest.mark.parametrize(("extra", "message"), ERROR_CASES)
def test_errors_fail_clearly_and_change_nothing(aws, zone, module_args, run, api_calls, extra, message):
    args = shift_args(module_args, **extra)
    args = {k: v for k, v in args.items() if v is not None}

    result = run(module, args)

    assert result["failed"] is True
    assert message in result["msg"]
    assert writes(api_calls) == []
    assert weights(aws, zone) == {"us-east-1": 100, "eu-west-1": 0}


def test_not_a_weighted_record_set_is_refused(aws, zone, module_args, run, api_calls):
    name = "plain.payments-test.example.com"
    aws("route53", "us-east-1").change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [
        {"Action": "CREATE", "ResourceRecordSet": {"Name": name, "Type": "A", "TTL": 60,
                                                   "ResourceRecords": [{"Value": "192.0.2.10"}]}}]})
    api_calls.clear()

    result = run(module, shift_args(module_args, record_name=name, target_identifier="eu-west-1", percent=25))

    assert result["failed"] is True
    assert "is not a weighted record set" in result["msg"]
    assert writes(api_calls) == []


def test_argument_combinations_are_refused(zone, module_args, run):
    both = run(module, shift_args(module_args, hosted_zone_id=zone, target_identifier="eu-west-1", percent=25))
    assert both["failed"] is True and "mutually exclusive" in both["msg"]
    mixed = run(module, shift_args(module_args, weights={"eu-west-1": 1}, target_identifier="eu-west-1"))
    assert mixed["failed"] is True and "mutually exclusive" in mixed["msg"]
    alone = run(module, shift_args(module_args, percent=25))
    assert alone["failed"] is True and "target_identifier" in alone["msg"]


def test_throttled_write_is_retried(aws, zone, emulator, module_args, run, api_calls, retry_sleeps):
    emulator_call(emulator, "POST", "/_emulator/faults",
                  {"kind": "api_error", "action": "ChangeResourceRecordSets", "count": 3, "error": "Throttling"})
    # botocore's own retries are switched off so that the module's retry decorator has to do it.
    args = shift_args(module_args, target_identifier="eu-west-1", percent=75,
                      aws_config={"retries": {"mode": "standard", "total_max_attempts": 1}})

    result = run(module, args)

    assert result.get("failed") is not True, result.get("msg")
    assert result["changed"] is True
    assert weights(aws, zone) == {"us-east-1": 25, "eu-west-1": 75}
    attempts = writes(api_calls)
    assert len(attempts) == 4  # three throttled, one accepted
    assert all(len(a["ChangeBatch"]["Changes"]) == 2 for a in attempts)
    assert emulator_call(emulator, "GET", "/_emulator/faults")["faults"] == []
    assert len(retry_sleeps.aws_retry) == 3  # the module's retry policy backed off once per throttled write


def test_private_zone_is_found_by_name(aws, module_args, run):
    vpc = aws("ec2", "us-east-1").create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    r53 = aws("route53", "us-east-1")
    zone_id = r53.create_hosted_zone(Name=ZONE, CallerReference="private", HostedZoneConfig={"PrivateZone": True},
                                     VPC={"VPCRegion": "us-east-1", "VPCId": vpc})["HostedZone"]["Id"]
    r53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": [
        {"Action": "CREATE", "ResourceRecordSet": alias_record(r, w)} for r, w in (("us-east-1", 1),
                                                                                     ("eu-west-1", 1))]})

    result = run(module, shift_args(module_args, private_zone=True, target_identifier="eu-west-1", percent=100))

    assert result["hosted_zone_id"] == zone_id.split("/")[-1]
    assert weights(aws, zone_id.split("/")[-1]) == {"us-east-1": 0, "eu-west-1": 100}


def test_two_zones_of_the_same_name_need_the_id(aws, zone, module_args, run, api_calls):
    aws("route53", "us-east-1").create_hosted_zone(Name=ZONE, CallerReference="second-zone")

    result = run(module, shift_args(module_args, target_identifier="eu-west-1", percent=25))

    assert result["failed"] is True
    assert "pass hosted_zone_id" in result["msg"]
    assert writes(api_calls) == []


def test_change_not_insync_before_the_timeout_fails_after_the_write(aws, zone, module_args, run, monkeypatch):
    from ansible_collections.payments.region_migration.plugins.module_utils import _route53_weighted

    monkeypatch.setattr(_route53_weighted, "wait_insync", lambda *args, **kwargs: "PENDING")

    result = run(module, shift_args(module_args, target_identifier="eu-west-1", percent=50, wait_timeout=1))

    assert result["failed"] is True
    assert "is not INSYNC after 1 s" in result["msg"]
    assert result["changed"] is True and result["change_id"]
    assert weights(aws, zone) == {"us-east-1": 50, "eu-west-1": 50}


@pytest.mark.parametrize(("target", "message"), [
    ({"path": "/hostedzonesbyname"}, "Failed to look up hosted zone payments-test.example.com."),
    ({"action": "ListResourceRecordSets"}, "Failed to list record sets api.payments-test.example.com. in zone"),
    ({"action": "ChangeResourceRecordSets"}, "Failed to change the weights in hosted zone"),
])
def test_aws_errors_fail_with_what_was_being_done(aws, zone, emulator, module_args, run, target, message):
    emulator_call(emulator, "POST", "/_emulator/faults",
                  {"kind": "api_error", **target, "count": 1, "error": "AccessDenied", "status": 403,
                   "message": "not allowed"})

    result = run(module, shift_args(module_args, target_identifier="eu-west-1", percent=25))

    assert result["failed"] is True
    assert result["msg"].startswith(message)
    assert "AccessDenied" in result["msg"] or "not allowed" in result["msg"]
    assert weights(aws, zone) == {"us-east-1": 100, "eu-west-1": 0}


# -- every weighted type of the name moves together (issue 8 item 11) ----------------------------


def add_aaaa(aws, zone_id: str, regions=(("us-east-1", 100), ("eu-west-1", 0))) -> None:
    changes = []
    for region, weight in regions:
        record = alias_record(region, weight)
        record["Type"] = "AAAA"
        changes.append({"Action": "CREATE", "ResourceRecordSet": record})
    aws("route53", "us-east-1").change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": changes})


@pytest.mark.parametrize("record_type", [None, "A", "AAAA"])
def test_a_and_aaaa_move_in_one_change(aws, zone, module_args, run, api_calls, record_type):
    add_aaaa(aws, zone)
    api_calls.clear()
    extra = {"record_type": record_type} if record_type else {}

    result = run(module, shift_args(module_args, target_identifier="eu-west-1", percent=25, **extra))

    assert result.get("failed") is not True, result.get("msg")
    assert result["changed"] is True and result["record_types"] == ["A", "AAAA"]
    assert weights(aws, zone) == weights(aws, zone, record_type="AAAA") == {"us-east-1": 75, "eu-west-1": 25}
    [batch] = writes(api_calls)  # one atomic request for both types
    assert sorted((c["ResourceRecordSet"]["Type"], c["ResourceRecordSet"]["SetIdentifier"])
                  for c in batch["ChangeBatch"]["Changes"]) == [("A", "eu-west-1"), ("A", "us-east-1"),
                                                                ("AAAA", "eu-west-1"), ("AAAA", "us-east-1")]
    assert result["after_by_type"] == {"A": {"us-east-1": 75, "eu-west-1": 25},
                                       "AAAA": {"us-east-1": 75, "eu-west-1": 25}}

    again = run(module, shift_args(module_args, target_identifier="eu-west-1", percent=25, **extra))
    assert again["changed"] is False and len(writes(api_calls)) == 1


def test_aaaa_that_drifted_is_realigned_with_a(aws, zone, module_args, run, api_calls):
    add_aaaa(aws, zone, (("us-east-1", 50), ("eu-west-1", 50)))
    api_calls.clear()
    run(module, shift_args(module_args, weights={"us-east-1": 100, "eu-west-1": 0}))
    assert weights(aws, zone, record_type="AAAA") == {"us-east-1": 100, "eu-west-1": 0}
    [batch] = writes(api_calls)
    assert {c["ResourceRecordSet"]["Type"] for c in batch["ChangeBatch"]["Changes"]} == {"AAAA"}


def test_aaaa_with_other_set_identifiers_is_refused(aws, zone, module_args, run, api_calls):
    add_aaaa(aws, zone, (("us-east-1", 100),))
    api_calls.clear()
    result = run(module, shift_args(module_args, target_identifier="eu-west-1", percent=25))
    assert result["failed"] is True
    assert "different set identifiers (A: eu-west-1, us-east-1; AAAA: us-east-1)" in result["msg"]
    assert writes(api_calls) == []
    assert weights(aws, zone) == {"us-east-1": 100, "eu-west-1": 0}
