#!/usr/bin/env python3
"""What verify.yml reads with boto3 because no *_info module returns it, as one JSON object.

Usage: describe.py STATE_MACHINE_ARN KMS_KEY_ID
Connection: AWS_ENDPOINT_URL / AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY from the environment
(verify.yml passes aws_connection), region eu-west-1.
"""

from __future__ import annotations

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


def describe(state_machine_arn: str, kms_key_id: str) -> dict:
    """State machine definition and role, KMS key rotation and policy."""
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
    }


if __name__ == "__main__":
    json.dump(describe(sys.argv[1], sys.argv[2]), sys.stdout, default=str)
