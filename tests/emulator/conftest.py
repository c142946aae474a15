"""Helpers for the emulator's own tests: its HTTP control API and a client with the emulator URL."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest


def call(url: str, method: str, path: str, payload: dict | None = None) -> tuple[int, dict]:
    """(HTTP status, JSON body) of a request to the emulator; HTTP errors are returned, not raised."""
    data = json.dumps(payload).encode() if payload is not None else None
    request = urllib.request.Request(f"{url}{path}", data=data, method=method,
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


@pytest.fixture
def control(emulator):
    """control(method, path, payload=None) -> (status, body) against the clean emulator."""

    def _control(method: str, path: str, payload: dict | None = None) -> tuple[int, dict]:
        return call(emulator, method, path, payload)

    return _control


@pytest.fixture
def add_fault(control):
    """add_fault(kind, **fields) -> the fault as the emulator recorded it (fails the test on refusal)."""

    def _add(kind: str, **fields) -> dict:
        status, body = control("POST", "/_emulator/faults", {"kind": kind, **fields})
        assert status == 201, body
        return body["fault"]

    return _add
