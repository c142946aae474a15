"""The command line: python -m emulator {start,stop,status,fault,signals,workload} (run as subprocesses)."""

from __future__ import annotations

import http.server
import json
import os
import socket
import subprocess
import sys
import threading
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError

REPO = Path(__file__).resolve().parents[2]


def cli(*args: str, port: int | str | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    port = port or os.environ["EMULATOR_PORT"]
    return subprocess.run([sys.executable, "-m", "emulator", "--port", str(port), *args], cwd=REPO,
                          capture_output=True, text=True, timeout=90, env={**os.environ, **(env or {})})


def call(url: str, method: str, path: str) -> tuple[int, dict]:
    request = urllib.request.Request(f"{url}{path}", method=method)
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, json.loads(response.read())


def _ok(result: subprocess.CompletedProcess) -> dict:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_fault_subcommands(aws, control):
    added = _ok(cli("fault", "api-error", "--action", "DescribeVpcs", "--error", "RequestLimitExceeded"))["fault"]
    assert (added["kind"], added["action"], added["count"]) == ("api_error", "DescribeVpcs", 1)
    with pytest.raises(ClientError) as excinfo:
        aws("ec2", retries=0).describe_vpcs()
    assert excinfo.value.response["Error"]["Code"] == "RequestLimitExceeded"

    lag = _ok(cli("fault", "replication-lag", "--value-ms", "4000", "--duration", "30", "--cluster", "aurora-euw1"))
    assert lag["fault"]["value_ms"] == 4000 and lag["fault"]["cluster"] == "aurora-euw1"
    unhealthy = _ok(cli("fault", "unhealthy-targets", "--target-group-arn", "targetgroup/tg-payment/"))["fault"]
    assert unhealthy["reason"] == "Target.FailedHealthChecks"

    cloudwatch = aws("cloudwatch")
    cloudwatch.put_metric_alarm(AlarmName="lag-high", Namespace="AWS/RDS", MetricName="AuroraGlobalDBReplicationLag",
                                Statistic="Maximum", Period=60, EvaluationPeriods=1, Threshold=1000.0,
                                ComparisonOperator="GreaterThanThreshold")
    _ok(cli("fault", "alarm-state", "--alarm-name", "lag-high", "--state", "ALARM", "--reason", "cli test"))
    alarm = cloudwatch.describe_alarms(AlarmNames=["lag-high"])["MetricAlarms"][0]
    assert (alarm["StateValue"], alarm["StateReason"]) == ("ALARM", "cli test")

    refused = cli("fault", "alarm-state", "--alarm-name", "missing", "--state", "OK")
    assert refused.returncode != 0 and "does not exist" in refused.stderr

    listed = _ok(cli("fault", "list"))["faults"]
    assert [f["kind"] for f in listed] == ["replication_lag", "unhealthy_targets", "alarm_state"]  # api_error used up
    assert control("GET", "/_emulator/faults")[1]["faults"] == listed
    assert _ok(cli("fault", "clear", "--id", listed[0]["id"])) == {"cleared": 1}
    assert _ok(cli("fault", "clear")) == {"cleared": 2}
    assert _ok(cli("fault", "list")) == {"faults": []}


def _global_db(aws) -> None:
    """Global cluster g: writer p in us-east-1, secondary s in eu-west-1."""
    east = aws("rds", "us-east-1")
    arn = east.create_db_cluster(DBClusterIdentifier="p", Engine="aurora-mysql", MasterUsername="admin",
                                 MasterUserPassword="not-a-real-password")["DBCluster"]["DBClusterArn"]
    east.create_global_cluster(GlobalClusterIdentifier="g", SourceDBClusterIdentifier=arn)
    aws("rds", "eu-west-1").create_db_cluster(DBClusterIdentifier="s", Engine="aurora-mysql",
                                              GlobalClusterIdentifier="g")


def test_signals_subcommand(aws):
    _global_db(aws)
    assert _ok(cli("signals", "--list")) == {"secondaries": [
        {"region": "eu-west-1", "cluster": "s", "source_region": "us-east-1"}]}
    assert _ok(cli("signals")) == {"published": 4}
    metrics = aws("cloudwatch").list_metrics(Namespace="AWS/RDS")["Metrics"]
    assert {m["MetricName"] for m in metrics} == {"AuroraGlobalDBReplicationLag", "AuroraGlobalDBRPOLag"}


def test_status_and_start_when_already_running(emulator):
    status = cli("status")
    assert status.returncode == 0 and ": up" in status.stdout
    again = cli("start")
    assert again.returncode == 0 and "already answers" in again.stdout


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _NotAnEmulator(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802
        self.send_error(404)

    def log_message(self, *args):
        pass


def test_start_refuses_a_port_taken_by_something_else(tmp_path):
    with http.server.HTTPServer(("127.0.0.1", 0), _NotAnEmulator) as server:  # another web server holds the port
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        port = server.server_address[1]
        try:
            result = cli("start", "--timeout", "5", port=port, env={"EMULATOR_STATE_DIR": str(tmp_path)})
        finally:
            server.shutdown()
    assert result.returncode == 2
    assert f"127.0.0.1:{port} is in use by another process" in result.stderr
    assert not (tmp_path / f"emulator-{port}.pid").exists()


def test_start_status_stop_by_pid_with_environment_knobs(tmp_path):
    port = _free_port()  # an OS-assigned free port, so no other helper's emulator is touched
    env = {"EMULATOR_STATE_DIR": str(tmp_path), "EMULATOR_LAG_MIN_MS": "1234", "EMULATOR_LAG_MAX_MS": "1234",
           "EMULATOR_SWITCHOVER_SECONDS": "7", "EMULATOR_SIGNAL_INTERVAL": "3600"}
    started = cli("start", port=port, env=env)
    try:
        assert started.returncode == 0, started.stderr
        pid = int((tmp_path / f"emulator-{port}.pid").read_text())
        assert f"pid {pid}" in started.stdout
        status = cli("status", port=port, env=env)
        assert status.returncode == 0 and f"(pid {pid})" in status.stdout
        url = f"http://127.0.0.1:{port}"
        status_code, settings = call(url, "GET", "/_emulator/config")
        assert status_code == 200
        assert (settings["switchover_seconds"], settings["lag_min_ms"], settings["lag_max_ms"]) == (7.0, 1234.0, 1234.0)
        _global_db(lambda service, region="eu-west-1": boto3.client(
            service, region_name=region, endpoint_url=url, aws_access_key_id="testing",
            aws_secret_access_key="testing"))
        assert call(url, "POST", "/_emulator/signals/publish") == (200, {"published": 4})
        now = datetime.now(UTC)
        points = boto3.client("cloudwatch", region_name="eu-west-1", endpoint_url=url, aws_access_key_id="testing",
                              aws_secret_access_key="testing").get_metric_statistics(
            Namespace="AWS/RDS", MetricName="AuroraGlobalDBRPOLag",
            Dimensions=[{"Name": "DBClusterIdentifier", "Value": "s"}], StartTime=now - timedelta(minutes=5),
            EndTime=now + timedelta(minutes=1), Period=300, Statistics=["Minimum", "Maximum"])["Datapoints"]
        assert (points[0]["Minimum"], points[0]["Maximum"]) == (1234.0, 1234.0)  # the configured baseline
    finally:
        stopped = cli("stop", port=port, env=env)
    assert stopped.returncode == 0 and f"stopped (pid {pid})" in stopped.stdout
    assert not (tmp_path / f"emulator-{port}.pid").exists()
    assert not Path(f"/proc/{pid}").exists() or b"zombie" in Path(f"/proc/{pid}/status").read_bytes().lower()
    down = cli("status", port=port, env=env)
    assert down.returncode == 1 and ": down" in down.stdout
    assert cli("stop", port=port, env=env).stdout.startswith("no running emulator recorded")


def test_data_plane_fault_subcommands(emulator):
    errors = _ok(cli("fault", "app-errors", "--region", "eu-west-1", "--rate", "0.5", "--duration", "30"))["fault"]
    assert (errors["kind"], errors["region"], errors["rate"]) == ("app_errors", "eu-west-1", 0.5)
    cut = _ok(cli("fault", "write-path-cut", "--region", "eu-west-1"))["fault"]
    assert (cut["kind"], cut["region"]) == ("write_path_cut", "eu-west-1")
    refused = cli("fault", "app-errors", "--region", "eu-west-1", "--rate", "2")
    assert refused.returncode != 0 and "between 0 and 1" in refused.stderr
    assert cli("fault", "write-path-cut").returncode == 2  # --region is required


def test_workload_subcommands(aws):
    import _payment_stack

    _payment_stack.build(aws)
    started = _ok(cli("workload", "start", "--rate", "50", "--zone-name", _payment_stack.ZONE,
                      "--record-name", _payment_stack.RECORD))
    assert started["running"] is True and started["rate"] == 50
    again = cli("workload", "start")
    assert again.returncode != 0 and "already running" in again.stderr
    live = json.loads(cli("workload", "report", "--json").stdout)
    assert live["running"] is True and live["record_name"] == _payment_stack.RECORD
    stopped = cli("workload", "stop", "--check")
    assert stopped.returncode == 0, stopped.stdout + stopped.stderr
    assert "0 % to eu-west-1, writer us-east-1" in stopped.stdout
    assert "payments committed, 0 lost, 0 duplicated" in stopped.stdout
    table = cli("workload", "report")
    assert table.returncode == 0 and "TOTAL" in table.stdout
    assert _ok(cli("workload", "reset"))["payments"] == 0
