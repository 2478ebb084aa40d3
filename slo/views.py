"""HTML pages of the slo app: SLO list and detail (charts, explained numbers), create/edit with a 24 h
preview, delete, OpenSLO import; services list/detail/edit/delete."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlencode

from django.contrib import messages
from django.core.cache import cache
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views import View

from alerts.selectors import firing_alert_counts
from releases.selectors import service_page_releases, slo_page_releases
from slo import charts
from slo.forms import ImportForm, ServiceForm, SloForm
from slo.interchange import openslo_import
from slo.models import SLO, Service
from slo.previews import sli_preview
from slo.selectors import (
    service_get,
    service_incident_spans,
    service_incidents,
    service_list,
    slo_burn_alerts,
    slo_count,
    slo_firing_alerts,
    slo_get,
    slo_list,
    slo_list_ranked,
    slo_saved_at,
    slo_sparkline,
)
from slo.selectors.buckets import latency_no_data_note
from slo.selectors.series import slo_chart_counts
from slo.services import service_delete, service_save, slo_delete, slo_evaluate, slo_save
from sre import pagecache
from sre.auth.views import RoleRequiredMixin
from sre.choices import Role
from sre.domain.timewords import duration_words
from sre.errors import DomainError
from telemetry.selectors import label_suggestions, metric_name_suggestions

SLI_FIELD = {
    ("ratio", "good"): "ratio_numerator_selector",
    ("ratio", "bad"): "ratio_numerator_selector",
    ("ratio", "total"): "ratio_total_selector",
    ("promql", "good"): "promql_numerator_query",
    ("promql", "bad"): "promql_numerator_query",
    ("promql", "total"): "promql_total_query",
    ("log", "service"): "log_service",
    ("log", "bad_query"): "log_bad_query",
    ("log", "bad_levels"): "log_bad_levels",
    ("latency", "selector"): "latency_selector",
    ("latency", "threshold"): "latency_threshold",
}


def _slo_or_404(pk: int) -> SLO:
    slo = slo_get(slo_id=pk)
    if slo is None:
        raise Http404("No such SLO.")
    return slo


def _service_or_404(pk: int) -> Service:
    service = service_get(service_id=pk)
    if service is None:
        raise Http404("No such service.")
    return service


POLICY_ITEM = re.compile(r"^alert_policy\[(\d+)\](?:\.(\w+))?$")


def _errors_to_form(form, exc: DomainError, kind: str = "") -> None:
    placed = False
    for field, errors in exc.fields.items():
        target = field
        if field.startswith("sli."):
            target = SLI_FIELD.get((kind, field[4:]), "")
        elif field.startswith("alert_policy"):
            target = "alert_policy"
            row = POLICY_ITEM.match(field)
            if row and isinstance(form, SloForm):  # on its row of the policy table, in words
                what = (row.group(2) or "").replace("_", " ")
                for error in errors:
                    form.add_policy_error(int(row.group(1)), f"{what.capitalize()}: {error}" if what else error)
                form.add_error("alert_policy", f"Row {int(row.group(1)) + 1}: {(what + ': ') if what else ''}"
                               f"{' '.join(errors)}")  # fmt: skip
                placed = True
                continue
        if target in form.fields:
            for error in errors:
                form.add_error(target, error)
            placed = True
    if not placed:
        form.add_error(None, exc.message)


def _partial(request: HttpRequest) -> bool:
    """An htmx live refresh (hx-get every 30 s): answer the page's body only."""
    return request.headers.get("HX-Request") == "true"


SLOS_PER_PAGE = 50
DATA_FILTERS = {"no_data": "No data yet", "at_risk": "Below 25% budget"}


def _slo_filtered(request: HttpRequest) -> tuple:
    """The SLO list's rows for ``?q=`` and ``?data=`` (``slo_list_ranked``) and the filters as understood."""
    filters = {"q": request.GET.get("q", "").replace("\x00", "").strip()[:100], "data": request.GET.get("data", "")}
    if filters["data"] not in DATA_FILTERS:
        filters["data"] = ""
    return slo_list_ranked(text=filters["q"], data=filters["data"]), filters


