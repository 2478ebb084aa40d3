"""Audit API for admins: the trail (read-only, filtered like the page) and a verification of its chain."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from sre.api.permissions import READ_ADMIN
from sre.audit.api.serializers import AuditEntrySerializer, AuditVerifySerializer
from sre.audit.filters import AuditEntryFilter
from sre.audit.selectors import audit_chain_verify, audit_list


class AuditEntryViewSet(viewsets.ReadOnlyModelViewSet):
    """Audit entries, newest first. Admins only (``read`` scope for tokens)."""

    queryset = audit_list()
    serializer_class = AuditEntrySerializer
    filterset_class = AuditEntryFilter
    access = {"list": READ_ADMIN, "retrieve": READ_ADMIN}


class AuditVerifyView(APIView):
    """Walks the whole hash chain (from the newest retention anchor) and says where it first breaks."""

    access = {"get": READ_ADMIN}

    @extend_schema(responses=AuditVerifySerializer)
    def get(self, request: Request) -> Response:
        verdict = audit_chain_verify()
        data = {
            "ok": verdict.ok,
            "count": verdict.count,
            "broken_at": verdict.broken_at,
            "reason": verdict.reason,
            "head": verdict.head,
        }
        return Response(AuditVerifySerializer(data).data)
