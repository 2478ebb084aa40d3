"""Imports at the top of the module, so a reader sees what a file depends on (STYLE.md). An import inside a function
only breaks a real import cycle (``# cycle: <a> imports <b>``), waits for the app registry in ``AppConfig.ready``,
or keeps an optional SDK unloaded until it is configured (``# lazy: <reason>``). The scan reads the app packages'
source (``ast``, no import; migrations aside) and fails when there are more in-function imports than the ceiling,
listing them, so the count only goes down. Lower the ceiling when you remove one. Not counted: imports of the
optional SDKs (``OPTIONAL_SDKS``: a process without their URL never loads them) and those in ``apps.py`` (Django
imports it before any model can be, so its receivers load what they need when they run).

The app dependency graph itself is checked by import-linter (``make lint``, contracts in pyproject.toml)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APPS = ("sre", "telemetry", "slo", "alerts", "incidents", "statuspage", "drills", "oncall", "rules", "heartbeats",
        "releases")  # fmt: skip
OPTIONAL_SDKS = ("sentry_sdk", "opentelemetry", "elasticsearch")
# 197 in-function imports when this test was written (190 outside apps.py, none of an optional SDK); each one left
# breaks a cycle (its comment names it) or loads a backend chosen by settings.
CEILING = 23


def _optional(node: ast.Import | ast.ImportFrom) -> bool:
    names = [node.module or ""] if isinstance(node, ast.ImportFrom) else [alias.name for alias in node.names]
    return all(name.split(".")[0] in OPTIONAL_SDKS for name in names)


def in_function_imports(source: str) -> list[tuple[int, str]]:
    """(line, statement) of every import statement inside a function body, at any depth, but those of an optional
    SDK."""
    found: list[tuple[int, str]] = []

    def walk(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if in_function and isinstance(child, ast.Import | ast.ImportFrom) and not _optional(child):
                found.append((child.lineno, ast.unparse(child)))
            walk(child, in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef))

    walk(ast.parse(source), False)
    return found


def app_in_function_imports() -> list[str]:
    return [
        f"{path.relative_to(ROOT)}:{line}: {statement}"
        for app in APPS
        for path in sorted((ROOT / app).rglob("*.py"))
        if "migrations" not in path.parts and path.name != "apps.py"
        for line, statement in in_function_imports(path.read_text())
    ]


def test_in_function_imports_stay_under_the_ceiling():
    found = app_in_function_imports()
    assert len(found) <= CEILING, (
        f"{len(found)} in-function imports in app code, ceiling {CEILING}: move new ones to the top of the module "
        "unless a cycle needs them (then say '# cycle: <a> imports <b>')\n" + "\n".join(found)
    )


def test_the_scan_finds_nested_imports_and_ignores_module_level_ones():
    source = (
        "import os\n"
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from x import Y\n"
        "def f():\n"
        "    from a import b\n"
        "    def g():\n"
        "        import c\n"
        "class K:\n"
        "    import d\n"
        "    async def h(self):\n"
        "        import e\n"
        "        import sentry_sdk\n"
        "        from opentelemetry.trace import SpanKind\n"
    )
    assert in_function_imports(source) == [(6, "from a import b"), (8, "import c"), (12, "import e")]
