#!/usr/bin/env bash
# Converge a role's test playbook twice against the emulator on $EMULATOR_PORT, fail unless the
# second run reports changed=0, then run it in --check (no change either) and the role's verify.yml.
# scripts/test.sh (make test) runs it for every tests/roles/<role>/verify.yml. These are the roles
# tested with stand-ins of their own; the roles that provision.yml and baseline.yml build as they are
# are checked in the molecule provision scenario (extensions/molecule/provision/role_checks/).
#   usage: EMULATOR_PORT=5104 tests/roles/run.sh <role> [--reset]
set -euo pipefail
cd "$(dirname "$0")/../.."
role="$1"
dir="tests/roles/$role"
: "${EMULATOR_PORT:?set EMULATOR_PORT}"
export ANSIBLE_CONFIG="$PWD/ansible.cfg"
if [[ "${2:-}" == "--reset" ]]; then
  curl -fsS -X POST "http://127.0.0.1:$EMULATOR_PORT/moto-api/reset" >/dev/null
fi
log="$(mktemp -d)"
recap() { sed -n '/PLAY RECAP/,$p' "$1"; }
echo "== $role: converge"
.venv/bin/ansible-playbook "$dir/converge.yml" >"$log/1.out" 2>&1 || { cat "$log/1.out"; exit 1; }
recap "$log/1.out"
echo "== $role: idempotence"
.venv/bin/ansible-playbook "$dir/converge.yml" >"$log/2.out" 2>&1 || { cat "$log/2.out"; exit 1; }
recap "$log/2.out"
if ! recap "$log/2.out" | grep -q 'changed=0 '; then
  grep -B2 -A8 '^changed:' "$log/2.out" || true
  echo "FAIL: second run changed something"; exit 1
fi
echo "== $role: check mode on the provisioned stack"
.venv/bin/ansible-playbook --check "$dir/converge.yml" >"$log/3.out" 2>&1 || { cat "$log/3.out"; exit 1; }
recap "$log/3.out"
if ! recap "$log/3.out" | grep -q 'changed=0 '; then
  grep -B2 -A8 '^changed:' "$log/3.out" || true
  echo "FAIL: check mode reported a change"; exit 1
fi
echo "== $role: verify"
.venv/bin/ansible-playbook "$dir/verify.yml" >"$log/4.out" 2>&1 || { cat "$log/4.out"; exit 1; }
recap "$log/4.out"
echo "OK: $role"
