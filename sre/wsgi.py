"""WSGI entry point for gunicorn."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sre.settings")
application = get_wsgi_application()

# The public status page is answered from its static snapshot before Django (statuspage/wsgi.py).
from statuspage.wsgi import SnapshotApp  # noqa: E402 - needs Django set up first

application = SnapshotApp(application)
