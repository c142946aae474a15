# Copyright: Contributors to the payments.region_migration project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The one set of verdict rules of the migration gates (migration_gate, migration_status_info, preflight).

Pure functions of plain values, so that they can be unit tested on crafted series. Polling lives in
``_poll``; the AWS reads in ``_gate_lag``, ``_gate_traffic`` and ``_gate_writer``.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from ansible_collections.payments.region_migration.plugins.module_utils import _rds_global as rds_global

PASS = "pass"
FAIL = "fail"

# CloudWatch lag metrics of an Aurora global database (namespace AWS/RDS, milliseconds).
RPO_LAG_METRIC = "AuroraGlobalDBRPOLag"
REPLICATION_LAG_METRIC = "AuroraGlobalDBReplicationLag"

_AURORA_MYSQL_VERSION = re.compile(r"mysql_aurora\.(\d+)\.(\d+)(?:\.(\d+))?")


def verdict(healthy: bool) -> str:
    return PASS if healthy else FAIL


def lag_metric_for_engine(engine: str | None, engine_version: str | None) -> str:
    """The CloudWatch metric that measures a global database secondary's lag for this engine.

    AWS documents ``AuroraGlobalDBRPOLag`` for every Aurora PostgreSQL global database and for
    Aurora MySQL from 3.04.0 (and 2.12.0 on the 2.x line); older Aurora MySQL versions only have
    ``AuroraGlobalDBReplicationLag`` (Aurora User Guide, "Performing switchovers for Aurora
    global databases").
    """
    engine = (engine or "").lower()
    if engine == "aurora-postgresql":
        return RPO_LAG_METRIC
    if engine in ("aurora-mysql", "aurora"):
        match = _AURORA_MYSQL_VERSION.search(engine_version or "")
        if match:
            major, minor = int(match.group(1)), int(match.group(2))
            if (major == 3 and minor >= 4) or major > 3 or (major == 2 and minor >= 12):
                return RPO_LAG_METRIC
    return REPLICATION_LAG_METRIC


