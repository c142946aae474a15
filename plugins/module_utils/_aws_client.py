# Copyright: Contributors to the payments.region_migration project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The one AWS helper of this collection: error classes, retry policy, client cache.

Private to this collection. Every call made through these clients passes ``aws_retry=True`` so that
throttling (and Route 53's PriorRequestNotComplete) is retried with jittered backoff
(``AWSRetry.jittered_backoff`` of amazon.aws, which also retries the throttling codes it knows).

The clients of one module run share one boto3 session. ``AnsibleAWSModule.client`` builds a new
session for every client, and each new session loads and parses the endpoint data and the service
model again (botocore's ``Loader`` caches per session); a gate that reads six services in two regions
paid that a dozen times. The connection settings are amazon.aws's own
(``get_aws_connection_info``: endpoint, credentials, profile, ``aws_config``, certificate checks).
"""

from __future__ import annotations

try:
    import boto3
    import botocore.config
    from botocore.exceptions import BotoCoreError, ClientError

    AWS_ERRORS: tuple = (ClientError, BotoCoreError)
except ImportError:
    AWS_ERRORS = ()  # AnsibleAWSModule fails first when botocore is missing

from ansible_collections.amazon.aws.plugins.module_utils.botocore import enable_placebo, get_aws_connection_info
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry, RetryingBotoClientWrapper

# Re-exported for this collection's module_utils (one import place for the AWS helpers); on a line of its
# own so that pylint's disable applies to it (ansible-test sanity).
# isort: off
from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code  # noqa: F401  # pylint: disable=unused-import
# isort: on

try:  # the user agent amazon.aws sends (APN/1.0 Ansible/<version> <collection>/<version>)
    from ansible_collections.amazon.aws.plugins.module_utils.botocore import _get_user_agent_string as _user_agent
except ImportError:  # pragma: no cover - an amazon.aws without it: botocore's default user agent
    _user_agent = None

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
        self._session = None

    def _connect(self, service: str, region: str | None):
        """A client of the run's one session, configured as ``AnsibleAWSModule.client`` configures it."""
        default_region, endpoint_url, params = get_aws_connection_info(self.module)
        params = dict(params)
        profile = params.pop("profile_name", None)
        config = botocore.config.Config(user_agent=_user_agent()) if _user_agent else botocore.config.Config()
        extra = params.pop("aws_config", None)
        if extra is not None:
            if not isinstance(extra, botocore.config.Config):
                extra = botocore.config.Config(**extra)
            config = config.merge(extra)
        if self._session is None:
            self._session = boto3.session.Session(profile_name=profile)
            enable_placebo(self._session)
        client = self._session.client(service, config=config, region_name=region or default_region,
                                      endpoint_url=endpoint_url, **params)
        return RetryingBotoClientWrapper(client, RETRY_DECORATOR)

    def __call__(self, service: str, region: str | None = None):
        if service == "route53":
            region = region or self.default_region or ROUTE53_DEFAULT_REGION
        else:
            region = region or self.default_region
        key = (service, region)
        if key not in self._clients:
            try:
                self._clients[key] = self._connect(service, region)
            except (ValueError, *AWS_ERRORS) as e:  # as amazon.aws's boto3_conn: a bad endpoint, no region
                self.module.fail_json_aws(e, msg=f"Failed to connect to {service} in {region}")
        return self._clients[key]

    def for_arn(self, service: str, arn: str):
        """The client of the region an ARN names (the default region for a global ARN)."""
        return self(service, arn_region(arn))
