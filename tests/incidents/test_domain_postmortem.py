"""The blameless template is prefilled from the incident's facts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from incidents.domain.postmortem import BudgetLine, PostmortemFacts, TimelineLine, budget_sentence, postmortem_template

T = datetime(2026, 3, 10, 8, 0, tzinfo=UTC)


def test_budget_sentence_reads_like_the_issue() -> None:
    line = BudgetLine(slo="checkout-availability", service="checkout", fraction=0.072, bad_minutes=31, bad_events=900,
                      window="30-day")  # fmt: skip
    assert budget_sentence(line) == "burned 7.2% of checkout-availability's 30-day budget, 31 bad minutes"
    assert "not available" in budget_sentence(BudgetLine("x", "s", None, None, None))


def test_template_has_every_section_and_the_facts() -> None:
    facts = PostmortemFacts(
        title="Checkout 500s", severity="SEV1 · Critical", summary="Card payments failed.",
        services=("checkout",), components=(("Checkout", "Major outage"),),
        started_at=T, detected_at=T + timedelta(minutes=3), acknowledged_at=T + timedelta(minutes=5),
        mitigated_at=T + timedelta(minutes=25), resolved_at=T + timedelta(minutes=50), commander="alice",
        budget=(BudgetLine("checkout-availability", "checkout", 0.072, 31, 900, "30-day"),),
        timeline=(TimelineLine(T, "Alert fired", "", "CheckoutErrorBudgetBurn | page"),),
    )  # fmt: skip
    text = postmortem_template(facts)
    for heading in ("## Summary", "## Impact", "## Detection", "## Timeline", "## Root causes and trigger",
                    "## Resolution", "## What went well", "## What went poorly", "## Where we got lucky"):  # fmt: skip
        assert heading in text
    assert "Card payments failed." in text
    assert "burned 7.2% of checkout-availability's 30-day budget, 31 bad minutes" in text
    assert "Duration: 50 min" in text and "Time to mitigate: 25 min" in text
    assert "(2 min after detection)" in text
    assert "| 2026-03-10 08:00:00 | Alert fired | — | CheckoutErrorBudgetBurn \\| page |" in text
    assert "Blameless" in text and "Checkout (Major outage)" in text


def test_worst_component_status() -> None:
    from incidents.domain.postmortem import worst_component_status

    assert worst_component_status(["operational", "major_outage", "degraded_performance"]) == "major_outage"
    assert worst_component_status(["operational", "partial_outage"]) == "partial_outage"
    assert worst_component_status([]) == "operational"
    assert budget_sentence(BudgetLine("a", "s", None, None, None, reason="no data in this period")) == (
        "a: no data in this period"
    )
