"""Secrets at rest: own keys (SRE_ENCRYPTION_KEY) or HKDF of SECRET_KEY, old ciphertexts still readable, and
``rotate_encryption_key`` leaving every stored secret readable with the newest key alone."""

from __future__ import annotations

from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from alerts.models import Receiver
from drills.models import BackupTarget
from oncall.models import ContactMethod
from sre.audit.models import AuditEntry
from sre.config import encryption_keys
from sre.crypto import decrypt, encrypt
from sre.domain.keys import SECRET_KEY_SALT, hkdf_key, legacy_key
from sre.env import Env, EnvError
from statuspage.models import Subscriber

KEY_A = Fernet.generate_key().decode()
KEY_B = "a long passphrase that is not a Fernet key at all"


def test_without_own_keys_the_key_is_hkdf_of_secret_key_not_a_bare_hash(settings) -> None:
    token = encrypt("s3cret")
    assert Fernet(hkdf_key(settings.SECRET_KEY, salt=SECRET_KEY_SALT)).decrypt(token.encode()) == b"s3cret"
    with pytest.raises(Exception):
        Fernet(legacy_key(settings.SECRET_KEY)).decrypt(token.encode())


def test_ciphertexts_of_the_old_derivation_stay_readable(settings) -> None:
    old = Fernet(legacy_key(settings.SECRET_KEY)).encrypt(b"written-by-v1").decode()
    assert decrypt(old) == "written-by-v1"
    with override_settings(SRE_ENCRYPTION_KEYS=[KEY_A]):
        assert decrypt(old) == "written-by-v1"


def test_own_keys_encrypt_with_the_first_and_read_with_any() -> None:
    with override_settings(SRE_ENCRYPTION_KEYS=[KEY_A]):
        under_a = encrypt("alpha")
    assert Fernet(KEY_A.encode()).decrypt(under_a.encode()) == b"alpha"
    with override_settings(SRE_ENCRYPTION_KEYS=[KEY_B, KEY_A]):
        assert decrypt(under_a) == "alpha"
        under_b = encrypt("beta")
    with override_settings(SRE_ENCRYPTION_KEYS=[KEY_B]):
        assert decrypt(under_b) == "beta"
        with pytest.raises(ValueError, match="SRE_ENCRYPTION_KEY"):
            decrypt(under_a)


@pytest.mark.parametrize("value", ["short", f"{KEY_A},tooshort"])
def test_malformed_keys_stop_start_up_without_printing_them(value: str) -> None:
    with pytest.raises(EnvError) as caught:
        encryption_keys(Env({"SRE_ENCRYPTION_KEY": value}))
    assert "tooshort" not in str(caught.value) and "short'" not in str(caught.value)
    assert encryption_keys(Env({"SRE_ENCRYPTION_KEY": f" {KEY_B} , {KEY_A} "})) == [KEY_B, KEY_A]
    assert encryption_keys(Env({})) == []


def _stored(model, pk: int, column: str) -> str:
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {connection.ops.quote_name(column)} FROM {table} WHERE id = %s", [pk])
        return cursor.fetchone()[0]


@pytest.mark.django_db
def test_rotate_re_encrypts_every_secret_of_every_model(make_user, settings) -> None:
    user = make_user("responder")
    with override_settings(SRE_ENCRYPTION_KEYS=[KEY_A]):
        receiver = Receiver.objects.create(name="pd", kind="pagerduty", routing_key="RK", secret="")
        target = BackupTarget.objects.create(name="db", kind="postgres", connection="postgres://u:pw@h/db", secret="pw")
        method = ContactMethod.objects.create(user=user, kind="chat", address="ntfy://topic", secret="hmac")
        subscriber = Subscriber.objects.create(
            kind="webhook", url="https://hooks.example/x?t=1", created_at=timezone.now()
        )
    # One more written by the old derivation (a database from before this change).
    legacy = Fernet(legacy_key(settings.SECRET_KEY)).encrypt(b"legacy-rk").decode()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE alerts_receiver SET secret = %s WHERE id = %s", [legacy, receiver.pk])
    before = _stored(BackupTarget, target.pk, "connection")

    with override_settings(SRE_ENCRYPTION_KEYS=[KEY_B]), pytest.raises(ValueError):  # B alone cannot read them yet
        Receiver.objects.get(pk=receiver.pk)

    out = StringIO()
    with override_settings(SRE_ENCRYPTION_KEYS=[KEY_B, KEY_A]):
        call_command("rotate_encryption_key", "--batch", "1", stdout=out)
    text = out.getvalue()
    assert "alerts.Receiver (routing_key, secret): 2 re-encrypted" in text
    assert "drills.BackupTarget (connection, scratch_connection, secret, environment): 2 re-encrypted" in text
    assert "oncall.ContactMethod (address, secret): 2 re-encrypted" in text
    assert "statuspage.Subscriber (url): 1 re-encrypted" in text
    assert _stored(BackupTarget, target.pk, "connection") != before

    with override_settings(SRE_ENCRYPTION_KEYS=[KEY_B]):
        got = Receiver.objects.get(pk=receiver.pk)
        assert (got.routing_key, got.secret) == ("RK", "legacy-rk")
        got = BackupTarget.objects.get(pk=target.pk)
        assert (got.connection, got.secret, got.scratch_connection) == ("postgres://u:pw@h/db", "pw", "")
        got = ContactMethod.objects.get(pk=method.pk)
        assert (got.address, got.secret) == ("ntfy://topic", "hmac")
        assert Subscriber.objects.get(pk=subscriber.pk).url == "https://hooks.example/x?t=1"
        out = StringIO()
        call_command("rotate_encryption_key", stdout=out)  # a second run changes nothing
        assert "alerts.Receiver (routing_key, secret): 0 re-encrypted, 2 already current" in out.getvalue()

    rotation = AuditEntry.objects.filter(action="key_rotation").order_by("pk").first()
    assert rotation.actor == "system:rotate_encryption_key"
    assert rotation.detail["models"]["alerts.Receiver"]["rewritten"] == 2
    assert not AuditEntry.objects.filter(action="update", object_model="receiver").exists()


@pytest.mark.django_db
def test_rotate_reports_values_no_key_opens(make_user) -> None:
    other = Fernet(Fernet.generate_key()).encrypt(b"x").decode()
    receiver = Receiver.objects.create(name="lost", kind="ledger")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE alerts_receiver SET secret = %s WHERE id = %s", [other, receiver.pk])
    out = StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("rotate_encryption_key", stdout=out)
    assert caught.value.returncode == 1 and "1 unreadable" in out.getvalue()
    assert _stored(Receiver, receiver.pk, "secret") == other  # left as it was
