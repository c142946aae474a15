#!/usr/bin/env bash
# ansible-test sanity and units, offline, on throwaway copies of the collection (README.md, "Testing").
#
# Why a copy: ansible-test only runs when the collection sits at ansible_collections/<namespace>/<name>;
# the repository root is the collection. The copy is the built tarball, the content that ships (what
# Galaxy and Automation Hub test too); galaxy.yml's build_ignore leaves out what needs the emulator.
# Why a private HOME: ansible-test keeps its virtual environments and its pip bootstrapper under
# ~/.ansible/test; a private one per run means nothing left by an earlier run is reused.
# Why the get-pip stand-in: ansible-test bootstraps pip in each virtual environment it creates with a
# script that it downloads from a host that cannot be reached here; it uses an existing
# ~/.ansible/test/cache/get_pip_<version>.py as is. The stand-in unpacks the pip wheel that this
# script fetched once through the project's own pip (so from the package index pip is configured with).
#
# Usage: scripts/ansible_test.sh [sanity] [units]   (default: both, side by side)
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
export PATH="$repo/.venv/bin:$PATH"
python_version=3.11
tests=("${@:-sanity}")
[ $# -gt 0 ] || tests=(sanity units)

work=$(mktemp -d "${TMPDIR:-/tmp}/ansible-test.XXXXXX")
pids=()
# shellcheck disable=SC2329  # invoked by the EXIT trap below
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

ansible-galaxy collection build --force --output-path "$work" . >/dev/null
tarball=$(ls "$work"/payments-region_migration-*.tar.gz)
# The collections this one depends on, from the virtual environment's `ansible` package.
site_collections=$(python -c 'import ansible_collections.amazon.aws as m, pathlib; print(pathlib.Path(list(m.__path__)[0]).parents[1])')
copy_for() {  # copy_for <test>: prints the collection directory of a fresh copy
  local root=$work/$1/ansible_collections
  mkdir -p "$root/payments/region_migration"
  tar -xzf "$tarball" -C "$root/payments/region_migration"
  ln -s "$site_collections/amazon" "$root/amazon"
  ln -s "$site_collections/community" "$root/community"
  echo "$root/payments/region_migration"
}

# Private HOME (ansible-test state); the user's pip cache is kept (downloaded files only).
export PIP_CACHE_DIR="${PIP_CACHE_DIR:-$(python -m pip cache dir 2>/dev/null || echo "$HOME/.cache/pip")}"
export HOME=$work/home
cache=$HOME/.ansible/test/cache
mkdir -p "$cache/wheels"
pip_version=$(python -c 'from ansible_test._internal.python_requirements import get_venv_packages
from ansible_test._internal.host_configs import NativePythonConfig
print(get_venv_packages(NativePythonConfig(version="'$python_version'"))["pip"])')
python -m pip download --quiet --no-deps --only-binary :all: --dest "$cache/wheels" "pip==$pip_version"
cat > "$cache/get_pip_${pip_version//./_}.py" <<PY
"""Offline stand-in for get-pip.py $pip_version: unpacks the pip wheel into this environment."""
import glob
import sys
import sysconfig
import zipfile

wanted = [arg for arg in sys.argv[1:] if not arg.startswith("-")]
if wanted != ["pip==$pip_version"]:
    sys.exit(f"get-pip stand-in: can only install pip==$pip_version, asked for {wanted}")
with zipfile.ZipFile(glob.glob("$cache/wheels/pip-$pip_version-*.whl")[0]) as wheel:
    wheel.extractall(sysconfig.get_paths()["purelib"])
PY

run() {  # run <test> <log>
  local collection
  collection=$(copy_for "$1")
  cd "$collection"
  case $1 in
    sanity) ansible-test sanity --local --python "$python_version" --color no ;;
    units) ansible-test units --venv --python "$python_version" --color no tests/unit/plugins/ ;;
    *) echo "unknown test: $1 (sanity, units)"; return 2 ;;
  esac
}
for test in "${tests[@]}"; do
  run "$test" >"$work/$test.log" 2>&1 &
  pids+=($!)
done
status=0
for i in "${!tests[@]}"; do
  rc=0
  wait "${pids[$i]}" || rc=$?
  echo "== ansible-test ${tests[$i]} (exit $rc)"
  grep -v -e '━' -e '^Collecting ' -e '^  Downloading ' -e '^  Using cached ' "$work/${tests[$i]}.log" || true
  [ "$rc" -eq 0 ] || status=1
done
pids=()
exit $status
