"""The emulator's own HTTP API under /_emulator/: health and fault injection."""

from __future__ import annotations

import json
from urllib.parse import parse_qs

from .faults import API_PREFIX, FaultRegistry


def _json(start_response, status: str, payload) -> list[bytes]:
    body = json.dumps(payload, default=str).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


def apply_alarm_state(spec: dict) -> None:
    """Set a CloudWatch alarm's state in the emulator's backend (like SetAlarmState)."""
    from moto.cloudwatch.models import cloudwatch_backends
    from moto.core import DEFAULT_ACCOUNT_ID

    region = spec.get("region") or "eu-west-1"
    backend = cloudwatch_backends[DEFAULT_ACCOUNT_ID][region]
    if spec["alarm_name"] not in backend.alarms:
        raise ValueError(f"alarm {spec['alarm_name']!r} does not exist in {region}")
    backend.set_alarm_state(
        spec["alarm_name"], spec.get("reason", "set by the emulator's fault injection"),
        json.dumps({"source": "emulator"}), spec["state"],
    )


def handle(environ, start_response, registry: FaultRegistry) -> list[bytes]:
    path = environ.get("PATH_INFO", "")[len(API_PREFIX):].rstrip("/")
    method = environ.get("REQUEST_METHOD", "GET")
    if path in ("", "/health"):
        return _json(start_response, "200 OK", {"status": "ok"})
    if path == "/faults":
        if method == "GET":
            return _json(start_response, "200 OK", {"faults": registry.list()})
        if method == "DELETE":
            fault_id = parse_qs(environ.get("QUERY_STRING", "")).get("id", [None])[0]
            return _json(start_response, "200 OK", {"cleared": registry.clear(fault_id)})
        if method == "POST":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            try:
                spec = json.loads(environ["wsgi.input"].read(length) or b"{}")
                if not isinstance(spec, dict):
                    raise ValueError("the body must be a JSON object")
                if spec.get("kind") == "alarm_state":
                    apply_alarm_state(spec)
                    spec.pop("reason", None)
                fault = registry.add(spec)
            except (ValueError, TypeError, KeyError) as exc:
                return _json(start_response, "400 Bad Request", {"error": str(exc)})
            return _json(start_response, "201 Created", {"fault": fault.to_dict()})
        return _json(start_response, "405 Method Not Allowed", {"error": f"{method} not allowed"})
    return _json(start_response, "404 Not Found", {"error": f"no emulator endpoint {path!r}"})
