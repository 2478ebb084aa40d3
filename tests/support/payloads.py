"""Hostile inputs shared by tests of different apps."""

from __future__ import annotations


def alias_bomb(levels: int) -> str:
    """YAML of ``levels`` lists ``a0``…, each naming the previous one ten times: 10**levels values in about 50 bytes
    a level (``*a{levels-1}`` names the largest)."""
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, levels)]
    return "\n".join(lines)


def deep_yaml(levels: int = 500) -> dict[str, str]:
    """YAML nested ``levels`` deep in each collection style (PyYAML composes nesting by recursion)."""
    return {
        "flow list": "[" * levels + "]" * levels,
        "flow mapping": "{a: " * levels + "1" + "}" * levels,
        "block mapping": "".join(f"{' ' * i}a:\n" for i in range(levels)) + " " * levels + "b",
        "block list": "- " * levels + "x",
    }
