"""acm_certificate_request against the emulator: check mode, request, idempotence, wait, tags, delete.

The emulator issues DNS-validated certificates about 2 s after the request (MOTO_ACM_VALIDATION_WAIT), once
their validation CNAME is in a public hosted zone (as ACM does).
"""

import pytest
from ansible_collections.payments.region_migration.plugins.modules import acm_certificate_request as mod

from tests.conftest import publish_certificate_validation

pytestmark = pytest.mark.emulator

DOMAIN = "api.payments-test.example.com"


def _args(module_args, **extra):
    return {**module_args, "region": "eu-west-1", "domain_name": DOMAIN, "name_tag": "cert-payment-test",
            "tags": {"Stack": "test"}, **extra}


def _tags(acm, arn):
    return {t["Key"]: t["Value"] for t in acm.list_tags_for_certificate(CertificateArn=arn)["Tags"]}


def _live(acm):
    return [c for c in acm.list_certificates()["CertificateSummaryList"] if c["DomainName"] == DOMAIN]


@pytest.mark.parametrize(
    ("domain", "alternatives", "expected"),
    [
        ("a.example.com", [], ["a.example.com"]),
        ("a.example.com", ["a.example.com", "c.example.com", "b.example.com"],
         ["a.example.com", "b.example.com", "c.example.com"]),
    ],
)
def test_wanted_names_puts_domain_first_once(domain, alternatives, expected):
    assert mod.wanted_names(domain, alternatives) == expected


def test_idempotency_token_is_stable_and_short():
    token = mod.idempotency_token("a.example.com", ["a.example.com"], "n")
    assert token == mod.idempotency_token("a.example.com", ["a.example.com"], "n")
    assert token != mod.idempotency_token("a.example.com", ["a.example.com"], "other")
    assert len(token) == 32 and token.isalnum()


def test_check_mode_requests_nothing(aws, module_args, run):
    result = run(mod, _args(module_args), check_mode=True)
    assert result["changed"] is True
    assert _live(aws("acm")) == []


def test_request_returns_validation_record_then_idempotent_and_waits(aws, module_args, run):
    acm = aws("acm")
    first = run(mod, _args(module_args))
    assert first["changed"] is True, first
    assert first["status"] == "PENDING_VALIDATION"
    [record] = first["validation_records"]
    assert record["type"] == "CNAME" and record["name"].endswith(f"{DOMAIN}.")
    described = acm.describe_certificate(CertificateArn=first["certificate_arn"])["Certificate"]
    assert described["DomainName"] == DOMAIN
    assert described["DomainValidationOptions"][0]["ValidationMethod"] == "DNS"
    tags = _tags(acm, first["certificate_arn"])
    assert tags == {"Name": "cert-payment-test", "Stack": "test"}

    check = run(mod, _args(module_args), check_mode=True)
    assert check["changed"] is False and check["certificate_arn"] == first["certificate_arn"]

    # what the loadbalancer role does between the request and the wait: ACM issues it once the record is in DNS
    publish_certificate_validation(aws, first["certificate_arn"], "payments-test.example.com")
    second = run(mod, _args(module_args, wait=True, wait_timeout=30))
    assert second["changed"] is False, second
    assert second["certificate_arn"] == first["certificate_arn"]
    assert second["status"] == "ISSUED"
    assert len(_live(acm)) == 1
    assert acm.describe_certificate(CertificateArn=first["certificate_arn"])["Certificate"]["Status"] == "ISSUED"


def test_tags_are_updated_and_purged(aws, module_args, run):
    acm = aws("acm")
    first = run(mod, _args(module_args, tags={"Stack": "test", "Old": "x"}))
    result = run(mod, _args(module_args, tags={"Stack": "test", "Owner": "me"}), diff=True)
    assert result["changed"] is True
    assert result["diff"]["before"]["tags"]["Old"] == "x"
    tags = _tags(acm, first["certificate_arn"])
    assert tags == {"Name": "cert-payment-test", "Stack": "test", "Owner": "me"}


def test_other_name_tag_is_a_different_certificate(aws, module_args, run):
    first = run(mod, _args(module_args))
    other = run(mod, _args(module_args, name_tag="cert-payment-other"))
    assert other["changed"] is True and other["certificate_arn"] != first["certificate_arn"]
    assert len(_live(aws("acm"))) == 2


def test_absent_deletes_matching_certificate_only(aws, module_args, run):
    acm = aws("acm")
    keep = run(mod, _args(module_args, name_tag="cert-payment-keep"))
    gone = run(mod, _args(module_args))
    check = run(mod, {**_args(module_args), "state": "absent"}, check_mode=True)
    assert check["changed"] is True and check["deleted_arns"] == [gone["certificate_arn"]]
    assert len(_live(acm)) == 2
    result = run(mod, {**_args(module_args), "state": "absent"})
    assert result["changed"] is True
    assert [c["CertificateArn"] for c in _live(acm)] == [keep["certificate_arn"]]
    again = run(mod, {**_args(module_args), "state": "absent"})
    assert again["changed"] is False


def test_unknown_arn_fails_clearly(module_args, run):
    arn = "arn:aws:acm:eu-west-1:123456789012:certificate/00000000-0000-0000-0000-000000000000"
    result = run(mod, _args(module_args, certificate_arn=arn))
    assert result["failed"] is True and "does not exist" in result["msg"]


def _fault(emulator, action, error="AccessDeniedException", count=1):
    from tests.conftest import emulator_call

    emulator_call(emulator, "POST", "/_emulator/faults",
                  {"kind": "api_error", "action": action, "count": count, "error": error})


