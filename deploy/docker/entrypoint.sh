#!/bin/sh
# Container entrypoint for web, worker and beat: an empty metrics folder for this process tree (gunicorn's workers
# write their samples there and /metrics adds them up), then the command (README "Deploying").
set -eu
if [ -n "${PROMETHEUS_MULTIPROC_DIR:-}" ]; then
    rm -rf "$PROMETHEUS_MULTIPROC_DIR"
    mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
fi
exec "$@"
