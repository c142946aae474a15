"""Inject an emulator fault as soon as a weighted record reaches a given weight.

The migration scenario uses it to make a fault matter DURING a bake: started in the background
(async) before shift.yml, it waits until the shift has happened, then posts the fault, so the
playbook's pre-shift gates pass and only its bake can catch the fault.

Usage: python inject_when.py ENDPOINT ZONE RECORD SET_ID WEIGHT FAULT_JSON [TIMEOUT]
"""

from __future__ import annotations

import json
import sys
import time
import urllib.request

import boto3


def weight_of(r53, zone_id: str, record: str, set_id: str) -> int | None:
    records = r53.list_resource_record_sets(HostedZoneId=zone_id)["ResourceRecordSets"]
    for entry in records:
        if entry["Name"].rstrip(".") == record.rstrip(".") and entry.get("SetIdentifier") == set_id:
            return int(entry.get("Weight", 0))
    return None


def main() -> int:
    endpoint, zone, record, set_id, weight, fault = sys.argv[1:7]
    timeout = float(sys.argv[7]) if len(sys.argv) > 7 else 300
    r53 = boto3.client("route53", region_name="us-east-1", endpoint_url=endpoint,
                       aws_access_key_id="testing", aws_secret_access_key="testing")
    zone_id = next(z["Id"] for z in r53.list_hosted_zones()["HostedZones"] if z["Name"].rstrip(".") == zone)
    deadline = time.time() + timeout
    while time.time() < deadline:
        if weight_of(r53, zone_id, record, set_id) == int(weight):
            request = urllib.request.Request(f"{endpoint}/_emulator/faults", data=fault.encode(), method="POST",
                                             headers={"Content-Type": "application/json"})
            with urllib.request.urlopen(request, timeout=10) as response:
                print(json.dumps({"injected": json.loads(response.read()), "after": round(time.time(), 1)}))
            return 0
        time.sleep(0.3)
    print(f"timed out: {set_id} never reached weight {weight}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
