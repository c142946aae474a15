#!/usr/bin/python

# Copyright: Contributors to the payments.region_migration project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: migration_report
version_added: 1.2.0
short_description: Render the migration report - one self-contained HTML page and a PNG of its charts
description:
  - Builds the report of a region migration from the migration role's audit log (one JSON record per
    line), the replication-lag history in CloudWatch and, when there is one, the payment reconciliation.
  - "The charts: the Route 53 weight of each region over time, the Aurora replication lag against the
    gate threshold, every gate verdict as it was sampled (wait, hold = the bake, once), the bakes,
    every rollback with its reason, the writer switchover, and the payments committed, failed and
    lost per phase."
  - The page O(dest) is self-contained (inline SVG and CSS, no script, no external file); the PNG
    O(png_dest) holds the same charts. Both are rendered with matplotlib, which must be installed on
    the host that runs the module.
  - Without O(reconciliation) (real AWS has no payment reconciliation) the payment columns say
    "not reconciled" and the page says that the section is absent on purpose.
  - A file is only written when its content changes; the output is deterministic for the same input.
author:
  - Payments platform engineering (@payments-platform)
requirements:
  - matplotlib >= 3.8
options:
  audit_log:
    description:
      - The audit log of the environment (C(migration_audit_log) of the migration role).
      - A missing file gives a report without events. Lines that are not JSON records are skipped
        and reported in RV(skipped_lines).
    type: path
    required: true
  dest:
    description: Path of the HTML page. Its directory is created when missing.
    type: path
    required: true
  png_dest:
    description: Path of the PNG; by default O(dest) with the suffix C(.png).
    type: path
  environment:
    description: Name of the environment, shown in the title.
    type: str
    default: ""
  phases:
    description:
      - The inventory's phase table (C(migration_phases)), each entry C(phase), C(target_percent)
        and C(writer) (V(source) or V(target)). The report has one row per entry.
    type: list
    elements: dict
    required: true
  source_region:
    description: The source region, which is also the SetIdentifier of its weighted record.
    type: str
    required: true
  target_region:
    description: The target region, which is also the SetIdentifier of its weighted record.
    type: str
    required: true
  lag_clusters:
    description:
      - The Aurora clusters whose replication lag is charted, each read in its own region. Give both
        members of the global database; the lag is published only for the current secondary.
      - The dimension set is chosen as M(payments.region_migration.migration_gate) does.
    type: list
    elements: dict
    default: []
    suboptions:
      identifier:
        description: DB cluster identifier.
        type: str
        required: true
      region:
        description: Region of the cluster.
        type: str
        required: true
      source_region:
        description: Region of the writer it replicates from (the C(SourceRegion) dimension).
        type: str
  lag_metric_name:
    description: CloudWatch metric of the lag (namespace C(AWS/RDS)).
    type: str
    default: AuroraGlobalDBRPOLag
  lag_threshold_ms:
    description: Threshold of the lag gate in milliseconds, drawn as a line.
    type: float
    default: 1000
  lag_period_seconds:
    description:
      - Period of one lag datapoint in seconds. A long migration gets a coarser period in whole
        minutes, since C(GetMetricStatistics) returns at most 1,440 datapoints.
    type: int
    default: 60
  lag_margin_seconds:
    description: Seconds of lag history shown before the first audit record.
    type: int
    default: 300
  reconciliation:
    description:
      - The payment reconciliation report (the emulator's C(/_emulator/workload/report), or the
        same JSON from C(python -m emulator workload report --json)), with C(totals) and C(phases)
        (C(committed), C(failed), C(lost) per state).
      - Omit it where there is none (real AWS).
    type: dict
notes:
  - Supports check mode (nothing is written; C(changed) tells whether a file would change) and
    diff mode (checksums of the files before and after).
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Write the migration report
  payments.region_migration.migration_report:
    audit_log: artifacts/prod/migration-audit.jsonl
    dest: artifacts/prod/migration-report.html
    environment: prod
    phases: "{{ migration_phases }}"
    source_region: us-east-1
    target_region: eu-west-1
    lag_clusters:
      - {identifier: aurora-payment-prod, region: eu-west-1, source_region: us-east-1}
      - {identifier: aurora-payment-prod, region: us-east-1, source_region: eu-west-1}
    lag_threshold_ms: 1000
  register: report

