"""IAM: AWS-managed policies only in the ``aws`` partition, parsed once.

With ``MOTO_IAM_LOAD_MANAGED_POLICIES=true`` moto builds ~1,600 policy objects for every IAM
backend, i.e. for each of its six partitions, on start and again on every ``/moto-api/reset`` and
after it on the first request (which looks up the caller's access key in every partition). That
made each reset cost seconds. Only the ``aws`` partition is used here, so the other partitions get
no AWS-managed policies, and the policy documents are parsed (and re-serialised, and their dates
parsed) once per process.
"""

from __future__ import annotations

import functools
import json


@functools.cache
def _policy_arguments() -> dict:
    """Per policy name, the constructor arguments AWSManagedPolicy.from_data derives from moto's data (the
    document serialised, the dates parsed): computed once per process instead of on every reset."""
    from datetime import datetime

    from moto.iam.aws_managed_policies import aws_managed_policies_data

    return {name: {"default_version_id": data.get("DefaultVersionId"), "path": data.get("Path"),
                   "document": json.dumps(data.get("Document")),
                   "create_date": datetime.fromisoformat(data["CreateDate"]),
                   "update_date": datetime.fromisoformat(data["UpdateDate"])}
            for name, data in json.loads(aws_managed_policies_data).items()}


def _init_aws_policies(self):
    from moto.iam.models import AWSManagedPolicy
    from moto.settings import load_iam_aws_managed_policies

    if not load_iam_aws_managed_policies() or self.region_name != "aws":
        return []
    # New policy objects each time (they count their attachments), from the shared, immutable arguments.
    return [AWSManagedPolicy(name, account_id=self.account_id, region=self.region_name, **arguments)
            for name, arguments in _policy_arguments().items()]


def install() -> None:
    from moto.iam.models import IAMBackend

    IAMBackend._init_aws_policies = _init_aws_policies
