#!/usr/bin/python

# Copyright: Contributors to the payments.region_migration project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: migration_lock
version_added: 1.0.0
short_description: Take or release an operator lock for the region migration, stored in SSM
description:
  - An exclusive lock that two operators (or two CI runs) cannot both hold, so that only one
    migration phase, rollback or teardown runs at a time.
  - The lock is an SSM Parameter Store parameter (no other infrastructure). Its value is a JSON
    object C({"owner", "run_id", "acquired", "expires", "purpose"}), times in ISO 8601 UTC.
  - A free lock is taken with C(PutParameter) and C(Overwrite=false), which SSM performs
    atomically; when two callers race, one of them gets C(ParameterAlreadyExists) and the module
    reports who holds the lock.
  - Ownership is per run. With O(run_id) (or when the lock records one) the holder is the pair
    O(owner) and O(run_id), so two runs of the same user - two terminals, two CI jobs - never both
    hold the lock. Without a run id anywhere, O(owner) alone is compared.
  - O(state=present) by the holder renews its lock while the run is alive - a new expiry
    O(ttl_seconds) from now - once less than half of O(ttl_seconds) is left, or when O(progress)
    changed; otherwise it changes nothing, so a repeated call is idempotent. Once the holder's own
    lock has expired it is replaced by a fresh one.
  - O(progress) (for example C({phase, bake_started, bake_seconds, step})) is stored in the lock;
    O(state=query) returns the lock, its holder, age, expiry and progress without changing anything,
    so that status can show an unfinished bake and a re-run can resume the remaining bake (the
    progress of a lock taken over is returned in RV(previous)).
  - A lock held by another owner makes the module fail, naming the holder, when it was acquired
    and when it expires, and how to break it; nothing is changed.
options:
  name:
    description:
      - Name of the SSM parameter that is the lock, for example
        C(/payments-region-migration/rehearsal/lock).
    required: true
    type: str
  owner:
    description:
      - Who takes or releases the lock (an operator, a CI job). Compared as a plain string.
      - Required unless O(state=query).
    type: str
  run_id:
    description:
      - Identifier of the run holding the lock (for example a CI pipeline ID or a per-playbook-run
        UUID). It is the identity of the holder - a run with another run id, even of the same
        O(owner), does not hold the lock.
    type: str
  progress:
    description:
      - Where the holding run is, stored in the lock (any JSON object), for example the keys
        C(phase), C(step), C(bake_started) (ISO 8601 UTC) and C(bake_seconds).
      - Omitted, the stored progress is kept.
    type: dict
    version_added: 1.1.0
  purpose:
    description:
      - What the lock is held for, recorded in the lock (for example C(shift phase 2)).
    type: str
  state:
    description:
      - V(present) takes (or renews) the lock, V(absent) releases it, V(query) only reads it.
    choices: [present, absent, query]
    default: present
    type: str
  ttl_seconds:
    description:
      - Lifetime of a newly taken lock. After it, the lock is stale and another owner can take it
        over with O(break_stale=true).
    type: int
    default: 3600
  break_stale:
    description:
      - Take over (O(state=present)) or release (O(state=absent)) another run's lock whose
        expiry has passed. Without it an expired lock still blocks.
    type: bool
    default: false
  force:
    description:
      - Take over (O(state=present)) or release (O(state=absent)) the lock even when another run
        holds it and it has not expired. Use only when that run is certainly dead (interrupted);
        its progress is returned in RV(previous).
    type: bool
    default: false
notes:
  - Supports check mode and diff mode.
  - Taking a free lock is atomic. Replacing a stale lock (O(break_stale)) or renewing an expired
    own lock is as atomic as SSM allows, which has no conditional overwrite; the module re-reads
    the parameter and checks its version immediately before deleting it, then re-creates it with
    C(Overwrite=false) and reads it back. The residual race is two operators breaking the same
    stale lock within the same fraction of a second; the slower one can delete the faster
    one's fresh lock after the faster one has already read its lock back, and both believe they
    hold it. A free lock being taken during a takeover is safe (one of the two
    C(Overwrite=false) writes fails).
  - The clocks of the machines running the module decide expiry; keep them in sync (NTP).
  - Needs C(ssm:GetParameter), C(ssm:PutParameter) and C(ssm:DeleteParameter) on the parameter.
