# Copyright: Payments platform engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Checks of provision.yml (and the database role) on the inventory and the existing source stack.

Each check returns the list of problems it found, as operator-readable sentences; an empty list
means the check passed. The playbook then asserts ``problems | length == 0`` and prints the same
list as its message, so every rule is written once, here, and unit-tested
(tests/unit/plugins/filter/test_provision_checks.py).
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any

REGION_PATTERN = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")
SUFFIX_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,19}$")
# A container image reference with a registry host (ECR or another registry), a repository and a
# tag or digest: what `docker pull` on the instances needs.
IMAGE_PATTERN = re.compile(r"^[a-z0-9.-]+(:[0-9]+)?/[a-z0-9._/-]+(:[A-Za-z0-9._-]+|@sha256:[0-9a-f]{64})$")

# What each Aurora MySQL feature this collection uses needs, from the Amazon Aurora User Guide:
# - global_database: "Supported Regions and DB engines for Aurora global databases"
#   (Concepts.Aurora_Fea_Regions_DB-eng.Feature.GlobalDatabase): us-east-1 and eu-west-1 support
#   Aurora MySQL version 3 from 3.01.0 and version 2 from 2.07.0.
# - switchover: "Performing switchovers for Amazon Aurora global databases"
#   (aurora-global-database-disaster-recovery): primary and secondary must run the same major and
#   minor version (patch levels per "Patch level compatibility for managed cross-Region switchovers
#   and failovers"); the feature exists on every version 3 release with global database support
#   and on version 2 from 2.09.1.
# - global_writer_endpoint: "Connecting to Amazon Aurora Global Database"
#   (aurora-global-database-connecting): every global database has one; the guide names no
#   version floor beyond global database support (its example runs 2.11.2).
# - write_forwarding: "Using write forwarding in an Aurora MySQL global database"
#   (aurora-global-database-write-forwarding-ams): 2.08.1 and higher. Not used (the write path is
#   the global writer endpoint), listed for completeness.
# - rpo_lag_metric: the same switchover page: AuroraGlobalDBRPOLag exists for Aurora MySQL-based
#   global databases from 3.04.0 (version 3) and 2.12.0 (version 2); lower versions publish only
#   AuroraGlobalDBReplicationLag.
AURORA_MYSQL_FEATURES: dict[str, dict[str, Any]] = {
    "global_database": {"label": "Aurora global database", "minimum": {"3": "3.01.0", "2": "2.07.0"}},
    "switchover": {"label": "managed global database switchover (SwitchoverGlobalCluster)",
                   "minimum": {"3": "3.01.0", "2": "2.09.1"}},
    "global_writer_endpoint": {"label": "global writer endpoint (GlobalCluster.Endpoint)",
                               "minimum": {"3": "3.01.0", "2": "2.07.0"}},
    "write_forwarding": {"label": "global write forwarding (EnableGlobalWriteForwarding)",
                         "minimum": {"3": "3.01.0", "2": "2.08.1"}},
    "rpo_lag_metric": {"label": "CloudWatch metric AuroraGlobalDBRPOLag (lag gates and alarms)",
                       "minimum": {"3": "3.04.0", "2": "2.12.0"}},
}
# What provision.yml and the migration need: a global database, a switchover at phase 4, the global
# writer endpoint as the application's write path, and the RPO lag metric in the gates.
USED_FEATURES = ["global_database", "switchover", "global_writer_endpoint", "rpo_lag_metric"]


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, (str, list, dict)) and len(value) == 0)


def cidr_problem(name: str, value: Any) -> str | None:
    """Why ``value`` is not an IPv4 network in CIDR notation (None when it is one)."""
    try:
        network = ipaddress.ip_network(str(value), strict=True)
    except ValueError as error:
        return f"{name} {value!r} is not a CIDR block ({error})"
    if network.version != 4 or "/" not in str(value):
        return f"{name} {value!r} is not an IPv4 CIDR block such as 10.1.0.0/16"
    return None


def cidrs_overlap(first: str, second: str) -> bool:
    """Whether two IPv4 CIDR blocks share any address."""
    return ipaddress.ip_network(first, strict=False).overlaps(ipaddress.ip_network(second, strict=False))


