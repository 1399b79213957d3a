# One image for all six newsflow services; the command picks the service:
#   docker run newsflow run normalizer        (default: run ingest)
#   docker run newsflow topics create
# docker-compose.yml builds it once and runs every service from it.

# ---- build: the project and its dependencies in a venv ----
FROM python:3.11-slim AS build

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore

# A C++ compiler for this stage only: pycld2 (language detection) has wheels for x86_64
# only, so on arm64 pip builds it from source. The runtime image below has no compiler.
RUN apt-get update \
    && apt-get install -y --no-install-recommends g++ \
    && rm -rf /var/lib/apt/lists/*

RUN python -m venv /opt/newsflow
ENV PATH=/opt/newsflow/bin:$PATH

WORKDIR /src

# Dependencies first, from pyproject.toml alone: this layer is reused until they change.
COPY pyproject.toml README.md ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt

# Then the project itself (schemas/, the topic contract, is in the context for the build to
# package; see services/core/schemas.py). The smoke test imports every service's app, so
# a dependency missing from pyproject.toml fails the build instead of a container at run
# time (run from / so the installed package is imported, not /src).
COPY services ./services
COPY schemas ./schemas
RUN pip install . \
    && newsflow --help > /dev/null \
    && cd / && python -c "import services.ingest.app, services.normalizer.app, services.categorizer.app, services.deduper.app, services.sink.app, services.related.app"

# ---- runtime: the venv, a non-root user, nothing else ----
FROM python:3.11-slim

ENV PATH=/opt/newsflow/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    NEWSFLOW_HTTP__HOST=0.0.0.0 \
    NEWSFLOW_DATA_DIR=/var/lib/newsflow

# State (RocksDB tables, caches) lives in /var/lib/newsflow, owned by the service user, so a
# named volume mounted there starts out with the right owner.
RUN groupadd --system --gid 10001 newsflow \
    && useradd --system --uid 10001 --gid newsflow --home-dir /var/lib/newsflow \
        --no-create-home --shell /usr/sbin/nologin newsflow \
    && mkdir -p /var/lib/newsflow \
    && chown newsflow:newsflow /var/lib/newsflow

COPY --from=build /opt/newsflow /opt/newsflow

USER newsflow:newsflow
WORKDIR /var/lib/newsflow

# Default ports: ingest 8000, sink 8001, normalizer 8011, categorizer 8012, deduper 8013,
# related 8014 (NEWSFLOW_HTTP__PORT). Every service serves /healthz, /readyz and /metrics there.
EXPOSE 8000 8001 8011 8012 8013 8014

ENTRYPOINT ["newsflow"]
CMD ["run", "ingest"]
