"""Secrets at rest: Fernet (AES-128-CBC + HMAC-SHA256) with keys derived from SECRET_KEY.

``SECRET_KEY_FALLBACKS`` keep old ciphertexts readable after a key rotation; new values are always written with
the current key. ``EncryptedTextField`` stores ciphertext and hands plaintext to Python code; APIs and templates
must still never echo it back.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import models


def _fernet_for(secret: str) -> Fernet:
    digest = hashlib.sha256(b"sre-control-plane/secrets/v1:" + secret.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def _multi() -> MultiFernet:
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return MultiFernet([_fernet_for(key) for key in keys])


def encrypt(plaintext: str) -> str:
    return _multi().encrypt(plaintext.encode()).decode()


def decrypt(ciphertext: str) -> str:
    """Plaintext of ``ciphertext``; raises ``ValueError`` if no known key opens it."""
    try:
        return _multi().decrypt(ciphertext.encode()).decode()
    except InvalidToken:
        raise ValueError("Secret cannot be decrypted with SECRET_KEY or SECRET_KEY_FALLBACKS.") from None


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
