# Copyright: Contributors to the payments.region_migration project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Route 53 calls for weighted record sets: find the zone, read the set, write it in one batch.

Private to this collection. ``module`` is an AnsibleAWSModule; ``route53`` a client created with a
retry decorator (see ``_aws_client``). AWS errors end the module through ``fail_json_aws``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from ansible_collections.payments.region_migration.plugins.module_utils._aws_client import (
    AWS_ERRORS,
    is_boto3_error_code,
)
from ansible_collections.payments.region_migration.plugins.module_utils._poll import wait_for

WAIT_DELAY = 5  # seconds between two GetChange calls while waiting for INSYNC

RECORD_TYPES = ["A", "AAAA", "CNAME", "TXT", "MX", "SRV", "PTR", "SPF", "NAPTR", "CAA", "DS", "HTTPS", "SVCB"]

# The options documented by the payments.region_migration.hosted_zone doc fragment.
HOSTED_ZONE_ARGUMENT_SPEC: dict[str, dict[str, Any]] = {
    "hosted_zone_id": {"type": "str"},
    "zone": {"type": "str"},
    "private_zone": {"type": "bool", "default": False},
    "record_name": {"type": "str", "required": True},
    "record_type": {"type": "str", "choices": RECORD_TYPES},
}
HOSTED_ZONE_REQUIRED_ONE_OF = [["hosted_zone_id", "zone"]]
HOSTED_ZONE_MUTUALLY_EXCLUSIVE = [["hosted_zone_id", "zone"]]


def weights_by_type(by_type: dict[str, list[dict[str, Any]]]) -> dict[str, dict[str, int]]:
    return {record_type: weights_of(records) for record_type, records in by_type.items()}


def fqdn(name: str) -> str:
    """Lower case with the trailing dot, the way Route 53 returns names."""
    name = name.strip().lower()
    return name if name.endswith(".") else name + "."


def decode_name(name: str) -> str:
    # Route 53 returns some characters escaped as \\ooo octal (e.g. \\052 for '*').
    return name.encode().decode("unicode_escape")


def zone_id_by_name(module, route53, zone_name: str, private_zone: bool) -> str:
    """The id of the hosted zone called ``zone_name`` (public or private as asked); fails if none."""
    wanted = fqdn(zone_name)
    found = []
    marker: dict[str, str] = {}
    try:
        while True:
            page = route53.list_hosted_zones_by_name(aws_retry=True, DNSName=wanted, **marker)
            for zone in page.get("HostedZones", []):
                if zone["Name"].lower() != wanted:
                    continue
                if bool(zone.get("Config", {}).get("PrivateZone", False)) == private_zone:
                    found.append(zone["Id"].replace("/hostedzone/", ""))
            last = page.get("HostedZones", [])[-1:] or [{}]
            if not page.get("IsTruncated") or last[0].get("Name", "").lower() != wanted:
                break
            marker = {"DNSName": page["NextDNSName"], "HostedZoneId": page["NextHostedZoneId"]}
    except AWS_ERRORS as e:
        module.fail_json_aws(e, msg=f"Failed to look up hosted zone {wanted}")
    kind = "private" if private_zone else "public"
    if not found:
        module.fail_json(msg=f"Hosted zone {wanted} ({kind}) not found in Route 53")
    if len(found) > 1:
        module.fail_json(msg=f"{len(found)} {kind} hosted zones are called {wanted} ({', '.join(found)}); "
                             "pass hosted_zone_id")
    return found[0]


def check_zone(module, route53, zone_id: str) -> dict[str, Any]:
    """The hosted zone ``zone_id``; fails clearly when it does not exist."""
    zone_id = zone_id.replace("/hostedzone/", "")
    try:
        return route53.get_hosted_zone(aws_retry=True, Id=zone_id)["HostedZone"]
    except is_boto3_error_code("NoSuchHostedZone"):
        module.fail_json(msg=f"Hosted zone {zone_id} not found in Route 53")
    except AWS_ERRORS as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg=f"Failed to read hosted zone {zone_id}")


def resolve_zone(module, route53) -> tuple[str, str]:
    """(zone id, zone name) from the module's hosted_zone_id or zone/private_zone options."""
    params = module.params
    zone_id = params.get("hosted_zone_id")
    if not zone_id:
        zone_id = zone_id_by_name(module, route53, params["zone"], params.get("private_zone", False))
    zone = check_zone(module, route53, zone_id)
    return zone["Id"].replace("/hostedzone/", ""), zone["Name"]


def record_sets(module, route53, zone_id: str, name: str, record_type: str | None = None) -> list[dict[str, Any]]:
    """Every record set called ``name`` (of type ``record_type``, or of any type when None).

    The listing starts at the name (and type) and is sorted, so the first other record ends it.
    """
    wanted = fqdn(name)
    result: list[dict[str, Any]] = []
    start: dict[str, str] = {"StartRecordName": wanted}
    if record_type:
        start["StartRecordType"] = record_type
    seen_starts = set()
    what = f"{wanted} {record_type}" if record_type else wanted
    try:
        while True:
            page = route53.list_resource_record_sets(aws_retry=True, HostedZoneId=zone_id, **start)
            past_ours = False
            for record in page.get("ResourceRecordSets", []):
                if decode_name(record["Name"]).lower() == wanted and record_type in (None, record["Type"]):
                    if record not in result:
                        result.append(record)
                else:
                    past_ours = True
            if past_ours or not page.get("IsTruncated"):
                break
            start = {"StartRecordName": page["NextRecordName"], "StartRecordType": page["NextRecordType"]}
            if page.get("NextRecordIdentifier"):
                start["StartRecordIdentifier"] = page["NextRecordIdentifier"]
            key = tuple(sorted(start.items()))
            if key in seen_starts:
                break
            seen_starts.add(key)
    except AWS_ERRORS as e:
        module.fail_json_aws(e, msg=f"Failed to list record sets {what} in zone {zone_id}")
    return result


