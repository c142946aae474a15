"""Serve moto with this project's additions, in the foreground (used by `start`)."""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading

from . import DEFAULT_HOST, DEFAULT_PORT

LOG = logging.getLogger("emulator")


def _prepare_environment(port: int) -> None:
    """Settings moto reads from the environment; they must be set before moto is imported."""
    # aws-sdk tasks of Step Functions call back into this server (http://localhost:$MOTO_PORT):
    # always this server's port, whatever the calling environment says.
    os.environ["MOTO_PORT"] = str(port)
    os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    os.environ.setdefault("MOTO_ACM_VALIDATION_WAIT", "2")
    os.environ.setdefault("MOTO_ALLOW_NONEXISTENT_REGION", "false")


def build_app():
    """The WSGI application: fault injection and emulator API in front of moto's dispatcher."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    from . import extensions
    from .alarms import AlarmsMiddleware
    from .middleware import FaultMiddleware

    extensions.install()
    moto_app = DomainDispatcherApplication(create_backend_app)
    return AlarmsMiddleware(FaultMiddleware(moto_app))


def enable_step_functions_execution() -> None:
    """Let Step Functions state machines really execute (moto's config API, in-process)."""
    from moto.core.config import default_user_config

    default_user_config["stepfunctions"]["execute_state_machine"] = True
    default_user_config["iam"]["load_aws_managed_policies"] = True


def serve(host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> None:
    _prepare_environment(port)
    from moto.moto_server.werkzeug_app import MotoRequestHandler
    from werkzeug.serving import make_server

    from . import alarms, signals

    app = build_app()
    enable_step_functions_execution()
    server = make_server(host, port, app, threaded=True, request_handler=MotoRequestHandler)
    publisher = signals.SignalPublisher()
    publisher.start()
    evaluator = alarms.AlarmEvaluator()
    evaluator.start()

    def _stop(signum, frame):  # noqa: ARG001
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    LOG.info("emulator listening on http://%s:%s", host, port)
    try:
        server.serve_forever()
    finally:
        publisher.stop()
        evaluator.stop()
        server.server_close()
    LOG.info("emulator on port %s stopped", port)
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    # Nothing to save: skip the interpreter's finalisation of moto's large in-memory state (seconds).
    os._exit(0)
