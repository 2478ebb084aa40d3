"""Deployments and release burn, on real counts in the metric store: a release burning over its factor fires
ReleaseBurn once and calls the rollback webhook once (a loopback receiver checks the signature), whatever runs
twice; a burn under the factor or with too few bad events does not; watches close and resolve."""

from __future__ import annotations

import datetime as dt

import pytest

from alerts.models import Alert
from releases.choices import RollbackState, WatchState
from releases.models import Deployment
from releases.services.deployments import deployment_record, deployment_rollback, deployments_watch
from releases.services.policies import policy_save
from releases.tasks import rollback_task
from sre.errors import InvalidInputError
from telemetry.domain.samples import validate_samples
from telemetry.services import metrics_ingest
from tests.releases.conftest import NOW

pytestmark = pytest.mark.django_db

DEPLOYED = NOW - dt.timedelta(minutes=20)


def push_traffic(service: str, *, errors_after: int, errors_before: int = 0, ok: int = 1000, minutes: int = 60):
    """Per minute, for the hour before NOW (samples in the middle of each minute): ``ok`` 200s, and 500s:
    ``errors_before`` per minute before the deployment, ``errors_after`` after it."""
    samples = []
    for m in range(minutes):
        ts = NOW - dt.timedelta(minutes=m, seconds=30)
        bad = errors_after if ts > DEPLOYED else errors_before
        for code, value in (("200", ok), ("500", bad)):
            samples.append({"metric": "http_requests_total", "labels": {"service": service, "code": code},
                            "value": value, "timestamp": ts.timestamp(), "kind": "delta"})  # fmt: skip
    metrics_ingest(samples=validate_samples(samples, now=NOW.timestamp()), scope="t", batch_id=None, now=NOW)


def release_alerts() -> list[Alert]:
    return list(Alert.objects.filter(labels__alertname="ReleaseBurn"))


@pytest.fixture
def policy(checkout, webhook, private_targets):
    return policy_save(
        policy=None, data={"service": checkout, "slo": None, "rollback_webhook_url": webhook.url + "/rollback"},
        secret="rollback-secret",
    )  # fmt: skip


def test_a_release_burning_over_its_factor_fires_once_and_calls_the_webhook_once(
    checkout, slo, policy, webhook, django_capture_on_commit_callbacks
):
    previous = deployment_record(service=checkout, version="1.0.0", at=NOW - dt.timedelta(days=1), now=NOW)
    deployment = deployment_record(
        service=checkout, version="1.1.0", at=DEPLOYED, url="https://ci.example.com/1", now=DEPLOYED
    )
    assert deployment.watch_state == WatchState.WATCHING and previous.watch_state == WatchState.UNWATCHED
    assert deployment.watch_policy["slos"] == [
        {"id": slo.pk, "name": "checkout-availability", "target": "0.999", "factor": "10", "watch_minutes": 60,
         "min_bad_events": 10}
    ]  # fmt: skip
    push_traffic("checkout", errors_after=20)  # 2% errors at 99.9%: 20x

    with django_capture_on_commit_callbacks() as queued:
        stats = deployments_watch(now=NOW)
    assert stats["fired"] == 1 and len(queued) == 1  # the rollback call, queued on commit
    deployment.refresh_from_db()
    assert deployment.watch_state == WatchState.BURNING and deployment.release_burn_at == NOW
    assert deployment.rollback_state == RollbackState.PENDING
    worst = deployment.release_burn["worst"]
    assert (worst["bad"], worst["total"]) == (400, 20400)  # 20 whole minutes after the deployment
    assert worst["burn_rate"] == pytest.approx(400 / 20400 / 0.001)
    (alert,) = release_alerts()
    assert alert.status == "firing" and alert.source == "releases"
    assert alert.labels == {"alertname": "ReleaseBurn", "service": "checkout", "slo": "checkout-availability",
                            "version": "1.1.0", "severity": "critical", "team": "payments"}  # fmt: skip
    assert alert.annotations["factor"] == "10" and alert.annotations["bad"] == "400"

    # The watch runs again (next minute, or twice at once): nothing fires or queues again.
    with django_capture_on_commit_callbacks() as again:
        assert deployments_watch(now=NOW + dt.timedelta(minutes=1))["fired"] == 0
    assert again == [] and len(release_alerts()) == 1

    # The call: once, signed, with the release's details; a second run (or the task) calls nothing.
    assert deployment_rollback(deployment_id=deployment.pk, now=NOW) == "delivered"
    assert deployment_rollback(deployment_id=deployment.pk, now=NOW) == "already delivered"
    assert rollback_task(deployment.pk) == "already delivered"
    assert len(webhook.requests) == 1 and webhook.requests[0].path == "/rollback"
    (body,) = webhook.verified  # the HMAC-SHA256 signature matched
    assert body["event"] == "release_burn"
    assert body["deployment"]["version"] == "1.1.0" and body["deployment"]["service"] == "checkout"
    assert body["deployment"]["url"] == "https://ci.example.com/1" and body["previous_version"] == "1.0.0"
    assert body["release_burn"]["slo"] == "checkout-availability"
    deployment.refresh_from_db()
    assert deployment.rollback_state == RollbackState.DELIVERED and deployment.rollback_status_code == 200
    assert deployment.rollback_attempted_at == NOW and deployment.rollback_error == ""

    # After the watch (60 minutes + 5 of grace) the alert resolves; the deployment stays "burned".
    deployments_watch(now=DEPLOYED + dt.timedelta(minutes=65))
    deployment.refresh_from_db()
    assert deployment.watch_state == WatchState.BURNED
    assert release_alerts()[0].status == "resolved"


