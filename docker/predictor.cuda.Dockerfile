# vox-raga predictor, CUDA: on NVIDIA's CUDA runtime image; PyTorch's PyPI wheels are CUDA 13
# builds. linux/amd64 only. Build from the repository root:
#   docker buildx build -f docker/predictor.cuda.Dockerfile -t vox-raga/predictor:0.1.0-cuda .
ARG BASE=nvidia/cuda:13.0.1-cudnn-runtime-ubuntu22.04

FROM ${BASE} AS build
ARG EXTRAS=predictor
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 DEBIAN_FRONTEND=noninteractive
# Ubuntu's python3.11 tracks its security updates; not pinned to one build.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends python3.11 python3.11-venv \
    && rm -rf /var/lib/apt/lists/* \
    && python3.11 -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
COPY pyproject.toml README.md ./
COPY requirements ./requirements
COPY predictor ./predictor
COPY voxraga ./voxraga
# The locked set (requirements/<extra>.txt, written by `make lock`) as constraints: the
# versions the tests ran, and nothing the extras do not need.
# hadolint ignore=DL3013
RUN IFS=, && for extra in ${EXTRAS}; do set -- "$@" -c "requirements/$extra.txt"; done \
    && pip install "$@" ".[${EXTRAS}]" \
    && pip check

FROM ${BASE}
ENV DEBIAN_FRONTEND=noninteractive
# Ubuntu's python3.11 tracks its security updates; not pinned to one build.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends python3.11 \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --uid 1000 --create-home --shell /usr/sbin/nologin vox
COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    HOME=/tmp \
    NUMBA_CACHE_DIR=/tmp/numba \
    MPLCONFIGDIR=/tmp/matplotlib
USER 1000
EXPOSE 8080 8081
ENTRYPOINT ["python", "-m", "predictor"]
CMD ["--model_dir", "/mnt/models", "--device", "cuda"]
