"""RDS: Aurora global database operations that moto lacks or gets wrong.

Added actions (methods on ``moto.rds.responses.RDSResponse``):

- ``SwitchoverGlobalCluster`` and ``FailoverGlobalCluster``: the global cluster reports
  ``Status`` ``switching-over`` (``failing-over`` for a failover with ``AllowDataLoss``) and a
  ``FailoverState`` (``pending`` for the first half of the operation, then ``switching-over`` /
  ``failing-over``) for ``EMULATOR_SWITCHOVER_SECONDS`` (default 2; ``POST /_emulator/config``
  ``{"switchover_seconds": N}`` until the next ``/moto-api/reset``) seconds; after that the writer
  role has moved to the target, ``Status`` is ``available`` and ``FailoverState`` is gone. The move
  is applied lazily, on the first read after the deadline, so it is deterministic.
- ``ModifyGlobalCluster`` (``DeletionProtection``, ``NewGlobalClusterIdentifier``).

Replaced (moto's version is wrong for a cross-region global database):

- ``RemoveFromGlobalCluster`` works from any region; the removed cluster becomes standalone.
- ``DescribeGlobalClusters`` honours ``GlobalClusterIdentifier`` (``GlobalClusterNotFoundFault``
  for an unknown one) and the ``db-cluster-id`` filter.
- ``CreateGlobalCluster`` refuses duplicates, accepts a source cluster of any region, makes the
  source the writer, inherits its encryption and records the identifier (not the ARN) on it.
- ``DeleteGlobalCluster``: ``GlobalClusterNotFoundFault``, deletion protection.
- ``CreateDBCluster`` with ``GlobalClusterIdentifier`` from any region: unknown global cluster ->
  ``GlobalClusterNotFoundFault``; the new cluster joins as a reader (writer if it is the first).
  An unencrypted cluster reports no ``KmsKeyId``; an encrypted one without a key reports an ARN.
- ``DeleteDBCluster`` of a global cluster member -> ``InvalidDBClusterStateFault`` (like AWS: remove
  it from the global cluster first).

Errors (all raised as the AWS error codes of botocore's RDS model):

- unknown global cluster: ``GlobalClusterNotFoundFault`` (404)
- target cluster that does not exist (ARN, or identifier in the caller's region):
  ``DBClusterNotFoundFault`` (404)
- target cluster that exists but is not a member of the global cluster: ``InvalidParameterValue``
- target cluster that already is the writer: ``InvalidParameterValue``
- a switchover or failover already in progress: ``InvalidGlobalClusterStateFault``
- switchover between members whose engine versions differ: ``InvalidParameterCombination``
- ``AllowDataLoss`` together with ``Switchover``: ``InvalidParameterCombination``
- ``EnableGlobalWriteForwarding`` on a cluster outside a global database (CreateDBCluster without
  ``GlobalClusterIdentifier``, ModifyDBCluster of a standalone cluster): ``InvalidParameterCombination``
"""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

from . import config

GLOBAL_REGION = "us-east-1"
_LOCK = threading.RLock()


@dataclass
class _Operation:
    """A switchover or failover in progress on a global cluster."""

    kind: str  # "switching-over" | "failing-over"
    source: Any  # DBCluster being demoted (None if the global cluster had no writer)
    target: Any  # DBCluster being promoted
    started: float
    done_at: float
    data_loss: bool

    def failover_state(self) -> dict[str, Any]:
        halfway = self.started + (self.done_at - self.started) / 2
        state = {
            "Status": "pending" if time.time() < halfway else self.kind,
            "ToDbClusterArn": self.target.db_cluster_arn,
            "IsDataLossAllowed": self.data_loss,
        }
        if self.source is not None:
            state["FromDbClusterArn"] = self.source.db_cluster_arn
        return state


def _switchover_seconds() -> float:
    from .latency import switchover_seconds

    return switchover_seconds(config.get("switchover_seconds"))


# Observers of switchovers/failovers (the data plane): ``started(global_cluster, op)`` when an
# operation begins, ``roles_changing(global_cluster, op)`` just before the writer role moves.
LISTENERS: list[Any] = []


def operation(global_cluster) -> _Operation | None:
    """The switchover/failover in progress on the global cluster (after settling), if any."""
    settle(global_cluster)
    return global_cluster.__dict__.get("_emulator_op")


def _notify(event: str, global_cluster, op: _Operation) -> None:
    for listener in list(LISTENERS):
        getattr(listener, event)(global_cluster, op)


