# Telegram support bot: developer entry points. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
BIN := $(VENV)/bin
# The Lambda runtime is Python 3.13: use it for the virtualenv where pyenv has it, else python3 (>= 3.11).
PYTHON_FOR_VENV := $(shell if PYENV_VERSION=3.13.0 python3.13 --version >/dev/null 2>&1; \
	then echo "env PYENV_VERSION=3.13.0 python3.13"; else echo python3; fi)
STAMP := $(VENV)/.installed
# checkov pins boto3, botocore and packaging older than the dev tools: it lives in a virtualenv of its own.
CHECKOV_VENV := .venv-checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed
# Browser tests drive Debian's Chromium through Playwright (Playwright's own browser download is
# not available here).
CHROMIUM ?= /usr/bin/chromium

STACK_NAME ?= telegram-support-bot

.PHONY: help install browser run test test-fast lint bench reliability diagram build deploy set-webhook redrive migrate clean \
	rotate-webhook-secret rotate-secret finish-rotation

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

install: $(STAMP) ## Create .venv and install the pinned runtime and dev packages (idempotent)

$(STAMP): requirements-dev.txt layers/shared/requirements.txt layers/admin/requirements.txt
	@$(PYTHON_FOR_VENV) -c 'import sys; assert sys.version_info >= (3, 11), "Python >= 3.11 is required"'
	test -x $(BIN)/python || $(PYTHON_FOR_VENV) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

$(CHECKOV_STAMP): requirements-checkov.txt
	test -x $(CHECKOV_VENV)/bin/python || $(PYTHON_FOR_VENV) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(CHECKOV_VENV)/bin/python -m pip install --quiet -r requirements-checkov.txt
	touch $(CHECKOV_STAMP)

browser: ## Debian's Chromium for the browser tests (apt-get as root; says so when it cannot)
	@test -x $(CHROMIUM) || { [ "$$(id -u)" = 0 ] && (apt-get update -qq && apt-get install -y -qq chromium >/dev/null) ; } \
		|| echo "Chromium is missing and cannot be installed here: browser tests will be skipped (CI fails instead)."

run: install ## The whole bot locally: Telegram sandbox web chat, Blinger console, API, AWS (Ctrl-C stops; data is kept, FRESH=1 starts clean)
	PYTHONPATH=.:layers/shared $(BIN)/python -m infra.localstack $(if $(filter 1,$(FRESH)),--fresh,) $(if $(filter 0,$(RATE_LIMITS)),--no-rate-limits,)

test: install $(CHECKOV_STAMP) browser ## Run every test (slow and browser ones included) and print the engine's branch coverage
	$(BIN)/python -m pytest --cov=statemachine --cov-branch --cov-report=term-missing --cov-fail-under=100

test-fast: install $(CHECKOV_STAMP) ## Run the tests not marked slow
	$(BIN)/python -m pytest -m "not slow"

lint: install $(CHECKOV_STAMP) ## ruff, mypy, cfn-lint, sam validate, checkov, pip-audit (skipped, saying so, when its service is unreachable)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/cfn-lint template.yaml
	SAM_CLI_TELEMETRY=0 $(BIN)/sam validate --lint --region eu-central-1
	$(CHECKOV_VENV)/bin/checkov --file template.yaml --framework cloudformation --compact --quiet --skip-download
	$(BIN)/python -m infra.dependency_audit

# BENCH_ARGS: e.g. "--users 20 --duration 10" for a short load run (python -m tests.bench --help).
bench: install ## Cold start, warm CPU and I/O per step vs a baseline, cost, layer sizes, load -> docs/PERFORMANCE.md
	PYTHONPATH=.:layers/shared $(BIN)/python -m tests.bench $(BENCH_ARGS)

reliability: install ## Abuse/security figures table (RELIABILITY_FULL=1: thousands of inputs, rewrites docs/RELIABILITY.md)
	RELIABILITY_REPORT=$(if $(filter 1,$(RELIABILITY_FULL)),docs/RELIABILITY.md,) $(BIN)/python -m pytest -q -p no:cacheprovider tests/reliability

diagram: install ## Draw the bot's state machine (Mermaid, from its definition) into docs/ARCHITECTURE.md
	PYTHONPATH=.:layers/shared $(BIN)/python -m infra.diagram

build: install ## sam build: functions and the layer for CPython 3.13 on arm64
	PATH="$(CURDIR)/$(BIN):$$PATH" SAM_CLI_TELEMETRY=0 $(BIN)/sam build

deploy: build ## sam deploy --guided (asks for the stack name, region and SSM parameter names)
	$(BIN)/sam deploy --guided --stack-name $(STACK_NAME)

set-webhook: install ## Point Telegram at the deployed webhook (needs TELEGRAM_BOT_TOKEN and TELEGRAM_WEBHOOK_SECRET)
	PYTHONPATH=.:layers/shared $(BIN)/python -m infra.set_webhook --stack-name $(STACK_NAME)

redrive: install ## Send dead-lettered outbox messages back for delivery (deployed stack STACK_NAME)
	PYTHONPATH=.:layers/shared $(BIN)/python -m infra.redrive --stack-name $(STACK_NAME)

rotate-webhook-secret: install ## New Telegram webhook secret, no call refused: old kept as -previous, 5 min wait, setWebhook
	PYTHONPATH=.:layers/shared $(BIN)/python -m infra.rotate --stack-name $(STACK_NAME) webhook-secret

rotate-secret: install ## Start rotating NAME (admin-api-key, blinger-webhook-secret, business-webhook-secret, backend-token-secret, blinger-token + NEW_SECRET_VALUE)
	PYTHONPATH=.:layers/shared $(BIN)/python -m infra.rotate --stack-name $(STACK_NAME) start $(NAME)

finish-rotation: install ## Stop accepting NAME's previous value (after its callers switched)
	PYTHONPATH=.:layers/shared $(BIN)/python -m infra.rotate --stack-name $(STACK_NAME) finish $(NAME)

# Without STACK_NAME set on the command line: the tables the environment names (make run does it on start).
migrate: install ## Migrate stored items to the current model (deployed: make migrate STACK_NAME=...; idempotent)
	PYTHONPATH=.:layers/shared $(BIN)/python -m infra.migrate $(if $(filter command line,$(origin STACK_NAME)),--stack-name $(STACK_NAME),)

clean: ## Remove build outputs and caches (keeps .venv)
	rm -rf .aws-sam .pytest_cache .mypy_cache .ruff_cache .coverage htmlcov
