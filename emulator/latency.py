"""Realistic-latency mode: slow AWS resources stay in their pending state for a scaled-down time.

On the emulator every resource is ready at once, so provisioning code that waits serially on slow
resources looks as fast as code that overlaps them. With ``latency_scale`` > 0 (emulator seconds per
real AWS minute; ``1`` = one real minute becomes one emulator second) each resource below answers
with its pending state for ``FIGURES[kind].minutes * latency_scale`` seconds after it was created,
then with its final state. Off (0) by default; on with ``EMULATOR_LATENCY_SCALE``, ``python -m emulator
start --latency [SCALE]`` or ``POST /_emulator/config {"latency_scale": 1}`` (until the next reset).
The wait of a resource is fixed when it is created: changing the scale later does not move it.

The figures (minutes on real AWS) and their sources are listed in emulator/README.md.
"""

from __future__ import annotations

import functools
import threading
import time
import uuid
from dataclasses import dataclass

from . import config


@dataclass(frozen=True)
class Figure:
    minutes: float
    pending: str
    final: str
    what: str


FIGURES: dict[str, Figure] = {
    "aurora_cluster": Figure(20.0, "creating", "available", "Aurora secondary DB cluster (CreateDBCluster)"),
    "aurora_instance": Figure(10.0, "creating", "available", "Aurora DB instance (CreateDBInstance)"),
    "nat_gateway": Figure(3.0, "pending", "available", "NAT gateway (CreateNatGateway)"),
    "load_balancer": Figure(3.0, "provisioning", "active", "Application Load Balancer (CreateLoadBalancer)"),
    "acm_validation": Figure(5.0, "PENDING_VALIDATION", "ISSUED", "ACM DNS validation (RequestCertificate)"),
    "switchover": Figure(2.0, "switching-over", "available", "Aurora global database switchover"),
    "route53_change": Figure(1.0, "PENDING", "INSYNC", "Route 53 change batch (ChangeResourceRecordSets)"),
}

_READY_AT = "_emulator_latency_ready_at"


def scale() -> float:
    """Emulator seconds per real AWS minute; 0 = latency mode off."""
    return config.get("latency_scale")


def seconds(kind: str) -> float:
    """How long a resource of this kind created now stays pending (0 when the mode is off)."""
    return FIGURES[kind].minutes * scale()


def describe() -> dict:
    """The figures and the waits they give at the current scale (GET /_emulator/latency)."""
    return {"scale": scale(), "enabled": scale() > 0, "resources": {
        kind: {"minutes": f.minutes, "seconds": round(f.minutes * scale(), 3), "pending": f.pending,
               "final": f.final, "what": f.what} for kind, f in FIGURES.items()}}


def start(resource: object, kind: str) -> None:
    """Stamp a new resource with the time its pending state ends (nothing when the mode is off)."""
    wait = seconds(kind)
    if wait > 0:
        resource.__dict__[_READY_AT] = time.monotonic() + wait


def pending(resource: object) -> bool:
    ready_at = resource.__dict__.get(_READY_AT)
    return ready_at is not None and time.monotonic() < ready_at


def switchover_seconds(fallback: float) -> float:
    """The duration of a global switchover/failover: the latency figure when the mode is on."""
    return seconds("switchover") if scale() > 0 else fallback


# --------------------------------------------------------------------------- hooks into moto's models


def _stamp_on_init(cls, kind: str) -> None:
    original = cls.__init__

    @functools.wraps(original)
    def __init__(self, *args, **kwargs):
        original(self, *args, **kwargs)
        start(self, kind)

    cls.__init__ = __init__


def _pending_attribute(cls, name: str, kind: str) -> None:
    """Make a plain attribute (moto sets ``self.<name> = ...``) read as the pending state while pending."""
    slot = f"_emulator_latency_{name}"

    def getter(self):
        return FIGURES[kind].pending if pending(self) else self.__dict__.get(slot)

    def setter(self, value):
        self.__dict__[slot] = value

    setattr(cls, name, property(getter, setter))
    _stamp_on_init(cls, kind)


def _pending_property(cls, name: str, kind: str) -> None:
    """Wrap an existing property: read as the pending state while pending, else as moto answers."""
    original: property = getattr(cls, name)

    def getter(self):
        return FIGURES[kind].pending if pending(self) else original.fget(self)

    setattr(cls, name, property(getter, original.fset))
    _stamp_on_init(cls, kind)


def _patch_models() -> None:
    from moto.acm.models import CertBundle
    from moto.ec2.models.nat_gateways import NatGateway
    from moto.elbv2.models import FakeLoadBalancer
    from moto.rds.models import DBCluster, DBInstance

    _pending_property(DBCluster, "status", "aurora_cluster")
    _pending_attribute(DBInstance, "status", "aurora_instance")
    _pending_attribute(NatGateway, "state", "nat_gateway")

    # moto turns a load balancer active on its first describe (activate()): not before its wait.
    _stamp_on_init(FakeLoadBalancer, "load_balancer")
    activate = FakeLoadBalancer.activate

    def activate_when_ready(self) -> None:
        if not pending(self):
            activate(self)

    FakeLoadBalancer.activate = activate_when_ready

    # moto issues a DNS-validated certificate on the first read MOTO_ACM_VALIDATION_WAIT s after the
    # request; in latency mode the certificate's own stamped wait decides instead.
    _stamp_on_init(CertBundle, "acm_validation")
    check = CertBundle.check

    def check_when_ready(self) -> None:
        if _READY_AT not in self.__dict__:
            return check(self)
        if self.status == "PENDING_VALIDATION" and self.type == "AMAZON_ISSUED" and not pending(self):
            self.status = "ISSUED"
        return None

    CertBundle.check = check_when_ready


# --------------------------------------------------------------------------- Route 53 change status

_CHANGES: dict[str, float] = {}
_CHANGES_LOCK = threading.Lock()


def _patch_route53() -> None:
    from moto.route53.responses import Route53

    change = Route53.change_resource_record_sets
    get_change = Route53.get_change

    @functools.wraps(change)
    def change_resource_record_sets(self):
        result = change(self)
        wait = seconds("route53_change")
        if wait > 0:
            info = result.result["ChangeInfo"]
            change_id = f"C{uuid.uuid4().hex[:13].upper()}"
            with _CHANGES_LOCK:
                _CHANGES[change_id] = time.monotonic() + wait
            info["Id"], info["Status"] = f"/change/{change_id}", "PENDING"
        return result

    @functools.wraps(get_change)
    def get_change_status(self):
        result = get_change(self)
        info = result.result["ChangeInfo"]
        change_id = str(info["Id"]).rsplit("/", 1)[-1]
        with _CHANGES_LOCK:
            ready_at = _CHANGES.get(change_id)
        if ready_at is not None and time.monotonic() < ready_at:
            info["Status"] = "PENDING"
        return result

    Route53.change_resource_record_sets = change_resource_record_sets
    Route53.get_change = get_change_status


_installed = False


def install() -> None:
    global _installed
    if _installed:
        return
    _patch_models()
    _patch_route53()
    _installed = True
