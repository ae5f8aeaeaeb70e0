# vox-raga transformer: no torch, small, starts fast. Multi-architecture (linux/amd64,
# linux/arm64). Build from the repository root:
#   docker buildx build -f docker/transformer.Dockerfile -t vox-raga/transformer:0.1.0 .
# BASE can name any Debian image with Python 3.11 (`make image-transformer-local` uses one
# bootstrapped with mmdebstrap).
ARG BASE=python:3.11-slim-bookworm

FROM ${BASE} AS build
ARG TARGETARCH
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
# pynini (NeMo's grammars) publishes x86_64 wheels only: on arm64 pip builds it from its sdist,
# against OpenFst 1.8.3 built here into /opt/openfst (copied into the image, empty on amd64).
ENV CPATH=/opt/openfst/include LIBRARY_PATH=/opt/openfst/lib LD_LIBRARY_PATH=/opt/openfst/lib
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
# binutils: strip for pynini's libraries below.
# hadolint ignore=DL3003,DL3008
RUN apt-get update && apt-get install -y --no-install-recommends binutils \
    && rm -rf /var/lib/apt/lists/* && mkdir -p /opt/openfst/lib \
    && if [ "$TARGETARCH" = "arm64" ]; then \
        apt-get update && apt-get install -y --no-install-recommends build-essential curl \
            ca-certificates && rm -rf /var/lib/apt/lists/* \
        && curl -fsSL https://www.openfst.org/twiki/pub/FST/FstDownload/openfst-1.8.3.tar.gz \
            | tar -xz -C /tmp \
        && cd /tmp/openfst-1.8.3 \
        && ./configure --prefix=/opt/openfst --enable-grm --disable-bin \
        && make -j"$(nproc)" install && rm -rf /tmp/openfst-1.8.3; \
    fi
RUN python3 -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
COPY pyproject.toml README.md ./
COPY requirements ./requirements
COPY transformer ./transformer
COPY voxraga ./voxraga
# The locked set (requirements/<extra>.txt, written by `make lock`) as constraints: the
# versions the tests ran, and nothing the extra does not need.
# pynini's wheel ships OpenFst unstripped: 413 MB of libraries, 20 MB without their symbols.
# Then every language's text normalization grammar, compiled once here (minutes) so that a
# replica loads each in a second on first use instead of compiling it.
# hadolint ignore=DL3013
RUN pip install -c requirements/transformer.txt ".[transformer]" && pip check \
    && find /opt/venv /opt/openfst -name '*.so*' -path '*fst*' -type f \
        -exec strip --strip-unneeded {} + \
    && python3 -c 'from transformer.text.nemo import main; main(["--grammar_dir", "/opt/grammars"])'

FROM ${BASE}
RUN useradd --uid 1000 --create-home --shell /usr/sbin/nologin vox
COPY --from=build /opt/venv /opt/venv
COPY --from=build /opt/openfst/lib /opt/openfst/lib
COPY --from=build /opt/grammars /opt/grammars
ENV PATH=/opt/venv/bin:$PATH PYTHONUNBUFFERED=1 HOME=/tmp LD_LIBRARY_PATH=/opt/openfst/lib \
    VOX_GRAMMAR_DIR=/opt/grammars
USER 1000
EXPOSE 8080 8081
ENTRYPOINT ["python3", "-m", "transformer"]
