"""HTML pages of schedules: the schedule page (timeline of the final schedule, its shifts, overrides, swaps,
iCal), create / edit / delete, the layer editor with a preview, and the override and swap forms.

Viewers read; responders add and remove their own overrides and offer, take and cancel swaps; admins
configure schedules, layers and calendars (and may manage anyone's overrides and swaps)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views import View

from oncall.domain import timeline
from oncall.domain.localtime import zone
from oncall.forms import (
    IcalUploadForm,
    IcalUrlForm,
    LayerForm,
    OverrideForm,
    ParticipantFormSet,
    RestrictionFormSet,
    ScheduleForm,
    SwapOfferForm,
    layer_data,
    layer_initial,
)
from oncall.models import Layer, Override, Schedule, Swap
from oncall.selectors import override_get, overrides_upcoming, schedule_get, swaps_upcoming, user_label
from oncall.selectors.timeline import schedule_timeline
from oncall.services import schedules as svc
from oncall.views import form_errors, roles
from sre.auth.views import RoleRequiredMixin
from sre.choices import Role
from sre.errors import DomainError


def schedule_or_404(pk: int) -> Schedule:
    found = schedule_get(schedule_id=pk)
    if found is None:
        raise Http404("No such schedule.")
    return found


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


def schedule_page(
    request: HttpRequest,
    schedule: Schedule,
    *,
    status: int = 200,
    final: Any = None,
    preview_note: str = "",
    **forms: Any,
) -> HttpResponse:
    """The schedule page; ``forms`` are bound forms to show back with their errors; ``final`` a previewed
    final schedule (this period only) shown instead of the saved one, with ``preview_note``."""
    now = timezone.now()
    weeks, offset = _int(request.GET.get("weeks"), 2), _int(request.GET.get("offset"), 0)
    win = timeline.window(now=now, time_zone=schedule.time_zone, weeks=weeks, offset=offset)
    can = roles(request)
    tz = schedule.time_zone
    context = {
        "schedule": schedule,
        "timeline": schedule_timeline(schedule, win=win, now=now, final=final),
        "preview_note": preview_note,
        "week_choices": timeline.WEEK_CHOICES,
        "overrides": overrides_upcoming(schedule, now=now),
        "swaps": swaps_upcoming(schedule, now=now),
        "override_form": forms.get("override_form")
        or OverrideForm(time_zone=tz, actor=request.user, admin=can["can_admin"]),
        "swap_form": forms.get("swap_form") or SwapOfferForm(time_zone=tz, admin=can["can_admin"]),
        "ical_url_form": forms.get("ical_url_form")
        or IcalUrlForm(initial={"ical_url": schedule.ical_url, "ical_level": schedule.ical_level}),
        "ical_upload_form": forms.get("ical_upload_form") or IcalUploadForm(),
        **can,
    }
    return render(request, "oncall/schedule_detail.html", context, status=status)


class ScheduleDetailView(RoleRequiredMixin, View):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return schedule_page(request, schedule_or_404(pk))


class ScheduleEditView(RoleRequiredMixin, View):
    """Create (no ``pk``) or edit a schedule's name, team, zone and fallback (admin)."""

    read_role = Role.ADMIN

    def _render(self, request: HttpRequest, form: ScheduleForm, schedule: Schedule | None, status: int = 200):
        return render(request, "oncall/schedule_form.html", {"form": form, "schedule": schedule}, status=status)

    def get(self, request: HttpRequest, pk: int | None = None) -> HttpResponse:
        schedule = schedule_or_404(pk) if pk else None
        return self._render(request, ScheduleForm(instance=schedule), schedule)

    def post(self, request: HttpRequest, pk: int | None = None) -> HttpResponse:
        schedule = schedule_or_404(pk) if pk else None
        form = ScheduleForm(request.POST, instance=schedule or Schedule())
        if form.is_valid():
            try:
                saved = svc.schedule_save(schedule=schedule, data=form.service_data())
            except DomainError as exc:
                form_errors(form, exc)
            else:
                messages.success(request, f"Schedule “{saved.name}” saved.")
                return redirect("oncall:schedule", pk=saved.pk)
        return self._render(request, form, schedule, status=400)


