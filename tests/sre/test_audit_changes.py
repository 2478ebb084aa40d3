"""Audit trail: changes through a page, the API with a token and a Celery task are recorded with who, how,
from where, before and after (secrets withheld); a rolled-back change leaves nothing; sign-in, failed sign-in,
sign-out, role change and token use are recorded; entries cannot be changed through the ORM."""

from __future__ import annotations

import hashlib

import pytest
from django.apps import apps as django_apps
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.utils import timezone

from alerts.models import Receiver
from alerts.services.receivers import receiver_save
from drills.models import DrillRun
from drills.tasks import drill_scheduled
from sre.audit.models import AppendOnlyError, AuditEntry
from sre.audit.registry import TRACKED, TRACKED_M2M
from sre.audit.selectors import audit_chain_verify
from sre.choices import Role
from sre.services import api_token_create, api_token_revoke, user_set_role
from tests.drills.factories import BackupTargetFactory

pytestmark = pytest.mark.django_db


def _entries(**filters) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(**filters).order_by("pk"))


def _csrf(client: Client, path: str) -> str:
    client.get(path)
    return client.cookies["csrftoken"].value


def test_every_tracked_label_names_an_installed_model() -> None:
    for label in (*TRACKED, *TRACKED_M2M):
        assert django_apps.get_model(label) is not None, label


def test_change_through_a_page_is_recorded_with_session_address_and_secrets_withheld(session_client) -> None:
    admin = session_client(Role.ADMIN)
    token = _csrf(admin, "/alerts/receivers/new/")
    data = {"name": "pd", "kind": "pagerduty", "url": "", "email_to": "", "send_resolved": "on",
            "timeout_seconds": "10", "routing_key": "ROUTINGKEY-1", "secret": "",
            "csrfmiddlewaretoken": token}  # fmt: skip
    response = admin.post("/alerts/receivers/new/", data, HTTP_USER_AGENT="Firefox/128", REMOTE_ADDR="192.0.2.7")
    assert response.status_code == 302
    receiver = Receiver.objects.get(name="pd")
    (created,) = _entries(object_app="alerts", object_model="receiver", action="create")
    assert (created.actor, created.actor_id, created.actor_kind, created.via) == (
        admin.user.username,
        admin.user.pk,
        "user",
        "session",
    )
    assert (created.address, created.user_agent, created.object_pk) == ("192.0.2.7", "Firefox/128", str(receiver.pk))
    assert created.session == hashlib.sha256(admin.session.session_key.encode()).hexdigest()
    assert created.before is None and created.after["name"] == "pd"
    assert created.after["routing_key"] == "***" and created.after["routing_key_digest"] == "***"
    assert created.after["secret"] == ""
    assert "ROUTINGKEY-1" not in str(created.after)

    data.update(routing_key="ROUTINGKEY-2", timeout_seconds="20")
    assert admin.post(f"/alerts/receivers/{receiver.pk}/", data).status_code == 302
    (updated,) = _entries(object_model="receiver", action="update")
    assert updated.before == {"routing_key": "***", "routing_key_digest": "***", "timeout_seconds": 10.0}
    assert updated.after == {"routing_key": "***", "routing_key_digest": "***", "timeout_seconds": 20.0}

    # Saving again with nothing changed records nothing.
    data["routing_key"] = ""
    assert admin.post(f"/alerts/receivers/{receiver.pk}/", data).status_code == 302
    assert len(_entries(object_model="receiver", action="update")) == 1


def test_change_through_the_api_with_a_token_names_the_token(token_client) -> None:
    client = token_client(Role.ADMIN, scopes=("read", "write"))
    response = client.post(
        "/api/v1/alerts/receivers/",
        {"name": "hook", "kind": "ledger", "secret": "WEBHOOKSECRET"},
        format="json",
        HTTP_USER_AGENT="curl/8",
        REMOTE_ADDR="198.51.100.4",
    )
    assert response.status_code == 201, response.content
    (entry,) = _entries(object_model="receiver", action="create")
    token = client.user.api_tokens.get()
    assert (entry.actor, entry.via, entry.token_id, entry.token_prefix) == (
        client.user.username,
        "token",
        token.pk,
        token.prefix,
    )
    assert (entry.address, entry.user_agent, entry.session) == ("198.51.100.4", "curl/8", "")
    assert entry.after["secret"] == "***" and "WEBHOOKSECRET" not in str(entry.after)
    assert token.digest not in str(list(AuditEntry.objects.values()))
    (use,) = _entries(action="token_use")  # the first use of the token this minute
    assert (use.object_model, use.object_pk, use.token_prefix) == ("apitoken", str(token.pk), token.prefix)

    response = client.delete(f"/api/v1/alerts/receivers/{entry.object_pk}/")
    assert response.status_code == 204
    (deleted,) = _entries(object_model="receiver", action="delete")
    assert deleted.before["name"] == "hook" and deleted.before["secret"] == "***" and deleted.after is None
    assert len(_entries(action="token_use")) == 1  # not again within the minute


