"""The read-once modules of provision.yml (issue 14) against the emulator: provision_source_info reads the source
stack in the shapes of the amazon.aws info modules the play's checks were written for, and selects like them;
provision_orchestration_info reads the orchestration layer, and returns empty results for what does not exist;
provision_peering_info reads a cross-region peering connection as each side sees it, with both sides' route tables."""

from __future__ import annotations

import json

from ansible_collections.payments.region_migration.plugins.modules import provision_orchestration_info as orchestration
from ansible_collections.payments.region_migration.plugins.modules import provision_peering_info as peering
from ansible_collections.payments.region_migration.plugins.modules import provision_source_info as source


def _tags(name: str) -> list[dict]:
    return [{"Key": "Name", "Value": name}]


def _source_stack(aws) -> dict:
    ec2 = aws("ec2", "us-east-1")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16", TagSpecifications=[
        {"ResourceType": "vpc", "Tags": _tags("vpc-info-test")}])["Vpc"]["VpcId"]
    tables = [ec2.create_route_table(VpcId=vpc, TagSpecifications=[{"ResourceType": "route-table",
                                                                    "Tags": _tags(name)}])["RouteTable"]["RouteTableId"]
              for name in ("rtb-info-a", "rtb-info-b", "rtb-info-other")]
    rds = aws("rds", "us-east-1")
    arn = rds.create_db_cluster(DBClusterIdentifier="aurora-info-test", Engine="aurora-mysql",
                                EngineVersion="8.0.mysql_aurora.3.04.0", MasterUsername="admin",
                                MasterUserPassword="not-a-secret-1", Tags=_tags("aurora-info-test"))["DBCluster"]
    rds.create_global_cluster(GlobalClusterIdentifier="gdb-info-test", SourceDBClusterIdentifier=arn["DBClusterArn"])
    route53 = aws("route53", "us-east-1")
    zone = route53.create_hosted_zone(Name="info-test.example.com", CallerReference="info-test")["HostedZone"]["Id"]
    route53.create_hosted_zone(Name="info-test.example.com", CallerReference="info-test-private",
                               VPC={"VPCRegion": "us-east-1", "VPCId": vpc},
                               HostedZoneConfig={"PrivateZone": True, "Comment": "private"})
    route53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [{
        "Action": "UPSERT", "ResourceRecordSet": {
            "Name": "api.info-test.example.com.", "Type": "A", "SetIdentifier": "us-east-1", "Weight": 100,
            "AliasTarget": {"HostedZoneId": "Z35SXDOTRQ7X7K", "DNSName": "alb.us-east-1.elb.amazonaws.com.",
                            "EvaluateTargetHealth": True}}}]})
    return {"vpc": vpc, "tables": tables, "cluster_arn": arn["DBClusterArn"], "zone": zone.split("/")[-1]}


ARGS = {"region": "us-east-1", "vpc_name": "vpc-info-test", "route_table_names": ["rtb-info-a", "rtb-info-b"],
        "cluster_identifier": "aurora-info-test", "hosted_zone_name": "info-test.example.com",
        "record_name": "api.info-test.example.com"}


def test_source_info_reads_the_stack_in_the_info_modules_shapes(aws, run, module_args):
    stack = _source_stack(aws)
    result = run(source, {**module_args, **ARGS})
    assert not result.get("failed") and result["changed"] is False
    assert [(v["id"], v["cidr_block"], v["tags"]["Name"]) for v in result["vpcs"]] == [
        (stack["vpc"], "10.0.0.0/16", "vpc-info-test")]
    assert sorted(t["id"] for t in result["route_tables"]) == sorted(stack["tables"][:2])
    cluster = result["clusters"][0]
    assert cluster["db_cluster_arn"] == stack["cluster_arn"] and cluster["engine"] == "aurora-mysql"
    assert cluster["engine_version"] == "8.0.mysql_aurora.3.04.0" and cluster["tags"] == {"Name": "aurora-info-test"}
    assert "db_cluster_parameter_group" in cluster and "vpc_security_groups" in cluster
    members = [m["db_cluster_arn"] for g in result["global_clusters"]
               if g["global_cluster_identifier"] == "gdb-info-test" for m in g["global_cluster_members"]]
    assert members == [stack["cluster_arn"]]
    # the public zone is selected (the private one of the same name is not) and its record sets are read
    assert {z["Config"]["PrivateZone"] for z in result["HostedZones"] if z["Name"] == "info-test.example.com."} == {
        True, False}
    assert [(r["name"], r["type"], r["set_identifier"], r["weight"]) for r in result["resource_record_sets"]
            if r.get("set_identifier")] == [("api.info-test.example.com.", "A", "us-east-1", 100)]

    by_ids = run(source, {**module_args, **ARGS, "vpc_id": stack["vpc"], "route_table_ids": stack["tables"][2:],
                          "hosted_zone_id": stack["zone"]})
    assert [t["id"] for t in by_ids["route_tables"]] == stack["tables"][2:]
    assert by_ids["resource_record_sets"] == result["resource_record_sets"]


def test_source_info_reads_nothing_more_when_the_vpc_or_zone_is_not_found(aws, run, module_args):
    _source_stack(aws)
    result = run(source, {**module_args, **ARGS, "vpc_name": "vpc-nowhere", "cluster_identifier": "aurora-nowhere",
                          "hosted_zone_name": "nowhere.example.com"})
    assert not result.get("failed")
    assert result["vpcs"] == [] and result["route_tables"] == [] and result["clusters"] == []
    assert result["resource_record_sets"] == []


