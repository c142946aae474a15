"""IAM: AWS-managed policies only in the ``aws`` partition, parsed once.

With ``MOTO_IAM_LOAD_MANAGED_POLICIES=true`` moto builds ~1,600 policy objects for every IAM
backend, i.e. for each of its six partitions, on start and again on every ``/moto-api/reset`` and
after it on the first request (which looks up the caller's access key in every partition). That
made each reset cost seconds. Only the ``aws`` partition is used here, so the other partitions get
no AWS-managed policies, and the policy document JSON is parsed once per process.
"""

from __future__ import annotations

import functools
import json


@functools.cache
def _policy_data() -> dict:
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    return json.loads(aws_managed_policies_data)


def _init_aws_policies(self):
    from moto.iam.models import AWSManagedPolicy
    from moto.settings import load_iam_aws_managed_policies

    if not load_iam_aws_managed_policies() or self.region_name != "aws":
        return []
    return [AWSManagedPolicy.from_data(name, self.account_id, self.region_name, data)
            for name, data in _policy_data().items()]


def install() -> None:
    from moto.iam.models import IAMBackend

    IAMBackend._init_aws_policies = _init_aws_policies
