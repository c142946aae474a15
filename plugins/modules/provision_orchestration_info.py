#!/usr/bin/python
# Copyright: Contributors to the payments.region_migration project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: provision_orchestration_info
version_added: 1.1.0
short_description: Read the account, global database, execution role and state machine the orchestration role ensures
description:
  - One read of everything the orchestration role of C(provision.yml) compares before it calls an ensure module, in
    one process instead of five module runs (issue 14, a no-op provisioning that only reads).
  - The caller's account and partition (C(GetCallerIdentity)), the members of the Aurora global database
    (C(DescribeGlobalClusters) in O(global_cluster_region), selected by identifier), the execution role
    (C(GetRole), C(ListAttachedRolePolicies)) and its inline policy O(policy_name) (C(GetRolePolicy)), and the state
    machine O(state_machine_name) (C(ListStateMachines), C(DescribeStateMachine), C(ListTagsForResource)).
  - A resource that does not exist is returned empty; only reads, also outside check mode.
options:
  state_machine_name:
    description: Name of the Step Functions state machine, in O(region).
    type: str
    required: true
  role_name:
    description: Name of the state machine's execution role.
    type: str
    required: true
  policy_name:
    description: Name of the role's inline policy.
    type: str
    required: true
  global_cluster_identifier:
    description: Identifier of the Aurora global database whose members to return.
    type: str
    required: true
  global_cluster_region:
    description: Region to call RDS in for the global database (the source region). Defaults to O(region).
    type: str
author:
  - Payments platform engineering (@payments-platform)
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Read the state machine, its role and what their policies name
  payments.region_migration.provision_orchestration_info:
    region: eu-west-1
    state_machine_name: sfn-migration-prod
    role_name: role-sfn-migration-prod
    policy_name: role-sfn-migration-prod-permissions
    global_cluster_identifier: gdb-payment-prod
    global_cluster_region: us-east-1
  register: orchestration_read
"""

RETURN = r"""
account_id:
  description: Account of the caller (C(GetCallerIdentity)).
  returned: always
  type: str
  sample: "123456789012"
partition:
  description: Partition of the caller's ARN.
  returned: always
  type: str
  sample: aws
global_cluster_members:
  description: ARNs of the global database's member clusters; empty when it does not exist.
  returned: always
  type: list
  elements: str
role:
  description: The execution role; empty when it does not exist.
  returned: always
  type: dict
  contains:
    arn:
      description: ARN of the role.
      type: str
    description:
      description: Description of the role.
      type: str
    assume_role_policy_document:
      description: Trust policy (decoded JSON).
      type: dict
    attached_policy_arns:
      description: ARNs of the managed policies attached to the role.
      type: list
      elements: str
    tags:
      description: Tags of the role.
      type: dict
    policy_document:
      description: The inline policy O(policy_name) (decoded JSON); empty when the role has none of that name.
      type: dict
state_machine:
  description: The state machine; empty when none has that name.
  returned: always
  type: dict
  contains:
    state_machine_arn:
      description: ARN of the state machine.
      type: str
    definition:
      description: Amazon States Language definition, as the service stores it (a string).
      type: str
    role_arn:
      description: ARN of its execution role.
      type: str
    tags:
      description: Tags of the state machine.
      type: dict
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict
from ansible_collections.payments.region_migration.plugins.module_utils._aws_client import (
    AWS_ERRORS,
    ClientCache,
    is_boto3_error_code,
)


def _identity(clients, module) -> tuple[str, str]:
    try:
        identity = clients("sts").get_caller_identity(aws_retry=True)
    except AWS_ERRORS as e:
        module.fail_json_aws(e, msg="Failed to identify the caller")
    return identity["Account"], identity["Arn"].split(":")[1]


def _global_members(clients, module, identifier: str, region: str) -> list[str]:
    # Some implementations answer with every global cluster: the one of that identifier is selected here.
    try:
        found = clients("rds", region).describe_global_clusters(GlobalClusterIdentifier=identifier,
                                                                aws_retry=True)["GlobalClusters"]
    except is_boto3_error_code("GlobalClusterNotFoundFault"):
        return []
    except AWS_ERRORS as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg=f"Failed to read the global database {identifier}")
    cluster = next((c for c in found if c.get("GlobalClusterIdentifier") == identifier), {})
    return [m["DBClusterArn"] for m in cluster.get("GlobalClusterMembers") or [] if m.get("DBClusterArn")]


def _role(clients, module, role_name: str, policy_name: str) -> dict:
    iam = clients("iam")
    try:
        role = iam.get_role(RoleName=role_name, aws_retry=True)["Role"]
    except is_boto3_error_code("NoSuchEntity"):
        return {}
    except AWS_ERRORS as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg=f"Failed to read the role {role_name}")
    try:
        pages = iam.get_paginator("list_attached_role_policies").paginate(RoleName=role_name)
        attached = [p["PolicyArn"] for page in pages for p in page["AttachedPolicies"]]
        try:
            document = iam.get_role_policy(RoleName=role_name, PolicyName=policy_name, aws_retry=True)["PolicyDocument"]
        except is_boto3_error_code("NoSuchEntity"):
            document = {}
    except AWS_ERRORS as e:
        module.fail_json_aws(e, msg=f"Failed to read the policies of the role {role_name}")
    return {"arn": role["Arn"], "description": role.get("Description"),
            "assume_role_policy_document": role.get("AssumeRolePolicyDocument") or {},
            "attached_policy_arns": attached, "tags": boto3_tag_list_to_ansible_dict(role.get("Tags") or []),
            "policy_document": document}


def _state_machine(clients, module, name: str) -> dict:
    sfn = clients("stepfunctions")
    try:
        arn = next((m["stateMachineArn"] for page in sfn.get_paginator("list_state_machines").paginate()
                    for m in page["stateMachines"] if m["name"] == name), None)
        if arn is None:
            return {}
        described = sfn.describe_state_machine(stateMachineArn=arn, aws_retry=True)
        tags = sfn.list_tags_for_resource(resourceArn=arn, aws_retry=True).get("tags") or []
    except AWS_ERRORS as e:
        module.fail_json_aws(e, msg=f"Failed to read the state machine {name}")
    return {"state_machine_arn": arn, "definition": described.get("definition"), "role_arn": described.get("roleArn"),
            "tags": boto3_tag_list_to_ansible_dict(tags, tag_name_key_name="key", tag_value_key_name="value")}


def main():
    argument_spec = dict(
        state_machine_name=dict(type="str", required=True),
        role_name=dict(type="str", required=True),
        policy_name=dict(type="str", required=True),
        global_cluster_identifier=dict(type="str", required=True),
        global_cluster_region=dict(type="str"),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    clients = ClientCache(module)
    account_id, partition = _identity(clients, module)
    module.exit_json(
        changed=False, account_id=account_id, partition=partition,
        global_cluster_members=_global_members(clients, module, params["global_cluster_identifier"],
                                               params["global_cluster_region"] or module.region),
        role=_role(clients, module, params["role_name"], params["policy_name"]),
        state_machine=_state_machine(clients, module, params["state_machine_name"]),
    )


if __name__ == "__main__":
    main()
