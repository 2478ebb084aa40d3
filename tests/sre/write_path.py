"""The write-path check behind ``test_write_path.py``: parse view and viewset modules (``ast``) and name every
place where a view writes a model itself instead of calling the model's service.

One write path per model (STYLE.md, after Zulip's ``do_*`` functions): a service creates, changes and deletes
each model with side effects, so the timeline entry, the audit record, the status-page sync and the
re-evaluation happen whichever door the change came through. A view validates input, calls a service and
renders; it does not call ``.save()``, ``.delete()``, ``Model.objects.create()``/``get_or_create()``/
``update_or_create()``/``bulk_create()``/``bulk_update()`` or ``.update()`` on a queryset, and a DRF viewset
that creates, updates or destroys (``ModelViewSet``, ``CreateModelMixin``, ``UpdateModelMixin``,
``DestroyModelMixin``) overrides the matching ``perform_*`` seam (or the action itself) to call a service.

The check is syntactic: it cannot know the type of ``x`` in ``x.save()``, so every such call in a view module is
a finding unless its receiver is the view itself (``self``/``super()``: the view's own method, whose body is
checked too). Justified exceptions are listed, with their reason, in ``ALLOWED``.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# The project's apps (top-level packages); view modules of third-party packages (the Django admin, DRF,
# drf-spectacular) are theirs to keep.
APPS = (
    "alerts",
    "drills",
    "heartbeats",
    "incidents",
    "oncall",
    "releases",
    "rules",
    "slo",
    "sre",
    "statuspage",
    "telemetry",
)

# Calls that write whatever their receiver (a model instance, a queryset or a manager).
ALWAYS_WRITES = frozenset({"save", "delete", "get_or_create", "update_or_create", "bulk_create", "bulk_update"})
# ``.create(...)``/``.update(...)`` also name dict and serializer methods: a write when the receiver chain goes
# through a manager or a queryset (``Model.objects``, ``.filter(...)``, ``get_queryset()``, a related manager).
QUERYSET_WRITES = frozenset({"create", "update"})
QUERYSET_STEPS = frozenset(
    {
        "objects",
        "all",
        "filter",
        "exclude",
        "order_by",
        "select_related",
        "prefetch_related",
        "select_for_update",
        "get_queryset",
        "filter_queryset",
        "using",
        "annotate",
        "distinct",
    }
)

# DRF bases that write, and the ``perform_*`` seam each one needs (or the action it calls it from).
WRITING_BASES: dict[str, tuple[tuple[str, str], ...]] = {
    "ModelViewSet": (("perform_create", "create"), ("perform_update", "update"), ("perform_destroy", "destroy")),
    "CreateModelMixin": (("perform_create", "create"),),
    "UpdateModelMixin": (("perform_update", "update"),),
    "DestroyModelMixin": (("perform_destroy", "destroy"),),
    "CreateAPIView": (("perform_create", "post"),),
    "ListCreateAPIView": (("perform_create", "post"),),
    "UpdateAPIView": (("perform_update", "put"),),
    "DestroyAPIView": (("perform_destroy", "delete"),),
    "RetrieveUpdateDestroyAPIView": (("perform_update", "put"), ("perform_destroy", "delete")),
}

# Justified exceptions: (module path, enclosing function or class qualname, finding kind) -> why.
# Keep each one explained; a write that has side effects belongs in a service, not here. A stale entry (one that
# no longer matches a finding) fails ``test_the_allow_list_has_no_stale_entry``.
ALLOWED: dict[tuple[str, str, str], str] = {
    # A QR code (the ``qrcode`` library's SVG image) written into a BytesIO for the MFA set-up page: no model.
    ("sre/identity/views.py", "_qr_data_uri", "save"): "qrcode image written to a buffer, not a model",
    # mozilla-django-oidc's authentication backend lives beside the OIDC views; its ``create_user`` hook and the
    # account linking it runs inside the sign-in transaction write the user (a new SSO user, a changed email) and
    # its AccountSecurity row (the linked subject). Both models are audited by the model signals and nothing
    # else follows their change; the role, which does have side effects, goes through ``user_set_role``.
    ("sre/identity/oidc.py", "RoleMappingOIDCBackend.create_user", "save"): "SSO backend hook creating the user",
    ("sre/identity/oidc.py", "RoleMappingOIDCBackend._sync", "get_or_create"): "SSO account link (subject)",
    ("sre/identity/oidc.py", "RoleMappingOIDCBackend._sync", "save"): "SSO account link (subject, email)",
}


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    scope: str
    kind: str
    text: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line} in {self.scope}: {self.text}"


def view_modules(root: Path = ROOT) -> list[Path]:
    """Every view or viewset module of every app: ``views*.py``, ``views/*.py``, ``api/views*.py`` and any other
    module the URLconf routes to (``URL_MODULES``, kept in step by ``test_every_routed_module_is_checked``)."""
    found: set[Path] = set()
    for app in APPS:
        base = root / app
        for pattern in ("views*.py", "views/*.py", "*/views*.py", "*/views/*.py", "*/api/views*.py"):
            found.update(p for p in base.glob(pattern) if p.is_file())
        found.update(root / (name.replace(".", "/") + ".py") for name in URL_MODULES if name.split(".")[0] == app)
    return sorted(p for p in found if p.is_file())


# Routed modules whose name does not say "views" (from Django's URL resolver; see the test that keeps it true).
URL_MODULES = (
    "heartbeats.api.ping",
    "oncall.api.imports",
    "sre.identity.oidc",
    "statuspage.public_views",
)


