# ADR Pulse: every target builds the environment it needs first (make setup).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export DO_NOT_TRACK := 1

.PHONY: help setup setup-spark demo test test-fast lint ui bench lock clean-home

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

setup: $(STAMP)  ## create .venv with the pinned dependencies, prepare the state folder and dbt manifest
	@$(BIN)/adrpulse prepare --quiet

$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "ADR Pulse needs Python >= 3.11; set PYTHON=python3.11")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $(STAMP)

setup-spark: setup  ## add the optional Spark extra (dbt-spark, PySpark; needs Java 17) for `adrpulse build --target spark`
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-spark.lock
	@command -v java >/dev/null || echo "setup-spark: no java on PATH; install a Java 17 runtime (Debian: openjdk-17-jre-headless)"

demo: setup  ## run the whole pipeline offline on the bundled synthetic sample
	$(BIN)/adrpulse demo

test: lint  ## lint, then the whole test suite, offline (what CI runs)
	$(BIN)/python -m pytest -q

test-fast: lint  ## lint, then the unit tests only: no Dagster run, no demo (under a minute)
	$(BIN)/python -m pytest -q -m "not slow" -p no:cacheprovider

lint: setup  ## ruff and the import-layer contract (.importlinter)
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache

UI_PORT ?= 3000
ui: setup  ## Dagster UI (webserver + daemon) on 127.0.0.1:3000 (another port: make ui UI_PORT=3001); Ctrl-C stops it
	$(BIN)/adrpulse ui --port $(UI_PORT)

bench: setup  ## benchmark harness (500 tickers x 10 years): results in ADRPULSE_HOME/bench; BENCH_ARGS=--write-docs updates docs/BENCHMARKS.md
	$(BIN)/adrpulse bench $(BENCH_ARGS)

lock: setup  ## re-pin requirements.lock from the current environment (the Spark extra's pins stay in requirements-spark.lock)
	{ echo "# Exact pins of the whole dependency tree (Python 3.11, Linux). Regenerate with: make lock"; \
	  $(BIN)/python -m pip freeze --exclude-editable | grep -v '^adrpulse' \
	    | grep -v -i -F -f <(sed -n 's/==.*/==/p' requirements-spark.lock); } > requirements.lock

clean-home:  ## delete the local state folder (.adrpulse): warehouse, archive, Dagster runs
	rm -rf .adrpulse
