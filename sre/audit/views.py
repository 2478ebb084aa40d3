"""Settings → Audit (admins): the trail with filters, each entry's before/after, CSV and JSON exports."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views import View

from sre.audit.choices import AuditAction
from sre.audit.domain.diff import field_changes
from sre.audit.exports import EXPORT_CHUNK, csv_stream, json_stream
from sre.audit.filters import AuditEntryFilter
from sre.audit.selectors import audit_list
from sre.audit.services import audit_export
from sre.auth.views import RoleRequiredMixin
from sre.choices import Role

PAGE_SIZE = 50


def _shown(value: Any) -> str:
    return "—" if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)


def _filter(request: HttpRequest) -> AuditEntryFilter:
    return AuditEntryFilter(request.GET, queryset=audit_list())


def _params(filterset: AuditEntryFilter) -> dict[str, str]:
    """The filters in use, for links (pages, exports)."""
    return {k: v for k, v in filterset.data.items() if k in filterset.filters and v}


class AuditListView(RoleRequiredMixin, View):
    read_role = Role.ADMIN
    write_role = Role.ADMIN

    def get(self, request: HttpRequest) -> HttpResponse:
        filterset = _filter(request)
        status = 200 if filterset.is_valid() else 400
        queryset = filterset.qs if status == 200 else audit_list().none()
        page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
        for entry in page.object_list:
            entry.changes = [
                {"name": c.name, "kind": c.kind, "before": _shown(c.before), "after": _shown(c.after)}
                for c in field_changes(before=entry.before, after=entry.after)
            ]
            entry.detail_text = _shown(entry.detail) if entry.detail else ""
        params = _params(filterset)
        context = {
            "filter": filterset,
            "page": page,
            "params": urlencode(params),
            "query": params,
            "filtered": bool(params),
            "actions": AuditAction.choices,
        }
        return render(request, "audit/list.html", context, status=status)


class AuditExportView(RoleRequiredMixin, View):
    """The filtered entries (oldest first) as a streamed download; the export itself is recorded first."""

    read_role = Role.ADMIN
    write_role = Role.ADMIN

    def get(self, request: HttpRequest, fmt: str) -> HttpResponse:
        filterset = _filter(request)
        if not filterset.is_valid():
            return HttpResponse(json.dumps(filterset.errors), status=400, content_type="application/json")
        params = _params(filterset)
        audit_export(what="audit", fmt=fmt, detail={"filters": params})
        entries = filterset.qs.order_by("pk").iterator(chunk_size=EXPORT_CHUNK)
        stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
        if fmt == "csv":
            response = StreamingHttpResponse(csv_stream(entries), content_type="text/csv; charset=utf-8")
        else:
            meta = {"exported_at": timezone.now().isoformat(), "filters": params}
            response = StreamingHttpResponse(json_stream(entries, meta=meta), content_type="application/json")
        response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.{fmt}"'
        return response
