# newsflow — event-stream news ingestion. `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
KAFKA_PORT ?= 9092
PYTEST_ARGS ?=

.DEFAULT_GOAL := help
.PHONY: help install system-deps kafka-jars run up down test test-unit test-integration test-e2e bench lint format typecheck check clean

help: ## list the targets
	@grep -E '^[a-zA-Z0-9_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-18s\033[0m %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) ## create .venv with newsflow and its dev tools (.venv/bin/newsflow)

system-deps: ## Debian packages the tests use (prometheus/promtool); needs root
	bash deploy/setup/system-deps.sh

kafka-jars: $(STAMP) ## fetch the pinned Apache Kafka jars from Maven Central (cached)
	$(BIN)/python deploy/kafka/kafka_runner.py --fetch-only

run: install kafka-jars ## the whole system locally: Kafka + 5 services, a sample ingested, URLs printed
	$(BIN)/newsflow dev --kafka-port $(KAFKA_PORT) --data-dir .data --sample deploy/samples

test: install system-deps kafka-jars ## unit + integration + e2e tests on a real Kafka broker
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-unit: install ## pure-logic tests only (no broker)
	$(BIN)/python -m pytest tests/unit $(PYTEST_ARGS)

test-integration: install kafka-jars ## tests against the real broker
	$(BIN)/python -m pytest tests/integration $(PYTEST_ARGS)

test-e2e: install kafka-jars ## the whole pipeline end to end
	$(BIN)/python -m pytest tests/e2e $(PYTEST_ARGS)

bench: install kafka-jars ## end-to-end throughput and latency on a real broker (prints figures)
	$(BIN)/python -m tests.bench.pipeline $(BENCH_ARGS)

lint: install ## ruff lint + format check
	$(BIN)/ruff check services tests deploy
	$(BIN)/ruff format --check services tests deploy

format: install ## apply ruff formatting and safe fixes
	$(BIN)/ruff check --fix services tests deploy
	$(BIN)/ruff format services tests deploy

typecheck: install ## mypy over the package
	$(BIN)/mypy services

check: lint typecheck test ## everything CI checks

up: ## docker compose up (needs a Docker engine)
	docker compose up -d --build

down: ## docker compose down
	docker compose down

clean: ## remove local state (.data) and caches
	rm -rf .data .pytest_cache .ruff_cache .mypy_cache test-artifacts