- name: Show where it is
  ansible.builtin.debug:
    msg: "report: {{ report.html_path }} (PNG {{ report.png_path }})"
"""

RETURN = r"""
html_path:
  description: Absolute path of the HTML page.
  returned: always
  type: str
  sample: /srv/migration/artifacts/prod/migration-report.html
png_path:
  description: Absolute path of the PNG.
  returned: always
  type: str
  sample: /srv/migration/artifacts/prod/migration-report.png
events:
  description: Number of audit records read.
  returned: always
  type: int
  sample: 12
skipped_lines:
  description: Line numbers of the audit log that are not JSON records with an C(epoch).
  returned: always
  type: list
  elements: int
  sample: []
phases:
  description: One row per phase, as in the page's table.
  returned: always
  type: list
  elements: dict
  sample:
    - phase: 1
      target_percent: 25.0
      weights: {"us-east-1": 75.0, "eu-west-1": 25.0}
      writer: us-east-1
      reached: true
      bakes: 1
      bakes_completed: 1
      rollbacks_during_bake: 0
      gate_samples: 4
      gate_failures: 0
      payments: {"attempted": 3320, "committed": 3320, "failed": 0, "lost": 0, "duplicates": 0}
rollbacks:
  description: Every rollback with its reason, oldest first.
  returned: always
  type: list
  elements: dict
  sample:
    - {"time": "2026-11-30T13:50:20.907766Z", "from_phase": 4, "to_phase": 3,
       "reason": "lag: AuroraGlobalDBRPOLag 5000 ms above 1000 ms", "run_id": "20261130T135001Z-170617"}
last_rollback:
  description: The last rollback, null when there was none.
  returned: always
  type: dict
switchovers:
  description: Every move of the Aurora writer (from_region, to_region, phase, time).
  returned: always
  type: list
  elements: dict
lag_datapoints:
  description: Number of lag datapoints read from CloudWatch, per cluster and region.
  returned: always
  type: dict
  sample: {"aurora-payment-prod (eu-west-1)": 60}
reconciled:
  description: Whether the report has the payment reconciliation.
  returned: always
  type: bool
