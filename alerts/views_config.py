"""HTML configuration pages: the routing tree (with tester and YAML import), receivers, maintenance."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views import View

from alerts.domain import routing
from alerts.forms import ImportForm, MaintenanceWindowForm, ReceiverForm, RouteForm, RouteTestForm, entries_yaml
from alerts.models import Receiver, Route
from alerts.selectors import (
    inhibit_rule_list,
    maintenance_window_get,
    maintenance_window_list,
    receiver_list,
    route_rows,
    routing_tree,
    time_interval_list,
)
from alerts.services.config import config_import, route_delete, route_save
from alerts.services.receivers import KEEP, receiver_delete, receiver_save, receiver_test
from alerts.services.silences import maintenance_window_delete, maintenance_window_save
from sre.auth.views import RoleRequiredMixin
from sre.choices import Role
from sre.domain.ids import parse_id
from sre.domain.timewords import duration_words
from sre.errors import DomainError


def _tree_rows() -> tuple[list[dict], str]:
    rows = route_rows()
    by_id = {r.pk: r for r in rows}
    try:
        tree = routing_tree(rows)
    except ValueError as exc:
        return [], str(exc)
    if tree is None:
        return [], ""
    out = []
    for node, depth in routing.walk(tree):
        out.append(
            {
                "route": by_id[node.id],
                "resolved": node,
                "depth": depth,
                "indent": depth * 1.5,
                "group_by": "..." if node.group_by_all else ", ".join(node.group_by) or "(none: one group)",
                "timing": " / ".join(
                    duration_words(v, parts=3) for v in (node.group_wait, node.group_interval, node.repeat_interval)
                ),
            }
        )
    return out, ""


class RoutesView(RoleRequiredMixin, View):
    """The tree with inherited values, "which route matches these labels?", import, inhibit rules, intervals."""

    def _render(self, request: HttpRequest, *, test_form=None, import_form=None, matched=None, status=200):
        rows, error = _tree_rows()
        context = {
            "rows": rows,
            "tree_error": error,
            "test_form": test_form or RouteTestForm(),
            "import_form": import_form or ImportForm(),
            "matched": matched,
            "inhibit_rules": inhibit_rule_list(),
            "time_intervals": [(t, entries_yaml(t.entries)) for t in time_interval_list()],
        }
        return render(request, "alerts/routes.html", context, status=status)

    def get(self, request: HttpRequest) -> HttpResponse:
        return self._render(request)


class RouteTestView(RoutesView):
    write_role = Role.VIEWER  # testing changes nothing

    def post(self, request: HttpRequest) -> HttpResponse:
        form = RouteTestForm(request.POST)
        if not form.is_valid():
            return self._render(request, test_form=form, status=400)
        tree = routing_tree()
        labels = form.cleaned_data["labels"]
        matched = []
        if tree is not None:
            for route in routing.match(tree, labels):
                matched.append({"route": route, "group_labels": route.group_labels(labels)})
        return self._render(request, test_form=form, matched=matched)


class RouteImportView(RoutesView):
    def post(self, request: HttpRequest) -> HttpResponse:
        form = ImportForm(request.POST)
        if form.is_valid():
            try:
                summary = config_import(text=form.cleaned_data["yaml"])
            except DomainError as exc:
                form.add_error("yaml", exc.message)
            else:
                messages.success(
                    request,
                    "Imported {routes} routes, {inhibit_rules} inhibit rules, {time_intervals} time intervals; "
                    "{receivers_created} new receivers (ledger-only until you configure them).".format(**summary),
                )
                return redirect("alerts:routes")
        return self._render(request, import_form=form, status=400)


class RouteEditView(RoleRequiredMixin, View):
    def _route(self, pk: int | None) -> Route | None:
        return get_object_or_404(Route, pk=pk) if pk else None

    def get(self, request: HttpRequest, pk: int | None = None) -> HttpResponse:
        route = self._route(pk)
        initial = {"parent": request.GET.get("parent")} if not route else {}
        form = RouteForm(instance=route, initial=initial)
        return render(request, "alerts/route_form.html", {"form": form, "route": route})

    def post(self, request: HttpRequest, pk: int | None = None) -> HttpResponse:
        route = self._route(pk)
        if "delete" in request.POST and route is not None:
            try:
                route_delete(route=route)
                messages.success(request, "Route deleted (with its child routes).")
                return redirect("alerts:routes")
            except DomainError as exc:
                messages.warning(request, exc.message)
                return redirect("alerts:route-edit", pk=route.pk)
        form = RouteForm(request.POST, instance=route)
        if form.is_valid():
            try:
                route_save(route=route or Route(), data=form.service_data())
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, "Route saved.")
                return redirect("alerts:routes")
        return render(request, "alerts/route_form.html", {"form": form, "route": route}, status=400)


class ReceiversView(RoleRequiredMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, "alerts/receivers.html", {"receivers": receiver_list()})


class ReceiverEditView(RoleRequiredMixin, View):
    """Create or edit a receiver. Secrets are never shown back; empty secret fields keep the stored ones."""

    def get(self, request: HttpRequest, pk: int | None = None) -> HttpResponse:
        receiver = get_object_or_404(Receiver, pk=pk) if pk else None
        return render(
            request, "alerts/receiver_form.html", {"form": ReceiverForm(instance=receiver), "receiver": receiver}
        )

    def post(self, request: HttpRequest, pk: int | None = None) -> HttpResponse:
        receiver = get_object_or_404(Receiver, pk=pk) if pk else None
        if "delete" in request.POST and receiver is not None:
            try:
                receiver_delete(receiver=receiver)
                messages.success(request, "Receiver deleted.")
                return redirect("alerts:receivers")
            except DomainError as exc:
                messages.warning(request, exc.message)
                return redirect("alerts:receiver-edit", pk=receiver.pk)
        form = ReceiverForm(request.POST, instance=receiver)
        if form.is_valid():
            data = {k: form.cleaned_data[k] for k in ReceiverForm.Meta.fields}
            key = form.cleaned_data["routing_key"] or KEEP
            secret = form.cleaned_data["secret"] or KEEP
            try:
                receiver_save(receiver=receiver or Receiver(), data=data, routing_key=key, secret=secret)
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, "Receiver saved.")
                return redirect("alerts:receivers")
        return render(request, "alerts/receiver_form.html", {"form": form, "receiver": receiver}, status=400)


class ReceiverTestView(RoleRequiredMixin, View):
    write_role = Role.RESPONDER

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        receiver = get_object_or_404(Receiver, pk=pk)
        notification = receiver_test(receiver=receiver, actor=request.user.get_username(), now=timezone.now())
        messages.success(request, f"Test notification queued for {receiver.name}; its attempts appear below.")
        return redirect(f"/alerts/notifications/?receiver={receiver.name}&dedup_key={notification.dedup_key}")


class MaintenanceView(RoleRequiredMixin, View):
    """Maintenance windows: list and create (responders), delete with confirmation."""

    write_role = Role.RESPONDER

    def _render(self, request: HttpRequest, form: MaintenanceWindowForm, status: int = 200) -> HttpResponse:
        windows = maintenance_window_list()
        return render(request, "alerts/maintenance.html", {"form": form, "windows": windows}, status=status)

    def get(self, request: HttpRequest) -> HttpResponse:
        return self._render(request, MaintenanceWindowForm())

    def post(self, request: HttpRequest) -> HttpResponse:
        if "delete" in request.POST:
            window_id = parse_id(request.POST["delete"])
            window = maintenance_window_get(window_id=window_id) if window_id else None
            if window is None:
                messages.info(request, "That maintenance window was already deleted.")
                return redirect("alerts:maintenance")
            try:
                maintenance_window_delete(window=window, now=timezone.now())
            except DomainError as exc:
                messages.warning(request, exc.message)
            else:
                messages.success(request, "Maintenance window deleted.")
            return redirect("alerts:maintenance")
        form = MaintenanceWindowForm(request.POST)
        if form.is_valid():
            data = dict(form.cleaned_data)
            routes = list(data.pop("routes"))
            data["created_by"] = request.user.get_username()
            try:
                maintenance_window_save(window=None, data=data, routes=routes, now=timezone.now())
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, "Maintenance window saved.")
                return redirect("alerts:maintenance")
        return self._render(request, form, status=400)