author:
  - Payments platform engineering (@payments-platform)
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Take the migration lock before shifting traffic
  payments.region_migration.migration_lock:
    region: eu-west-1
    name: /payments-region-migration/rehearsal/lock
    owner: "{{ lookup('ansible.builtin.env', 'USER') }}"
    run_id: "{{ lookup('ansible.builtin.env', 'CI_PIPELINE_ID', default='manual') }}"
    purpose: shift phase 2
    ttl_seconds: 7200

- name: Release the migration lock
  payments.region_migration.migration_lock:
    region: eu-west-1
    name: /payments-region-migration/rehearsal/lock
    owner: "{{ lookup('ansible.builtin.env', 'USER') }}"
    state: absent

- name: Renew this run's lock before a 10 minute bake and record where the run is
  payments.region_migration.migration_lock:
    region: eu-west-1
    name: /payments-region-migration/rehearsal/lock
    owner: "{{ lookup('ansible.builtin.env', 'USER') }}"
    run_id: "{{ run_id }}"
    ttl_seconds: 900
    progress:
      phase: 2
      step: bake
      bake_started: "{{ now(utc=true, fmt='%Y-%m-%dT%H:%M:%SZ') }}"
      bake_seconds: 600

- name: Show who holds the lock and any unfinished bake
  payments.region_migration.migration_lock:
    region: eu-west-1
    name: /payments-region-migration/rehearsal/lock
    state: query
  register: lock_status

- name: Take over a lock whose holder crashed and which has expired
  payments.region_migration.migration_lock:
    region: eu-west-1
    name: /payments-region-migration/rehearsal/lock
    owner: alice
    break_stale: true
"""

RETURN = r"""
changed:
  description: Whether the lock was (or, in check mode, would be) taken, renewed, taken over or released.
  returned: always
  type: bool
lock:
  description:
    - The lock after the run (in check mode, as it would be); null when it is not held.
  returned: always
  type: dict
  contains:
    owner:
      description: Who holds the lock.
      type: str
      sample: alice
    run_id:
      description: The run holding the lock, when given.
      type: str
      sample: "4711"
    acquired:
      description: When the lock was taken (ISO 8601, UTC).
      type: str
      sample: "2026-11-27T14:00:00Z"
    expires:
      description: When the lock becomes stale (ISO 8601, UTC).
      type: str
      sample: "2026-11-27T15:00:00Z"
    purpose:
      description: What the lock is held for.
      type: str
      sample: shift phase 2
    renewed:
      description: When the holder last renewed the lock (ISO 8601, UTC); absent before the first renewal.
      type: str
    progress:
      description: The progress the holding run recorded; absent when none.
      type: dict
      sample: {"phase": 2, "step": "bake", "bake_started": "2026-11-27T14:10:00Z", "bake_seconds": 600}
status:
  description: With O(state=query), what the lock says about the run that holds it.
  returned: when O(state=query)
  type: dict
  contains:
    held:
      description: Whether anyone holds the lock.
      type: bool
    holder:
      description: Who holds it - owner, run, purpose, times and progress - in one line; null when free.
      type: str
    expired:
      description: Whether its expiry has passed (the run is probably dead); null when free.
      type: bool
    age_seconds:
      description: Seconds since the lock was taken; null when free.
      type: int
    expires_in_seconds:
      description: Seconds until it expires (negative once expired); null when free.
      type: int
    progress:
      description: The progress recorded by the holder; null when none.
      type: dict
previous:
  description: The lock found before the run; null when it was free.
  returned: always
  type: dict
  sample:
    owner: bob
    acquired: "2026-11-27T12:00:00Z"
    expires: "2026-11-27T13:00:00Z"
    purpose: rollback
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.payments.region_migration.plugins.module_utils._aws_client import (
    ClientCache,
)
from ansible_collections.payments.region_migration.plugins.module_utils._migration_lock import SsmLock


def main():
    argument_spec = dict(
        name=dict(type="str", required=True),
        owner=dict(type="str"),
        run_id=dict(type="str"),
        purpose=dict(type="str"),
        progress=dict(type="dict"),
        state=dict(type="str", choices=["present", "absent", "query"], default="present"),
        ttl_seconds=dict(type="int", default=3600),
        break_stale=dict(type="bool", default=False),
        force=dict(type="bool", default=False),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True,
                              required_if=[["state", "present", ["owner"]], ["state", "absent", ["owner"]]])
    module.exit_json(**SsmLock(module, module.params, ClientCache(module)("ssm")).run())


if __name__ == "__main__":
    main()