def test_change_through_a_celery_task_names_the_task(monkeypatch) -> None:
    monkeypatch.setattr("drills.tasks.drill_enqueue", lambda *, run_id, timeout_seconds: None)
    target = BackupTargetFactory(connection="postgres://u:DBPASSWORD@db/x")
    result = drill_scheduled.apply(args=[target.pk])
    assert result.successful()
    run = DrillRun.objects.get(target=target)
    (entry,) = _entries(object_model="drillrun", action="create")
    assert (entry.actor, entry.actor_kind, entry.via, entry.actor_id) == (
        "system:drills.scheduled",
        "system",
        "system",
        None,
    )
    assert entry.object_pk == str(run.pk) and entry.after["status"] == "queued" and entry.address == ""
    (target_entry,) = _entries(object_model="backuptarget", action="create")
    assert target_entry.after["connection"] == "***" and "DBPASSWORD" not in str(target_entry.after)


def test_rolled_back_change_leaves_no_entry() -> None:
    before = AuditEntry.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        receiver_save(receiver=None, data={"name": "gone", "kind": "ledger"})
        assert AuditEntry.objects.count() == before + 1
        raise RuntimeError("roll back")
    assert AuditEntry.objects.count() == before
    assert not Receiver.objects.filter(name="gone").exists()


def test_sign_in_failed_sign_in_and_sign_out(make_user) -> None:
    user = make_user(Role.VIEWER, username="carol")
    client = Client()
    bad = client.post("/accounts/login/", {"username": "carol", "password": "wrong"}, REMOTE_ADDR="203.0.113.9")
    assert bad.status_code in (200, 403)
    (failed,) = _entries(action="login_failed")
    assert (failed.actor_kind, failed.address, failed.detail["username"]) == ("anonymous", "203.0.113.9", "carol")
    assert "wrong" not in str(failed.detail)
    assert client.login(username="carol", password="pw-for-tests")
    (login,) = _entries(action="login")
    assert (login.actor, login.actor_id, login.object_pk) == ("carol", user.pk, str(user.pk))
    client.post("/accounts/logout/")
    (logout,) = _entries(action="logout")
    assert logout.actor == "carol"
    # last_login changed at sign-in: not recorded as a change of the user.
    assert not _entries(object_model="user", action="update")


def test_role_change_is_one_entry(make_user) -> None:
    user = make_user(Role.VIEWER)
    AuditEntry.objects.count()
    user_set_role(user=user, role=Role.ADMIN)
    entries = _entries(object_model="user", object_pk=str(user.pk), action__in=["role_change", "update"])
    assert [(e.action, e.before, e.after) for e in entries][-1] == (
        "role_change",
        {"role": "viewer"},
        {"role": "admin"},
    )
    assert [e.action for e in entries].count("update") == 0
    user_set_role(user=user, role=Role.ADMIN)  # no change, no entry
    assert len(_entries(action="role_change", object_pk=str(user.pk))) == 2  # viewer (creation) then admin


def test_token_create_and_revoke_are_recorded(make_user) -> None:
    user = make_user(Role.ADMIN)
    token, plaintext = api_token_create(user=user, name="ci", scopes=["read"], expires_at=None, now=timezone.now())
    api_token_revoke(token=token, now=timezone.now())
    created, revoked = _entries(object_model="apitoken")
    assert created.action == "create" and created.after["digest"] == "***" and created.after["scopes"] == ["read"]
    assert revoked.action == "update" and revoked.before == {"revoked_at": None} and revoked.after["revoked_at"]
    assert plaintext not in str(list(AuditEntry.objects.values()))


def test_many_to_many_change_is_recorded(make_user) -> None:
    from oncall.models import Team

    team = Team.objects.create(name="Payments", slug="payments")
    user = make_user(Role.RESPONDER)
    team.members.add(user)
    (entry,) = _entries(object_model="team", action="update")
    assert entry.before == {"members": []} and entry.after == {"members": [user.pk]}


def test_orm_updates_and_deletes_are_refused() -> None:
    receiver_save(receiver=None, data={"name": "r1", "kind": "ledger"})
    entry = AuditEntry.objects.latest("pk")
    entry.actor = "eve"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.filter(pk=entry.pk).update(actor="eve")
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.filter(pk=entry.pk).delete()
    assert AuditEntry.objects.get(pk=entry.pk).actor != "eve"


def test_database_refuses_an_update_by_raw_sql() -> None:
    receiver_save(receiver=None, data={"name": "r2", "kind": "ledger"})
    entry = AuditEntry.objects.latest("pk")
    with pytest.raises(Exception) as caught, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditentry SET actor = %s WHERE id = %s", ["eve", entry.pk])
    assert "append-only" in str(caught.value)
    if connection.vendor == "postgresql":
        with pytest.raises(Exception) as caught, transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM audit_auditentry WHERE id = %s", [entry.pk])
        assert "append-only" in str(caught.value)
    assert audit_chain_verify().ok


def test_chain_cannot_fork() -> None:
    receiver_save(receiver=None, data={"name": "r3", "kind": "ledger"})
    last = AuditEntry.objects.latest("pk")
    fork = AuditEntry(at=timezone.now(), actor_kind="system", action="update", via="system",
                      prev_hash=last.prev_hash, hash="f" * 64)  # fmt: skip
    with pytest.raises(IntegrityError), transaction.atomic():
        fork.save()
