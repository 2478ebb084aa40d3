"""YAML that users paste or post (Alertmanager configuration, time intervals, OpenSLO), read safely and bounded.

``yaml.safe_load`` builds no objects, but it does expand aliases: 450 bytes of nested anchors (each list naming
the previous one ten times) stand for a billion values, and whatever walks or stores the result (matchers turned
into strings, a JSON column) hangs the worker. An anchor may also name its own ancestor, which no JSON can hold.
These readers compose the document first, count its values as aliases would expand them, and refuse one past
``MAX_VALUES`` or with a loop, with a ``yaml.YAMLError`` that callers already turn into a 4xx.

PyYAML composes nested collections by recursion (about three frames a level), so ``[`` × 500 was a
RecursionError (a 500). Collections are refused past ``MAX_DEPTH`` levels while composing, before the
recursion gets deep; every later walk of the result (``_expanded_size``, callers) is bounded by the same depth.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import yaml

MAX_VALUES = 100_000  # an Alertmanager configuration of a large organisation has a few thousand
MAX_DEPTH = 64  # real configurations nest a dozen levels (routes in routes); 64 leaves room, far from recursion


class YAMLTooLarge(yaml.YAMLError):
    """The document expands (through aliases) past ``MAX_VALUES`` values, or an alias names its own ancestor."""


class YAMLTooDeep(yaml.YAMLError):
    """Collections (lists, mappings) nest more than ``MAX_DEPTH`` levels deep."""


class _BoundedLoader(yaml.SafeLoader):
    """``SafeLoader`` that refuses nesting past ``max_depth`` while composing (the composer recurses)."""

    def __init__(self, stream: str, *, max_depth: int) -> None:
        super().__init__(stream)
        self.max_depth = max_depth
        self.depth = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node:
        if not self.check_event(yaml.SequenceStartEvent, yaml.MappingStartEvent):
            return super().compose_node(parent, index)
        self.depth += 1
        try:
            if self.depth > self.max_depth:
                raise YAMLTooDeep(f"collections are nested more than {self.max_depth} levels deep")
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def _expanded_size(node: yaml.Node, sizes: dict[int, int], open_nodes: set[int], limit: int) -> int:
    key = id(node)
    if key in sizes:
        return sizes[key]
    if key in open_nodes:
        raise YAMLTooLarge("an alias refers to a value that contains it")
    open_nodes.add(key)
    size = 1
    if isinstance(node, yaml.SequenceNode):
        children = node.value
    elif isinstance(node, yaml.MappingNode):
        children = [part for pair in node.value for part in pair]
    else:
        children = []
    for child in children:
        size += _expanded_size(child, sizes, open_nodes, limit)
        if size > limit:
            raise YAMLTooLarge(f"the document holds more than {limit:,} values once its aliases are expanded")
    open_nodes.discard(key)
    sizes[key] = size
    return size


def _documents(text: str, limit: int) -> Iterator[Any]:
    loader = _BoundedLoader(text, max_depth=MAX_DEPTH)
    try:
        while loader.check_node():
            node = loader.get_node()
            _expanded_size(node, {}, set(), limit)
            yield loader.construct_document(node)
    finally:
        loader.dispose()


def yaml_load(text: str, *, limit: int = MAX_VALUES) -> Any:
    """``yaml.safe_load`` of one document (None when empty), refused past ``limit`` expanded values."""
    documents = list(_documents(text, limit))
    if len(documents) > 1:
        raise yaml.YAMLError("expected a single document, found several")
    return documents[0] if documents else None


def yaml_load_all(text: str, *, limit: int = MAX_VALUES) -> list[Any]:
    """``yaml.safe_load_all``, each document refused past ``limit`` expanded values."""
    return list(_documents(text, limit))
