"""Component status and the page's overall indicator, as Atlassian Statuspage words them.

Pure: inputs are plain values; the caller gathers open incidents' impact, active maintenance, firing
SLO burn alerts and a responder's override."""

from __future__ import annotations

from collections.abc import Iterable

OPERATIONAL = "operational"
DEGRADED = "degraded_performance"
PARTIAL = "partial_outage"
MAJOR = "major_outage"
MAINTENANCE = "under_maintenance"

COMPONENT_STATUSES = (OPERATIONAL, DEGRADED, PARTIAL, MAJOR, MAINTENANCE)
# How bad each status is: an outage outranks maintenance, maintenance outranks "operational".
RANK = {OPERATIONAL: 0, MAINTENANCE: 1, DEGRADED: 2, PARTIAL: 3, MAJOR: 4}

INDICATORS = ("none", "minor", "major", "critical")
INDICATOR_RANK = {name: i for i, name in enumerate(INDICATORS)}
# A component status raises the page indicator at least this far.
STATUS_INDICATOR = {OPERATIONAL: "none", MAINTENANCE: "none", DEGRADED: "minor", PARTIAL: "major", MAJOR: "critical"}

STATUS_LABELS = {
    OPERATIONAL: "Operational",
    DEGRADED: "Degraded Performance",
    PARTIAL: "Partial Outage",
    MAJOR: "Major Outage",
    MAINTENANCE: "Under Maintenance",
}


def worst(statuses: Iterable[str]) -> str:
    """The worst of ``statuses`` (unknown values are ignored); operational when there are none."""
    best = OPERATIONAL
    for status in statuses:
        if RANK.get(status, -1) > RANK[best]:
            best = status
    return best


def burn_status(severities: Iterable[str]) -> str | None:
    """The status that firing SLO burn alerts imply: a paging burn is a partial outage, a ticket-level
    burn degraded performance, none firing says nothing."""
    found = set(severities)
    if "page" in found:
        return PARTIAL
    if found:
        return DEGRADED
    return None


def component_status(
    *,
    impacts: Iterable[str],
    in_maintenance: bool,
    burn: str | None = None,
    override: str | None = None,
) -> str:
    """The component's public status.

    A responder's override wins outright. Otherwise the worst of: open incidents' impact on it,
    ``under_maintenance`` while a maintenance that sets status is in progress, and (opt-in) the SLO
    burn status."""
    if override in RANK:
        return override
    parts = list(impacts)
    if in_maintenance:
        parts.append(MAINTENANCE)
    if burn:
        parts.append(burn)
    return worst(parts)


def page_status(*, component_statuses: Iterable[str], incident_impacts: Iterable[str]) -> tuple[str, str]:
    """The page's ``(indicator, description)`` as Statuspage's ``status`` object.

    The indicator is the worst of the unresolved incidents' impact and what the components show
    (degraded → minor, partial outage → major, major outage → critical). The description follows
    Statuspage's banner: "All Systems Operational", "Partially Degraded Service", "Minor Service
    Outage", "Partial System Outage", "Major Service Outage", or "Service Under Maintenance" when the
    only thing going on is maintenance."""
    statuses = list(component_statuses)
    indicator = "none"
    for status in statuses:
        candidate = STATUS_INDICATOR.get(status, "none")
        if INDICATOR_RANK[candidate] > INDICATOR_RANK[indicator]:
            indicator = candidate
    incident_level = "none"
    for impact in incident_impacts:
        if INDICATOR_RANK.get(impact, 0) > INDICATOR_RANK[incident_level]:
            incident_level = impact
    if INDICATOR_RANK[incident_level] > INDICATOR_RANK[indicator]:
        indicator = incident_level
    if indicator == "none":
        if MAINTENANCE in statuses:
            return "none", "Service Under Maintenance"
        return "none", "All Systems Operational"
    if indicator == "minor":
        only_degraded = incident_level == "none" and worst(statuses) == DEGRADED
        return "minor", "Partially Degraded Service" if only_degraded else "Minor Service Outage"
    if indicator == "major":
        return "major", "Partial System Outage"
    return "critical", "Major Service Outage"
