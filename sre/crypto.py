"""Secrets at rest: Fernet (AES-128-CBC + HMAC-SHA256) with keys of their own.

Keys, newest first (the first one encrypts, every one decrypts):

1. ``SRE_ENCRYPTION_KEY`` (``settings.SRE_ENCRYPTION_KEYS``): comma-separated keys, newest first. A key that is
   32 url-safe base64 bytes (``Fernet.generate_key()``) is used as it is; any other string (at least 32
   characters) is stretched with HKDF-SHA256 (salt and info fixed in ``sre.domain.keys``).
2. Unset: a key derived from ``SECRET_KEY`` (and, for reading, each of ``SECRET_KEY_FALLBACKS``) with HKDF-SHA256
   (``sre.domain.keys.SECRET_KEY_SALT``), so the encryption key is not the signing key. With own keys set,
   these stay readable too, so values written before ``SRE_ENCRYPTION_KEY`` was set still open.
3. Read only: the derivation used before (a bare SHA-256 of ``SECRET_KEY``/its fallbacks), so ciphertexts
   written by earlier versions stay readable. ``manage.py rotate_encryption_key`` rewrites every value with the
   newest key; after it, only that key is needed.

``EncryptedTextField`` stores ciphertext and hands plaintext to Python code; APIs and templates must still never
echo it back.
"""

from __future__ import annotations

import functools
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import models

from sre.domain.keys import key_ring


@functools.lru_cache(maxsize=8)
def _keyring(own: tuple[str, ...], secret_keys: tuple[str, ...]) -> tuple[MultiFernet, Fernet]:
    fernets = [Fernet(k) for k in key_ring(own=own, secret_keys=secret_keys)]
    return MultiFernet(fernets), fernets[0]


def keyring() -> tuple[MultiFernet, Fernet]:
    """(every known key, the newest first; the newest key alone)."""
    own = tuple(getattr(settings, "SRE_ENCRYPTION_KEYS", ()) or ())
    fallbacks = tuple(getattr(settings, "SECRET_KEY_FALLBACKS", ()) or ())
    return _keyring(own, (settings.SECRET_KEY, *fallbacks))


def encrypt(plaintext: str) -> str:
    return keyring()[0].encrypt(plaintext.encode()).decode()


def decrypt(ciphertext: str) -> str:
    """Plaintext of ``ciphertext``; raises ``ValueError`` if no known key opens it."""
    try:
        return keyring()[0].decrypt(ciphertext.encode()).decode()
    except InvalidToken:
        raise ValueError(
            "Secret cannot be decrypted with SRE_ENCRYPTION_KEY, SECRET_KEY or SECRET_KEY_FALLBACKS."
        ) from None


def reencrypt(ciphertext: str) -> str | None:
    """``ciphertext`` rewritten with the newest key, or ``None`` when it already opens with that key alone.

    Raises ``ValueError`` if no known key opens it."""
    every, newest = keyring()
    token = ciphertext.encode()
    try:
        newest.decrypt(token)
    except InvalidToken:
        pass
    else:
        return None
    try:
        return every.rotate(token).decode()
    except InvalidToken:
        raise ValueError("Secret cannot be decrypted with any configured key.") from None


class EncryptedTextField(models.TextField):
    """A text column that holds Fernet ciphertext; Python sees plaintext. Empty string stays empty."""

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None or value == "":
            return value
        return decrypt(value)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(value)
