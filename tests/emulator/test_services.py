"""Server settings the project relies on: Step Functions execution, ACM validation, IAM managed policies."""

from __future__ import annotations

import json

from tests.conftest import publish_certificate_validation, wait_until

STATE_MACHINE = {
    "StartAt": "Upsert",
    "States": {
        "Upsert": {
            "Type": "Task",
            "Resource": "arn:aws:states:::aws-sdk:route53:changeResourceRecordSets",
            "Parameters": {
                "HostedZoneId.$": "$.zone_id",
                "ChangeBatch": {"Changes": [{"Action": "UPSERT", "ResourceRecordSet": {
                    "Name": "api.example.test", "Type": "A", "TTL": 60,
                    "ResourceRecords": [{"Value": "192.0.2.10"}]}}]},
            },
            # datetimes in the output break describe_execution (TOOLCHAIN.md)
            "ResultSelector": {"status.$": "$.ChangeInfo.Status"},
            "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 1, "MaxAttempts": 2}],
            "End": True,
        }
    },
}


def test_step_functions_aws_sdk_task_calls_back_into_the_emulator(aws, add_fault, control):
    route53, sfn = aws("route53"), aws("stepfunctions")
    zone_id = route53.create_hosted_zone(Name="example.test", CallerReference="sfn")["HostedZone"]["Id"]
    # the task's first call is refused by a fault: proof that it goes through this emulator; Retry recovers
    fault = add_fault("api_error", action="ChangeResourceRecordSets", count=1, error="Throttling")
    machine = sfn.create_state_machine(name="sm-dns-test", definition=json.dumps(STATE_MACHINE),
                                       roleArn="arn:aws:iam::123456789012:role/sfn-test")["stateMachineArn"]
    execution = sfn.start_execution(stateMachineArn=machine, input=json.dumps({"zone_id": zone_id.split("/")[-1]}))

    def finished() -> bool:
        described.update(sfn.describe_execution(executionArn=execution["executionArn"]))
        return described["status"] != "RUNNING"

    described = {}
    wait_until(finished, "the execution's end", step=0.25)
    assert described["status"] == "SUCCEEDED", described
    assert json.loads(described["output"]) == {"status": "INSYNC"}
    records = route53.list_resource_record_sets(HostedZoneId=zone_id)["ResourceRecordSets"]
    assert [(r["Name"], r["ResourceRecords"]) for r in records if r["Type"] == "A"] == [
        ("api.example.test.", [{"Value": "192.0.2.10"}])]
    assert fault["id"] not in [f["id"] for f in control("GET", "/_emulator/faults")[1]["faults"]]


def test_acm_certificate_is_issued_within_seconds(aws):
    acm = aws("acm")
    arn = acm.request_certificate(DomainName="api.example.test", ValidationMethod="DNS")["CertificateArn"]
    publish_certificate_validation(aws, arn, "example.test")
    # within seconds (MOTO_ACM_VALIDATION_WAIT=2 here), not after moto's default 60 s: 30 s leave room for a
    # loaded machine (the 6 s this asserted before only measured how fast the machine was)
    wait_until(lambda: acm.describe_certificate(CertificateArn=arn)["Certificate"]["Status"] == "ISSUED",
               "the certificate issued", timeout=30, step=0.25)


def test_iam_aws_managed_policies_are_loaded(aws):
    iam = aws("iam", "us-east-1")
    policy = iam.get_policy(PolicyArn="arn:aws:iam::aws:policy/service-role/AmazonEC2RoleforSSM")["Policy"]
    assert policy["PolicyName"] == "AmazonEC2RoleforSSM"
    iam.create_role(RoleName="role-test", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                                                "Action": "sts:AssumeRole"}]}))
    iam.attach_role_policy(RoleName="role-test", PolicyArn="arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore")
    attached = iam.list_attached_role_policies(RoleName="role-test")["AttachedPolicies"]
    assert [p["PolicyName"] for p in attached] == ["AmazonSSMManagedInstanceCore"]
    policy = iam.get_policy(PolicyArn="arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore")["Policy"]
    assert policy["AttachmentCount"] == 1
    assert policy["DefaultVersionId"] and policy["CreateDate"]


def test_iam_managed_policies_start_unattached_after_a_reset(aws, emulator_url):
    # The policy objects are built again on every reset (from arguments parsed once per process):
    # an attachment of the previous test does not carry over.
    from tests.conftest import emulator_call

    iam = aws("iam", "us-east-1")
    arn = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
    iam.create_role(RoleName="role-reset", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                                                "Action": "sts:AssumeRole"}]}))
    iam.attach_role_policy(RoleName="role-reset", PolicyArn=arn)
    assert iam.get_policy(PolicyArn=arn)["Policy"]["AttachmentCount"] == 1
    emulator_call(emulator_url, "POST", "/moto-api/reset")
    assert iam.get_policy(PolicyArn=arn)["Policy"]["AttachmentCount"] == 0


def test_amazon_linux_2_images_without_the_ecs_optimized_catalogue(aws):
    # What the compute role and baseline.yml look up is there in both regions; moto's ~1,200 ECS-optimized
    # AMIs per region (each built with a volume and a snapshot on every reset) are left out.
    for region in ("eu-west-1", "us-east-1"):
        names = [image["Name"] for image in aws("ec2", region).describe_images()["Images"]]
        assert [n for n in names if n.startswith("amzn2-ami-hvm-2.0.") and n.endswith("-x86_64-gp2")], names
        assert not [n for n in names if "ecs" in n.lower()], [n for n in names if "ecs" in n.lower()][:5]
        assert len(names) < 200
    assert aws("ec2").describe_images(ImageIds=["ami-12c6146b"])["Images"]
