#!/usr/bin/python

# Copyright: Contributors to the payments.region_migration project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: rds_global_cluster
version_added: 1.0.0
short_description: Create, detach members from and delete Aurora global database clusters
description:
  - Creates an Aurora global database (global cluster), either from an existing DB cluster that
    becomes its primary (writer) or empty with an O(engine).
  - Detaches member clusters with C(RemoveFromGlobalCluster) (O(remove_members)), for example the
    secondary cluster before it is torn down. A detached cluster becomes a stand-alone cluster.
  - Deletes a global cluster that has no members left.
  - Global clusters are global, but the API is called in a region; the module uses O(region), the
    source cluster's region for creation and each member's own region to detach it.
  - C(amazon.aws) only has M(amazon.aws.rds_global_cluster_info); this module completes it.
  - Secondary clusters are added with M(amazon.aws.rds_cluster) and its C(global_cluster_identifier)
    option, in the secondary region.
author:
  - Payments platform engineering (@payments-platform)
options:
  global_cluster_identifier:
    description:
      - The identifier of the global cluster (not case-sensitive).
    required: true
    type: str
  source_db_cluster_identifier:
    description:
      - ARN of an existing DB cluster that becomes the primary (writer) of a new global cluster.
      - A plain DB cluster identifier is resolved to its ARN in O(region).
      - Required to create a global cluster unless O(engine) is given.
      - When the global cluster exists already and this cluster is not a member, the module only
        warns (it never re-sources an existing global cluster) and lists it in RV(differences).
    type: str
  engine:
    description:
      - Engine of a global cluster created without a source cluster, for example V(aurora-mysql).
      - With O(source_db_cluster_identifier) the engine is inherited; when given it must match
        the source cluster's engine.
    type: str
  engine_version:
    description:
      - Engine version of a global cluster created without a source cluster.
      - With O(source_db_cluster_identifier) the version is inherited; when given it must match.
      - An existing global cluster with another version is reported in RV(differences), not upgraded.
    type: str
  storage_encrypted:
    description:
      - Whether a global cluster created without a source cluster is encrypted.
      - With O(source_db_cluster_identifier) it is inherited; when given it must match.
    type: bool
  deletion_protection:
    description:
      - Whether the global cluster is protected against deletion.
      - Changed with C(ModifyGlobalCluster) on an existing global cluster.
      - O(state=absent) refuses to delete a protected global cluster.
    type: bool
  remove_members:
    description:
      - ARNs of member clusters to detach from the global cluster with C(RemoveFromGlobalCluster).
      - Clusters that are not (or no longer) members are ignored, so the option is idempotent.
      - With O(state=present) but neither O(source_db_cluster_identifier) nor O(engine), a global
        cluster that does not exist is not created; there is nothing to detach and nothing changes.
      - Secondary clusters are detached before the writer.
      - With O(state=absent) the global cluster is deleted once the listed clusters are detached;
        the module refuses (and changes nothing) if other members would remain.
    type: list
    elements: str
    default: []
  state:
    description:
      - V(present) creates the global cluster if needed and applies O(deletion_protection) and
        O(remove_members).
      - V(absent) detaches O(remove_members) and deletes the global cluster. It fails, changing
        nothing, while other member clusters remain.
    choices: [present, absent]
    default: present
    type: str
  wait:
    description:
      - Wait until a created global cluster is available, detached members are gone from it and a
        deleted global cluster no longer exists.
      - Detaching before a deletion is always waited for, because the deletion needs it.
    type: bool
    default: true
  wait_timeout:
    description:
      - How many seconds to wait.
    type: int
    default: 900
notes:
  - Supports check mode and diff mode.
  - Engine, engine version, storage encryption and the source cluster of an existing global
    cluster cannot be changed by this module; differences are reported as warnings and in
    RV(differences).
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Make the us-east-1 payments cluster the primary of a global database
  payments.region_migration.rds_global_cluster:
    region: us-east-1
    global_cluster_identifier: gdb-payments-rehearsal
    source_db_cluster_identifier: arn:aws:rds:us-east-1:123456789012:cluster:aurora-payments-rehearsal
    deletion_protection: true
  register: rds_global_cluster_result

