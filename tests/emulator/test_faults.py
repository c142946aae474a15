"""Fault injection (emulator/faults.py, emulator/control.py): every kind, through boto3."""

from __future__ import annotations

import time

import pytest
from botocore.exceptions import ClientError

from tests.conftest import wait_until


def _client(aws, service: str, region: str = "eu-west-1"):
    """A client that makes exactly one attempt (botocore's max_attempts counts retries)."""
    return aws(service, region, retries=0)


def _code(excinfo) -> str:
    return excinfo.value.response["Error"]["Code"]


def _faults(control) -> list[dict]:
    status, body = control("GET", "/_emulator/faults")
    assert status == 200
    return body["faults"]


# --------------------------------------------------------------------------- api_error, per protocol


def test_api_error_query_protocol_counts_down(aws, add_fault, control):
    rds = _client(aws, "rds")
    fault = add_fault("api_error", action="DescribeDBClusters", count=2, error="Throttling")
    for _ in range(2):
        with pytest.raises(ClientError) as excinfo:
            rds.describe_db_clusters()
        assert _code(excinfo) == "Throttling"
        assert excinfo.value.response["Error"]["Message"] == "Rate exceeded"
        assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert rds.describe_db_clusters()["DBClusters"] == []
    assert fault["id"] not in [f["id"] for f in _faults(control)]  # used up


def test_api_error_other_actions_and_regions_unaffected(aws, add_fault):
    add_fault("api_error", action="DescribeDBClusters", region="us-east-1", count=1, error="Throttling")
    assert _client(aws, "rds", "eu-west-1").describe_db_clusters()["DBClusters"] == []
    assert _client(aws, "rds", "us-east-1").describe_global_clusters()["GlobalClusters"] == []
    with pytest.raises(ClientError) as excinfo:
        _client(aws, "rds", "us-east-1").describe_db_clusters()
    assert _code(excinfo) == "Throttling"


def test_api_error_ec2_protocol(aws, add_fault):
    add_fault("api_error", action="DescribeVpcs", count=1, error="RequestLimitExceeded",
              message="Request limit exceeded.")
    ec2 = _client(aws, "ec2")
    with pytest.raises(ClientError) as excinfo:
        ec2.describe_vpcs()
    assert _code(excinfo) == "RequestLimitExceeded"
    assert excinfo.value.response["Error"]["Message"] == "Request limit exceeded."
    assert excinfo.value.response["ResponseMetadata"]["RequestId"]
    assert ec2.describe_vpcs()["Vpcs"]  # the default VPC, once the fault is used up


def test_api_error_json_protocols(aws, add_fault):
    add_fault("api_error", action="ListCertificates", count=1, error="ThrottlingException")  # JSON 1.1
    add_fault("api_error", action="ListStateMachines", count=1, error="ThrottlingException",
              service="states")  # JSON 1.0
    add_fault("api_error", action="PutMetricData", count=1, error="Throttling")  # query-compatible JSON
    with pytest.raises(ClientError) as excinfo:
        _client(aws, "acm").list_certificates()
    assert _code(excinfo) == "ThrottlingException"
    with pytest.raises(ClientError) as excinfo:
        _client(aws, "stepfunctions").list_state_machines()
    assert _code(excinfo) == "ThrottlingException"
    cloudwatch = _client(aws, "cloudwatch")
    with pytest.raises(ClientError) as excinfo:
        cloudwatch.put_metric_data(Namespace="Test", MetricData=[{"MetricName": "m", "Value": 1.0}])
    assert _code(excinfo) == "Throttling"
    cloudwatch.put_metric_data(Namespace="Test", MetricData=[{"MetricName": "m", "Value": 1.0}])
    assert [m["MetricName"] for m in cloudwatch.list_metrics(Namespace="Test")["Metrics"]] == ["m"]


def _zone(aws) -> str:
    return _client(aws, "route53").create_hosted_zone(Name="example.test", CallerReference="ref-1")["HostedZone"]["Id"]


