"""HTML pages of the status page admin UI (``/statuspage/``): components and groups (admins), overrides and
maintenance (responders), subscribers and their notification ledger (admins), a live preview of the
public page, and "render the snapshot now"."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views import View
from django.views.generic import TemplateView

from incidents.selectors import incidents_open
from sre import pagecache
from sre.auth.roles import user_has_role
from sre.auth.views import RoleRequiredMixin
from sre.choices import Role
from sre.errors import DomainError
from statuspage import selectors, services, snapshot
from statuspage.forms import ComponentForm, ComponentGroupForm, MaintenanceForm, OverrideForm, SubscriberForm
from statuspage.models import Component, ComponentGroup, ScheduledMaintenance, Subscriber
from statuspage.selectors.page import page_data


def _errors_to_form(form, exc: DomainError) -> None:
    placed = False
    for name, problems in (exc.fields or {}).items():
        if name in form.fields:
            for problem in problems:
                form.add_error(name, problem)
            placed = True
    if not placed:
        form.add_error(None, exc.message)


def _open_incidents():

    return incidents_open(limit=50)


class IndexView(RoleRequiredMixin, TemplateView):
    """Components with their derived status (and why), groups, maintenance, the snapshot. Polled every
    30 s by htmx (``HX-Request``): then only the live part is rendered."""

    template_name = "statuspage/index.html"

    @pagecache.shared_page("statuspage:index")
    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        """The page (or, for htmx, the live part) is shared for ``pagecache.TTL`` seconds by everyone of a role;
        whoever just changed something gets it afresh (``sre.pagecache``)."""
        live = request.headers.get("HX-Request")
        return render(request, "statuspage/_live.html" if live else self.template_name, self.get_context_data())

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        now = timezone.now()
        states = selectors.component_states(now=now)
        burns = selectors.component_burns(states)
        open_incidents = _open_incidents()
        rows = [
            {
                "s": state,
                "burns": burns.get(state.component.pk, []),
            }
            for state in states
        ]
        maintenances = []
        for m in selectors.maintenance_recent():
            status, occurrence = selectors.maintenance_status(m, now=now)
            maintenances.append({"m": m, "status": status, "occurrence": occurrence})
        user = self.request.user
        subscriber_count, pending_count = selectors.subscriber_counts()
        return {
            **super().get_context_data(**kwargs),
            "states": states,
            "rows": rows,
            "groups": selectors.group_list(),
            "maintenances": maintenances,
            "subscriber_count": subscriber_count,
            "pending_count": pending_count,
            "snapshot": snapshot.snapshot_info(),
            "open_incidents": open_incidents,
            # Each row's override form is the same three fields: written in the template from these (30 rows of
            # Django select widgets with an option per open incident took ~60% of the page's time).
            "override_statuses": OverrideForm.base_fields["status"].choices,
            "can_admin": user_has_role(user, Role.ADMIN),
            "can_respond": user_has_role(user, Role.RESPONDER),
        }


class _FormView(RoleRequiredMixin, View):
    """GET shows the form, POST calls one service; DomainErrors come back on the form."""

    template_name = "statuspage/form.html"
    title = ""
    form_class: Any = None
    model: Any = None

    def get_object(self, pk: int | None):
        return get_object_or_404(self.model, pk=pk) if pk is not None else None

    def initial(self, obj) -> dict:
        return {}

    def make_form(self, obj, data=None):
        if issubclass(self.form_class, forms.ModelForm):
            return self.form_class(data, instance=obj)
        return self.form_class(data, initial=self.initial(obj))

    def render_form(self, request: HttpRequest, form, obj, status: int = 200) -> HttpResponse:
        context = {"form": form, "object": obj, "title": self.title if obj is None else f"Edit {obj}"}
        return render(request, self.template_name, context, status=status)

    def get(self, request: HttpRequest, pk: int | None = None) -> HttpResponse:
        obj = self.get_object(pk)
        return self.render_form(request, self.make_form(obj), obj)

    def post(self, request: HttpRequest, pk: int | None = None) -> HttpResponse:
        obj = self.get_object(pk)
        form = self.make_form(obj, request.POST)
        if form.is_valid():
            try:
                saved = self.save(form, obj)
            except DomainError as exc:
                _errors_to_form(form, exc)
            else:
                messages.success(request, f"Saved {saved}.")
                return redirect(reverse("statuspage:index") + self.anchor)
        return self.render_form(request, form, obj, status=400)


class ComponentFormView(_FormView):
    title = "New component"
    form_class = ComponentForm
    model = Component
    anchor = "#components"

    def save(self, form, obj):
        data = {k: v for k, v in form.cleaned_data.items() if k not in ("services", "slos")}
        return services.component_save(
            component=obj, data=data, services=list(form.cleaned_data["services"]), slos=list(form.cleaned_data["slos"])
        )


class GroupFormView(_FormView):
    title = "New component group"
    form_class = ComponentGroupForm
    model = ComponentGroup
    anchor = "#groups"

    def save(self, form, obj):
        return services.group_save(group=obj, data=form.cleaned_data)


class MaintenanceFormView(_FormView):
    title = "Schedule maintenance"
    form_class = MaintenanceForm
    model = ScheduledMaintenance
    anchor = "#maintenance"
    write_role = Role.RESPONDER

    def initial(self, obj) -> dict:
        if obj is None:
            return {}
        data = {f: getattr(obj, f) for f in MaintenanceForm.base_fields if f not in ("components", "extra_matchers")}
        data["components"] = list(obj.components.all())
        data["extra_matchers"] = "\n".join(obj.extra_matchers or [])
        return data

    def save(self, form, obj):
        data = {k: v for k, v in form.cleaned_data.items() if k != "components"}
        return services.maintenance_save(
            maintenance=obj,
            data=data,
            components=list(form.cleaned_data["components"]),
            actor=self.request.user.get_username(),
            now=timezone.now(),
        )


class DeleteView(RoleRequiredMixin, View):
    """Confirm, then delete a component, group, maintenance or subscriber."""

    kinds = {
        "component": (Component, services.component_delete, "component", "#components"),
        "group": (ComponentGroup, services.group_delete, "group", "#groups"),
        "maintenance": (ScheduledMaintenance, services.maintenance_delete, "maintenance", "#maintenance"),
        "subscriber": (Subscriber, services.subscriber_delete, "subscriber", ""),
    }
    kind = "component"
    read_role = Role.ADMIN

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        model = self.kinds[self.kind][0]
        obj = get_object_or_404(model, pk=pk)
        return render(request, "statuspage/confirm_delete.html", {"object": obj, "kind": self.kind})

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        model, delete, arg, anchor = self.kinds[self.kind]
        obj = get_object_or_404(model, pk=pk)
        delete(**{arg: obj})
        messages.success(request, f"Deleted {obj}.")
        if self.kind == "subscriber":
            return redirect("statuspage:subscribers")
        return redirect(reverse("statuspage:index") + anchor)


class OverrideView(RoleRequiredMixin, View):
    """Responders set or clear a component's status by hand (POST only)."""

    write_role = Role.RESPONDER
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        component = get_object_or_404(Component, pk=pk)
        now = timezone.now()
        if request.POST.get("clear"):
            services.component_override_clear(component_id=component.pk, now=now)
            messages.success(request, f"{component}: back to the derived status.")
            return redirect(reverse("statuspage:index") + "#components")
        form = OverrideForm(request.POST, incidents=_open_incidents())
        if not form.is_valid():
            messages.error(request, "Override not set: " + "; ".join(e for errs in form.errors.values() for e in errs))
            return redirect(reverse("statuspage:index") + "#components")
        try:
            services.component_override_set(
                component_id=component.pk,
                status=form.cleaned_data["status"],
                reason=form.cleaned_data["reason"],
                incident_id=form.cleaned_data["incident"],
                actor=request.user.get_username(),
                now=now,
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"{component}: shown as {form.cleaned_data['status'].replace('_', ' ')}.")
        return redirect(reverse("statuspage:index") + "#components")


