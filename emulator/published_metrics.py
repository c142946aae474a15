"""What AWS publishes to CloudWatch, and under which dimensions: the one definition the emulator's
publishers (signals.py) and its CloudWatch rules (exact dimension matching, alarm evaluation) share.
"""

from __future__ import annotations

# Aurora global database lag metrics (namespace AWS/RDS, unit Milliseconds), published by AWS only
# for secondary clusters, in the secondary's region.
LAG_NAMESPACE = "AWS/RDS"
LAG_METRICS = ("AuroraGlobalDBReplicationLag", "AuroraGlobalDBRPOLag")


def lag_dimension_sets(cluster_id: str, source_region: str) -> list[list[dict[str, str]]]:
    """The dimension sets under which one secondary's lag datapoints are published."""
    return [
        [{"Name": "DBClusterIdentifier", "Value": cluster_id}],
        [{"Name": "DBClusterIdentifier", "Value": cluster_id}, {"Name": "SourceRegion", "Value": source_region}],
    ]
