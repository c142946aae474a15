# Copyright: Contributors to the payments.region_migration project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Clients for the migration modules: retrying, one per service and region, Route 53 without a region.

Private to this collection. Every call made through these clients passes ``aws_retry=True`` so that
throttling (and Route 53's PriorRequestNotComplete) is retried with jittered backoff.
"""

from __future__ import annotations

from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

RETRY_DECORATOR = AWSRetry.jittered_backoff(
    retries=10, delay=1, max_delay=20, catch_extra_error_codes=["PriorRequestNotComplete"]
)

# Route 53 is a global service; its API is signed for us-east-1 in the commercial partition.
ROUTE53_DEFAULT_REGION = "us-east-1"


class ClientCache:
    """Creates each (service, region) client once for a module run."""

    def __init__(self, module):
        self.module = module
        self._clients = {}

    def __call__(self, service: str, region: str | None = None):
        if service == "route53":
            region = region or self.module.region or ROUTE53_DEFAULT_REGION
        else:
            region = region or self.module.region
        key = (service, region)
        if key not in self._clients:
            extra = {"region": region} if region else {}
            self._clients[key] = self.module.client(service, retry_decorator=RETRY_DECORATOR, **extra)
        return self._clients[key]
