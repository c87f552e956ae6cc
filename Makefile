# partnercenter - SAM-native tasks. `make dev` runs the local stack, `make test` runs every gate.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
SAM_VENV := .tools/sam
SAM := $(SAM_VENV)/bin/sam
CHECKOV_VENV := .tools/checkov
export AWS_DEFAULT_REGION ?= ap-northeast-2
export SAM_CLI_TELEMETRY := 0
export PYTHONPATH := layers/core:.
ENV ?= dev

.PHONY: dev demo operator test lint format typecheck cfn-lint sam-validate sam-build security pytest unit integration e2e bench openapi deploy smoke clean

$(BIN)/.installed: requirements-dev.txt layers/core/requirements.txt
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

dev: $(BIN)/.installed
	$(BIN)/python -m local

# Against a running `make dev`: an operator with TOTP enrolled, and how to sign in as one.
operator: $(BIN)/.installed
	$(BIN)/python -m local.operator

# A member's whole life against a running `make dev`, printed as curl commands (docs/walkthrough.md).
demo: $(BIN)/.installed
	$(BIN)/python -m local.demo

test: lint typecheck cfn-lint sam-validate sam-build security pytest

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports  # the layering contract: .importlinter

format: $(BIN)/.installed
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

typecheck: $(BIN)/.installed
	$(BIN)/mypy layers/core/partnercenter functions local

cfn-lint: $(BIN)/.installed
	$(BIN)/cfn-lint template.yaml

sam-validate: $(SAM_VENV)/.installed
	$(SAM) validate --lint --template template.yaml

sam-build: $(SAM_VENV)/.installed
	$(SAM) build --template template.yaml --build-dir .aws-sam/build

# Every suppression is justified where it stands: `# nosec` in code, .checkov.yaml for the template.
security: $(BIN)/.installed $(CHECKOV_VENV)/.installed
	$(BIN)/bandit -r layers/core/partnercenter functions local -q
	$(CHECKOV_VENV)/bin/checkov -f template.yaml --config-file .checkov.yaml

pytest: $(BIN)/.installed
	$(BIN)/python -m pytest --cov --cov-report=term

unit: $(BIN)/.installed
	$(BIN)/python -m pytest tests/unit

integration: $(BIN)/.installed
	$(BIN)/python -m pytest tests/integration

e2e: $(BIN)/.installed
	$(BIN)/python -m pytest tests/e2e

bench: $(BIN)/.installed
	$(BIN)/python -m bench

openapi: $(BIN)/.installed
	$(BIN)/python -m local.openapi --write docs/openapi.json

# Deploys samconfig.toml's [ENV] environment (dev or prod) with the caller's AWS credentials;
# prod shows the change set and asks first. No test runs it (docs/operations.md).
deploy: $(SAM_VENV)/.installed
	$(SAM) build --template template.yaml --build-dir .aws-sam/build
	$(SAM) deploy --config-env $(ENV)

# The smoke tests (marked smoke) against a deployed stack, found from its outputs.
smoke: $(BIN)/.installed
	@test -n "$(STACK)" || { echo "usage: make smoke STACK=<stack name>" >&2; exit 2; }
	AWS_SAM_STACK_NAME=$(STACK) $(BIN)/python -m pytest tests/e2e -m smoke -p no:cacheprovider

clean:
	rm -rf $(VENV) .tools .aws-sam .pytest_cache .mypy_cache .ruff_cache .coverage*
