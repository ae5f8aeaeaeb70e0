#!/usr/bin/env bash
# `make lock`: resolve every package the project installs, direct and transitive, and write
#   requirements/all.txt     every extra together: the set `make install` and `make test` use,
#                            and the constraints the files below are resolved within;
#   requirements/<extra>.txt the core plus one extra, exactly as its image installs it.
# The images build for linux/amd64 and linux/arm64 on Python 3.11; the lock is resolved for
# amd64 and checked to be the same set on arm64, so one file serves both.
# Commit the result with the pyproject.toml change that asked for it.
set -euo pipefail
cd "$(dirname "$0")/.."
UV=${UV:-uv}
EXTRAS=(predictor piper transformer dev)
compile() {
  "$UV" pip compile pyproject.toml --python-version 3.11 --quiet \
    --custom-compile-command "make lock" "$@"
}
compile --all-extras --python-platform x86_64-manylinux_2_28 --output-file requirements/all.txt
for extra in "${EXTRAS[@]}"; do
  compile --extra "$extra" --python-platform x86_64-manylinux_2_28 \
    --constraint requirements/all.txt --output-file "requirements/$extra.txt"
done

arm64=$(mktemp)
trap 'rm -f "$arm64"' EXIT
compile --all-extras --python-platform aarch64-manylinux_2_28 --no-annotate --no-header \
  --output-file "$arm64"
if ! diff <(grep -E '^[a-z0-9]' requirements/all.txt) "$arm64"; then
  echo "make lock: arm64 resolves to another set (above); the images need one lock each" >&2
  exit 1
fi
