"""API token format and hashing. Tokens look like ``sre_<prefix>_<secret>``; only a SHA-256 is stored."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

TOKEN_RE = re.compile(r"^sre_(?P<prefix>[a-z0-9]{10})_(?P<secret>[A-Za-z0-9_-]{40,})$")
_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"


@dataclass(frozen=True)
class NewToken:
    prefix: str
    plaintext: str
    digest: str


def token_generate() -> NewToken:
    """A fresh random token; the plaintext is shown once and never stored."""
    prefix = "".join(secrets.choice(_ALPHABET) for _ in range(10))
    plaintext = f"sre_{prefix}_{secrets.token_urlsafe(32)}"
    return NewToken(prefix=prefix, plaintext=plaintext, digest=token_digest(plaintext))


def token_prefix(raw: str) -> str | None:
    """The lookup prefix of a well-formed token, or ``None`` for anything else."""
    match = TOKEN_RE.match(raw)
    return match.group("prefix") if match else None


def token_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def token_matches(*, raw: str, digest: str) -> bool:
    return hmac.compare_digest(token_digest(raw), digest)
