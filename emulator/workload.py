"""The payment workload: a client that pays at a steady rate through the simulated application,
and the reconciliation that proves (or disproves) that no acknowledged payment was lost.

One background thread works in ticks (``workload_tick_seconds``, default 0.1 s). Each tick it
takes a snapshot of the application model (appmodel.py: weighted records, ALBs, healthy targets,
their DB_WRITER_ENDPOINT, database endpoints, peerings), creates ``rate * tick`` new payments and
retries the refused ones that are due. No HTTP request is made per payment.

A payment (idempotency key ``pay-<run>-<n>``):
1. goes to a region chosen by the live weights of the weighted record set (Route 53 weighted
   routing; an ``EvaluateTargetHealth`` alias whose ALB has no healthy target is skipped);
2. reaches that region's ALB (counted in ``RequestCount``); no healthy target: 503 from the ALB
   (``HTTPCode_ELB_5XX_Count``);
3. a healthy target (round robin) runs the application: an ``app_errors`` fault answers 500, and
   so does a write path that does not work (``HTTPCode_Target_5XX_Count``):
   no DB_WRITER_ENDPOINT, an endpoint that resolves to nothing, a cluster in another region
   without an active VPC peering (or under a ``write_path_cut`` fault), a read-only secondary
   without global write forwarding (Aurora MySQL ERROR 1290), writes blocked by a switchover;
4. otherwise the payment commits on the writer (through forwarding for a secondary that forwards)
   and the client gets its acknowledgement.
A refused payment is retried with the same key, with exponential backoff (``retry_base_seconds``
doubling up to ``retry_max_seconds``), until ``payment_deadline_seconds`` after it was created;
then it has failed for good.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import random
import threading
import time
from datetime import UTC, datetime
from typing import Any

from . import appmodel, config, ext_rds, published_metrics
from .faults import REGISTRY, FaultRegistry
from .replication import REPLICATION, Replication, WriterDemoted

LOG = logging.getLogger("emulator.workload")
MISSING_LIMIT = 100
_runs = itertools.count(1)


class Payment:
    __slots__ = ("key", "created", "phase", "attempts", "status", "done_at", "scope", "next_try", "reason")

    def __init__(self, key: str, created: float, phase: str) -> None:
        self.key = key
        self.created = created
        self.phase = phase
        self.attempts = 0
        self.status = "pending"  # pending | committed | failed
        self.done_at: float | None = None
        self.scope: tuple[str, str] | None = None  # ("global", id) or ("cluster", ARN) it committed in
        self.next_try = created
        self.reason: str | None = None  # last refusal


class WritePath:
    """Where one target's writes go, resolved once per tick."""

    __slots__ = ("problem", "cluster", "global_cluster", "via")

    def __init__(self, problem: str | None = None, cluster: Any = None, global_cluster: Any = None,
                 via: str = "") -> None:
        self.problem = problem
        self.cluster = cluster
        self.global_cluster = global_cluster
        self.via = via


def _region_of(cluster) -> str:
    return cluster.db_cluster_arn.split(":")[3]


