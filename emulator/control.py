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


def _current_config() -> dict:
    from .ext_rds import _switchover_seconds

    return {"switchover_seconds": _switchover_seconds()}


def _config(environ, start_response, method: str) -> list[bytes]:
    """GET: runtime settings; POST {"switchover_seconds": N}: override until the next /moto-api/reset."""
    from .ext_rds import OVERRIDES

    if method == "GET":
        return _json(start_response, "200 OK", _current_config())
    if method != "POST":
        return _json(start_response, "405 Method Not Allowed", {"error": f"{method} not allowed"})
    length = int(environ.get("CONTENT_LENGTH") or 0)
    try:
        spec = json.loads(environ["wsgi.input"].read(length) or b"{}")
        if not isinstance(spec, dict) or set(spec) - {"switchover_seconds"}:
            raise ValueError("the body must be a JSON object with 'switchover_seconds'")
        if "switchover_seconds" in spec:
            value = float(spec["switchover_seconds"])
            if value < 0:
                raise ValueError("'switchover_seconds' must be >= 0")
            OVERRIDES["switchover_seconds"] = value
    except (ValueError, TypeError) as exc:
        return _json(start_response, "400 Bad Request", {"error": str(exc)})
    return _json(start_response, "200 OK", _current_config())


def reset_runtime_config() -> None:
    """Called on /moto-api/reset: back to the environment's settings."""
    from .ext_rds import OVERRIDES

    OVERRIDES.clear()


def handle(environ, start_response, registry: FaultRegistry) -> list[bytes]:
    path = environ.get("PATH_INFO", "")[len(API_PREFIX):].rstrip("/")
    method = environ.get("REQUEST_METHOD", "GET")
    if path in ("", "/health"):
        return _json(start_response, "200 OK", {"status": "ok"})
    if path == "/config":
        return _config(environ, start_response, method)
    if path == "/signals/publish":
        if method != "POST":
            return _json(start_response, "405 Method Not Allowed", {"error": f"{method} not allowed"})
        from .signals import publish_once

        return _json(start_response, "200 OK", {"published": publish_once(registry)})
    if path == "/signals":
        from .signals import secondary_clusters

        return _json(start_response, "200 OK", {"secondaries": [
            {"region": region, "cluster": cluster, "source_region": source}
            for region, cluster, source in secondary_clusters()
        ]})
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
