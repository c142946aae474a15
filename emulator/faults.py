"""Fault injection: a registry of active faults and the WSGI middleware that applies them.

Kinds of fault:
- ``api_error``: the next ``count`` calls of an API action (or a REST path) answer with an AWS
  error such as ``Throttling`` (without ``count``: every call, until cleared or ``duration`` ends).
- ``replication_lag``: the simulated Aurora global lag is ``value_ms`` for ``duration`` seconds.
- ``unhealthy_targets``: a target group's targets report ``unhealthy`` (``hits`` counts the
  DescribeTargetHealth answers it changed).
- ``alarm_state``: an alarm's state is set (applied at once; listed for the record).
- ``app_errors``: a region's application answers HTTP 500 to a share (``rate``, default 1) of the
  payments it gets (the data plane, workload.py).
- ``write_path_cut``: a region's application cannot reach a writer in another region (peering
  down), and write forwarding from that region is refused too.

The HTTP interface lives under ``/_emulator/`` on the emulator's own port; see README.md.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import time
import uuid
from dataclasses import asdict, dataclass, field
from typing import Any

API_PREFIX = "/_emulator"

# REST-style actions have no Action parameter: map the ones worth targeting to method + path.
REST_ACTIONS: dict[str, tuple[str, str]] = {
    "ChangeResourceRecordSets": ("POST", r"/hostedzone/[^/]+/rrset/?$"),
    "ListResourceRecordSets": ("GET", r"/hostedzone/[^/]+/rrset/?$"),
    "GetChange": ("GET", r"/change/[^/]+$"),
    "GetHostedZone": ("GET", r"/hostedzone/[^/]+$"),
    "ListHostedZones": ("GET", r"/hostedzone/?$"),
}

_RPC_V2_PATH = re.compile(r"/service/[^/]+/operation/(?P<operation>[^/]+)$")
_CREDENTIAL_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/(?P<region>[^/]+)/(?P<service>[^/]+)/")
_ids = itertools.count(1)


@dataclass
class Fault:
    kind: str
    id: str = field(default_factory=lambda: f"fault-{next(_ids)}")
    created: float = field(default_factory=time.time)
    expires: float | None = None
    # api_error
    action: str | None = None
    path: str | None = None
    method: str | None = None
    service: str | None = None
    region: str | None = None
    count: int | None = None
    error: str = "Throttling"
    message: str = "Rate exceeded"
    status: int = 400
    hits: int = 0
    # replication_lag
    value_ms: float | None = None
    cluster: str | None = None
    # unhealthy_targets
    target_group_arn: str | None = None
    reason: str = "Target.FailedHealthChecks"
    # alarm_state
    alarm_name: str | None = None
    state: str | None = None
    # app_errors (region above)
    rate: float | None = None

    def active(self, now: float | None = None) -> bool:
        now = time.time() if now is None else now
        if self.expires is not None and now >= self.expires:
            return False
        if self.kind == "api_error" and self.count is not None and self.hits >= self.count:
            return False
        return True

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


KINDS = ("api_error", "replication_lag", "unhealthy_targets", "alarm_state", "app_errors", "write_path_cut")
_NUMERIC_FIELDS = {"count": int, "status": int, "value_ms": float, "rate": float}


class FaultRegistry:
    """Thread-safe store of faults, shared by the middleware, the signal publisher and patches."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, spec: dict[str, Any]) -> Fault:
        spec = dict(spec)
        kind = spec.pop("kind", None) or spec.pop("type", None)
        if kind not in KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {', '.join(KINDS)}")
        duration = spec.pop("duration", None)
        allowed = set(Fault.__dataclass_fields__) - {"kind", "id", "created", "expires", "hits"}
        unknown = set(spec) - allowed
        if unknown:
            raise ValueError(f"unknown field(s) for a fault: {', '.join(sorted(unknown))}")
        for name, convert in _NUMERIC_FIELDS.items():
            if spec.get(name) is not None:
                try:
                    spec[name] = convert(spec[name])
                except (TypeError, ValueError):
                    raise ValueError(f"{name!r} must be a number, not {spec[name]!r}") from None
        fault = Fault(kind=kind, **spec)
        if duration is not None:
            try:
                fault.expires = fault.created + float(duration)
            except (TypeError, ValueError):
                raise ValueError(f"'duration' must be a number of seconds, not {duration!r}") from None
        _validate(fault)
        with self._lock:
            self._faults.append(fault)
        return fault

    def list(self) -> list[dict[str, Any]]:
        with self._lock:
            self._faults = [f for f in self._faults if f.active() or f.kind == "alarm_state"]
            return [f.to_dict() for f in self._faults]

    def clear(self, fault_id: str | None = None) -> int:
        with self._lock:
            before = len(self._faults)
            self._faults = [f for f in self._faults if fault_id is not None and f.id != fault_id]
            return before - len(self._faults)

    def take_api_error(self, service: str | None, region: str | None, action: str | None,
                       method: str, path: str) -> Fault | None:
        """The first matching api_error fault, with one use consumed."""
        with self._lock:
            for fault in self._faults:
                if fault.kind != "api_error" or not fault.active():
                    continue
                if not _matches_request(fault, service, region, action, method, path):
                    continue
                fault.hits += 1
                return fault
        return None

    def lag_override(self, cluster_id: str) -> float | None:
        with self._lock:
            for fault in reversed(self._faults):
                if fault.kind == "replication_lag" and fault.active():
                    if fault.cluster is None or fault.cluster in cluster_id:
                        return float(fault.value_ms)
        return None

    def unhealthy(self, target_group_arn: str, count_hit: bool = False) -> Fault | None:
        """The unhealthy_targets fault that matches the group; count_hit: an API answer it turned unhealthy
        (its ``hits``, so that a test can wait until a client has read the fault, not guess a duration)."""
        with self._lock:
            for fault in self._faults:
                if fault.kind == "unhealthy_targets" and fault.active():
                    if fault.target_group_arn in (None, target_group_arn) or (
                        fault.target_group_arn and fault.target_group_arn in target_group_arn
                    ):
                        if count_hit:
                            fault.hits += 1
                        return fault
        return None


    def app_error_rate(self, region: str) -> float:
        """The share of requests the region's application answers with HTTP 500 (0 without a fault)."""
        with self._lock:
            rates = [1.0 if f.rate is None else f.rate for f in self._faults
                     if f.kind == "app_errors" and f.active() and f.region == region]
        return max(rates, default=0.0)

    def write_path_cut(self, region: str) -> bool:
        with self._lock:
            return any(f.kind == "write_path_cut" and f.active() and f.region == region for f in self._faults)