# --------------------------------------------------------------------------- errors


def _errors():
    from moto.rds.exceptions import RDSClientError

    class GlobalClusterNotFoundFault(RDSClientError):
        def __init__(self, identifier: str) -> None:
            super().__init__("GlobalClusterNotFoundFault", f"GlobalCluster {identifier} not found.")

    class GlobalClusterAlreadyExistsFault(RDSClientError):
        def __init__(self, identifier: str) -> None:
            super().__init__("GlobalClusterAlreadyExistsFault",
                             f"Global cluster {identifier} already exists.")

    return GlobalClusterNotFoundFault, GlobalClusterAlreadyExistsFault


def _state_error(message: str):
    from moto.rds.exceptions import RDSClientError

    return RDSClientError("InvalidGlobalClusterStateFault", message)


# --------------------------------------------------------------------------- model helpers


def settle(global_cluster, now: float | None = None) -> None:
    """Finish the global cluster's switchover/failover if its time is up (lazy completion)."""
    with _LOCK:
        op: _Operation | None = global_cluster.__dict__.get("_emulator_op")
        if op is None:
            return
        now = time.time() if now is None else now
        if now < op.done_at:
            return
        if op.target in global_cluster.members:
            _notify("roles_changing", global_cluster, op)
            for member in global_cluster.members:
                member.is_writer = member is op.target
        global_cluster.__dict__["_emulator_op"] = None


def global_clusters(account_id: str) -> list:
    """Every global cluster of the account, each settled."""
    from moto.rds.models import rds_backends

    clusters = list(rds_backends[account_id][GLOBAL_REGION].global_clusters.values())
    for cluster in clusters:
        settle(cluster)
    return clusters


def _global_backend(account_id: str):
    from moto.rds.models import rds_backends

    return rds_backends[account_id][GLOBAL_REGION]


def _global_key(identifier: str) -> str:
    """A global cluster identifier given as an identifier or as its ARN -> the identifier."""
    if identifier.startswith("arn:") and ":global-cluster:" in identifier:
        identifier = identifier.split(":global-cluster:", 1)[1]
    return identifier.lower()


def _find_global(account_id: str, identifier: str | None):
    not_found, _ = _errors()
    if not identifier:
        from moto.rds.exceptions import InvalidParameterValue

        raise InvalidParameterValue("The parameter GlobalClusterIdentifier must be provided.")
    backend = _global_backend(account_id)
    wanted = _global_key(identifier)
    for key, cluster in backend.global_clusters.items():
        if cluster.global_cluster_identifier == wanted:
            settle(cluster)
            return key, cluster
    raise not_found(identifier)


def _find_cluster_anywhere(response, identifier: str):
    """A DB cluster by ARN (any region) or by identifier (caller's region); DBClusterNotFoundFault."""
    from moto.rds.exceptions import DBClusterNotFoundError
    from moto.rds.models import rds_backends

    if identifier.startswith("arn:"):
        parts = identifier.split(":")
        if len(parts) < 7 or parts[5] != "cluster":
            raise DBClusterNotFoundError(identifier)
        region, account = parts[3], parts[4]
        try:
            backend = rds_backends[account][region]
        except KeyError:
            raise DBClusterNotFoundError(identifier) from None
        return backend.describe_db_clusters(db_cluster_identifier=parts[6])[0]
    return response.backend.describe_db_clusters(db_cluster_identifier=identifier)[0]


def _find_member(response, global_cluster, identifier: str | None, param: str):
    """The member of the global cluster that ``identifier`` names (ARN, or id in the caller's region)."""
    from moto.rds.exceptions import InvalidParameterValue

    if not identifier:
        raise InvalidParameterValue(f"The parameter {param} must be provided.")
    cluster = _find_cluster_anywhere(response, identifier)
    if cluster not in global_cluster.members:
        raise InvalidParameterValue(
            f"The DB cluster {cluster.db_cluster_arn} is not a member of global cluster "
            f"{global_cluster.global_cluster_identifier}."
        )
    return cluster


def _writer(global_cluster):
    return next((m for m in global_cluster.members if m.is_writer), None)


