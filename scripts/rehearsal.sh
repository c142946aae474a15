#!/usr/bin/env bash
# Full rehearsal against the local emulator: us-east-1 baseline, provisioning of eu-west-1,
# then every migration phase, then the final status.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
export ANSIBLE_CONFIG="$PWD/ansible.cfg"
# A free port unless EMULATOR_PORT is given: never reuse an emulator (and its state) that another
# run left behind.
free_port() { python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
export EMULATOR_PORT="${EMULATOR_PORT:-$(free_port)}"

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
