"""ELBv2: target health that honours `unhealthy_targets` faults."""

from __future__ import annotations


def install() -> None:
    """Placeholder until the target-health patch lands (see emulator/README.md)."""