def _start(global_cluster, target, data_loss: bool, switchover: bool) -> None:
    from moto.rds.exceptions import InvalidParameterCombination, InvalidParameterValue

    with _LOCK:
        settle(global_cluster)
        if global_cluster.__dict__.get("_emulator_op") is not None:
            raise _state_error(
                f"Global cluster {global_cluster.global_cluster_identifier} is in "
                f"{global_cluster.status} state; another switchover or failover is in progress."
            )
        source = _writer(global_cluster)
        if target is source:
            raise InvalidParameterValue(
                f"The DB cluster {target.db_cluster_arn} is already the primary cluster of global "
                f"cluster {global_cluster.global_cluster_identifier}."
            )
        if switchover and source is None:
            raise _state_error(
                f"Global cluster {global_cluster.global_cluster_identifier} has no primary cluster "
                "to switch over from."
            )
        if switchover and source.engine_version != target.engine_version:
            raise InvalidParameterCombination(
                "The engine versions of the primary cluster "
                f"({source.db_cluster_identifier}: {source.engine_version}) and the target cluster "
                f"({target.db_cluster_identifier}: {target.engine_version}) must be the same for a "
                "global switchover."
            )
        now = time.time()
        op = _Operation(
            kind="switching-over" if switchover else "failing-over",
            source=source, target=target, started=now, done_at=now + _switchover_seconds(),
            data_loss=data_loss,
        )
        global_cluster.__dict__["_emulator_op"] = op
        _notify("started", global_cluster, op)


def _default_kms_key_arn(cluster) -> str:
    key_id = uuid.uuid5(uuid.NAMESPACE_URL, f"aws/rds/{cluster.account_id}/{cluster.region}")
    return f"arn:{cluster.partition}:kms:{cluster.region}:{cluster.account_id}:key/{key_id}"


def _fix_kms(cluster) -> None:
    if cluster.kms_key_id == "default_kms_key_id":
        cluster.kms_key_id = _default_kms_key_arn(cluster) if cluster.storage_encrypted else None


# --------------------------------------------------------------------------- model patches


def _patch_global_cluster_model() -> None:
    from moto.rds.models import GlobalCluster

    if getattr(GlobalCluster, "_emulator_patched", False):
        return
    members_prop = GlobalCluster.global_cluster_members

    def get_status(self) -> str:
        settle(self)
        op = self.__dict__.get("_emulator_op")
        return op.kind if op is not None else self.__dict__.get("_emulator_status", "available")

    def set_status(self, value: str) -> None:
        self.__dict__["_emulator_status"] = value

    def failover_state(self) -> dict[str, Any] | None:
        settle(self)
        op = self.__dict__.get("_emulator_op")
        return op.failover_state() if op is not None else None

    def global_cluster_members(self) -> list[dict[str, Any]]:
        settle(self)
        members = members_prop.fget(self)
        by_arn = {m.db_cluster_arn: m for m in self.members}
        for member in members:
            if not member["IsWriter"]:
                member["SynchronizationStatus"] = "connected"
                member["GlobalWriteForwardingStatus"] = forwarding_status(by_arn[member["DBClusterArn"]])
        return members

    GlobalCluster.status = property(get_status, set_status)
    GlobalCluster.failover_state = property(failover_state)
    GlobalCluster.global_cluster_members = property(global_cluster_members)
    GlobalCluster._emulator_patched = True


def forwarding_requested(cluster) -> bool:
    """EnableGlobalWriteForwarding as last set by CreateDBCluster / ModifyDBCluster."""
    return bool(cluster.__dict__.get("_global_write_forwarding_requested"))


def forwarding_status(cluster) -> str | None:
    """GlobalWriteForwardingStatus: only a secondary member of a global cluster has one.

    botocore's RDS model (DBCluster / GlobalClusterMember ``GlobalWriteForwardingStatus``,
    enum enabled|disabled|enabling|disabling|unknown) documents it as "the status of write
    forwarding for a secondary cluster"; the primary's request "does nothing until" it is demoted
    (CreateDBCluster ``EnableGlobalWriteForwarding``). The change is applied at once here.
    """
    if not getattr(cluster, "global_cluster_identifier", None) or cluster.is_writer:
        return None
    return "enabled" if forwarding_requested(cluster) else "disabled"


def forwarding_active(cluster) -> bool:
    """Writes sent to this cluster are forwarded to the primary (a secondary with forwarding on)."""
    return forwarding_status(cluster) == "enabled"


def _patch_db_cluster_model() -> None:
    from moto.rds.models import DBCluster

    if getattr(DBCluster, "_emulator_patched", False):
        return

    def requested(self) -> bool | None:
        if not str(self.engine).startswith("aurora"):
            return None
        return forwarding_requested(self)

    def status(self) -> str | None:
        if getattr(self, "global_cluster_identifier", None):
            global_clusters(self.account_id)  # a pending switchover may move the writer role: settle it
        return forwarding_status(self)

    DBCluster.global_write_forwarding_requested = property(requested)
    DBCluster.global_write_forwarding_status = property(status)
    DBCluster._emulator_patched = True


