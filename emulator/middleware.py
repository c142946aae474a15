"""The WSGI middleware in front of moto: the emulator's own API, resets, injected API errors.

Kept apart from faults.py (the fault registry) so that the modules import each other in one
direction only: middleware -> control -> (faults, signals, workload, ...) -> faults.
"""

from __future__ import annotations

import io

from . import control
from .faults import _CREDENTIAL_SCOPE, API_PREFIX, REGISTRY, FaultRegistry, _action_of, _error_response
from .request_counter import COUNTER


class FaultMiddleware:
    """Serves /_emulator/* and answers requests that match an api_error fault."""

    def __init__(self, app, registry: FaultRegistry = REGISTRY) -> None:
        self.app = app
        self.registry = registry

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path.startswith(API_PREFIX):
            return control.handle(environ, start_response, self.registry)
        if path.rstrip("/") == "/moto-api/reset":
            control.reset_runtime_config()
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = b""
        if length:  # (a chunked body without Content-Length is left alone for moto)
            body = environ["wsgi.input"].read(length)
            environ["wsgi.input"] = io.BytesIO(body)
        scope = _CREDENTIAL_SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
        service, region = (scope.group("service"), scope.group("region")) if scope else (None, None)
        action = _action_of(environ, body)
        if not path.startswith("/moto-api"):
            COUNTER.count(service, region, action, environ.get("REQUEST_METHOD", "GET"), path)
        fault = self.registry.take_api_error(
            service, region, action, environ.get("REQUEST_METHOD", "GET"), path
        )
        if fault is not None:
            status, headers, payload = _error_response(fault, environ, service)
            start_response(status, headers)
            return [payload]
        return self.app(environ, start_response)