def test_orchestration_info_reads_what_exists_and_nothing_else(aws, run, module_args):
    args = {**module_args, "region": "eu-west-1", "state_machine_name": "sfn-info-test", "role_name": "role-info-test",
            "policy_name": "role-info-test-permissions", "global_cluster_identifier": "gdb-nowhere",
            "global_cluster_region": "us-east-1"}
    empty = run(orchestration, args)
    assert not empty.get("failed") and empty["changed"] is False
    assert empty["account_id"] == "123456789012" and empty["partition"] == "aws"
    assert empty["role"] == {} and empty["state_machine"] == {} and empty["global_cluster_members"] == []

    iam, sfn = aws("iam"), aws("stepfunctions")
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "states.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
    role = iam.create_role(RoleName="role-info-test", AssumeRolePolicyDocument=json.dumps(trust), Description="d",
                           Tags=_tags("role-info-test"))["Role"]["Arn"]
    policy = {"Version": "2012-10-17",
              "Statement": [{"Effect": "Allow", "Action": "route53:GetChange", "Resource": "*"}]}
    iam.put_role_policy(RoleName="role-info-test", PolicyName="role-info-test-permissions",
                        PolicyDocument=json.dumps(policy))
    machine = sfn.create_state_machine(name="sfn-info-test", definition='{"StartAt": "A", "States": {"A": '
                                       '{"Type": "Succeed"}}}', roleArn=role,
                                       tags=[{"key": "Name", "value": "sfn-info-test"}])["stateMachineArn"]
    found = run(orchestration, args)
    assert found["role"]["arn"] == role and found["role"]["description"] == "d"
    assert found["role"]["assume_role_policy_document"] == trust and found["role"]["attached_policy_arns"] == []
    assert found["role"]["tags"] == {"Name": "role-info-test"} and found["role"]["policy_document"] == policy
    assert found["state_machine"] == {"state_machine_arn": machine, "role_arn": role, "tags": {"Name": "sfn-info-test"},
                                      "definition": '{"StartAt": "A", "States": {"A": {"Type": "Succeed"}}}'}


def test_peering_info_reads_both_sides(aws, run, module_args):
    east, west = aws("ec2", "us-east-1"), aws("ec2", "eu-west-1")
    requester = east.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    accepter = west.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    east_table = east.create_route_table(VpcId=requester)["RouteTable"]["RouteTableId"]
    west_table = west.create_route_table(VpcId=accepter)["RouteTable"]["RouteTableId"]
    args = {**module_args, "region": "eu-west-1", "requester_region": "us-east-1", "requester_vpc_id": requester,
            "requester_route_table_ids": [east_table], "accepter_region": "eu-west-1", "accepter_vpc_id": accepter,
            "accepter_route_table_ids": [west_table]}
    none = run(peering, args)
    assert not none.get("failed") and none["changed"] is False
    assert none["connections"] == [] and none["connection"] == {} and none["accepter_connection"] == {}
    assert [t["id"] for t in none["requester_route_tables"]] == [east_table]

    pcx = east.create_vpc_peering_connection(VpcId=requester, PeerVpcId=accepter, PeerRegion="eu-west-1",
                                             TagSpecifications=[{"ResourceType": "vpc-peering-connection",
                                                                 "Tags": _tags("pcx-east")}])[
        "VpcPeeringConnection"]["VpcPeeringConnectionId"]
    west.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx)
    east.create_route(RouteTableId=east_table, DestinationCidrBlock="10.1.0.0/16", VpcPeeringConnectionId=pcx)
    found = run(peering, args)
    assert found["connection"]["id"] == pcx and found["connection"]["status"]["code"] == "active"
    assert found["connection"]["tags"]["Name"] == "pcx-east"
    # read in the accepter region (on AWS each region of a cross-region connection keeps its own tags)
    assert found["accepter_connection"]["id"] == pcx and found["accepter_connection"]["status"]["code"] == "active"
    assert isinstance(found["accepter_connection"]["tags"], dict)
    assert [(r["destination_cidr_block"], r["vpc_peering_connection_id"]) for r in
            found["requester_route_tables"][0]["routes"] if r.get("vpc_peering_connection_id")] == [
        ("10.1.0.0/16", pcx)]
    assert [t["id"] for t in found["accepter_route_tables"]] == [west_table]


def test_launch_template_tags_added_later_are_described(aws):
    """The compute role skips tagging its launch template when DescribeLaunchTemplates shows the tags: the
    emulator answers with the template's current tags, as AWS does (emulator/ext_ec2.py; moto kept the tags given
    at creation only)."""
    ec2 = aws("ec2")
    template = ec2.create_launch_template(LaunchTemplateName="lt-tags-test", LaunchTemplateData={
        "InstanceType": "t3.micro"})["LaunchTemplate"]["LaunchTemplateId"]
    ec2.create_tags(Resources=[template], Tags=_tags("lt-tags-test"))
    described = ec2.describe_launch_templates(LaunchTemplateIds=[template])["LaunchTemplates"][0]
    assert described["Tags"] == _tags("lt-tags-test")
