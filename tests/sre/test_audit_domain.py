"""Audit trail, pure parts: canonical JSON, the hash chain and its verification, field diffs (no database)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sre.audit.domain.chain import GENESIS, HASHED_FIELDS, Link, canonical_json, chain_verify, entry_hash
from sre.audit.domain.diff import field_changes


def _fields(n: int, **over) -> dict:
    fields = dict.fromkeys(HASHED_FIELDS, "")
    fields.update(at=f"2026-01-01T00:00:{n:02d}.000000+00:00", action="update", actor_id=n, before={"a": n})
    fields.update(over)
    return fields


def _chain(n: int) -> list[Link]:
    links, prev = [], GENESIS
    for i in range(1, n + 1):
        fields = _fields(i)
        digest = entry_hash(prev_hash=prev, fields=fields)
        links.append(Link(pk=i, prev_hash=prev, hash=digest, fields=fields))
        prev = digest
    return links


def test_intact_chain_verifies_and_reports_its_head() -> None:
    links = _chain(5)
    verdict = chain_verify(links=iter(links))
    assert (verdict.ok, verdict.count, verdict.broken_at, verdict.head) == (True, 5, None, links[-1].hash)
    assert chain_verify(links=[]).ok


def test_altered_entry_is_found() -> None:
    links = _chain(5)
    altered = Link(pk=3, prev_hash=links[2].prev_hash, hash=links[2].hash, fields={**links[2].fields, "actor": "eve"})
    verdict = chain_verify(links=[*links[:2], altered, *links[3:]])
    assert (verdict.ok, verdict.broken_at, verdict.count) == (False, 3, 3)
    assert "altered" in verdict.reason


@pytest.mark.parametrize(("removed", "broken_at", "word"), [(0, 2, "start"), (2, 4, "deleted"), (3, 5, "deleted")])
def test_removed_entry_breaks_the_next_one(removed: int, broken_at: int, word: str) -> None:
    links = _chain(5)
    del links[removed]
    verdict = chain_verify(links=links)
    assert not verdict.ok and verdict.broken_at == broken_at and word in verdict.reason


def test_chain_after_an_anchor_starts_from_the_anchor_hash() -> None:
    links = _chain(6)
    kept = links[3:]
    assert not chain_verify(links=kept).ok
    assert chain_verify(links=kept, start_hash=links[2].hash).ok
    verdict = chain_verify(links=kept[1:], start_hash=links[2].hash)
    assert not verdict.ok and "anchor" in verdict.reason


def test_hash_covers_every_field_and_the_previous_hash() -> None:
    base = _fields(1)
    reference = entry_hash(prev_hash=GENESIS, fields=base)
    for name in HASHED_FIELDS:
        assert entry_hash(prev_hash=GENESIS, fields={**base, name: "other"}) != reference, name
    assert entry_hash(prev_hash="1" * 64, fields=base) != reference
    with pytest.raises(KeyError):
        entry_hash(prev_hash=GENESIS, fields={"at": "x"})


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ({"x": 1e20}, {"x": 100000000000000000000}),  # PostgreSQL jsonb prints big floats as integers
        ({"x": 2.0}, {"x": 2}),
        ({"b": 1, "a": [1, {"d": 2, "c": 3}]}, {"a": [1, {"c": 3, "d": 2}], "b": 1}),
    ],
)
def test_canonical_json_is_stable_across_database_round_trips(a, b) -> None:
    assert canonical_json(a) == canonical_json(b)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=20,
)


@given(json_values)
def test_canonical_json_survives_a_json_round_trip(value) -> None:
    assert canonical_json(json.loads(json.dumps(value))) == canonical_json(value)


def test_field_changes_rows() -> None:
    rows = field_changes(before={"a": 1, "s": "***", "gone": 2}, after={"a": 2, "s": "***", "new": 3})
    kinds = {r.name: r.kind for r in rows}
    assert kinds == {"a": "changed", "s": "secret", "gone": "removed", "new": "added"}
    assert [r.name for r in field_changes(before=None, after={"b": 1, "a": 2})] == ["a", "b"]
