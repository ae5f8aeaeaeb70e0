# vox-raga transformer: no torch, small, starts fast. Multi-architecture (linux/amd64,
# linux/arm64). Build from the repository root:
#   docker buildx build -f docker/transformer.Dockerfile -t vox-raga/transformer:0.1.0 .
# BASE can name any Debian image with Python 3.11 (`make image-transformer-local` uses one
# bootstrapped with mmdebstrap).
ARG BASE=python:3.11-slim-bookworm

FROM ${BASE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python3 -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
COPY pyproject.toml README.md ./
COPY requirements ./requirements
COPY transformer ./transformer
COPY voxraga ./voxraga
# The locked set (requirements/<extra>.txt, written by `make lock`) as constraints: the
# versions the tests ran, and nothing the extra does not need.
# hadolint ignore=DL3013
RUN pip install -c requirements/transformer.txt ".[transformer]" && pip check

FROM ${BASE}
RUN useradd --uid 1000 --create-home --shell /usr/sbin/nologin vox
COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH PYTHONUNBUFFERED=1 HOME=/tmp
USER 1000
EXPOSE 8080 8081
ENTRYPOINT ["python3", "-m", "transformer"]