def _upsert(aws, zone_id: str, name: str) -> None:
    _client(aws, "route53").change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": [{
        "Action": "UPSERT",
        "ResourceRecordSet": {"Name": name, "Type": "A", "TTL": 60, "ResourceRecords": [{"Value": "192.0.2.1"}]},
    }]})


def _names(aws, zone_id: str) -> list[str]:
    records = _client(aws, "route53").list_resource_record_sets(HostedZoneId=zone_id)["ResourceRecordSets"]
    return sorted(r["Name"] for r in records if r["Type"] == "A")


def test_api_error_rest_xml_route53_by_action_and_by_path(aws, add_fault):
    zone_id = _zone(aws)
    add_fault("api_error", action="ChangeResourceRecordSets", count=1, error="PriorRequestNotComplete",
              message="The request was rejected because Route 53 was still processing a prior request.")
    with pytest.raises(ClientError) as excinfo:
        _upsert(aws, zone_id, "a.example.test")
    assert _code(excinfo) == "PriorRequestNotComplete"
    assert "prior request" in excinfo.value.response["Error"]["Message"]
    assert _names(aws, zone_id) == []  # the failed change did nothing; reads are not affected
    add_fault("api_error", path=r"/rrset/?$", method="POST", count=1, error="Throttling", status=400)
    with pytest.raises(ClientError) as excinfo:
        _upsert(aws, zone_id, "a.example.test")
    assert _code(excinfo) == "Throttling"
    _upsert(aws, zone_id, "a.example.test")
    assert _names(aws, zone_id) == ["a.example.test."]


def test_api_error_duration_and_custom_status(aws, add_fault, control):
    # 3 s: the three calls below fit in it on a loaded machine (0.6 s is three calls at load 0); its expiry
    # is awaited, not timed
    add_fault("api_error", action="DescribeDBClusters", error="InternalFailure", status=500, duration=3,
              count=None)
    rds = _client(aws, "rds")
    for _ in range(3):  # no count: every call fails until it expires
        with pytest.raises(ClientError) as excinfo:
            rds.describe_db_clusters()
        assert _code(excinfo) == "InternalFailure"
        assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    wait_until(lambda: not _faults(control), "the api_error fault's expiry")
    assert rds.describe_db_clusters()["DBClusters"] == []
    assert _faults(control) == []


# --------------------------------------------------------------------------- registry API


def test_list_clear_and_validation(control, add_fault):
    first = add_fault("api_error", action="DescribeVpcs", count=5)
    second = add_fault("replication_lag", value_ms=4000, duration=60, cluster="aurora-euw1")
    listed = _faults(control)
    assert [f["id"] for f in listed] == [first["id"], second["id"]]
    assert listed[0]["kind"] == "api_error" and listed[0]["count"] == 5 and listed[0]["hits"] == 0
    assert listed[1]["value_ms"] == 4000 and listed[1]["expires"] > time.time() + 50
    assert control("DELETE", f"/_emulator/faults?id={first['id']}") == (200, {"cleared": 1})
    assert [f["id"] for f in _faults(control)] == [second["id"]]
    assert control("DELETE", "/_emulator/faults") == (200, {"cleared": 1})
    assert _faults(control) == []
    refused = [
        {"kind": "nonsense"},
        {"kind": "api_error"},  # neither action nor path
        {"kind": "api_error", "action": "X", "count": 0},
        {"kind": "api_error", "action": "X", "count": "many"},
        {"kind": "api_error", "action": "X", "duration": "long"},
        {"kind": "api_error", "action": "X", "colour": "red"},
        {"kind": "replication_lag"},
        {"kind": "unhealthy_targets"},
        {"kind": "alarm_state", "alarm_name": "missing", "state": "ALARM"},  # no such alarm
        {"kind": "alarm_state", "alarm_name": "x", "state": "PURPLE"},
    ]
    for spec in refused:
        status, body = control("POST", "/_emulator/faults", spec)
        assert status == 400 and body["error"], spec
    assert _faults(control) == []
    assert control("GET", "/_emulator/health") == (200, {"status": "ok"})
    assert control("GET", "/_emulator/nothing-here")[0] == 404
    assert control("PUT", "/_emulator/faults")[0] == 405