def _chain(node: ast.expr) -> list[str]:
    """The attribute and call names of a receiver, outermost last: ``Model.objects.filter(x).first()`` ->
    ``["Model", "objects", "filter", "first"]``."""
    names: list[str] = []
    while True:
        if isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Attribute):
            names.append(node.attr)
            node = node.value
        elif isinstance(node, ast.Name):
            names.append(node.id)
            break
        elif isinstance(node, ast.Subscript):
            node = node.value
        else:
            break
    return list(reversed(names))


def _is_view_itself(node: ast.expr) -> bool:
    if isinstance(node, ast.Name) and node.id == "self":
        return True
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "super"


def _base_name(node: ast.expr) -> str:
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Subscript):
        return _base_name(node.value)
    return ""


class _Scanner(ast.NodeVisitor):
    def __init__(self, path: str, classes: dict[str, ast.ClassDef], querysets: set[str]) -> None:
        self.path = path
        self.classes = classes
        self.querysets = querysets
        self.scope: list[str] = []
        self.findings: list[Finding] = []

    def _add(self, node: ast.AST, kind: str, text: str) -> None:
        scope = ".".join(self.scope) or "<module>"
        self.findings.append(Finding(self.path, getattr(node, "lineno", 0), scope, kind, text))

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self.scope.append(node.name)
        self._check_viewset(node)
        self.generic_visit(node)
        self.scope.pop()

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self.scope.append(node.name)
        self.generic_visit(node)
        self.scope.pop()

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Attribute) and not _is_view_itself(func.value):
            chain = _chain(func.value)
            receiver = ".".join(chain) or "<expression>"
            through_queryset = bool(QUERYSET_STEPS.intersection(chain[1:])) or (
                len(chain) == 1 and chain[0] in self.querysets
            )
            # ``x.related.create(...)``: a manager (``Model.objects``, ``incident.timeline``) creating a row.
            through_manager = func.attr == "create" and len(chain) >= 2
            if func.attr in ALWAYS_WRITES or (func.attr in QUERYSET_WRITES and (through_queryset or through_manager)):
                self._add(node, func.attr, f"{receiver}.{func.attr}() writes in a view; call the model's service")
        self.generic_visit(node)

    def _methods(self, node: ast.ClassDef, seen: set[str]) -> tuple[set[str], set[str]]:
        """Methods the class defines (its own and those of project bases in the same module) and the names of
        the DRF bases it inherits."""
        methods = {n.name for n in node.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)}
        bases: set[str] = set()
        for base in node.bases:
            name = _base_name(base)
            if name in self.classes and name not in seen:
                seen.add(name)
                more, their_bases = self._methods(self.classes[name], seen)
                methods |= more
                bases |= their_bases
            else:
                bases.add(name)
        return methods, bases

    def _check_viewset(self, node: ast.ClassDef) -> None:
        methods, bases = self._methods(node, {node.name})
        for base in sorted(bases & WRITING_BASES.keys()):
            for seam, handler in WRITING_BASES[base]:
                if seam not in methods and handler not in methods:
                    self._add(
                        node,
                        seam,
                        f"{node.name} ({base}) saves through DRF's default {seam}; override it to call a service",
                    )


def _queryset_names(tree: ast.AST) -> set[str]:
    """Names bound anywhere in the module to a queryset chain (``qs = Model.objects.filter(...)``), so that
    ``qs.update(...)`` is seen as the queryset write it is."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
            chain = _chain(node.value)
            if QUERYSET_STEPS.intersection(chain[1:]):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                names.update(t.id for t in targets if isinstance(t, ast.Name))
    return names


def _imported_classes(tree: ast.AST, root: Path) -> dict[str, ast.ClassDef]:
    """Classes the module imports from the project (``from sre.api.views import Base``), so a viewset whose
    writing base or service mixin lives in another module is judged with it."""
    found: dict[str, ast.ClassDef] = {}
    for node in ast.walk(tree):
        if not isinstance(node, ast.ImportFrom) or not node.module or node.module.split(".")[0] not in APPS:
            continue
        base = root / node.module.replace(".", "/")
        path = base.with_suffix(".py") if base.with_suffix(".py").is_file() else base / "__init__.py"
        if not path.is_file():
            continue
        defined = {n.name: n for n in ast.walk(ast.parse(path.read_text())) if isinstance(n, ast.ClassDef)}
        for alias in node.names:
            if alias.name in defined:
                found[alias.asname or alias.name] = defined[alias.name]
    return found


def scan_source(source: str, path: str, root: Path | None = None) -> list[Finding]:
    """Findings in one module's source, before the allow-list (``root``: where imported project bases are read)."""
    tree = ast.parse(source, filename=path)
    classes = _imported_classes(tree, root) if root is not None else {}
    classes.update({n.name: n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)})
    scanner = _Scanner(path, classes, _queryset_names(tree))
    scanner.visit(tree)
    return scanner.findings


def allowed(finding: Finding) -> bool:
    return (finding.path, finding.scope, finding.kind) in ALLOWED


def scan(root: Path = ROOT, *, keep_allowed: bool = False) -> list[Finding]:
    """Findings in every view module of the project, after the allow-list (unless ``keep_allowed``)."""
    findings: list[Finding] = []
    for path in view_modules(root):
        relative = path.relative_to(root).as_posix()
        findings.extend(f for f in scan_source(path.read_text(), relative, root) if keep_allowed or not allowed(f))
    return findings
