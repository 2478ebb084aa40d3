"""The API contract, checked by a fuzzer: schemathesis runs every check it has against every operation of
``/api/schema/``, in this process, through the Django WSGI application (no server, no network).

What it holds the code to: no 5xx for anything a client can send; every status code, content type and
response body documented in the schema (nulls only where the schema allows them, required fields present,
lists paginated only where they say so); invalid input refused with a 4xx and valid input accepted.

Nothing leaves the machine: the requests go to the WSGI app in this process; webhook and calendar URLs the
fuzzer invents are refused by the outbound guards (private targets off) and, under them, by a socket guard
that resolves and connects only to loopback; the operations whose one job is to send something outside
(the "send a test" actions) are left out. Tasks are enqueued on commit and the test's transaction never
commits, so no worker runs a drill, delivers a page or calls a webhook: "run a drill" and "page someone" stay
in, checked for what they answer.
"""

from __future__ import annotations

import hypothesis
import pytest
import schemathesis
import yaml
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections, connection, transaction
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator

from sre.choices import Role
from sre.demo.services import demo_seed
from sre.services import api_token_create, user_set_role
from tests.sre.factories import UserFactory

# Left out, with the reason (by operation, so the other methods of the same path are still checked).
EXCLUDED = {
    # Their only job is to send a message to a receiver or a person's phone/chat outside the machine.
    "POST /api/v1/alerts/receivers/{id}/test/": "sends a test notification to the receiver's target",
    "POST /api/v1/oncall/contact-methods/{id}/test/": "sends a test message to the contact method",
    # Revoking a token by a small id revokes the one this test authenticates with; every later call is a 401.
    "DELETE /api/v1/tokens/{id}/": "would revoke the test's own token",
}

# Per operation: few examples, shrinking off (a failure is reported as found), the same examples every run.
MAX_EXAMPLES = 8


# Prometheus remote_write bodies are snappy-compressed protobuf: sent as the bytes generated (the endpoint must
# refuse what does not decode with a 400, never a 500).
schemathesis.serializer.alias("application/x-protobuf", "application/octet-stream")


# Registered for every YAML media type: schemathesis treats them as aliases and uses the first one registered.
@schemathesis.deserializer("text/yaml", "text/x-yaml", "application/x-yaml", "text/vnd.yaml", "application/yaml")
def _yaml_stream(ctx, response):
    """A YAML body may be a stream of documents (the OpenSLO export is two): the documents as a list, or the one
    document. schemathesis's own YAML reader takes a single document."""
    documents = list(yaml.safe_load_all(response.content))
    return documents[0] if len(documents) == 1 else documents


