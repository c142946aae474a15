"""RDS: global database switchover / failover and remove_from_global_cluster from any region."""

from __future__ import annotations


def install() -> None:
    """Placeholder until the RDS patches land (see emulator/README.md)."""
