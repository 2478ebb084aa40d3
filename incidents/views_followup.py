"""HTML pages after the fire: postmortem editor (preview, review states, export), action items, insights and
the incidents settings (severity labels, policies)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from incidents import forms, services
from incidents.choices import ActionItemStatus, PostmortemState, Severity
from incidents.exports import postmortem_markdown
from incidents.insights import response_report
from incidents.markdown import render_markdown
from incidents.pages import IncidentsPage, incident_or_404, report_error
from incidents.selectors import (
    action_item_get,
    action_item_is_overdue,
    action_item_list,
    incident_postmortem,
    policy_list,
    severity_levels,
)
from incidents.services.postmortems import POSTMORTEM_NEXT
from sre.audit.services import audit_export
from sre.auth.roles import user_has_role
from sre.choices import Role
from sre.errors import DomainError


def _actor(request: HttpRequest) -> str:
    return request.user.get_username()


class PostmortemView(IncidentsPage):
    """The editor: Markdown on the left, sanitised preview on the right; review state; action items."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        incident = incident_or_404(pk)
        postmortem = incident_postmortem(incident)
        today = timezone.localdate()
        items = list(action_item_list(incident_id=incident.pk))
        for item in items:
            item.overdue = action_item_is_overdue(item, today=today)
        context = {
            "incident": incident,
            "postmortem": postmortem,
            "form": forms.PostmortemForm(initial={"version": postmortem.version, "body": postmortem.body})
            if postmortem
            else None,
            "preview": render_markdown(postmortem.body) if postmortem else "",
            "next_states": POSTMORTEM_NEXT.get(postmortem.state, ()) if postmortem else (),
            "state_labels": dict(PostmortemState.choices),
            "items": items,
            "item_form": forms.ActionItemForm(),
            "status_choices": ActionItemStatus.choices,
            "can_write": user_has_role(request.user, Role.RESPONDER),
        }
        return render(request, "incidents/postmortem.html", context)

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        incident = incident_or_404(pk)
        form = forms.PostmortemForm(request.POST)
        url = reverse("incidents:postmortem", args=[incident.pk])
        if not form.is_valid():
            messages.error(request, "Not saved: " + "; ".join(" ".join(e) for e in form.errors.values()))
            return redirect(url)
        try:
            services.postmortem_update(
                incident_id=incident.pk,
                body=form.cleaned_data["body"],
                version=form.cleaned_data["version"],
                actor=_actor(request),
                now=timezone.now(),
            )
        except DomainError as exc:
            # Keep the text the person wrote: show the editor again with their version and the error.
            report_error(request, exc)
            postmortem = incident_postmortem(incident)
            if postmortem is None:
                return redirect(url)
            context = {
                "incident": incident,
                "postmortem": postmortem,
                "form": forms.PostmortemForm(
                    initial={"version": postmortem.version, "body": form.cleaned_data["body"]}
                ),
                "preview": render_markdown(form.cleaned_data["body"]),
                "next_states": POSTMORTEM_NEXT.get(postmortem.state, ()),
                "state_labels": dict(PostmortemState.choices),
                "items": list(action_item_list(incident_id=incident.pk)),
                "item_form": forms.ActionItemForm(),
                "status_choices": ActionItemStatus.choices,
                "conflict": True,
                "can_write": True,
            }
            return render(request, "incidents/postmortem.html", context, status=409)
        messages.success(request, "Postmortem saved.")
        return redirect(url)


class PostmortemPreviewView(IncidentsPage):
    """htmx: POST the Markdown, get back the sanitised HTML (nothing is stored)."""

    read_role = Role.RESPONDER

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        incident_or_404(pk)
        return HttpResponse(render_markdown(request.POST.get("body", "")[:500_000]))