# --------------------------------------------------------------------------- actions


def switchover_global_cluster(self):
    from moto.core.responses import ActionResult

    _, global_cluster = _find_global(self.current_account, self._get_param("GlobalClusterIdentifier"))
    target = _find_member(self, global_cluster, self._get_param("TargetDbClusterIdentifier"),
                          "TargetDbClusterIdentifier")
    _start(global_cluster, target, data_loss=False, switchover=True)
    return ActionResult({"GlobalCluster": global_cluster})


def failover_global_cluster(self):
    from moto.core.responses import ActionResult
    from moto.rds.exceptions import InvalidParameterCombination

    allow_data_loss = self._get_bool_param("AllowDataLoss")
    switchover = self._get_bool_param("Switchover")
    if allow_data_loss is not None and switchover is not None:
        raise InvalidParameterCombination("AllowDataLoss can't be specified together with Switchover.")
    _, global_cluster = _find_global(self.current_account, self._get_param("GlobalClusterIdentifier"))
    target = _find_member(self, global_cluster, self._get_param("TargetDbClusterIdentifier"),
                          "TargetDbClusterIdentifier")
    data_loss = bool(allow_data_loss)
    _start(global_cluster, target, data_loss=data_loss, switchover=not data_loss)
    return ActionResult({"GlobalCluster": global_cluster})


def remove_from_global_cluster(self):
    from moto.core.responses import ActionResult

    _, global_cluster = _find_global(self.current_account, self._get_param("GlobalClusterIdentifier"))
    cluster = _find_member(self, global_cluster, self._get_param("DbClusterIdentifier"), "DbClusterIdentifier")
    with _LOCK:
        if global_cluster.__dict__.get("_emulator_op") is not None:
            raise _state_error(
                f"Global cluster {global_cluster.global_cluster_identifier} is in "
                f"{global_cluster.status} state; wait for the switchover or failover to finish."
            )
        global_cluster.members.remove(cluster)
        cluster.global_cluster_identifier = None
        cluster.is_writer = False
    return ActionResult({"GlobalCluster": global_cluster})


def describe_global_clusters(self):
    from moto.core.responses import ActionResult

    identifier = self._get_param("GlobalClusterIdentifier")
    if identifier:
        clusters = [_find_global(self.current_account, identifier)[1]]
    else:
        clusters = global_clusters(self.current_account)
    for flt in self._get_param("Filters") or []:
        if flt.get("Name") == "db-cluster-id":
            wanted = {v.lower() for v in flt.get("Values") or []}
            clusters = [
                c for c in clusters
                if any(m.db_cluster_arn.lower() in wanted or m.db_cluster_identifier in wanted for m in c.members)
            ]
    return ActionResult({"GlobalClusters": clusters})


def create_global_cluster(self):
    from moto.core.responses import ActionResult
    from moto.rds.exceptions import InvalidDBClusterStateFault, InvalidParameterCombination, InvalidParameterValue
    from moto.rds.models import GlobalCluster

    _, already_exists = _errors()
    identifier = self._get_param("GlobalClusterIdentifier")
    if not identifier:
        raise InvalidParameterValue("The parameter GlobalClusterIdentifier must be provided.")
    backend = _global_backend(self.current_account)
    with _LOCK:
        if any(c.global_cluster_identifier == identifier.lower() for c in backend.global_clusters.values()):
            raise already_exists(identifier)
        engine = self._get_param("Engine")
        engine_version = self._get_param("EngineVersion")
        storage_encrypted = self._get_bool_param("StorageEncrypted")
        source = None
        source_id = self._get_param("SourceDBClusterIdentifier")
        if source_id:
            source = _find_cluster_anywhere(self, source_id)
            if engine is not None:
                raise InvalidParameterCombination(
                    "When creating global cluster from existing db cluster, value for engineName should not "
                    "be specified since it will be inherited from source cluster"
                )
            if source.global_cluster_identifier:
                raise InvalidDBClusterStateFault(
                    f"Cluster {source.db_cluster_arn} is already a member of global cluster "
                    f"{source.global_cluster_identifier}."
                )
            engine, engine_version = source.engine, source.engine_version
            storage_encrypted = bool(source.storage_encrypted)
        elif engine is None:
            raise InvalidParameterValue(
                "When creating standalone global cluster, value for engineName should be specified"
            )
        global_cluster = GlobalCluster(
            backend=backend, global_cluster_identifier=identifier, engine=engine,
            engine_version=engine_version, storage_encrypted=storage_encrypted,
            deletion_protection=self._get_bool_param("DeletionProtection"),
        )
        if self._get_param("DatabaseName"):
            global_cluster.database_name = self._get_param("DatabaseName")
        if self._get_param("Tags"):
            global_cluster.tags = self._get_param("Tags")
        backend.global_clusters[global_cluster.global_cluster_identifier] = global_cluster
        if source is not None:
            source.global_cluster_identifier = global_cluster.global_cluster_identifier
            source.is_writer = True
            global_cluster.members.append(source)
    return ActionResult({"GlobalCluster": global_cluster})