def _validate(fault: Fault) -> None:
    if fault.kind == "api_error":
        if not (fault.action or fault.path):
            raise ValueError("an api_error fault needs an 'action' or a 'path'")
        if fault.count is not None and int(fault.count) < 1:
            raise ValueError("'count' must be a positive number of calls")
    elif fault.kind == "replication_lag":
        if fault.value_ms is None or float(fault.value_ms) < 0:
            raise ValueError("a replication_lag fault needs 'value_ms' >= 0")
    elif fault.kind == "unhealthy_targets":
        if not fault.target_group_arn:
            raise ValueError("an unhealthy_targets fault needs 'target_group_arn'")
    elif fault.kind in ("app_errors", "write_path_cut"):
        if not fault.region:
            raise ValueError(f"a {fault.kind} fault needs 'region' (the application's region)")
        if fault.kind == "app_errors" and fault.rate is not None and not 0 <= fault.rate <= 1:
            raise ValueError("'rate' must be between 0 and 1 (the share of requests that fail)")
        if fault.kind == "write_path_cut" and fault.rate is not None:
            raise ValueError("a write_path_cut fault has no 'rate'")
    elif fault.kind == "alarm_state":
        if not fault.alarm_name or fault.state not in ("OK", "ALARM", "INSUFFICIENT_DATA"):
            raise ValueError("an alarm_state fault needs 'alarm_name' and 'state' OK|ALARM|INSUFFICIENT_DATA")


