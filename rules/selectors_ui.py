"""Reads the rules pages need beyond ``rules.selectors``: the list's filters, and the intake's alerts (with their
groups) behind a rule's active alerts, so a page links to them and offers to silence them."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q, QuerySet

from alerts.models import Alert
from rules.choices import RuleHealth
from rules.models import AlertRule
from rules.selectors import rule_list

STATES = {
    "firing": Q(firing_count__gt=0),
    "pending": Q(pending_count__gt=0),
    "error": Q(enabled=True, health=RuleHealth.ERROR),
    "ok": Q(enabled=True, health=RuleHealth.OK, firing_count=0, pending_count=0),
    "disabled": Q(enabled=False),
}


def rule_list_filtered(*, kind: str = "", group: str = "", state: str = "", q: str = "") -> QuerySet[AlertRule]:
    """``rule_list`` narrowed by the list page's filters: state (one of ``STATES``) and a name fragment too."""
    qs = rule_list(kind=kind, group=group)
    if state in STATES:
        qs = qs.filter(STATES[state])
    if q:
        qs = qs.filter(name__icontains=q)
    return qs


def rule_groups() -> list[str]:
    return list(AlertRule.objects.order_by("group").values_list("group", flat=True).distinct())


def rule_detail(*, pk: int) -> AlertRule | None:
    """A rule with its alert counts and its active alerts (``alerts.all()`` prefetched, in label order)."""
    return rule_list().prefetch_related("alerts").filter(pk=pk).first()


def intake_alerts(*, fingerprints: Iterable[str]) -> dict[str, Alert]:
    """The intake's alert for each fingerprint that has one (a pending rule alert has none yet), with its groups
    (``groups.all()`` prefetched). A rule alert and its intake alert share the fingerprint of the label set."""
    wanted = list(fingerprints)
    if not wanted:
        return {}
    alerts = Alert.objects.filter(fingerprint__in=wanted).prefetch_related("groups")
    return {alert.fingerprint: alert for alert in alerts}
