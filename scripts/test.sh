#!/usr/bin/env bash
# All tests: lint, then pytest (unit, emulator, modules against the emulator), then molecule.
# Starts the emulator it needs and always stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
export ANSIBLE_CONFIG="$PWD/ansible.cfg"
# A free port per run (unless given), so that two checkouts can be tested side by side and no
# emulator left behind by an earlier run is ever reused.
free_port() { python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
export EMULATOR_PORT="${TEST_EMULATOR_PORT:-$(free_port)}"

scripts/lint.sh
scripts/ansible_test.sh  # ansible-test sanity and units on the built collection, offline (see the script)

python -m emulator start
trap 'python -m emulator stop >/dev/null' EXIT

echo "== pytest (line coverage of plugins/ must stay >= 90 %)"
python -m pytest \
  --cov=ansible_collections.payments.region_migration.plugins \
  --cov-report=term-missing:skip-covered --cov-fail-under=90

echo "== molecule"
# Each scenario starts its own emulator on its own free port (create.yml / destroy.yml) and keeps
# its state in a directory of this run: molecule's default state directory is shared by every
# checkout on the machine (~/.ansible/tmp/molecule.<hash of "extensions">.<scenario>), so a run
# that was interrupted elsewhere would otherwise make this one skip create and fail.
for scenario_file in extensions/molecule/*/molecule.yml; do
  scenario=$(basename "$(dirname "$scenario_file")")
  state_dir=$(mktemp -d "${TMPDIR:-/tmp}/molecule-$scenario.XXXXXX")
  echo "-- molecule test -s $scenario (state: $state_dir)"
  (cd extensions && MOLECULE_EPHEMERAL_DIRECTORY="$state_dir" \
     EMULATOR_PORT="${MOLECULE_EMULATOR_PORT:-$(free_port)}" molecule test -s "$scenario")
  rm -rf "$state_dir"
done
