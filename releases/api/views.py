"""Releases API: the deploy gate CI asks before releasing, its overrides, deployments and budget policies.

Roles (``sre.api.permissions``): reading needs the viewer role and the ``read`` scope (the gate included, so a
CI token with ``read`` alone can ask it); recording a deployment, and creating or revoking a gate override, need
the responder role and the ``write`` scope (CI records deployments as a responder service account: a deployment
can trigger a rollback webhook, more than an ``ingest`` token should be able to do); budget policies are
configuration (admin, ``write``)."""

from __future__ import annotations

import django_filters
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from releases.api import serializers as s
from releases.models import BudgetPolicy, Deployment, GateOverride
from releases.selectors import deploy_gate, deployment_list, override_list, policy_list, service_by_name
from releases.services.deployments import deployment_record
from releases.services.gate import override_create, override_revoke
from releases.services.policies import KEEP, policy_delete, policy_save
from slo.models import Service
from sre.api.filters import StrictBooleanFilter, StrictFilterSet
from sre.api.permissions import READ, RESPOND
from sre.errors import InvalidInputError, NotFoundError
from sre.models import ApiToken


def _service(name: str, *, not_found: type[InvalidInputError] = InvalidInputError) -> Service:
    service = service_by_name(name)
    if service is None:
        message = f"No service named {name!r}."
        raise not_found(message, fields={"service": [message]})
    return service


def gate_payload(service: Service, *, now) -> dict:
    gate = deploy_gate(service=service, now=now)
    override = gate.override
    return {
        "decision": gate.decision,
        "service": service.name,
        "frozen": gate.frozen,
        "reasons": [
            {
                "slo": r.slo,
                "slo_id": r.slo_id,
                "consumed_percent": round(float(r.consumed_percent), 2),
                "since": r.since,
            }
            for r in gate.reasons
        ],
        "override": None
        if override is None
        else {
            "id": override.id,
            "reason": override.reason,
            "created_by": override.created_by,
            "created_at": override.created_at,
            "expires_at": override.expires_at,
        },
        "evaluated_at": now,
    }


class DeployGateView(APIView):
    """``allow`` or ``deny`` for releasing a service now, with the reasons: each SLO whose policy freezes releases
    and whose error budget is spent (how much, since when), and the override that lifts the freeze, if any. CI
    fails its deploy job on ``deny`` (README, "Error-budget policy and deploy gate")."""

    access = {"get": READ}

    @extend_schema(
        parameters=[s.DeployGateQuerySerializer],
        responses={200: s.DeployGateSerializer, 404: OpenApiResponse(description="No service of that name.")},
    )
    def get(self, request: Request) -> Response:
        query = s.DeployGateQuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        service = _service(query.validated_data["service"], not_found=NotFoundError)
        return Response(s.DeployGateSerializer(gate_payload(service, now=timezone.now())).data)


class DeployGateOverrideFilter(StrictFilterSet):
    service = django_filters.CharFilter(field_name="service__name", help_text="The service's name.")
    active = StrictBooleanFilter(method="filter_active", help_text="Only active (or only ended) overrides.")

    class Meta:
        model = GateOverride
        fields = ["service", "active"]

    def filter_active(self, queryset, name, value):
        now = timezone.now()
        live = {"revoked_at__isnull": True, "expires_at__gt": now}
        return queryset.filter(**live) if value else queryset.exclude(**live)


class DeployGateOverrideViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Overrides of the deploy gate: a responder lifts a service's freeze until an expiry, with a reason (recorded
    in the audit trail); ``revoke`` ends one early. Overrides are never deleted."""

    queryset = override_list()
    serializer_class = s.DeployGateOverrideSerializer
    filterset_class = DeployGateOverrideFilter
    access = {"create": RESPOND, "revoke": RESPOND}

    @extend_schema(request=s.DeployGateOverrideCreateSerializer, responses={201: s.DeployGateOverrideSerializer})
    def create(self, request: Request) -> Response:
        payload = s.DeployGateOverrideCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        override = override_create(
            service=_service(data["service"]),
            reason=data["reason"],
            expires_at=data["expires_at"],
            user=request.user,
            now=timezone.now(),
        )
        return Response(s.DeployGateOverrideSerializer(override).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=s.DeployGateOverrideSerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, pk: str | None = None) -> Response:
        """End an active override now (409 when it is already revoked or expired)."""
        override = override_revoke(override=self.get_object(), user=request.user, now=timezone.now())
        return Response(s.DeployGateOverrideSerializer(override).data)


class DeploymentFilter(StrictFilterSet):
    service = django_filters.CharFilter(field_name="service__name", help_text="The service's name.")
    after = django_filters.IsoDateTimeFilter(field_name="at", lookup_expr="gte")
    before = django_filters.IsoDateTimeFilter(field_name="at", lookup_expr="lt")

    class Meta:
        model = Deployment
        fields = ["service", "version", "watch_state", "rollback_state"]


class DeploymentViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Deployments, newest first: what was released, when, by whom, its release-burn watch and the rollback
    webhook's ledger. ``POST`` records one (CI, with a responder's token and the ``write`` scope)."""

    queryset = deployment_list()
    serializer_class = s.DeploymentSerializer
    filterset_class = DeploymentFilter
    access = {"create": RESPOND}

    @extend_schema(
        request=s.DeploymentCreateSerializer, responses={201: s.DeploymentSerializer, 200: s.DeploymentSerializer}
    )
    def create(self, request: Request) -> Response:
        payload = s.DeploymentCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        now = timezone.now()
        deployment = deployment_record(
            service=_service(data["service"]),
            version=data["version"],
            at=data.get("at"),
            url=data.get("url", ""),
            description=data.get("description", ""),
            user=request.user,
            token=request.auth if isinstance(request.auth, ApiToken) else None,
            idempotency_key=data.get("idempotency_key", ""),
            now=now,
        )
        created = deployment.created_at == now  # else a retry returned the first record of its idempotency key
        return Response(
            s.DeploymentSerializer(deployment).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )


class ReleaseBudgetPolicyFilter(StrictFilterSet):
    service = django_filters.CharFilter(field_name="service__name", help_text="The service's name.")

    class Meta:
        model = BudgetPolicy
        fields = ["service"]


class BudgetPolicyViewSet(viewsets.ModelViewSet):
    """Error-budget policies (admin): a service's, and optionally one per SLO that replaces its service's. The
    rollback webhook's secret is write-only."""

    queryset = policy_list()
    serializer_class = s.ReleaseBudgetPolicySerializer
    filterset_class = ReleaseBudgetPolicyFilter

    def _save(self, serializer, instance: BudgetPolicy | None) -> None:
        data = dict(serializer.validated_data)
        secret = data.pop("rollback_webhook_secret", KEEP)
        serializer.instance = policy_save(policy=instance, data=data, secret=secret)

    def perform_create(self, serializer) -> None:
        self._save(serializer, None)

    def perform_update(self, serializer) -> None:
        self._save(serializer, serializer.instance)

    def perform_destroy(self, instance: BudgetPolicy) -> None:
        policy_delete(policy=instance)
