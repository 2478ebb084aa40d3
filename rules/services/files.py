"""Prometheus rule files (``groups:`` of ``alert`` rules) in and out.

Import upserts rules by (group, name), all or nothing: every problem is listed with its path and a file with any
is refused (422). Recording rules and keys this product does not use (a group's ``interval``, ``limit``,
``query_offset``, ``labels``) are reported as unsupported and skipped. Export writes the metric rules, which
``promtool check rules`` accepts; log rules have no Prometheus form and are left out (named in a comment)."""

from __future__ import annotations

from typing import Any

import yaml
from django.db import transaction

from rules.choices import RuleKind, RuleSource
from rules.models import AlertRule
from rules.services.rules import rule_clean, rule_save
from sre.domain.durations import format_duration
from sre.errors import DomainError, InvalidInputError, UnprocessableError
from sre.yaml_input import yaml_load

RULE_KEYS = {"alert", "expr", "for", "keep_firing_for", "labels", "annotations"}
GROUP_KEYS = {"name", "rules"}
IGNORED_GROUP_KEYS = {"interval", "limit", "query_offset", "labels"}
MAX_RULES = 5000


def _load(text: str) -> Any:
    try:
        return yaml_load(text)
    except yaml.YAMLError as exc:
        raise InvalidInputError(f"The YAML does not parse: {exc}", fields={"body": [str(exc)]}) from None


def _parse(doc: Any, *, source: str) -> tuple[list[tuple[str, dict]], list[str], list[str]]:
    """``([(path, rule data)], errors, unsupported)`` of a rule file."""
    if not isinstance(doc, dict) or not isinstance(doc.get("groups"), list):
        return [], ["groups: a rule file is a mapping with a list of groups"], []
    items, errors, unsupported = [], [], []
    for key in sorted(set(doc) - {"groups"}):
        unsupported.append(f"{key}: unknown top-level key, skipped")
    seen_groups: set[str] = set()
    for gi, group in enumerate(doc["groups"]):
        where = f"groups[{gi}]"
        if not isinstance(group, dict) or not isinstance(group.get("name"), str) or not group.get("name"):
            errors.append(f"{where}.name: every group needs a name")
            continue
        if group["name"] in seen_groups:
            errors.append(f"{where}.name: group {group['name']!r} appears twice")
        seen_groups.add(group["name"])
        for key in sorted(set(group) - GROUP_KEYS):
            note = "not used here (rules evaluate every SRE_RULES_INTERVAL)" if key == "interval" else "skipped"
            unsupported.append(f"{where}.{key}: {note}")
        group_rules = group.get("rules") or []
        if not isinstance(group_rules, list):
            errors.append(f"{where}.rules: a list of rules")
            continue
        for ri, rule in enumerate(group_rules):
            path = f"{where}.rules[{ri}]"
            if not isinstance(rule, dict):
                errors.append(f"{path}: a rule is a mapping")
                continue
            if "record" in rule:
                unsupported.append(f"{path}: recording rule {rule.get('record')!r} skipped (only alerting rules)")
                continue
            for key in sorted(set(rule) - RULE_KEYS):
                unsupported.append(f"{path}.{key}: unknown key, skipped")
            data = {
                "name": rule.get("alert"), "group": group["name"], "kind": RuleKind.METRIC, "source": source,
                "expr": str(rule.get("expr", "")).strip(), "for_seconds": rule.get("for", 0) or 0,
                "keep_firing_for_seconds": rule.get("keep_firing_for", 0) or 0,
                "labels": rule.get("labels") or {}, "annotations": rule.get("annotations") or {},
            }  # fmt: skip
            items.append((path, data))
    if len(items) > MAX_RULES:
        errors.append(f"groups: at most {MAX_RULES} rules per file")
    return items, errors, unsupported


def rules_import(*, text: str, source: str = RuleSource.LOCAL, dry_run: bool = False) -> dict:
    """Upsert the alerting rules of a Prometheus rule file. Returns ``{"created": [...], "updated": [...],
    "unsupported": [...], "dry_run": bool}``; raises ``UnprocessableError`` listing every problem."""
    if source not in RuleSource.values:
        raise InvalidInputError("source: one of local, prometheus.", fields={"source": ["Unknown source."]})
    items, errors, unsupported = _parse(_load(text), source=source)
    plans = []
    for path, data in items:
        existing = AlertRule.objects.filter(group=data["group"], name=data["name"]).first()
        try:
            rule_clean(data, instance=existing)
        except DomainError as exc:
            field = next(iter(exc.fields), "")
            where = {"name": "alert", "for_seconds": "for", "keep_firing_for_seconds": "keep_firing_for"}.get(
                field, field
            )
            errors.append(f"{path}.{where}: {' '.join(exc.fields.get(field, [exc.message]))}")
            continue
        plans.append((existing, data))
    names = [(d["group"], d["name"]) for _, d in plans]
    for dup in sorted({n for n in names if names.count(n) > 1}):
        errors.append(f"groups: rule {dup[1]!r} appears twice in group {dup[0]!r}")
    if errors:
        raise UnprocessableError(
            f"The rule file cannot be imported: {errors[0]}"
            + (f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""),
            fields={"rules": errors},
        )
    if not plans:
        raise UnprocessableError("The file holds no alerting rules to import.", fields={"rules": ["None found."]})
    report: dict = {"created": [], "updated": [], "unsupported": unsupported, "dry_run": dry_run}
    with transaction.atomic():
        for existing, data in plans:
            rule_save(rule=existing, data=data)
            report["updated" if existing else "created"].append(f"{data['group']}/{data['name']}")
        if dry_run:
            transaction.set_rollback(True)
    return report


def _rule_doc(rule: AlertRule) -> dict:
    doc: dict[str, Any] = {"alert": rule.name, "expr": rule.expr}
    if rule.for_seconds:
        doc["for"] = format_duration(rule.for_seconds)
    if rule.keep_firing_for_seconds:
        doc["keep_firing_for"] = format_duration(rule.keep_firing_for_seconds)
    if rule.labels:
        doc["labels"] = dict(rule.labels)
    if rule.annotations:
        doc["annotations"] = dict(rule.annotations)
    return doc


def rules_export_text(*, rules: list[AlertRule] | None = None) -> str:
    """The metric rules as a Prometheus rule file (groups in name order)."""
    rules = list(AlertRule.objects.order_by("group", "name")) if rules is None else rules
    groups: dict[str, list[dict]] = {}
    left_out = []
    for rule in rules:
        if rule.kind != RuleKind.METRIC:
            left_out.append(f"{rule.group}/{rule.name}")
            continue
        groups.setdefault(rule.group, []).append(_rule_doc(rule))
    body = yaml.safe_dump(
        {"groups": [{"name": name, "rules": items} for name, items in groups.items()]},
        sort_keys=False, allow_unicode=True, width=1000,
    )  # fmt: skip
    if left_out:
        body = f"# Log rules have no Prometheus form and are not exported: {', '.join(left_out)}\n" + body
    return body
