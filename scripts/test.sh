#!/usr/bin/env bash
# All tests, as concurrent jobs: lint, pytest (unit, emulator, modules against the emulator) and each
# molecule scenario. Every job has its own emulator on its own free port and writes its own log; a
# job's log is printed when it fails (its last lines when it passes). Fails if any job fails, and
# always stops every emulator it started, also when interrupted.
#   scripts/test.sh                 all jobs, at most TEST_JOBS (default 3) at a time
#   scripts/test.sh pytest lint     only the jobs named
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
export ANSIBLE_CONFIG="$PWD/ansible.cfg"
# A free port per emulator (unless given), so that two checkouts can be tested side by side and no
# emulator left behind by an earlier run is ever reused.
# TEST_PORT_BASE=N gives the jobs the ports N, N+1, ... instead (one per job, in the order listed below).
free_port() { python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
job_port() {
  if [[ -n "${TEST_PORT_BASE:-}" ]]; then echo $((TEST_PORT_BASE + job_index)); else free_port; fi
}
# Three jobs at a time keep both cores of the reference machine busy: ansible-playbook and the
# emulator each wait on the other, so one job alone uses about one core (measured: see README.md).
max_jobs="${TEST_JOBS:-3}"
# The long poles (the jobs that decide the total time) keep the normal CPU priority; every other job
# runs at nice TEST_NICE (default 5): when the jobs want more than the cores, the long pole is served
# first and the others fill the gaps (its bakes, polls and ansible-playbook start-ups). Nothing but the
# order in which the cores are shared changes.
long_poles=" molecule-provision pytest-drift "
run_dir="$(mktemp -d "${TMPDIR:-/tmp}/test-run.XXXXXX")"

declare -a job_names=() job_commands=()
# job NAME COMMAND...: a test job; the longest first (they start in this order).
job() { job_names+=("$1"); shift; job_commands+=("$(printf '%q ' "$@")"); }

# ----------------------------------------------------------------------------- the jobs
# pytest runs as three jobs, each with its own emulator, so that none is the long pole: "pytest-drift" is
# the drift test (four runs of the read-once provisioning layers: alone about as long as the other playbook
# tests together), "pytest-playbooks" holds the other tests that drive whole playbooks, ansible-runner or
# Step Functions executions (minutes each, mostly waiting on bakes, polls and ansible-playbook start-up),
# "pytest" the rest. A test file belongs to "pytest" unless it is listed here.
DRIFT_TESTS=(
  tests/integration/test_provision_drift.py
)
PLAYBOOK_TESTS=(
  tests/browser
  tests/integration/test_collection_packaging.py
  tests/integration/test_database_overlap.py
  tests/integration/test_unattended_migration.py
  tests/emulator/test_unattended_workload.py
)

start_job_emulator() {  # start_job_emulator NAME: this job's own emulator (stopped by the EXIT trap too)
  export EMULATOR_PORT
  EMULATOR_PORT="$(job_port)"
  echo "$EMULATOR_PORT" >"$run_dir/emulator-$1.port"
  python -m emulator start
  trap 'python -m emulator stop >/dev/null' EXIT
}

pytest_job() {
  # The module tests run the modules in-process (run_module), and they are all in this job: it measures
  # the line coverage of plugins/ (the playbook tests run plugins in ansible-playbook subprocesses, which
  # coverage does not see).
  start_job_emulator pytest
  echo "== pytest (line coverage of plugins/ must stay >= 90 %)"
  local ignore=() path
  for path in "${PLAYBOOK_TESTS[@]}" "${DRIFT_TESTS[@]}"; do ignore+=("--ignore=$path"); done
  python -m pytest --durations=15 "${ignore[@]}" \
    --cov=ansible_collections.payments.region_migration.plugins \
    --cov-report=term-missing:skip-covered --cov-fail-under=90
}

pytest_playbooks_job() {
  start_job_emulator pytest-playbooks
  echo "== pytest: the playbook, ansible-runner and Step Functions execution tests"
  python -m pytest --durations=15 "${PLAYBOOK_TESTS[@]}"
}

pytest_drift_job() {
  start_job_emulator pytest-drift
  echo "== pytest: the drift test of the read-once provisioning layers"
  python -m pytest --durations=5 "${DRIFT_TESTS[@]}"
}

roles_job() {
  # The role tests that build their own stand-ins (tests/roles/run.sh: converge twice, --check,
  # verify), one after the other on one emulator of this job, reset between roles.
  start_job_emulator roles
  local verify
  for verify in tests/roles/*/verify.yml; do
    tests/roles/run.sh "$(basename "$(dirname "$verify")")" --reset
  done
}

molecule_job() {
  # Each scenario starts its own emulator on its own free port (create.yml / destroy.yml) and keeps
  # its state in a directory of this run: molecule's default state directory is shared by every
  # checkout on the machine (~/.ansible/tmp/molecule.<hash of "extensions">.<scenario>), so a run
  # that was interrupted elsewhere would otherwise make this one skip create and fail.
  local scenario="$1" state_dir="$run_dir/molecule-$1" port
  port="$(job_port)"
  mkdir -p "$state_dir"
  echo "$port" >"$state_dir.port"
  echo "== molecule test -s $scenario (emulator port $port, state: $state_dir)"
  cd extensions
  MOLECULE_EPHEMERAL_DIRECTORY="$state_dir" EMULATOR_PORT="$port" molecule test -s "$scenario"
}

# The jobs start in this order, at most TEST_JOBS at a time: the longest first, so that the last job to
# start is a short one and no long job starts late (README.md, "How `make test` runs").
job molecule-provision molecule_job provision
job pytest-drift pytest_drift_job
job pytest-playbooks pytest_playbooks_job
job pytest pytest_job
job molecule-migration molecule_job migration
job roles roles_job
# Static checks (ruff, ansible-lint, syntax checks); further checkers go next to it, one line each
# (`job NAME COMMAND...`; the command runs from the repository root and fails the run if it fails).
job lint scripts/lint.sh
# ansible-test sanity and units on the built collection, offline (see the script).
job ansible-test scripts/ansible_test.sh
job molecule-default molecule_job default
# Any further scenario, last.
for scenario_file in extensions/molecule/*/molecule.yml; do
  scenario=$(basename "$(dirname "$scenario_file")")
  case "$scenario" in provision | migration | default) ;; *) job "molecule-$scenario" molecule_job "$scenario" ;; esac
