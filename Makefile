# Every target sets itself up on first use: a fresh clone needs only Python 3.11+, Node.js, make and git.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
CDK := node_modules/.bin/cdk
# The browser tests drive Debian's Chromium through Playwright (Playwright's own download needs the internet).
CHROMIUM := /usr/bin/chromium
# checkov's dependencies conflict with the project's, so it lives in its own venv.
CHECKOV_VENV := .tools/checkov
CHECKOV := $(CHECKOV_VENV)/bin/checkov
CHECKOV_VERSION := 3.3.30
EGRESS_MODES := nat privatelink
CDK_ARGS ?=
DEMO_ARGS ?=
# make bench BENCH_BASE=<commit>: the Temporal bench also runs that commit's worker, in the same rounds (base vs new).
BENCH_BASE ?=
STACKS ?= --all
EXTRAS := aws,worker,lambda,durable,ops,cdk,dev
# make test runs pytest in this many worker processes (pytest-xdist; groups in tests/conftest.py); 0 runs in-process.
TEST_WORKERS ?= 2
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 1
# jsii also warns once Node 20 is past its end of life; the value names the major version to silence.
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: help install lint test demo synth diff deploy destroy audit bench clean temporal-histories test-sfn sfn-local bundle checkov browser mutation

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

lint: $(VENV)/.installed ## ruff, mypy and the import contracts (lint-imports)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports --no-cache

test: install lint bundle $(CHECKOV) $(CHROMIUM) ## the whole suite (unit, every engine, infra + compliance gates, comparison)
	$(VENV)/bin/pytest -n $(TEST_WORKERS) --dist loadgroup --durations=15

demo: install bundle ## every scenario through all three engines, both profiles, locally; reports/comparison.{json,md,html}
	$(PY) -m comparison.demo $(DEMO_ARGS)

audit: install ## the exposure audit against a deployed environment, with its own canaries (see README)
	$(PY) -m comparison.deployed.audit

test-sfn: $(VENV)/.installed bundle ## only the Step Functions tests (handlers, definition, local interpreter, exposure)
	$(VENV)/bin/pytest tests/lambdas tests/contract tests/local/stepfunctions tests/ops/test_reviewer.py

sfn-local: $(VENV)/.installed bundle ## run the scenario corpus on the local Step Functions interpreter (PROFILE=baseline)
	$(PY) -m local.stepfunctions --profile $(or $(PROFILE),hardened)

bench: $(VENV)/.installed bundle ## measure what protection costs (codec ratio, KMS requests, payload timings, Lambda imports/assets): reports/bench.json
	$(PY) -m bench $(if $(BENCH_BASE),--base $(BENCH_BASE))

# mutmut (pinned in the dev extra) over the security core, each module with its own fast tests; MUTATION_WORKERS=2 runs
# two mutants at a time. Not part of `make test`: see tests/README.md for its wall time.
mutation: $(VENV)/.installed ## mutation testing of the security core (about an hour with one worker, not in test): reports/mutation.json
	$(PY) -m tests.mutation $(MUTATION_ARGS)

temporal-histories: $(VENV)/.installed ## record the encrypted replay histories (all, or SCENARIOS="name ..." only)
	$(PY) -m tests.workers.record_histories $(SCENARIOS)

# --- CDK / compliance -------------------------------------------------------------------------------------

$(CHECKOV):
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet --disable-pip-version-check checkov==$(CHECKOV_VERSION)

checkov: $(CHECKOV) ## install checkov in its own venv (.tools/checkov)

$(CHROMIUM):
	@command -v apt-get >/dev/null || { echo "the browser tests need Chromium at $(CHROMIUM) (Debian: apt-get install chromium)"; exit 1; }
	$(if $(filter 0,$(shell id -u)),,sudo) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(if $(filter 0,$(shell id -u)),,sudo) apt-get install -y -qq chromium >/dev/null

browser: $(CHROMIUM) ## install Debian's Chromium for the browser tests (needs root or sudo)

bundle: $(VENV)/.installed ## build the Lambda assets (build/lambda, build/durable) and the worker image context (build/worker), no Docker
	$(PY) -m infra.bundle

synth: install bundle $(CHECKOV) ## cdk.out/<mode>/ for both egress modes, gated; reports/compliance.json
	@set -e; for mode in $(EGRESS_MODES); do \
	  echo "== cdk synth ($$mode)"; \
	  $(CDK) synth --quiet -c egress_mode=$$mode -o cdk.out/$$mode $(CDK_ARGS); \
	done
	$(PY) -m infra.compliance.report --out reports/compliance.json
	$(VENV)/bin/cfn-lint --non-zero-exit-code error --ignore-checks W3005 -- $(foreach m,$(EGRESS_MODES),cdk.out/$(m)/*.template.json)
	@set -e; for mode in $(EGRESS_MODES); do \
	  $(CHECKOV) -d cdk.out/$$mode --framework cloudformation --compact --quiet --skip-download; \
	done

diff: install bundle ## cdk diff against the deployed stacks (configured egress mode)
	$(CDK) diff $(STACKS) $(CDK_ARGS)

deploy: install bundle ## cdk deploy (needs AWS credentials and a bootstrapped account; see README)
	$(CDK) deploy $(STACKS) --require-approval broadening $(CDK_ARGS)

destroy: install ## cdk destroy (stateful resources are retained by default; see README)
	$(CDK) destroy $(STACKS) $(CDK_ARGS)

clean: ## remove generated output (keeps .venv and node_modules)
	rm -rf cdk.out build reports .pytest_cache .mypy_cache .ruff_cache .hypothesis
