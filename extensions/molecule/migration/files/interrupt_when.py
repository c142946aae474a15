"""Run a command and press Ctrl-C (SIGINT to its process group) once a weighted record reaches a weight.

The migration scenario uses it to interrupt shift.yml during a bake, as an operator would, and then
checks what is left behind: the lock, the audit record of the weight change, status.yml's report of
the unfinished bake, and that a re-run resumes the remaining bake.

Usage: python interrupt_when.py ENDPOINT ZONE RECORD SET_ID WEIGHT DELAY [AUDIT_LOG] -- COMMAND...
With AUDIT_LOG, it also waits for the run's weight-change record of that weight (the bake writes it
before its first evaluation), so that the interrupt falls in the bake however slowly the machine
starts the bake's module; DELAY then counts from that record.
Prints the command's output; exits 0 when the interrupt was sent, 1 otherwise.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import boto3


def weight_of(r53, zone_id: str, record: str, set_id: str) -> int | None:
    for entry in r53.list_resource_record_sets(HostedZoneId=zone_id)["ResourceRecordSets"]:
        if entry["Name"].rstrip(".") == record.rstrip(".") and entry.get("SetIdentifier") == set_id:
            return int(entry.get("Weight", 0))
    return None


def weight_changes(audit_log: str | None, set_id: str, weight: str) -> int:
    """How many weight-change records of the audit log set SET_ID to WEIGHT (0 without a log)."""
    if not audit_log or not os.path.exists(audit_log):
        return 0
    count = 0
    with open(audit_log, encoding="utf-8") as handle:
        for line in handle:
            try:
                event = json.loads(line)
            except ValueError:  # a line being written: the next look reads it whole
                continue
            count += (event.get("event") == "weight_change"
                      and str((event.get("weights_after") or {}).get(set_id)) == str(weight))
    return count


def main() -> int:
    separator = sys.argv.index("--")
    endpoint, zone, record, set_id, weight, delay, *audit = sys.argv[1:separator]
    audit_log = audit[0] if audit else None
    command = sys.argv[separator + 1:]
    r53 = boto3.client("route53", region_name="us-east-1", endpoint_url=endpoint,
                       aws_access_key_id="testing", aws_secret_access_key="testing")
    zone_id = next(z["Id"] for z in r53.list_hosted_zones()["HostedZones"] if z["Name"].rstrip(".") == zone)
    records_before = weight_changes(audit_log, set_id, weight)
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               start_new_session=True)
    interrupted = False
    while process.poll() is None:
        if (weight_of(r53, zone_id, record, set_id) == int(weight)
                and weight_changes(audit_log, set_id, weight) > records_before):
            time.sleep(float(delay))
            os.killpg(process.pid, signal.SIGINT)
            interrupted = True
            break
        time.sleep(0.3)
    output, _ = process.communicate(timeout=120)
    print(output)
    print(f"interrupted={interrupted} rc={process.returncode}")
    return 0 if interrupted else 1


if __name__ == "__main__":
    sys.exit(main())
