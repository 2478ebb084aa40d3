"""Routing configuration: routes, inhibition rules, time intervals, and import from Alertmanager YAML."""

from __future__ import annotations

from typing import Any

import yaml
from django.db import transaction

from alerts.choices import ReceiverKind
from alerts.domain import timeintervals
from alerts.domain.matchers import MatcherError, from_legacy, parse_matchers, valid_label_name
from alerts.models import InhibitRule, Receiver, Route, TimeInterval
from sre.domain.durations import parse_duration
from sre.errors import ConflictError, InvalidInputError, UnprocessableError
from sre.yaml_input import yaml_load


def _check_matchers(value: Any, field: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidInputError("Matchers must be a list of strings.", fields={field: ["Must be a list of strings."]})
    try:
        parse_matchers(value)
    except MatcherError as exc:
        raise InvalidInputError(f"Bad matcher: {exc}.", fields={field: [str(exc)]}) from None
    return value


def _check_group_by(value: Any) -> list[str] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidInputError("group_by must be a list of label names.", fields={"group_by": ["Invalid."]})
    bad = [v for v in value if v != "..." and not valid_label_name(v)]
    if bad:
        raise InvalidInputError(f"Invalid label name(s) in group_by: {bad}.", fields={"group_by": ["Invalid."]})
    return value


def _route_duration(value: Any) -> int | None:
    """A route's ``group_wait``, ``group_interval`` or ``repeat_interval`` in seconds: a Prometheus duration, or
    YAML's integer seconds as they are; unset or empty is None (inherited from the parent route)."""
    if value is None or value == "":
        return None
    if isinstance(value, int):
        return value
    return parse_duration(str(value))


def _check_interval_names(names: Any, field: str) -> list[str]:
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise InvalidInputError(f"{field} must be a list of names.", fields={field: ["Invalid."]})
    known = set(TimeInterval.objects.filter(name__in=names).values_list("name", flat=True))
    missing = [n for n in names if n not in known]
    if missing:
        raise InvalidInputError(f"Unknown time interval(s): {missing}.", fields={field: ["Unknown name."]})
    return names


def route_save(*, route: Route | None, data: dict[str, Any]) -> Route:
    """Create or update one route. The tree has exactly one root, which names a receiver; a route cannot
    become its own ancestor."""
    route = route or Route()
    for key, value in data.items():
        setattr(route, key, value)
    route.matchers = _check_matchers(route.matchers or [], "matchers")
    route.group_by = _check_group_by(route.group_by)
    route.mute_time_intervals = _check_interval_names(route.mute_time_intervals or [], "mute_time_intervals")
    route.active_time_intervals = _check_interval_names(route.active_time_intervals or [], "active_time_intervals")
    if route.parent_id is None:
        other_root = Route.objects.filter(parent__isnull=True).exclude(pk=route.pk).exists()
        if other_root:
            raise ConflictError(
                "There is already a root route; give this route a parent.", fields={"parent": ["Required."]}
            )
        if route.receiver_id is None:
            raise InvalidInputError("The root route needs a receiver.", fields={"receiver": ["Required."]})
    elif route.pk:
        ancestor = route.parent
        while ancestor is not None:
            if ancestor.pk == route.pk:
                raise InvalidInputError("A route cannot be its own ancestor.", fields={"parent": ["Creates a cycle."]})
            ancestor = ancestor.parent
    route.save()
    return route


def route_delete(*, route: Route) -> None:
    if route.parent_id is None:
        raise ConflictError("The root route cannot be deleted; edit it instead.")
    route.delete()


def inhibit_rule_save(*, rule: InhibitRule | None, data: dict[str, Any]) -> InhibitRule:
    rule = rule or InhibitRule()
    rule.source_matchers = _check_matchers(data.get("source_matchers", rule.source_matchers), "source_matchers")
    rule.target_matchers = _check_matchers(data.get("target_matchers", rule.target_matchers), "target_matchers")
    if not rule.source_matchers or not rule.target_matchers:
        raise InvalidInputError("Both source and target matchers are required.")
    equal = data.get("equal", rule.equal) or []
    if not isinstance(equal, list) or not all(isinstance(e, str) and valid_label_name(e) for e in equal):
        raise InvalidInputError("equal must be a list of label names.", fields={"equal": ["Invalid."]})
    rule.equal = equal
    rule.save()
    return rule


def inhibit_rule_delete(*, rule: InhibitRule) -> None:
    """Delete one inhibition rule. Nothing refers to a rule, so this always succeeds; the config-version
    signal makes intake reload its cached rules."""
    rule.delete()


def _routes_naming(name: str) -> list[Route]:
    """The routes whose mute or active time intervals name ``name``. Scanned in Python: JSON ``contains``
    is not portable across our database backends, and a routing tree is small."""
    routes = Route.objects.only("pk", "name", "parent_id", "mute_time_intervals", "active_time_intervals")
    return [
        r
        for r in routes.order_by("pk")
        if name in (r.mute_time_intervals or []) or name in (r.active_time_intervals or [])
    ]


def _in_use_error(name: str, routes: list[Route], doing: str) -> ConflictError:
    names = ", ".join(str(r) for r in routes)
    return ConflictError(
        f"Time interval {name!r} cannot be {doing}: route(s) {names} still name it in mute/active time "
        "intervals. Remove it from those routes first.",
        fields={"name": ["In use."]},
    )


def time_interval_save(*, interval: TimeInterval | None, name: str, entries: Any) -> TimeInterval:
    """Create or update a named interval. Every entry must parse (``timeintervals.validate``), names are
    unique, and an interval that routes name cannot be renamed (they would point at nothing)."""
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries) or not entries:
        raise InvalidInputError("A time interval is a non-empty list of entries.", fields={"entries": ["Invalid."]})
    for index, entry in enumerate(entries):
        try:
            timeintervals.validate(entry)
        except (timeintervals.IntervalError, TypeError, AttributeError) as exc:
            raise InvalidInputError(f"Entry {index}: {exc}", fields={f"entries[{index}]": [str(exc)]}) from None
    taken = TimeInterval.objects.filter(name=name)
    if interval is not None and interval.pk is not None:
        taken = taken.exclude(pk=interval.pk)
    if taken.exists():
        raise ConflictError(f"A time interval named {name!r} exists already.", fields={"name": ["Taken."]})
    if interval is not None and interval.pk and name != interval.name:
        users = _routes_naming(interval.name)
        if users:
            raise _in_use_error(interval.name, users, "renamed")
    interval = interval or TimeInterval()
    interval.name, interval.entries = name, entries
    interval.save()
    return interval


