"""Rules that run on Prometheus (``source=prometheus``) are parsed with promql-parser when saved, like local
rules: the API, a rule file import and the form refuse PromQL that does not parse with the parser's message,
and accept any PromQL that parses (Prometheus evaluates it, so it need not be in the local subset)."""

from __future__ import annotations

import pytest

from rules.models import AlertRule
from rules.services.files import rules_import
from sre.choices import Role
from sre.errors import UnprocessableError

pytestmark = pytest.mark.django_db

URL = "/api/v1/rules/"


@pytest.fixture(autouse=True)
def _prometheus(settings):
    settings.PROMETHEUS_URL = "http://127.0.0.1:9"  # configured, never called while saving


@pytest.fixture
def admin(token_client):
    return token_client(Role.ADMIN)


@pytest.mark.parametrize(
    ("expr", "message"),
    [
        ("sum(rate(http_requests_total[5m])", "unclosed left parenthesis"),
        ('up{job=~"("} == 0', "illegal regex"),
        ("rate(http_requests_total[5m]) >", "invalid promql query"),
    ],
)
@pytest.mark.parametrize("enabled", [True, False])
def test_the_api_refuses_what_does_not_parse_with_the_parsers_message(admin, expr, message, enabled):
    response = admin.post(URL, {"name": "Broken", "source": "prometheus", "expr": expr, "enabled": enabled},
                          format="json")  # fmt: skip
    assert response.status_code == 400, response.json()
    error = response.json()["error"]
    assert message in error["fields"]["expr"][0] and message in error["message"]
    assert not AlertRule.objects.exists()


def test_any_promql_that_parses_is_accepted_on_prometheus(admin):
    """predict_linear is outside the local subset (refused for local rules) but Prometheus runs it."""
    expr = "predict_linear(node_filesystem_free_bytes[1h], 4 * 3600) < 0"
    assert admin.post(URL, {"name": "Local", "expr": expr}, format="json").status_code == 400
    response = admin.post(URL, {"name": "DiskFull", "source": "prometheus", "expr": expr}, format="json")
    assert response.status_code == 201, response.json()


def test_a_change_to_an_unparsable_expr_is_refused(admin):
    created = admin.post(URL, {"name": "Up", "source": "prometheus", "expr": "up == 0"}, format="json").json()
    response = admin.patch(f"{URL}{created['id']}/", {"expr": "up =="}, format="json")
    assert response.status_code == 400 and "expr" in response.json()["error"]["fields"]
    assert AlertRule.objects.get().expr == "up == 0"


def test_a_rule_file_for_prometheus_is_parsed():
    text = "groups: [{name: a, rules: [{alert: Ok, expr: 'up == 0'}, {alert: Bad, expr: 'sum(up'}]}]"
    with pytest.raises(UnprocessableError) as caught:
        rules_import(text=text, source="prometheus")
    lines = caught.value.fields["rules"]
    assert any(line.startswith("groups[0].rules[1].expr") and "unclosed left parenthesis" in line for line in lines)
    assert not AlertRule.objects.exists()


def test_the_form_shows_the_parsers_message(session_client):
    client = session_client(Role.ADMIN)
    client.get("/rules/new/")
    data = {
        "name": "Broken", "group": "default", "kind": "metric", "source": "prometheus",
        "expr": "sum(rate(http_requests_total[5m])", "window_seconds": "5m", "comparison": ">", "threshold": "0",
        "for_seconds": "0", "keep_firing_for_seconds": "", "enabled": "on",
        "csrfmiddlewaretoken": client.cookies["csrftoken"].value,
    }  # fmt: skip
    response = client.post("/rules/new/", data)
    assert response.status_code == 400
    assert "unclosed left parenthesis" in response.content.decode()
    assert not AlertRule.objects.exists()