class IndexView(RoleRequiredMixin, View):
    """SLOs sorted by remaining budget (least first, no data last), with sparklines; services below.
    Live refresh: htmx asks for the list fragment every 30 s."""

    @pagecache.shared_page("slo:index")
    def get(self, request: HttpRequest) -> HttpResponse:
        wanted = request.GET.get("slo", "").replace("\x00", "")  # PostgreSQL text cannot hold NUL
        if wanted:  # notification links name an SLO by its labels: ?service=<service>&slo=<name>
            service = request.GET.get("service", "").replace("\x00", "")
            found = list(slo_list(service=service, name=wanted)[:2])
            if len(found) == 1:  # ambiguous (no service, two services' SLOs of that name): the list
                return redirect("slo:detail", pk=found[0].pk)
        list_html, services_html, filters = _index_parts(request)
        if _partial(request):
            return HttpResponse(list_html)
        context = {"list_html": list_html, "services_html": services_html, "filters": filters}
        return render(request, "slo/index.html", context)


def _index_parts(request: HttpRequest) -> tuple[str, str, dict]:
    """The SLO list's rendered rows (with sparklines and firing counts) and services table."""
    now = timezone.now()
    since = now - dt.timedelta(hours=24)
    found, filters = _slo_filtered(request)
    page = Paginator(found, SLOS_PER_PAGE).get_page(request.GET.get("page"))
    slos = list(page.object_list)
    lines = slo_sparkline(slos=slos, since=since, now=now)
    firing = firing_alert_counts(source="slo", by=("service", "slo"))
    for s in slos:
        s.remaining = (s.status.get("error_budget") or {}).get("remaining_ratio")
        points = lines.get(s.pk, [])
        span = now.timestamp() - points[0][0] if points else 0
        s.spark_label = f"Budget remaining over the last {duration_words(span, parts=1)}" if span else ""
        s.sparkline = charts.sparkline_path(points, start=points[0][0], end=now.timestamp()) if points else ""
        s.firing = firing.get((s.service.name, s.name), 0)
    params = urlencode({k: v for k, v in filters.items() if v})
    context = {"slos": slos, "now": now, "page": page, "filters": filters, "params": params}
    list_html = render_to_string("slo/_list.html", context, request)
    services_html = render_to_string("slo/_services.html", {"services": service_list()}, request)
    return list_html, services_html, filters


class SloDetailView(RoleRequiredMixin, View):
    """One SLO: its numbers, charts over a range (?range=1h|6h|1d|7d|30d) with releases and incidents on the time
    axis, the policy table in words, and how every number is computed. Live refresh every 30 s (htmx)."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        saved = slo_saved_at(slo_id=pk)
        if saved is None:
            raise Http404("No such SLO.")
        # The page (evaluation, charts, policy, alerts) is shared for pagecache.TTL seconds by everyone of a role
        # asking for this SLO and range; the key holds when the SLO was last saved, so an edit shows at once.
        name = f"slo:detail:{pk}:{saved.timestamp()}"
        return pagecache.page(request, name, lambda: self._respond(request, _slo_or_404(pk)))

    def _respond(self, request: HttpRequest, slo: SLO) -> HttpResponse:
        range_name = charts.range_key(request.GET.get("range"))
        body = _detail_body(request, slo, range_name)
        if _partial(request):
            return HttpResponse(body)
        context = {
            "slo": slo,
            "range_name": range_name,
            "ranges": [(key, charts.RANGE_LABELS[key]) for key in charts.RANGES],
            "body_html": body,
        }
        return render(request, "slo/detail.html", context)


CHART_CACHE_SECONDS = 60


def _detail_charts(slo: SLO, result, *, now: dt.datetime, range_name: str) -> dict:
    """``charts.detail_charts`` kept for the rest of the current minute (at most 60 s) per SLO, last save and range:
    the buckets come from the minute rollups, which the evaluator and the rollup task write once a minute, and the
    charts were ~40 % of the page's time. An edit of the SLO changes its ``updated_at`` and so the key."""
    stamp = slo.updated_at.timestamp() if slo.updated_at else ""
    key = f"slo:charts:{slo.pk}:{stamp}:{range_name}:{int(now.timestamp()) // 60}"
    found = cache.get(key)
    if found is None:
        length, step = charts.RANGES[range_name]
        window_start = now - dt.timedelta(seconds=result.document["window"]["seconds"])
        counts = slo_chart_counts(
            slo=slo, start=now - dt.timedelta(seconds=length), end=now, step=step, window_start=window_start
        )
        found = charts.detail_charts(slo, result, now=now, counts=counts, range_name=range_name)
        cache.set(key, found, CHART_CACHE_SECONDS)
    return found


