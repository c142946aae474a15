"""Aurora global database fixtures for the rds_global_cluster / aurora_global_switchover tests.

Built with boto3 against the emulator: an aurora-mysql primary in us-east-1, a global cluster
made from it and a secondary in eu-west-1 that joins it.
"""

from __future__ import annotations

from dataclasses import dataclass

ENGINE = "aurora-mysql"
ENGINE_VERSION = "8.0.mysql_aurora.3.05.2"
PRIMARY_REGION = "us-east-1"
SECONDARY_REGION = "eu-west-1"


@dataclass
class GlobalDB:
    identifier: str
    primary_arn: str
    secondary_arn: str | None


def create_cluster(aws, region: str, identifier: str, version: str = ENGINE_VERSION,
                   global_cluster: str | None = None) -> str:
    params = {"DBClusterIdentifier": identifier, "Engine": ENGINE, "EngineVersion": version}
    if global_cluster:
        params["GlobalClusterIdentifier"] = global_cluster
    else:
        params.update(MasterUsername="admin", MasterUserPassword="not-a-real-password-1")
    return aws("rds", region).create_db_cluster(**params)["DBCluster"]["DBClusterArn"]


def create_global_db(aws, identifier: str = "gdb-payments-test", secondary: bool = True,
                     secondary_version: str = ENGINE_VERSION) -> GlobalDB:
    primary = create_cluster(aws, PRIMARY_REGION, f"{identifier}-use1")
    aws("rds", PRIMARY_REGION).create_global_cluster(GlobalClusterIdentifier=identifier,
                                                     SourceDBClusterIdentifier=primary)
    secondary_arn = None
    if secondary:
        secondary_arn = create_cluster(aws, SECONDARY_REGION, f"{identifier}-euw1", version=secondary_version,
                                       global_cluster=identifier)
    return GlobalDB(identifier, primary, secondary_arn)


def read_global_cluster(aws, identifier: str, region: str = PRIMARY_REGION) -> dict | None:
    """The global cluster as boto3 sees it (filtered here too), None if it does not exist."""
    client = aws("rds", region)
    try:
        clusters = client.describe_global_clusters(GlobalClusterIdentifier=identifier)["GlobalClusters"]
    except client.exceptions.GlobalClusterNotFoundFault:
        return None
    matching = [c for c in clusters if c["GlobalClusterIdentifier"].lower() == identifier.lower()]
    return matching[0] if matching else None


def members(global_cluster: dict | None) -> list[str]:
    return sorted(m["DBClusterArn"] for m in (global_cluster or {}).get("GlobalClusterMembers", []))


def writer(global_cluster: dict | None) -> str | None:
    for member in (global_cluster or {}).get("GlobalClusterMembers", []):
        if member.get("IsWriter"):
            return member["DBClusterArn"]
    return None


def add_fault(emulator: str, action: str, error: str = "Throttling", count: int = 2) -> dict:
    """Answer the next ``count`` calls of ``action`` with ``error``."""
    from tests.conftest import emulator_call

    return emulator_call(emulator, "POST", "/_emulator/faults",
                         {"kind": "api_error", "action": action, "count": count, "error": error})["fault"]


def pending_faults(emulator: str, action: str) -> list[dict]:
    """The api_error faults on ``action`` that still have unused calls."""
    from tests.conftest import emulator_call

    return [f for f in emulator_call(emulator, "GET", "/_emulator/faults")["faults"] if f.get("action") == action]


def set_switchover_seconds(emulator: str, seconds: float) -> None:
    from tests.conftest import emulator_call

    emulator_call(emulator, "POST", "/_emulator/config", {"switchover_seconds": seconds})