def delete_global_cluster(self):
    from moto.core.responses import ActionResult
    from moto.rds.exceptions import InvalidParameterCombination

    key, global_cluster = _find_global(self.current_account, self._get_param("GlobalClusterIdentifier"))
    with _LOCK:
        if global_cluster.members:
            raise _state_error(f"Global Cluster {global_cluster.global_cluster_arn} is not empty")
        if global_cluster.deletion_protection:
            raise InvalidParameterCombination(
                "Cannot delete protected Global Cluster, please disable deletion protection and try again."
            )
        _global_backend(self.current_account).global_clusters.pop(key, None)
    return ActionResult({"GlobalCluster": global_cluster})


def modify_global_cluster(self):
    from moto.core.responses import ActionResult

    _, already_exists = _errors()
    key, global_cluster = _find_global(self.current_account, self._get_param("GlobalClusterIdentifier"))
    backend = _global_backend(self.current_account)
    with _LOCK:
        protection = self._get_bool_param("DeletionProtection")
        if protection is not None:
            global_cluster.deletion_protection = protection
        new_id = self._get_param("NewGlobalClusterIdentifier")
        if new_id and new_id.lower() != global_cluster.global_cluster_identifier:
            if any(c.global_cluster_identifier == new_id.lower() for c in backend.global_clusters.values()):
                raise already_exists(new_id)
            backend.global_clusters.pop(key, None)
            global_cluster.global_cluster_identifier = new_id
            backend.global_clusters[global_cluster.global_cluster_identifier] = global_cluster
            for member in global_cluster.members:
                member.global_cluster_identifier = global_cluster.global_cluster_identifier
    return ActionResult({"GlobalCluster": global_cluster})


def default_cluster_parameter_group(engine: str, engine_version: str) -> str:
    """AWS's default cluster parameter group of an engine version: default.aurora-mysql8.0 for
    aurora-mysql 8.0.mysql_aurora.3.x, default.aurora-postgresql15 for aurora-postgresql 15.4 (moto
    names every Aurora cluster's group default.aurora8.0)."""
    parts = str(engine_version).split(".")
    return f"default.{engine}{parts[0] if engine == 'aurora-postgresql' else '.'.join(parts[:2])}"


def _ensure_default_cluster_parameter_group(backend, name: str | None) -> None:
    """AWS has a default cluster parameter group for every family (read-only, no user parameters);
    moto has none, so describing the group of a cluster that uses the default fails there."""
    from moto.rds.models import DBClusterParameterGroup

    if not name or not name.lower().startswith("default.") or name.lower() in backend.db_cluster_parameter_groups:
        return
    family = name[len("default."):]
    backend.db_cluster_parameter_groups[name.lower()] = DBClusterParameterGroup(
        backend, name, f"Default cluster parameter group for {family}", family)


def _wrap_describe_cluster_parameter_groups(original):
    def describe(self):
        _ensure_default_cluster_parameter_group(self.backend, self._get_param("DBClusterParameterGroupName"))
        return original(self)

    return describe


def _refuse_forwarding_outside_a_global_database() -> None:
    """AWS: "You can set this value only on Aurora DB clusters that are members of an Aurora global database"
    (botocore RDS model, CreateDBCluster / ModifyDBCluster ``EnableGlobalWriteForwarding``). CreateDBCluster
    without GlobalClusterIdentifier answers InvalidParameterCombination with this message
    (hashicorp/terraform-provider-aws#37259); ModifyDBCluster of a standalone cluster is refused alike."""
    from moto.rds.exceptions import InvalidParameterCombination

    raise InvalidParameterCombination("Requested global functionality, but global cluster identifier is not specified")


