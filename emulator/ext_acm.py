"""ACM: a DNS-validated certificate is issued only once its validation CNAME records are in Route 53.

AWS issues a DNS-validated certificate when the CNAME records that DescribeCertificate names
(``DomainValidationOptions[].ResourceRecord``) resolve in public DNS; until then it stays
``PENDING_VALIDATION`` (ACM User Guide, "DNS validation"; after 72 hours ``VALIDATION_TIMED_OUT``, not
modelled). moto issued it MOTO_ACM_VALIDATION_WAIT seconds after the request whether or not the records
existed, so a role that never wrote them passed here and would wait forever on AWS. Here the wait (or the
latency mode's figure) still applies, and then every validation record must be a CNAME with ACM's value in
a public hosted zone of the emulator whose name the record falls under.
"""

from __future__ import annotations


def _norm(name: str) -> str:
    return (name or "").rstrip(".").lower()


def _published(name: str, value: str) -> bool:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.route53.models import route53_backends

    name, value = _norm(name), _norm(value)
    for zone in list(route53_backends[DEFAULT_ACCOUNT_ID]["aws"].zones.values()):
        zone_name = _norm(zone.name)
        if zone.private_zone or not (name == zone_name or name.endswith(f".{zone_name}")):
            continue
        for rrset in list(zone.rrsets):
            if rrset.type == "CNAME" and _norm(rrset.name) == name and value in {_norm(r) for r in rrset.records}:
                return True
    return False


def validation_records_published(certificate) -> bool:
    options = certificate.describe()["Certificate"].get("DomainValidationOptions", [])
    records = [o["ResourceRecord"] for o in options if o.get("ValidationMethod") == "DNS" and o.get("ResourceRecord")]
    return all(_published(r["Name"], r["Value"]) for r in records)


def install() -> None:
    """Wrap CertBundle.check (after latency.install(), which wraps it too): a certificate that the wait
    would issue stays PENDING_VALIDATION while a validation record is missing."""
    from moto.acm.models import CertBundle

    if getattr(CertBundle, "_emulator_dns_validation", False):
        return
    check = CertBundle.check

    def check_validation_records(self) -> None:
        pending = self.status == "PENDING_VALIDATION"
        check(self)
        if pending and self.status == "ISSUED" and self.type == "AMAZON_ISSUED" \
                and not validation_records_published(self):
            self.status = "PENDING_VALIDATION"

    CertBundle.check = check_validation_records
    CertBundle._emulator_dns_validation = True
