#!/usr/bin/env bash
# Build the transformer image without a Docker engine: a Debian bookworm base bootstrapped with
# mmdebstrap (Python 3.11), the real docker/transformer.Dockerfile built on it with buildah, and
# `python -m transformer --help` run inside the result. Needs root.
set -euo pipefail
cd "$(dirname "$0")/.."
export STORAGE_DRIVER=vfs BUILDAH_ISOLATION=chroot
if ! command -v buildah >/dev/null || ! command -v mmdebstrap >/dev/null; then
  apt-get update -qq && apt-get install -y -qq buildah mmdebstrap >/dev/null
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mmdebstrap --variant=minbase --include=python3,python3-venv,ca-certificates \
  bookworm "$work/rootfs.tar"
base=$(buildah from scratch)
buildah add "$base" "$work/rootfs.tar" /
# The local base trusts what this machine trusts (a proxy's CA, say), for pip inside the build.
buildah add "$base" /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
buildah config --env PIP_CERT=/etc/ssl/certs/ca-certificates.crt \
  --env SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt "$base"
buildah commit --rm "$base" localhost/vox-raga-debian-python:bookworm
buildah bud --build-arg BASE=localhost/vox-raga-debian-python:bookworm \
  -f docker/transformer.Dockerfile -t localhost/vox-raga/transformer:dev .
ctr=$(buildah from localhost/vox-raga/transformer:dev)
trap 'buildah rm "$ctr" >/dev/null; rm -rf "$work"' EXIT
buildah run "$ctr" -- python3 -m transformer --help | head -3
buildah run "$ctr" -- python3 -c "import sys, transformer.__main__; assert 'torch' not in sys.modules; print('no torch in the transformer image')"
