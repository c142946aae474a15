"""The collection as users get it: the built tarball, an execution environment, ansible-runner.

- ``ansible-builder create`` makes the execution environment's build context offline from
  ee/execution-environment.yml: the collection's tarball, amazon.aws and community.aws, and no
  development tool.
- The tarball, installed into an empty collections path (``ansible-galaxy collection install``,
  offline), runs a playbook by its FQCN under ``ansible-runner run`` the way AWX runs a project: a
  private data directory with a project (a playbook that imports
  ``payments.region_migration.baseline``), an inventory, environment variables, and artifacts
  (status, return code, events). The result is read back from the emulator.
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

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
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
    assert (installed / "playbooks" / "baseline.yml").is_file()
    import ansible_collections.amazon.aws as amazon_aws  # the `ansible` package's copy

    site = Path(list(amazon_aws.__path__)[0]).parents[2]

    # ansible-runner's private data directory, as AWX lays it out for a job.
    private = tmp_path / "runner"
    (private / "project").mkdir(parents=True)
    (private / "env").mkdir()
    (private / "project" / "rehearsal.yml").write_text(
        "---\n- name: Baseline of the rehearsal, by FQCN\n"
        "  ansible.builtin.import_playbook: payments.region_migration.baseline\n")
    # The emulator inventory: where a real user keeps the inventory README.md describes.
    shutil.copytree(REPO / "inventories" / "local", private / "inventory")
    port = emulator.rsplit(":", 1)[1]
    (private / "env" / "envvars").write_text(yaml.safe_dump({
        "ANSIBLE_COLLECTIONS_PATH": f"{collections}:{site}",
        "ANSIBLE_COLLECTIONS_SCAN_SYS_PATH": "false",
        "EMULATOR_PORT": port,
    }))
    result = subprocess.run([str(BIN / "ansible-runner"), "run", str(private), "-p", "rehearsal.yml",
                             "--ident", "baseline"], capture_output=True, text=True, check=False,
                            cwd=tmp_path, env={"PATH": f"{BIN}:/usr/bin:/bin", "HOME": str(tmp_path)})
    artifacts = private / "artifacts" / "baseline"
    assert result.returncode == 0, result.stdout[-4000:]
    assert (artifacts / "status").read_text() == "successful"
    assert (artifacts / "rc").read_text() == "0"
    events = [json.loads(p.read_text()) for p in (artifacts / "job_events").glob("*.json")]
    task_paths = {e["event_data"].get("task_path", "") for e in events if e["event"] == "runner_on_ok"}
    assert any(str(installed) in path for path in task_paths), "the installed collection's playbook ran"

    # The us-east-1 baseline stands in the emulator.
    vpcs = aws("ec2", "us-east-1").describe_vpcs(Filters=[{"Name": "cidr", "Values": ["10.0.0.0/16"]}])["Vpcs"]
    assert len(vpcs) == 1
    clusters = aws("rds", "us-east-1").describe_db_clusters()["DBClusters"]
    assert [c for c in clusters if c["Status"] == "available"]