class MaintenanceActionView(RoleRequiredMixin, View):
    """complete / cancel / verifying on / verifying off (POST)."""

    write_role = Role.RESPONDER
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int, action: str) -> HttpResponse:
        maintenance = get_object_or_404(ScheduledMaintenance, pk=pk)
        now = timezone.now()
        try:
            if action == "complete":
                services.maintenance_complete(maintenance_id=maintenance.pk, now=now)
            elif action == "cancel":
                services.maintenance_cancel(maintenance_id=maintenance.pk, now=now)
            elif action in ("verify", "unverify"):
                services.maintenance_set_verifying(maintenance_id=maintenance.pk, verifying=action == "verify", now=now)
            else:
                raise Http404("Unknown action.")
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"{maintenance}: {action} done.")
        return redirect(reverse("statuspage:index") + "#maintenance")


class SubscribersView(RoleRequiredMixin, View):
    """Subscribers and their notification ledger (admins; subscribers are personal data)."""

    read_role = Role.ADMIN
    template_name = "statuspage/subscribers.html"

    def context(self, form) -> dict:
        state = self.request.GET.get("state", "")
        return {
            "form": form,
            "subscribers": selectors.subscriber_list()[:500],
            "notifications": selectors.notification_list(state=state)[:200],
            "state": state,
        }

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, self.template_name, self.context(SubscriberForm()))

    def post(self, request: HttpRequest) -> HttpResponse:
        if request.POST.get("retry"):
            try:
                services.notification_retry(notification_id=int(request.POST["retry"]))
            except ValueError:
                messages.error(request, "Unknown notification.")
            else:
                messages.success(request, "Queued again.")
            return redirect("statuspage:subscribers")
        form = SubscriberForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.subscriber_create(
                    kind=data["kind"],
                    email=data["email"],
                    url=data["url"],
                    component_ids=[c.pk for c in data["components"]],
                    allow_private=data["allow_private"],
                    confirmed=data["confirmed"],
                    actor=request.user.get_username(),
                    now=timezone.now(),
                )
            except DomainError as exc:
                _errors_to_form(form, exc)
            else:
                messages.success(request, "Subscriber added.")
                return redirect("statuspage:subscribers")
        return render(request, self.template_name, self.context(form), status=400)


class PreviewView(RoleRequiredMixin, View):
    """The public page rendered live from the database (what the next snapshot will show)."""

    def get(self, request: HttpRequest) -> HttpResponse:

        now = timezone.now()
        data = page_data(now=now)
        past = [
            i for i in data.incidents if not i.is_open and (i.resolved_at or i.updated_at) >= now - timedelta(days=14)
        ]
        context = {
            "page": data,
            "updated_at": now,
            "past_incidents": past,
            "css_href": "/static/css/status.css",
            "js_href": "/static/js/statuspage.js",
            "preview": True,
        }
        return render(request, "statuspage/public/index.html", context)


class RenderView(RoleRequiredMixin, View):
    """Sync and re-render the snapshot now (responders)."""

    write_role = Role.RESPONDER
    http_method_names = ["post"]

    def post(self, request: HttpRequest) -> HttpResponse:
        result = services.sync_run(now=timezone.now())
        messages.success(request, f"Snapshot rendered: {result['files']} files.")
        return redirect("statuspage:index")
