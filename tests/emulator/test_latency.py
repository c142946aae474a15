"""Realistic-latency mode (emulator/latency.py) and the request counter, through boto3.

Each test sets a tiny scale (POST /_emulator/config; the next reset turns the mode off again) so that a
resource stays pending for a few seconds: the pending state must be seen first, then the final state. Each read
is judged by when it was sent and answered (time.monotonic(), the clock of the emulator's latency mode too), not
by a fixed time: on a loaded machine even the first read may come after the pending time.
"""

from __future__ import annotations

import time

import pytest

from emulator import latency
from emulator.__main__ import parser
from tests.conftest import publish_certificate_validation, wait_until

# how long each resource of a test stays pending
PENDING_SECONDS = 3.0


def _wait_for(read, final, timeout: float = 30.0) -> list[tuple[float, float, object]]:
    """Poll read() until it returns final: (sent, answered, state) of every read, in order."""
    reads = []

    def done() -> bool:
        sent = time.monotonic()
        state = read()
        reads.append((sent, time.monotonic(), state))
        return state == final

    wait_until(done, f"the state {final!r}", timeout, step=0.1)
    return reads


def _assert_pending_then_final(reads, pending, final, created_sent: float, seconds: float) -> None:
    """The reads of a resource created after created_sent that stays pending `seconds`: every read answered within
    `seconds` of created_sent sees it pending, and the states go from pending to final once (the last read sees it
    final). The first read of a loaded machine may come late: only the create's answer is sure to be pending."""
    for _, answered, state in reads:
        if answered < created_sent + seconds:
            assert state == pending, (round(answered - created_sent, 2), state)
    states = [state for _, _, state in reads]
    assert states[-1] == final and set(states) <= {pending, final}, states
    assert states == sorted(states, key=lambda state: state == final), states


@pytest.fixture
def latency_for(control):
    """latency_for(kind): turn latency mode on with a scale that keeps `kind` pending PENDING_SECONDS."""

    def _on(kind: str) -> float:
        scale = PENDING_SECONDS / latency.FIGURES[kind].minutes
        status, settings = control("POST", "/_emulator/config", {"latency_scale": scale})
        assert (status, settings["latency_scale"]) == (200, scale)
        return scale

    return _on


def _vpc(aws, region="eu-west-1"):
    ec2 = aws("ec2", region)
    vpc_id = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc_id, CidrBlock=f"10.9.{i}.0/24", AvailabilityZone=f"{region}{az}")
               ["Subnet"]["SubnetId"] for i, az in enumerate("ab")]
    return ec2, vpc_id, subnets


def test_latency_mode_is_off_by_default_and_describes_its_figures(control, aws):
    status, body = control("GET", "/_emulator/latency")
    assert status == 200 and body["enabled"] is False and body["scale"] == 0
    assert set(body["resources"]) == set(latency.FIGURES)
    ec2, _, subnets = _vpc(aws)
    allocation = ec2.allocate_address(Domain="vpc")["AllocationId"]
    nat = ec2.create_nat_gateway(SubnetId=subnets[0], AllocationId=allocation)["NatGateway"]
    assert nat["State"] == "available"
    status, body = control("POST", "/_emulator/config", {"latency_scale": 2})
    assert status == 200
    assert control("GET", "/_emulator/latency")[1]["resources"]["aurora_cluster"]["seconds"] == 40.0


def test_a_negative_scale_is_refused(control):
    status, body = control("POST", "/_emulator/config", {"latency_scale": -1})
    assert status == 400 and "latency_scale" in body["error"]


def test_aurora_cluster_and_instance_are_creating_then_available(aws, latency_for):
    scale = latency_for("aurora_instance")  # the cluster (20 min) then stays pending 6 s, the instance (10 min) 3 s
    rds = aws("rds")
    cluster_created = time.monotonic()
    cluster = rds.create_db_cluster(DBClusterIdentifier="slow", Engine="aurora-mysql", MasterUsername="admin",
                                    MasterUserPassword="not-a-real-password")["DBCluster"]
    instance_created = time.monotonic()
    instance = rds.create_db_instance(DBInstanceIdentifier="slow-1", DBClusterIdentifier="slow", Engine="aurora-mysql",
                                      DBInstanceClass="db.r6g.large")["DBInstance"]
    assert (cluster["Status"], instance["DBInstanceStatus"]) == ("creating", "creating")
    # both read in each poll: the cluster's first read does not wait for the instance's end
    reads = _wait_for(lambda: (
        rds.describe_db_instances(DBInstanceIdentifier="slow-1")["DBInstances"][0]["DBInstanceStatus"],
        rds.describe_db_clusters(DBClusterIdentifier="slow")["DBClusters"][0]["Status"]), ("available", "available"))
    _assert_pending_then_final([(sent, answered, states[0]) for sent, answered, states in reads], "creating",
                               "available", instance_created, latency.FIGURES["aurora_instance"].minutes * scale)
    _assert_pending_then_final([(sent, answered, states[1]) for sent, answered, states in reads], "creating",
                               "available", cluster_created, latency.FIGURES["aurora_cluster"].minutes * scale)