def _fmt(value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{value:g}"


def lag_verdict(samples: list[dict[str, Any]], threshold_ms: float, min_datapoints: int,
                consecutive_healthy: int, allow_no_data: bool, metric_name: str) -> tuple[bool, str]:
    """Healthy when there are enough samples and the newest ``consecutive_healthy`` are <= threshold.

    ``samples`` are ``{timestamp, value}`` per period (the period's Maximum), oldest first. Like a
    CloudWatch alarm counts consecutive breaching periods, the gate needs consecutive healthy
    periods at the end of the window: a spike that has been followed by enough healthy periods
    no longer blocks, one in the newest periods does. Missing data is never healthy unless
    ``allow_no_data`` says so.
    """
    count = len(samples)
    values = [float(s["value"]) for s in samples]
    maximum = max(values) if values else None
    needed = max(min_datapoints, consecutive_healthy, 1)
    if count < needed:
        what = "no datapoints" if count == 0 else f"only {count} datapoint{'s' if count != 1 else ''}"
        if allow_no_data:
            return True, f"{metric_name}: {what} (need {needed}), accepted because allow_no_data is set"
        return False, f"{metric_name}: {what} in the window (need {needed}); no data is never healthy"
    newest = values[-consecutive_healthy:] if consecutive_healthy > 0 else values
    breaching = [v for v in newest if v > threshold_ms]
    if breaching:
        return False, (
            f"{metric_name}: {len(breaching)} of the newest {len(newest)} samples above {_fmt(threshold_ms)} ms "
            f"(latest {_fmt(values[-1])} ms, window maximum {_fmt(maximum)} ms)"
        )
    return True, (
        f"{metric_name}: newest {len(newest)} of {count} samples at or below {_fmt(threshold_ms)} ms "
        f"(latest {_fmt(values[-1])} ms, window maximum {_fmt(maximum)} ms)"
    )


def global_cluster_problems(global_cluster: dict[str, Any] | None, member_arn: str | None,
                            cluster_identifier: str) -> list[str]:
    """Why the global cluster is not in a state where a secondary's lag means anything.

    ``member_arn`` is the secondary's ARN when it was found among the members, None otherwise.
    """
    if global_cluster is None:
        return ["global cluster not found"]
    problems = []
    name = global_cluster.get("GlobalClusterIdentifier")
    status = global_cluster.get("Status")
    if status != "available":
        problems.append(f"global cluster {name} is {status!r}, not 'available'")
    running = rds_global.in_progress_message(global_cluster)
    if running:
        problems.append(running)
    if member_arn is None:
        problems.append(f"{cluster_identifier} is not a member of global cluster {name}")
    else:
        for member in global_cluster.get("GlobalClusterMembers", []):
            if member.get("DBClusterArn") == member_arn and member.get("IsWriter"):
                problems.append(f"{cluster_identifier} is the writer of global cluster {name}, not a secondary")
    return problems


def error_rate(elb_5xx: float, target_5xx: float, requests: float) -> tuple[float, str]:
    """The 5xx rate in percent over a window, with a note saying what it is based on.

    No requests means nothing failed: the rate is 0, but the note says so, because a gate that
    passes on zero traffic should not look like one that passed on real traffic.
    """
    errors = elb_5xx + target_5xx
    if requests <= 0:
        if errors > 0:
            return 100.0, f"{errors:g} 5xx responses and no counted requests"
        return 0.0, "no requests in the window"
    return round(100.0 * errors / requests, 4), f"{errors:g} 5xx of {requests:g} requests"


ALARM_OK = "OK"
NOT_FOUND = "NOT_FOUND"


def alarm_problems(alarms: dict[str, str]) -> list[str]:
    """The one alarm verdict rule (gates and preflight): only C(OK) is healthy.

    ``alarms`` maps alarm name to its StateValue (``NOT_FOUND`` for a name that does not exist).
    ALARM fails; a missing alarm fails (a typo must not pass); INSUFFICIENT_DATA fails too,
    because no data is never healthy.
    """
    missing = sorted(name for name, state in alarms.items() if state == NOT_FOUND)
    firing = sorted(name for name, state in alarms.items() if state == "ALARM")
    no_data = sorted(name for name, state in alarms.items() if state == "INSUFFICIENT_DATA")
    other = sorted(name for name, state in alarms.items()
                   if state not in (ALARM_OK, NOT_FOUND, "ALARM", "INSUFFICIENT_DATA"))
    problems = []
    if missing:
        problems.append(f"alarm{'s' if len(missing) > 1 else ''} not found: {', '.join(missing)}")
    if firing:
        problems.append(f"in ALARM: {', '.join(firing)}")
    if no_data:
        problems.append(f"INSUFFICIENT_DATA (no data is never healthy): {', '.join(no_data)}")
    if other:
        problems.append("not OK: " + ", ".join(f"{name}={alarms[name]}" for name in other))
    return problems


def traffic_verdict(healthy_targets: int, min_healthy_targets: int, alarms: dict[str, str],
                    rate: float | None, max_5xx_percent: float | None, rate_note: str | None) -> tuple[bool, str]:
    """Healthy when enough targets are healthy, every listed alarm is OK, 5xx percent below the maximum."""
    problems = []
    notes = [f"{healthy_targets} healthy targets (need {min_healthy_targets})"]
    if healthy_targets < min_healthy_targets:
        problems.append(f"only {healthy_targets} healthy targets (need {min_healthy_targets})")
    alarm_issues = alarm_problems(alarms)
    problems.extend(alarm_issues)
    if alarms and not alarm_issues:
        notes.append(f"all {len(alarms)} alarms OK")
    if rate is not None and max_5xx_percent is not None:
        if rate >= max_5xx_percent and not (rate == 0 and max_5xx_percent == 0):
            problems.append(f"5xx rate {rate:g} % >= {max_5xx_percent:g} % ({rate_note})")
        else:
            notes.append(f"5xx rate {rate:g} % < {max_5xx_percent:g} % ({rate_note})")
    if problems:
        return False, "; ".join(problems)
    return True, "; ".join(notes)


def metric_window(now: datetime, window_seconds: int) -> tuple[datetime, datetime]:
    """(StartTime, EndTime) of a CloudWatch query for the window ending now.

    CloudWatch truncates both times to whole seconds and EndTime is exclusive: rounding up keeps a
    datapoint written within the current second inside the window.
    """
    end = now.replace(microsecond=0) + timedelta(seconds=1) if now.microsecond else now
    return end - timedelta(seconds=window_seconds), end


def samples_from_datapoints(datapoints: list[dict[str, Any]], statistic: str = "Maximum") -> list[dict[str, Any]]:
    """CloudWatch datapoints as ``{timestamp, value}``, oldest first, timestamps in ISO 8601."""
    ordered = sorted(datapoints, key=lambda d: d["Timestamp"])
    return [{"timestamp": d["Timestamp"].isoformat(), "value": float(d[statistic])} for d in ordered
            if statistic in d]
