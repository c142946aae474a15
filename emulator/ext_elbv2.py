"""ELBv2: target health that honours ``unhealthy_targets`` faults.

While an ``unhealthy_targets`` fault matches a target group, DescribeTargetHealth answers
``State: unhealthy`` with the fault's ``reason`` (default ``Target.FailedHealthChecks``) for every
target of that group that would otherwise be ``healthy`` or ``initial``. Targets that are not
registered (``unused``) or draining keep their state.
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


def install() -> None:
    from moto.elbv2.responses import ELBV2Response

    if getattr(ELBV2Response, "_emulator_patched", False):
        return
    ELBV2Response.describe_target_health = _wrap_describe_target_health(ELBV2Response.describe_target_health)
    ELBV2Response._emulator_patched = True
