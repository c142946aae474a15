# Copyright: Contributors to the payments.region_migration project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The hosted-zone and weighted-record options (their argument spec: _route53_weighted.HOSTED_ZONE_ARGUMENT_SPEC)."""

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  hosted_zone_id:
    description:
      - Id of the hosted zone that holds the record set.
      - Exactly one of O(hosted_zone_id) and O(zone) is required.
    type: str
  zone:
    description:
      - Name of the hosted zone that holds the record set, for example V(payments.example.com).
      - Exactly one of O(hosted_zone_id) and O(zone) is required.
    type: str
  private_zone:
    description:
      - Look O(zone) up among private hosted zones instead of public ones.
    type: bool
    default: false
  record_name:
    description:
      - Fully qualified name of the weighted record set, for example V(api.payments.example.com).
    type: str
    required: true
  record_type:
    description:
      - A type the name must have as a weighted record set; any type when omitted.
      - B(Every) weighted type of the name (for example C(A) and C(AAAA), which must have the same set
        identifiers) is read, and moved in the same atomic change by the modules that write, so that
        IPv4 and IPv6 clients never see different splits.
    type: str
    choices: [A, AAAA, CNAME, TXT, MX, SRV, PTR, SPF, NAPTR, CAA, DS, HTTPS, SVCB]
"""
