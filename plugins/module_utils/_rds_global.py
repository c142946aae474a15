
# Copyright: Contributors to the payments.region_migration project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The one Aurora global-database helper: rds_global_cluster, aurora_global_switchover, the gates, status.

Private to this collection (leading underscore, as in amazon.aws). The decision functions are pure
(no AWS calls) so that they can be unit tested with plain dictionaries; the API wrappers are thin
and expect a client from the one client cache (``_aws_client.ClientCache``, wrapped by
:class:`RDSClients`) so that every call can opt in to retries with ``aws_retry=True``.
"""

from __future__ import annotations

from typing import Any

from ansible_collections.payments.region_migration.plugins.module_utils._aws_client import (  # noqa: F401  # pylint: disable=unused-import
    AWS_ERRORS,
    RETRY_DECORATOR,
    ClientCache,
    arn_region,
    is_boto3_error_code,
)
from ansible_collections.payments.region_migration.plugins.module_utils._poll import wait_for  # noqa: F401  # pylint: disable=unused-import

# FailoverState.Status values meaning "a switchover or failover is in progress" (botocore lists
# pending, failing-over and cancelling; AWS also reports switching-over for a managed switchover).
FAILOVER_IN_PROGRESS = ("pending", "switching-over", "failing-over", "cancelling")


class GlobalClusterError(Exception):
    """A refusal or an AWS failure, with the message the module should fail with."""

    def __init__(self, message: str, exception: BaseException | None = None):
        super().__init__(message)
        self.message = message
        self.exception = exception


# ---------------------------------------------------------------------------------------------
# Pure helpers
# ---------------------------------------------------------------------------------------------


def is_arn(identifier: str | None) -> bool:
    return bool(identifier) and identifier.lower().startswith("arn:")


def region_from_arn(arn: str) -> str | None:
    """The region field of an ARN (empty for global-cluster ARNs), None if it is not an ARN."""
    return arn_region(arn)


def cluster_id_of(reference: str) -> str:
    """The DB cluster identifier of an identifier or a cluster ARN."""
    return reference.split(":cluster:", 1)[1] if is_arn(reference) and ":cluster:" in reference else reference


def member_arns(global_cluster: dict[str, Any] | None) -> list[str]:
    if not global_cluster:
        return []
    return [m["DBClusterArn"] for m in global_cluster.get("GlobalClusterMembers") or []]


def writer_arn(global_cluster: dict[str, Any] | None) -> str | None:
    """The ARN of the member that is the writer, None if no member is (yet) the writer."""
    for member in (global_cluster or {}).get("GlobalClusterMembers") or []:
        if member.get("IsWriter"):
            return member["DBClusterArn"]
    return None


def failover_in_progress(global_cluster: dict[str, Any] | None) -> dict[str, Any] | None:
    """The FailoverState of a switchover/failover still running, None when nothing runs."""
    state = (global_cluster or {}).get("FailoverState") or {}
    if state.get("Status") in FAILOVER_IN_PROGRESS:
        return state
    return None


def switchover_done(global_cluster: dict[str, Any] | None, target_arn: str) -> bool:
    """True once the target is the writer, the global cluster is available and nothing runs."""
    if not global_cluster:
        return False
    return (
        writer_arn(global_cluster) == target_arn
        and global_cluster.get("Status") == "available"
        and failover_in_progress(global_cluster) is None
    )


def request_region(plan: dict[str, Any]) -> str | None:
    """The region a switchover or failover request is sent to.

    A switchover goes to the region of the current primary, as the Aurora User Guide's CLI does
    ("Performing switchovers for Amazon Aurora global databases":
    ``aws rds --region region_of_primary switchover-global-cluster ...``,
    https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-global-database-disaster-recovery.html).
    A failover with data loss is for when the primary's region is impaired, and the guide sends it
    to the region of the secondary being promoted (``--region region_of_selected_secondary``).
    """
    if plan["mode"] == "switchover" and plan.get("writer_before"):
        return arn_region(plan["writer_before"])
    return arn_region(plan["target"])


def same_cluster(a: str | None, b: str | None) -> bool:
    """Identifiers and ARNs compare case-insensitively (RDS lower-cases identifiers)."""
    return bool(a) and bool(b) and a.lower() == b.lower()


def find_member(global_cluster: dict[str, Any] | None, reference: str, region: str | None = None) -> str | None:
    """The member ARN that ``reference`` names, None if it is not a member.

    ``reference`` is an ARN (compared case-insensitively) or a DB cluster identifier, which
    matches a member of ``region`` (any region when None).
    """
    for member in member_arns(global_cluster):
        if is_arn(reference):
            if same_cluster(member, reference):
                return member
        elif same_cluster(cluster_id_of(member), reference) and (region is None or arn_region(member) == region):
            return member
    return None


def writer_region(global_cluster: dict[str, Any] | None) -> str | None:
    return arn_region(writer_arn(global_cluster))


def in_progress_message(global_cluster: dict[str, Any] | None) -> str | None:
    """'switchover in progress (...)' when one runs, None otherwise (what gates and modules report)."""
    running = failover_in_progress(global_cluster)
    if not running:
        return None
    kind = "failover" if running.get("IsDataLossAllowed") else "switchover"
    moves = "".join(f" {word} {running[key]}" for word, key in (("from", "FromDbClusterArn"), ("to", "ToDbClusterArn"))
                    if running.get(key))
    return f"{kind} in progress on global cluster {global_cluster.get('GlobalClusterIdentifier')} " \
           f"({running.get('Status')}{moves})"


def pick_secondary(global_cluster: dict[str, Any] | None, target: str | None, region: str | None) -> str | None:
    """The member whose lag tells whether the migration may go on.

    The target region's cluster while it is a secondary; once it has become the writer (after a
    switchover), the other member - the old primary, which now replicates from it.
    """
    writer = writer_arn(global_cluster)
    target_arn = find_member(global_cluster, target, region) if target else None
    if target_arn and target_arn != writer:
        return target_arn
    others = sorted(arn for arn in member_arns(global_cluster) if arn != writer and arn != target_arn)
    if writer and others:
        return others[0]
    return None


def global_cluster_status(global_cluster: dict[str, Any] | None, member: str | None) -> dict[str, Any]:
    """What gates and status report about the global cluster (snake_case, stable keys)."""
    if global_cluster is None:
        return {"found": False}
    failover = global_cluster.get("FailoverState") or {}
    return {
        "found": True,
        "identifier": global_cluster.get("GlobalClusterIdentifier"),
        "status": global_cluster.get("Status"),
        "engine": global_cluster.get("Engine"),
        "engine_version": global_cluster.get("EngineVersion"),
        "endpoint": global_cluster.get("Endpoint"),
        "failover_state": failover.get("Status"),
        "writer_cluster_arn": writer_arn(global_cluster),
        "secondary_cluster_arn": member,
        "members": [
            {"db_cluster_arn": m.get("DBClusterArn"), "is_writer": bool(m.get("IsWriter"))}
            for m in global_cluster.get("GlobalClusterMembers", [])
        ],
    }


def plan_switchover(
    global_cluster: dict[str, Any],
    target_arn: str,
    engine_versions: dict[str, str | None],
    allow_data_loss: bool,
) -> dict[str, Any]:
    """Decide what aurora_global_switchover has to do.

    Returns a dict with ``action`` ('none', 'wait' or 'switchover'/'failover'), ``mode``,
    ``writer_before`` and ``error`` (a message when the module must refuse; nothing is changed).
    ``engine_versions`` maps member ARN to its DB cluster's engine version (None: unknown).
    'wait' means a switchover to the target was already started (e.g. by an earlier run that
    timed out): nothing is written, the module only waits for it.
    """
    mode = "failover" if allow_data_loss else "switchover"
    writer = writer_arn(global_cluster)
    plan = {"action": "none", "mode": mode, "writer_before": writer, "target": target_arn, "error": None,
            "running": None}
    identifier = global_cluster.get("GlobalClusterIdentifier")
    member = find_member(global_cluster, target_arn)
    if member is None:
        plan["error"] = (
            f"Target cluster {target_arn} is not a member of global cluster {identifier}; "
            f"members: {', '.join(member_arns(global_cluster)) or 'none'}"
        )
        return plan
    plan["target"] = member
    running = failover_in_progress(global_cluster)
    if running:
        if same_cluster(running.get("ToDbClusterArn"), member):
            plan["action"] = "wait"
            return plan
        plan["running"] = running
        plan["error"] = (
            f"A {running.get('Status')} switchover/failover of global cluster {identifier} from "
            f"{running.get('FromDbClusterArn')} to {running.get('ToDbClusterArn')} is already in progress; "
            "wait for it to finish before requesting another one"
        )
        return plan
    if same_cluster(writer, member):
        return plan
    versions = {arn: engine_versions.get(arn) for arn in member_arns(global_cluster)}
    if len(set(versions.values())) > 1:
        listed = ", ".join(f"{arn}={version or 'unknown'}" for arn, version in sorted(versions.items()))
        plan["error"] = (
            f"Refusing the {mode} of global cluster {identifier}: the member clusters' engine versions "
            f"differ ({listed}); upgrade them to the same version first"
        )
        return plan
    if global_cluster.get("Status") not in (None, "available"):
        plan["error"] = (
            f"Global cluster {identifier} is {global_cluster.get('Status')}, not available; "
            f"retry the {mode} when it is available"
        )
        return plan
    plan["action"] = mode
    return plan


def global_cluster_differences(current: dict[str, Any], desired: dict[str, Any]) -> list[str]:
    """What differs between an existing global cluster and the module's options.

    Only options that were given are compared. Engine, engine version, storage encryption and the
    source cluster are fixed at creation (or need a major-version upgrade), so they are reported,
    not changed; deletion protection is handled separately because it can be modified.
    """
    differences = []
    for key, label in (("Engine", "engine"), ("EngineVersion", "engine_version"),
                       ("StorageEncrypted", "storage_encrypted")):
        wanted = desired.get(key)
        if wanted is None:
            continue
        have = current.get(key)
        if isinstance(wanted, str) and isinstance(have, str):
            equal = wanted.lower() == have.lower()
        else:
            equal = wanted == have
        if not equal:
            differences.append(f"{label} is {have!r}, not {wanted!r} (cannot be changed)")
    source = desired.get("SourceDBClusterIdentifier")
    if source and find_member(current, source) is None:
        differences.append(
            f"source_db_cluster_identifier {source} is not a member of the global cluster "
            f"(members: {', '.join(member_arns(current)) or 'none'}); an existing global cluster is not re-sourced"
        )
    return differences


def predicted_global_cluster(identifier: str, desired: dict[str, Any], source: dict[str, Any] | None) -> dict[str, Any]:
    """What a global cluster about to be created will look like (check mode, diff)."""
    predicted = {
        "GlobalClusterIdentifier": identifier,
        "Status": "available",
        "Engine": desired.get("Engine") or (source or {}).get("Engine"),
        "EngineVersion": desired.get("EngineVersion") or (source or {}).get("EngineVersion"),
        "StorageEncrypted": bool(desired.get("StorageEncrypted") if desired.get("StorageEncrypted") is not None
                                 else (source or {}).get("StorageEncrypted", False)),
        "DeletionProtection": bool(desired.get("DeletionProtection")),
        "GlobalClusterMembers": [],
    }
    if source:
        predicted["GlobalClusterMembers"] = [{"DBClusterArn": source["DBClusterArn"], "IsWriter": True, "Readers": []}]
    return predicted


def members_after_removal(global_cluster: dict[str, Any], remove: list[str]) -> dict[str, Any]:
    """The global cluster as it will be once ``remove`` are detached (check mode, diff)."""
    after = dict(global_cluster)
    after["GlobalClusterMembers"] = [
        m for m in global_cluster.get("GlobalClusterMembers") or []
        if not any(same_cluster(m["DBClusterArn"], r) for r in remove)
    ]
    return after


# ---------------------------------------------------------------------------------------------
# API wrappers (clients come from ClientCache, with the one retry policy)
# ---------------------------------------------------------------------------------------------


def describe_global_cluster(client, identifier: str) -> dict[str, Any] | None:
    """The global cluster ``identifier``, None if it does not exist."""
    try:
        result = client.describe_global_clusters(GlobalClusterIdentifier=identifier, aws_retry=True)
    except is_boto3_error_code("GlobalClusterNotFoundFault"):
        return None
    # Filter again: some endpoints ignore GlobalClusterIdentifier and return every global cluster.
    for cluster in result.get("GlobalClusters") or []:
        if same_cluster(cluster.get("GlobalClusterIdentifier"), identifier):
            return cluster
    return None


def describe_db_cluster(client, identifier: str) -> dict[str, Any] | None:
    """A DB cluster by identifier or ARN (in the client's region), None if it does not exist."""
    try:
        clusters = client.describe_db_clusters(DBClusterIdentifier=identifier, aws_retry=True)["DBClusters"]
    except is_boto3_error_code("DBClusterNotFoundFault"):
        return None
    return clusters[0] if clusters else None


class RDSClients:
    """RDS clients per region for a module (from the one ClientCache), and the reads every module makes.

    ``rds(region)`` / ``rds.for_arn(arn)`` give a retrying client; :meth:`global_cluster` and
    :meth:`resolve_cluster` end the module on AWS errors with a message that says what was read.
    """

    def __init__(self, module, default_region: str | None):
        self.module = module
        self.cache = ClientCache(module, default_region)
        self.default_region = self.cache.default_region

    def __call__(self, region: str | None = None):
        return self.cache("rds", region)

    def for_arn(self, arn: str):
        return self(arn_region(arn))

    def global_cluster(self, identifier: str, region: str | None = None) -> dict[str, Any] | None:
        try:
            return describe_global_cluster(self(region), identifier)
        except AWS_ERRORS as e:
            self.module.fail_json_aws(e, msg=f"Failed to describe global cluster {identifier}")

    def db_cluster(self, reference: str, region: str | None = None, what: str = "") -> dict[str, Any] | None:
        try:
            return describe_db_cluster(self(region), reference)
        except AWS_ERRORS as e:
            self.module.fail_json_aws(e, msg=f"Failed to describe {what.lower() + ' ' if what else ''}DB cluster "
                                      f"{reference}")

    def resolve_cluster(self, reference: str, what: str, **fail_args) -> dict[str, Any]:
        """The DB cluster an ARN (in its own region) or identifier (default region) names; fails if missing."""
        region = arn_region(reference) if is_arn(reference) else None
        cluster = self.db_cluster(reference, region, what)
        if cluster is None:
            self.module.fail_json(
                msg=f"{what} DB cluster {reference} not found in {region or self.default_region}; "
                "give its ARN or its identifier with the region it runs in", **fail_args)
        return cluster
