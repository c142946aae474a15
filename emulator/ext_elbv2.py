"""ELBv2: target health that honours ``unhealthy_targets`` faults, and listeners that take only issued certificates.

While an ``unhealthy_targets`` fault matches a target group, DescribeTargetHealth answers
``State: unhealthy`` with the fault's ``reason`` (default ``Target.FailedHealthChecks``) for every
target of that group that would otherwise be ``healthy`` or ``initial``. Targets that are not
registered (``unused``) or draining keep their state.

CreateListener, ModifyListener and AddListenerCertificates refuse an ACM certificate that is not
``ISSUED`` (still ``PENDING_VALIDATION``, say) with ``UnsupportedCertificate``, as ELB does: its message
speaks of the domain name, signature and key size whatever the cause (a listener created seconds
before DNS validation finished gets it: terraform-provider-aws#41789, DataBiosphere/azul#8321). moto
only checked that the certificate exists, so a role that did not wait for ``ISSUED`` passed here.
"""

from __future__ import annotations

FAILED_DESCRIPTIONS = {
    "Target.FailedHealthChecks": "Health checks failed",
    "Target.Timeout": "Request timed out",
    "Target.ResponseCodeMismatch": "Health checks failed with these codes: [503]",
}


def _wrap_describe_target_health(original):
    def describe_target_health(self):
        from .faults import REGISTRY

        result = original(self)
        fault = REGISTRY.unhealthy(self._get_param("TargetGroupArn") or "", count_hit=True)
        if fault is None:
            return result
        for health in result.result["TargetHealthDescriptions"]:
            if health.status in ("healthy", "initial"):
                health.status = "unhealthy"
                health.reason = fault.reason
                health.description = FAILED_DESCRIPTIONS.get(fault.reason, "Health checks failed")
        return result

    return describe_target_health


def require_issued(account_id: str, certificate_arns) -> None:
    """UnsupportedCertificate for an ACM certificate that is not ISSUED (IAM server certificates and
    unknown ARNs are left to moto, which answers CertificateNotFound for the latter)."""
    from moto.acm.models import CertificateNotFound, acm_backends
    from moto.elbv2.exceptions import ELBClientError

    for arn in certificate_arns:
        parts = (arn or "").split(":")
        if len(parts) < 6 or parts[2] != "acm":
            continue
        try:
            status = acm_backends[account_id][parts[3]].get_certificate(arn).status  # get_certificate: current status
        except CertificateNotFound:
            continue
        if status != "ISSUED":
            raise ELBClientError("UnsupportedCertificate", f"The certificate '{arn}' must have a fully-qualified "
                                 "domain name, a supported signature, and a supported key size.")


def _arns(certificates) -> list[str]:
    return [c.get("CertificateArn", "") for c in certificates or []]


def _wrap_listener_calls(backend_class) -> None:
    create, modify, add = (backend_class.create_listener, backend_class.modify_listener,
                           backend_class.add_listener_certificates)

    def create_listener(self, load_balancer_arn, protocol, port, ssl_policy, certificate, *args, **kwargs):
        require_issued(self.account_id, [certificate])
        return create(self, load_balancer_arn, protocol, port, ssl_policy, certificate, *args, **kwargs)

    def modify_listener(self, arn, port=None, protocol=None, ssl_policy=None, certificates=None, *args, **kwargs):
        require_issued(self.account_id, _arns(certificates))
        return modify(self, arn, port, protocol, ssl_policy, certificates, *args, **kwargs)

    def add_listener_certificates(self, arn, certificates):
        require_issued(self.account_id, _arns(certificates))
        return add(self, arn, certificates)

    backend_class.create_listener = create_listener
    backend_class.modify_listener = modify_listener
    backend_class.add_listener_certificates = add_listener_certificates


def install() -> None:
    from moto.elbv2.models import ELBv2Backend
    from moto.elbv2.responses import ELBV2Response

    if getattr(ELBV2Response, "_emulator_patched", False):
        return
    ELBV2Response.describe_target_health = _wrap_describe_target_health(ELBV2Response.describe_target_health)
    _wrap_listener_calls(ELBv2Backend)
    ELBV2Response._emulator_patched = True