class ScheduleDeleteView(RoleRequiredMixin, View):
    read_role = Role.ADMIN

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        schedule = schedule_or_404(pk)
        context = {
            "title": f"Delete schedule “{schedule.name}”?",
            "text": "Its layers, overrides and swaps are deleted with it. Running escalations keep their snapshot.",
            "button": "Delete schedule",
            "back": schedule_url(schedule),
        }
        return render(request, "sre/confirm.html", context)

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        schedule = schedule_or_404(pk)
        try:
            svc.schedule_delete(schedule=schedule)
        except DomainError as exc:
            messages.warning(request, exc.message)
            return redirect("oncall:schedule", pk=pk)
        messages.success(request, f"Schedule “{schedule.name}” deleted.")
        return redirect("oncall:home")


def schedule_url(schedule: Schedule) -> str:
    return reverse("oncall:schedule", args=[schedule.pk])


class LayerEditView(RoleRequiredMixin, View):
    """Add or edit a layer. "Preview" shows the final schedule with the change (nothing saved); "Save" saves."""

    read_role = Role.ADMIN

    def _layer(self, schedule: Schedule, layer_pk: int | None) -> Layer | None:
        return get_object_or_404(Layer, pk=layer_pk, schedule=schedule) if layer_pk else None

    def _render(self, request, schedule, layer, form, participants, restrictions, *, preview=None, status=200):
        context = {
            "schedule": schedule,
            "layer": layer,
            "form": form,
            "participants": participants,
            "restrictions": restrictions,
            "preview": preview,
        }
        return render(request, "oncall/layer_form.html", context, status=status)

    def get(self, request: HttpRequest, pk: int, layer_pk: int | None = None) -> HttpResponse:
        schedule = schedule_or_404(pk)
        layer = self._layer(schedule, layer_pk)
        if layer is None:
            today = timezone.localdate(timezone=zone(schedule.time_zone))
            form = LayerForm(initial={"start_date": today})
            participants = ParticipantFormSet(prefix="participants")
            restrictions = RestrictionFormSet(prefix="restrictions")
        else:
            initial, people, windows = layer_initial(layer)
            form = LayerForm(initial=initial)
            participants = ParticipantFormSet(prefix="participants", initial=people)
            restrictions = RestrictionFormSet(prefix="restrictions", initial=windows)
        return self._render(request, schedule, layer, form, participants, restrictions)

    def post(self, request: HttpRequest, pk: int, layer_pk: int | None = None) -> HttpResponse:
        schedule = schedule_or_404(pk)
        layer = self._layer(schedule, layer_pk)
        form = LayerForm(request.POST)
        participants = ParticipantFormSet(request.POST, prefix="participants")
        restrictions = RestrictionFormSet(request.POST, prefix="restrictions")
        forms = (schedule, layer, form, participants, restrictions)
        if not (form.is_valid() and participants.is_valid() and restrictions.is_valid()):
            return self._render(request, *forms, status=400)
        data = layer_data(form, participants, restrictions)
        names = {"handoff": "handoff_time", "start": "start_date", "end": "end_date"}
        if "preview" in request.POST:
            now = timezone.now()
            win = timeline.window(now=now, time_zone=schedule.time_zone, weeks=2, offset=0)
            data["id"] = layer.pk if layer else None
            try:
                final = svc.layer_preview(schedule=schedule, data=data, start=win.start, end=win.end)
            except DomainError as exc:
                form_errors(form, exc, names=names)
                return self._render(request, *forms, status=400)
            preview = schedule_timeline(schedule, win=win, now=now, final=final, preview=data)
            return self._render(request, *forms, preview=preview)
        try:
            svc.layer_save(schedule=schedule, layer=layer, data=data)
        except DomainError as exc:
            form_errors(form, exc, names=names)
            return self._render(request, *forms, status=400)
        messages.success(request, "Layer saved.")
        return redirect("oncall:schedule", pk=schedule.pk)


