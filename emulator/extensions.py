"""What moto lacks for this project, added to its response classes before serving.

moto's dispatcher looks up ``getattr(ResponseClass, snake_case_action)`` for every request, so a
method added here becomes an API action. Each addition lives in its own module.
"""

from __future__ import annotations

_installed = False


def install() -> None:
    global _installed
    if _installed:
        return
    from . import ext_acm, ext_autoscaling, ext_cloudwatch, ext_ec2, ext_elbv2, ext_iam, ext_kms, ext_rds, latency

    ext_autoscaling.install()
    ext_cloudwatch.install()
    ext_ec2.install()
    ext_elbv2.install()
    ext_iam.install()
    ext_kms.install()
    ext_rds.install()
    latency.install()
    ext_acm.install()  # after latency: it wraps the certificate check that latency mode wraps
    _installed = True