class PostmortemCommandView(IncidentsPage):
    read_role = Role.RESPONDER

    def post(self, request: HttpRequest, pk: int, command: str) -> HttpResponse:
        incident = incident_or_404(pk)
        url = reverse("incidents:postmortem", args=[incident.pk])
        now = timezone.now()
        try:
            if command == "create":
                services.postmortem_create(incident_id=incident.pk, actor=_actor(request), now=now)
                messages.success(request, "Postmortem started from the template, prefilled from the incident.")
            elif command == "state":
                target = request.POST.get("state", "")
                services.postmortem_transition(incident_id=incident.pk, target=target, actor=_actor(request), now=now)
                messages.success(
                    request, f"Postmortem is now {dict(PostmortemState.choices).get(target, target).lower()}."
                )
            elif command == "item":
                form = forms.ActionItemForm(request.POST)
                if not form.is_valid():
                    messages.error(
                        request,
                        "Action item not added: " + "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items()),
                    )
                    return redirect(url + "#action-items")
                services.action_item_create(
                    incident_id=incident.pk, actor=_actor(request), now=now, **form.cleaned_data
                )
                messages.success(request, "Action item added.")
                return redirect(url + "#action-items")
            else:
                raise Http404("Unknown command.")
        except DomainError as exc:
            report_error(request, exc)
            if command == "create":
                return redirect("incidents:detail", pk=incident.pk)
        return redirect(url)