class LayerDeleteView(RoleRequiredMixin, View):
    read_role = Role.ADMIN

    def get(self, request: HttpRequest, pk: int, layer_pk: int) -> HttpResponse:
        layer = get_object_or_404(Layer, pk=layer_pk, schedule_id=pk)
        context = {
            "title": f"Delete layer “{layer}”?",
            "text": "Its shifts leave the final schedule from now on; gaps it leaves are shown as warnings.",
            "button": "Delete layer",
            "back": schedule_url(layer.schedule),
        }
        return render(request, "sre/confirm.html", context)

    def post(self, request: HttpRequest, pk: int, layer_pk: int) -> HttpResponse:
        svc.layer_delete(layer=get_object_or_404(Layer, pk=layer_pk, schedule_id=pk))
        messages.success(request, "Layer deleted.")
        return redirect("oncall:schedule", pk=pk)


class OverrideCreateView(RoleRequiredMixin, View):
    write_role = Role.RESPONDER

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        schedule = schedule_or_404(pk)
        admin = roles(request)["can_admin"]
        form = OverrideForm(request.POST, time_zone=schedule.time_zone, actor=request.user, admin=admin)
        if form.is_valid() and "preview" in request.POST:
            return _preview_page(request, schedule, form, kind="override")
        if form.is_valid():
            try:
                svc.override_create(
                    schedule=schedule,
                    user_id=form.cleaned_data["user"].pk,
                    start=form.cleaned_data["start"],
                    end=form.cleaned_data["end"],
                    actor=request.user,
                )
            except DomainError as exc:
                form_errors(form, exc)
                return schedule_page(request, schedule, override_form=form, status=exc.status)
            messages.success(request, "Override added.")
            return redirect("oncall:schedule", pk=pk)
        return schedule_page(request, schedule, override_form=form, status=400)


def _preview_page(request: HttpRequest, schedule: Schedule, form: Any, *, kind: str) -> HttpResponse:
    """The schedule page with the override or swap in ``form`` applied to the timeline; nothing saved."""
    now = timezone.now()
    win = timeline.window(now=now, time_zone=schedule.time_zone, weeks=_int(request.GET.get("weeks"), 2), offset=0)
    data = form.cleaned_data
    try:
        if kind == "override":
            final = svc.override_preview(schedule=schedule, user_id=data["user"].pk, start=data["start"],
                                         end=data["end"], win_start=win.start, win_end=win.end)  # fmt: skip
            note = f"Preview: {user_label(data['user'])} covers this stretch. Nothing is saved until you add it."
        else:
            offered_by = data.get("from_user") or request.user
            final = svc.swap_preview(schedule=schedule, from_user_id=offered_by.pk, start=data["start"],
                                     end=data["end"], win_start=win.start, win_end=win.end)  # fmt: skip
            note = f"Preview: {user_label(offered_by)}'s shifts in this stretch, once someone takes the swap."
    except DomainError as exc:
        form_errors(form, exc)
        return schedule_page(request, schedule, status=exc.status, **{f"{kind}_form": form})
    return schedule_page(request, schedule, final=final, preview_note=note, **{f"{kind}_form": form})


