"""Who may do what: the role table, route by route. ``test_role_matrix`` requests every route of the URL
configuration as each role and holds the code to this table; the README's role table is ``render_capabilities()``
(print it with ``.venv/bin/python -m tests.sre.role_matrix``).

A capability is one line of the README table: what it covers and the least role that may use it (roles are
ordered anonymous < viewer < responder < admin; a higher role may do all a lower one may). Each route maps each
method it answers to one capability. API tokens carry scopes on top (``read``, ``write``, ``ingest``): the matrix
uses tokens with all three, so it checks roles; scopes are tested in ``test_api_auth``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver


@dataclass(frozen=True)
class Capability:
    area: str
    what: str
    role: str  # the least role: anonymous, viewer, responder or admin


CAPABILITIES: dict[str, Capability] = {
    "public": Capability(
        "Public", "status page and its feeds, `/healthz`, `/readyz`, `/metrics`, sign-in", "anonymous"
    ),
    "signed": Capability(
        "Public", "signed on-call links (acknowledge from a page, personal calendar feed)", "anonymous"
    ),
    "ping": Capability(
        "Public", "heartbeat pings (`/api/v1/heartbeats/<uuid>`: the check's secret URL is the credential)", "anonymous"
    ),
    "read": Capability(
        "Read",
        "every page and API read (SLOs, alerts, alert rules and their backtests, incidents, status page, drills, "
        "heartbeats, on call, logs, releases and the deploy gate)",
        "viewer",
    ),
    "own": Capability("Own account", "own API tokens, password, two-factor authentication", "viewer"),
    "ingest": Capability("Ingest", "push metrics, logs and alerts (with a token's `ingest` scope)", "viewer"),
    "respond": Capability(
        "Respond",
        "acknowledge, resolve and silence alerts; maintenance windows; open and update incidents, postmortems and "
        "action items; status overrides and maintenances; run and cancel drills; evaluate an alert rule now; pause and "
        "resume heartbeat checks; "
        "on-call overrides, swaps, pages, own contact methods and notification rules; record deployments, override the "
        "deploy gate",
        "responder",
    ),
    "configure": Capability(
        "Configure",
        "services, SLOs, alert rules, routes, receivers, inhibit rules, time intervals, status page components, groups "
        "and subscribers, drill targets, heartbeat checks (and new ping URLs), schedules, teams, escalation policies, "
        "imports, error-budget policies (and rollback webhooks); delete incidents",
        "admin",
    ),
    "admin-read": Capability(
        "Configure",
        "pages of forms that change SLOs, services, alert rules, drill targets, heartbeat checks, schedules, layers, "
        "teams and policies (escalation and error-budget), or delete status page items; status page subscribers; "
        "the audit trail",
        "admin",
    ),
    "django-admin": Capability("Configure", "Django's admin site (`/admin/`)", "admin"),
}

# Route template -> {method: capability}. Templates are the URL configuration's paths with parameters in braces.
ROUTES: dict[str, dict[str, str]] = {
    # Pages: overview
    "/": {"GET": "read"},
    # Pages: accounts
    "/accounts/login/": {"GET": "public", "POST": "public", "PUT": "public"},
    "/accounts/logout/": {"GET": "read", "POST": "public"},
    "/accounts/password/": {"GET": "read", "POST": "own", "PUT": "own"},
    "/accounts/verify/": {"GET": "read", "POST": "own"},
    # Pages: admin
    "/admin/": {"GET": "django-admin"},
    # Pages: alerts
    "/alerts/": {"GET": "read"},
    "/alerts/alert/{pk}/resolve/": {"POST": "respond"},
    "/alerts/bulk/": {"POST": "respond"},
    "/alerts/groups/{pk}/": {"GET": "read"},
    "/alerts/groups/{pk}/{action}/": {"POST": "respond"},
    "/alerts/maintenance/": {"GET": "read", "POST": "respond"},
    "/alerts/notifications/": {"GET": "read"},
    "/alerts/receivers/": {"GET": "read"},
    "/alerts/receivers/new/": {"GET": "read", "POST": "configure"},
    "/alerts/receivers/{pk}/": {"GET": "read", "POST": "configure"},
    "/alerts/receivers/{pk}/test/": {"POST": "respond"},
    "/alerts/routes/": {"GET": "read"},
    "/alerts/routes/import/": {"GET": "read", "POST": "configure"},
    "/alerts/routes/inhibit-rules/new/": {"GET": "read", "POST": "configure"},
    "/alerts/routes/inhibit-rules/{pk}/": {"GET": "read", "POST": "configure"},
    "/alerts/routes/new/": {"GET": "read", "POST": "configure"},
    "/alerts/routes/test/": {"GET": "read", "POST": "read"},
    "/alerts/routes/time-intervals/new/": {"GET": "read", "POST": "configure"},
    "/alerts/routes/time-intervals/{pk}/": {"GET": "read", "POST": "configure"},
    "/alerts/routes/{pk}/": {"GET": "read", "POST": "configure"},
    "/alerts/silences/": {"GET": "read"},
    "/alerts/silences/new/": {"GET": "read", "POST": "respond"},
    "/alerts/silences/{pk}/expire/": {"GET": "read", "POST": "respond"},
    # Pages: drills
    "/drills/": {"GET": "read"},
    "/drills/checks/{pk}/delete/": {"GET": "admin-read", "POST": "configure"},
    "/drills/evidence/": {"GET": "read"},
    "/drills/runs/{pk}/": {"GET": "read"},
    "/drills/runs/{pk}/cancel/": {"GET": "read", "POST": "respond"},
    "/drills/runs/{pk}/progress/": {"GET": "read"},
    "/drills/targets/new/": {"GET": "admin-read", "POST": "configure"},
    "/drills/targets/{pk}/": {"GET": "read"},
    "/drills/targets/{pk}/checks/": {"POST": "configure"},
    "/drills/targets/{pk}/delete/": {"GET": "admin-read", "POST": "configure"},
    "/drills/targets/{pk}/edit/": {"GET": "admin-read", "POST": "configure"},
    "/drills/targets/{pk}/run/": {"GET": "read", "POST": "respond"},
    # Pages: healthz
    "/healthz": {"GET": "public"},
    # Pages: incidents
    "/incidents/": {"GET": "read"},
    "/incidents/action-items/": {"GET": "read"},
    "/incidents/action-items/{pk}/{command}/": {"POST": "respond"},
    "/incidents/from-alert-group/{group_id}/": {"GET": "respond", "POST": "respond"},
    "/incidents/insights/": {"GET": "read"},
    "/incidents/link-alert-group/{group_id}/": {"POST": "respond"},
    "/incidents/search/": {"GET": "respond"},
    "/incidents/new/": {"GET": "respond", "POST": "respond"},
    "/incidents/settings/": {"GET": "read", "POST": "configure"},
    "/incidents/{pk}/": {"GET": "read"},
    "/incidents/{pk}/changes/": {"GET": "read"},
    "/incidents/{pk}/postmortem.md": {"GET": "read"},
    "/incidents/{pk}/postmortem/": {"GET": "read", "POST": "respond"},
    "/incidents/{pk}/postmortem/preview/": {"POST": "respond"},
    "/incidents/{pk}/postmortem/{command}/": {"POST": "respond"},
    "/incidents/{pk}/timeline.csv": {"GET": "read"},
    "/incidents/{pk}/{command}/": {"POST": "respond"},
    # Pages: logs
    "/logs/": {"GET": "read"},
    "/logs/tail": {"GET": "read"},
    # Pages: metrics
    "/metrics": {"GET": "public"},
    # Pages: oidc
    "/oidc/authenticate/": {"GET": "public"},
    "/oidc/callback/": {"GET": "public"},
    # Pages: heartbeats
    "/heartbeats/": {"GET": "read"},
    "/heartbeats/new/": {"GET": "admin-read", "POST": "configure"},
    "/heartbeats/{pk}/": {"GET": "read"},
    "/heartbeats/{pk}/delete/": {"GET": "admin-read", "POST": "configure"},
    "/heartbeats/{pk}/edit/": {"GET": "admin-read", "POST": "configure"},
    "/heartbeats/{pk}/pause/": {"POST": "respond"},
    "/heartbeats/{pk}/ping-key/": {"GET": "admin-read", "POST": "configure"},
    "/heartbeats/{pk}/resume/": {"POST": "respond"},
    # Pages: oncall
    "/oncall/": {"GET": "read"},
    "/oncall/a/{token}/": {"GET": "signed", "POST": "signed"},
    "/oncall/feed/{token}.ics": {"GET": "signed"},
    "/oncall/me/": {"GET": "read"},
    "/oncall/me/feed/": {"POST": "respond"},
    "/oncall/me/methods/": {"POST": "respond"},
    "/oncall/me/methods/{method_pk}/delete/": {"GET": "respond", "POST": "respond"},
    "/oncall/me/methods/{method_pk}/test/": {"POST": "respond"},
    "/oncall/me/rules/{chain}/": {"POST": "respond"},
    "/oncall/notifications/": {"GET": "read"},
    "/oncall/page/": {"GET": "respond", "POST": "respond"},
    "/oncall/people/{pk}/": {"GET": "read"},
    "/oncall/policies/": {"GET": "read"},
    "/oncall/policies/new/": {"GET": "admin-read", "POST": "configure"},
    "/oncall/policies/severity/": {"GET": "read", "POST": "configure"},
    "/oncall/policies/{pk}/": {"GET": "read", "POST": "configure"},
    "/oncall/policies/{pk}/delete/": {"GET": "admin-read", "POST": "configure"},
    "/oncall/policies/{pk}/routes/": {"POST": "configure"},
    "/oncall/schedules/new/": {"GET": "admin-read", "POST": "configure"},
    "/oncall/schedules/{pk}/": {"GET": "read"},
    "/oncall/schedules/{pk}/delete/": {"GET": "admin-read", "POST": "configure"},
    "/oncall/schedules/{pk}/edit/": {"GET": "admin-read", "POST": "configure"},
    "/oncall/schedules/{pk}/ical/upload/": {"POST": "configure"},
    "/oncall/schedules/{pk}/ical/url/": {"POST": "configure"},
    "/oncall/schedules/{pk}/layers/new/": {"GET": "admin-read", "POST": "configure"},
    "/oncall/schedules/{pk}/layers/{layer_pk}/": {"GET": "admin-read", "POST": "configure"},
    "/oncall/schedules/{pk}/layers/{layer_pk}/delete/": {"GET": "admin-read", "POST": "configure"},
    "/oncall/schedules/{pk}/overrides/": {"POST": "respond"},
    "/oncall/schedules/{pk}/overrides/{override_pk}/delete/": {"GET": "respond", "POST": "respond"},
    "/oncall/schedules/{pk}/swaps/": {"POST": "respond"},
    "/oncall/schedules/{pk}/swaps/{swap_pk}/{action}/": {"POST": "respond"},
    "/oncall/teams/": {"GET": "read"},
    "/oncall/teams/new/": {"GET": "admin-read", "POST": "configure"},
    "/oncall/teams/{pk}/": {"GET": "admin-read", "POST": "configure"},
    "/oncall/teams/{pk}/delete/": {"GET": "admin-read", "POST": "configure"},
    # Pages: readyz
    "/readyz": {"GET": "public"},
    # Pages: releases
    "/releases/": {"GET": "read"},
    "/releases/deployments/": {"GET": "read", "POST": "respond"},
    "/releases/deployments/{pk}/": {"GET": "read"},
    "/releases/overrides/{pk}/revoke/": {"POST": "respond"},
    "/releases/policies/{pk}/delete/": {"GET": "admin-read", "POST": "configure"},
    "/releases/services/{pk}/": {"GET": "read"},
    "/releases/services/{pk}/overrides/": {"POST": "respond"},
    "/releases/services/{pk}/policy/": {"GET": "admin-read", "POST": "configure"},
    "/releases/slos/{pk}/policy/": {"GET": "admin-read", "POST": "configure"},
    # Pages: rules
    "/rules/": {"GET": "read"},
    "/rules/import/": {"GET": "admin-read", "POST": "configure"},
    "/rules/new/": {"GET": "admin-read", "POST": "configure"},
    "/rules/{pk}/": {"GET": "read"},
    "/rules/{pk}/delete/": {"GET": "admin-read", "POST": "configure"},
    "/rules/{pk}/edit/": {"GET": "admin-read", "POST": "configure"},
    "/rules/{pk}/enabled/": {"POST": "configure"},
    "/rules/{pk}/evaluate/": {"POST": "respond"},
    # Pages: settings
    "/settings/": {"GET": "read", "POST": "own"},
    "/settings/audit/": {"GET": "admin-read"},
    "/settings/audit/export.{fmt}": {"GET": "read"},
    "/settings/security/": {"GET": "read", "POST": "own"},
    "/settings/tokens/{pk}/revoke/": {"GET": "read", "POST": "own"},
    # Pages: slos
    "/slos/": {"GET": "read"},
    "/slos/import/": {"GET": "admin-read", "POST": "configure"},
    "/slos/new/": {"GET": "admin-read", "POST": "configure"},
    "/slos/preview/": {"POST": "configure"},
    "/slos/services/new/": {"GET": "admin-read", "POST": "configure"},
    "/slos/suggest/": {"GET": "read"},
    "/slos/services/{pk}/": {"GET": "read"},
    "/slos/services/{pk}/delete/": {"GET": "admin-read", "POST": "configure"},
    "/slos/services/{pk}/edit/": {"GET": "admin-read", "POST": "configure"},
    "/slos/{pk}/": {"GET": "read"},
    "/slos/{pk}/delete/": {"GET": "admin-read", "POST": "configure"},
    "/slos/{pk}/edit/": {"GET": "admin-read", "POST": "configure"},
    # Pages: status
    "/status/": {"GET": "public"},
    "/status/subscribe/": {"GET": "public", "POST": "public"},
    "/status/subscriptions/confirm/{token}/": {"GET": "public", "POST": "public"},
    "/status/subscriptions/unsubscribe/{token}/": {"GET": "public", "POST": "public"},
    "/status/{path}": {"GET": "public"},
    # Pages: statuspage
    "/statuspage/": {"GET": "read"},
    "/statuspage/components/new/": {"GET": "read", "POST": "configure"},
    "/statuspage/components/{pk}/": {"GET": "read", "POST": "configure"},
    "/statuspage/components/{pk}/delete/": {"GET": "admin-read", "POST": "configure"},
    "/statuspage/components/{pk}/override/": {"POST": "respond"},
    "/statuspage/groups/new/": {"GET": "read", "POST": "configure"},
    "/statuspage/groups/{pk}/": {"GET": "read", "POST": "configure"},
    "/statuspage/groups/{pk}/delete/": {"GET": "admin-read", "POST": "configure"},
    "/statuspage/maintenance/new/": {"GET": "read", "POST": "respond"},
    "/statuspage/maintenance/{pk}/": {"GET": "read", "POST": "respond"},
    "/statuspage/maintenance/{pk}/delete/": {"GET": "admin-read", "POST": "configure"},
    "/statuspage/maintenance/{pk}/{action}/": {"POST": "respond"},
    "/statuspage/preview/": {"GET": "read"},
    "/statuspage/render/": {"POST": "respond"},
    "/statuspage/subscribers/": {"GET": "admin-read", "POST": "configure"},
    "/statuspage/subscribers/{pk}/delete/": {"GET": "admin-read", "POST": "configure"},
    # API:
    "/api/docs/": {"GET": "read"},
    "/api/schema/": {"GET": "read"},
    # API: alerts
    "/api/v1/alerts/": {"GET": "read", "POST": "ingest"},
    "/api/v1/alerts/alertmanager": {"POST": "ingest"},
    "/api/v1/alerts/attempts/": {"GET": "read"},
    "/api/v1/alerts/groups/": {"GET": "read"},
    "/api/v1/alerts/groups/{pk}/": {"GET": "read"},
    "/api/v1/alerts/groups/{pk}/acknowledge/": {"POST": "respond"},
    "/api/v1/alerts/groups/{pk}/resolve/": {"POST": "respond"},
    "/api/v1/alerts/groups/{pk}/silence/": {"POST": "respond"},
    "/api/v1/alerts/inhibit-rules/": {"GET": "read", "POST": "configure"},
    "/api/v1/alerts/inhibit-rules/{pk}/": {
        "DELETE": "configure",
        "GET": "read",
        "PATCH": "configure",
        "PUT": "configure",
    },
    "/api/v1/alerts/maintenance-windows/": {"GET": "read", "POST": "respond"},
    "/api/v1/alerts/maintenance-windows/{pk}/": {
        "DELETE": "respond",
        "GET": "read",
        "PATCH": "respond",
        "PUT": "respond",
    },
    "/api/v1/alerts/notifications/": {"GET": "read"},
    "/api/v1/alerts/notifications/{pk}/": {"GET": "read"},
    "/api/v1/alerts/receivers/": {"GET": "read", "POST": "configure"},
    "/api/v1/alerts/receivers/{pk}/": {"DELETE": "configure", "GET": "read", "PATCH": "configure", "PUT": "configure"},
    "/api/v1/alerts/receivers/{pk}/test/": {"POST": "respond"},
    "/api/v1/alerts/routes/": {"GET": "read", "POST": "configure"},
    "/api/v1/alerts/routes/import/": {"POST": "configure"},
    "/api/v1/alerts/routes/match/": {"POST": "read"},
    "/api/v1/alerts/routes/{pk}/": {"DELETE": "configure", "GET": "read", "PATCH": "configure", "PUT": "configure"},
    "/api/v1/alerts/silences/": {"GET": "read", "POST": "respond"},
    "/api/v1/alerts/silences/preview/": {"POST": "read"},
    "/api/v1/alerts/silences/{pk}/": {"DELETE": "respond", "GET": "read", "PATCH": "respond", "PUT": "respond"},
    "/api/v1/alerts/time-intervals/": {"GET": "read", "POST": "configure"},
    "/api/v1/alerts/time-intervals/{pk}/": {
        "DELETE": "configure",
        "GET": "read",
        "PATCH": "configure",
        "PUT": "configure",
    },
    "/api/v1/alerts/{pk}/": {"GET": "read"},
    "/api/v1/alerts/{pk}/resolve/": {"POST": "respond"},
    # API: audit
    "/api/v1/audit/": {"GET": "admin-read"},
    "/api/v1/audit/verify": {"GET": "admin-read"},
    "/api/v1/audit/{pk}/": {"GET": "admin-read"},
    # API: budget-policies
    "/api/v1/budget-policies": {"GET": "read", "POST": "configure"},
    "/api/v1/budget-policies/{pk}": {"DELETE": "configure", "GET": "read", "PATCH": "configure", "PUT": "configure"},
    # API: deploy-gate
    "/api/v1/deploy-gate": {"GET": "read"},
    "/api/v1/deploy-gate/overrides": {"GET": "read", "POST": "respond"},
    "/api/v1/deploy-gate/overrides/{pk}": {"GET": "read"},
    "/api/v1/deploy-gate/overrides/{pk}/revoke": {"POST": "respond"},
    # API: deployments
    "/api/v1/deployments": {"GET": "read", "POST": "respond"},
    "/api/v1/deployments/{pk}": {"GET": "read"},
    # API: drills
    "/api/v1/drills/evidence/": {"GET": "read"},
    "/api/v1/drills/runs/": {"GET": "read"},
    "/api/v1/drills/runs/{pk}/": {"GET": "read"},
    "/api/v1/drills/runs/{pk}/cancel/": {"POST": "respond"},
    "/api/v1/drills/targets/": {"GET": "read", "POST": "configure"},
    "/api/v1/drills/targets/{pk}/": {"DELETE": "configure", "GET": "read", "PATCH": "configure", "PUT": "configure"},
    "/api/v1/drills/targets/{pk}/run/": {"POST": "respond"},
    # API: incidents
    "/api/v1/incidents/": {"GET": "read", "POST": "respond"},
    "/api/v1/incidents/action-items/": {"GET": "read", "POST": "respond"},
    "/api/v1/incidents/action-items/{pk}/": {"DELETE": "respond", "GET": "read", "PATCH": "respond", "PUT": "respond"},
    "/api/v1/incidents/from-alert-group/": {"POST": "respond"},
    "/api/v1/incidents/metrics/": {"GET": "read"},
    "/api/v1/incidents/policies/": {"GET": "read", "POST": "configure"},
    "/api/v1/incidents/policies/{pk}/": {
        "DELETE": "configure",
        "GET": "read",
        "PATCH": "configure",
        "PUT": "configure",
    },
    "/api/v1/incidents/severities/": {"GET": "read"},
    "/api/v1/incidents/severities/{key}/": {"GET": "read", "PATCH": "configure", "PUT": "configure"},
    "/api/v1/incidents/{pk}/": {"DELETE": "configure", "GET": "read", "PATCH": "respond"},
    "/api/v1/incidents/{pk}/acknowledge/": {"POST": "respond"},
    "/api/v1/incidents/{pk}/alert-groups/": {"POST": "respond"},
    "/api/v1/incidents/{pk}/alert-groups/{group_id}/": {"DELETE": "respond"},
    "/api/v1/incidents/{pk}/budget-impact/": {"GET": "read"},
    "/api/v1/incidents/{pk}/components/": {"PUT": "respond"},
    "/api/v1/incidents/{pk}/notes/": {"POST": "respond"},
    "/api/v1/incidents/{pk}/postmortem/": {"GET": "read", "PATCH": "respond", "POST": "respond"},
    "/api/v1/incidents/{pk}/postmortem/export/": {"GET": "read"},
    "/api/v1/incidents/{pk}/postmortem/transition/": {"POST": "respond"},
    "/api/v1/incidents/{pk}/roles/": {"POST": "respond"},
    "/api/v1/incidents/{pk}/timeline/": {"GET": "read"},
    "/api/v1/incidents/{pk}/timestamps/": {"POST": "respond"},
    "/api/v1/incidents/{pk}/transition/": {"POST": "respond"},
    "/api/v1/incidents/{pk}/updates/": {"GET": "read", "POST": "respond"},
    # API: logs
    "/api/v1/logs": {"POST": "ingest"},
    "/api/v1/logs/count": {"GET": "read"},
    "/api/v1/logs/search": {"GET": "read"},
    # API: me
    "/api/v1/me": {"GET": "read"},
    # API: metrics
    "/api/v1/metrics": {"POST": "ingest"},
    # API: heartbeats
    "/api/v1/heartbeat-checks/": {"GET": "read", "POST": "configure"},
    "/api/v1/heartbeat-checks/{pk}/": {"DELETE": "configure", "GET": "read", "PATCH": "configure", "PUT": "configure"},
    "/api/v1/heartbeat-checks/{pk}/pause/": {"POST": "respond"},
    "/api/v1/heartbeat-checks/{pk}/ping-key/": {"POST": "configure"},
    "/api/v1/heartbeat-checks/{pk}/pings/": {"GET": "read"},
    "/api/v1/heartbeat-checks/{pk}/resume/": {"POST": "respond"},
    "/api/v1/heartbeats/{uuid}": {"GET": "ping", "POST": "ping"},
    "/api/v1/heartbeats/{uuid}/fail": {"GET": "ping", "POST": "ping"},
    "/api/v1/heartbeats/{uuid}/start": {"GET": "ping", "POST": "ping"},
    "/api/v1/heartbeats/{uuid}/{exit_status}": {"GET": "ping", "POST": "ping"},
    # API: oncall
    "/api/v1/oncall/contact-methods/": {"GET": "read", "POST": "respond"},
    "/api/v1/oncall/contact-methods/{pk}/": {"DELETE": "respond", "GET": "read"},
    "/api/v1/oncall/contact-methods/{pk}/test/": {"POST": "respond"},
    "/api/v1/oncall/escalation-policies/": {"GET": "read", "POST": "configure"},
    "/api/v1/oncall/escalation-policies/route/": {"POST": "configure"},
    "/api/v1/oncall/escalation-policies/severity/": {"POST": "configure"},
    "/api/v1/oncall/escalation-policies/{pk}/": {
        "DELETE": "configure",
        "GET": "read",
        "PATCH": "configure",
        "PUT": "configure",
    },
    "/api/v1/oncall/escalations/": {"GET": "read"},
    "/api/v1/oncall/escalations/{pk}/": {"GET": "read"},
    "/api/v1/oncall/import": {"POST": "configure"},
    "/api/v1/oncall/layers/": {"GET": "read", "POST": "configure"},
    "/api/v1/oncall/layers/{pk}/": {"DELETE": "configure", "GET": "read", "PATCH": "configure", "PUT": "configure"},
    "/api/v1/oncall/me/rules": {"GET": "read", "PUT": "respond"},
    "/api/v1/oncall/notifications/": {"GET": "read"},
    "/api/v1/oncall/notifications/{pk}/": {"GET": "read"},
    "/api/v1/oncall/overrides/": {"GET": "read", "POST": "respond"},
    "/api/v1/oncall/overrides/{pk}/": {"DELETE": "respond", "GET": "read"},
    "/api/v1/oncall/pages": {"POST": "respond"},
    "/api/v1/oncall/schedules/": {"GET": "read", "POST": "configure"},
    "/api/v1/oncall/schedules/{pk}/": {"DELETE": "configure", "GET": "read", "PATCH": "configure", "PUT": "configure"},
    "/api/v1/oncall/schedules/{pk}/ical-upload/": {"POST": "configure"},
    "/api/v1/oncall/schedules/{pk}/ical/": {"GET": "read"},
    "/api/v1/oncall/schedules/{pk}/oncall/": {"GET": "read"},
    "/api/v1/oncall/schedules/{pk}/shifts/": {"GET": "read"},
    "/api/v1/oncall/swaps/": {"GET": "read", "POST": "respond"},
    "/api/v1/oncall/swaps/{pk}/": {"GET": "read"},
    "/api/v1/oncall/swaps/{pk}/cancel/": {"POST": "respond"},
    "/api/v1/oncall/swaps/{pk}/take/": {"POST": "respond"},
    "/api/v1/oncall/teams/": {"GET": "read", "POST": "configure"},
    "/api/v1/oncall/teams/{pk}/": {"DELETE": "configure", "GET": "read", "PATCH": "configure", "PUT": "configure"},
    # API: rules (a backtest reads stored data and writes nothing: viewers may run one)
    "/api/v1/rules/": {"GET": "read", "POST": "configure"},
    "/api/v1/rules/backtest/": {"POST": "read"},
    "/api/v1/rules/export/": {"GET": "read"},
    "/api/v1/rules/import/": {"POST": "configure"},
    "/api/v1/rules/{pk}/": {"DELETE": "configure", "GET": "read", "PATCH": "configure", "PUT": "configure"},
    "/api/v1/rules/{pk}/evaluate/": {"POST": "respond"},
    # API: services
    "/api/v1/services/": {"GET": "read", "POST": "configure"},
    "/api/v1/services/{pk}/": {"DELETE": "configure", "GET": "read", "PATCH": "configure", "PUT": "configure"},
    # API: slos
    "/api/v1/slos/": {"GET": "read", "POST": "configure"},
    "/api/v1/slos/import/": {"POST": "configure"},
    "/api/v1/slos/preview/": {"POST": "configure"},
    "/api/v1/slos/{pk}/": {"DELETE": "configure", "GET": "read", "PATCH": "configure", "PUT": "configure"},
    "/api/v1/slos/{pk}/history/": {"GET": "read"},
    "/api/v1/slos/{pk}/openslo/": {"GET": "read"},
    "/api/v1/slos/{pk}/prometheus-rules/": {"GET": "read"},
    "/api/v1/slos/{pk}/status/": {"GET": "read"},
    # API: statuspage
    "/api/v1/statuspage/components/": {"GET": "read", "POST": "configure"},
    "/api/v1/statuspage/components/{pk}/": {"DELETE": "configure", "GET": "read", "PATCH": "configure"},
    "/api/v1/statuspage/components/{pk}/clear_override/": {"POST": "respond"},
    "/api/v1/statuspage/components/{pk}/override/": {"POST": "respond"},
    "/api/v1/statuspage/groups/": {"GET": "read", "POST": "configure"},
    "/api/v1/statuspage/groups/{pk}/": {"DELETE": "configure", "GET": "read", "PATCH": "configure"},
    "/api/v1/statuspage/maintenances/": {"GET": "read", "POST": "respond"},
    "/api/v1/statuspage/maintenances/{pk}/": {"DELETE": "configure", "GET": "read", "PATCH": "respond"},
    "/api/v1/statuspage/maintenances/{pk}/cancel/": {"POST": "respond"},
    "/api/v1/statuspage/maintenances/{pk}/complete/": {"POST": "respond"},
    "/api/v1/statuspage/subscribers/": {"GET": "admin-read", "POST": "configure"},
    "/api/v1/statuspage/subscribers/{pk}/": {"DELETE": "configure", "GET": "admin-read"},
    # API: tokens
    "/api/v1/tokens/": {"GET": "read", "POST": "own"},
    "/api/v1/tokens/{pk}/": {"DELETE": "own", "GET": "read"},
    # API: write
    "/api/v1/write": {"POST": "ingest"},
}

# Statuses at or above 500 that are a route's answer, not a failure. None today: /readyz answers 503 only when this
# process's database or broker is unreachable (both are up in tests); the background heartbeat, which no worker
# records in tests, is not part of it.
NOT_ERRORS: dict[str, set[int]] = {}

# Django's admin site has its own permission check, the same for its ~170 pages: it is checked at its index.
SKIPPED_PREFIXES = {"/admin/": "/admin/"}

_PARAM = re.compile(r"<(?:(?P<conv>\w+):)?(?P<name>\w+)>")
_REGEX_GROUP = re.compile(r"\(\?P<(?P<name>\w+)>[^)]*\)")
METHODS = ("get", "post", "put", "patch", "delete")
HARMLESS_ID = 999999


@dataclass
class Route:
    template: str
    methods: list[str]
    api: bool
    view: Any = field(repr=False, default=None)

    def path(self, *, real: bool = True) -> str:
        """The template with each parameter filled: with ``real``, the id of a real object of the view's model for
        its first id; a harmless id (no such object), string or UUID otherwise. Writes use harmless ids: the role
        check comes before the object's, and an object-level rule (a responder deletes only their own override)
        is the view's own test's business."""
        real = _first_pk(self.view) if real else None
        used = False

        def fill(match: re.Match) -> str:
            nonlocal used
            name, conv = match["name"], match["conv"]
            if conv == "uuid" or name.endswith("uuid"):
                return "00000000-0000-0000-0000-000000000001"
            if conv in ("str", "slug", "path") or name in ("token", "key", "chain", "slug"):
                return "x"
            if real is not None and not used:
                used = True
                return str(real)
            return str(HARMLESS_ID)

        return re.sub(r"\{(?:(?P<conv>\w+):)?(?P<name>\w+)\}", fill, self.template_with_converters)

    template_with_converters: str = ""


def _first_pk(view: Any) -> int | None:
    model = None
    for attr in ("queryset", "model"):
        value = getattr(view, attr, None)
        if value is not None:
            model = getattr(value, "model", value)
            break
    if model is None:
        serializer = getattr(view, "serializer_class", None)
        model = getattr(getattr(serializer, "Meta", None), "model", None)
    if model is None or not hasattr(model, "_default_manager"):
        return None
    return model._default_manager.order_by("pk").values_list("pk", flat=True).first()


def _normalise(route: str) -> tuple[str, str]:
    """(template, template with converters) of a pattern string: ``<int:pk>`` and ``(?P<pk>[^/.]+)`` -> ``{pk}``."""
    route = route.lstrip("^").rstrip("$")
    route = _REGEX_GROUP.sub(lambda m: "{" + m["name"] + "}", route)  # before <...>: a group holds one
    route = route.replace("/?", "/").replace("\\.", ".").replace("\\", "")  # routers' optional trailing slash
    with_conv = _PARAM.sub(lambda m: "{" + (f"{m['conv']}:" if m["conv"] else "") + m["name"] + "}", route)
    return re.sub(r"\{\w+:", "{", with_conv), with_conv


def _methods(callback: Any) -> tuple[list[str], Any]:
    actions = getattr(callback, "actions", None)
    if actions:  # a DRF viewset route
        return sorted({method.upper() for method in actions} & {m.upper() for m in METHODS}), callback.cls
    view = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
    if view is None:
        return ["GET"], None  # a function view
    found = [method.upper() for method in METHODS if hasattr(view, method)]
    return found or ["GET"], view


def discover_routes() -> list[Route]:
    """Every route of the URL configuration (Django's admin site as its index), with the methods it answers."""
    routes: dict[str, Route] = {}

    def walk(patterns: list, base: str, base_conv: str) -> None:
        for entry in patterns:
            template, with_conv = _normalise(str(entry.pattern))
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, base + template, base_conv + with_conv)
            elif isinstance(entry, URLPattern):
                full, full_conv = base + template, base_conv + with_conv
                if "(" in full or "?" in full:  # format-suffix regexes and the like
                    continue
                if any(full.startswith(prefix) for prefix in SKIPPED_PREFIXES) and full not in SKIPPED_PREFIXES:
                    continue
                methods, view = _methods(entry.callback)
                if full in routes:  # the same path with more methods (DRF's list/detail mappings)
                    routes[full].methods = sorted(set(routes[full].methods) | set(methods))
                    continue
                routes[full] = Route(
                    template=full,
                    methods=methods,
                    api=full.startswith("/api/"),
                    view=view,
                    template_with_converters=full_conv,
                )

    walk(get_resolver().url_patterns, "/", "/")
    return list(routes.values())


def render_capabilities() -> str:
    """The README's role table."""
    roles = ("anonymous", "viewer", "responder", "admin")
    lines = ["| area | what | anonymous | viewer | responder | admin |", "|---|---|---|---|---|---|"]
    for capability in CAPABILITIES.values():
        least = roles.index(capability.role)
        marks = " | ".join("yes" if index >= least else "–" for index in range(len(roles)))
        lines.append(f"| {capability.area} | {capability.what} | {marks} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(render_capabilities())
