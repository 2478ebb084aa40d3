"""Reads live in selectors (STYLE.md: "selectors fetch, domain computes, services persist"; a "calculation" module
that quietly runs a query is the trap to avoid). The modules that present or compute — charts, insights, the
incident pages' plumbing, the public feed, Overview panels, exports, budget impact — template tags and the HTML
views get their rows from ``<app>/selectors.py`` (or a ``selectors/`` package) and run no query themselves. This
scan reads their source (``ast``, no import) and fails with the line of any ORM query or raw cursor it finds.

A view may still load the one object its URL names with ``get_object_or_404(Model, pk=pk)`` (Django's idiom, not
matched). DRF viewsets (``api/views.py``) are not scanned: their ``queryset`` attribute is the declared read, as
STYLE.md's viewsets are queryset + serializer + filterset."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APPS = ("sre", "telemetry", "slo", "alerts", "incidents", "statuspage", "drills", "oncall", "rules", "heartbeats",
        "releases")  # fmt: skip

# Module names (the file's stem) that must not query, besides template tags and HTML views.
COMPUTE_MODULES = frozenset({"charts", "insights", "pages", "public", "overview", "exports", "budget"})

# What only a query does: a model's manager (``Model.objects``), a raw cursor, and QuerySet methods, also on a
# related manager (``person.oncall_teams.order_by``). ``filter`` and ``count`` are here too: no module scanned calls
# them on anything but a QuerySet (the builtin ``filter`` is a name, not an attribute, and is not matched); a
# ``list.count`` or ``str.count`` that ever is goes in ALLOWED with that reason. Writes (``save``, ``delete``,
# ``update``) are tests/sre/test_write_path.py's.
MANAGER = "objects"
CURSOR = "cursor"
QUERYSET_METHODS = frozenset(
    {"select_related", "prefetch_related", "values_list", "aggregate", "annotate", "raw", "extra", "filter",
     "exclude", "only", "defer", "select_for_update", "in_bulk", "iterator", "order_by", "distinct", "exists",
     "count", "first", "last", "latest", "earliest", "get_or_create", "update_or_create"}
)  # fmt: skip

# Functions allowed to query, each with its reason ("path:function" -> why). Add one only when a read cannot move.
ALLOWED: dict[str, str] = {
    # The export streams a django-filter FilterSet over sre.audit.selectors.audit_list in pk order; the FilterSet is
    # the read (the same one the audit page and API filter with), the view only asks for it in chunks.
    "sre/audit/views.py:get": "FilterSet over audit_list, streamed",
}


def app_modules() -> list[Path]:
    return sorted(p for app in APPS for p in (ROOT / app).rglob("*.py") if "migrations" not in p.parts)


def is_html_view(path: Path) -> bool:
    """``views.py``, ``views_*.py`` and ``*_views.py`` outside ``api/`` (DRF viewsets)."""
    stem = path.stem
    return "api" not in path.parts and (stem == "views" or stem.startswith("views_") or stem.endswith("_views"))


def compute_modules(paths: list[Path]) -> list[Path]:
    return [p for p in paths if p.stem in COMPUTE_MODULES or p.parent.name == "templatetags" or is_html_view(p)]


def _is_connection(node: ast.expr) -> bool:
    """``connection`` or ``connections[...]`` (``django.db``), the receivers of ``.cursor()``."""
    if isinstance(node, ast.Subscript):
        node = node.value
    if isinstance(node, ast.Attribute):  # db.connection
        return node.attr in ("connection", "connections")
    return isinstance(node, ast.Name) and node.id in ("connection", "connections")


def _is_template_library(node: ast.expr) -> bool:
    """``register.filter(...)``: a template library registering a filter, not a QuerySet."""
    return isinstance(node, ast.Name) and node.id == "register"


class _Finder(ast.NodeVisitor):
    def __init__(self) -> None:
        self.found: list[tuple[int, str, str]] = []  # (line, function, what)
        self.function = "<module>"

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        outer, self.function = self.function, node.name
        self.generic_visit(node)
        self.function = outer

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if node.attr == MANAGER:
            self.found.append((node.lineno, self.function, f".{MANAGER}"))
        elif node.attr == CURSOR and _is_connection(node.value):
            self.found.append((node.lineno, self.function, "connection.cursor"))
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in QUERYSET_METHODS and not _is_template_library(func.value):
            self.found.append((node.lineno, self.function, f".{func.attr}()"))
        self.generic_visit(node)


def findings(paths: list[Path]) -> list[tuple[str, int, str, str]]:
    """``(path, line, function, what)`` of every query in these modules."""
    out = []
    for path in paths:
        name = str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)
        finder = _Finder()
        finder.visit(ast.parse(path.read_text(encoding="utf-8"), filename=name))
        out += [(name, line, function, what) for line, function, what in finder.found]
    return out


def queries_in(paths: list[Path], *, allowed: dict[str, str]) -> list[str]:
    """``path:line in function: what`` for every query found outside ``allowed``."""
    return [f"{n}:{line} in {f}: {what}" for n, line, f, what in findings(paths) if f"{n}:{f}" not in allowed]


def test_the_scanned_modules_exist() -> None:
    names = {str(p.relative_to(ROOT)) for p in compute_modules(app_modules())}
    named = {"incidents/insights.py", "incidents/public.py", "incidents/pages.py", "incidents/budget.py"}
    assert (
        named | {"slo/charts.py", "incidents/exports.py", "alerts/views_config.py", "statuspage/public_views.py"}
        <= names
    )
    assert "alerts/api/views.py" not in names
    assert any("/templatetags/" in n for n in names) and any(n.endswith("/overview.py") for n in names)


def test_compute_modules_and_template_tags_run_no_query() -> None:
    assert queries_in(compute_modules(app_modules()), allowed=ALLOWED) == []


def test_every_allowed_entry_is_still_needed() -> None:
    found = {f"{name}:{function}" for name, _, function, _ in findings(compute_modules(app_modules()))}
    assert set(ALLOWED) - found == set()


def selector_imports(paths: list[Path]) -> list[str]:
    """``path:line: module`` of every import of a selectors module (``x.selectors`` or ``x.selectors.y``)."""
    out = []
    for path in paths:
        name = str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=name)):
            modules = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module:
                modules = [node.module]
            out += [f"{name}:{node.lineno}: {m}" for m in modules if "selectors" in m.split(".")]
    return out


def test_template_tags_take_their_rows_from_the_view() -> None:
    """A tag that calls a selector is a query the view cannot see, bound or cache (the alert group page's incident
    and on-call cards did this); the view reads and puts the rows in the context."""
    tags = [p for p in app_modules() if p.parent.name == "templatetags"]
    assert tags and selector_imports(tags) == []


def test_the_scan_finds_each_kind_of_query(tmp_path: Path) -> None:
    module = tmp_path / "charts.py"
    module.write_text(
        "from django.db import connection, connections\n"
        "def manager():\n"
        "    return SLO.objects.all()\n"
        "def cursor():\n"
        "    with connection.cursor() as c:\n"
        "        c.execute('select 1')\n"
        "def other_cursor():\n"
        "    return connections['default'].cursor()\n"
        "def related(group):\n"
        "    return group.notifications.select_related('receiver')\n"
        "def computed(rows):\n"
        "    return sorted(filter(None, rows))\n"
    )
    others = [tmp_path / "views_people.py", tmp_path / "public_views.py", tmp_path / "api" / "views.py"]
    assert compute_modules([module, tmp_path / "services.py", *others]) == [module, *others[:2]]
    assert queries_in([module], allowed={}) == [
        f"{module}:3 in manager: .objects",
        f"{module}:5 in cursor: connection.cursor",
        f"{module}:8 in other_cursor: connection.cursor",
        f"{module}:10 in related: .select_related()",
    ]
    assert queries_in([module], allowed={f"{module}:manager": "why", f"{module}:cursor": "why"}) == [
        f"{module}:8 in other_cursor: connection.cursor",
        f"{module}:10 in related: .select_related()",
    ]


def test_the_tag_check_finds_selector_imports(tmp_path: Path) -> None:
    tag = tmp_path / "tags.py"
    tag.write_text(
        "from incidents.selectors import incidents_for_group\n"
        "import oncall.selectors.timeline\n"
        "from sre.domain.timewords import ago_words\n"
        "def card(group_id):\n"
        "    from oncall.selectors import group_escalations\n"
    )
    assert selector_imports([tag]) == [
        f"{tag}:1: incidents.selectors",
        f"{tag}:2: oncall.selectors.timeline",
        f"{tag}:5: oncall.selectors",
    ]
