# The two commands a newcomer needs (README.md): `make rehearsal` and `make test`.
# Both create the project-local virtual environment first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: help venv rehearsal test lint benchmark emulator-start emulator-stop ee clean

help:
	@echo "make rehearsal       full rehearsal against the local AWS emulator"
	@echo "make test            all tests (lint, ansible-test, unit, emulator, modules, playbooks)"
	@echo "make lint            ansible-lint (production profile), ruff, syntax checks"
	@echo "make benchmark       time every rehearsal step (artifacts/benchmark/)"
	@echo "make emulator-start  start the emulator (EMULATOR_PORT, default 5000)"
	@echo "make emulator-stop   stop it"
	@echo "make ee              execution environment build context in artifacts/ee/context (offline)"

# requirements.txt: what the collection needs at run time; requirements-dev.txt: it plus the tools.
$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

venv: $(STAMP)

rehearsal: venv
	scripts/rehearsal.sh

test: venv
	scripts/test.sh

lint: venv
	scripts/lint.sh

benchmark: venv
	$(BIN)/python scripts/benchmark.py

emulator-start: venv
	$(BIN)/python -m emulator start

emulator-stop: venv
	$(BIN)/python -m emulator stop

# The execution environment's build context (ee/execution-environment.yml): the collection's tarball
# next to a copy of the definition, then `ansible-builder create` (no container engine needed).
ee: venv
	rm -rf artifacts/ee && mkdir -p artifacts/ee
	cp ee/execution-environment.yml artifacts/ee/
	$(BIN)/ansible-galaxy collection build --output-path artifacts/ee .
	mv artifacts/ee/payments-region_migration-*.tar.gz artifacts/ee/payments-region_migration.tar.gz
	$(BIN)/ansible-builder create -f artifacts/ee/execution-environment.yml -c artifacts/ee/context
	@echo "build it: podman build -f artifacts/ee/context/Containerfile -t payments-region-migration-ee artifacts/ee/context"

clean:
	rm -rf $(VENV) artifacts .pytest_cache .coverage
