"""The collection as users get it: the built tarball, an execution environment, ansible-runner.

- ``ansible-builder create`` makes the execution environment's build context offline from
  ee/execution-environment.yml: the collection's tarball, amazon.aws and community.aws, and no
  development tool.
- The tarball, installed into an empty collections path (``ansible-galaxy collection install``,
  offline), runs a playbook by its FQCN under ``ansible-runner run`` the way AWX runs the README's
  "Migration - shift" job template: a private data directory with a project (a playbook that imports
  ``payments.region_migration.shift``), an inventory, environment variables, the survey's answer as
  extra variables (``env/extravars``: phase 1), and artifacts (status, return code, events). The
  stack is the migration scenario's two-region fixture at phase 0 with a payment workload; the
  resulting weights are read back from the emulator. (The molecule provision scenario runs the whole
  rehearsal by FQCN from the installed tarball: baseline, provision, shift, rollback, status, teardown.)
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
import yaml

from tests.conftest import emulator_call, phase_table

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
FIXTURE = REPO / "extensions" / "molecule" / "migration" / "files" / "fixture.py"
STACK = yaml.safe_load((REPO / "inventories" / "local" / "group_vars" / "all" / "stack.yml").read_text())
DEV_TOOLS = ("moto", "pytest", "ruff", "molecule", "ansible-lint", "antsibull")


def run(*command: str, **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(command, capture_output=True, text=True, check=False, **kwargs)
    assert result.returncode == 0, f"{' '.join(command)}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


@pytest.fixture(scope="module")
def tarball(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("build")
    run(str(BIN / "ansible-galaxy"), "collection", "build", "--output-path", str(out), str(REPO))
    [built] = out.glob("payments-region_migration-*.tar.gz")
    return built


def test_tarball_ships_the_collection_and_leaves_out_what_needs_the_emulator(tarball: Path):
    with tarfile.open(tarball) as archive:
        names = set(archive.getnames())
    assert {"playbooks/provision.yml", "playbooks/shift.yml", "roles/network/tasks/main.yml", "COPYING",
            "meta/runtime.yml", "meta/execution-environment.yml", "requirements.txt",
            "plugins/filter/migration_plan.yml", "tests/unit/plugins/module_utils/test_weights.py"} <= names
    for left_out in ("emulator/", "extensions/", "scripts/", "inventories/local/", "tests/integration/", ".ansible/"):
        assert not [name for name in names if name.startswith(left_out)], left_out
    # the checkout's root playbooks: an installed collection runs playbooks/ by FQCN
    assert not {"provision.yml", "shift.yml", "preflight.yml", "status.yml", "rollback.yml"} & names


def test_execution_environment_build_context(tarball: Path, tmp_path: Path):
    ee = tmp_path / "ee"
    ee.mkdir()
    shutil.copy(REPO / "ee" / "execution-environment.yml", ee)
    shutil.copy(tarball, ee / "payments-region_migration.tar.gz")
    context = tmp_path / "context"
    run(str(BIN / "ansible-builder"), "create", "-f", str(ee / "execution-environment.yml"), "-c", str(context),
        "--output-filename", "Containerfile")

    shipped = context / "_build" / "collections" / "payments-region_migration.tar.gz"
    with tarfile.open(shipped) as archive:
        manifest = json.load(archive.extractfile("MANIFEST.json"))
        requirements = archive.extractfile("requirements.txt").read().decode()
    assert manifest["collection_info"]["name"] == "region_migration"
    assert manifest["collection_info"]["version"] == yaml.safe_load((REPO / "galaxy.yml").read_text())["version"]
    runtime = [line.split(">")[0].split("=")[0].strip() for line in requirements.splitlines()
               if line.strip() and not line.startswith("#")]
    # Exactly the run-time needs (the report module draws with matplotlib): no development tool.
    assert runtime == ["boto3", "botocore", "matplotlib"]

    galaxy = yaml.safe_load((context / "_build" / "requirements.yml").read_text())
    names = [c["name"] for c in galaxy["collections"]]
    assert names == ["/build/collections/payments-region_migration.tar.gz", "amazon.aws", "community.aws"]
    containerfile = (context / "Containerfile").read_text()
    assert "COPY _build/collections/ /build/collections/" in containerfile
    assert "ansible-galaxy collection install" in containerfile
    # What gets installed: the Containerfile, the requirement files of the context, the collection's own.
    installed = "\n".join([containerfile, requirements, *(p.read_text() for p in (context / "_build").glob("*.txt"))])
    assert not [tool for tool in DEV_TOOLS if tool in installed], "development tools in the execution environment"


@pytest.mark.emulator
def test_installed_tarball_runs_by_fqcn_under_ansible_runner(tarball: Path, tmp_path: Path, emulator: str, aws):
    # An empty collections path, the tarball installed into it offline (its dependencies come
    # from the `ansible` package of the virtual environment).
    collections = tmp_path / "collections"
    # --force: the checkout's own copy (ansible.cfg's collections_path) must not count as installed.
    run(str(BIN / "ansible-galaxy"), "collection", "install", "--offline", "--no-deps", "--force",
        "-p", str(collections), str(tarball), cwd=tmp_path,
        env={"PATH": f"{BIN}:/usr/bin:/bin", "HOME": str(tmp_path), "ANSIBLE_COLLECTIONS_PATH": str(collections)})
    installed = collections / "ansible_collections" / "payments" / "region_migration"
    assert (installed / "playbooks" / "shift.yml").is_file()
    import ansible_collections.amazon.aws as amazon_aws  # the `ansible` package's copy

    site = Path(list(amazon_aws.__path__)[0]).parents[2]

    # The two-region stack at phase 0, and payments flowing (as during a real migration).
    zone, record = STACK["migration_domain_name"], STACK["migration_record_name"]
    subprocess.run([sys.executable, str(FIXTURE), emulator, STACK["migration_env_suffix"], zone, record],
                   check=True, capture_output=True, timeout=300)
    emulator_call(emulator, "POST", "/_emulator/workload/start", {"rate": 20, "zone_name": zone, "record_name": record})

    # ansible-runner's private data directory, as AWX lays it out for a job of the "Migration - shift"
    # template: the project, the inventory, environment variables and the survey's answer.
    private = tmp_path / "runner"
    (private / "project").mkdir(parents=True)
    (private / "env").mkdir()
    (private / "project" / "shift.yml").write_text(
        "---\n- name: Shift the traffic, by FQCN\n"
        "  ansible.builtin.import_playbook: payments.region_migration.shift\n")
    # The emulator inventory: where a real user keeps the inventory README.md describes.
    shutil.copytree(REPO / "inventories" / "local", private / "inventory")
    port = emulator.rsplit(":", 1)[1]
    (private / "env" / "envvars").write_text(yaml.safe_dump({
        "ANSIBLE_COLLECTIONS_PATH": f"{collections}:{site}",
        "ANSIBLE_COLLECTIONS_SCAN_SYS_PATH": "false",
        "EMULATOR_PORT": port,
    }))
    (private / "env" / "extravars").write_text(yaml.safe_dump({"phase": 1, "migration_bake_seconds": 0}))
    try:
        result = subprocess.run([str(BIN / "ansible-runner"), "run", str(private), "-p", "shift.yml",
                                 "--ident", "shift"], capture_output=True, text=True, check=False,
                                cwd=tmp_path, env={"PATH": f"{BIN}:/usr/bin:/bin", "HOME": str(tmp_path)})
    finally:
        emulator_call(emulator, "POST", "/_emulator/workload/stop")
    artifacts = private / "artifacts" / "shift"
    assert result.returncode == 0, result.stdout[-4000:]
    assert (artifacts / "status").read_text() == "successful"
    assert (artifacts / "rc").read_text() == "0"
    events = [json.loads(p.read_text()) for p in (artifacts / "job_events").glob("*.json")]
    task_paths = {e["event_data"].get("task_path", "") for e in events if e["event"] == "runner_on_ok"}
    assert any(str(installed) in path for path in task_paths), "the installed collection's playbook ran"

    # Route 53 now sends phase 1's share to eu-west-1, every weighted type of the name alike.
    target = phase_table()[1]["target_percent"]
    r53 = aws("route53", "us-east-1")
    [zone_id] = [z["Id"] for z in r53.list_hosted_zones()["HostedZones"] if z["Name"].rstrip(".") == zone]
    weights = {(r["Type"], r["SetIdentifier"]): r["Weight"]
               for r in r53.list_resource_record_sets(HostedZoneId=zone_id)["ResourceRecordSets"]
               if r["Name"].rstrip(".") == record.rstrip(".") and "SetIdentifier" in r}
    assert weights and {w for (_type, region), w in weights.items() if region == "eu-west-1"} == {target}, weights
    assert {w for (_type, region), w in weights.items() if region == "us-east-1"} == {100 - target}, weights
