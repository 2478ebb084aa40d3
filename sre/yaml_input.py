"""YAML that users paste or post (Alertmanager configuration, time intervals, OpenSLO), read safely and bounded.

``yaml.safe_load`` builds no objects, but it does expand aliases: 450 bytes of nested anchors (each list naming
the previous one ten times) stand for a billion values, and whatever walks or stores the result (matchers turned
into strings, a JSON column) hangs the worker. An anchor may also name its own ancestor, which no JSON can hold.
These readers compose the document first, count its values as aliases would expand them, and refuse one past
``MAX_VALUES`` or with a loop, with a ``yaml.YAMLError`` that callers already turn into a 4xx.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import yaml

MAX_VALUES = 100_000  # an Alertmanager configuration of a large organisation has a few thousand


class YAMLTooLarge(yaml.YAMLError):
    """The document expands (through aliases) past ``MAX_VALUES`` values, or an alias names its own ancestor."""


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
    loader = yaml.SafeLoader(text)
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