def stack_input_problems(inputs: dict[str, Any]) -> list[str]:
    """The inventory's stack variables (group_vars/all/stack.yml), before any API call.

    ``inputs`` carries the inventory values under their inventory names (missing ones as None or "").
    """
    problems = []
    if not SUFFIX_PATTERN.match(str(inputs.get("migration_env_suffix") or "")):
        problems.append("migration_env_suffix (REQUIRED: lower-case letters, digits and -, at most 20 characters)")
    for name in ("migration_environment", "migration_domain_name", "migration_record_name", "migration_artifacts_dir"):
        if _blank(inputs.get(name)):
            problems.append(f"{name} (REQUIRED)")
    source, target = inputs.get("migration_source_region") or "", inputs.get("migration_target_region") or ""
    if not REGION_PATTERN.match(source):
        problems.append(f"migration_source_region {source!r} (an AWS region such as us-east-1)")
    if not REGION_PATTERN.match(target) or target == source:
        problems.append(f"migration_target_region {target!r} (an AWS region other than migration_source_region)")
    if not isinstance(inputs.get("migration_stack_tags"), dict):
        problems.append("migration_stack_tags (a dict of tags)")
    cidr = cidr_problem("migration_target_vpc_cidr", inputs.get("migration_target_vpc_cidr"))
    if cidr:
        problems.append(cidr)
    if "migration_app_image" in inputs:
        image = inputs.get("migration_app_image") or ""
        if not image:
            problems.append("migration_app_image (REQUIRED: the payment processor's container image, e.g. "
                            "<account>.dkr.ecr.<region>.amazonaws.com/payment-processor:<tag>)")
        elif not IMAGE_PATTERN.match(image):
            problems.append(f"migration_app_image {image!r} (registry/repository:tag or @sha256:digest)")
    return problems


def source_input_problems(inputs: dict[str, Any]) -> list[str]:
    """The inventory's names of the existing source stack (group_vars/all/source.yml), before any API call."""
    problems = []
    pairs = [("source_vpc_id", "source_vpc_name"), ("source_route_table_ids", "source_route_table_names"),
             ("source_alb_arn", "source_alb_name")]
    for first, second in pairs:
        if _blank(inputs.get(first)) and _blank(inputs.get(second)):
            problems.append(f"{first} or {second} (REQUIRED)")
    for name in ("source_cluster_identifier", "source_global_cluster_identifier", "source_hosted_zone_name",
                 "source_record_name"):
        if _blank(inputs.get(name)):
            problems.append(f"{name} (REQUIRED)")

    def _fqdn(value: Any) -> str:
        return str(value or "").lower().rstrip(".")

    for source_name, stack_name in (("source_record_name", "migration_record_name"),
                                    ("source_hosted_zone_name", "migration_domain_name")):
        if not _blank(inputs.get(source_name)) and _fqdn(inputs.get(source_name)) != _fqdn(inputs.get(stack_name)):
            problems.append(f"{source_name} {inputs.get(source_name)!r} must equal {stack_name} "
                            f"{inputs.get(stack_name)!r}")
    if not _blank(inputs.get("source_vpc_cidr")):
        cidr = cidr_problem("source_vpc_cidr", inputs.get("source_vpc_cidr"))
        if cidr:
            problems.append(cidr)
    return problems


def vpc_cidr_problems(source_cidr: str, target_cidr: str, expected_source_cidr: str = "",
                      source_name: str = "the source VPC") -> list[str]:
    """The looked-up source VPC CIDR against the inventory's expectation and the target VPC CIDR.

    VPC peering needs disjoint address ranges (Amazon VPC Peering Guide, "VPC peering limitations":
    no peering between VPCs with matching or overlapping IPv4 CIDR blocks).
    """
    problems = [p for p in (cidr_problem(source_name + " CIDR", source_cidr),
                            cidr_problem("migration_target_vpc_cidr", target_cidr)) if p]
    if problems:
        return problems
    expected = ipaddress.ip_network(expected_source_cidr, strict=False) if expected_source_cidr else None
    if expected is not None and expected != ipaddress.ip_network(source_cidr):
        problems.append(f"{source_name} has CIDR {source_cidr}, but the inventory says source_vpc_cidr "
                        f"{expected_source_cidr}")
    if cidrs_overlap(source_cidr, target_cidr):
        problems.append(f"{source_name} CIDR {source_cidr} overlaps the target VPC CIDR {target_cidr} "
                        "(migration_target_vpc_cidr): VPC peering needs disjoint ranges")
    return problems


