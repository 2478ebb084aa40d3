"""The Alertmanager routing tree: inheritance, matching with ``continue``, and group keys."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from alerts.domain.matchers import Matcher, matches_all

DEFAULT_GROUP_WAIT = 30
DEFAULT_GROUP_INTERVAL = 300
DEFAULT_REPEAT_INTERVAL = 4 * 3600


@dataclass(frozen=True)
class RouteSpec:
    """A route as configured: ``None`` means "inherit from the parent"."""

    id: int
    matchers: tuple[Matcher, ...] = ()
    receiver: str | None = None
    group_by: tuple[str, ...] | None = None
    continue_: bool = False
    group_wait: int | None = None
    group_interval: int | None = None
    repeat_interval: int | None = None
    mute_time_intervals: tuple[str, ...] = ()
    active_time_intervals: tuple[str, ...] = ()
    children: tuple[RouteSpec, ...] = ()
    name: str = ""


@dataclass(frozen=True)
class Route:
    """A route with every inherited value filled in (what matching and grouping use)."""

    id: int
    path: tuple[int, ...]
    matchers: tuple[Matcher, ...]
    receiver: str
    group_by: tuple[str, ...]
    group_by_all: bool
    continue_: bool
    group_wait: int
    group_interval: int
    repeat_interval: int
    mute_time_intervals: tuple[str, ...]
    active_time_intervals: tuple[str, ...]
    children: tuple[Route, ...] = field(default=())
    name: str = ""

    def group_labels(self, labels: Mapping[str, str]) -> dict[str, str]:
        """The labels that identify this alert's group on this route (``...`` = every label)."""
        if self.group_by_all:
            return dict(sorted(labels.items()))
        return {name: labels[name] for name in self.group_by if name in labels}

    def group_key(self, labels: Mapping[str, str]) -> str:
        """Stable key of (route, group labels); the same alerts always land in the same group."""
        canonical = json.dumps([list(self.path), sorted(self.group_labels(labels).items())], separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()[:32]


def resolve(spec: RouteSpec, *, parent: Route | None = None, path: tuple[int, ...] = ()) -> Route:
    """Fill in inherited values top-down. The root must name a receiver; its matchers are ignored."""
    if parent is None and not spec.receiver:
        raise ValueError("the root route needs a receiver")
    group_by, group_by_all = _group_by(spec.group_by, parent)
    own_path = (*path, spec.id)
    route = Route(
        id=spec.id,
        path=own_path,
        matchers=spec.matchers if parent is not None else (),
        receiver=spec.receiver or (parent.receiver if parent else ""),
        group_by=group_by,
        group_by_all=group_by_all,
        continue_=spec.continue_ if parent is not None else False,
        group_wait=_pick(spec.group_wait, parent.group_wait if parent else None, DEFAULT_GROUP_WAIT),
        group_interval=_pick(spec.group_interval, parent.group_interval if parent else None, DEFAULT_GROUP_INTERVAL),
        repeat_interval=_pick(
            spec.repeat_interval, parent.repeat_interval if parent else None, DEFAULT_REPEAT_INTERVAL
        ),
        # Time intervals are not inherited in Alertmanager: each route lists its own.
        mute_time_intervals=spec.mute_time_intervals,
        active_time_intervals=spec.active_time_intervals,
        name=spec.name,
    )
    children = tuple(resolve(child, parent=route, path=own_path) for child in spec.children)
    return Route(**{**route.__dict__, "children": children})


def _group_by(own: tuple[str, ...] | None, parent: Route | None) -> tuple[tuple[str, ...], bool]:
    """(labels, every label?) as Alertmanager's ``NewRoute``: a list naming labels replaces the parent's (and
    turns ``...`` off); ``[...]`` turns it on and keeps the parent's names; ``None`` and ``[]`` inherit both
    (Alertmanager has no way to say "no grouping" under a grouped parent). ``...`` beside names, which
    Alertmanager refuses, means every label here."""
    inherited = (parent.group_by, parent.group_by_all) if parent else ((), False)
    names = tuple(name for name in own or () if name != "...")
    every = "..." in (own or ())
    if names:
        return names, every
    if every:
        return inherited[0], True
    return inherited


def _pick(own: int | None, inherited: int | bool | None, default: int) -> int:
    if own is not None:
        return own
    if isinstance(inherited, int) and not isinstance(inherited, bool):
        return inherited
    return default


def match(route: Route, labels: Mapping[str, str]) -> list[Route]:
    """Alertmanager's ``Route.Match``: depth first; the first matching child wins unless it has ``continue``;
    a route none of whose children match is itself the match. The root always matches."""
    if not matches_all(route.matchers, labels):
        return []
    found: list[Route] = []
    for child in route.children:
        matched = match(child, labels)
        found.extend(matched)
        if matched and not child.continue_:
            break
    return found or [route]


def walk(route: Route, depth: int = 0) -> Iterator[tuple[Route, int]]:
    """Every route of the tree with its depth, parents first."""
    yield route, depth
    for child in route.children:
        yield from walk(child, depth + 1)