# positive_data_acceptance ("a request the schema allows is accepted") cannot hold where the API checks more
# than JSON Schema can say; there a schema-valid request is rightly a 400 (or 422). Left out for those operations
# only, each with its reason; every other check still runs on them, and this check on every other operation.
REFERS = "names other objects (by id, name or username) that must exist; JSON Schema cannot say which do"
RULE = "a rule across fields or over time (ends after it starts, exactly one target, at least one matcher, ...)"
CONTENT = (
    "a value checked beyond its type (time zone, phone number, resolvable URL, label syntax, YAML, snappy, PromQL)"
)
STATE = "depends on the object's state (a log-based SLI has no Prometheus metric to write rules for: 422)"
FREEFORM = "an ingest payload declared as a JSON object; its shape is checked by the parser (Alertmanager, OTLP-like)"
NOT_ACCEPTED_ALTHOUGH_VALID = {
    "POST /api/v1/alerts/": FREEFORM,
    "POST /api/v1/alerts/alertmanager": FREEFORM,
    "POST /api/v1/logs": FREEFORM,
    "GET /api/v1/logs/search": CONTENT,  # level: comma-separated known levels; start/end: unix seconds or RFC 3339
    "GET /api/v1/logs/count": CONTENT,
    "POST /api/v1/metrics": FREEFORM,
    "POST /api/v1/write": CONTENT,
    "POST /api/v1/oncall/import": FREEFORM,
    "POST /api/v1/alerts/time-intervals/": FREEFORM,
    "POST /api/v1/alerts/inhibit-rules/": RULE,
    "POST /api/v1/alerts/maintenance-windows/": RULE,
    "POST /api/v1/alerts/receivers/": CONTENT,
    "POST /api/v1/alerts/routes/": REFERS,
    "POST /api/v1/alerts/routes/import/": CONTENT,
    "POST /api/v1/alerts/silences/": RULE,
    "POST /api/v1/alerts/silences/preview/": CONTENT,
    "GET /api/v1/drills/evidence/": RULE,
    "POST /api/v1/heartbeat-checks/": CONTENT,
    "PUT /api/v1/heartbeat-checks/{id}/": CONTENT,
    "PATCH /api/v1/heartbeat-checks/{id}/": CONTENT,
    "POST /api/v1/drills/targets/": REFERS,
    "POST /api/v1/incidents/": REFERS,
    "PUT /api/v1/incidents/{id}/components/": REFERS,
    "POST /api/v1/incidents/{id}/postmortem/transition/": RULE,
    "POST /api/v1/incidents/{id}/roles/": REFERS,
    "POST /api/v1/incidents/{id}/transition/": RULE,  # a final public_update goes only with status resolved
    # components named by id; and a public update needs the incident's public title first (issue 18)
    "POST /api/v1/incidents/{id}/updates/": REFERS,
    "POST /api/v1/incidents/action-items/": REFERS,
    "PUT /api/v1/incidents/action-items/{id}/": REFERS,
    "PATCH /api/v1/incidents/action-items/{id}/": REFERS,
    "POST /api/v1/incidents/from-alert-group/": REFERS,
    "GET /api/v1/incidents/metrics/": RULE,
    "POST /api/v1/incidents/policies/": RULE,
    "POST /api/v1/oncall/contact-methods/": CONTENT,
    "POST /api/v1/oncall/escalation-policies/": REFERS,
    "POST /api/v1/oncall/escalation-policies/route/": REFERS,
    "POST /api/v1/oncall/escalation-policies/severity/": REFERS,
    "POST /api/v1/oncall/layers/": REFERS,
    "PUT /api/v1/oncall/layers/{id}/": REFERS,
    "PATCH /api/v1/oncall/layers/{id}/": REFERS,
    "PUT /api/v1/oncall/me/rules": REFERS,
    "POST /api/v1/oncall/overrides/": REFERS,
    "POST /api/v1/oncall/pages": RULE,
    "POST /api/v1/oncall/schedules/": CONTENT,
    "GET /api/v1/oncall/schedules/{id}/shifts/": RULE,
    "POST /api/v1/oncall/swaps/": REFERS,
    "POST /api/v1/oncall/teams/": REFERS,
    "POST /api/v1/rules/": CONTENT,
    "PUT /api/v1/rules/{id}/": CONTENT,
    "PATCH /api/v1/rules/{id}/": CONTENT,
    "POST /api/v1/rules/backtest/": CONTENT,
    "POST /api/v1/rules/import/": CONTENT,
    "POST /api/v1/services/": CONTENT,
    "PUT /api/v1/services/{id}/": CONTENT,
    "POST /api/v1/slos/": REFERS,
    "PUT /api/v1/slos/{id}/": REFERS,
    "PATCH /api/v1/slos/{id}/": RULE,
    "GET /api/v1/slos/{id}/history/": RULE,
    "POST /api/v1/slos/import/": CONTENT,
    "POST /api/v1/slos/preview/": RULE,
    "GET /api/v1/slos/{id}/prometheus-rules/": STATE,
    "POST /api/v1/statuspage/components/": REFERS,
    "POST /api/v1/statuspage/maintenances/": RULE,
    "PATCH /api/v1/statuspage/maintenances/{id}/": REFERS,
    "POST /api/v1/statuspage/subscribers/": REFERS,
    "POST /api/v1/tokens/": CONTENT,
    "POST /api/v1/deployments": REFERS,
    "POST /api/v1/deploy-gate/overrides": REFERS,
    "POST /api/v1/budget-policies": REFERS,
}

