"""One write path per model: no view or viewset writes a model itself (``tests/sre/write_path.py`` says what
counts and keeps the commented allow-list). Also shown: the check finds each kind of write it names."""

from __future__ import annotations

import textwrap

import pytest
from django.contrib import admin
from django.contrib.admin import ModelAdmin
from django.test import RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver

from incidents.models import Incident
from tests.sre import write_path
from tests.sre.write_path import ALLOWED, APPS, ROOT, scan, scan_source, view_modules


def test_no_view_or_viewset_writes_a_model_without_its_service() -> None:
    findings = scan()
    assert not findings, "Views that write models themselves (call the model's service instead):\n" + "\n".join(
        str(f) for f in findings
    )


def test_the_allow_list_has_no_stale_entry() -> None:
    found = {(f.path, f.scope, f.kind) for f in scan(keep_allowed=True)}
    stale = sorted(set(ALLOWED) - found)
    assert not stale, f"Allow-list entries that match nothing any more (remove them): {stale}"


def _routed_modules(patterns) -> set[str]:
    modules: set[str] = set()
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            modules |= _routed_modules(pattern.url_patterns)
        elif isinstance(pattern, URLPattern):
            callback = pattern.callback
            owner = getattr(callback, "cls", None) or getattr(callback, "view_class", None) or callback
            modules.add(owner.__module__)
    return modules


def test_every_routed_module_is_checked() -> None:
    """Every module the URLconf routes to (of our apps) is one the check reads, whatever its name."""
    checked = {p.relative_to(ROOT).with_suffix("").as_posix().replace("/", ".") for p in view_modules()}
    routed = {m for m in _routed_modules(get_resolver().url_patterns) if m.split(".")[0] in APPS}
    assert routed - checked == set(), "add these to write_path.URL_MODULES"
    assert len(checked) >= 40


def _scan(source: str) -> list[tuple[int, str, str]]:
    return [(f.line, f.scope, f.kind) for f in scan_source(textwrap.dedent(source), "app/views.py")]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (
            """
            class MaintenanceView(View):
                def post(self, request):
                    MaintenanceWindow.objects.filter(pk=1).delete()
            """,
            [(4, "MaintenanceView.post", "delete")],
        ),
        ("def f(request, obj):\n    obj.save()\n", [(2, "f", "save")]),
        ("def f(request, form):\n    form.save()\n", [(2, "f", "save")]),
        ("def f(request):\n    Incident.objects.create(title='x')\n", [(2, "f", "create")]),
        ("def f(request, incident):\n    incident.timeline.create(kind='note')\n", [(2, "f", "create")]),
        ("def f(request):\n    Silence.objects.get_or_create(pk=1)\n", [(2, "f", "get_or_create")]),
        ("def f(request):\n    Route.objects.update_or_create(pk=1)\n", [(2, "f", "update_or_create")]),
        ("def f(request, rows):\n    Receiver.objects.bulk_create(rows)\n", [(2, "f", "bulk_create")]),
        ("def f(request):\n    Component.objects.filter(pk=1).update(name='x')\n", [(2, "f", "update")]),
        ("def f(request):\n    qs = Slo.objects.all()\n    qs.update(name='x')\n", [(3, "f", "update")]),
        ("def f(self):\n    self.get_queryset().update(x=1)\n", [(2, "f", "update")]),
    ],
)
def test_the_check_finds_each_kind_of_write(source, expected) -> None:
    assert _scan(source) == expected


@pytest.mark.parametrize(
    "source",
    [
        "def f(request, context):\n    context.update(a=1)\n",  # a dict
        "def f(request):\n    names = set()\n    names.update([1])\n",
        "class V(View):\n    def post(self, request):\n        return self.save(request)\n",  # the view's own method
        "class V(View):\n    def delete(self, request):\n        return super().delete(request)\n",
        "def f(request):\n    incident_delete(incident_id=1, actor='a', now=None)\n",  # a service
    ],
)
def test_the_check_leaves_alone_what_does_not_write(source) -> None:
    assert _scan(source) == []


def test_a_model_viewset_without_its_service_seams_is_found() -> None:
    source = """
        class IncidentViewSet(viewsets.ModelViewSet):
            queryset = Incident.objects.all()

            def perform_create(self, serializer):
                serializer.instance = incident_create(**serializer.validated_data)


        class LayerViewSet(mixins.ListModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
            pass
    """
    assert _scan(source) == [
        (2, "IncidentViewSet", "perform_update"),
        (2, "IncidentViewSet", "perform_destroy"),
        (9, "LayerViewSet", "perform_destroy"),
    ]


