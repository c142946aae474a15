"""Simulated CloudWatch signals: Aurora global replication lag for every secondary cluster.

Every ``EMULATOR_SIGNAL_INTERVAL`` seconds (default 5) the publisher writes
``AuroraGlobalDBReplicationLag`` and ``AuroraGlobalDBRPOLag`` (namespace AWS/RDS, milliseconds) for
each non-writer member of each global cluster, in that member's region. The value is a baseline
between ``EMULATOR_LAG_MIN_MS`` and ``EMULATOR_LAG_MAX_MS`` (defaults 100 and 300) unless a
``replication_lag`` fault overrides it.
"""

from __future__ import annotations

import logging
import os
import random
import threading
from datetime import UTC, datetime

from .faults import REGISTRY, FaultRegistry

LOG = logging.getLogger("emulator.signals")
LAG_METRICS = ("AuroraGlobalDBReplicationLag", "AuroraGlobalDBRPOLag")


def _region_of(arn: str) -> str:
    return arn.split(":")[3]


def secondary_clusters() -> list[tuple[str, str, str]]:
    """(region, cluster identifier, source region) of every secondary member of a global cluster."""
    from moto.core import DEFAULT_ACCOUNT_ID

    from .ext_rds import global_clusters

    found = []
    for global_cluster in global_clusters(DEFAULT_ACCOUNT_ID):
        members = list(global_cluster.members)
        writer_region = next((_region_of(m.db_cluster_arn) for m in members if m.is_writer), None)
        for member in members:
            if not member.is_writer:
                found.append((_region_of(member.db_cluster_arn), member.db_cluster_identifier,
                              writer_region or "us-east-1"))
    return found


def publish_once(registry: FaultRegistry = REGISTRY, rng: random.Random | None = None) -> int:
    """Write one datapoint of each lag metric for each secondary; returns how many were written."""
    from moto.cloudwatch.models import cloudwatch_backends
    from moto.core import DEFAULT_ACCOUNT_ID

    rng = rng or random
    low = float(os.environ.get("EMULATOR_LAG_MIN_MS", "100"))
    high = float(os.environ.get("EMULATOR_LAG_MAX_MS", "300"))
    # moto keeps metric timestamps naive (UTC); an aware one breaks GetMetricStatistics comparisons.
    now = datetime.now(UTC).replace(tzinfo=None)
    written = 0
    for region, cluster_id, source_region in secondary_clusters():
        override = registry.lag_override(cluster_id)
        value = override if override is not None else rng.uniform(low, high)
        dimension_sets = (
            [{"Name": "DBClusterIdentifier", "Value": cluster_id}],
            [{"Name": "DBClusterIdentifier", "Value": cluster_id},
             {"Name": "SourceRegion", "Value": source_region}],
        )
        data = [
            {"MetricName": name, "Value": value, "Unit": "Milliseconds", "Timestamp": now,
             "Dimensions": dims}
            for name in LAG_METRICS for dims in dimension_sets
        ]
        cloudwatch_backends[DEFAULT_ACCOUNT_ID][region].put_metric_data("AWS/RDS", data)
        written += len(data)
    return written


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