# schemathesis's coverage phase sends every boundary and negative case the schema defines (about 2/3 of this test's
# requests and of its time). It runs on the PostgreSQL pass, whose column types refuse what SQLite stores (integers
# past 32 bits, NUL characters) and whose schema declares those integer bounds; on SQLite the same cases would
# check the same validation again. Both passes fuzz every operation with MAX_EXAMPLES generated requests.
COVERAGE_PHASE = connection.vendor == "postgresql"

CONFIG = {
    # No NUL characters in generated text: PostgreSQL cannot store them, so the JSON parser refuses them with a
    # 400 whatever the field (sre.api.parsers); that rule is the parser's, not a field's schema.
    "generation": {
        "max-examples": MAX_EXAMPLES,
        "deterministic": True,
        "no-shrink": True,
        "database": "none",
        "allow-x00": False,
    },
    "suppress-health-check": ["too_slow", "filter_too_much", "data_too_large"],
    "continue-on-failure": True,
    "phases": {"coverage": {"enabled": COVERAGE_PHASE}},
    "operations": [
        {
            "include-name": list(NOT_ACCEPTED_ALTHOUGH_VALID),
            "checks": {"positive_data_acceptance": {"enabled": False}},
        },
    ],
}
# The document /api/schema/ serves (drf-spectacular's generator, public: the same for every reader), built
# once at collection: schemathesis makes one test per operation from it.
schema = schemathesis.openapi.from_dict(
    SchemaGenerator().get_schema(request=None, public=True), config=schemathesis.Config.from_dict(CONFIG)
).exclude(name=list(EXCLUDED))
# Django's WSGI handler, as a server runs it: every request and every check's probe goes through it.
schema.app = WSGIHandler()


@pytest.fixture(scope="module")
def api_token(django_db_setup, django_db_blocker):
    """The demo's objects (one of everything, so lists and details have rows to describe) and an admin token
    with every scope, made once for the module in a transaction that is rolled back at its end; each
    operation's test runs in a savepoint inside it, so each starts from the same rows."""
    with django_db_blocker.unblock(), transaction.atomic():
        demo_seed(password="contract-test")
        admin = UserFactory(username="contract-admin")
        user_set_role(user=admin, role=Role.ADMIN)
        _, token = api_token_create(
            user=admin, name="contract", scopes=["read", "write", "ingest"], expires_at=None, now=timezone.now()
        )
        yield token
        transaction.set_rollback(True)


@pytest.fixture
def keep_connection():
    """Requests do not close the database connection at their start and end (the test's transaction lives on
    it); Django's own test client does the same."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@schema.parametrize()
# The same examples on every run (CI stays stable), no deadline (a first request warms caches). The
# function-scoped fixtures hold for every example on purpose (settings, the guard, the app); the database is
# put back after each example by the savepoint in the test.
@hypothesis.settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[hypothesis.HealthCheck.function_scoped_fixture],
)
def test_api_contract(case, api_token, db, settings, keep_connection, loopback_only):
    # Webhook, receiver and calendar URLs the fuzzer invents are refused by the guards, never fetched.
    settings.SRE = {**settings.SRE, "ALERTS_ALLOW_PRIVATE_TARGETS": False, "STATUSPAGE_ALLOW_PRIVATE_WEBHOOKS": False}
    with transaction.atomic():  # each example starts from the same rows
        case.call_and_validate(headers={"Authorization": f"Bearer {api_token}"})
        transaction.set_rollback(True)
    assert not loopback_only, f"{case.operation.label} connected outside the machine: {loopback_only}"


def test_the_fuzzed_document_is_the_one_served(token_client) -> None:
    served = token_client("viewer", scopes=("read",)).get("/api/schema/", {"format": "json"})
    assert served.status_code == 200
    assert served.json() == SchemaGenerator().get_schema(request=None, public=True)
