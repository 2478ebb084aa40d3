"""WSGI entry point for gunicorn."""

import os

from django.core.wsgi import get_wsgi_application

from sre.observability import process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sre.settings")
# Sentry and tracing (when their variables are set) before the application loads its middleware: the tracing
# middleware is added to settings.MIDDLEWARE. gunicorn imports this module in each worker, after the fork.
process_init(role="web")
application = get_wsgi_application()

# Import every view now rather than on the first request, so the first request is not slow and gunicorn's
# post_worker_init can freeze these long-lived objects out of the garbage collector's scans.
from django.urls import get_resolver  # noqa: E402

get_resolver().url_patterns  # noqa: B018 - evaluated for its imports

# Web workers fold staged metric rollups in a background thread rather than after each batch (telemetry.fold).
from telemetry.fold import fold_in_background  # noqa: E402

fold_in_background()

# Web workers deliver the notifications they write from their own threads, right after commit (alerts.relay).
from alerts.relay import relay_in_process  # noqa: E402

relay_in_process()

# Webhooks that arrive together at this worker share one intake transaction (alerts.combine).
from django.conf import settings  # noqa: E402

if settings.SRE["ALERTS_COMBINE"]:
    from alerts.combine import combine_in_process

    combine_in_process()

# The public status page is answered from its static snapshot before Django (statuspage/wsgi.py), which each
# process keeps a copy of the one published in the database (statuspage.replica): no shared volume between nodes.
from statuspage.wsgi import SnapshotApp  # noqa: E402 - needs Django set up first

application = SnapshotApp(application, pull=True)
