# Two commands on a fresh machine: `make serve` runs the system locally on moto, `make test` proves it.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PORT   ?= 3000
BACKEND_PORT ?= 5000

.PHONY: install system-deps serve invoke events token test lint typecheck unit integration e2e fmt clean

$(VENV)/.installed: requirements-dev.txt shared/requirements.txt layers/render/requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

## The web console's npm libraries at the versions web/package-lock.json pins (ECharts; axe-core for its tests)
WEB_DEPS := web/node_modules/.package-lock.json
$(WEB_DEPS): web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund --loglevel=error
	touch $@
web: $(WEB_DEPS)
.PHONY: web

## Debian tools the visual tests use (poppler, headless Chromium, a CJK font); installs only what is missing
system-deps:
	bash scripts/system-deps.sh

## Run the whole system locally: moto backend + the API on 127.0.0.1:$(PORT). What it writes is kept in .local/
## across restarts; `make serve FRESH=1` starts empty. It writes .local/serve.json, where the commands below look.
serve: install web
	PORT=$(PORT) $(PY) -m local serve --port $(PORT) --backend-port $(BACKEND_PORT) $(if $(FRESH),--fresh)

## Invoke one function like `sam local invoke` against the running serve's backend; only its answer on stdout:
## make invoke FUNCTION=ApplicationsFunction EVENT=events/...json
invoke: install
	@$(PY) -m local invoke $(FUNCTION) $(EVENT)

## The last domain events the running `make serve` put on its bus (EventBridge), oldest first
events: install
	@$(PY) -m local events

## Print a local (unsigned) bearer token: make token SUB=u1 GROUPS=providers
token: install
	@$(PY) -m local token --sub $(or $(SUB),provider-1) --groups $(or $(GROUPS),providers)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/cfn-lint template.yaml

typecheck: install
	$(VENV)/bin/mypy

## axe-core (pinned in package.json/package-lock.json), injected into pages by the browser tests; after system-deps
AXE := node_modules/axe-core/axe.min.js
$(AXE): package.json package-lock.json | system-deps
	npm ci --no-audit --no-fund --loglevel=error
	touch $@
test-tools: $(AXE)
.PHONY: test-tools

## Everything CI runs: lint, types, template, then unit, integration and end-to-end tests
test: lint typecheck system-deps test-tools web
	$(PY) -m pytest

## Publish the console to a deployed stack: config.json from its outputs, web/ to the console bucket, a CloudFront
## invalidation. make deploy-console STACK=provider-grading [REGION=eu-west-1] [DRY_RUN=1]
deploy-console: install web
	$(PY) scripts/deploy_console.py --stack $(STACK) $(if $(REGION),--region $(REGION)) $(if $(DRY_RUN),--dry-run)
.PHONY: deploy-console

fmt: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis node_modules

## Walk each provider's audit chain and name any broken entry (exit 1): CODES="cc ..." or every provider. Against
## the backend of a running `make serve`, or set TABLE_NAME (and AWS credentials) to check a deployed stack's table.
verify-audit: install
ifdef TABLE_NAME
	PYTHONPATH=shared TABLE_NAME=$(TABLE_NAME) $(PY) -m grading.audit_verify $(CODES)
else
	@BACKEND=$$($(PY) -m local where backend) && \
	PYTHONPATH=shared AWS_ENDPOINT_URL=$$BACKEND AWS_ACCESS_KEY_ID=testing \
	AWS_SECRET_ACCESS_KEY=testing AWS_DEFAULT_REGION=us-east-1 TABLE_NAME=provider-grading-local-GradingTable \
	$(PY) -m grading.audit_verify $(CODES)
endif
.PHONY: verify-audit security-tools

## checkov pins its own boto3, so it gets a venv of its own inside .venv (tests/security/test_template_security.py)
CHECKOV := $(VENV)/checkov/bin/checkov
$(CHECKOV):
	test -x $(VENV)/checkov/bin/python || $(PYTHON) -m venv $(VENV)/checkov
	$(VENV)/checkov/bin/python -m pip install --quiet --upgrade pip
	$(VENV)/checkov/bin/python -m pip install --quiet checkov==3.3.30
security-tools: $(CHECKOV)
test: security-tools

## ApiDocsFunction's OpenAPI document, generated from the routes' code (a test fails while the committed one is stale)
openapi: install
	PYTHONPATH=shared $(PY) -m grading.openapi_build
.PHONY: openapi

## Benchmarks (issue 8): one table, and bench/results.json; <10 min. `make bench ARGS=--quick` is the <1 min smoke
bench: install
	$(PY) -m bench $(ARGS)

## The <1 minute smoke of `make bench`: small sizes, few repetitions, no package download (writes bench/*.tmp)
bench-quick: install
	$(PY) -m bench --quick $(ARGS)
.PHONY: bench bench-quick
