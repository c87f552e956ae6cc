# partnercenter - SAM-native tasks. `make dev` runs the local stack, `make test` runs every gate.
SHELL := /bin/bash
# The interpreter every virtualenv is built on: the functions' runtime, python3.13 (.ci/python313).
PYTHON ?= $(shell .ci/python313)
VENV := .venv
BIN := $(VENV)/bin
# Named for the Python it was built on: a .venv from before python3.13 is rebuilt, not reused.
STAMP := $(BIN)/.installed-py313
SAM_VENV := .tools/sam
SAM := $(SAM_VENV)/bin/sam
CHECKOV_VENV := .tools/checkov
export AWS_DEFAULT_REGION ?= ap-northeast-2
export SAM_CLI_TELEMETRY := 0
export PYTHONPATH := layers/core:.
ENV ?= dev
# pytest-xdist: one worker per core (`make pytest WORKERS=0` runs in one process). A test file
# stays on one worker, so its module fixtures (a local stack, a provisioned world) start once.
WORKERS ?= auto
XDIST = -n $(WORKERS) --dist loadfile
# `sam build` runs the layer's BuildMethod, python3.13, from PATH: the interpreter found above.
SAM_PATH = PATH="$(dir $(PYTHON)):$$PATH"
.DEFAULT_GOAL := help

.PHONY: help dev demo operator test lint format typecheck cfn-lint sam-validate sam-build security pytest unit integration functional e2e bench openapi deploy smoke clean

help: ## List every target
	@grep -E '^[a-zA-Z0-9_-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  %-14s %s\n", $$1, $$2}'

# A .venv on another Python (or the link a git worktree may have) is replaced, never reused.
$(STAMP): requirements-dev.txt layers/core/requirements.txt
	@test -n "$(PYTHON)"
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

# The SAM CLI pins an older boto3 than the app uses, so it lives in its own environment.
$(SAM_VENV)/.installed:
	$(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install --quiet --upgrade pip
	$(SAM_VENV)/bin/pip install --quiet aws-sam-cli==1.170.0
	touch $@

# checkov pins its own boto3 too.
$(CHECKOV_VENV)/.installed:
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet --upgrade pip
	$(CHECKOV_VENV)/bin/pip install --quiet checkov==3.3.30
	touch $@

dev: $(STAMP) ## Run the local stack (API, functions and schedules on moto)
	$(BIN)/python -m local

# Against a running `make dev`: an operator with TOTP enrolled, and how to sign in as one.
operator: $(STAMP) ## Against `make dev`: an operator with TOTP, and how to sign in as one
	$(BIN)/python -m local.operator

# A member's whole life against a running `make dev`, printed as curl commands (docs/walkthrough.md).
demo: $(STAMP) ## Against `make dev`: a member's whole life as curl commands
	$(BIN)/python -m local.demo

test: lint typecheck cfn-lint sam-validate sam-build security pytest ## Every gate, as CI runs it

lint: $(STAMP) ## ruff check and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports  # the layering contract: .importlinter

format: $(STAMP) ## ruff fix and format
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

typecheck: $(STAMP) ## mypy (strict on the layer)
	$(BIN)/mypy layers/core/partnercenter functions local bench

cfn-lint: $(STAMP) ## cfn-lint on template.yaml
	$(BIN)/cfn-lint template.yaml

sam-validate: $(SAM_VENV)/.installed ## sam validate --lint
	$(SAM) validate --lint --template template.yaml

sam-build: $(SAM_VENV)/.installed ## sam build (python3.13, arm64)
	$(SAM_PATH) $(SAM) build --template template.yaml --build-dir .aws-sam/build

# Every suppression is justified where it stands: `# nosec` in code, .checkov.yaml for the template.
security: $(STAMP) $(CHECKOV_VENV)/.installed ## bandit and checkov
	$(BIN)/bandit -r layers/core/partnercenter functions local -q
	$(CHECKOV_VENV)/bin/checkov -f template.yaml --config-file .checkov.yaml

pytest: $(STAMP) ## Every test tier, with coverage
	$(BIN)/python -m pytest $(XDIST) --cov --cov-report=term

unit: $(STAMP) ## Unit tests only
	$(BIN)/python -m pytest tests/unit

integration: $(STAMP) ## Integration tests only
	$(BIN)/python -m pytest $(XDIST) tests/integration

functional: $(STAMP) ## Call budgets: each route's AWS round trips, counted on moto
	$(BIN)/python -m pytest tests/functional

e2e: $(STAMP) ## End-to-end tests against the local stack
	$(BIN)/python -m pytest $(XDIST) tests/e2e

bench: $(STAMP) ## Benchmarks, printed as ratios measured in one run
	$(BIN)/python -m bench

openapi: $(STAMP) ## Regenerate docs/openapi.json
	$(BIN)/python -m local.openapi --write docs/openapi.json

# Deploys samconfig.toml's [ENV] environment (dev or prod) with the caller's AWS credentials;
# prod shows the change set and asks first. No test runs it (docs/operations.md).
deploy: $(SAM_VENV)/.installed ## Build and deploy samconfig.toml's [ENV] environment (ENV=dev|prod)
	$(SAM_PATH) $(SAM) build --template template.yaml --build-dir .aws-sam/build
	$(SAM) deploy --config-env $(ENV)

# The smoke tests (marked smoke) against a deployed stack, found from its outputs.
smoke: $(STAMP) ## Smoke tests against a deployed stack (STACK=<name>)
	@test -n "$(STACK)" || { echo "usage: make smoke STACK=<stack name>" >&2; exit 2; }
	AWS_SAM_STACK_NAME=$(STACK) $(BIN)/python -m pytest tests/e2e -m smoke -p no:cacheprovider

clean: ## Remove the virtualenvs, build output and caches
	rm -rf $(VENV) .tools .aws-sam .pytest_cache .mypy_cache .ruff_cache .coverage*
