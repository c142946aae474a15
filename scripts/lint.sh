#!/usr/bin/env bash
# Static checks: ruff, ansible-lint (production profile), syntax check of every playbook.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
export ANSIBLE_CONFIG="$PWD/ansible.cfg"

echo "== ruff"
ruff check plugins emulator tests scripts extensions
echo "== ansible-lint (production profile)"
ansible-lint --profile production
echo "== ansible-playbook --syntax-check"
for playbook in playbooks/*.yml; do
  ansible-playbook --syntax-check "$playbook" >/dev/null
  echo "ok: $playbook"
done