def aurora_release(engine_version: str) -> str:
    """The Aurora MySQL release of an engine version: 8.0.mysql_aurora.3.05.2 -> 3.05.2 ("" when none)."""
    match = re.search(r"mysql_aurora\.(\d+(?:\.\d+)*)$", str(engine_version or ""))
    return match.group(1) if match else ""


def _version_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def aurora_feature_problems(engine: str, engine_version: str, features: list[str] | None = None) -> list[str]:
    """Which of ``features`` (keys of AURORA_MYSQL_FEATURES, default USED_FEATURES) the engine
    version lacks, each naming the Aurora MySQL release it needs."""
    features = USED_FEATURES if features is None else features
    unknown = [f for f in features if f not in AURORA_MYSQL_FEATURES]
    if unknown:
        return [f"unknown Aurora feature(s) {unknown}; known: {sorted(AURORA_MYSQL_FEATURES)}"]
    if engine != "aurora-mysql":
        return [f"engine {engine!r}: this collection supports aurora-mysql global databases only"]
    release = aurora_release(engine_version)
    if not release:
        return [f"engine version {engine_version!r} is not an Aurora MySQL version (<mysql>.mysql_aurora.<release>)"]
    major = release.split(".")[0]
    problems = []
    for feature in features:
        spec = AURORA_MYSQL_FEATURES[feature]
        minimum = spec["minimum"].get(major)
        if minimum is None:
            problems.append(f"{spec['label']} is not available on Aurora MySQL {release} (version {major})")
        elif _version_tuple(release) < _version_tuple(minimum):
            problems.append(f"{spec['label']} needs Aurora MySQL {minimum} or newer; {engine_version} is {release}")
    return problems


def global_cluster_problems(global_clusters: list[dict[str, Any]], global_cluster_identifier: str,
                            cluster_arn: str, engine: str = "aurora-mysql") -> list[str]:
    """The source primary against the global databases DescribeGlobalClusters returned (which may be
    all of them): it must not belong to another one, and an existing one of the inventory's name
    must have it as a member and run the same engine."""
    memberships = sorted(
        g.get("global_cluster_identifier") for g in global_clusters
        if cluster_arn in [m.get("db_cluster_arn") for m in g.get("global_cluster_members") or []])
    others = [name for name in memberships if name != global_cluster_identifier]
    if others:
        return [f"the source cluster {cluster_arn} already belongs to the global cluster(s) {', '.join(others)}, "
                f"not to source_global_cluster_identifier {global_cluster_identifier}"]
    named = [g for g in global_clusters if g.get("global_cluster_identifier") == global_cluster_identifier]
    if not named:
        return []
    problems = []
    if global_cluster_identifier not in memberships:
        members = [m.get("db_cluster_arn") for m in named[0].get("global_cluster_members") or []]
        problems.append(f"the global cluster {global_cluster_identifier} exists but {cluster_arn} is not one of its "
                        f"members ({', '.join(members) or 'none'}): the inventory names two different databases")
    if named[0].get("engine") != engine:
        problems.append(f"the global cluster {global_cluster_identifier} runs {named[0].get('engine')}, not {engine}")
    return problems


def _non_default(parameters: list[dict[str, Any]] | None) -> dict[str, dict[str, Any]]:
    """Parameters set by the user: DescribeDBClusterParameters marks them Source=user (an entry
    without a source, as returned with Source=user filtering, counts as set)."""
    return {p["parameter_name"]: p for p in parameters or []
            if p.get("parameter_name") and p.get("source", "user") == "user" and p.get("parameter_value") is not None}


