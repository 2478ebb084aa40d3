"""Secrets encryption: round trip, key rotation, and ciphertext that is not the plaintext."""

import pytest
from django.test import override_settings

from sre.crypto import decrypt, encrypt


def test_round_trip_and_ciphertext_hides_plaintext() -> None:
    token = encrypt("routing-key-123")
    assert "routing-key-123" not in token
    assert decrypt(token) == "routing-key-123"
    assert encrypt("routing-key-123") != token  # random IV


def test_old_key_still_decrypts_after_rotation_and_unknown_key_fails() -> None:
    with override_settings(SECRET_KEY="old-key-" * 8):
        token = encrypt("s3cret")
    with override_settings(SECRET_KEY="new-key-" * 8, SECRET_KEY_FALLBACKS=["old-key-" * 8]):
        assert decrypt(token) == "s3cret"
    with override_settings(SECRET_KEY="other-key-" * 8, SECRET_KEY_FALLBACKS=[]), pytest.raises(ValueError):
        decrypt(token)
