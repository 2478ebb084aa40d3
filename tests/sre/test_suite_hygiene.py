"""The suite keeps itself honest: every test function asserts something that could fail, and no test waits on the
wall clock (a literal sleep of half a second or more) where it should move a clock or poll for a condition.
Read from the source with ast, so it needs no database and runs in a second."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]

# Test functions allowed to assert nothing, each with the reason. Keep this list short.
NO_ASSERTION_ALLOWED = {
    ("sre/test_browser_pages.py", "test_report"): "writes the crawl's findings to $PAGES_REPORT for people; the checks "
    "on the same crawl are the other tests of the module",
    ("sre/test_role_matrix.py", "test_discover"): "a maintainer's tool (skipped unless ROLE_MATRIX_DISCOVER is set) "
    "that writes the observed role table",
}

# Functions allowed to sleep 0.5 s or more, with the reason: poll helpers that wait for a condition between checks.
SLEEP_ALLOWED: dict[tuple[str, str], str] = {}

SLEEP_LIMIT_SECONDS = 0.5


def _modules() -> list[tuple[str, ast.Module]]:
    return [
        (path.relative_to(TESTS).as_posix(), ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
        for path in sorted(TESTS.rglob("*.py"))
    ]


def _call_name(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


def _asserts(function: ast.AST) -> bool:
    """An ``assert``, ``pytest.raises``/``warns``/``fail``, or a call of a helper named ``assert*`` / ``check_*`` (or
    pytest-django's ``django_assert_*``), anywhere in the function."""
    for node in ast.walk(function):
        if isinstance(node, ast.Assert):
            return True
        if isinstance(node, ast.Call):
            name = _call_name(node)
            if name in ("raises", "warns", "fail") or name.startswith(("assert", "check_", "django_assert_")):
                return True
    return False


def _functions(module: ast.Module):
    for node in ast.walk(module):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield node


def _literal_seconds(call: ast.Call) -> float | None:
    """The literal wait of ``time.sleep(x)`` / ``asyncio.sleep(x)`` in seconds, of ``page.wait_for_timeout(ms)`` too."""
    name = _call_name(call)
    if name not in ("sleep", "wait_for_timeout") or not call.args:
        return None
    arg = call.args[0]
    if not isinstance(arg, ast.Constant) or not isinstance(arg.value, int | float):
        return None
    return arg.value / 1000 if name == "wait_for_timeout" else float(arg.value)


def test_every_test_function_asserts_something() -> None:
    found = {
        (path, function.name)
        for path, module in _modules()
        if Path(path).name.startswith("test_")
        for function in _functions(module)
        if function.name.startswith("test_") and not _asserts(function)
    }
    missing = sorted(found - set(NO_ASSERTION_ALLOWED))
    assert not missing, (
        "Test functions with no assertion (assert, pytest.raises, or an assert_*/check_* helper): "
        f"{[f'{path}::{name}' for path, name in missing]}"
    )
    stale = sorted(set(NO_ASSERTION_ALLOWED) - found)
    assert not stale, f"NO_ASSERTION_ALLOWED names tests that assert now or no longer exist: {stale}"


def test_no_test_sleeps_half_a_second_or_more() -> None:
    waits: dict[tuple[str, int], tuple[str, float]] = {}  # (path, line) -> (innermost function, seconds)
    for path, module in _modules():
        for function in _functions(module):  # outer functions come first, so a nested one overwrites
            for node in ast.walk(function):
                if isinstance(node, ast.Call) and (seconds := _literal_seconds(node)) is not None:
                    waits[(path, node.lineno)] = (function.name, seconds)
    found = [
        f"{path}:{line} in {name}() waits {seconds:g} s"
        for (path, line), (name, seconds) in sorted(waits.items())
        if seconds >= SLEEP_LIMIT_SECONDS and (path, name) not in SLEEP_ALLOWED
    ]
    assert not found, (
        "Literal waits of 0.5 s or more: move a clock instead (an injected now/clock, Playwright's page.clock) or "
        f"poll for the condition (tests.support.servers.wait_for): {found}"
    )


def test_the_checks_see_what_they_look_for() -> None:
    """The two checks above are not vacuous: they flag a test without an assertion and a 1 s sleep."""
    module = ast.parse(
        "def test_a():\n    client.get('/')\n"
        "def test_b():\n    assert 1\n"
        "def test_c():\n    assert_ok()\n"
        "def test_d():\n    with pytest.raises(ValueError):\n        f()\n"
        "def test_e():\n    time.sleep(1)\n    page.wait_for_timeout(300)\n    time.sleep(0.1)\n    assert x\n"
    )
    functions = {function.name: function for function in _functions(module)}
    assert [name for name, function in functions.items() if not _asserts(function)] == ["test_a"]
    waits = [_literal_seconds(node) for node in ast.walk(functions["test_e"]) if isinstance(node, ast.Call)]
    assert [w for w in waits if w is not None] == [1.0, 0.3, 0.1]
