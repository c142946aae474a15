#!/usr/bin/python

# Copyright: Contributors to the payments.region_migration project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: acm_certificate_request
short_description: Request (or delete) an AWS-issued ACM certificate and wait until it is issued
version_added: 1.0.0
description:
  - Requests a public certificate from AWS Certificate Manager (ACM) for O(domain_name), validated by
    DNS (or e-mail), and returns the validation records to create.
  - C(community.aws.acm_certificate) only imports certificates; this module fills that gap.
  - Idempotent, a certificate of this region with the same O(domain_name), the same subject alternative
    names and, when O(name_tag) is set, the same C(Name) tag, that is C(PENDING_VALIDATION) or C(ISSUED),
    is reused instead of requesting a new one. More than one match is an error.
  - With O(wait=true) the module waits until the certificate is C(ISSUED). The usual sequence is to run
    it once with O(wait=false), create the returned RV(validation_records) (for example with
    M(amazon.aws.route53)), then run it again with O(wait=true).
options:
  state:
    description:
      - Whether the certificate should exist.
      - V(absent) deletes the certificate given by O(certificate_arn), or every certificate matching
        O(domain_name) (and O(name_tag) when set).
    type: str
    choices: [present, absent]
    default: present
  domain_name:
    description:
      - The fully qualified domain name the certificate is for.
      - Required when O(state=present).
    type: str
  subject_alternative_names:
    description:
      - Additional names for the certificate. O(domain_name) is always included.
    type: list
    elements: str
    default: []
  validation_method:
    description:
      - How ACM validates domain ownership.
    type: str
    choices: [DNS, EMAIL]
    default: DNS
  name_tag:
    description:
      - Value of the C(Name) tag; identifies the certificate among others for the same domain.
    type: str
  certificate_arn:
    description:
      - ARN of an existing certificate to manage (tags, wait) or delete.
    type: str
  tags:
    description:
      - Tags for the certificate. The C(Name) tag comes from O(name_tag).
    type: dict
    aliases: [resource_tags]
  purge_tags:
    description:
      - Remove tags not listed in O(tags) (the C(Name) tag from O(name_tag) is always kept).
    type: bool
    default: true
  wait:
    description:
      - Wait until the certificate status is C(ISSUED) (fails if it turns C(FAILED), C(REVOKED) or
        C(VALIDATION_TIMED_OUT)).
      - Also waits, in any case, until ACM has published the DNS validation records of a new certificate.
    type: bool
    default: false
  wait_timeout:
    description:
      - How many seconds to wait.
    type: int
    default: 600
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
author:
  - Payments platform engineering (@payments-platform)
"""

EXAMPLES = r"""
- name: Request the certificate
  payments.region_migration.acm_certificate_request:
    domain_name: api.payments.example.com
    name_tag: cert-payment-prod
    tags:
      Stack: payments-region-migration
    region: eu-west-1
  register: cert

- name: Create the DNS validation record
  amazon.aws.route53:
    zone: payments.example.com
    record: "{{ cert.validation_records[0].name }}"
    type: CNAME
    ttl: 300
    value: "{{ cert.validation_records[0].value }}"
    overwrite: true
    aws_config:
      region_name: eu-west-1

- name: Wait until the certificate is issued
  payments.region_migration.acm_certificate_request:
    domain_name: api.payments.example.com
    name_tag: cert-payment-prod
    tags:
      Stack: payments-region-migration
    wait: true
    region: eu-west-1

- name: Delete the certificate
  payments.region_migration.acm_certificate_request:
    state: absent
    domain_name: api.payments.example.com
    name_tag: cert-payment-prod
    region: eu-west-1
"""

RETURN = r"""
certificate_arn:
  description: ARN of the certificate (absent in check mode when it would be requested).
  returned: when O(state=present)
  type: str
  sample: arn:aws:acm:eu-west-1:123456789012:certificate/0b2b8f8c-1234-4d2c-9c9f-0123456789ab
status:
  description: Certificate status (C(PENDING_VALIDATION), C(ISSUED), ...).
  returned: when O(state=present)
  type: str
  sample: ISSUED