# --------------------------------------------------------------------------- alarm_state


def test_alarm_state_sets_the_alarm(aws, add_fault, control):
    cloudwatch = aws("cloudwatch", "eu-west-1")
    cloudwatch.put_metric_alarm(AlarmName="alb-5xx", Namespace="AWS/ApplicationELB",
                                MetricName="HTTPCode_ELB_5XX_Count", Statistic="Sum", Period=60,
                                EvaluationPeriods=1, Threshold=5.0,
                                ComparisonOperator="GreaterThanThreshold")
    fault = add_fault("alarm_state", alarm_name="alb-5xx", state="ALARM", region="eu-west-1",
                      reason="rehearsal: ALB errors")
    alarm = cloudwatch.describe_alarms(AlarmNames=["alb-5xx"])["MetricAlarms"][0]
    assert alarm["StateValue"] == "ALARM"
    assert alarm["StateReason"] == "rehearsal: ALB errors"
    assert [f["id"] for f in _faults(control)] == [fault["id"]]  # listed for the record
    add_fault("alarm_state", alarm_name="alb-5xx", state="OK", region="eu-west-1")
    assert cloudwatch.describe_alarms(AlarmNames=["alb-5xx"])["MetricAlarms"][0]["StateValue"] == "OK"
    # another region's alarm of that name does not exist
    status, _ = control("POST", "/_emulator/faults", {"kind": "alarm_state", "alarm_name": "alb-5xx",
                                                       "state": "ALARM", "region": "us-east-1"})
    assert status == 400


# --------------------------------------------------------------------------- wire formats (in-process)


@pytest.mark.parametrize(("service", "protocol", "environ"), [
    ("rds", "query", {"CONTENT_TYPE": "application/x-www-form-urlencoded"}),
    ("ec2", "ec2", {"CONTENT_TYPE": "application/x-www-form-urlencoded"}),
    ("route53", "rest-xml", {}),
    ("acm", "json", {"HTTP_X_AMZ_TARGET": "CertificateManager.ListCertificates",
                     "CONTENT_TYPE": "application/x-amz-json-1.1"}),
    ("cloudwatch", "json", {"HTTP_X_AMZ_TARGET": "GraniteServiceVersion20100801.PutMetricData",
                            "CONTENT_TYPE": "application/x-amz-json-1.0", "HTTP_X_AMZN_QUERY_MODE": "true"}),
    ("cloudwatch", "smithy-rpc-v2-cbor", {
        "CONTENT_TYPE": "application/cbor", "HTTP_SMITHY_PROTOCOL": "rpc-v2-cbor",
        "PATH_INFO": "/service/GraniteServiceVersion20100801/operation/PutMetricData"}),
])
def test_error_wire_format_parses_with_botocore(service, protocol, environ):
    import botocore.session
    from botocore.parsers import create_parser

    from emulator.faults import Fault, _action_of, _error_response

    fault = Fault(kind="api_error", action="X", error="SlowDown", message="Please <slow> down & retry " + "x" * 40)
    status, headers, body = _error_response(fault, environ, "ec2" if protocol == "ec2" else service)
    assert status.startswith("400 ")
    model = botocore.session.get_session().get_service_model(service)
    operation = model.operation_model(model.operation_names[0])
    parsed = create_parser(protocol).parse({"status_code": 400, "headers": dict(headers), "body": body},
                                           operation.output_shape)
    assert parsed["Error"]["Code"] == "SlowDown"
    assert parsed["Error"]["Message"] == fault.message
    if "PATH_INFO" in environ:
        assert _action_of(environ, b"") == "PutMetricData"
