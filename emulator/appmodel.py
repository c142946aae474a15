"""The simulated payment application, found from AWS state the way a client reaches it (CONTRACT §2).

For a region R: the weighted record set of the migration record whose SetIdentifier is R -> its
alias target DNS name -> the ALB in R with that DNSName -> the target groups its listeners forward
to -> their healthy targets (``unhealthy_targets`` faults included) -> each instance's user data
(for an instance of an Auto Scaling group: the user data of the group's launch template version)
-> the ``/etc/payment-processor.env`` heredoc block -> ``DB_WRITER_ENDPOINT``.

Everything is read from moto's in-process backends, once per workload tick (``snapshot``), never
per payment. Nothing here writes AWS state.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field
from typing import Any

from . import ext_rds, published_metrics
from .faults import REGISTRY, FaultRegistry

ENV_FILE = "/etc/payment-processor.env"
_HEREDOC = re.compile(r"<<-?\s*(['\"]?)(?P<tag>[A-Za-z_][A-Za-z0-9_]*)\1")


def _norm(name: str | None) -> str:
    """A DNS name as Route 53 and ELB compare it: lower case, no trailing dot, no dualstack. prefix."""
    name = (name or "").strip().lower().rstrip(".")
    return name[len("dualstack."):] if name.startswith("dualstack.") else name


def _created(backends) -> list[tuple[str, Any]]:
    """(region, backend) of the regions moto has created (iterating never creates one)."""
    return list(dict.items(backends))


# --------------------------------------------------------------------------- user data


def decode_user_data(raw: Any) -> str:
    """EC2 user data as text: moto keeps it base64 encoded (a Base64EncodedString or a str)."""
    if raw is None:
        return ""
    if isinstance(raw, list | tuple):
        raw = raw[0] if raw else ""
    if hasattr(raw, "as_bytes"):
        raw = raw.as_bytes()
    if isinstance(raw, str):
        raw = raw.encode()
    try:
        return base64.b64decode(raw, validate=True).decode("utf-8", "replace")
    except (binascii.Error, ValueError):
        return raw.decode("utf-8", "replace")


def parse_env_block(user_data: str) -> dict[str, str]:
    """KEY=VALUE lines of the heredoc that writes /etc/payment-processor.env (empty if none)."""
    lines = user_data.splitlines()
    for index, line in enumerate(lines):
        match = _HEREDOC.search(line)
        if not match or ENV_FILE not in line:
            continue
        env: dict[str, str] = {}
        for body_line in lines[index + 1:]:
            if body_line.strip() == match.group("tag"):
                return env
            key, sep, value = body_line.strip().partition("=")
            if sep and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key):
                env[key] = value.strip().strip("'\"")
        return env  # an unterminated heredoc: what was read so far
    return {}


# --------------------------------------------------------------------------- data classes


@dataclass
class Target:
    """One healthy target of the region's ALB, with the write path its user data configures."""

    instance_id: str
    vpc_id: str | None
    endpoint: str | None  # DB_WRITER_ENDPOINT, or None


@dataclass
class App:
    region: str
    weight: int
    evaluate_target_health: bool
    load_balancer: str | None = None  # LoadBalancer dimension app/<name>/<id>; None: alias target unknown
    targets: list[Target] = field(default_factory=list)
    problem: str | None = None  # why the region cannot even reach an ALB


@dataclass
class Snapshot:
    """The application model at one instant: weighted regions and their apps."""

    zone_name: str | None
    record_name: str | None
    apps: dict[str, App]
    problem: str | None = None

    def routable(self) -> list[App]:
        """The records Route 53 answers with, by weighted routing (Route 53 Developer Guide,
        "Weighted routing" and "How Amazon Route 53 chooses records when health checking is
        configured"): an alias record with EvaluateTargetHealth whose ALB has no healthy target is
        left out, unless every record is unhealthy; all weights 0 means equal shares."""
        apps = list(self.apps.values())
        healthy = [a for a in apps if not (a.evaluate_target_health and a.load_balancer and not a.targets)]
        chosen = healthy or apps
        if chosen and all(a.weight == 0 for a in chosen):
            return [App(**{**a.__dict__, "weight": 1}) for a in chosen]
        return [a for a in chosen if a.weight > 0]

    def weights(self) -> dict[str, int]:
        return {region: app.weight for region, app in self.apps.items()}