def test_a_failed_call_is_recorded_and_never_retried(checkout, slo, policy, webhook):
    deployment = deployment_record(service=checkout, version="2.0", at=DEPLOYED, now=DEPLOYED)
    push_traffic("checkout", errors_after=50)
    deployments_watch(now=NOW)
    webhook.fail_next(500)
    assert deployment_rollback(deployment_id=deployment.pk, now=NOW) == "failed"
    deployment.refresh_from_db()
    assert deployment.rollback_state == RollbackState.FAILED and deployment.rollback_status_code == 500
    assert "500" in deployment.rollback_error
    assert deployment_rollback(deployment_id=deployment.pk, now=NOW) == "already failed"
    assert len(webhook.requests) == 1


def test_a_claimed_call_whose_worker_died_is_not_sent_again(checkout, slo, policy, webhook):
    deployment = deployment_record(service=checkout, version="2.0", at=DEPLOYED, now=DEPLOYED)
    Deployment.objects.filter(pk=deployment.pk).update(rollback_state=RollbackState.SENDING)
    assert deployment_rollback(deployment_id=deployment.pk, now=NOW) == "already sending"
    assert webhook.requests == []


def test_the_outbound_guard_refuses_a_private_target_at_call_time(checkout, slo, policy, webhook, settings):
    deployment = deployment_record(service=checkout, version="2.0", at=DEPLOYED, now=DEPLOYED)
    push_traffic("checkout", errors_after=50)
    deployments_watch(now=NOW)
    settings.SRE = {**settings.SRE, "ALERTS_ALLOW_PRIVATE_TARGETS": False}
    assert deployment_rollback(deployment_id=deployment.pk, now=NOW) == "failed"
    deployment.refresh_from_db()
    assert "not allowed" in deployment.rollback_error and webhook.requests == []


def test_no_webhook_fires_the_alert_only(checkout, slo, django_capture_on_commit_callbacks):
    deployment = deployment_record(service=checkout, version="2.0", at=DEPLOYED, now=DEPLOYED)
    push_traffic("checkout", errors_after=50)
    with django_capture_on_commit_callbacks() as queued:
        assert deployments_watch(now=NOW)["fired"] == 1
    assert queued == []
    deployment.refresh_from_db()
    assert deployment.rollback_state == RollbackState.NONE and len(release_alerts()) == 1


