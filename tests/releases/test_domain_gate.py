"""The deploy gate: deny while an SLO whose policy freezes has spent its whole budget, with the reasons; an
active override allows (and still lists them); no data is never a reason."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

import pytest

from releases.domain.gate import ALLOW, DENY, OverrideView, SloBudget, gate_decide, override_active

NOW = dt.datetime(2026, 3, 14, 12, 0, tzinfo=dt.UTC)
SINCE = NOW - dt.timedelta(hours=3)


def budget(consumed, *, freeze=True, name="a", since=None) -> SloBudget:
    return SloBudget(
        slo_id=hash(name) % 1000,
        slo=name,
        consumed_percent=None if consumed is None else Fraction(consumed),
        freeze=freeze,
        since=since,
        observed_at=NOW - dt.timedelta(minutes=1),
    )


def override(*, expires=NOW + dt.timedelta(hours=1), revoked=None, id_=1) -> OverrideView:
    return OverrideView(id=id_, reason="hotfix", created_by="r", created_at=NOW - dt.timedelta(minutes=5),
                        expires_at=expires, revoked_at=revoked)  # fmt: skip


@pytest.mark.parametrize(
    ("budgets", "overrides", "decision", "reasons"),
    [
        ([], [], ALLOW, []),
        ([budget(99.99)], [], ALLOW, []),
        ([budget(100)], [], DENY, ["a"]),
        ([budget(Fraction(99999, 1000))], [], ALLOW, []),
        ([budget(2161.7)], [], DENY, ["a"]),
        ([budget(None)], [], ALLOW, []),  # no data: never 100%
        ([budget(300, freeze=False)], [], ALLOW, []),  # notices only
        ([budget(150, name="b"), budget(120, name="a"), budget(50, name="c")], [], DENY, ["a", "b"]),
        ([budget(150)], [override()], ALLOW, ["a"]),
        ([budget(150)], [override(expires=NOW)], DENY, ["a"]),  # expired at this instant
        ([budget(150)], [override(revoked=NOW - dt.timedelta(minutes=1))], DENY, ["a"]),
        ([budget(10)], [override()], ALLOW, []),
    ],
)
def test_gate(budgets, overrides, decision, reasons) -> None:
    gate = gate_decide(budgets=budgets, overrides=overrides, now=NOW)
    assert gate.decision == decision
    assert [r.slo for r in gate.reasons] == reasons
    assert gate.frozen == bool(reasons)
    assert (gate.override is not None) == any(o.revoked_at is None and o.expires_at > NOW for o in overrides)


def test_since_is_the_exhaustion_notice_else_the_evaluation() -> None:
    gate = gate_decide(budgets=[budget(120, since=SINCE), budget(101, name="b")], overrides=[], now=NOW)
    assert [r.since for r in gate.reasons] == [SINCE, NOW - dt.timedelta(minutes=1)]
    assert gate.reasons[0].consumed_percent == 120


def test_the_override_lasting_longest_is_shown() -> None:
    short, long = override(id_=1), override(id_=2, expires=NOW + dt.timedelta(days=1))
    assert override_active([short, long], now=NOW) == long
    assert override_active([], now=NOW) is None
