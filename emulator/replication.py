"""Ledgers of the Aurora clusters and the global database's replication, for the payment data plane.

Each cluster keeps a ledger: the payments committed on it, by idempotency key, with the commit
time. A commit on a global database's primary is queued for every secondary and arrives there
after the replication lag: the baseline is uniform in [``lag_min_ms``, ``lag_max_ms``] per commit,
a ``replication_lag`` fault that matches the secondary makes it ``value_ms``. Replication is in
order (a commit never overtakes an earlier one).

The lag a secondary reports (``lag_ms``, published as AuroraGlobalDBReplicationLag and
AuroraGlobalDBRPOLag by signals.py) is the larger of the lag a commit made now would see and the
age of its oldest commit not replicated yet: so it is the configured lag while idle, and a backlog
keeps it up after a lag fault ends until the backlog has drained.

Switchover and failover, as the Aurora User Guide describes them ("Using switchover or failover
in Amazon Aurora Global Database"; API reference SwitchoverGlobalCluster / FailoverGlobalCluster):

- switchover: "All secondary clusters are synchronized with the primary at the beginning of the
  process so the new primary continues operations ... without losing any data" - the data plane
  refuses writes for the last ``switchover_write_block_seconds`` of the operation, the secondaries
  catch up (``catch_up``) when that window opens, and the roles change with nothing lost;
- failover with ``AllowDataLoss``: "can result in a loss of write transaction data that wasn't
  replicated to the chosen secondary before the failover event" - the target stops receiving the
  old primary's commits when the failover starts, becomes the primary with what it had, and the
  other members are rebuilt from it (their extra commits are gone).
"""

from __future__ import annotations

import random
import threading
from collections import deque
from typing import Any

from . import config
from .faults import REGISTRY, FaultRegistry


class WriterDemoted(Exception):
    """A commit reached a cluster that stopped being the writer (Aurora: ERROR 1290, read-only)."""


