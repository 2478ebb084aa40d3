"""Token format and role ordering (pure)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sre.domain.roles import highest_role, role_allows
from sre.domain.tokens import token_digest, token_generate, token_matches, token_prefix


def test_generated_tokens_parse_and_match() -> None:
    new = token_generate()
    assert token_prefix(new.plaintext) == new.prefix
    assert token_matches(raw=new.plaintext, digest=new.digest)
    assert not token_matches(raw=new.plaintext + "x", digest=new.digest)
    assert new.digest == token_digest(new.plaintext) and new.plaintext not in new.digest


@given(st.text(max_size=80))
def test_arbitrary_text_never_parses_unless_well_formed(raw: str) -> None:
    prefix = token_prefix(raw)
    assert prefix is None or raw.startswith(f"sre_{prefix}_")


@pytest.mark.parametrize(
    ("groups", "superuser", "expected"),
    [
        ([], False, None),
        (["viewer"], False, "viewer"),
        (["viewer", "admin"], False, "admin"),
        (["responder", "other"], False, "responder"),
        ([], True, "admin"),
    ],
)
def test_highest_role(groups: list[str], superuser: bool, expected: str | None) -> None:
    assert highest_role(groups, superuser=superuser) == expected


@pytest.mark.parametrize(
    ("have", "need", "allowed"),
    [("admin", "responder", True), ("responder", "admin", False), ("viewer", "viewer", True), (None, "viewer", False)],
)
def test_role_allows(have: str | None, need: str, allowed: bool) -> None:
    assert role_allows(have=have, need=need) is allowed
