#!/usr/bin/env bash
# Full rehearsal against the local emulator: us-east-1 baseline, provisioning of eu-west-1,
# then every migration phase, then the final status.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
export ANSIBLE_CONFIG="$PWD/ansible.cfg"
export EMULATOR_PORT="${EMULATOR_PORT:-5000}"

python -m emulator start
trap 'python -m emulator stop >/dev/null' EXIT

run() { echo "== ansible-playbook $*"; ansible-playbook -i inventories/local "$@"; }

for playbook in baseline provision; do
  if [ -f "playbooks/$playbook.yml" ]; then run "playbooks/$playbook.yml"; fi
done
if [ -f playbooks/shift.yml ]; then
  for phase in 1 2 3 4; do run playbooks/shift.yml -e "phase=$phase"; done
fi
if [ -f playbooks/status.yml ]; then run playbooks/status.yml; fi
echo "rehearsal finished"