def test_a_viewset_with_a_service_mixin_or_its_own_action_passes() -> None:
    source = """
        class _ServiceSaveMixin:
            def perform_create(self, serializer):
                serializer.instance = self.save_with(None, serializer.validated_data)

            def perform_update(self, serializer):
                serializer.instance = self.save_with(serializer.instance, serializer.validated_data)


        class RouteViewSet(_ServiceSaveMixin, viewsets.ModelViewSet):
            def perform_destroy(self, instance):
                route_delete(route=instance)


        class SilenceViewSet(viewsets.ModelViewSet):
            def create(self, request):
                return silence_create(request.data)

            def update(self, request, pk=None):
                return silence_update(request.data)

            def destroy(self, request, pk=None):
                return silence_expire(pk)
    """
    assert _scan(source) == []


def test_a_service_mixin_imported_from_another_module_counts(tmp_path) -> None:
    package = tmp_path / "sre" / "api"
    package.mkdir(parents=True)
    (package / "mixins.py").write_text(
        "class ServiceDestroy:\n    def perform_destroy(self, instance):\n        thing_delete(thing=instance)\n"
    )
    source = (
        "from sre.api.mixins import ServiceDestroy\n\n"
        "class ThingViewSet(ServiceDestroy, mixins.DestroyModelMixin, viewsets.GenericViewSet):\n    pass\n"
    )
    assert scan_source(source, "app/api/views.py", tmp_path) == []
    assert [f.kind for f in scan_source(source, "app/api/views.py")] == ["perform_destroy"]


def test_the_whole_tree_check_fails_on_a_view_that_deletes(tmp_path, monkeypatch) -> None:
    """End to end on a tree with one bad view: the finding names file and line."""
    app = tmp_path / "alerts"
    app.mkdir()
    (app / "views_bad.py").write_text(
        "def delete_window(request, pk):\n    MaintenanceWindow.objects.filter(pk=pk).delete()\n"
    )
    monkeypatch.setattr(write_path, "URL_MODULES", ())
    [finding] = scan(tmp_path)
    assert str(finding).startswith("alerts/views_bad.py:2 in delete_window: MaintenanceWindow.objects.filter.delete()")


# The Django admin is a write path too: it saves with Model.save() and deletes with QuerySet.delete(). For the
# apps whose models have side effects, an admin either cannot write (``sre.admin_readonly.ReadOnlyAdmin``) or
# routes the write to the service (``save_model``/``delete_model``/``delete_queryset``). Left out: telemetry's
# ingest data (deleting rows by hand has no effect beyond them) and sre's users, groups, tokens and worker
# heartbeats (Django's own account management, audited by the model signals).
SERVICE_APPS = ("alerts", "drills", "heartbeats", "incidents", "oncall", "releases", "rules", "slo", "statuspage")
SEAMS = {"add": ("save_model",), "change": ("save_model",), "delete": ("delete_model", "delete_queryset")}


class _Superuser:
    is_active = is_staff = is_superuser = is_authenticated = True
    pk = 1

    def has_perm(self, *args: object, **kwargs: object) -> bool:
        return True

    def has_module_perms(self, *args: object) -> bool:
        return True


def admin_writes(registry) -> list[str]:
    """Admins of SERVICE_APPS models that can write without a service seam, as ``label: permission``."""
    request = RequestFactory().get("/admin/")
    request.user = _Superuser()
    found = []
    for model, model_admin in registry.items():
        if model._meta.app_label not in SERVICE_APPS:
            continue
        for permission, seams in SEAMS.items():
            if not getattr(model_admin, f"has_{permission}_permission")(request):
                continue
            if any(getattr(type(model_admin), seam) is getattr(ModelAdmin, seam) for seam in seams):
                found.append(f"{model._meta.label}: {type(model_admin).__name__} may {permission}")
    return sorted(found)


def test_no_admin_writes_a_model_without_its_service() -> None:
    found = admin_writes(admin.site._registry)
    assert not found, "Admins that write without the service (use sre.admin_readonly.ReadOnlyAdmin):\n" + "\n".join(
        found
    )


def test_the_admin_check_finds_an_admin_that_can_delete() -> None:
    class DeletingAdmin(ModelAdmin):
        def has_add_permission(self, request, obj=None) -> bool:
            return False

        def has_change_permission(self, request, obj=None) -> bool:
            return False

    assert admin_writes({Incident: DeletingAdmin(Incident, admin.site)}) == [
        "incidents.Incident: DeletingAdmin may delete"
    ]


@pytest.mark.django_db
def test_read_only_admins_still_list_their_rows(admin_client) -> None:
    models = sorted(m._meta.label_lower for m in admin.site._registry if m._meta.app_label in SERVICE_APPS)
    assert len(models) >= 15
    for label in models:
        response = admin_client.get(f"/admin/{label.replace('.', '/')}/")
        assert response.status_code == 200, label
        assert b" to view | " in response.content, label  # Django's title when the admin cannot change rows