def _matches_request(fault: Fault, service, region, action, method, path) -> bool:
    if fault.service and fault.service != service:
        return False
    if fault.region and fault.region != region:
        return False
    if fault.method and fault.method.upper() != method.upper():
        return False
    if fault.path and not re.search(fault.path, path):
        return False
    if fault.action:
        if action is not None:
            return fault.action == action
        rest = REST_ACTIONS.get(fault.action)
        if rest is None:
            return False
        return rest[0] == method.upper() and re.search(rest[1], path) is not None
    return True


REGISTRY = FaultRegistry()


def _action_of(environ: dict[str, Any], body: bytes) -> str | None:
    """The API action of a query-, JSON- or RPC-v2-protocol request; None for REST-style calls."""
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:
        return target.rsplit(".", 1)[-1]
    rpc = _RPC_V2_PATH.search(environ.get("PATH_INFO", ""))
    if rpc:
        return rpc.group("operation")
    from urllib.parse import parse_qs

    query = parse_qs(environ.get("QUERY_STRING", ""))
    if "Action" in query:
        return query["Action"][0]
    ctype = environ.get("CONTENT_TYPE", "")
    if "x-www-form-urlencoded" in ctype and body:
        form = parse_qs(body.decode("utf-8", "replace"))
        if "Action" in form:
            return form["Action"][0]
    return None


def _cbor_text(value: str) -> bytes:
    data = value.encode()
    size = len(data)
    if size < 24:
        head = bytes([0x60 + size])
    elif size < 256:
        head = bytes([0x78, size])
    else:
        head = bytes([0x79]) + size.to_bytes(2, "big")
    return head + data


def _cbor_map(items: dict[str, str]) -> bytes:
    """A CBOR map of short strings (all an RPC v2 CBOR error body needs)."""
    out = bytes([0xA0 + len(items)])
    for key, value in items.items():
        out += _cbor_text(key) + _cbor_text(value)
    return out


def _error_response(fault: Fault, environ: dict[str, Any], service: str | None = None):
    """The fault's error in the wire format of the request's protocol.

    JSON (X-Amz-Target or a JSON body, incl. awsQueryCompatible services such as CloudWatch),
    RPC v2 CBOR, EC2 (<Response><Errors><Error>) and the query / REST-XML <ErrorResponse>.
    """
    from xml.sax.saxutils import escape

    request_id = str(uuid.uuid4())
    ctype = environ.get("CONTENT_TYPE", "")
    headers = [("x-amzn-RequestId", request_id)]
    if "cbor" in ctype or environ.get("HTTP_SMITHY_PROTOCOL") == "rpc-v2-cbor":
        body = _cbor_map({"__type": fault.error, "message": fault.message})
        headers += [("Content-Type", "application/cbor"), ("smithy-protocol", "rpc-v2-cbor")]
    elif environ.get("HTTP_X_AMZ_TARGET") or "json" in ctype:
        body = json.dumps({"__type": fault.error, "message": fault.message}).encode()
        headers += [("Content-Type", ctype if "json" in ctype else "application/x-amz-json-1.1"),
                    ("x-amzn-ErrorType", fault.error)]
        if environ.get("HTTP_X_AMZN_QUERY_MODE"):
            headers.append(("x-amzn-query-error", f"{fault.error};Sender"))
    elif service == "ec2":
        body = (
            f"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error><Code>{escape(fault.error)}</Code>"
            f"<Message>{escape(fault.message)}</Message></Error></Errors>"
            f"<RequestID>{request_id}</RequestID></Response>"
        ).encode()
        headers.append(("Content-Type", "text/xml;charset=UTF-8"))
    else:
        body = (
            "<ErrorResponse><Error><Type>Sender</Type>"
            f"<Code>{escape(fault.error)}</Code><Message>{escape(fault.message)}</Message></Error>"
            f"<RequestId>{request_id}</RequestId></ErrorResponse>"
        ).encode()
        headers.append(("Content-Type", "text/xml"))
    headers.append(("Content-Length", str(len(body))))
    return f"{fault.status} Injected", headers, body
