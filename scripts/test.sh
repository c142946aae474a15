#!/usr/bin/env bash
# All tests: lint, then pytest (unit, emulator, modules against the emulator), then molecule.
# Starts the emulator it needs and always stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
export ANSIBLE_CONFIG="$PWD/ansible.cfg"
export EMULATOR_PORT="${TEST_EMULATOR_PORT:-5010}"

scripts/lint.sh

python -m emulator start
trap 'python -m emulator stop >/dev/null' EXIT

echo "== pytest (line coverage of plugins/ must stay >= 90 %)"
python -m pytest \
  --cov=ansible_collections.payments.region_migration.plugins \
  --cov-report=term-missing:skip-covered --cov-fail-under=90

echo "== molecule"
if compgen -G "extensions/molecule/*/molecule.yml" >/dev/null; then
  # Scenarios start their own emulator on another port (create.yml / destroy.yml).
  (cd extensions && EMULATOR_PORT="${MOLECULE_EMULATOR_PORT:-5011}" molecule test --all)
fi
