#!/usr/bin/env python3
"""What verify.yml reads with boto3 because no *_info module returns it, as one JSON object.

Usage: describe.py STATE_MACHINE_ARN KMS_KEY_ID [LOCK_PARAMETER_NAME]
Also the database environment (the DB_* lines of /etc/payment-processor.env) in the EC2 user data of
every running us-east-1 instance (the baseline's application instances).
Connection: AWS_ENDPOINT_URL / AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY from the environment
(verify.yml passes aws_connection), region eu-west-1.
"""

from __future__ import annotations

import base64
import json
import os
import sys

import boto3


def _client(service: str, region: str = "eu-west-1"):
    return boto3.client(
        service,
        region_name=region,
        endpoint_url=os.environ.get("AWS_ENDPOINT_URL") or None,
    )


def _env_block(user_data_b64: str) -> dict:
    """KEY=VALUE lines of the user data's /etc/payment-processor.env heredoc."""
    text = base64.b64decode(user_data_b64 or "").decode()
    lines = text.split("<<'ENVIRONMENT'\n", 1)[-1].split("\nENVIRONMENT", 1)[0].splitlines()
    return dict(line.split("=", 1) for line in lines if "=" in line)


def source_app_environments(region: str = "us-east-1") -> dict:
    """Instance id -> the env block of its user data, for the running instances of ``region``."""
    ec2 = _client("ec2", region)
    found = {}
    for reservation in ec2.describe_instances(
            Filters=[{"Name": "instance-state-name", "Values": ["running"]}])["Reservations"]:
        for instance in reservation["Instances"]:
            attribute = ec2.describe_instance_attribute(InstanceId=instance["InstanceId"], Attribute="userData")
            found[instance["InstanceId"]] = _env_block(attribute.get("UserData", {}).get("Value", ""))
    return found


def lock(name: str | None) -> str | None:
    """The value of the migration lock parameter (eu-west-1), None when nobody holds it."""
    if not name:
        return None
    try:
        return _client("ssm").get_parameter(Name=name)["Parameter"]["Value"]
    except _client("ssm").exceptions.ParameterNotFound:
        return None


def describe(state_machine_arn: str, kms_key_id: str, lock_name: str | None = None) -> dict:
    """State machine definition and role, KMS key rotation and policy, the us-east-1 application's environment."""
    sfn = _client("stepfunctions").describe_state_machine(stateMachineArn=state_machine_arn)
    kms = _client("kms")
    policy = kms.get_key_policy(KeyId=kms_key_id, PolicyName="default")["Policy"]
    return {
        "state_machine": {
            "name": sfn["name"],
            "status": sfn.get("status", "ACTIVE"),
            "role_arn": sfn["roleArn"],
            "definition": json.loads(sfn["definition"]),
        },
        "kms": {
            "rotation_enabled": kms.get_key_rotation_status(KeyId=kms_key_id)["KeyRotationEnabled"],
            "policy": json.loads(policy),
        },
        "source_app_environments": source_app_environments(),
        "lock": lock(lock_name),
    }


if __name__ == "__main__":
    json.dump(describe(*sys.argv[1:4]), sys.stdout, default=str)