def test_create_in_diff_mode_with_alternative_names(aws, module_args, run):
    alternative = "pay.payments-test.example.com"
    result = run(mod, _args(module_args, subject_alternative_names=[alternative, DOMAIN]), diff=True)
    assert result["changed"] is True
    assert result["diff"] == {"before": {}, "after": {"domain_name": DOMAIN,
                                                      "tags": {"Name": "cert-payment-test", "Stack": "test"}}}
    names = aws("acm").describe_certificate(CertificateArn=result["certificate_arn"])["Certificate"]
    assert sorted(names["SubjectAlternativeNames"]) == sorted([DOMAIN, alternative])
    assert {r["domain_name"] for r in result["validation_records"]} == {DOMAIN, alternative}
    again = run(mod, _args(module_args, subject_alternative_names=[alternative]))
    assert again["changed"] is False and again["certificate_arn"] == result["certificate_arn"]
    # Other names: another certificate.
    other = run(mod, _args(module_args))
    assert other["changed"] is True and other["certificate_arn"] != result["certificate_arn"]


def test_two_matching_certificates_are_an_error(aws, module_args, run):
    acm = aws("acm")
    for token in ("one", "two"):
        acm.request_certificate(DomainName=DOMAIN, ValidationMethod="DNS", IdempotencyToken=token,
                                Tags=[{"Key": "Name", "Value": "cert-payment-test"}])
    result = run(mod, _args(module_args))
    assert result["failed"] is True and "2 certificates match" in result["msg"]
    assert len(result["certificate_arns"]) == 2
    assert len(_live(acm)) == 2


def test_arn_given_manages_that_certificate_and_deletes_it(aws, module_args, run):
    acm = aws("acm")
    arn = acm.request_certificate(DomainName=DOMAIN, ValidationMethod="DNS")["CertificateArn"]
    result = run(mod, _args(module_args, certificate_arn=arn, tags={"Stack": "test"}))
    assert result["changed"] is True and result["certificate_arn"] == arn
    assert _tags(acm, arn) == {"Name": "cert-payment-test", "Stack": "test"}
    gone = run(mod, {**module_args, "region": "eu-west-1", "state": "absent", "certificate_arn": arn}, diff=True)
    assert gone["changed"] is True and gone["diff"]["before"] == {"certificate_arns": [arn]}
    assert _live(acm) == []
    again = run(mod, {**module_args, "region": "eu-west-1", "state": "absent", "certificate_arn": arn})
    assert again["changed"] is False and again["deleted_arns"] == []


def test_wait_times_out_while_validation_is_pending(aws, module_args, run, monkeypatch):
    monkeypatch.setattr(mod, "POLL_SECONDS", 0)
    result = run(mod, _args(module_args, wait=True, wait_timeout=0))
    assert result["failed"] is True and "Timed out" in result["msg"]
    assert result["validation_records"][0]["type"] == "CNAME"


def test_certificates_of_other_names_are_not_reused(aws, module_args, run):
    """A certificate with the same domain but another Name tag, or another domain, is not ours."""
    acm = aws("acm")
    acm.request_certificate(DomainName=DOMAIN, ValidationMethod="DNS", IdempotencyToken="x",
                            Tags=[{"Key": "Name", "Value": "someone-else"}])
    acm.request_certificate(DomainName="other.example.com", ValidationMethod="DNS")
    result = run(mod, _args(module_args))
    assert result["changed"] is True
    assert len(_live(acm)) == 2


@pytest.mark.parametrize(
    ("action", "message"),
    [
        ("ListCertificates", "Failed to list certificates"),
        ("RequestCertificate", "Failed to request a certificate"),
        ("DescribeCertificate", "Failed to describe certificate"),
        ("ListTagsForCertificate", "Failed to list tags"),
    ],
)
def test_api_errors_fail_with_context(aws, module_args, run, emulator, action, message):
    if action in ("DescribeCertificate", "ListTagsForCertificate"):
        run(mod, _args(module_args))  # one certificate to describe
    _fault(emulator, action)
    result = run(mod, _args(module_args))
    assert result["failed"] is True and message in result["msg"]


def test_tag_and_delete_errors_fail_with_context(aws, module_args, run, emulator):
    first = run(mod, _args(module_args))
    _fault(emulator, "AddTagsToCertificate")
    result = run(mod, _args(module_args, tags={"Stack": "changed"}))
    assert result["failed"] is True and "Failed to update tags" in result["msg"]
    _fault(emulator, "DeleteCertificate")
    result = run(mod, {**_args(module_args), "state": "absent"})
    assert result["failed"] is True and "Failed to delete certificate" in result["msg"]
    assert [c["CertificateArn"] for c in _live(aws("acm"))] == [first["certificate_arn"]]


def test_failed_certificate_fails_the_wait(aws, module_args, run, monkeypatch):
    first = run(mod, _args(module_args))
    original = mod.Acm.describe

    def failed(self, arn):
        certificate = original(self, arn)
        certificate["Status"] = "FAILED"
        certificate["FailureReason"] = "CAA_ERROR"
        return certificate

    monkeypatch.setattr(mod.Acm, "describe", failed)
    result = run(mod, _args(module_args, wait=True, wait_timeout=5))
    assert result["failed"] is True and "FAILED: CAA_ERROR" in result["msg"]
    assert result["certificate"]["certificate_arn"] == first["certificate_arn"]
