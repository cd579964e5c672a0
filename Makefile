# Every target sets itself up on first use: a fresh clone needs only Python 3.11+, Node.js, make and git.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
CDK := node_modules/.bin/cdk
EXTRAS := aws,worker,lambda,cdk,dev
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 1
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: help install lint test demo synth diff deploy destroy audit bench clean temporal-histories

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN{FS=":.*## "}{printf "  make %-10s %s\n", $$1, $$2}'

$(VENV)/.installed: pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "Python 3.11+ required (set PYTHON=...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[$(EXTRAS)]'
	@touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

install: $(VENV)/.installed node_modules/.installed ## create .venv and install pinned Python and Node tools

lint: $(VENV)/.installed ## ruff + mypy
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

test: install lint ## the whole suite (unit, both engines, infra + compliance gates, comparison)
	$(VENV)/bin/pytest

bench: $(VENV)/.installed ## measure what protection costs (codec throughput ratio, KMS requests, payload timings): reports/bench.json
	$(PY) -m bench

temporal-histories: $(VENV)/.installed ## re-record the encrypted Temporal replay histories (intentional workflow change only)
	$(PY) -m tests.temporal.record_histories

clean: ## remove generated output (keeps .venv and node_modules)
	rm -rf cdk.out reports .pytest_cache .mypy_cache .ruff_cache .hypothesis
