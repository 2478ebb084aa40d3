"""Writes of alert rules: the one path that creates, changes and deletes them, checking every field first
(nothing half-saved: a bad field raises ``InvalidInputError`` naming it before anything is written)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import promql_parser
from django.conf import settings
from django.db import transaction
from django.db.models import TextChoices

from rules.choices import Comparison, RuleKind, RuleSource
from rules.domain import checks
from rules.domain.checks import RuleFieldError
from rules.domain.promql import ExprError, compile_expr
from rules.domain.template import template_problems
from rules.models import AlertRule
from rules.services.evaluate import rule_alerts_resolve
from sre.domain.regex import RegexError, regex_compile
from sre.errors import InvalidInputError

FIELDS = (
    "name", "group", "kind", "source", "expr", "log_service", "log_levels", "log_text", "log_pattern",
    "log_group_by", "window_seconds", "comparison", "threshold", "for_seconds", "keep_firing_for_seconds",
    "labels", "annotations", "enabled",
)  # fmt: skip
DEFAULT_LOG_LINE_KEEP = 300  # a log line rule's alert resolves after 5 quiet minutes unless told otherwise


def _fail(field: str, message: str) -> InvalidInputError:
    return InvalidInputError(f"{field}: {message}", fields={field: [message]})


def _choice(field: str, value: Any, choices: type[TextChoices], default: str) -> str:
    value = default if value in (None, "") else value
    if value not in choices.values:
        raise _fail(field, f"One of {', '.join(choices.values)}.")
    return value


def _text(field: str, value: Any, *, limit: int) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise _fail(field, "Must be a string.")
    if len(value) > limit:
        raise _fail(field, f"At most {limit} characters.")
    return value.strip()


def _check_expr(expr: str, source: str, *, enabled: bool) -> None:
    if not expr:
        raise _fail("expr", "A metric rule needs a PromQL expression.")
    if source == RuleSource.PROMETHEUS:
        if enabled and not settings.PROMETHEUS_URL:  # a disabled one may stay (and be disabled) without it
            raise _fail("source", "PROMETHEUS_URL is not set, so a rule cannot run on Prometheus.")
        # Prometheus evaluates it, so any PromQL goes (not only the local subset), but it must parse: the
        # parser's own message, worded as the local compiler words it.
        try:
            promql_parser.parse(expr)
        except (ValueError, TypeError) as exc:
            raise _fail("expr", f"cannot parse the expression: {exc}") from None
        return
    try:
        compile_expr(expr)
    except ExprError as exc:
        raise _fail("expr", str(exc)) from None


def rule_clean(data: dict[str, Any], *, instance: AlertRule | None = None) -> dict[str, Any]:
    """The rule's fields after every check (``instance`` supplies the fields ``data`` leaves out)."""
    unknown = sorted(set(data) - set(FIELDS))
    if unknown:
        raise _fail(unknown[0], "Unknown field.")
    merged = {f: getattr(instance, f) for f in FIELDS} if instance is not None else {}
    merged.update(data)
    try:
        out: dict[str, Any] = {
            "name": checks.check_name(merged.get("name")),
            "group": _text("group", merged.get("group") or "default", limit=200) or "default",
            "kind": _choice("kind", merged.get("kind"), RuleKind, RuleKind.METRIC),
            "source": _choice("source", merged.get("source"), RuleSource, RuleSource.LOCAL),
            "expr": _text("expr", merged.get("expr"), limit=10_000),
            "log_service": _text("log_service", merged.get("log_service"), limit=100),
            "log_levels": checks.check_levels(merged.get("log_levels")),
            "log_text": _text("log_text", merged.get("log_text"), limit=500),
            "log_pattern": _text("log_pattern", merged.get("log_pattern"), limit=500),
            "log_group_by": checks.check_group_by(merged.get("log_group_by")),
            "comparison": _choice("comparison", merged.get("comparison"), Comparison, Comparison.GT),
            "threshold": checks.check_threshold(merged.get("threshold", 0.0)),
            "for_seconds": checks.check_duration("for_seconds", merged.get("for_seconds", 0)),
            "labels": checks.check_labels("labels", merged.get("labels")),
            "annotations": checks.check_labels("annotations", merged.get("annotations")),
            "enabled": bool(merged.get("enabled", True)),
        }
        kind = out["kind"]
        keep = merged.get("keep_firing_for_seconds")
        if keep in (None, "") and kind == RuleKind.LOG_LINE:
            keep = DEFAULT_LOG_LINE_KEEP
        out["keep_firing_for_seconds"] = checks.check_duration("keep_firing_for_seconds", keep or 0)
        window = merged.get("window_seconds", 300)
        out["window_seconds"] = checks.check_duration(
            "window_seconds", 300 if window in (None, "") else window, minimum=60, whole_minutes=True
        )
    except RuleFieldError as exc:
        raise _fail(exc.field, exc.message) from None
    if out["kind"] == RuleKind.METRIC:
        _check_expr(out["expr"], out["source"], enabled=out["enabled"])
    else:
        if out["source"] != RuleSource.LOCAL:
            raise _fail("source", "Log rules run on the product's own log store.")
        if out["kind"] == RuleKind.LOG_LINE and not (out["log_service"] or out["log_levels"] or out["log_pattern"]):
            raise _fail("log_pattern", "Say which lines: a service, levels or a pattern.")
        if out["log_pattern"]:
            try:
                regex_compile(out["log_pattern"])
            except RegexError as exc:
                raise _fail("log_pattern", str(exc)) from None
    problems = [p for text in out["annotations"].values() for p in template_problems(text)]
    if problems:
        raise _fail("annotations", f"Unsupported template action {problems[0]}; see the README for the subset.")
    return out


@transaction.atomic
def rule_save(*, rule: AlertRule | None, data: dict[str, Any]) -> AlertRule:
    """Create (``rule`` None) or change a rule. A change of what the rule computes drops its pending state;
    firing alerts keep their state until the next evaluation decides (a rule that no longer holds resolves)."""
    cleaned = rule_clean(data, instance=rule)
    clash = AlertRule.objects.filter(group=cleaned["group"], name=cleaned["name"])
    if rule is not None:
        clash = clash.exclude(pk=rule.pk)
    if clash.exists():
        raise _fail("name", f"A rule named {cleaned['name']!r} already exists in group {cleaned['group']!r}.")
    if rule is None:
        return AlertRule.objects.create(**cleaned)
    for field, value in cleaned.items():
        setattr(rule, field, value)
    rule.save()
    if not rule.enabled:
        rule_alerts_resolve(rule=rule, now=dt.datetime.now(dt.UTC))
    return rule


@transaction.atomic
def rule_delete(*, rule: AlertRule, now: dt.datetime) -> None:
    """Delete a rule; its firing alerts are resolved first (so nothing stays firing with no rule behind it)."""
    rule_alerts_resolve(rule=rule, now=now)
    rule.delete()