def test_nat_gateway_is_pending_then_available(aws, latency_for):
    latency_for("nat_gateway")
    ec2, _, subnets = _vpc(aws)
    allocation = ec2.allocate_address(Domain="vpc")["AllocationId"]
    created = time.monotonic()
    nat = ec2.create_nat_gateway(SubnetId=subnets[0], AllocationId=allocation)["NatGateway"]
    assert nat["State"] == "pending"
    # the state filter sees the pending state too (what the network role's lookup relies on)
    reads = _wait_for(lambda: tuple(n["NatGatewayId"] for n in ec2.describe_nat_gateways(
        Filters=[{"Name": "state", "Values": ["pending"]}])["NatGateways"]), ())
    _assert_pending_then_final(reads, (nat["NatGatewayId"],), (), created, PENDING_SECONDS)
    reads = _wait_for(lambda: ec2.describe_nat_gateways(NatGatewayIds=[nat["NatGatewayId"]])["NatGateways"][0][
        "State"], "available")
    _assert_pending_then_final(reads, "pending", "available", created, PENDING_SECONDS)


def test_load_balancer_is_provisioning_then_active(aws, latency_for):
    latency_for("load_balancer")
    ec2, _, subnets = _vpc(aws)
    elbv2 = aws("elbv2")
    created = time.monotonic()
    balancer = elbv2.create_load_balancer(Name="slow-alb", Subnets=subnets)["LoadBalancers"][0]
    assert balancer["State"]["Code"] == "provisioning"
    reads = _wait_for(lambda: elbv2.describe_load_balancers(LoadBalancerArns=[balancer["LoadBalancerArn"]])[
        "LoadBalancers"][0]["State"]["Code"], "active")
    _assert_pending_then_final(reads, "provisioning", "active", created, PENDING_SECONDS)


def test_acm_dns_validation_is_pending_then_issued(aws, latency_for):
    latency_for("acm_validation")
    acm = aws("acm")
    requested = time.monotonic()
    arn = acm.request_certificate(DomainName="api.example.test", ValidationMethod="DNS")["CertificateArn"]
    publish_certificate_validation(aws, arn, "example.test")
    reads = _wait_for(lambda: acm.describe_certificate(CertificateArn=arn)["Certificate"]["Status"], "ISSUED")
    _assert_pending_then_final(reads, "PENDING_VALIDATION", "ISSUED", requested, PENDING_SECONDS)


def test_route53_change_is_pending_then_insync(aws, latency_for):
    latency_for("route53_change")
    route53 = aws("route53")
    zone_id = route53.create_hosted_zone(Name="example.test", CallerReference="latency")["HostedZone"]["Id"]
    created = time.monotonic()
    change = route53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": [{
        "Action": "UPSERT", "ResourceRecordSet": {"Name": "api.example.test", "Type": "A", "TTL": 60,
                                                  "ResourceRecords": [{"Value": "192.0.2.10"}]}}]})["ChangeInfo"]
    assert change["Status"] == "PENDING"
    reads = _wait_for(lambda: route53.get_change(Id=change["Id"])["ChangeInfo"]["Status"], "INSYNC")
    _assert_pending_then_final(reads, "PENDING", "INSYNC", created, PENDING_SECONDS)
    # the record itself is there at once, as on AWS
    names = [r["Name"] for r in route53.list_resource_record_sets(HostedZoneId=zone_id)["ResourceRecordSets"]]
    assert "api.example.test." in names


def test_global_switchover_lasts_the_latency_figure(aws, latency_for, control):
    # a short switchover_seconds setting must not win over the latency figure while the mode is on
    assert control("POST", "/_emulator/config", {"switchover_seconds": 0})[0] == 200
    primary_rds, secondary_rds = aws("rds", "us-east-1"), aws("rds", "eu-west-1")
    primary = primary_rds.create_db_cluster(DBClusterIdentifier="use1", Engine="aurora-postgresql",
                                            EngineVersion="15.4", MasterUsername="admin",
                                            MasterUserPassword="not-a-real-password")["DBCluster"]
    primary_rds.create_global_cluster(GlobalClusterIdentifier="gdb-slow",
                                      SourceDBClusterIdentifier=primary["DBClusterArn"])
    secondary = secondary_rds.create_db_cluster(DBClusterIdentifier="euw1", Engine="aurora-postgresql",
                                                EngineVersion="15.4", GlobalClusterIdentifier="gdb-slow")["DBCluster"]
    latency_for("switchover")
    created = time.monotonic()
    started = secondary_rds.switchover_global_cluster(GlobalClusterIdentifier="gdb-slow",
                                                      TargetDbClusterIdentifier=secondary["DBClusterArn"])
    assert started["GlobalCluster"]["Status"] == "switching-over"
    reads = _wait_for(lambda: secondary_rds.describe_global_clusters(
        GlobalClusterIdentifier="gdb-slow")["GlobalClusters"][0]["Status"], "available")
    _assert_pending_then_final(reads, "switching-over", "available", created, PENDING_SECONDS)


def test_request_counter_counts_aws_calls_per_action_and_resets(aws, control):
    control("DELETE", "/_emulator/requests")
    ec2 = aws("ec2")
    ec2.describe_vpcs()
    ec2.describe_vpcs()
    aws("route53").list_hosted_zones()
    control("GET", "/_emulator/health")  # the emulator's own API is not an AWS request
    status, counts = control("GET", "/_emulator/requests")
    assert status == 200
    assert counts["total"] == 3
    assert counts["by_service"] == {"ec2": 2, "route53": 1}
    assert counts["by_action"]["ec2:DescribeVpcs"] == 2
    # DELETE reads and resets in one step
    assert control("DELETE", "/_emulator/requests")[1]["total"] == 3
    assert control("GET", "/_emulator/requests")[1]["total"] == 0


def test_cli_latency_flag():
    assert parser().parse_args(["start"]).latency is None
    assert parser().parse_args(["start", "--latency"]).latency == 1.0
    assert parser().parse_args(["start", "--latency", "0.5"]).latency == 0.5
