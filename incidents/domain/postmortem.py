"""The blameless postmortem template, prefilled from the incident (pure: plain values in, Markdown out)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sre.domain.timewords import duration_words


@dataclass(frozen=True)
class BudgetLine:
    slo: str
    service: str
    fraction: float | None  # share of the SLO window's budget consumed; None = not available
    bad_minutes: int | None
    bad_events: int | None
    window: str = ""
    reason: str = ""  # why the numbers are missing


@dataclass(frozen=True)
class TimelineLine:
    at: datetime
    kind: str
    actor: str
    text: str


@dataclass(frozen=True)
class PostmortemFacts:
    title: str
    severity: str
    summary: str
    services: tuple[str, ...]
    components: tuple[tuple[str, str], ...]  # (component, worst impact label during the incident)
    started_at: datetime
    detected_at: datetime | None
    acknowledged_at: datetime | None
    mitigated_at: datetime | None
    resolved_at: datetime | None
    commander: str
    budget: tuple[BudgetLine, ...]
    timeline: tuple[TimelineLine, ...]


def _at(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "—"


def budget_sentence(line: BudgetLine) -> str:
    """``burned 7.2% of checkout-availability's 30-day budget, 31 bad minutes``."""
    if line.fraction is None:
        return f"{line.slo}: {line.reason or 'budget impact not available'}"
    window = f"{line.window} " if line.window else ""
    text = f"burned {line.fraction * 100:.1f}% of {line.slo}'s {window}budget"
    if line.bad_minutes is not None:
        text += f", {line.bad_minutes} bad minute{'s' if line.bad_minutes != 1 else ''}"
    return text


def _escape_cell(text: str) -> str:
    return " ".join(text.replace("|", "\\|").split())


def postmortem_template(facts: PostmortemFacts) -> str:
    """The Markdown body a new postmortem starts with. Times are UTC; the reader's zone is for the UI."""
    started = facts.started_at
    lines = [
        f"# Postmortem: {facts.title}",
        "",
        "_Blameless: we describe what the system and the process allowed, not who is to blame._",
        "",
        "## Summary",
        "",
        facts.summary.strip() or "What happened, in two or three sentences a customer could understand.",
        "",
        "## Impact",
        "",
        f"- Severity: {facts.severity}",
        f"- Duration: {duration_words((facts.resolved_at - started).total_seconds()) if facts.resolved_at else '—'}"
        f" ({_at(started)} to {_at(facts.resolved_at)})",
        f"- Time to mitigate: "
        f"{duration_words((facts.mitigated_at - started).total_seconds()) if facts.mitigated_at else '—'}",
        f"- Services: {', '.join(facts.services) or '—'}",
    ]
    if facts.components:
        lines.append(
            "- Status page components (worst impact): "
            + ", ".join(f"{name} ({impact})" for name, impact in facts.components)
        )
    for line in facts.budget:
        lines.append(f"- Error budget: {budget_sentence(line)}")
    if not facts.budget:
        lines.append("- Error budget: no SLO of the affected services")
    detected = facts.detected_at or started
    lines += [
        "",
        "## Detection",
        "",
        f"Started {_at(started)}, detected {_at(facts.detected_at)}, acknowledged {_at(facts.acknowledged_at)}"
        + (
            f" ({duration_words((facts.acknowledged_at - detected).total_seconds())} after detection)."
            if facts.acknowledged_at
            else "."
        ),
        "",
        "How did we find out (alert, customer, by chance)? Could we have known sooner?",
        "",
        "## Timeline",
        "",
        "| Time (UTC) | Event | Who | Details |",
        "|---|---|---|---|",
    ]
    for entry in facts.timeline:
        lines.append(
            f"| {entry.at:%Y-%m-%d %H:%M:%S} | {_escape_cell(entry.kind)} | {_escape_cell(entry.actor) or '—'} "
            f"| {_escape_cell(entry.text)[:300]} |"
        )
    lines += [
        "",
        "## Root causes and trigger",
        "",
        "- Trigger: the change or event that set it off.",
        "- Root causes: the conditions that let the trigger cause an outage (ask “why” until it is useful).",
        "",
        "## Resolution",
        "",
        f"What mitigated the impact{' (incident commander: ' + facts.commander + ')' if facts.commander else ''}, "
        "and what fixed it for good.",
        "",
        "## What went well",
        "",
        "- ",
        "",
        "## What went poorly",
        "",
        "- ",
        "",
        "## Where we got lucky",
        "",
        "- ",
        "",
        "## Action items",
        "",
        "Tracked below the document (owner, due date, priority); they are appended on export.",
        "",
    ]
    return "\n".join(lines)


COMPONENT_SEVERITY = ("operational", "under_maintenance", "degraded_performance", "partial_outage", "major_outage")


def worst_component_status(statuses: list[str]) -> str:
    """The most severe of Statuspage component statuses (unknown values rank lowest)."""
    rank = {status: index for index, status in enumerate(COMPONENT_SEVERITY)}
    return max(statuses, key=lambda status: rank.get(status, -1)) if statuses else "operational"