class Workload:
    def __init__(self, replication: Replication = REPLICATION, registry: FaultRegistry = REGISTRY) -> None:
        self.replication = replication
        self.registry = registry
        self._lock = threading.RLock()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._reset_state()

    # ------------------------------------------------------------------ state

    def _reset_state(self) -> None:
        self.run = next(_runs)
        self.payments: dict[str, Payment] = {}
        self.retries: list[tuple[float, int, str]] = []  # heap of (next try, seq, key)
        self._seq = itertools.count()
        self.rate = 0.0
        self.zone_name: str | None = None
        self.record_name: str | None = None
        self.target_region = "eu-west-1"
        self.started_at: float | None = None
        self.stopped_at: float | None = None
        self.generating = False
        self._carry = 0.0
        self._counter = itertools.count(1)
        self._rr = itertools.count()
        self.rng = random.Random(self.run)
        self.alb: dict[tuple[str, str], dict[str, int]] = {}  # (region, LoadBalancer) -> counters to publish
        self.alb_totals: dict[str, dict[str, int]] = {}
        self.failure_reasons: dict[str, int] = {}
        self.last_problem: str | None = None
        self.resolved: tuple[str | None, str | None] = (None, None)
        self.ticks = 0
        self.phases_seen: list[str] = []

    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self, rate: float | None = None, zone_name: str | None = None, record_name: str | None = None,
              target_region: str | None = None) -> dict:
        with self._lock:
            if self.running():
                raise RuntimeError("a workload is already running: stop it (or reset) first")
            self._reset_state()
            self.rate = config.get("workload_rate") if rate is None else float(rate)
            if self.rate < 0:
                raise ValueError("'rate' must be >= 0 payments per second")
            self.zone_name, self.record_name = zone_name, record_name
            self.target_region = target_region or "eu-west-1"
            self.started_at = time.time()
            self.generating = True
            self._stop.clear()
            self._thread = threading.Thread(target=self._loop, name="payment-workload", daemon=True)
            self._thread.start()
        return self.status()

    def stop(self, drain_seconds: float = 10.0) -> dict:
        """Stop creating payments; keep retrying the ones in flight for up to drain_seconds; stop."""
        with self._lock:
            self.generating = False
            if self.stopped_at is None and self.started_at is not None:
                self.stopped_at = time.time()
        deadline = time.monotonic() + max(0.0, drain_seconds)
        while self.running() and time.monotonic() < deadline:
            with self._lock:
                if not any(p.status == "pending" for p in self.payments.values()):
                    break
            time.sleep(0.05)
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        return self.status()

    def reset(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        with self._lock:
            self._thread = None
            self._reset_state()
        self.replication.reset()

    def status(self) -> dict:
        with self._lock:
            return {"running": self.running(), "generating": self.generating, "rate": self.rate,
                    "zone_name": self.zone_name, "record_name": self.record_name,
                    "target_region": self.target_region, "payments": len(self.payments)}

    # ------------------------------------------------------------------ the loop

    def _loop(self) -> None:
        while not self._stop.is_set():
            began = time.monotonic()
            try:
                self.tick(time.time())
            except Exception:  # noqa: BLE001  (the workload must survive a moto state change mid-read)
                LOG.exception("workload tick failed")
            with self._lock:
                if not self.generating and not any(p.status == "pending" for p in self.payments.values()):
                    self._stop.set()  # stopped and drained
            self._stop.wait(max(0.0, config.get("workload_tick_seconds") - (time.monotonic() - began)))

    def tick(self, now: float) -> None:
        """One tick: snapshot the model, create new payments, retry the due ones."""
        view = self._view()
        with self._lock:
            self.ticks += 1
            self.last_problem = view["snapshot"].problem
            self.resolved = (view["snapshot"].zone_name, view["snapshot"].record_name)
            phase = view["phase"]
            if phase not in self.phases_seen:
                self.phases_seen.append(phase)
            due: list[Payment] = []
            if self.generating:
                self._carry += self.rate * config.get("workload_tick_seconds")
                count = int(self._carry)
                self._carry -= count
                for _ in range(count):
                    key = f"pay-{self.run}-{next(self._counter):07d}"
                    payment = Payment(key, now, phase)
                    self.payments[key] = payment
                    due.append(payment)
            while self.retries and self.retries[0][0] <= now:
                _, _, key = heapq.heappop(self.retries)
                payment = self.payments[key]
                if payment.status == "pending":
                    due.append(payment)
            for payment in due:
                self._attempt(payment, view, now)
        self.replication.replicate(now)

    # ------------------------------------------------------------------ model view (once per tick)

    def _view(self) -> dict:
        from moto.core import DEFAULT_ACCOUNT_ID

        snapshot = appmodel.snapshot(self.zone_name, self.record_name, self.registry)
        endpoints = appmodel.endpoints()
        peerings = appmodel.active_peerings()
        now = time.time()
        block = config.get("switchover_write_block_seconds")
        blocked: dict[int, str] = {}  # id(global cluster) -> why writes are refused now
        for global_cluster in ext_rds.global_clusters(DEFAULT_ACCOUNT_ID):
            op = ext_rds.operation(global_cluster)
            if op is None:
                continue
            opens = max(op.started, op.done_at - block)
            if now >= opens:
                blocked[id(global_cluster)] = (
                    f"{op.kind} of {global_cluster.global_cluster_identifier} in progress: writes refused")
                if not op.data_loss:
                    self.replication.catch_up(op, [m.db_cluster_arn for m in global_cluster.members])
        paths: dict[str, WritePath] = {}
        for region, app in snapshot.apps.items():
            cut = self.registry.write_path_cut(region)
            for target in app.targets:
                paths[target.instance_id] = self._write_path(region, target, endpoints, peerings, cut)
        return {"snapshot": snapshot, "paths": paths, "blocked": blocked, "phase": self._phase(snapshot, endpoints)}

    def _write_path(self, region: str, target, endpoints, peerings, cut: bool) -> WritePath:
        if not target.endpoint:
            return WritePath("no DB_WRITER_ENDPOINT in the instance's user data")
        endpoint = appmodel.lookup(endpoints, target.endpoint)
        if endpoint is None:
            return WritePath(f"DB_WRITER_ENDPOINT {target.endpoint} does not resolve")
        cluster = endpoint.cluster
        if cluster is None:
            return WritePath(f"{target.endpoint}: the global database has no writer")
        via = {"global": "global writer endpoint", "cluster": "cluster endpoint", "reader": "reader endpoint"}[
            endpoint.kind]
        cluster_region = _region_of(cluster)
        if cluster_region != region:
            if cut:
                return WritePath(f"write path cut: {region} cannot reach the writer in {cluster_region}")
            vpc = appmodel.cluster_vpc(cluster)
            reachable = ({vpc} if vpc else appmodel.vpcs_of_region(cluster_region))
            if not target.vpc_id or not any(frozenset((target.vpc_id, v)) in peerings for v in reachable):
                return WritePath(f"no active VPC peering from {target.vpc_id} to the database in {cluster_region}")
        return WritePath(None, cluster, endpoint.global_cluster, via)

    def _phase(self, snapshot: appmodel.Snapshot, endpoints) -> str:
        weights = snapshot.weights()
        total = sum(weights.values())
        share = round(100 * weights.get(self.target_region, 0) / total) if total else 0
        writer_region = "none"
        used = [appmodel.lookup(endpoints, t.endpoint) for a in snapshot.apps.values() for t in a.targets]
        global_clusters = [e.global_cluster for e in used if e is not None and e.global_cluster is not None]
        if not global_clusters:
            global_clusters = [e.global_cluster for e in endpoints.values() if e.kind == "global"]
        if global_clusters:
            writer = next((m for m in global_clusters[0].members if m.is_writer), None)
            writer_region = _region_of(writer) if writer is not None else "none"
        return f"{share} % to {self.target_region}, writer {writer_region}"

    # ------------------------------------------------------------------ one attempt

    def _count(self, region: str, load_balancer: str, name: str) -> None:
        counters = self.alb.setdefault((region, load_balancer), {})
        counters[name] = counters.get(name, 0) + 1
        totals = self.alb_totals.setdefault(load_balancer, {})
        totals[name] = totals.get(name, 0) + 1

    def _refuse(self, payment: Payment, reason: str, now: float) -> None:
        payment.reason = reason
        self.failure_reasons[reason] = self.failure_reasons.get(reason, 0) + 1
        if now - payment.created >= config.get("payment_deadline_seconds"):
            payment.status = "failed"
            payment.done_at = now
            return
        backoff = min(config.get("retry_max_seconds"),
                      config.get("retry_base_seconds") * (2 ** (payment.attempts - 1)))
        payment.next_try = now + backoff * (0.5 + self.rng.random() / 2)  # jittered, like AWS SDK retries
        heapq.heappush(self.retries, (payment.next_try, next(self._seq), payment.key))

    def _attempt(self, payment: Payment, view: dict, now: float) -> None:
        payment.attempts += 1
        snapshot: appmodel.Snapshot = view["snapshot"]
        apps = snapshot.routable()
        if not apps:
            self._refuse(payment, f"DNS: {snapshot.problem or 'no weighted record with a weight'}", now)
            return
        total = sum(a.weight for a in apps)
        pick = self.rng.random() * total
        app = apps[-1]
        for candidate in apps:
            pick -= candidate.weight
            if pick < 0:
                app = candidate
                break
        if app.load_balancer is None:
            self._refuse(payment, f"{app.region}: {app.problem}", now)
            return
        self._count(app.region, app.load_balancer, "RequestCount")
        if not app.targets:
            self._count(app.region, app.load_balancer, "HTTPCode_ELB_5XX_Count")
            self._refuse(payment, f"{app.region}: HTTP 503 from the ALB, no healthy target", now)
            return
        target = app.targets[next(self._rr) % len(app.targets)]
        error_rate = self.registry.app_error_rate(app.region)
        if error_rate and self.rng.random() < error_rate:
            self._count(app.region, app.load_balancer, "HTTPCode_Target_5XX_Count")
            self._refuse(payment, f"{app.region}: HTTP 500 from the application (app_errors fault)", now)
            return
        problem, writer, scope = self._write(app.region, view["paths"].get(target.instance_id), view, payment.key,
                                             now)
        if problem is not None:
            self._count(app.region, app.load_balancer, "HTTPCode_Target_5XX_Count")
            self._refuse(payment, f"{app.region}: HTTP 500, {problem}", now)
            return
        payment.status = "committed"
        payment.done_at = now
        payment.scope = scope

    def _write(self, region: str, path: WritePath | None, view: dict, key: str, now: float):
        """(problem, writer ARN, scope) of writing one payment through a target's write path."""
        if path is None or path.problem:
            return (path.problem if path else "the target has no write path"), None, None
        cluster, global_cluster = path.cluster, path.global_cluster
        if global_cluster is None:  # a standalone cluster: it is its own writer
            self.replication.commit(cluster.db_cluster_arn, [], key, now)
            return None, cluster.db_cluster_arn, ("cluster", cluster.db_cluster_arn)
        writer = next((m for m in global_cluster.members if m.is_writer), None)
        if writer is None:
            return f"{global_cluster.global_cluster_identifier} has no writer", None, None
        if path.via == "global writer endpoint":
            cluster = writer  # the global writer endpoint always reaches the current writer
        if cluster is not writer or path.via == "reader endpoint":
            if path.via == "reader endpoint" and cluster is writer:
                return "ERROR 1290: the reader endpoint is read-only (--read-only)", None, None
            if not ext_rds.forwarding_active(cluster):
                return (f"ERROR 1290: {cluster.db_cluster_identifier} is a read-only secondary "
                        "(--read-only) and global write forwarding is off"), None, None
            if self.registry.write_path_cut(region):
                return f"write path cut: forwarding from {region} refused", None, None
        if id(global_cluster) in view["blocked"]:
            return view["blocked"][id(global_cluster)], None, None
        secondaries = [(m.db_cluster_arn, m.db_cluster_identifier) for m in global_cluster.members
                       if m is not writer]
        # a key committed before is an idempotent replay: acknowledged again, no second row
        try:
            self.replication.commit(writer.db_cluster_arn, secondaries, key, now)
        except WriterDemoted:
            return (f"ERROR 1290: {writer.db_cluster_identifier} stopped being the writer during the "
                    "commit (--read-only)"), None, None
        return None, writer.db_cluster_arn, ("global", global_cluster.global_cluster_identifier)

    # ------------------------------------------------------------------ ALB metrics

    def publish_alb_metrics(self) -> int:
        """Write the counts since the last publication (non-zero values only, as ELB reports them)."""
        from moto.cloudwatch.models import cloudwatch_backends
        from moto.core import DEFAULT_ACCOUNT_ID

        with self._lock:
            counters, self.alb = self.alb, {}
        timestamp = datetime.now(UTC).replace(tzinfo=None)
        written = 0
        for (region, load_balancer), counts in counters.items():
            dimensions = [{"Name": "LoadBalancer", "Value": load_balancer}]
            data = [{"MetricName": name, "Value": float(counts[name]), "Unit": published_metrics.ALB_UNIT,
                     "Timestamp": timestamp, "Dimensions": dimensions}
                    for name in published_metrics.ALB_TRAFFIC_METRICS if counts.get(name)]
            if data:
                cloudwatch_backends[DEFAULT_ACCOUNT_ID][region].put_metric_data(published_metrics.ALB_NAMESPACE, data)
                written += len(data)
        return written

    # ------------------------------------------------------------------ reconciliation

    def _final_ledgers(self) -> dict[tuple[str, str], dict[str, list]]:
        """The ledger each scope's payments must be in: the global database's current primary."""
        from moto.core import DEFAULT_ACCOUNT_ID

        writers = {}
        for global_cluster in ext_rds.global_clusters(DEFAULT_ACCOUNT_ID):
            writer = next((m for m in global_cluster.members if m.is_writer), None)
            writers[global_cluster.global_cluster_identifier] = writer.db_cluster_arn if writer else None
        ledgers: dict[tuple[str, str], dict[str, list]] = {}
        with self._lock:
            scopes = {p.scope for p in self.payments.values() if p.scope is not None}
        for scope in scopes:
            arn = writers.get(scope[1]) if scope[0] == "global" else scope[1]
            ledgers[scope] = self.replication.ledger_keys(arn) if arn else {}
        return ledgers

    def report(self) -> dict:
        now = time.time()
        # The ledgers and the payments are read under the one lock the ticks commit under: a payment
        # acknowledged between the two reads would otherwise count as lost (a transient false alarm).
        with self._lock:
            ledgers = self._final_ledgers()
            payments = list(self.payments.values())
            totals = _Tally()
            phases: dict[str, _Tally] = {phase: _Tally() for phase in self.phases_seen}
            missing: list[str] = []
            for payment in payments:
                lost = False
                duplicate = False
                if payment.status == "committed":
                    entry = ledgers.get(payment.scope, {}).get(payment.key)
                    lost = entry is None
                    duplicate = entry is not None and entry[1] > 1
                    if lost:
                        missing.append(payment.key)
                for tally in (totals, phases.setdefault(payment.phase, _Tally())):
                    tally.add(payment, lost, duplicate, now)
            result = {
                "running": self.running(),
                "rate": self.rate,
                "zone_name": self.zone_name or self.resolved[0],
                "record_name": self.record_name or self.resolved[1],
                "target_region": self.target_region,
                "started_at": _iso(self.started_at),
                "stopped_at": _iso(self.stopped_at),
                "duration_seconds": round(((self.stopped_at or now) - self.started_at), 1) if self.started_at else 0,
                "totals": totals.as_dict(),
                "phases": [{"phase": name, **tally.as_dict()} for name, tally in phases.items() if tally.attempted],
                "missing": sorted(missing)[:MISSING_LIMIT],
                "missing_truncated": len(missing) > MISSING_LIMIT,
                "failure_reasons": dict(sorted(self.failure_reasons.items(), key=lambda kv: -kv[1])[:20]),
                "load_balancers": {lb: dict(c) for lb, c in self.alb_totals.items()},
                "problem": self.last_problem,
            }
        result["ok"] = result["totals"]["lost"] == 0 and result["totals"]["duplicates"] == 0
        return result


class _Tally:
    __slots__ = ("attempted", "committed", "retried_then_committed", "failed", "duplicates", "lost", "in_flight",
                 "max_unavailable_seconds")

    def __init__(self) -> None:
        self.attempted = self.committed = self.retried_then_committed = 0
        self.failed = self.duplicates = self.lost = self.in_flight = 0
        self.max_unavailable_seconds = 0.0

    def add(self, payment: Payment, lost: bool, duplicate: bool, now: float) -> None:
        self.attempted += 1
        if payment.status == "committed":
            self.committed += 1
            if payment.attempts > 1:
                self.retried_then_committed += 1
        elif payment.status == "failed":
            self.failed += 1
        else:
            self.in_flight += 1
        self.lost += lost
        self.duplicates += duplicate
        if payment.attempts > 1 or payment.status != "committed":
            waited = (payment.done_at or now) - payment.created
            self.max_unavailable_seconds = max(self.max_unavailable_seconds, waited)

    def as_dict(self) -> dict:
        values = {name: getattr(self, name) for name in self.__slots__}
        values["max_unavailable_seconds"] = round(self.max_unavailable_seconds, 2)
        return values


def _iso(value: float | None) -> str | None:
    return datetime.fromtimestamp(value, UTC).isoformat(timespec="seconds") if value else None


def format_report(report: dict) -> str:
    """The reconciliation as a table a person reads at the end of a rehearsal."""
    columns = [("attempted", "attempted"), ("committed", "committed"), ("retried_then_committed", "retried+ok"),
               ("failed", "failed"), ("in_flight", "in flight"), ("duplicates", "dupl."), ("lost", "LOST"),
               ("max_unavailable_seconds", "max unavail. s")]
    rows = [(p["phase"], p) for p in report["phases"]] + [("TOTAL", report["totals"])]
    width = max([len("phase")] + [len(name) for name, _ in rows])
    widths = [max(len(title), 9) for _, title in columns]
    line = "-" * (width + sum(w + 2 for w in widths))
    out = [f"Payment reconciliation ({report.get('rate', 0):g}/s, {report.get('duration_seconds', 0)} s"
           f"{', running' if report.get('running') else ''})",
           line, "phase".ljust(width) + "".join(f"  {title:>{w}}" for (_, title), w in zip(columns, widths,
                                                                                          strict=True)), line]
    for index, (name, values) in enumerate(rows):
        if index == len(rows) - 1:
            out.append(line)
        out.append(name.ljust(width) + "".join(f"  {values[key]:>{w}}" for (key, _), w in zip(columns, widths,
                                                                                              strict=True)))
    out.append(line)
    totals = report["totals"]
    if not report.get("ok"):
        verdict = f"FAILED: {totals['lost']} lost, {totals['duplicates']} duplicated"
    elif totals["failed"] or totals["in_flight"]:
        verdict = (f"OK: 0 lost, 0 duplicated - but {totals['failed']} failed for good and "
                   f"{totals['in_flight']} still in flight (never committed, never acknowledged)")
    else:
        verdict = f"OK: all {totals['committed']} payments committed, 0 lost, 0 duplicated"
    out.append(verdict)
    if report.get("missing"):
        more = " (first ones)" if report.get("missing_truncated") else ""
        out.append(f"missing from the final primary's ledger{more}: " + ", ".join(report["missing"][:20]))
    if report.get("failure_reasons"):
        out.append("refusals (attempts, by reason):")
        out.extend(f"  {count:>8}  {reason}" for reason, count in list(report["failure_reasons"].items())[:8])
    return "\n".join(out)


WORKLOAD = Workload()
