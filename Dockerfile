# syntax=docker/dockerfile:1
# One image for web, worker and beat: the command picks the process (README "Deploying").
#   docker build -t sre-control-plane .
#   docker build --build-arg WITH_ELASTICSEARCH=1 -t sre-control-plane .   (the Elasticsearch log store's client too)
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# --- build: the virtualenv and the collected static files ------------------------------------------------------
FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
# The locks carry a hash for every package, so pip installs them in --require-hashes mode (`make lock` writes them).
ARG WITH_ELASTICSEARCH=0
COPY requirements.txt requirements-elasticsearch.txt /tmp/
RUN if [ "$WITH_ELASTICSEARCH" = 1 ]; then lock=requirements-elasticsearch.txt; else lock=requirements.txt; fi \
    && pip install --require-hashes --requirement "/tmp/$lock"
WORKDIR /app
COPY . /app
# Settings need a writable var/ to import (development mode makes a throwaway secret key there); it is not kept.
RUN SRE_VAR_DIR=/tmp/build-var SRE_STATIC_ROOT=/app/staticfiles python manage.py collectstatic --noinput \
    && rm -rf /tmp/build-var

# --- runtime: no compiler, no pip cache, a user of its own ---------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime
# pg_dump/pg_restore and restic for restore drills (the client's major version must match the server's: 15 here).
RUN apt-get update \
    && apt-get install --yes --no-install-recommends postgresql-client restic \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 sre \
    && useradd --system --uid 10001 --gid sre --home-dir /var/lib/sre --shell /usr/sbin/nologin sre \
    && install --directory --owner sre --group sre /var/lib/sre
COPY --from=build /opt/venv /opt/venv
COPY --from=build /app /app
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    SRE_VAR_DIR=/var/lib/sre \
    SRE_STATIC_ROOT=/app/staticfiles \
    PROMETHEUS_MULTIPROC_DIR=/tmp/prometheus-multiproc
WORKDIR /app
USER 10001:10001
EXPOSE 8000
VOLUME ["/var/lib/sre"]
ENTRYPOINT ["/app/deploy/docker/entrypoint.sh"]
CMD ["gunicorn", "sre.wsgi:application", "--config", "python:sre.gunicorn_conf", "--bind", "0.0.0.0:8000", "--workers", "4"]
