# Copyright: Payments platform engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Readiness checks of preflight.yml: raw lookups in, one PASS/FAIL row per check out.

Kept out of the playbook so that every rule (alias records have no TTL, INSUFFICIENT_DATA is not
OK, both Aurora clusters must run the same version, ...) is a tested Python decision.
"""

from __future__ import annotations

from typing import Any

from ansible_collections.payments.region_migration.plugins.module_utils import gates


def _row(check: str, ok: bool, detail: str) -> dict[str, Any]:
    return {"check": check, "ok": bool(ok), "detail": detail}


def ttl_rows(record_sets: list[dict[str, Any]], max_ttl: int, lowered: list[str] | None = None) -> list[dict[str, Any]]:
    """One row per weighted record. Alias records carry no TTL of their own (resolvers cache the
    alias target's answer, 60 s for an ALB), so they pass; others pass at or below ``max_ttl`` or
    when preflight has just lowered them (then the operator must wait out the old TTL)."""
    lowered = lowered or []
    rows = []
    for record in record_sets:
        name = f"record TTL ({record.get('set_identifier', record.get('name', '?'))})"
        if record.get("alias_target"):
            rows.append(_row(name, True, "alias record: no TTL of its own; resolvers use the ALB answer's 60 s"))
            continue
        ttl = int(record.get("ttl") or 0)
        if record.get("set_identifier") in lowered:
            rows.append(_row(name, True, f"TTL lowered from {ttl} to {max_ttl} s: wait at least {ttl} s "
                                         "(the usual advice: a day) before phase 1"))
        elif ttl <= max_ttl:
            rows.append(_row(name, True, f"TTL {ttl} s (<= {max_ttl} s)"))
        else:
            rows.append(_row(name, False, f"TTL {ttl} s > {max_ttl} s: lower it a day before phase 1 "
                                          "(-e migration_preflight_lower_ttl=true)"))
    if not rows:
        rows.append(_row("record TTL", False, "no weighted record set found"))
    return rows


def migration_preflight_checks(facts: dict[str, Any]) -> list[dict[str, Any]]:
    """All readiness rows from the raw results gathered by run_preflight.yml (see its keys there)."""
    rows = ttl_rows(facts.get("record_sets") or [], int(facts.get("max_ttl", 60)), facts.get("lowered"))

    certs = facts.get("certificates") or []
    issued = [c for c in certs if c.get("status") == "ISSUED"]
    rows.append(_row("certificate issued", bool(issued),
                     ", ".join(f"{c.get('domain_name')} {c.get('status')}" for c in certs) or "no certificate"))

    asg = facts.get("asg") or {}
    in_service = [i for i in asg.get("instances", []) if i.get("lifecycle_state") == "InService"]
    minimum = max(int(asg.get("min_size") or 1), 1)
    rows.append(_row("ASG in service", bool(asg) and len(in_service) >= minimum,
                     f"{asg.get('auto_scaling_group_name', facts.get('asg_name', '?'))}: {len(in_service)} InService "
                     f"(min {asg.get('min_size', '?')})" if asg else f"{facts.get('asg_name', 'ASG')} not found"))

    traffic = facts.get("traffic") or {}
    need = int(facts.get("min_healthy_targets", 2))
    healthy = int(traffic.get("healthy_targets") or 0)
    rows.append(_row("targets healthy", healthy >= need, f"{healthy} healthy (need {need})"))

    alarms = traffic.get("alarms") or {}
    # The one alarm verdict rule, shared with the gates (only OK is healthy; no data never is).
    problems = gates.alarm_problems(alarms)
    rows.append(_row("alarms OK", bool(alarms) and not problems,
                     ", ".join(f"{n}={s}" for n, s in sorted(alarms.items())) or "no alarms found"))

    lag = facts.get("lag") or {}
    rows.append(_row("replication lag", bool(lag.get("healthy")), lag.get("reason") or "not measured"))

    versions = facts.get("engine_versions") or {}
    source, target = versions.get("source"), versions.get("target")
    rows.append(_row("same engine version", bool(source) and source == target,
                     f"source {source or 'missing'}, target {target or 'missing'}"))

    peerings = facts.get("peerings") or []
    active = [p for p in peerings if (p.get("status") or {}).get("code") == "active"]
    rows.append(_row("VPC peering active", bool(active),
                     ", ".join(f"{p.get('vpc_peering_connection_id')} {(p.get('status') or {}).get('code')}"
                               for p in peerings) or "no peering between the two VPCs"))

    key = facts.get("kms_key") or {}
    rows.append(_row("KMS key enabled", key.get("key_state") == "Enabled",
                     f"{facts.get('kms_alias', 'key')}: {key.get('key_state', 'not found')}"))

    # migration_gate's write_path check, the same verdict the forward gates apply (issue 8 item 1).
    write_path = facts.get("write_path") or {}
    rows.append(_row(f"write path ({facts.get('target_region') or 'target'})", bool(write_path.get("healthy")),
                     write_path.get("reason") or "not checked"))
    return rows


def migration_preflight_table(rows: list[dict[str, Any]]) -> str:
    """The rows as an aligned text table."""
    width = max([len("CHECK")] + [len(r["check"]) for r in rows]) + 2
    lines = [f"{'CHECK':<{width}}{'RESULT':<8}DETAIL"]
    lines += [f"{r['check']:<{width}}{'PASS' if r['ok'] else 'FAIL':<8}{r['detail']}" for r in rows]
    return "\n".join(lines)


class FilterModule:
    """Preflight filters for the migration role."""

    def filters(self) -> dict[str, Any]:
        return {
            "migration_preflight_checks": migration_preflight_checks,
            "migration_preflight_table": migration_preflight_table,
        }
