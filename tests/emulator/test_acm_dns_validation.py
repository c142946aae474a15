"""ACM issues a DNS-validated certificate only once its validation CNAME is in a public hosted zone
(emulator/ext_acm.py); moto issued it after MOTO_ACM_VALIDATION_WAIT (2 s here) whatever DNS held."""

from __future__ import annotations

import time

from tests.conftest import publish_certificate_validation, wait_until

WAIT_SECONDS = 2  # MOTO_ACM_VALIDATION_WAIT of the test emulator (emulator/server.py)


def _status(acm, arn: str) -> str:
    return acm.describe_certificate(CertificateArn=arn)["Certificate"]["Status"]


def _cname(route53, zone_id: str, name: str, value: str) -> None:
    route53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": [{
        "Action": "UPSERT", "ResourceRecordSet": {"Name": name, "Type": "CNAME", "TTL": 300,
                                                  "ResourceRecords": [{"Value": value}]}}]})


def test_certificate_waits_for_its_validation_record_in_a_public_zone(aws):
    acm, route53 = aws("acm"), aws("route53", "us-east-1")
    arn = acm.request_certificate(DomainName="api.example.test", ValidationMethod="DNS")["CertificateArn"]
    [option] = acm.describe_certificate(CertificateArn=arn)["Certificate"]["DomainValidationOptions"]
    record = option["ResourceRecord"]
    assert record["Type"] == "CNAME" and record["Name"].endswith(".api.example.test.")

    # the record in a private zone, or with another value: not what public DNS answers
    private = route53.create_hosted_zone(Name="example.test", CallerReference="private", HostedZoneConfig={
        "PrivateZone": True}, VPC={"VPCRegion": "eu-west-1", "VPCId": aws("ec2").create_vpc(
            CidrBlock="10.40.0.0/16")["Vpc"]["VpcId"]})["HostedZone"]["Id"]
    _cname(route53, private, record["Name"], record["Value"])
    public = route53.create_hosted_zone(Name="example.test", CallerReference="public")["HostedZone"]["Id"]
    _cname(route53, public, record["Name"], "_wrong.acm-validations.aws.")
    time.sleep(WAIT_SECONDS + 1)  # past the wait: a loaded machine only makes it longer
    assert _status(acm, arn) == "PENDING_VALIDATION"
    assert acm.describe_certificate(CertificateArn=arn)["Certificate"]["DomainValidationOptions"][0][
        "ValidationStatus"] == "PENDING_VALIDATION"

    publish_certificate_validation(aws, arn, "example.test")
    wait_until(lambda: _status(acm, arn) == "ISSUED", "the certificate issued after its record was published")


def test_an_imported_certificate_needs_no_validation(aws):
    from datetime import UTC, datetime, timedelta

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "imported.example.test")])
    now = datetime.now(UTC)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(days=1))
                   .not_valid_after(now + timedelta(days=30)).sign(key, hashes.SHA256()))
    acm = aws("acm")
    arn = acm.import_certificate(
        Certificate=certificate.public_bytes(serialization.Encoding.PEM),
        PrivateKey=key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                     serialization.NoEncryption()))["CertificateArn"]
    assert _status(acm, arn) == "ISSUED"