- name: Detach the eu-west-1 secondary before it is torn down
  payments.region_migration.rds_global_cluster:
    region: eu-west-1
    global_cluster_identifier: gdb-payments-rehearsal
    remove_members:
      - arn:aws:rds:eu-west-1:123456789012:cluster:aurora-payments-rehearsal-euw1

- name: Delete the global database once only the primary is left, detaching it
  payments.region_migration.rds_global_cluster:
    region: us-east-1
    global_cluster_identifier: gdb-payments-rehearsal
    remove_members:
      - arn:aws:rds:us-east-1:123456789012:cluster:aurora-payments-rehearsal
    state: absent
"""

RETURN = r"""
changed:
  description: Whether the global cluster was (or, in check mode, would be) created, modified, detached from or deleted.
  returned: always
  type: bool
global_cluster:
  description:
    - The global cluster after the run, in snake_case (in check mode, as it would be).
    - Empty when it does not exist.
  returned: always
  type: dict
  contains:
    global_cluster_identifier:
      description: The identifier of the global cluster.
      type: str
      sample: gdb-payments-rehearsal
    global_cluster_arn:
      description: The ARN of the global cluster.
      type: str
      sample: arn:aws:rds::123456789012:global-cluster:gdb-payments-rehearsal
    global_cluster_resource_id:
      description: The immutable resource identifier.
      type: str
      sample: cluster-0123456789abcdef
    status:
      description: The status of the global cluster.
      type: str
      sample: available
    engine:
      description: The database engine.
      type: str
      sample: aurora-mysql
    engine_version:
      description: The engine version.
      type: str
      sample: 8.0.mysql_aurora.3.05.2
    storage_encrypted:
      description: Whether the storage is encrypted.
      type: bool
    deletion_protection:
      description: Whether deletion protection is enabled.
      type: bool
    global_cluster_members:
      description: The member clusters.
      type: list
      elements: dict
      contains:
        db_cluster_arn:
          description: ARN of the member cluster.
          type: str
          sample: arn:aws:rds:us-east-1:123456789012:cluster:aurora-payments-rehearsal
        is_writer:
          description: Whether this member is the primary (writer).
          type: bool
        readers:
          description: ARNs of the secondary clusters (on the writer).
          type: list
          elements: str
    failover_state:
      description: A switchover or failover in progress, if any.
      type: dict
      returned: when a switchover or failover was requested
differences:
  description: Differences between the options and an existing global cluster that the module cannot change.
  returned: always
  type: list
  elements: str
  sample: ["engine_version is '8.0.mysql_aurora.3.04.0', not '8.0.mysql_aurora.3.05.2' (cannot be changed)"]
removed_members:
  description: ARNs of the member clusters that were (or would be) detached.
  returned: always
  type: list
  elements: str