def _wrap_create_db_cluster(original):
    def create_db_cluster(self):
        identifier = self._get_param("GlobalClusterIdentifier")
        if self._get_bool_param("EnableGlobalWriteForwarding") and not identifier:
            _refuse_forwarding_outside_a_global_database()
        global_cluster = _find_global(self.current_account, identifier)[1] if identifier else None
        with _LOCK:
            result = original(self)
            cluster = result.result["DBCluster"]
            _fix_kms(cluster)
            if not self._get_param("DBClusterParameterGroupName") and cluster.engine.startswith("aurora"):
                cluster.parameter_group = default_cluster_parameter_group(cluster.engine, cluster.engine_version)
                stored = self.backend.clusters.get(cluster.db_cluster_identifier)
                if stored is not None:
                    stored.parameter_group = cluster.parameter_group
            cluster.__dict__["_global_write_forwarding_requested"] = bool(
                self._get_bool_param("EnableGlobalWriteForwarding"))
            if global_cluster is not None:
                cluster.global_cluster_identifier = global_cluster.global_cluster_identifier
                if cluster not in global_cluster.members:
                    global_cluster.members.append(cluster)
                cluster.is_writer = all(m is cluster or not m.is_writer for m in global_cluster.members)
        return result

    return create_db_cluster


def _wrap_modify_db_cluster(original):
    def modify_db_cluster(self):
        forwarding = self._get_bool_param("EnableGlobalWriteForwarding")
        identifier = (self._get_param("DBClusterIdentifier") or "").lower()
        with _LOCK:
            current = self.backend.clusters.get(identifier)
            if forwarding and current is not None and not getattr(current, "global_cluster_identifier", None):
                _refuse_forwarding_outside_a_global_database()
            result = original(self)
            if forwarding is not None:
                # moto answers with a shallow copy of the cluster: set the flag on both
                clusters = [result.result["DBCluster"], self.backend.clusters.get(
                    self._get_param("NewDBClusterIdentifier") or identifier)]
                for cluster in clusters:
                    if cluster is not None:
                        cluster.__dict__["_global_write_forwarding_requested"] = forwarding
        return result

    return modify_db_cluster


def _wrap_delete_db_cluster(original):
    def delete_db_cluster(self):
        from moto.rds.exceptions import InvalidDBClusterStateFault

        identifier = self._get_param("DBClusterIdentifier")
        if identifier:
            clusters = [c for c in self.backend.clusters.values()
                        if c.db_cluster_identifier == identifier.lower() or c.db_cluster_arn == identifier]
            for cluster in clusters:
                in_global = any(cluster in g.members for g in global_clusters(self.current_account))
                if in_global:
                    raise InvalidDBClusterStateFault(
                        "This cluster is a part of a global cluster, please remove it from globalcluster first"
                    )
        return original(self)

    return delete_db_cluster


def install() -> None:
    from moto.rds.responses import RDSResponse

    if getattr(RDSResponse, "_emulator_patched", False):
        return
    _patch_global_cluster_model()
    _patch_db_cluster_model()
    from .replication import REPLICATION

    if REPLICATION not in LISTENERS:
        LISTENERS.append(REPLICATION)  # the data plane's ledgers follow switchovers and failovers
    RDSResponse.switchover_global_cluster = switchover_global_cluster
    RDSResponse.failover_global_cluster = failover_global_cluster
    RDSResponse.remove_from_global_cluster = remove_from_global_cluster
    RDSResponse.describe_global_clusters = describe_global_clusters
    RDSResponse.create_global_cluster = create_global_cluster
    RDSResponse.delete_global_cluster = delete_global_cluster
    RDSResponse.modify_global_cluster = modify_global_cluster
    RDSResponse.create_db_cluster = _wrap_create_db_cluster(RDSResponse.create_db_cluster)
    RDSResponse.describe_db_cluster_parameter_groups = _wrap_describe_cluster_parameter_groups(
        RDSResponse.describe_db_cluster_parameter_groups)
    RDSResponse.describe_db_cluster_parameters = _wrap_describe_cluster_parameter_groups(
        RDSResponse.describe_db_cluster_parameters)
    RDSResponse.delete_db_cluster = _wrap_delete_db_cluster(RDSResponse.delete_db_cluster)
    RDSResponse.modify_db_cluster = _wrap_modify_db_cluster(RDSResponse.modify_db_cluster)
    RDSResponse._emulator_patched = True