validation_records:
  description: DNS records to create for DNS validation, one per validated name (names end with a dot).
  returned: when O(state=present)
  type: list
  elements: dict
  contains:
    domain_name:
      description: The name this record validates.
      type: str
    name:
      description: Record name.
      type: str
    type:
      description: Record type (C(CNAME)).
      type: str
    value:
      description: Record value.
      type: str
  sample:
    - domain_name: api.example.com
      name: _x.api.example.com.
      type: CNAME
      value: _y.acm-validations.aws.
certificate:
  description: The certificate as returned by DescribeCertificate (snake_case), with its tags.
  returned: when O(state=present) and the certificate exists
  type: dict
deleted_arns:
  description: ARNs of the certificates deleted (or that would be deleted in check mode).
  returned: when O(state=absent)
  type: list
  elements: str
"""

import hashlib
from typing import Any

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict
from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.tagging import (
    ansible_dict_to_boto3_tag_list,
    boto3_tag_list_to_ansible_dict,
    compare_aws_tags,
)
from ansible_collections.payments.region_migration.plugins.module_utils._aws_client import ClientCache
from ansible_collections.payments.region_migration.plugins.module_utils._poll import wait_for

try:
    from botocore.exceptions import BotoCoreError, ClientError
except ImportError:
    pass  # handled by AnsibleAWSModule

LIVE_STATUSES = ["PENDING_VALIDATION", "ISSUED"]
FAILED_STATUSES = ["FAILED", "REVOKED", "VALIDATION_TIMED_OUT", "EXPIRED", "INACTIVE"]
POLL_SECONDS = 2


def wanted_names(domain_name: str, alternative_names: list[str]) -> list[str]:
    """All names the certificate covers: the domain first, then the other names once each, sorted."""
    others = sorted({name for name in alternative_names if name != domain_name})
    return [domain_name] + others


def idempotency_token(domain_name: str, names: list[str], name_tag: str | None) -> str:
    """A stable token (ACM: up to 32 word characters) so that a retried request does not duplicate."""
    digest = hashlib.sha256("|".join([domain_name, name_tag or ""] + names).encode()).hexdigest()
    return digest[:32]


def validation_records(certificate: dict[str, Any]) -> list[dict[str, str]]:
    """The DNS validation records ACM published so far, one per validated name."""
    records = []
    for option in certificate.get("DomainValidationOptions", []):
        record = option.get("ResourceRecord")
        if record:
            records.append({
                "domain_name": option["DomainName"],
                "name": record["Name"],
                "type": record["Type"],
                "value": record["Value"],
            })
    return records


def records_complete(certificate: dict[str, Any]) -> bool:
    """True when ACM published a DNS record for every name (it takes a few seconds on AWS)."""
    options = certificate.get("DomainValidationOptions", [])
    if not options:
        return False
    return all(option.get("ResourceRecord") for option in options if option.get("ValidationMethod", "DNS") == "DNS")


def desired_tags(tags: dict[str, str] | None, name_tag: str | None) -> dict[str, str]:
    result = dict(tags or {})
    if name_tag:
        result["Name"] = name_tag
    return result


class Acm:
    """Thin wrappers around the ACM calls this module makes."""

    def __init__(self, module: AnsibleAWSModule):
        self.module = module
        self.client = ClientCache(module)("acm")

    def describe(self, arn: str) -> dict[str, Any] | None:
        try:
            certificate = self.client.describe_certificate(aws_retry=True, CertificateArn=arn)["Certificate"]
        except is_boto3_error_code("ResourceNotFoundException"):
            return None
        except (BotoCoreError, ClientError) as e:  # pylint: disable=duplicate-except
            self.module.fail_json_aws(e, msg=f"Failed to describe certificate {arn}")
        return certificate

    def tags(self, arn: str) -> dict[str, str]:
        try:
            tags = self.client.list_tags_for_certificate(aws_retry=True, CertificateArn=arn).get("Tags", [])
        except (BotoCoreError, ClientError) as e:
            self.module.fail_json_aws(e, msg=f"Failed to list tags of certificate {arn}")
        return boto3_tag_list_to_ansible_dict(tags)

    def find(self, domain_name: str, names: list[str] | None, name_tag: str | None) -> list[dict[str, Any]]:
        """Live certificates for domain_name (same names and Name tag when given), with their tags."""
        found = []
        try:
            paginator = self.client.get_paginator("list_certificates")
            summaries = paginator.paginate(CertificateStatuses=LIVE_STATUSES).build_full_result()
        except (BotoCoreError, ClientError) as e:
            self.module.fail_json_aws(e, msg="Failed to list certificates")
        for summary in summaries.get("CertificateSummaryList", []):
            if summary.get("DomainName") != domain_name:
                continue
            certificate = self.describe(summary["CertificateArn"])
            if certificate is None or certificate.get("Type") != "AMAZON_ISSUED":
                continue
            if names is not None:
                current = wanted_names(domain_name, certificate.get("SubjectAlternativeNames", []))
                if current != names:
                    continue
            tags = self.tags(certificate["CertificateArn"])
            if name_tag and tags.get("Name") != name_tag:
                continue
            certificate["Tags"] = tags
            found.append(certificate)
        return found

    def request(self, domain_name: str, names: list[str], method: str, tags: dict[str, str], token: str) -> str:
        params: dict[str, Any] = {
            "DomainName": domain_name,
            "ValidationMethod": method,
            "IdempotencyToken": token,
        }
        if len(names) > 1:
            params["SubjectAlternativeNames"] = names
        if tags:
            params["Tags"] = ansible_dict_to_boto3_tag_list(tags)
        try:
            return self.client.request_certificate(aws_retry=True, **params)["CertificateArn"]
        except (BotoCoreError, ClientError) as e:
            self.module.fail_json_aws(e, msg=f"Failed to request a certificate for {domain_name}")

    def update_tags(self, arn: str, to_add: dict[str, str], to_remove: list[str]) -> None:
        try:
            if to_remove:
                self.client.remove_tags_from_certificate(
                    aws_retry=True, CertificateArn=arn, Tags=[{"Key": key} for key in to_remove]
                )
            if to_add:
                self.client.add_tags_to_certificate(
                    aws_retry=True, CertificateArn=arn, Tags=ansible_dict_to_boto3_tag_list(to_add)
                )
        except (BotoCoreError, ClientError) as e:
            self.module.fail_json_aws(e, msg=f"Failed to update tags of certificate {arn}")

    def delete(self, arn: str) -> None:
        try:
            self.client.delete_certificate(aws_retry=True, CertificateArn=arn)
        except is_boto3_error_code("ResourceNotFoundException"):
            return
        except (BotoCoreError, ClientError) as e:  # pylint: disable=duplicate-except
            self.module.fail_json_aws(e, msg=f"Failed to delete certificate {arn}")

    def wait_for(self, arn: str, issued: bool, timeout: int) -> dict[str, Any]:
        """Poll until the validation records are published (and, if issued, until ISSUED)."""
        failed: dict[str, Any] = {}

        def read() -> dict[str, Any]:
            certificate = self.describe(arn)
            if certificate is None:
                self.module.fail_json(msg=f"Certificate {arn} disappeared while waiting for it")
            return certificate

        def ready(certificate: dict[str, Any]) -> bool:
            status = certificate.get("Status")
            if status in FAILED_STATUSES:
                failed["certificate"] = certificate
                return True
            if issued:
                return status == "ISSUED"
            by_dns = self.module.params["validation_method"] == "DNS"
            return status == "ISSUED" or not by_dns or records_complete(certificate)

        finished, certificate = wait_for(read, ready, timeout, POLL_SECONDS)
        status = certificate.get("Status")
        if failed:
            self.module.fail_json(
                msg=f"Certificate {arn} is {status}: {certificate.get('FailureReason', 'no reason given')}",
                certificate=camel_dict_to_snake_dict(certificate),
            )
        if not finished:
            self.module.fail_json(
                msg=f"Timed out after {timeout}s waiting for certificate {arn} "
                f"({'ISSUED' if issued else 'validation records'}); status {status}. "
                "Are the DNS validation records in place?",
                validation_records=validation_records(certificate),
            )
        return certificate


def present(module: AnsibleAWSModule, acm: Acm) -> None:
    domain_name = module.params["domain_name"]
    names = wanted_names(domain_name, module.params["subject_alternative_names"])
    name_tag = module.params["name_tag"]
    tags = desired_tags(module.params["tags"], name_tag)
    arn = module.params["certificate_arn"]

    if arn:
        certificate = acm.describe(arn)
        if certificate is None:
            module.fail_json(msg=f"Certificate {arn} does not exist")
        certificate["Tags"] = acm.tags(arn)
        matches = [certificate]
    else:
        matches = acm.find(domain_name, names, name_tag)
    if len(matches) > 1:
        module.fail_json(
            msg=f"{len(matches)} certificates match domain {domain_name} and Name tag {name_tag}; set certificate_arn",
            certificate_arns=[match["CertificateArn"] for match in matches],
        )

    changed = False
    before: dict[str, Any] = {}
    if matches:
        certificate = matches[0]
        arn = certificate["CertificateArn"]
        before = {"domain_name": certificate["DomainName"], "tags": dict(certificate["Tags"])}
        if module.params["tags"] is not None or name_tag:
            purge = module.params["purge_tags"] and module.params["tags"] is not None
            to_add, to_remove = compare_aws_tags(certificate["Tags"], tags, purge_tags=purge)
            if to_add or to_remove:
                changed = True
                if not module.check_mode:
                    acm.update_tags(arn, to_add, to_remove)
    else:
        changed = True
        if module.check_mode:
            module.exit_json(
                changed=True,
                status="PENDING_VALIDATION",
                validation_records=[],
                diff={"before": {}, "after": {"domain_name": domain_name, "tags": tags}},
            )
        token = idempotency_token(domain_name, names, name_tag)
        arn = acm.request(domain_name, names, module.params["validation_method"], tags, token)

    if module.check_mode:
        certificate = acm.describe(arn)
    else:
        certificate = acm.wait_for(arn, module.params["wait"], module.params["wait_timeout"])
    certificate["Tags"] = acm.tags(arn) if not module.check_mode else tags
    result: dict[str, Any] = {
        "changed": changed,
        "certificate_arn": arn,
        "status": certificate.get("Status"),
        "validation_records": validation_records(certificate),
        "certificate": camel_dict_to_snake_dict(certificate, ignore_list=["Tags"]),
    }
    if module._diff:
        result["diff"] = {"before": before, "after": {"domain_name": domain_name, "tags": tags}}
    module.exit_json(**result)


def absent(module: AnsibleAWSModule, acm: Acm) -> None:
    arn = module.params["certificate_arn"]
    if arn:
        arns = [arn] if acm.describe(arn) is not None else []
    else:
        matches = acm.find(module.params["domain_name"], None, module.params["name_tag"])
        arns = [match["CertificateArn"] for match in matches]
    if arns and not module.check_mode:
        for each in arns:
            acm.delete(each)
    result: dict[str, Any] = {"changed": bool(arns), "deleted_arns": arns}
    if module._diff:
        result["diff"] = {"before": {"certificate_arns": arns}, "after": {"certificate_arns": []}}
    module.exit_json(**result)


def main() -> None:
    argument_spec = dict(
        state=dict(type="str", choices=["present", "absent"], default="present"),
        domain_name=dict(type="str"),
        subject_alternative_names=dict(type="list", elements="str", default=[]),
        validation_method=dict(type="str", choices=["DNS", "EMAIL"], default="DNS"),
        name_tag=dict(type="str"),
        certificate_arn=dict(type="str"),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
        wait=dict(type="bool", default=False),
        wait_timeout=dict(type="int", default=600),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        supports_check_mode=True,
        required_if=[
            ["state", "present", ["domain_name"]],
            ["state", "absent", ["domain_name", "certificate_arn"], True],
        ],
    )
    acm = Acm(module)
    if module.params["state"] == "present":
        present(module, acm)
    else:
        absent(module, acm)


if __name__ == "__main__":
    main()