def cluster_parameter_differences(primary: dict[str, Any], secondary: dict[str, Any]) -> list[str]:
    """How the secondary's cluster parameter group differs from the primary's.

    Each argument: ``{"name": ..., "family": ..., "parameters": [...]}``, parameters as
    amazon.aws.rds_cluster_param_group_info returns them in ``db_parameters`` (snake_case:
    parameter_name, parameter_value, source, apply_type). Compared: the family and every
    non-default (Source=user) parameter of either group. The User Guide ("Performing switchovers",
    "Configure Aurora DB cluster parameter group for the new primary") recommends identical settings,
    because a promoted secondary keeps its own group.
    """
    problems = []
    if primary.get("family") != secondary.get("family"):
        problems.append(f"parameter group family: primary {primary.get('name')} {primary.get('family')}, "
                        f"secondary {secondary.get('name')} {secondary.get('family')}")
    wanted, found = _non_default(primary.get("parameters")), _non_default(secondary.get("parameters"))
    for name in sorted(set(wanted) | set(found)):
        have = found.get(name, {}).get("parameter_value")
        want = wanted.get(name, {}).get("parameter_value")
        if str(have) != str(want):
            problems.append(f"{name}: primary {'(default)' if want is None else want}, "
                            f"secondary {'(default)' if have is None else have}")
    return problems


def parameter_group_from_info(info: dict[str, Any] | None) -> dict[str, Any] | None:
    """The first group of an amazon.aws.rds_cluster_param_group_info result (include_parameters:
    user) in the form cluster_parameter_differences compares; None when nothing was read."""
    groups = (info or {}).get("db_cluster_parameter_groups") or []
    if not groups:
        return None
    group = groups[0]
    return {"name": group.get("db_cluster_parameter_group_name"), "family": group.get("db_parameter_group_family"),
            "parameters": group.get("db_parameters") or []}


def cluster_parameter_group_check(infos: list[dict[str, Any]] | None) -> dict[str, Any]:
    """Preflight's verdict on the two clusters' parameter groups: ``infos`` are the
    rds_cluster_param_group_info results of the primary's group and the secondary's, in that order.
    Not readable is a failure, never a pass."""
    primary, secondary = (list(map(parameter_group_from_info, infos or [])) + [None, None])[:2]
    if primary is None or secondary is None:
        return {"ok": False, "detail": "cannot read both cluster parameter groups"}
    problems = cluster_parameter_differences(primary, secondary)
    if problems:
        return {"ok": False, "detail": "; ".join(problems)}
    return {"ok": True, "detail": f"same family and non-default parameters ({primary['name']}, {secondary['name']})"}


def cluster_parameters_to_apply(parameters: list[dict[str, Any]] | None) -> list[dict[str, str]]:
    """The primary's non-default parameters in the form amazon.aws.rds_cluster_param_group takes.
    Static parameters apply at the next reboot, dynamic ones immediately (ModifyDBClusterParameterGroup
    ApplyMethod)."""
    return [{"parameter_name": name, "parameter_value": str(p["parameter_value"]),
             "apply_method": "pending-reboot" if p.get("apply_type") == "static" else "immediate"}
            for name, p in sorted(_non_default(parameters).items())]


def parameter_group_family(engine: str, engine_version: str) -> str:
    """The default cluster parameter group family of an engine version: aurora-mysql 8.0.* -> aurora-mysql8.0."""
    return f"{engine}{'.'.join(str(engine_version).split('.')[:2])}"


class FilterModule:
    """Checks of the inventory and of the existing source stack (provision.yml, database role, preflight)."""

    def filters(self) -> dict[str, Any]:
        return {
            "provision_stack_input_problems": stack_input_problems,
            "provision_source_input_problems": source_input_problems,
            "provision_vpc_cidr_problems": vpc_cidr_problems,
            "provision_cidrs_overlap": cidrs_overlap,
            "provision_aurora_feature_problems": aurora_feature_problems,
            "provision_global_cluster_problems": global_cluster_problems,
            "cluster_parameter_differences": cluster_parameter_differences,
            "cluster_parameter_group_check": cluster_parameter_group_check,
            "cluster_parameters_to_apply": cluster_parameters_to_apply,
            "cluster_parameter_group_family": parameter_group_family,
        }
