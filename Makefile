# West Side Overdose Watch — the commands other tools rely on (see README and docs/getting-started.md).
SHELL := /bin/bash
.DEFAULT_GOAL := help

UV_VERSION := 0.13.9
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(CURDIR)/.venv
export DAGSTER_HOME ?= $(CURDIR)/.dagster_home
PYTHON ?= python3
UV := $(CURDIR)/.tools/bin/uv
PY := $(CURDIR)/.venv/bin/python
# Dagster's `dg` CLI, in the project's environment (dg warns when another environment is active).
DG := VIRTUAL_ENV=$(CURDIR)/.venv $(CURDIR)/.venv/bin/dg
PORT ?= 8501
DOCS_PORT ?= 8000

.PHONY: help setup demo demo-data pipeline app dagster dagster-home test docs docs-build bench clean audit dashboard-speed

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(UV):
	$(PYTHON) -m venv $(CURDIR)/.tools
	$(CURDIR)/.tools/bin/pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

# Bytecode is compiled at install time: where PYTHONDONTWRITEBYTECODE is set (this CI, many
# containers) Python would otherwise compile every imported module again in every process
# (measured in bench/RESULTS.md: a large share of Dagster's start-up and of every test process).
.venv/.synced: $(UV) pyproject.toml uv.lock Makefile
	$(UV) sync --frozen --python $(PYTHON) --compile-bytecode
	$(PY) -m compileall -q pipelines dashboards >/dev/null
	@touch $@

setup: .venv/.synced ## Create the environment from the lock file (idempotent)
	@mkdir -p "$(DAGSTER_HOME)"

demo-data: setup ## Generate the synthetic demo inputs (deterministic)
	$(PY) -m pipelines.demo.medical_examiner
	$(PY) -m pipelines.demo.field_data

# One line per step and a summary; VERBOSE=1 prints Dagster's full log instead. Either way the
# full DEBUG log goes to $(DAGSTER_HOME)/run_logs/ (deploy/run_config/*.yaml chooses the loggers).
RUN_CONFIG := deploy/run_config/$(if $(filter 1 true yes,$(VERBOSE)),verbose,quiet).yaml
pipeline: setup dagster-home ## Materialise every asset headless (VERBOSE=1: Dagster's full log)
	@$(DG) launch --job overdose_watch_job --config $(RUN_CONFIG)

app: setup ## Serve the dashboard on http://localhost:$(PORT) (existing warehouse)
	$(PY) -m streamlit run dashboards/app.py --server.port $(PORT) --server.headless true \
		--browser.gatherUsageStats false

dashboard-speed: setup ## Time every dashboard page in headless chromium (first render, filters)
	$(PY) bench/dashboard_speed.py --reps 5

demo: demo-data pipeline ## Setup, demo data, pipeline, then serve the dashboard
	@echo ""
	@echo "Pipeline materialised on synthetic demo data."
	@echo "Dashboard: http://localhost:$(PORT)   (Ctrl-C to stop)"
	@echo "Dagster UI (another terminal): make dagster   -> http://localhost:3000"
	@$(MAKE) --no-print-directory app

dagster: setup dagster-home ## Dagster UI, schedules and sensors (http://localhost:3000)
	$(DG) dev

dagster-home: ## Create DAGSTER_HOME with deploy/dagster.yaml (an existing dagster.yaml is kept)
	@mkdir -p "$(DAGSTER_HOME)"
	@test -f "$(DAGSTER_HOME)/dagster.yaml" || cp deploy/dagster.yaml "$(DAGSTER_HOME)/dagster.yaml"

test: setup ## The whole test suite
	$(PY) -m pytest

# Material for MkDocs prints its end-of-life notice on every build; it is noted in docs/development.md.
docs: setup ## Serve the manual (docs/, Material for MkDocs) on http://localhost:$(DOCS_PORT)
	NO_MKDOCS_2_WARNING=1 $(PY) -m mkdocs serve --dev-addr 127.0.0.1:$(DOCS_PORT)

docs-build: setup ## Build the manual into site/, failing on any warning (broken link, page not in nav)
	NO_MKDOCS_2_WARNING=1 $(PY) -m mkdocs build --strict

BENCH_DIR ?= $(CURDIR)/.bench
BENCH_ARGS ?=
bench: setup ## Benchmark at 1x, 10x, 100x; prints the table, writes bench/RESULTS.md (BENCH_ARGS=--help)
	$(PY) bench/run_bench.py --bench-dir "$(BENCH_DIR)" $(BENCH_ARGS)
	$(PY) bench/xlsx_reading.py --scale 100

audit: setup ## Check the locked dependencies for known vulnerabilities (needs network; CI runs it)
	$(UV) export --frozen --no-hashes --no-emit-project --format requirements-txt --quiet \
		--output-file $(CURDIR)/.venv/audit-requirements.txt
	$(PY) .ci/audit.py $(CURDIR)/.venv/audit-requirements.txt $(AUDIT_FLAGS)

clean: ## Remove generated data, outputs and the environment
	rm -rf data output data_raw/demo .dagster_home .venv .tools test-artifacts site