def time_interval_delete(*, interval: TimeInterval) -> None:
    """Delete a named interval. Refused with ``ConflictError`` while a route names it in
    ``mute_time_intervals`` or ``active_time_intervals``: ``route_save`` would no longer accept that route."""
    users = _routes_naming(interval.name)
    if users:
        raise _in_use_error(interval.name, users, "deleted")
    interval.delete()


ROUTE_KEYS = {"receiver", "group_by", "continue", "matchers", "match", "match_re", "group_wait", "group_interval"}
ROUTE_KEYS |= {"repeat_interval", "mute_time_intervals", "active_time_intervals", "routes"}


def config_import(*, text: str) -> dict[str, int]:
    """Replace the routing tree, inhibition rules and time intervals with those of an Alertmanager
    configuration (``route:``, ``inhibit_rules:``, ``time_intervals:``/``mute_time_intervals:``).

    Receivers are matched by name; names we do not know are created as ledger-only receivers (their
    PagerDuty keys or URLs are not in the routing config — fill them in on the Receivers page). All or
    nothing: any error leaves the current configuration untouched."""
    try:
        doc = yaml_load(text)
    except yaml.YAMLError as exc:
        raise UnprocessableError(f"Not valid YAML: {str(exc).splitlines()[0]}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("route"), dict):
        raise UnprocessableError("The configuration needs a top-level 'route:' mapping.")
    intervals = list(doc.get("time_intervals") or []) + list(doc.get("mute_time_intervals") or [])
    summary = {"routes": 0, "inhibit_rules": 0, "time_intervals": 0, "receivers_created": 0}
    with transaction.atomic():
        Route.objects.filter(parent__isnull=False).delete()
        Route.objects.all().delete()
        InhibitRule.objects.all().delete()
        TimeInterval.objects.all().delete()
        for item in intervals:
            if not isinstance(item, dict) or not isinstance(item.get("name"), str):
                raise UnprocessableError("Each time interval needs a name and time_intervals.")
            time_interval_save(interval=None, name=item["name"], entries=item.get("time_intervals") or [])
            summary["time_intervals"] += 1
        receivers: dict[str, Receiver] = {r.name: r for r in Receiver.objects.all()}

        def receiver_for(name: Any, where: str) -> Receiver | None:
            if name is None or name == "":  # Alertmanager: an empty receiver is inherited, as a missing one
                return None
            if not isinstance(name, str):
                raise UnprocessableError(f"{where}: receiver must be a name.")
            if name not in receivers:
                receivers[name] = Receiver.objects.create(name=name, kind=ReceiverKind.LEDGER)
                summary["receivers_created"] += 1
            return receivers[name]

        def build(node: Any, parent: Route | None, position: int, where: str) -> None:
            if not isinstance(node, dict):
                raise UnprocessableError(f"{where}: a route must be a mapping.")
            unknown = set(node) - ROUTE_KEYS
            if unknown:
                raise UnprocessableError(f"{where}: unknown key(s) {sorted(unknown)}.")
            try:
                matchers = [str(m) for m in node.get("matchers") or []]
                matchers += from_legacy(node.get("match"), node.get("match_re"))
                durations = {
                    k: _route_duration(node.get(k)) for k in ("group_wait", "group_interval", "repeat_interval")
                }
            except (ValueError, AttributeError) as exc:
                raise UnprocessableError(f"{where}: {exc}") from None
            data = {
                "parent": parent,
                "position": position,
                "name": "root" if parent is None else "",
                "matchers": matchers,
                "receiver": receiver_for(node.get("receiver"), where),
                "continue_matching": bool(node.get("continue", False)),
                "group_by": [str(g) for g in node["group_by"]] if node.get("group_by") is not None else None,
                "mute_time_intervals": list(node.get("mute_time_intervals") or []),
                "active_time_intervals": list(node.get("active_time_intervals") or []),
                **durations,
            }
            try:
                route = route_save(route=None, data=data)
            except InvalidInputError as exc:
                raise UnprocessableError(f"{where}: {exc.message}") from None
            summary["routes"] += 1
            for index, child in enumerate(node.get("routes") or []):
                build(child, route, index, f"{where}.routes[{index}]")

        build(doc["route"], None, 0, "route")
        for index, rule in enumerate(doc.get("inhibit_rules") or []):
            if not isinstance(rule, dict):
                raise UnprocessableError(f"inhibit_rules[{index}] must be a mapping.")
            data = {
                "source_matchers": [str(m) for m in rule.get("source_matchers") or []]
                + from_legacy(rule.get("source_match"), rule.get("source_match_re")),
                "target_matchers": [str(m) for m in rule.get("target_matchers") or []]
                + from_legacy(rule.get("target_match"), rule.get("target_match_re")),
                "equal": [str(e) for e in rule.get("equal") or []],
            }
            try:
                inhibit_rule_save(rule=None, data=data)
            except InvalidInputError as exc:
                raise UnprocessableError(f"inhibit_rules[{index}]: {exc.message}") from None
            summary["inhibit_rules"] += 1
    return summary
