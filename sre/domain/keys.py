"""Encryption keys for secrets at rest (pure: no Django). ``sre.crypto`` builds its key ring from these.

HKDF parameters are fixed and public: changing them would make every stored secret unreadable.
"""

from __future__ import annotations

import base64
import binascii
import hashlib

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

# Salt for strings given in SRE_ENCRYPTION_KEY that are not Fernet keys themselves.
ENCRYPTION_KEY_SALT = b"sre-control-plane/encryption-key/v2"
# Salt for the key derived from SECRET_KEY when SRE_ENCRYPTION_KEY is unset.
SECRET_KEY_SALT = b"sre-control-plane/secret-key/v2"
ENCRYPTION_KEY_INFO = b"sre-control-plane fernet secrets-at-rest"
MIN_PASSPHRASE_LENGTH = 32


def hkdf_key(material: str, *, salt: bytes) -> bytes:
    """A Fernet key (url-safe base64 of 32 bytes) stretched from ``material`` with HKDF-SHA256."""
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=ENCRYPTION_KEY_INFO).derive(
        material.encode("utf-8", "surrogatepass")
    )
    return base64.urlsafe_b64encode(derived)


def legacy_key(secret: str) -> bytes:
    """The pre-v2 derivation (a bare SHA-256 of ``SECRET_KEY``): read-only, for old ciphertexts."""
    digest = hashlib.sha256(b"sre-control-plane/secrets/v1:" + secret.encode()).digest()
    return base64.urlsafe_b64encode(digest)


def fernet_key(value: str) -> bytes:
    """The Fernet key for one ``SRE_ENCRYPTION_KEY`` entry: a Fernet key is used as given (44 characters of
    url-safe base64 holding 32 bytes), any other string of at least ``MIN_PASSPHRASE_LENGTH`` characters is
    stretched with HKDF. Raises ``ValueError`` (without the value) for anything shorter."""
    value = value.strip()
    if len(value) == 44:
        try:
            raw = base64.urlsafe_b64decode(value.encode("ascii"))
        except (binascii.Error, ValueError, UnicodeEncodeError):
            raw = b""
        if len(raw) == 32:
            return value.encode("ascii")
    if len(value) < MIN_PASSPHRASE_LENGTH:
        raise ValueError(
            "keys of 32 url-safe base64 bytes (Fernet.generate_key()) or strings of at least "
            f"{MIN_PASSPHRASE_LENGTH} characters, comma-separated, newest first"
        )
    return hkdf_key(value, salt=ENCRYPTION_KEY_SALT)


def key_ring(*, own: tuple[str, ...], secret_keys: tuple[str, ...]) -> list[bytes]:
    """Every key that may open a stored secret, the one that encrypts first, without duplicates.

    ``own``: SRE_ENCRYPTION_KEY entries, newest first. ``secret_keys``: SECRET_KEY then its fallbacks. With own
    keys, values written before they were set (HKDF of SECRET_KEY) stay readable; the legacy derivation always
    comes last."""
    keys = [fernet_key(k) for k in own]
    keys += [hkdf_key(s, salt=SECRET_KEY_SALT) for s in secret_keys]
    keys += [legacy_key(s) for s in secret_keys]
    return list(dict.fromkeys(keys))