@pytest.mark.parametrize(
    ("errors_after", "errors_before", "why"),
    [
        (10, 0, "exactly 10x: not above the factor"),
        (5, 0, "5x"),
        (0, 100, "the burn was before the deployment"),
    ],
)
def test_no_burn_over_the_factor_closes_clean(checkout, slo, errors_after, errors_before, why):
    deployment = deployment_record(service=checkout, version="2.0", at=DEPLOYED, now=DEPLOYED)
    push_traffic("checkout", errors_after=errors_after, errors_before=errors_before)
    assert deployments_watch(now=NOW)["fired"] == 0, why
    assert deployments_watch(now=DEPLOYED + dt.timedelta(minutes=65))["closed"] == 1
    deployment.refresh_from_db()
    assert deployment.watch_state == WatchState.CLEAN and release_alerts() == []


def test_too_few_bad_events_never_roll_back(checkout, slo):
    deployment_record(service=checkout, version="2.0", at=DEPLOYED, now=DEPLOYED)
    push_traffic("checkout", errors_after=0, ok=1)  # a quiet service...
    metrics_ingest(
        samples=validate_samples([{"metric": "http_requests_total", "labels": {"service": "checkout", "code": "500"},
                                   "value": 3, "timestamp": (NOW - dt.timedelta(minutes=2)).timestamp(),
                                   "kind": "delta"}], now=NOW.timestamp()),
        scope="t", batch_id=None, now=NOW,
    )  # fmt: skip
    assert deployments_watch(now=NOW)["fired"] == 0  # ...3 errors of 23 is a burn of 130x, but only 3 events


def test_policy_factor_and_watch_are_frozen_at_recording(checkout, slo):
    policy = policy_save(policy=None, data={"service": checkout, "slo": None, "release_burn_factor": 30,
                                            "release_watch_minutes": 10})  # fmt: skip
    deployment = deployment_record(service=checkout, version="2.0", at=DEPLOYED, now=DEPLOYED)
    policy_save(policy=policy, data={"release_burn_factor": 2})  # later edits do not change a running watch
    push_traffic("checkout", errors_after=20)
    assert deployments_watch(now=NOW)["fired"] == 0  # 20x < 30x
    deployment.refresh_from_db()
    assert deployment.watch_until == DEPLOYED + dt.timedelta(minutes=10)
    assert deployment.watch_state == WatchState.CLEAN  # 10 minutes + 5 of grace are over at NOW (20 min later)


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("version", {"version": ""}),
        ("version", {"version": "x" * 201}),
        ("version", {"version": 7}),
        ("at", {"at": NOW + dt.timedelta(minutes=11)}),
        ("at", {"at": NOW - dt.timedelta(days=366)}),
        ("at", {"at": dt.datetime(2026, 3, 14, 12, 0)}),  # naive
        ("url", {"url": "javascript:alert(1)"}),
        ("url", {"url": "ftp://example.com/x"}),
        ("description", {"description": "x" * 10_001}),
    ],
)
def test_bad_input_names_the_field_and_saves_nothing(checkout, field, kwargs):
    with pytest.raises(InvalidInputError) as caught:
        deployment_record(service=checkout, **{"version": "1", **kwargs}, now=NOW)
    assert set(caught.value.fields) == {field}
    assert not Deployment.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_concurrent_record_with_the_same_key_returns_the_first(checkout, monkeypatch):
    """Two calls with one key that both pass the lookup: the unique constraint stops the second insert, and the
    second call answers with the first call's deployment instead of an error."""
    from releases.services import deployments

    first = deployment_record(service=checkout, version="7", idempotency_key="run-1", now=NOW)
    real = deployments._replayed
    calls = []

    def racing(**kwargs):
        calls.append(kwargs)
        return None if len(calls) == 1 else real(**kwargs)  # the first lookup ran before the other insert

    monkeypatch.setattr(deployments, "_replayed", racing)
    again = deployment_record(service=checkout, version="7", idempotency_key="run-1", now=NOW + dt.timedelta(seconds=1))
    assert again.pk == first.pk and len(calls) == 2
    assert Deployment.objects.count() == 1