# --------------------------------------------------------------------------- record sets


def find_records(zone_name: str | None, record_name: str | None) -> tuple[str | None, str | None, list, str | None]:
    """(zone name, record name, weighted alias record sets, problem) of the migration record.

    Without names: the only record name of any zone that has weighted alias record sets.
    """
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.route53.models import route53_backends

    backend = route53_backends[DEFAULT_ACCOUNT_ID]["aws"]
    groups: dict[tuple[str, str], list] = {}
    for zone in list(backend.zones.values()):
        if zone_name and _norm(zone.name) != _norm(zone_name):
            continue
        for rrset in list(zone.rrsets):
            if rrset.weight is None or not rrset.set_identifier or not rrset.alias_target:
                continue
            if rrset.type not in ("A", "AAAA"):
                continue
            if record_name and _norm(rrset.name) != _norm(record_name):
                continue
            groups.setdefault((_norm(zone.name), _norm(rrset.name)), []).append(rrset)
    if not groups:
        what = f"{record_name or 'any record'} in {zone_name or 'any zone'}"
        return zone_name, record_name, [], f"no weighted alias record set for {what}"
    if len(groups) > 1:
        names = ", ".join(sorted(name for _, name in groups))
        return zone_name, record_name, [], f"several weighted records ({names}): give zone_name and record_name"
    (zone, name), rrsets = next(iter(groups.items()))
    return zone, name, rrsets, None


# --------------------------------------------------------------------------- load balancers


def _find_alb(region: str, dns_name: str):
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.elbv2.models import elbv2_backends

    backends = elbv2_backends[DEFAULT_ACCOUNT_ID]
    if region not in dict.keys(backends):
        return None, backends
    backend = backends[region]
    for lb in list(backend.load_balancers.values()):
        if _norm(lb.dns_name) == _norm(dns_name):
            return lb, backend
    return None, backend


def _forward_target_groups(lb, backend) -> list:
    arns: list[str] = []
    for listener in list(lb.listeners.values()):
        for rule in list(listener.rules.values()):
            for action in rule.actions:
                data = getattr(action, "data", {}) or {}
                if data.get("Type") != "forward":
                    continue
                if data.get("TargetGroupArn"):
                    arns.append(data["TargetGroupArn"])
                for group in (data.get("ForwardConfig") or {}).get("TargetGroups", []) or []:
                    if group.get("TargetGroupArn"):
                        arns.append(group["TargetGroupArn"])
    seen = []
    for arn in arns:
        if arn not in seen and arn in backend.target_groups:
            seen.append(arn)
    return [backend.target_groups[arn] for arn in seen]


def _instance_user_data(instance) -> str:
    group = getattr(instance, "autoscaling_group", None)
    if group is not None and getattr(group, "ec2_launch_template", None) is not None:
        try:
            return decode_user_data(group.user_data)  # the group's launch template version
        except Exception:  # noqa: BLE001  (a deleted template version: fall back to the instance's own)
            pass
    return decode_user_data(getattr(instance, "user_data", None))


def _healthy_targets(target_group, region: str, registry: FaultRegistry) -> list[Target]:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ec2.models import ec2_backends

    if registry.unhealthy(target_group.arn) is not None:
        return []
    ec2 = ec2_backends[DEFAULT_ACCOUNT_ID][region]
    targets = []
    for target_id, target in list(target_group.targets.items()):
        if target_group.health_for(target, ec2).status != "healthy":
            continue
        instance = ec2.get_instance_by_id(target_id) if target_id.startswith("i-") else None
        if instance is None:
            continue
        env = parse_env_block(_instance_user_data(instance))
        targets.append(Target(instance_id=target_id, vpc_id=getattr(instance, "vpc_id", None),
                              endpoint=env.get("DB_WRITER_ENDPOINT") or None))
    return targets


