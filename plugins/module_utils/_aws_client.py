# Copyright: Contributors to the payments.region_migration project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The one AWS helper of this collection: error classes, retry policy, client cache.

Private to this collection. Every call made through these clients passes ``aws_retry=True`` so that
throttling (and Route 53's PriorRequestNotComplete) is retried with jittered backoff
(``AWSRetry.jittered_backoff`` of amazon.aws, which also retries the throttling codes it knows).
"""

from __future__ import annotations

try:
    from botocore.exceptions import BotoCoreError, ClientError

    AWS_ERRORS: tuple = (ClientError, BotoCoreError)
except ImportError:
    AWS_ERRORS = ()  # AnsibleAWSModule fails first when botocore is missing

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code  # noqa: F401  # pylint: disable=unused-import
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

# The one retry policy: short delays so that a waiting playbook is not held up for long by a
# burst of throttling; Route 53 answers PriorRequestNotComplete while a change is being applied.
RETRY_DECORATOR = AWSRetry.jittered_backoff(
    retries=10, delay=1, max_delay=20, catch_extra_error_codes=["PriorRequestNotComplete"]
)

# Route 53 is a global service; its API is signed for us-east-1 in the commercial partition.
ROUTE53_DEFAULT_REGION = "us-east-1"


def arn_region(arn: str | None) -> str | None:
    """The region field of an ARN (empty for global resources -> None), None if it is not an ARN."""
    if not arn or not arn.startswith("arn:"):
        return None
    parts = arn.split(":")
    if len(parts) < 6:
        return None
    return parts[3] or None


class ClientCache:
    """Creates each (service, region) client once for a module run, with the retry policy."""

    def __init__(self, module, default_region: str | None = None):
        self.module = module
        self.default_region = default_region or module.region
        self._clients = {}

    def __call__(self, service: str, region: str | None = None):
        if service == "route53":
            region = region or self.default_region or ROUTE53_DEFAULT_REGION
        else:
            region = region or self.default_region
        key = (service, region)
        if key not in self._clients:
            extra = {"region": region} if region else {}
            try:
                self._clients[key] = self.module.client(service, retry_decorator=RETRY_DECORATOR, **extra)
            except AWS_ERRORS as e:
                self.module.fail_json_aws(e, msg=f"Failed to connect to {service} in {region}")
        return self._clients[key]

    def for_arn(self, service: str, arn: str):
        """The client of the region an ARN names (the default region for a global ARN)."""
        return self(service, arn_region(arn))
