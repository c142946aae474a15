"""Listeners take only issued ACM certificates (ext_elbv2): ELB answers UnsupportedCertificate to CreateListener,
ModifyListener and AddListenerCertificates with a certificate still PENDING_VALIDATION; moto accepted it."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from emulator import latency
from tests.conftest import publish_certificate_validation, wait_until

REGION = "eu-west-1"
PENDING_SECONDS = 120.0  # the pending certificate stays pending for the whole test, however loaded the machine


def _status(acm, arn: str) -> str:
    return acm.describe_certificate(CertificateArn=arn)["Certificate"]["Status"]


@pytest.fixture
def alb(aws):
    ec2, elbv2 = aws("ec2", REGION), aws("elbv2", REGION)
    vpc_id = ec2.create_vpc(CidrBlock="10.30.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc_id, CidrBlock=f"10.30.{i}.0/24", AvailabilityZone=f"{REGION}{az}")
               ["Subnet"]["SubnetId"] for i, az in enumerate("ab")]
    lb_arn = elbv2.create_load_balancer(Name="alb-cert-test", Subnets=subnets)["LoadBalancers"][0]["LoadBalancerArn"]
    tg_arn = elbv2.create_target_group(Name="tg-cert-test", Protocol="HTTPS", Port=443, VpcId=vpc_id,
                                       TargetType="instance")["TargetGroups"][0]["TargetGroupArn"]
    return {"lb": lb_arn, "tg": tg_arn}


@pytest.fixture
def certificates(aws, control):
    """An ISSUED certificate, then one that stays PENDING_VALIDATION (latency mode, until the next reset)."""
    acm = aws("acm", REGION)
    issued = acm.request_certificate(DomainName="api.example.test", ValidationMethod="DNS")["CertificateArn"]
    publish_certificate_validation(aws, issued, "example.test")
    wait_until(lambda: _status(acm, issued) == "ISSUED", "the first certificate issued")
    scale = PENDING_SECONDS / latency.FIGURES["acm_validation"].minutes
    assert control("POST", "/_emulator/config", {"latency_scale": scale})[0] == 200
    pending = acm.request_certificate(DomainName="api2.example.test", ValidationMethod="DNS")["CertificateArn"]
    publish_certificate_validation(aws, pending, "example.test")  # published: pending only for the latency figure
    assert _status(acm, pending) == "PENDING_VALIDATION"
    return {"issued": issued, "pending": pending}


def _refused(excinfo, arn: str) -> None:
    error = excinfo.value.response["Error"]
    assert error["Code"] == "UnsupportedCertificate"
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert arn in error["Message"]


def test_listeners_refuse_a_certificate_that_is_not_issued(aws, alb, certificates):
    elbv2 = aws("elbv2", REGION)
    forward = [{"Type": "forward", "TargetGroupArn": alb["tg"]}]

    with pytest.raises(ClientError) as excinfo:
        elbv2.create_listener(LoadBalancerArn=alb["lb"], Protocol="HTTPS", Port=443, DefaultActions=forward,
                              Certificates=[{"CertificateArn": certificates["pending"]}])
    _refused(excinfo, certificates["pending"])
    assert elbv2.describe_listeners(LoadBalancerArn=alb["lb"])["Listeners"] == []

    listener = elbv2.create_listener(LoadBalancerArn=alb["lb"], Protocol="HTTPS", Port=443, DefaultActions=forward,
                                     Certificates=[{"CertificateArn": certificates["issued"]}])["Listeners"][0]
    with pytest.raises(ClientError) as excinfo:
        elbv2.modify_listener(ListenerArn=listener["ListenerArn"],
                              Certificates=[{"CertificateArn": certificates["pending"]}])
    _refused(excinfo, certificates["pending"])
    with pytest.raises(ClientError) as excinfo:
        elbv2.add_listener_certificates(ListenerArn=listener["ListenerArn"],
                                        Certificates=[{"CertificateArn": certificates["pending"]}])
    _refused(excinfo, certificates["pending"])
    # the refusals changed nothing: the listener keeps the issued certificate
    described = elbv2.describe_listeners(ListenerArns=[listener["ListenerArn"]])["Listeners"][0]
    assert described["Certificates"] == [{"CertificateArn": certificates["issued"]}]


def test_an_unknown_certificate_is_still_not_found(aws, alb):
    elbv2 = aws("elbv2", REGION)
    unknown = f"arn:aws:acm:{REGION}:123456789012:certificate/00000000-0000-0000-0000-000000000000"
    with pytest.raises(ClientError) as excinfo:
        elbv2.create_listener(LoadBalancerArn=alb["lb"], Protocol="HTTPS", Port=443,
                              DefaultActions=[{"Type": "forward", "TargetGroupArn": alb["tg"]}],
                              Certificates=[{"CertificateArn": unknown}])
    assert excinfo.value.response["Error"]["Code"] == "CertificateNotFound"
