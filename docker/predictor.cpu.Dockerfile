# vox-raga predictor, CPU: PyTorch's CPU wheels, no CUDA libraries. Multi-architecture
# (linux/amd64, linux/arm64). Build from the repository root:
#   docker buildx build -f docker/predictor.cpu.Dockerfile -t vox-raga/predictor:0.1.0-cpu .
# EXTRAS=predictor,piper adds Piper voices (GPL-3.0-or-later).
ARG BASE=python:3.11-slim-bookworm

FROM ${BASE} AS build
ARG EXTRAS=predictor
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
COPY requirements ./requirements
# PyTorch's CPU builds (2.11.0+cpu satisfies the lock's torch==2.11.0): no CUDA libraries.
# hadolint ignore=DL3013
RUN pip install -c requirements/predictor.txt --index-url https://download.pytorch.org/whl/cpu \
    --extra-index-url https://pypi.org/simple torch torchaudio
COPY pyproject.toml README.md ./
COPY predictor ./predictor
COPY voxraga ./voxraga
# The locked set (requirements/<extra>.txt, written by `make lock`) as constraints: the
# versions the tests ran, and nothing the extras do not need.
# hadolint ignore=DL3013
RUN IFS=, && for extra in ${EXTRAS}; do set -- "$@" -c "requirements/$extra.txt"; done \
    && pip install "$@" ".[${EXTRAS}]" \
    && pip check

FROM ${BASE}
# No system packages: libsndfile comes inside the soundfile wheel, OpenMP inside torch's.
RUN useradd --uid 1000 --create-home --shell /usr/sbin/nologin vox
COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    HOME=/tmp \
    NUMBA_CACHE_DIR=/tmp/numba \
    MPLCONFIGDIR=/tmp/matplotlib
USER 1000
EXPOSE 8080 8081
ENTRYPOINT ["python", "-m", "predictor"]
CMD ["--model_dir", "/mnt/models", "--device", "cpu"]