class OverrideDeleteView(RoleRequiredMixin, View):
    read_role = Role.RESPONDER
    write_role = Role.RESPONDER

    def get(self, request: HttpRequest, pk: int, override_pk: int) -> HttpResponse:
        override = override_get(schedule_id=pk, override_id=override_pk)
        if override is None:
            raise Http404("No such override.")
        context = {
            "title": "Delete this override?",
            "text": f"{user_label(override.user)} stops covering this stretch; the layers decide again.",
            "span": override,
            "time_zone": override.schedule.time_zone,
            "button": "Delete override",
            "back": schedule_url(override.schedule),
        }
        return render(request, "sre/confirm.html", context)

    def post(self, request: HttpRequest, pk: int, override_pk: int) -> HttpResponse:
        override = get_object_or_404(Override, pk=override_pk, schedule_id=pk)
        try:
            svc.override_delete(override=override, actor=request.user)
        except DomainError as exc:
            messages.warning(request, exc.message)
            return redirect("oncall:schedule", pk=pk)
        messages.success(request, "Override deleted.")
        return redirect("oncall:schedule", pk=pk)


class SwapOfferView(RoleRequiredMixin, View):
    write_role = Role.RESPONDER

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        schedule = schedule_or_404(pk)
        form = SwapOfferForm(request.POST, time_zone=schedule.time_zone, admin=roles(request)["can_admin"])
        if form.is_valid() and "preview" in request.POST:
            return _preview_page(request, schedule, form, kind="swap")
        if form.is_valid():
            offered_by = form.cleaned_data.get("from_user")
            try:
                svc.swap_offer(
                    schedule=schedule,
                    start=form.cleaned_data["start"],
                    end=form.cleaned_data["end"],
                    actor=request.user,
                    from_user_id=offered_by.pk if offered_by else None,
                )
            except DomainError as exc:
                form_errors(form, exc)
                return schedule_page(request, schedule, swap_form=form, status=exc.status)
            messages.success(request, "Swap offered: anyone may take it from this page.")
            return redirect("oncall:schedule", pk=pk)
        return schedule_page(request, schedule, swap_form=form, status=400)


class SwapActionView(RoleRequiredMixin, View):
    """Take or cancel a swap (``action`` in the URL)."""

    write_role = Role.RESPONDER

    def post(self, request: HttpRequest, pk: int, swap_pk: int, action: str) -> HttpResponse:
        get_object_or_404(Swap, pk=swap_pk, schedule_id=pk)
        try:
            if action == "take":
                svc.swap_take(swap_id=swap_pk, actor=request.user, now=timezone.now())
                messages.success(request, "Swap taken: you are on call for those shifts.")
            elif action == "cancel":
                svc.swap_cancel(swap_id=swap_pk, actor=request.user)
                messages.success(request, "Swap cancelled.")
            else:
                raise Http404("No such action.")
        except DomainError as exc:
            messages.warning(request, exc.message)
        return redirect("oncall:schedule", pk=pk)


class IcalUrlView(RoleRequiredMixin, View):
    """Set (or clear) the schedule's calendar URL and the calendar's level (admin)."""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        schedule = schedule_or_404(pk)
        form = IcalUrlForm(request.POST)
        if form.is_valid():
            try:
                svc.schedule_save(schedule=schedule, data=form.cleaned_data)
            except DomainError as exc:
                form_errors(form, exc)
                return schedule_page(request, schedule_or_404(pk), ical_url_form=form, status=exc.status)
            messages.success(request, "Calendar settings saved.")
            return redirect("oncall:schedule", pk=pk)
        return schedule_page(request, schedule, ical_url_form=form, status=400)


class IcalUploadView(RoleRequiredMixin, View):
    """Replace the schedule's calendar with an uploaded ``.ics`` (admin)."""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        schedule = schedule_or_404(pk)
        form = IcalUploadForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                svc.ical_store(schedule=schedule, text=form.cleaned_data["file"], now=timezone.now())
            except DomainError as exc:
                form_errors(form, exc, names={"ical": "file"})
                return schedule_page(request, schedule, ical_upload_form=form, status=exc.status)
            messages.success(request, "Calendar uploaded.")
            return redirect("oncall:schedule", pk=pk)
        return schedule_page(request, schedule, ical_upload_form=form, status=400)