def _detail_body(request: HttpRequest, slo: SLO, range_name: str) -> str:
    now = timezone.now().replace(microsecond=0)
    result = slo_evaluate(slos=[slo], now=now)[0]
    start = now - dt.timedelta(seconds=charts.RANGES[range_name][0])
    releases = slo_page_releases(slo=slo, start=start, now=now)  # markers on the charts, the deploy gate
    incidents = service_incident_spans(slo.service, start=start, end=now)
    chart_data = {
        **_detail_charts(slo, result, now=now, range_name=range_name),
        "releases": releases["markers"],
        "incidents": charts.incident_markers(incidents, now=now),
    }
    context = {
        "slo": slo,
        "status": result.document,
        "explain": charts.explanation(slo, result),
        "chart_data": chart_data,
        "range_name": range_name,
        "ranges": [(key, charts.RANGE_LABELS[key]) for key in charts.RANGES],
        "policy": charts.policy_rows(result.document, slo_burn_alerts(slo)),
        "firing_alerts": slo_firing_alerts(slo),
        "incidents": service_incidents(slo.service),
        "releases": releases,
        "now": now,
    }
    return render_to_string("slo/_detail_body.html", context, request)


class SuggestView(RoleRequiredMixin, View):
    """Autocomplete of the SLO form's selectors, from the stored series (JSON, viewers and up):
    ``?kind=metric&q=http`` metric names; ``?kind=label&metric=M&q=se`` label names of M;
    ``?kind=value&metric=M&label=L&q=ch`` values of L on M. At most ``limit`` (20, up to 50) answers."""

    def get(self, request: HttpRequest) -> HttpResponse:
        def param(name: str, default: str = "") -> str:  # PostgreSQL text cannot hold NUL: no name has one
            return request.GET.get(name, default).replace("\x00", "")[:200]

        kind = param("kind", "metric")
        text = param("q")
        try:
            limit = max(1, min(50, int(request.GET.get("limit", "20"))))
        except ValueError:
            return JsonResponse({"error": "limit: a whole number from 1 to 50."}, status=400)
        metric, label = param("metric"), param("label")
        if kind == "metric":
            found = metric_name_suggestions(text=text, limit=limit)
        elif kind in ("label", "value") and metric:
            if kind == "value" and not label:
                return JsonResponse({"error": "label: which label's values to suggest."}, status=400)
            found = label_suggestions(metric=metric, label=label if kind == "value" else "", text=text, limit=limit)
        else:
            return JsonResponse({"error": "kind: metric, label or value (label and value need metric)."}, status=400)
        return JsonResponse({"kind": kind, "suggestions": found})


class _SloFormView(RoleRequiredMixin, View):
    read_role = Role.ADMIN

    def _render(self, request: HttpRequest, form: SloForm, slo: SLO | None) -> HttpResponse:
        status = 400 if form.is_bound and form.errors else 200
        return render(request, "slo/form.html", {"form": form, "slo": slo}, status=status)

    def _save(self, request: HttpRequest, slo: SLO | None) -> HttpResponse:
        form = SloForm(request.POST, policy=slo.alert_policy if slo else None)
        if not form.is_valid():
            return self._render(request, form, slo)
        try:
            saved = slo_save(slo=slo, data=form.cleaned_for_service())
        except DomainError as exc:
            _errors_to_form(form, exc, form.cleaned_data.get("sli_kind", ""))
            return self._render(request, form, slo)
        messages.success(request, f"SLO “{saved.name}” saved. Its status appears at the next evaluation.")
        note = latency_no_data_note(kind=saved.sli_kind, sli=saved.sli)
        if note:
            messages.warning(request, note)
        return redirect("slo:detail", pk=saved.pk)


class SloCreateView(_SloFormView):
    def get(self, request: HttpRequest) -> HttpResponse:
        initial = {}
        if request.GET.get("service"):
            initial["service"] = request.GET["service"]
        return self._render(request, SloForm(initial=initial), None)

    def post(self, request: HttpRequest) -> HttpResponse:
        return self._save(request, None)


class SloEditView(_SloFormView):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        slo = _slo_or_404(pk)
        return self._render(request, SloForm(initial=SloForm.initial_from(slo), policy=slo.alert_policy), slo)

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self._save(request, _slo_or_404(pk))


