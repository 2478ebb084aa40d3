"""Pages that need a wider Content-Security-Policy than the site-wide one (``sre.identity.conf``).

The API docs (drf-spectacular's Swagger UI, served from the sidecar package) load their script from our origin
(the split view: no inline script) but style themselves with a ``<style>`` block and ``style`` attributes, so that
one page allows inline styles. Scripts stay ``'self'`` only.
"""

from __future__ import annotations

from csp.decorators import csp_replace
from drf_spectacular.views import SpectacularSwaggerSplitView

# Replaced, not added to: 'unsafe-inline' is ignored next to the site-wide policy's hashes.
api_docs_view = csp_replace({"style-src": ["'self'", "'unsafe-inline'"]})(
    SpectacularSwaggerSplitView.as_view(url_name="api-schema")
)
