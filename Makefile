# LearnSmart: `make demo` runs the demo school through the pipeline and starts the services;
# `make test` runs the test suite. Both install what they need first (uv, then the locked venv).
SHELL := /bin/bash
CACHE ?= $(HOME)/.cache/learnsmart
UV_BOOT := $(CACHE)/uvboot
UV := $(UV_BOOT)/bin/uv
UV_VERSION := 0.13.9
export UV_CACHE_DIR ?= $(CACHE)/uv
export LEARNSMART_CACHE ?= $(CACHE)
export UV_PYTHON_DOWNLOADS := never
export DAGSTER_HOME ?= $(CURDIR)/data/dagster_home
export DO_NOT_TRACK := 1
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
PYTEST_ARGS ?=

.DEFAULT_GOAL := help
.PHONY: help setup setup-spark browser demo test lint format bench stop clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(UV):
	@mkdir -p $(CACHE)
	python3.11 -m venv $(UV_BOOT) || python3 -m venv $(UV_BOOT)
	$(UV_BOOT)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# Bytecode compiled once here: where PYTHONDONTWRITEBYTECODE is set (these machines), every fresh
# interpreter (test workers, CLI subprocesses, the loader's map-ahead child) would otherwise
# compile dagster, pandas, polars... from source again (about 7 s of imports instead of 4).
.venv/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --python 3.11 --compile-bytecode
	@touch $@

# The xAPI scanner's native fast path (Rust, lake/native), rebuilt when its sources change.
.venv/.native: .venv/.synced scripts/build_native.sh lake/native/Cargo.toml lake/native/Cargo.lock $(wildcard lake/native/src/*.rs)
	bash scripts/build_native.sh
	@touch $@

setup: .venv/.synced .venv/.native ## Install uv, the locked virtual environment (.venv) and the native scanner

setup-spark: ## Java 17 and the delta-spark jars (~/.m2) for the Spark engine (when missing)
	bash scripts/ensure_spark.sh

browser: ## Install Debian's chromium for the browser tests (when missing)
	bash scripts/ensure_chromium.sh

demo: setup setup-spark ## Generate the demo school, run the whole pipeline, start the services
	bash scripts/demo.sh

test: setup setup-spark lint browser ## Run linters and the whole test suite (what CI runs)
	bash scripts/build_native.sh test
	.venv/bin/pytest -n 2 --durations=30 $(PYTEST_ARGS)

lint: setup ## ruff check + format check
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

format: setup ## Format the code with ruff
	.venv/bin/ruff format .
	.venv/bin/ruff check --fix .

bench: setup ## Run the benchmarks at their default sizes (data cached in ~/.cache/learnsmart/bench)
	.venv/bin/python bench/ingest.py
	.venv/bin/python bench/curate.py

stop: ## Stop the services `make demo` started
	bash scripts/stop.sh

clean: stop ## Remove generated data (keeps the venv and caches)
	rm -rf data
