"""Runtime settings of the emulator: environment defaults, overridable at runtime.

``GET /_emulator/config`` lists them, ``POST /_emulator/config`` with a JSON object of some of them
overrides them until the next ``/moto-api/reset`` (tests use short windows and small rates).
This module imports nothing else of the emulator, so every other module can read it.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass


@dataclass(frozen=True)
class Setting:
    env: str
    default: float
    minimum: float
    help: str


SETTINGS: dict[str, Setting] = {
    "switchover_seconds": Setting(
        "EMULATOR_SWITCHOVER_SECONDS", 2.0, 0.0,
        "how long a global switchover/failover is in progress"),
    "switchover_write_block_seconds": Setting(
        "EMULATOR_SWITCHOVER_WRITE_BLOCK_SECONDS", 3.0, 0.0,
        "writes are refused for the last N seconds of a switchover/failover (at most its duration)"),
    "workload_rate": Setting(
        "EMULATOR_WORKLOAD_RATE", 200.0, 0.0, "payments per second of a workload started without a rate"),
    "workload_tick_seconds": Setting(
        "EMULATOR_WORKLOAD_TICK_SECONDS", 0.1, 0.01, "the workload thread's tick"),
    "payment_deadline_seconds": Setting(
        "EMULATOR_PAYMENT_DEADLINE_SECONDS", 30.0, 0.0,
        "a payment not committed this long after it was created has failed for good"),
    "retry_base_seconds": Setting(
        "EMULATOR_RETRY_BASE_SECONDS", 0.05, 0.0, "first retry delay of a refused payment (doubles each retry)"),
    "retry_max_seconds": Setting(
        "EMULATOR_RETRY_MAX_SECONDS", 1.0, 0.0, "longest retry delay"),
    "lag_min_ms": Setting("EMULATOR_LAG_MIN_MS", 100.0, 0.0, "lowest simulated baseline replication lag"),
    "lag_max_ms": Setting("EMULATOR_LAG_MAX_MS", 300.0, 0.0, "highest simulated baseline replication lag"),
    "latency_scale": Setting(
        "EMULATOR_LATENCY_SCALE", 0.0, 0.0,
        "realistic-latency mode: emulator seconds per real AWS minute of a slow resource's wait (0 = off; "
        "see emulator/latency.py)"),
}

_OVERRIDES: dict[str, float] = {}
_LOCK = threading.Lock()


def get(name: str) -> float:
    """The setting's runtime override, else its environment variable, else its default."""
    setting = SETTINGS[name]
    with _LOCK:
        if name in _OVERRIDES:
            return _OVERRIDES[name]
    try:
        return max(setting.minimum, float(os.environ.get(setting.env, setting.default)))
    except ValueError:
        return setting.default


def current() -> dict[str, float]:
    return {name: get(name) for name in SETTINGS}


def validate(spec: object) -> dict[str, float]:
    """The overrides a POST body asks for; ValueError with a readable message otherwise."""
    if not isinstance(spec, dict):
        raise ValueError("the body must be a JSON object of settings: " + ", ".join(SETTINGS))
    unknown = sorted(set(spec) - set(SETTINGS))
    if unknown:
        raise ValueError(f"unknown setting(s) {', '.join(unknown)}; known: {', '.join(SETTINGS)}")
    values = {}
    for name, raw in spec.items():
        if isinstance(raw, bool):
            raise ValueError(f"{name!r} must be a number, not {raw!r}")
        try:
            value = float(raw)
        except (TypeError, ValueError):
            raise ValueError(f"{name!r} must be a number, not {raw!r}") from None
        if value < SETTINGS[name].minimum:
            raise ValueError(f"{name!r} must be >= {SETTINGS[name].minimum:g}")
        values[name] = value
    return values


def override(spec: object) -> dict[str, float]:
    """Validate and apply runtime overrides (all or none); returns the current settings."""
    values = validate(spec)
    with _LOCK:
        _OVERRIDES.update(values)
    return current()


def reset() -> None:
    """Back to the environment's settings (on /moto-api/reset)."""
    with _LOCK:
        _OVERRIDES.clear()
