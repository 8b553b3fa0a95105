# The one entry point for people and CI: `make run`, `make test`, `make bench`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Rasa 3.6 needs Python 3.10; take the first python3.10 that really runs.
PYTHON ?= $(shell for p in python3.10 $$(ls -d /root/.pyenv/versions/3.10*/bin/python3.10 /usr/local/bin/python3.10 /usr/bin/python3.10 2>/dev/null); do \
            $$p -c 'import sys; assert sys.version_info[:2] == (3, 10)' 2>/dev/null && { echo $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.9
SPACY_DIR := .build/spacy_en
MODEL := models/aftercare.tar.gz
TRAINING_INPUTS := config.yml domain.yml $(shell find data -name '*.yml' 2>/dev/null) $(SPACY_DIR)/meta.json

export ACTION_SERVER_URL ?= http://127.0.0.1:5055/webhook
export TF_CPP_MIN_LOG_LEVEL ?= 2
# Rasa's telemetry and crash reports would call out to the internet: off.
export RASA_TELEMETRY_ENABLED ?= false
export SQLALCHEMY_SILENCE_UBER_WARNING ?= 1

# Debian's Chromium for the browser tests; Playwright never downloads a browser.
# A file target: it runs only when /usr/bin/chromium is missing.
CHROMIUM := /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# axe-core (accessibility checks injected into pages by the browser tests), at the version
# and integrity hash of tests/browser/axe/package-lock.json, into the git-ignored .build/.
AXE_DIR := .build/axe
AXE := $(AXE_DIR)/node_modules/axe-core/axe.min.js

.PHONY: help setup run cluster test test-fast test-deps lint bench train nlu-report clean

help:
	@echo "make run    set up, train when the data changed, start the assistant on SQLite"
	@echo "make cluster  nginx in front of two servers on PostgreSQL and Redis (deploy/)"
	@echo "make test   set up, lint, then run every test"
	@echo "make test-fast  the unit lane: no trained model, servers or browser (under a minute)"
	@echo "make lint   ruff (lint and format) and mypy on bot/ and actions/"
	@echo "make bench  benchmarks; results in bench/RESULTS.md"

$(BIN)/.installed: requirements.lock pyproject.toml
	@test -n "$(PYTHON)" || { echo "error: Python 3.10 is required (rasa 3.6 needs <3.11)"; exit 2; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet uv==$(UV_VERSION)
	$(BIN)/uv pip install --quiet --python $(BIN)/python -r requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	touch $@

$(SPACY_DIR)/meta.json: $(BIN)/.installed bot/nlp/pipeline.py bot/nlp/entities.yml
	$(BIN)/python -m bot.nlp.build $(SPACY_DIR)

setup: $(BIN)/.installed $(SPACY_DIR)/meta.json

$(MODEL): $(BIN)/.installed $(TRAINING_INPUTS)
	$(BIN)/rasa train --fixed-model-name aftercare --out models --quiet

train: setup $(MODEL)

run: train
	$(BIN)/aftercare serve

# Debian's nginx for `make cluster` and the cluster tests; a file target, like Chromium.
NGINX := /usr/sbin/nginx
$(NGINX):
	$(SUDO) apt-get update
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y nginx

# Locust for the cluster's load runs, in a virtual environment of its own (its
# dependencies are not Rasa's), at the version of bench/cluster/requirements.txt.
LOCUST := .build/locust/bin/locust
$(LOCUST): bench/cluster/requirements.txt $(BIN)/.installed
	rm -rf .build/locust
	$(BIN)/uv venv --quiet --python $(PYTHON) .build/locust
	$(BIN)/uv pip install --quiet --python .build/locust/bin/python -r bench/cluster/requirements.txt
	touch $@

cluster: train $(NGINX)
	bash .ci/services.sh
	$(BIN)/python -m bot.devtools.cluster

$(CHROMIUM):
	$(SUDO) apt-get update
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium

$(AXE): tests/browser/axe/package.json tests/browser/axe/package-lock.json
	@command -v npm >/dev/null || { $(SUDO) apt-get update && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y npm; }
	mkdir -p $(AXE_DIR)
	cp tests/browser/axe/package.json tests/browser/axe/package-lock.json $(AXE_DIR)/
	npm ci --prefix $(AXE_DIR) --ignore-scripts --no-audit --no-fund
	touch $@

# What the browser and cluster tests need besides the project's Python: Debian's Chromium,
# axe-core, nginx and Locust.
test-deps: $(CHROMIUM) $(AXE) $(NGINX) $(LOCUST)

# Lint and type errors fail CI as a failing test does.
lint: $(BIN)/.installed
	$(BIN)/ruff check bot actions tests bench
	$(BIN)/ruff format --check bot actions tests bench
	$(BIN)/mypy

test: lint train test-deps
	bash .ci/services.sh
	$(BIN)/python -m pytest -q

# The unit lane: everything but the trained model, the real servers and the browser,
# on both cores.
test-fast: setup
	bash .ci/services.sh
	$(BIN)/python -m pytest -q -m "not e2e and not browser" -n 2

bench: train $(NGINX) $(LOCUST)
	bash .ci/services.sh
	$(BIN)/python -m bench

nlu-report: setup
	$(BIN)/python -m bench.nlu_report

clean:
	rm -rf $(VENV) .build models var
