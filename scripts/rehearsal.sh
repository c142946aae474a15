#!/usr/bin/env bash
# Full rehearsal against the local emulator: us-east-1 baseline, provisioning of eu-west-1,
# then every migration phase, then the payment reconciliation and the final status with the migration
# report (artifacts/rehearsal/migration-report.html and .png), whose path is printed last.
# A payment workload (the emulator's data plane) runs from right after the baseline to the end;
# its reconciliation table is printed last, and the run fails when a payment was lost or duplicated.
# Knobs: EMULATOR_PORT, REHEARSAL_PAYMENT_RATE (payments per second, default 200).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
export ANSIBLE_CONFIG="$PWD/ansible.cfg"
# A free port unless EMULATOR_PORT is given: never reuse an emulator (and its state) that another
# run left behind.
free_port() { python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
export EMULATOR_PORT="${EMULATOR_PORT:-$(free_port)}"
REPORT_DIR="$PWD/artifacts/rehearsal"
mkdir -p "$REPORT_DIR"
# Every rehearsal starts from a fresh emulator: its audit log (and so its report) starts fresh too;
# the previous one is kept beside it.
if [ -s "$REPORT_DIR/migration-audit.jsonl" ]; then
  mv "$REPORT_DIR/migration-audit.jsonl" "$REPORT_DIR/migration-audit.$(date -u +%Y%m%dT%H%M%SZ).jsonl"
fi
rm -f "$REPORT_DIR/migration-report.html" "$REPORT_DIR/migration-report.png"

python -m emulator start
workload_running=0
finish() {
  local rc=$?
  if [ "$workload_running" = 1 ]; then
    # the rehearsal stopped early: still show what happened to the payments
    echo "== payment reconciliation (rehearsal interrupted)"
    python -m emulator workload stop || true
  fi
  python -m emulator stop >/dev/null
  exit "$rc"
}
trap finish EXIT

# (the local inventory is ansible.cfg's default)
run() { echo "== ansible-playbook $*"; ansible-playbook "$@"; }

run playbooks/baseline.yml
# us-east-1 serves: from now on payments flow, through provisioning, every shift and the switchover
echo "== payment workload: start (${REHEARSAL_PAYMENT_RATE:-200}/s)"
python -m emulator workload start --rate "${REHEARSAL_PAYMENT_RATE:-200}" >/dev/null
workload_running=1

# the design card's commands, as a user types them at the checkout's root (provision.yml and shift.yml
# there run playbooks/provision.yml and playbooks/shift.yml)
run provision.yml
for phase in 1 2 3 4; do run shift.yml -e "phase=$phase"; done
echo "== payment reconciliation"
workload_running=0
status=0
python -m emulator workload stop --check || status=$?
python -m emulator workload report --json >"$REPORT_DIR/payments.json"
echo "(JSON: $REPORT_DIR/payments.json)"
# The final status and the report, with the final payment counts (status.yml reads the stopped
# workload's reconciliation); a failing status must not hide the reconciliation's verdict.
status_rc=0
run status.yml || status_rc=$?
if [ -f "$REPORT_DIR/migration-report.html" ]; then
  echo "migration report: $REPORT_DIR/migration-report.html (charts: $REPORT_DIR/migration-report.png)"
fi
if [ "$status" -ne 0 ]; then
  echo "rehearsal FAILED: payments were lost or duplicated" >&2
  exit "$status"
fi
if [ "$status_rc" -ne 0 ]; then
  echo "rehearsal FAILED: status.yml (status table and migration report) failed" >&2
  exit "$status_rc"
fi
echo "rehearsal finished"