def weighted_record_set(module, route53, zone_id: str, name: str, record_type: str) -> list[dict[str, Any]]:
    """The weighted records of a name and type; fails when there are none or some are not weighted."""
    return weighted_record_sets(module, route53, zone_id, name, record_type, only=True)[record_type]


def _ordered(by_type: dict[str, Any]) -> dict[str, Any]:
    order = {"A": 0, "AAAA": 1}
    return {t: by_type[t] for t in sorted(by_type, key=lambda t: (order.get(t, 2), t))}


def type_problems(by_type: dict[str, list[dict[str, Any]]]) -> list[str]:
    """Why the weighted types of one name cannot move together (records without a weight, other identifiers)."""
    problems = []
    for record_type, records in by_type.items():
        plain = [r.get("SetIdentifier", "(no SetIdentifier)") for r in records if "Weight" not in r]
        if plain:
            problems.append(f"{record_type} is not a weighted record set "
                            f"(records without a weight: {', '.join(plain)})")
    identifiers = {t: sorted(r.get("SetIdentifier", "") for r in recs) for t, recs in by_type.items()}
    if len({tuple(ids) for ids in identifiers.values()}) > 1:
        listed = "; ".join(f"{t}: {', '.join(ids)}" for t, ids in identifiers.items())
        problems.append(f"its weighted types have different set identifiers ({listed}); they must move together")
    return problems


def weighted_record_sets(module, route53, zone_id: str, name: str, record_type: str | None = None,
                         only: bool = False) -> dict[str, list[dict[str, Any]]]:
    """Every weighted record set of a name, by type, A first: A and AAAA of a name move together.

    ``record_type`` must exist when given; with ``only`` it is the only type read. Fails when a
    type mixes weighted and plain records, or when the types have different set identifiers.
    """
    records = record_sets(module, route53, zone_id, name, record_type if only else None)
    by_type: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        by_type.setdefault(record["Type"], []).append(record)
    what = f"{fqdn(name)} {record_type}" if record_type else fqdn(name)
    if not by_type or (record_type and record_type not in by_type):
        module.fail_json(msg=f"Record set {what} not found in hosted zone {zone_id}")
    weighted = {t: recs for t, recs in by_type.items()
                if t == record_type or (not only and any("Weight" in r for r in recs))}
    # A name without any weighted record: report its records as not weighted.
    by_type = weighted or by_type
    problems = type_problems(by_type)
    if problems:
        module.fail_json(msg=f"Record set {what} in hosted zone {zone_id}: " + "; ".join(problems))
    return _ordered(by_type)


def weights_of(records: list[dict[str, Any]]) -> dict[str, int]:
    return {r["SetIdentifier"]: int(r["Weight"]) for r in records}


def change_batch(records: list[dict[str, Any]], weights: dict[str, int] | dict[str, dict[str, int]],
                 comment: str) -> dict[str, Any]:
    """One ChangeBatch that UPSERTs every record with its new weight.

    ``weights`` is ``{set_identifier: weight}`` or, for records of several types (A and AAAA of one
    name), ``{type: {set_identifier: weight}}``: every type then moves in the same atomic request.
    Everything else in each record (alias target or values, TTL, health check) is copied from
    the record as Route 53 returned it, so only the weights change.
    """
    changes = []
    for record in sorted(records, key=lambda r: (r["Type"] if "Type" in r else "", r["SetIdentifier"])):
        per_type = weights.get(record.get("Type")) if isinstance(weights.get(record.get("Type")), dict) else weights
        updated = dict(record)
        updated["Weight"] = per_type[record["SetIdentifier"]]
        changes.append({"Action": "UPSERT", "ResourceRecordSet": updated})
    return {"Comment": comment, "Changes": changes}


def apply_change(module, route53, zone_id: str, batch: dict[str, Any]) -> str:
    """Send the batch (one ChangeResourceRecordSets request); returns the change id."""
    try:
        response = route53.change_resource_record_sets(aws_retry=True, HostedZoneId=zone_id, ChangeBatch=batch)
    except AWS_ERRORS as e:
        module.fail_json_aws(e, msg=f"Failed to change the weights in hosted zone {zone_id}")
    return response["ChangeInfo"]["Id"].replace("/change/", "")


def wait_insync(module, route53, change_id: str, timeout: int, sleep: Callable[[float], None] = time.sleep,
                clock: Callable[[], float] = time.monotonic) -> str:
    """Poll GetChange until the change is INSYNC; returns the last status (PENDING on timeout)."""

    def status() -> str:
        try:
            return route53.get_change(aws_retry=True, Id=change_id)["ChangeInfo"]["Status"]
        except AWS_ERRORS as e:
            module.fail_json_aws(e, msg=f"Failed to read the status of change {change_id}")

    return wait_for(status, lambda value: value == "INSYNC", timeout, WAIT_DELAY, sleep=sleep, clock=clock)[1]
