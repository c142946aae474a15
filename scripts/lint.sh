#!/usr/bin/env bash
# Static checks: ruff, ansible-lint (production profile). ansible-lint's syntax-check rule runs
# `ansible-playbook --syntax-check` on every playbook (playbooks/*.yml, the molecule scenarios' playbooks)
# and on every role, and fails on any syntax error: a loop of our own ran the same checks a second time.
# Not --offline: ansible-lint then also skips installing this collection into the project's .ansible/, and
# resolves payments.region_migration.* from whatever copy ~/.ansible/collections holds (tried: a stale one
# failed the syntax checks of provision.yml and status.yml).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
export ANSIBLE_CONFIG="$PWD/ansible.cfg"

echo "== ruff"
ruff check plugins emulator tests scripts extensions
echo "== ansible-lint (production profile, with ansible-playbook --syntax-check of every playbook and role)"
ansible-lint --profile production
