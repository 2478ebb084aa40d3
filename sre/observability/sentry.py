"""Errors of the control plane to Sentry, when ``SENTRY_DSN`` is set (``SENTRY_ENVIRONMENT``, default
``SRE_ENV``, and ``SENTRY_RELEASE`` label them). Off, and ``sentry_sdk`` not imported, otherwise.

Nothing personal or secret leaves: ``send_default_pii`` is off (no user, no IP, no cookies), request bodies are
never attached, and ``scrub`` drops the headers that carry credentials (Authorization, Cookie, signatures)
whatever the SDK's own lists say. Traces go to OpenTelemetry (``tracing``), not to Sentry.
"""

from __future__ import annotations

from typing import Any

from sre.env import Env

# Lower-case header names never sent, on top of the SDK's own filtering.
SECRET_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key", "x-csrftoken", "x-sre-signature"}
)

_configured: dict[str, bool] = {}


def scrub(event: dict[str, Any], hint: Any = None) -> dict[str, Any]:
    """``before_send``: remove credentials, cookies and bodies from the event's request."""
    request = event.get("request")
    if isinstance(request, dict):
        headers = request.get("headers")
        if isinstance(headers, dict):
            request["headers"] = {k: v for k, v in headers.items() if k.lower() not in SECRET_HEADERS}
        request.pop("cookies", None)
        request.pop("data", None)
        env = request.get("env")
        if isinstance(env, dict):
            env.pop("REMOTE_ADDR", None)
    event.pop("user", None)
    return event


def sentry_configure(*, role: str, environ: Any = None) -> bool:
    """Start Sentry in this process when ``SENTRY_DSN`` is set; returns whether it is on (once per process)."""
    env = Env(environ)
    dsn = env.url("SENTRY_DSN", schemes=("http", "https"))
    if dsn is None:
        return False
    if _configured.get("on"):
        return True
    # Imported here: without a DSN the SDK is never loaded.
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=env.str("SENTRY_ENVIRONMENT", env.str("SRE_ENV", "development")),
        release=env.optional_str("SENTRY_RELEASE"),
        integrations=[DjangoIntegration(), CeleryIntegration()],
        send_default_pii=False,
        max_request_body_size="never",
        traces_sample_rate=0.0,
        before_send=scrub,
    )
    sentry_sdk.set_tag("sre.role", role)
    _configured["on"] = True
    return True
