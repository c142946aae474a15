"""The emulator's own HTTP API under /_emulator/: health, runtime config, faults, signals, workload."""

from __future__ import annotations

import json
from urllib.parse import parse_qs

from . import config, latency
from .faults import API_PREFIX, FaultRegistry
from .request_counter import COUNTER
from .signals import publish_once, secondary_clusters
from .workload import WORKLOAD


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


def _read_json(environ) -> object:
    length = int(environ.get("CONTENT_LENGTH") or 0)
    raw = environ["wsgi.input"].read(length) if length else b""
    try:
        return json.loads(raw or b"{}")
    except json.JSONDecodeError as exc:
        raise ValueError(f"the body is not JSON: {exc}") from None


def _config(environ, start_response, method: str) -> list[bytes]:
    """GET: runtime settings; POST {"name": value, ...}: override until the next /moto-api/reset."""
    if method == "GET":
        return _json(start_response, "200 OK", config.current())
    if method != "POST":
        return _json(start_response, "405 Method Not Allowed", {"error": f"{method} not allowed"})
    try:
        return _json(start_response, "200 OK", config.override(_read_json(environ)))
    except ValueError as exc:
        return _json(start_response, "400 Bad Request", {"error": str(exc)})


def reset_runtime_config() -> None:
    """Called on /moto-api/reset: settings back to the environment's, the data plane emptied."""
    config.reset()
    WORKLOAD.reset()
    COUNTER.reset()


START_FIELDS = {"rate", "zone_name", "record_name", "target_region", "switchover_write_block_seconds",
                "payment_deadline_seconds"}


def _workload(environ, start_response, method: str, action: str) -> list[bytes]:
    """/_emulator/workload[/start|/stop|/report|/reset]."""
    if action in ("", "/report") and method == "GET":
        return _json(start_response, "200 OK", WORKLOAD.report())
    if method != "POST" or action not in ("/start", "/stop", "/reset"):
        return _json(start_response, "405 Method Not Allowed",
                     {"error": f"{method} /_emulator/workload{action} not allowed"})
    try:
        spec = _read_json(environ)
        if not isinstance(spec, dict):
            raise ValueError("the body must be a JSON object")
        if action == "/reset":
            WORKLOAD.reset()
            return _json(start_response, "200 OK", WORKLOAD.status())
        if action == "/stop":
            unknown = set(spec) - {"drain_seconds"}
            if unknown:
                raise ValueError(f"unknown field(s) {', '.join(sorted(unknown))}; known: drain_seconds")
            WORKLOAD.stop(float(spec.get("drain_seconds", 10)))
            return _json(start_response, "200 OK", WORKLOAD.report())
        unknown = set(spec) - START_FIELDS
        if unknown:
            raise ValueError(f"unknown field(s) {', '.join(sorted(unknown))}; known: {', '.join(sorted(START_FIELDS))}")
        settings = {k: spec[k] for k in ("switchover_write_block_seconds", "payment_deadline_seconds") if k in spec}
        config.validate(settings)
        rate = spec.get("rate")
        if rate is not None and (isinstance(rate, bool) or not isinstance(rate, int | float) or rate < 0):
            raise ValueError(f"'rate' must be a number of payments per second >= 0, not {rate!r}")
        if WORKLOAD.running():
            return _json(start_response, "409 Conflict",
                         {"error": "a workload is already running: stop or reset it first"})
        config.override(settings)
        status = WORKLOAD.start(rate=rate, zone_name=spec.get("zone_name"), record_name=spec.get("record_name"),
                                target_region=spec.get("target_region"))
    except (ValueError, TypeError) as exc:
        return _json(start_response, "400 Bad Request", {"error": str(exc)})
    except RuntimeError as exc:
        return _json(start_response, "409 Conflict", {"error": str(exc)})
    return _json(start_response, "200 OK", status)


def handle(environ, start_response, registry: FaultRegistry) -> list[bytes]:
    path = environ.get("PATH_INFO", "")[len(API_PREFIX):].rstrip("/")
    method = environ.get("REQUEST_METHOD", "GET")
    if path in ("", "/health"):
        return _json(start_response, "200 OK", {"status": "ok"})
    if path == "/config":
        return _config(environ, start_response, method)
    if path == "/requests":
        if method not in ("GET", "DELETE"):
            return _json(start_response, "405 Method Not Allowed", {"error": f"{method} not allowed"})
        return _json(start_response, "200 OK", COUNTER.snapshot(reset=method == "DELETE"))
    if path == "/latency":
        return _json(start_response, "200 OK", latency.describe())
    if path == "/signals/publish":
        if method != "POST":
            return _json(start_response, "405 Method Not Allowed", {"error": f"{method} not allowed"})
        return _json(start_response, "200 OK", {"published": publish_once(registry)})
    if path == "/signals":
        return _json(start_response, "200 OK", {"secondaries": [
            {"region": region, "cluster": cluster, "source_region": source}
            for region, cluster, source in secondary_clusters()
        ]})
    if path == "/workload" or path.startswith("/workload/"):
        return _workload(environ, start_response, method, path[len("/workload"):])
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
