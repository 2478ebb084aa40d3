"""An nginx configuration serving the snapshot directory under ``/status/`` (used by the tests and the
benchmark, and printed by ``manage.py statuspage_nginx`` as a starting point for production)."""

from __future__ import annotations

import os
from pathlib import Path

TYPES = """types {
        text/html html; application/json json; application/atom+xml atom; application/rss+xml rss;
        text/css css; text/javascript js;
    }"""


def location_block(root: Path) -> str:
    """The ``location /status/`` block: drop it into any server { } of an existing nginx."""
    return f"""location /status/ {{
        alias {root.resolve()}/;
        index index.html;
        {TYPES}
        default_type application/octet-stream;
        add_header Cache-Control "public, max-age=10" always;
        add_header X-Content-Type-Options nosniff always;
        location ~ \\.(json|atom|rss)$ {{
            add_header Access-Control-Allow-Origin "*" always;
            add_header Cache-Control "public, max-age=10" always;
        }}
    }}"""


def standalone_config(*, root: Path, port: int, workdir: Path, workers: int | str = "auto") -> str:
    """A complete nginx.conf listening on 127.0.0.1:``port`` with its pid, logs and temp files in ``workdir``."""
    user = "user root;" if os.geteuid() == 0 else ""
    temp = "\n    ".join(
        f"{name}_temp_path {workdir / name};" for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return f"""{user}
worker_processes {workers};
pid {workdir / "nginx.pid"};
error_log {workdir / "error.log"} warn;
daemon off;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    open_file_cache max=10000 inactive=10s;
    open_file_cache_valid 1s;
    {temp}
    server {{
        listen 127.0.0.1:{port};
        {location_block(root)}
    }}
}}
"""
