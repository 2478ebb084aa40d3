"""Bounded YAML reading: what ``yaml.safe_load`` reads, minus alias bombs and self-referring anchors."""

from __future__ import annotations

import pytest
import yaml

from sre.yaml_input import MAX_DEPTH, YAMLTooDeep, YAMLTooLarge, yaml_load, yaml_load_all
from tests.support.payloads import alias_bomb, deep_yaml


@pytest.mark.parametrize(
    "text",
    [
        "route:\n  receiver: a\n  group_by: [alertname]\n",
        "base: &base {group_wait: 30s}\nroute:\n  <<: *base\n  receiver: a\n",  # merge keys still work
        "- weekdays: ['saturday', 'sunday']\n- times: [{start_time: '22:00', end_time: '24:00'}]\n",
        alias_bomb(3),  # a thousand values: fine
        "",
    ],
)
def test_reads_what_safe_load_reads(text):
    assert yaml_load(text) == yaml.safe_load(text)


def test_documents_are_read_as_safe_load_all_reads_them():
    text = "a: 1\n---\nb: [2, 3]\n"
    assert yaml_load_all(text) == list(yaml.safe_load_all(text))
    with pytest.raises(yaml.YAMLError, match="single document"):
        yaml_load(text)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (alias_bomb(9), "more than 100,000 values"),  # a billion values in 450 bytes
        ("a: &a [1, *a]\n", "contains it"),  # a list that holds itself
        ("a: &a {b: *a}\n", "contains it"),
    ],
)
def test_refuses_alias_bombs_and_loops(text, message):
    with pytest.raises(YAMLTooLarge, match=message):
        yaml_load(text)
    with pytest.raises(yaml.YAMLError):  # what callers catch already
        yaml_load_all(text)


def test_limit_counts_expanded_values():
    # The mapping, its 3 keys, and the lists as expanded: 11 + 111 + 1,111 values.
    assert yaml_load(alias_bomb(3), limit=1237)
    with pytest.raises(YAMLTooLarge):
        yaml_load(alias_bomb(3), limit=1236)


@pytest.mark.parametrize("style", sorted(deep_yaml()))
def test_refuses_deep_nesting_before_recursing(style):
    for levels in (MAX_DEPTH + 1, 500, 20_000):  # 500 was a RecursionError inside PyYAML's composer
        text = deep_yaml(levels)[style]
        with pytest.raises(YAMLTooDeep, match=f"more than {MAX_DEPTH} levels"):
            yaml_load(text)
        with pytest.raises(yaml.YAMLError):
            yaml_load_all("a: 1\n---\n" + text)
    shallow = deep_yaml(MAX_DEPTH)[style]
    assert yaml_load(shallow) == yaml.safe_load(shallow)
