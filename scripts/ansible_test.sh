#!/usr/bin/env bash
# ansible-test sanity and units, offline, on a throwaway copy of the collection.
#
# Why a copy: ansible-test only runs when the collection sits at ansible_collections/<namespace>/<name>;
# the repository root is the collection. The copy is the built tarball: the content that ships.
# Why a private HOME: ansible-test keeps its virtual environments and its pip bootstrapper under
# ~/.ansible/test; a private one per run means nothing left by an earlier run is reused.
# Why the get-pip stand-in: ansible-test bootstraps pip in each virtual environment with a script it
# downloads from a host that cannot be reached here; it uses an existing
# ~/.ansible/test/cache/get_pip_<version>.py as is. The stand-in installs the requested pip
# with the project's own pip (pip --python <the new environment>) from the index pip is configured with.
#
# Usage: scripts/ansible_test.sh [sanity|units]...   (default: sanity units)
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
export PATH="$repo/.venv/bin:$PATH"
python=python3.11

work=$(mktemp -d "${TMPDIR:-/tmp}/ansible-test.XXXXXX")
trap 'rm -rf "$work"' EXIT
collection=$work/ansible_collections/payments/region_migration
mkdir -p "$collection"
# What ships: the built tarball (galaxy.yml's build_ignore leaves out the emulator and everything
# that needs it), unpacked where ansible-test wants it. That is also what Galaxy and Automation Hub test.
ansible-galaxy collection build --force --output-path "$work" . >/dev/null
tar -xzf "$work"/payments-region_migration-*.tar.gz -C "$collection"
# The collections this one depends on, from the virtual environment's `ansible` package.
site_collections=$(python -c 'import ansible_collections.amazon.aws as m, pathlib; print(pathlib.Path(list(m.__path__)[0]).parents[1])')
for namespace in amazon community; do
  ln -s "$site_collections/$namespace" "$work/ansible_collections/$namespace"
done

# Private HOME (ansible-test state), the user's pip cache kept (downloads only).
export PIP_CACHE_DIR="${PIP_CACHE_DIR:-$(python -m pip cache dir 2>/dev/null || echo "$HOME/.cache/pip")}"
export HOME=$work/home
mkdir -p "$HOME/.ansible/test/cache"
pip_version=$(python - <<'PY'
from ansible_test._internal.python_requirements import get_venv_packages
from ansible_test._internal.host_configs import NativePythonConfig
print(get_venv_packages(NativePythonConfig(version="3.11"))["pip"])
PY
)
cat > "$HOME/.ansible/test/cache/get_pip_${pip_version//./_}.py" <<PY
"""Offline stand-in for get-pip.py: the project's pip installs the requested packages (pip first) here."""
import subprocess
import sys

# --no-setuptools / --no-wheel are get-pip options, not pip install options.
args = [arg for arg in sys.argv[1:] if arg not in ("--no-setuptools", "--no-wheel")]
sys.exit(subprocess.run(["$repo/.venv/bin/python", "-m", "pip", "--python", sys.executable, "install", *args]).returncode)
PY

cd "$collection"
for command in "${@:-sanity units}"; do
  for c in $command; do
    case $c in
      sanity) echo "== ansible-test sanity"; ansible-test sanity --local --python "${python#python}" --color no ;;
      units) echo "== ansible-test units"; ansible-test units --venv --python "${python#python}" --color no tests/unit/plugins/ ;;
      *) echo "unknown: $c" >&2; exit 2 ;;
    esac
  done
done