"""

import hashlib
import os
import tempfile
from datetime import UTC, datetime

from ansible.module_utils.basic import missing_required_lib
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.payments.region_migration.plugins.module_utils import _gate_lag
from ansible_collections.payments.region_migration.plugins.module_utils import _report as report
from ansible_collections.payments.region_migration.plugins.module_utils import _report_render as render
from ansible_collections.payments.region_migration.plugins.module_utils._aws_client import ClientCache


def read_lag(module, clients, window: tuple[float, float, int]) -> list[dict]:
    """The lag history of every cluster in O(lag_clusters) over the window, one series each."""
    start, end, period = window
    series = []
    metric = module.params["lag_metric_name"]
    for cluster in module.params["lag_clusters"]:
        cloudwatch = clients("cloudwatch", cluster["region"])
        dimensions = _gate_lag.choose_dimensions(module, cloudwatch, metric, cluster["identifier"],
                                                 cluster.get("source_region"))
        samples = _gate_lag.lag_samples(module, cloudwatch, metric, dimensions, int(end - start), period,
                                        now=datetime.fromtimestamp(end, UTC))
        series.append({"cluster": cluster["identifier"], "region": cluster["region"], "metric_name": metric,
                       "dimensions": {d["Name"]: d["Value"] for d in dimensions}, "samples": samples})
    return series


def sha1(data: bytes | None) -> str | None:
    return None if data is None else hashlib.sha1(data).hexdigest()


def current(path: str) -> bytes | None:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        return None
    except OSError:
        return None


def write(module, path: str, data: bytes) -> None:
    directory = os.path.dirname(path) or "."
    try:
        os.makedirs(directory, exist_ok=True)
        handle, tmp = tempfile.mkstemp(dir=directory, prefix=".migration-report-")
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.chmod(tmp, 0o644)
    except OSError as e:
        module.fail_json(msg=f"Cannot write {path}: {e}", changed=False)
    module.atomic_move(tmp, path)


def main():
    argument_spec = dict(
        audit_log=dict(type="path", required=True),
        dest=dict(type="path", required=True),
        png_dest=dict(type="path"),
        environment=dict(type="str", default=""),
        phases=dict(type="list", elements="dict", required=True),
        source_region=dict(type="str", required=True),
        target_region=dict(type="str", required=True),
        lag_clusters=dict(type="list", elements="dict", default=[], options=dict(
            identifier=dict(type="str", required=True),
            region=dict(type="str", required=True),
            source_region=dict(type="str"),
        )),
        lag_metric_name=dict(type="str", default="AuroraGlobalDBRPOLag"),
        lag_threshold_ms=dict(type="float", default=1000.0),
        lag_period_seconds=dict(type="int", default=60),
        lag_margin_seconds=dict(type="int", default=300),
        reconciliation=dict(type="dict"),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    p = module.params
    if not render.HAS_MATPLOTLIB:
        module.fail_json(msg=missing_required_lib("matplotlib"), exception=str(render.MATPLOTLIB_IMPORT_ERROR))
    if p["lag_period_seconds"] <= 0 or p["lag_margin_seconds"] < 0:
        module.fail_json(msg="lag_period_seconds must be greater than 0 and lag_margin_seconds not negative",
                         changed=False)
    html_path = os.path.abspath(p["dest"])
    png_path = os.path.abspath(p["png_dest"] or os.path.splitext(html_path)[0] + ".png")
    if html_path == png_path:
        module.fail_json(msg=f"dest and png_dest are the same file: {html_path}", changed=False)

    try:
        with open(p["audit_log"], encoding="utf-8") as handle:
            text = handle.read()
    except FileNotFoundError:
        text = ""
    except (OSError, UnicodeDecodeError) as e:
        module.fail_json(msg=f"Cannot read the audit log {p['audit_log']}: {e}", changed=False)
    events, skipped = report.parse_audit_log(text)
    if skipped:
        module.warn(f"{len(skipped)} line(s) of {p['audit_log']} are not audit records and were skipped: "
                    f"{skipped[:10]}")
    try:
        model = report.build(p["phases"], events, p["reconciliation"], p["source_region"], p["target_region"])
    except report.ReportError as e:
        module.fail_json(msg=f"Cannot build the migration report: {e}", changed=False)

    now = datetime.now(UTC).timestamp()
    window = report.lag_window(model["first_epoch"], model["last_epoch"], now, p["lag_margin_seconds"],
                               p["lag_period_seconds"])
    lag = read_lag(module, ClientCache(module), window) if p["lag_clusters"] else []
    last_lag = max((datetime.fromisoformat(s["timestamp"]).timestamp() for series in lag for s in series["samples"]),
                   default=None)
    model.update(environment=p["environment"], lag=lag, lag_threshold_ms=p["lag_threshold_ms"],
                 end_epoch=max(e for e in (model["last_epoch"], last_lag) if e is not None)
                 if (model["last_epoch"] or last_lag) else None,
                 lag_note=(f"CloudWatch {p['lag_metric_name']}, period {window[2]} s" if p["lag_clusters"]
                           else "no lag_clusters given: only the lag read by the gates"))

    svg, png = render.render_images(model)
    html = render.render_html(model, svg).encode("utf-8")
    before = {"html_sha1": sha1(current(html_path)), "png_sha1": sha1(current(png_path))}
    after = {"html_sha1": sha1(html), "png_sha1": sha1(png)}
    changed = before != after
    if changed and not module.check_mode:
        if before["html_sha1"] != after["html_sha1"]:
            write(module, html_path, html)
        if before["png_sha1"] != after["png_sha1"]:
            write(module, png_path, png)
    result = dict(
        changed=changed, html_path=html_path, png_path=png_path, events=len(events), skipped_lines=skipped,
        phases=model["phases"], rollbacks=model["rollbacks"], last_rollback=model["last_rollback"],
        switchovers=model["switchovers"], reconciled=model["reconciliation"] is not None,
        lag_datapoints={f"{s['cluster']} ({s['region']})": len(s["samples"]) for s in lag},
    )
    if module._diff:
        result["diff"] = {"before": before, "after": after}
    module.exit_json(**result)


if __name__ == "__main__":
    main()