class PostmortemExportView(IncidentsPage):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        incident = incident_or_404(pk)
        postmortem = incident_postmortem(incident)
        if postmortem is None:
            raise Http404("This incident has no postmortem yet.")
        text = postmortem_markdown(postmortem, today=timezone.localdate())
        audit_export(what="postmortem", fmt="markdown", obj=incident)
        response = HttpResponse(text, content_type="text/markdown; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="incident-{incident.pk}-postmortem.md"'
        return response


class ActionItemsView(IncidentsPage):
    """Every action item, open and overdue first; filters by status and owner."""

    def get(self, request: HttpRequest) -> HttpResponse:
        status = request.GET.get("status", "open")
        if status not in {"", "open", *ActionItemStatus.values}:
            status = "open"
        owner = request.GET.get("owner", "")[:150]
        overdue = request.GET.get("overdue") == "1"
        today = timezone.localdate()
        qs = action_item_list(status=status, owner=owner, overdue_on=today if overdue else None)
        page = Paginator(qs, 100).get_page(request.GET.get("page"))
        for item in page.object_list:
            item.overdue = action_item_is_overdue(item, today=today)
        context = {
            "page": page,
            "items": page.object_list,
            "filters": {"status": status, "owner": owner, "overdue": overdue},
            "status_choices": ActionItemStatus.choices,
            "today": today,
            "can_write": user_has_role(request.user, Role.RESPONDER),
        }
        return render(request, "incidents/action_items.html", context)


class ActionItemCommandView(IncidentsPage):
    """POST status change or delete (confirmed in the page) of one action item."""

    read_role = Role.RESPONDER

    def post(self, request: HttpRequest, pk: int, command: str) -> HttpResponse:

        item = action_item_get(action_item_id=pk)
        if item is None:
            raise Http404("No such action item.")
        nxt = request.POST.get("next", "")
        target = nxt if nxt.startswith("/incidents/") and "//" not in nxt else reverse("incidents:action-items")
        try:
            if command == "status":
                form = forms.ActionItemStatusForm(request.POST)
                if not form.is_valid():
                    messages.error(request, "Unknown status.")
                    return redirect(target)
                services.action_item_update(
                    item_id=item.pk,
                    changes={"status": form.cleaned_data["status"]},
                    actor=_actor(request),
                    now=timezone.now(),
                )
                messages.success(
                    request,
                    f"“{item.title}” is now {dict(ActionItemStatus.choices)[form.cleaned_data['status']].lower()}.",
                )
            elif command == "delete":
                services.action_item_delete(item_id=item.pk)
                messages.success(request, f"Deleted “{item.title}”.")
            else:
                raise Http404("Unknown command.")
        except DomainError as exc:
            report_error(request, exc)
        return redirect(target)


class InsightsView(IncidentsPage):
    """MTTA / MTTM / MTTR and counts per month by severity and service, with the definitions."""

    def get(self, request: HttpRequest) -> HttpResponse:
        try:
            months = max(1, min(36, int(request.GET.get("months", 12))))
        except ValueError:
            months = 12
        report = response_report(now=timezone.now(), months=months)
        rows = []
        for month in report["months"]:
            overall = report["overall"].get(month, {}).get("all")
            rows.append({"month": month, "overall": overall})
        service_rows = []
        for month, services_ in report["by_service"].items():
            for name, bucket in services_.items():
                service_rows.append({"month": month, "service": name, **bucket})
        severity_rows = []
        for month, sevs in report["by_severity"].items():
            for key, bucket in sevs.items():
                severity_rows.append({"month": month, "severity": report["severities"].get(key, key), **bucket})
        context = {
            "months": months,
            "report": report,
            "rows": rows,
            "service_rows": sorted(service_rows, key=lambda r: (r["month"], r["service"]), reverse=True),
            "severity_rows": sorted(severity_rows, key=lambda r: (r["month"], r["severity"]), reverse=True),
        }
        return render(request, "incidents/insights.html", context)


class SettingsView(IncidentsPage):
    """Severity labels and descriptions, and the auto-open policies; viewers read, admins edit."""

    write_role = Role.ADMIN

    def get(self, request: HttpRequest) -> HttpResponse:
        return self._render(request)

    def _render(
        self, request: HttpRequest, *, bound: forms.PolicyForm | None = None, bound_id: str = ""
    ) -> HttpResponse:
        levels = severity_levels()
        editable = user_has_role(request.user, Role.ADMIN)
        rows = []
        for key, label in Severity.choices:
            level = levels.get(key)
            initial = {"label": level.label if level else label, "description": level.description if level else "",
                       "public_impact": level.public_impact if level else "minor"}  # fmt: skip
            rows.append(
                {"key": key, "form": _read_only_unless(editable, forms.SeverityLevelForm(initial=initial, prefix=key))}
            )
        policies = []
        for policy in policy_list():
            prefix = f"p{policy.pk}"
            form = bound if bound is not None and bound_id == str(policy.pk) else forms.PolicyForm(
                prefix=prefix,
                initial={"name": policy.name, "matchers": "\n".join(policy.matchers), "enabled": policy.enabled,
                         "max_service_tier": policy.max_service_tier, "severity": policy.severity,
                         "position": policy.position},
            )  # fmt: skip
            policies.append({"policy": policy, "form": _read_only_unless(editable, form)})
        new_form = bound if bound is not None and bound_id == "new" else forms.PolicyForm(prefix="new")
        context = {"rows": rows, "policies": policies, "new_policy_form": new_form}
        return render(request, "incidents/settings.html", context, status=400 if bound is not None else 200)

    def post(self, request: HttpRequest) -> HttpResponse:
        if "policy" in request.POST:
            return self._post_policy(request)
        key = request.POST.get("key", "")
        if key not in Severity.values:
            raise Http404("Unknown severity.")
        form = forms.SeverityLevelForm(request.POST, prefix=key)
        if form.is_valid():
            try:
                services.severity_level_save(key=key, **form.cleaned_data)
                messages.success(request, f"{key.upper()} saved.")
            except DomainError as exc:
                report_error(request, exc)
        else:
            messages.error(request, "Not saved: " + "; ".join(" ".join(e) for e in form.errors.values()))
        return redirect("incidents:settings")

    def _post_policy(self, request: HttpRequest) -> HttpResponse:
        policy_id = request.POST.get("policy", "")
        existing = {str(p.pk): p for p in policy_list()}
        if policy_id != "new" and policy_id not in existing:
            raise Http404("No such policy.")
        if request.POST.get("delete") == "1" and policy_id in existing:
            services.policy_delete(policy_id=existing[policy_id].pk)
            messages.success(request, f"Policy {existing[policy_id].name!r} deleted.")
            return redirect("incidents:settings")
        form = forms.PolicyForm(request.POST, prefix="new" if policy_id == "new" else f"p{policy_id}")
        if form.is_valid():
            try:
                policy = services.policy_save(policy=existing.get(policy_id), data=form.cleaned_data)
            except DomainError as exc:
                for field, errors in (exc.fields or {"__all__": [exc.message]}).items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(request, f"Policy {policy.name!r} saved.")
                return redirect("incidents:settings")
        return self._render(request, bound=form, bound_id=policy_id)


def _read_only_unless(editable: bool, form: Any) -> Any:
    """Viewers and responders see the settings as disabled fields, not inputs they cannot save."""
    if not editable:
        for field in form.fields.values():
            field.disabled = True
    return form