class Replication:
    """All ledgers and replication queues; thread-safe. Never calls into ext_rds while locked."""

    def __init__(self, registry: FaultRegistry = REGISTRY, rng: random.Random | None = None) -> None:
        self.registry = registry
        self.rng = rng or random.Random()
        self._lock = threading.RLock()
        self.ledgers: dict[str, dict[str, list]] = {}  # cluster ARN -> key -> [commit time, commits]
        self.pending: dict[str, deque] = {}  # secondary ARN -> deque[(arrival, commit time, key)]
        self._last_arrival: dict[str, float] = {}
        self._detached: set[str] = set()  # failover targets: they receive nothing from the old primary
        self._caught_up: set[int] = set()  # id() of the operations whose catch-up ran
        # Former writers: a commit that chose its writer before the roles changed must not land
        # there afterwards (it would reach the new primary only later, or never).
        self._demoted: set[str] = set()

    def reset(self) -> None:
        with self._lock:
            self.ledgers.clear()
            self.pending.clear()
            self._last_arrival.clear()
            self._detached.clear()
            self._caught_up.clear()
            self._demoted.clear()

    # ------------------------------------------------------------------ lag

    def configured_lag_ms(self, cluster_id: str) -> float:
        """The lag a commit made now sees on this secondary: a matching fault, else the baseline."""
        override = self.registry.lag_override(cluster_id)
        if override is not None:
            return override
        low, high = config.get("lag_min_ms"), config.get("lag_max_ms")
        return self.rng.uniform(min(low, high), max(low, high))

    def lag_ms(self, cluster_arn: str, cluster_id: str, now: float) -> float:
        """The secondary's replication lag from the replication state (see the module docstring)."""
        configured = self.configured_lag_ms(cluster_id)
        with self._lock:
            self._apply(cluster_arn, now)
            queue = self.pending.get(cluster_arn)
            oldest = (now - queue[0][1]) * 1000.0 if queue else 0.0
        return max(configured, oldest)

    # ------------------------------------------------------------------ ledgers

    def _ledger(self, arn: str, copy_from: str | None = None) -> dict[str, list]:
        ledger = self.ledgers.get(arn)
        if ledger is None:
            # a cluster joining a global database starts as a copy of the primary's volume
            source = self.ledgers.get(copy_from) if copy_from else None
            ledger = {k: list(v) for k, v in source.items()} if source else {}
            self.ledgers[arn] = ledger
        return ledger

    def has(self, cluster_arn: str, key: str) -> bool:
        with self._lock:
            return key in self.ledgers.get(cluster_arn, {})

    def ledger_keys(self, cluster_arn: str) -> dict[str, list]:
        """A copy of a cluster's ledger (key -> [commit time, commits])."""
        with self._lock:
            return {k: list(v) for k, v in self.ledgers.get(cluster_arn, {}).items()}

    def commit(self, writer_arn: str, secondaries: list[tuple[str, str]], key: str, now: float) -> bool:
        """Commit a payment on the writer; False when the key was there already (idempotent replay).

        ``secondaries``: (ARN, identifier) of the writer's global database secondaries.
        Raises WriterDemoted when the writer's role moved away since the caller looked it up: the
        check and the commit hold the same lock as the role change (``roles_changing``).
        """
        lags = {arn: self.configured_lag_ms(cid) / 1000.0 for arn, cid in secondaries}
        with self._lock:
            if writer_arn in self._demoted:
                raise WriterDemoted(writer_arn)
            ledger = self._ledger(writer_arn)
            for arn, _ in secondaries:
                self._ledger(arn, copy_from=writer_arn)
            entry = ledger.get(key)
            if entry is not None:
                return False
            ledger[key] = [now, 1]
            for arn, _ in secondaries:
                if arn in self._detached:
                    continue
                arrival = max(now + lags[arn], self._last_arrival.get(arn, 0.0))
                self._last_arrival[arn] = arrival
                self.pending.setdefault(arn, deque()).append((arrival, now, key))
            return True

    def _apply(self, arn: str, now: float | None) -> None:
        """Apply the commits that have arrived on a secondary (all of them when now is None)."""
        queue = self.pending.get(arn)
        if not queue:
            return
        ledger = self._ledger(arn)
        while queue and (now is None or queue[0][0] <= now):
            _, commit_time, key = queue.popleft()
            entry = ledger.get(key)
            if entry is None:
                ledger[key] = [commit_time, 1]

    def replicate(self, now: float) -> None:
        with self._lock:
            for arn in list(self.pending):
                self._apply(arn, now)

    def unreplicated(self, cluster_arn: str) -> int:
        with self._lock:
            return len(self.pending.get(cluster_arn, ()))

    # ------------------------------------------------------------------ switchover / failover

    def catch_up(self, op: Any, member_arns: list[str]) -> None:
        """A switchover's write block opened: every secondary receives everything (once per operation)."""
        with self._lock:
            if id(op) in self._caught_up:
                return
            self._caught_up.add(id(op))
            for arn in member_arns:
                self._apply(arn, None)

    # ext_rds listener interface (called under ext_rds's lock)
    def started(self, global_cluster, op) -> None:
        if not op.data_loss:
            return
        target = op.target.db_cluster_arn
        with self._lock:
            self._detached.add(target)
            self.pending.pop(target, None)  # not replicated before the failover event: gone
            self._last_arrival.pop(target, None)

    def roles_changing(self, global_cluster, op) -> None:
        members = [m.db_cluster_arn for m in global_cluster.members]
        target = op.target.db_cluster_arn
        with self._lock:
            self._caught_up.discard(id(op))
            self._demoted.update(arn for arn in members if arn != target)
            self._demoted.discard(target)
            if not op.data_loss:
                for arn in members:
                    self._apply(arn, None)
                return
            self._detached.discard(target)
            self.pending.pop(target, None)
            new_primary = self._ledger(target)
            for arn in members:
                if arn != target:
                    # rebuilt from the new primary: what only the old primary had is lost
                    self.ledgers[arn] = {k: list(v) for k, v in new_primary.items()}
                    self.pending.pop(arn, None)
                    self._last_arrival.pop(arn, None)


REPLICATION = Replication()
