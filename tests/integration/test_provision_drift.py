"""Read-once provisioning keeps repairing drift (issue 14), against the emulator.

The roles read each resource type once and call their ensure modules only for what is missing or differs.
This test builds the read-once layers (tests/integration/playbooks/provision_drift.yml: network, security,
compute, dns and peering, network and security in the stages provision.yml runs), then changes the stack
behind the playbook's back: a subnet tag, a private default route, a security group rule, a peering route,
the Auto Scaling group's size and a weighted record's alias target. A --check run reports the drift and
makes no AWS write call (the emulator's request counter); the next run repairs every item; the run after it
changes nothing and makes no write call either: a no-op re-run only reads.

The monitoring and orchestration roles read once in the same way (tests/roles/orchestration/converge.yml runs
both): alarms whose threshold or missing-data rule, a role whose description or inline policy, and a state machine
whose tags were changed by hand are reported by --check and put back, and a no-op run reads each of them once.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import emulator_call

REPO = Path(__file__).resolve().parents[2]
PLAYBOOK = "tests/integration/playbooks/provision_drift.yml"
ORCHESTRATION = "tests/roles/orchestration/converge.yml"
READ_PREFIXES = ("Describe", "Get", "List")


def _play(emulator: str, extra: dict, *args: str, playbook: str = PLAYBOOK,
          calls: dict | None = None) -> tuple[str, list[str]]:
    """One run of the playbook: its output, and the AWS write calls it made (emulator request counter);
    ``calls``, when given, receives every call by action with its count."""
    env = {**os.environ, "EMULATOR_PORT": emulator.rsplit(":", 1)[1], "ANSIBLE_CONFIG": str(REPO / "ansible.cfg")}
    emulator_call(emulator, "DELETE", "/_emulator/requests")
    result = subprocess.run([str(Path(sys.executable).parent / "ansible-playbook"), playbook,
                             *[f"-e{k}={v}" for k, v in extra.items()], *args],
                            cwd=REPO, env=env, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    actions = emulator_call(emulator, "DELETE", "/_emulator/requests")["by_action"]
    if calls is not None:
        calls.update(actions)
    writes = [a for a in actions if not a.split(":", 1)[1].startswith(READ_PREFIXES)
              and not a.split(":", 1)[1].startswith("GET ")]
    return result.stdout, writes


def _changed(output: str) -> int:
    recap = output[output.rindex("PLAY RECAP"):]
    return int(recap.split("changed=", 1)[1].split()[0])


def _by_name(items: list[dict], name: str) -> dict:
    return next(i for i in items if {t["Key"]: t["Value"] for t in i.get("Tags", [])}.get("Name") == name)


def _state(aws) -> dict:
    """The drifted items as AWS reports them."""
    ec2, east = aws("ec2"), aws("ec2", "us-east-1")
    vpc = ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": ["vpc-migration-drift"]}])["Vpcs"][0]["VpcId"]
    vpc_filter = [{"Name": "vpc-id", "Values": [vpc]}]
    subnet = _by_name(ec2.describe_subnets(Filters=vpc_filter)["Subnets"], "subnet-migration-private-eu-west-1a-drift")
    tables = ec2.describe_route_tables(Filters=vpc_filter)["RouteTables"]
    private_b = _by_name(tables, "rtb-migration-private-eu-west-1b-drift")
    public = _by_name(tables, "rtb-migration-public-drift")
    alb_filter = [{"Name": "group-name", "Values": ["sg-alb-payment-drift"]}]
    alb = ec2.describe_security_groups(Filters=vpc_filter + alb_filter)["SecurityGroups"][0]
    asg = aws("autoscaling").describe_auto_scaling_groups(AutoScalingGroupNames=["asg-payment-drift"])[
        "AutoScalingGroups"][0]
    route53 = aws("route53")
    zone = route53.list_hosted_zones_by_name(DNSName="drift.example.com")["HostedZones"][0]["Id"]
    records = route53.list_resource_record_sets(HostedZoneId=zone, StartRecordName="api.drift.example.com",
                                                StartRecordType="A")["ResourceRecordSets"]
    west = next(r for r in records if r.get("SetIdentifier") == "eu-west-1")
    return {
        "vpc": vpc, "subnet_id": subnet["SubnetId"], "public_table": public["RouteTableId"],
        "private_b_table": private_b["RouteTableId"], "alb_sg": alb["GroupId"], "zone": zone,
        "subnet_tier_tag": {t["Key"]: t["Value"] for t in subnet["Tags"]}.get("Tier"),
        "private_b_default_route": any(r.get("DestinationCidrBlock") == "0.0.0.0/0" and r.get("NatGatewayId")
                                       for r in private_b["Routes"]),
        "public_peering_route": any(r.get("DestinationCidrBlock") == "10.0.0.0/16" and r.get("VpcPeeringConnectionId")
                                    for r in public["Routes"]),
        "alb_http_rule": any(p.get("FromPort") == 80 for p in alb["IpPermissions"]),
        "asg_max_size": asg["MaxSize"],
        "west_alias": west["AliasTarget"]["DNSName"].lower(), "west_weight": west["Weight"],
        "requester_route": any(r.get("DestinationCidrBlock") == "10.1.0.0/16" and r.get("VpcPeeringConnectionId")
                               for t in east.describe_route_tables(Filters=[{"Name": "tag:Name",
                                                                             "Values": ["rtb-drift-requester"]}])[
                                   "RouteTables"] for r in t["Routes"]),
    }


CONVERGED = {"subnet_tier_tag": "private", "private_b_default_route": True, "public_peering_route": True,
             "alb_http_rule": True, "asg_max_size": 6,
             "west_alias": "alb-drift-euw1-1234567890.eu-west-1.elb.amazonaws.com.", "west_weight": 0,
             "requester_route": True}


def _drift(aws, state: dict) -> None:
    """Change one thing of each kind behind the playbook's back."""
    ec2 = aws("ec2")
    ec2.delete_tags(Resources=[state["subnet_id"]], Tags=[{"Key": "Tier"}])
    ec2.delete_route(RouteTableId=state["private_b_table"], DestinationCidrBlock="0.0.0.0/0")
    ec2.delete_route(RouteTableId=state["public_table"], DestinationCidrBlock="10.0.0.0/16")
    ec2.revoke_security_group_ingress(GroupId=state["alb_sg"], IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    aws("autoscaling").update_auto_scaling_group(AutoScalingGroupName="asg-payment-drift", MaxSize=9)
    aws("route53").change_resource_record_sets(HostedZoneId=state["zone"], ChangeBatch={"Changes": [{
        "Action": "UPSERT", "ResourceRecordSet": {
            "Name": "api.drift.example.com.", "Type": "A", "SetIdentifier": "eu-west-1", "Weight": 0,
            "AliasTarget": {"HostedZoneId": "Z32O12XQLNTSW2", "DNSName": "alb-elsewhere.eu-west-1.elb.amazonaws.com.",
                            "EvaluateTargetHealth": True}}}]})


def test_drift_is_reported_by_check_mode_and_repaired_and_a_no_op_run_only_reads(aws, emulator):
    east = aws("ec2", "us-east-1")
    requester = east.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    table = east.create_route_table(VpcId=requester, TagSpecifications=[{
        "ResourceType": "route-table", "Tags": [{"Key": "Name", "Value": "rtb-drift-requester"}]}])["RouteTable"]
    extra = {"drift_requester_vpc_id": requester, "drift_requester_cidr": "10.0.0.0/16",
             "drift_requester_route_table_id": table["RouteTableId"]}
    _play(emulator, extra)
    state = _state(aws)
    assert {k: state[k] for k in CONVERGED} == CONVERGED

    _drift(aws, state)
    drifted = {"subnet_tier_tag": None, "private_b_default_route": False, "public_peering_route": False,
               "alb_http_rule": False, "asg_max_size": 9, "west_alias": "alb-elsewhere.eu-west-1.elb.amazonaws.com.",
               "west_weight": 0, "requester_route": True}
    assert {k: v for k, v in _state(aws).items() if k in CONVERGED} == drifted

    # --check reports every drifted resource and changes nothing: no write call, the drift still there
    output, writes = _play(emulator, extra, "--check")
    assert writes == []
    assert _changed(output) >= 6
    assert {k: v for k, v in _state(aws).items() if k in CONVERGED} == drifted

    # the next run repairs it all
    output, _ = _play(emulator, extra)
    assert _changed(output) >= 6
    assert {k: v for k, v in _state(aws).items() if k in CONVERGED} == CONVERGED

    # and the run after it is a no-op that only reads
    output, writes = _play(emulator, extra)
    assert _changed(output) == 0, output[-3000:]
    assert writes == []



def _alarm(client, name: str) -> dict:
    return client.describe_alarms(AlarmNames=[name])["MetricAlarms"][0]


def _hand_edit_alarm(client, name: str, **changes) -> None:
    """PutMetricAlarm with the alarm's own settings and ``changes`` (what an edit in the console does)."""
    alarm = _alarm(client, name)
    keys = ("AlarmName", "AlarmDescription", "Namespace", "MetricName", "Dimensions", "Statistic",
            "ComparisonOperator", "Threshold", "Unit", "Period", "EvaluationPeriods", "TreatMissingData",
            "AlarmActions", "OKActions", "InsufficientDataActions")
    client.put_metric_alarm(**{**{k: alarm[k] for k in keys if k in alarm}, **changes})


def _orchestration_state(aws, suffix: str) -> dict:
    west, iam, sfn = aws("cloudwatch"), aws("iam"), aws("stepfunctions")
    role = f"role-sfn-migration-{suffix}"
    machine = next(m["stateMachineArn"] for m in sfn.list_state_machines()["stateMachines"]
                   if m["name"] == f"sfn-migration-{suffix}")
    policy = iam.get_role_policy(RoleName=role, PolicyName=f"{role}-permissions")["PolicyDocument"]
    return {
        "lag_threshold": _alarm(west, f"alarm-replication-lag-{suffix}")["Threshold"],
        "hosts_missing_data": _alarm(west, f"alarm-healthy-hosts-{suffix}").get("TreatMissingData"),
        "role_description": iam.get_role(RoleName=role)["Role"].get("Description", ""),
        "policy_actions": sorted(a for st in policy["Statement"] for a in
                                 (st["Action"] if isinstance(st["Action"], list) else [st["Action"]])),
        "machine_tags": sorted(t["key"] for t in sfn.list_tags_for_resource(resourceArn=machine)["tags"]),
    }


def test_alarms_role_policy_and_state_machine_changed_by_hand_are_reported_and_put_back(aws, emulator):
    """The monitoring and orchestration roles (tests/roles/orchestration/converge.yml runs both) read once."""
    suffix = "driftorch"
    extra = {"migration_env_suffix": suffix}
    _play(emulator, extra, playbook=ORCHESTRATION)
    converged = _orchestration_state(aws, suffix)
    assert converged["lag_threshold"] == 1000.0 and converged["hosts_missing_data"] == "notBreaching"
    assert "s3:GetObject" not in converged["policy_actions"] and "Name" in converged["machine_tags"]

    # behind the playbook's back: an alarm threshold and missing-data rule, the role's description, a
    # statement added to its inline policy, a tag removed from the state machine
    west, iam, sfn = aws("cloudwatch"), aws("iam"), aws("stepfunctions")
    role = f"role-sfn-migration-{suffix}"
    _hand_edit_alarm(west, f"alarm-replication-lag-{suffix}", Threshold=60000.0)
    _hand_edit_alarm(west, f"alarm-healthy-hosts-{suffix}", TreatMissingData="breaching")
    iam.update_role(RoleName=role, Description="edited by hand")
    policy = iam.get_role_policy(RoleName=role, PolicyName=f"{role}-permissions")["PolicyDocument"]
    policy["Statement"].append({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"})
    iam.put_role_policy(RoleName=role, PolicyName=f"{role}-permissions", PolicyDocument=json.dumps(policy))
    machine = next(m["stateMachineArn"] for m in sfn.list_state_machines()["stateMachines"]
                   if m["name"] == f"sfn-migration-{suffix}")
    sfn.untag_resource(resourceArn=machine, tagKeys=["Name"])
    drifted = _orchestration_state(aws, suffix)
    assert drifted == {**converged, "lag_threshold": 60000.0, "hosts_missing_data": "breaching",
                       "role_description": "edited by hand",
                       "policy_actions": sorted([*converged["policy_actions"], "s3:GetObject"]),
                       "machine_tags": [t for t in converged["machine_tags"] if t != "Name"]}

    # --check reports the four ensure tasks (alarms, role, policy, state machine) and writes nothing
    output, writes = _play(emulator, extra, "--check", playbook=ORCHESTRATION)
    assert writes == []
    assert _changed(output) == 4
    assert _orchestration_state(aws, suffix) == drifted

    output, _ = _play(emulator, extra, playbook=ORCHESTRATION)
    assert _changed(output) == 4
    assert _orchestration_state(aws, suffix) == converged

    # the run after it only reads, each resource once (the ensure modules read the role, the state machine and
    # each alarm again and again)
    calls: dict = {}
    output, writes = _play(emulator, extra, playbook=ORCHESTRATION, calls=calls)
    assert _changed(output) == 0, output[-3000:]
    assert writes == []
    assert {k: calls.get(k) for k in ("monitoring:DescribeAlarms", "iam:GetRole", "states:DescribeStateMachine",
                                      "sts:GetCallerIdentity")} == {
        "monitoring:DescribeAlarms": 1, "iam:GetRole": 1, "states:DescribeStateMachine": 1, "sts:GetCallerIdentity": 1}