def snapshot(zone_name: str | None = None, record_name: str | None = None,
             registry: FaultRegistry = REGISTRY) -> Snapshot:
    zone, name, rrsets, problem = find_records(zone_name, record_name)
    apps: dict[str, App] = {}
    for rrset in rrsets:
        region = rrset.set_identifier
        alias = rrset.alias_target or {}
        evaluate = str(alias.get("EvaluateTargetHealth", "false")).lower() == "true"
        try:
            weight = int(rrset.weight)
        except (TypeError, ValueError):
            weight = 0
        if region in apps:  # A and AAAA of the same set identifier: one application
            continue
        app = App(region=region, weight=weight, evaluate_target_health=evaluate)
        apps[region] = app
        lb, backend = _find_alb(region, alias.get("DNSName", ""))
        if lb is None:
            app.problem = f"no load balancer in {region} with DNS name {alias.get('DNSName')}"
            continue
        app.load_balancer = published_metrics.load_balancer_dimension(lb.arn)
        for target_group in _forward_target_groups(lb, backend):
            app.targets.extend(_healthy_targets(target_group, region, registry))
    return Snapshot(zone_name=zone, record_name=name, apps=apps, problem=problem)


# --------------------------------------------------------------------------- database endpoints


@dataclass
class Endpoint:
    kind: str  # "global" | "cluster" | "reader"
    cluster: Any = None  # the DBCluster (for "global": the writer when the snapshot was taken)
    global_cluster: Any = None
    region: str | None = None


def endpoints() -> dict[str, Endpoint]:
    """Every database endpoint name -> what it reaches (global writer endpoints and cluster endpoints)."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.rds.models import rds_backends

    found: dict[str, Endpoint] = {}
    membership: dict[int, Any] = {}
    for global_cluster in ext_rds.global_clusters(DEFAULT_ACCOUNT_ID):
        for member in list(global_cluster.members):
            membership[id(member)] = global_cluster
        writer = next((m for m in global_cluster.members if m.is_writer), None)
        found[_norm(global_cluster.endpoint)] = Endpoint(
            "global", writer, global_cluster, writer.region if writer is not None else None)
    for region, backend in _created(rds_backends[DEFAULT_ACCOUNT_ID]):
        for cluster in list(backend.clusters.values()):
            global_cluster = membership.get(id(cluster))
            found.setdefault(_norm(cluster.endpoint), Endpoint("cluster", cluster, global_cluster, region))
            found.setdefault(_norm(cluster.reader_endpoint), Endpoint("reader", cluster, global_cluster, region))
    return found


def lookup(endpoint_map: dict[str, Endpoint], name: str | None) -> Endpoint | None:
    return endpoint_map.get(_norm(name)) if name else None


def cluster_vpc(cluster) -> str | None:
    """The VPC of a DB cluster: its DB subnet group's VPC (None for the default group)."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.rds.models import rds_backends

    name = getattr(cluster, "db_subnet_group_name", None)
    backend = rds_backends[DEFAULT_ACCOUNT_ID][cluster.region]
    group = backend.subnet_groups.get(name) if name else None
    return getattr(group, "vpc_id", None)


def active_peerings() -> set[frozenset[str]]:
    """{vpc_a, vpc_b} of every active VPC peering connection, in every region."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ec2.models import ec2_backends

    pairs: set[frozenset[str]] = set()
    for _, backend in _created(ec2_backends[DEFAULT_ACCOUNT_ID]):
        for pcx in list(backend.vpc_pcxs.values()):
            if pcx._status.code == "active":
                pairs.add(frozenset((pcx.vpc.id, pcx.peer_vpc.id)))
    return pairs


def vpcs_of_region(region: str) -> set[str]:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ec2.models import ec2_backends

    backends = ec2_backends[DEFAULT_ACCOUNT_ID]
    if region not in dict.keys(backends):
        return set()
    return set(backends[region].vpcs)