done

# ----------------------------------------------------------------------------- running them
stop_everything() {
  local pid
  for pid in $(jobs -p); do kill -- "-$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  # Emulators of interrupted jobs: pytest's and roles' by their port, the scenarios' by their state directory.
  local port_file
  for port_file in "$run_dir"/emulator-*.port; do
    [[ -f "$port_file" ]] || continue
    python -m emulator --port "$(cat "$port_file")" stop >/dev/null 2>&1 || true
  done
  for port_file in "$run_dir"/molecule-*.port; do
    [[ -f "$port_file" ]] || continue
    EMULATOR_STATE_DIR="${port_file%.port}/emulator" python -m emulator --port "$(cat "$port_file")" stop \
      >/dev/null 2>&1 || true
  done
  rm -rf "$run_dir"
}
trap stop_everything EXIT
trap 'exit 130' INT TERM
set -m  # each job in its own process group, so that stop_everything can end a job with all its children

selected=("$@")
wanted() { [[ ${#selected[@]} -eq 0 ]] || [[ " ${selected[*]} " == *" $1 "* ]]; }

declare -A pid_of=() started_at=()
failed=()
finish() {  # finish PID STATUS: report the job that ended
  local pid="$1" status="$2" name
  for name in "${!pid_of[@]}"; do
    [[ "${pid_of[$name]}" == "$pid" ]] || continue
    local took=$((SECONDS - started_at[$name])) cpu
    cpu=$(tail -n 1 "$run_dir/$name.times" 2>/dev/null | awk '{ print "user " $1 ", system " $2 }')
    if [[ "$status" == 0 ]]; then
      echo "== ok: $name (${took} s; CPU without its emulator: $cpu)"
      tail -n 4 "$run_dir/$name.log" | sed "s/^/   $name | /"
    else
      failed+=("$name")
      echo "== FAILED: $name (exit $status, ${took} s) — its output:"
      sed "s/^/$name | /" "$run_dir/$name.log"
    fi
    unset "pid_of[$name]"
  done
}

total_start=$SECONDS
for i in "${!job_names[@]}"; do
  name="${job_names[$i]}" job_index="$i"
  wanted "$name" || continue
  while [[ ${#pid_of[@]} -ge $max_jobs ]]; do
    status=0; wait -n -p ended "${pid_of[@]}" || status=$?; finish "$ended" "$status"
  done
  # `times` at the end: the job's user and system CPU time (its children's), for the summary line.
  # shellcheck disable=SC2086
  (
    set +e
    # (renice -n sets the niceness: add TEST_NICE to this run's own)
    [[ "$long_poles" == *" $name "* ]] || renice -n "$(($(nice) + ${TEST_NICE:-5}))" -p "$BASHPID" >/dev/null
    (set -e; eval "${job_commands[$i]}")
    status=$?
    times >"$run_dir/$name.times"  # (not in a pipeline: that would run it in a child process)
    exit "$status"
  ) >"$run_dir/$name.log" 2>&1 &
  pid_of[$name]=$!
  started_at[$name]=$SECONDS
  echo "-- started: $name"
done
while [[ ${#pid_of[@]} -gt 0 ]]; do
  status=0; wait -n -p ended "${pid_of[@]}" || status=$?; finish "$ended" "$status"
done

echo "== all jobs done in $((SECONDS - total_start)) s"
if [[ ${#failed[@]} -gt 0 ]]; then
  echo "FAILED: ${failed[*]}"
  exit 1
fi