class SloPreviewView(RoleRequiredMixin, View):
    """POST the form: an HTML fragment with the SLI over the last 24 h (htmx target in the form)."""

    def post(self, request: HttpRequest) -> HttpResponse:
        form = SloForm(request.POST)
        form.is_valid()  # the preview only needs the SLI fields
        context: dict = {}
        try:
            kind = form.cleaned_data.get("sli_kind") or request.POST.get("sli_kind", "")
            target = form.target_ratio()
            if form.errors.get("target"):  # compared with the default: say so rather than judge a typo silently
                context["target_error"] = form.errors["target"][0]
            preview = sli_preview(sli_kind=kind, sli=form.sli_spec(), target=target, now=timezone.now())
            context["preview"] = preview
            context["points"] = charts.sparkline_points([p["sli"] for p in preview["points"]], width=480, height=80)
        except DomainError as exc:
            context["error"] = exc.message
        return render(request, "slo/_preview.html", context)


class SloDeleteView(RoleRequiredMixin, View):
    read_role = Role.ADMIN

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return render(request, "slo/delete_confirm.html", {"object": _slo_or_404(pk), "kind": "SLO"})

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        slo = _slo_or_404(pk)
        slo_delete(slo=slo, now=timezone.now())
        messages.success(request, f"SLO “{slo.name}” deleted; its burn alerts were resolved.")
        return redirect("slo:index")


class ImportView(RoleRequiredMixin, View):
    read_role = Role.ADMIN

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, "slo/import.html", {"form": ImportForm()})

    def post(self, request: HttpRequest) -> HttpResponse:
        form = ImportForm(request.POST)
        report = None
        if form.is_valid():
            try:
                report = openslo_import(text=form.cleaned_data["documents"], dry_run=form.cleaned_data["dry_run"])
            except DomainError as exc:
                form.add_error(None, exc.message)
                for line in [x for lines in exc.fields.values() for x in lines][1:]:
                    form.add_error(None, line)
        status = 400 if form.errors else 200
        return render(request, "slo/import.html", {"form": form, "report": report}, status=status)


class ServiceDetailView(RoleRequiredMixin, View):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        service = _service_or_404(pk)
        slos = list(service.slos.all())
        firing = firing_alert_counts(source="slo", by=("service", "slo"))
        for s in slos:
            s.remaining = (s.status.get("error_budget") or {}).get("remaining_ratio")
            s.firing = firing.get((service.name, s.name), 0)
        incidents = service_incidents(service)
        releases = service_page_releases(service=service, now=timezone.now())  # deploy gate, recent deployments
        context = {"service": service, "slos": slos, "incidents": incidents, "releases": releases}
        return render(request, "slo/service_detail.html", context)


class _ServiceFormView(RoleRequiredMixin, View):
    read_role = Role.ADMIN

    def _render(self, request: HttpRequest, form: ServiceForm, service: Service | None) -> HttpResponse:
        status = 400 if form.is_bound and form.errors else 200
        return render(request, "slo/service_form.html", {"form": form, "service": service}, status=status)

    def _save(self, request: HttpRequest, service: Service | None) -> HttpResponse:
        form = ServiceForm(request.POST)
        if not form.is_valid():
            return self._render(request, form, service)
        try:
            saved = service_save(service=service, data=form.cleaned_data)
        except DomainError as exc:
            _errors_to_form(form, exc)
            return self._render(request, form, service)
        messages.success(request, f"Service “{saved.name}” saved.")
        return redirect("slo:service-detail", pk=saved.pk)


class ServiceCreateView(_ServiceFormView):
    def get(self, request: HttpRequest) -> HttpResponse:
        return self._render(request, ServiceForm(), None)

    def post(self, request: HttpRequest) -> HttpResponse:
        return self._save(request, None)


class ServiceEditView(_ServiceFormView):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        service = _service_or_404(pk)
        return self._render(request, ServiceForm(initial=ServiceForm.initial_from(service)), service)

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self._save(request, _service_or_404(pk))


class ServiceDeleteView(RoleRequiredMixin, View):
    read_role = Role.ADMIN

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        service = _service_or_404(pk)
        return render(
            request,
            "slo/delete_confirm.html",
            {"object": service, "kind": "service", "slo_count": slo_count(service_id=service.pk)},
        )

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        service = _service_or_404(pk)
        service_delete(service=service)
        messages.success(request, f"Service “{service.name}” and its SLOs deleted.")
        return redirect("slo:index")