"""

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.payments.region_migration.plugins.module_utils._rds_global import (
    AWS_ERRORS,
    RDSClients,
    find_member,
    global_cluster_differences,
    is_arn,
    member_arns,
    members_after_removal,
    predicted_global_cluster,
    region_from_arn,
    same_cluster,
    wait_for,
    writer_arn,
)


def snake(global_cluster):
    if not global_cluster:
        return {}
    return camel_dict_to_snake_dict(global_cluster, ignore_list=["TagList"])


class GlobalClusterManager:
    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.identifier = module.params["global_cluster_identifier"]
        # Without a region option, fall back to the region of the source or of a member to detach.
        hints = [module.params["source_db_cluster_identifier"]] + module.params["remove_members"]
        fallback = next((region_from_arn(arn) for arn in hints if arn and region_from_arn(arn)), None)
        self.clients = RDSClients(module, module.region or fallback)
        self.changed = False
        self.warnings = []
        self.removed = []

    # -- reads ------------------------------------------------------------------------------
    def describe(self, region=None):
        return self.clients.global_cluster(self.identifier, region)

    def resolve_source(self):
        """The source DB cluster (dict), looked up by ARN in its own region or by id in O(region)."""
        return self.clients.resolve_cluster(self.params["source_db_cluster_identifier"], "Source")

    def desired(self):
        return {
            "Engine": self.params["engine"],
            "EngineVersion": self.params["engine_version"],
            "StorageEncrypted": self.params["storage_encrypted"],
            "DeletionProtection": self.params["deletion_protection"],
            "SourceDBClusterIdentifier": self.params["source_db_cluster_identifier"],
        }

    def wait(self, region, done, what):
        timeout = self.params["wait_timeout"]
        finished, value = wait_for(lambda: self.describe(region), done, timeout, 5 if timeout > 60 else 1)
        if not finished:
            self.module.fail_json(
                msg=f"Timed out after {timeout}s waiting for global cluster {self.identifier} {what}",
                changed=self.changed, global_cluster=snake(value), removed_members=self.removed,
            )
        return value

    # -- writes -----------------------------------------------------------------------------
    def create(self):
        desired = self.desired()
        source = None
        region = None
        if desired["SourceDBClusterIdentifier"]:
            source = self.resolve_source()
            region = region_from_arn(source["DBClusterArn"])
            for key, label in (("Engine", "engine"), ("EngineVersion", "engine_version"),
                               ("StorageEncrypted", "storage_encrypted")):
                if desired[key] is not None and str(desired[key]).lower() != str(source.get(key)).lower():
                    self.module.fail_json(
                        msg=f"{label}={desired[key]!r} does not match source DB cluster {source['DBClusterArn']} "
                        f"({source.get(key)!r}); a global cluster inherits it from its source cluster"
                    )
        elif not desired["Engine"]:
            self.module.fail_json(
                msg=f"Global cluster {self.identifier} does not exist; give source_db_cluster_identifier "
                "(or engine) to create it"
            )
        self.changed = True
        if self.module.check_mode:
            return predicted_global_cluster(self.identifier, desired, source)
        params = {"GlobalClusterIdentifier": self.identifier}
        if source:
            params["SourceDBClusterIdentifier"] = source["DBClusterArn"]
        else:
            for key in ("Engine", "EngineVersion", "StorageEncrypted"):
                if desired[key] is not None:
                    params[key] = desired[key]
        if desired["DeletionProtection"] is not None:
            params["DeletionProtection"] = desired["DeletionProtection"]
        try:
            created = self.clients(region).create_global_cluster(aws_retry=True, **params)["GlobalCluster"]
        except AWS_ERRORS as e:
            self.module.fail_json_aws(e, msg=f"Failed to create global cluster {self.identifier}")
        if self.params["wait"]:
            return self.wait(region, lambda gc: bool(gc) and gc.get("Status") == "available", "to become available")
        return self.describe(region) or created

    def set_deletion_protection(self, current):
        wanted = self.params["deletion_protection"]
        if wanted is None or bool(current.get("DeletionProtection")) == wanted:
            return current
        self.changed = True
        if self.module.check_mode:
            return dict(current, DeletionProtection=wanted)
        try:
            self.clients().modify_global_cluster(
                GlobalClusterIdentifier=self.identifier, DeletionProtection=wanted, aws_retry=True
            )
        except AWS_ERRORS as e:
            self.module.fail_json_aws(e, msg=f"Failed to set deletion protection of global cluster {self.identifier}")
        return self.describe() or dict(current, DeletionProtection=wanted)

    def remove_members(self, current, always_wait=False):
        """Detach the listed members that are still members: secondaries first, the writer last."""
        wanted = [find_member(current, arn) for arn in self.params["remove_members"]]
        todo = [arn for arn in dict.fromkeys(wanted) if arn]
        if not todo:
            return current
        writer = writer_arn(current)
        todo.sort(key=lambda arn: arn == writer)
        self.changed = True
        self.removed = todo
        if self.module.check_mode:
            return members_after_removal(current, todo)
        for arn in todo:
            try:
                self.clients.for_arn(arn).remove_from_global_cluster(
                    GlobalClusterIdentifier=self.identifier, DbClusterIdentifier=arn, aws_retry=True
                )
            except AWS_ERRORS as e:
                self.module.fail_json_aws(
                    e, msg=f"Failed to detach DB cluster {arn} from global cluster {self.identifier}",
                    changed=self.changed,
                )
        if self.params["wait"] or always_wait:
            return self.wait(
                None, lambda gc: gc is None or all(find_member(gc, arn) is None for arn in todo),
                f"to lose members {', '.join(todo)}",
            )
        return self.describe() or members_after_removal(current, todo)

    def delete(self, current):
        self.changed = True
        if self.module.check_mode:
            return None
        try:
            self.clients().delete_global_cluster(GlobalClusterIdentifier=self.identifier, aws_retry=True)
        except AWS_ERRORS as e:
            self.module.fail_json_aws(e, msg=f"Failed to delete global cluster {self.identifier}", changed=self.changed)
        if self.params["wait"]:
            self.wait(None, lambda gc: gc is None, "to be deleted")
        return None

    # -- states -----------------------------------------------------------------------------
    def present(self, current):
        differences = []
        if current is None and self.params["remove_members"] and not (
            self.params["source_db_cluster_identifier"] or self.params["engine"]
        ):
            # Detaching from a global cluster that is gone already (a re-run of a teardown).
            self.module.warn(f"Global cluster {self.identifier} does not exist; there are no members to detach")
            return None, differences
        if current is None:
            after = self.create()
        else:
            differences = global_cluster_differences(current, self.desired())
            after = self.set_deletion_protection(current)
        after = self.remove_members(after)
        return after, differences

    def absent(self, current):
        if current is None:
            return None, []
        remaining = [
            arn for arn in member_arns(current)
            if not any(same_cluster(arn, r) for r in self.params["remove_members"])
        ]
        if remaining:
            arns = ", ".join(remaining)
            self.module.fail_json(
                msg=f"Global cluster {self.identifier} still has member clusters ({arns}); nothing was changed. "
                "Detach them first (list them in remove_members, secondaries are detached before the writer) "
                "or delete them",
                global_cluster=snake(current),
            )
        if current.get("DeletionProtection"):
            self.module.fail_json(
                msg=f"Global cluster {self.identifier} has deletion protection enabled; nothing was changed. "
                "Run with state=present and deletion_protection=false first",
                global_cluster=snake(current),
            )
        after = self.remove_members(current, always_wait=True)
        return self.delete(after), []

    def run(self):
        for arn in self.params["remove_members"]:
            if not is_arn(arn):
                self.module.fail_json(msg=f"remove_members takes DB cluster ARNs; {arn!r} is not an ARN")
        current = self.describe()
        if self.params["state"] == "present":
            after, differences = self.present(current)
        else:
            after, differences = self.absent(current)
        for difference in differences:
            self.module.warn(f"Global cluster {self.identifier}: {difference}")
        result = {
            "changed": self.changed,
            "global_cluster": snake(after),
            "differences": differences,
            "removed_members": self.removed,
        }
        if self.module._diff:
            result["diff"] = {"before": snake(current), "after": snake(after)}
        return result


def main():
    argument_spec = dict(
        global_cluster_identifier=dict(type="str", required=True),
        source_db_cluster_identifier=dict(type="str"),
        engine=dict(type="str"),
        engine_version=dict(type="str"),
        storage_encrypted=dict(type="bool"),
        deletion_protection=dict(type="bool"),
        remove_members=dict(type="list", elements="str", default=[]),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=900),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    module.exit_json(**GlobalClusterManager(module).run())


if __name__ == "__main__":
    main()
