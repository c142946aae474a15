"""Simulated CloudWatch signals, published every ``EMULATOR_SIGNAL_INTERVAL`` seconds (default 5).

- ``AuroraGlobalDBReplicationLag`` and ``AuroraGlobalDBRPOLag`` (AWS/RDS, Milliseconds) for each
  **secondary** member of each global cluster, in that member's region, under the dimension sets
  of published_metrics.py; the value comes from the data plane's replication state
  (replication.py ``lag_ms``: the configured lag - baseline or ``replication_lag`` fault - or the
  age of the oldest commit not replicated yet, whichever is larger). A primary never gets them.
- ``RequestCount``, ``HTTPCode_Target_5XX_Count``, ``HTTPCode_ELB_5XX_Count`` (AWS/ApplicationELB)
  per load balancer, from the payment workload's traffic since the last publication (workload.py).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from datetime import UTC, datetime

from . import ext_rds, published_metrics
from .faults import REGISTRY, FaultRegistry
from .replication import REPLICATION, Replication
from .workload import WORKLOAD, Workload

LOG = logging.getLogger("emulator.signals")
LAG_METRICS = published_metrics.LAG_METRICS


def _region_of(arn: str) -> str:
    return arn.split(":")[3]


def _secondaries() -> list[tuple[object, str]]:
    """(member cluster, source region) of every secondary member of every global cluster."""
    from moto.core import DEFAULT_ACCOUNT_ID

    found = []
    for global_cluster in ext_rds.global_clusters(DEFAULT_ACCOUNT_ID):
        members = list(global_cluster.members)
        writer_region = next((_region_of(m.db_cluster_arn) for m in members if m.is_writer), None)
        found.extend((m, writer_region or "us-east-1") for m in members if not m.is_writer)
    return found


def secondary_clusters() -> list[tuple[str, str, str]]:
    """(region, cluster identifier, source region) of every secondary member of a global cluster."""
    return [(_region_of(m.db_cluster_arn), m.db_cluster_identifier, source) for m, source in _secondaries()]


def publish_lag(replication: Replication = REPLICATION) -> int:
    from moto.cloudwatch.models import cloudwatch_backends
    from moto.core import DEFAULT_ACCOUNT_ID

    # moto keeps metric timestamps naive (UTC); an aware one breaks GetMetricStatistics comparisons.
    timestamp = datetime.now(UTC).replace(tzinfo=None)
    now = time.time()
    written = 0
    for member, source_region in _secondaries():
        value = replication.lag_ms(member.db_cluster_arn, member.db_cluster_identifier, now)
        data = [
            {"MetricName": name, "Value": value, "Unit": published_metrics.LAG_UNIT, "Timestamp": timestamp,
             "Dimensions": dims}
            for name in published_metrics.LAG_METRICS
            for dims in published_metrics.lag_dimension_sets(member.db_cluster_identifier, source_region)
        ]
        cloudwatch_backends[DEFAULT_ACCOUNT_ID][_region_of(member.db_cluster_arn)].put_metric_data(
            published_metrics.LAG_NAMESPACE, data)
        written += len(data)
    return written


def publish_once(registry: FaultRegistry = REGISTRY, workload: Workload = WORKLOAD) -> int:  # noqa: ARG001
    """Publish every signal once; returns how many datapoints were written."""
    return publish_lag(workload.replication) + workload.publish_alb_metrics()


class SignalPublisher(threading.Thread):
    def __init__(self, interval: float | None = None) -> None:
        super().__init__(name="signal-publisher", daemon=True)
        self.interval = interval or float(os.environ.get("EMULATOR_SIGNAL_INTERVAL", "5"))
        self._stopped = threading.Event()

    def run(self) -> None:
        while not self._stopped.is_set():
            try:
                publish_once()
            except Exception:  # noqa: BLE001  (a signal must never take the server down)
                LOG.exception("publishing simulated signals failed")
            self._stopped.wait(self.interval)

    def stop(self) -> None:
        self._stopped.set()
