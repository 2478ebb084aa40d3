"""API views of the incidents app. Viewers read; responders declare and run incidents (RESPOND); admins
configure severities and policies and may delete (CONFIGURE)."""

from __future__ import annotations

import csv
import io

from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from incidents import services
from incidents.api import serializers as s
from incidents.budget import budget_impact
from incidents.choices import IncidentStatus, TimelineKind
from incidents.exports import postmortem_markdown, timeline_csv_rows
from incidents.insights import response_report
from incidents.models import Incident
from incidents.selectors import (
    incident_detail,
    incident_list,
    incident_postmortem,
    incident_timeline,
    incident_updates,
)
from sre.api.permissions import READ, RESPOND
from sre.audit.services import audit_export
from sre.domain.ids import parse_id
from sre.errors import InvalidInputError


def actor_of(request: Request) -> str:
    return request.user.get_username()


def timeline_item_json(item) -> dict:
    return {
        "at": item.at.isoformat().replace("+00:00", "Z"),
        "kind": item.kind,
        "kind_label": str(item.kind_label),
        "actor": item.actor,
        "message": item.message,
        "source": item.source,
        "group_id": item.group_id,
        "data": item.data or {},
    }


def _valid(serializer_class, request: Request, **kwargs):
    serializer = serializer_class(data=request.data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class IncidentViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet
):
    """Incidents, open first. Filters: ``?status=`` (a status, ``open`` or ``closed``), ``?severity=``,
    ``?service=``, ``?q=``. Edits carry ``version``; a stale one gets 409 ``stale``. Invalid transitions get
    409 with ``fields.allowed_next``."""

    lookup_value_regex = r"\d+"
    access = {
        "list": READ,
        "retrieve": READ,
        "timeline": READ,
        "budget_impact": READ,
        "metrics": READ,
        "postmortem_export": READ,
        "create": RESPOND,
        "partial_update": RESPOND,
        "from_alert_group": RESPOND,
        "transition": RESPOND,
        "acknowledge": RESPOND,
        "roles": RESPOND,
        "timestamps": RESPOND,
        "components": RESPOND,
        "alert_groups": RESPOND,
        "unlink_alert_group": RESPOND,
        "notes": RESPOND,
        "updates": READ,
        "updates_create": RESPOND,
        "postmortem": READ,
        "postmortem_create": RESPOND,
        "postmortem_save": RESPOND,
        "postmortem_transition": RESPOND,
    }

    def get_serializer_class(self):
        return s.IncidentsIncidentSerializer if self.action == "list" else s.IncidentsIncidentDetailSerializer

    def get_queryset(self):
        p = self.request.query_params
        if self.action == "list":
            return incident_list(
                status=p.get("status", ""),
                severity=p.get("severity", ""),
                service=p.get("service", ""),
                q=p.get("q", ""),
            )

        return Incident.objects.all()

    def perform_destroy(self, instance) -> None:
        services.incident_delete(incident_id=instance.pk, actor=actor_of(self.request), now=timezone.now())

    def _detail(self, incident_id: int, code: int = status.HTTP_200_OK) -> Response:
        return Response(s.IncidentsIncidentDetailSerializer(incident_detail(incident_id=incident_id)).data, status=code)

    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        self.get_object()
        return self._detail(int(pk))

    @extend_schema(request=s.IncidentsIncidentCreateSerializer, responses={201: s.IncidentsIncidentDetailSerializer})
    def create(self, request: Request) -> Response:
        data = _valid(s.IncidentsIncidentCreateSerializer, request)
        incident = services.incident_create(
            title=data["title"],
            public_title=data.get("public_title", ""),
            summary=data.get("summary", ""),
            severity=data["severity"],
            services=data.get("services", []),
            components=[(c["component"], c["status"]) for c in data.get("components", [])],
            started_at=data.get("started_at"),
            detected_at=data.get("detected_at"),
            commander=data.get("commander"),
            alert_group_ids=data.get("alert_groups", []),
            actor=actor_of(request),
            now=timezone.now(),
        )
        return self._detail(incident.pk, status.HTTP_201_CREATED)

    @extend_schema(request=s.IncidentsIncidentUpdateSerializer, responses=s.IncidentsIncidentDetailSerializer)
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        self.get_object()
        data = dict(_valid(s.IncidentsIncidentUpdateSerializer, request))
        version = data.pop("version")
        services.incident_update(
            incident_id=int(pk), version=version, actor=actor_of(request), now=timezone.now(), changes=data
        )
        return self._detail(int(pk))

    @extend_schema(request=s.IncidentsFromGroupSerializer, responses={201: s.IncidentsIncidentDetailSerializer})
    @action(detail=False, methods=["post"], url_path="from-alert-group")
    def from_alert_group(self, request: Request) -> Response:
        """Declare an incident from an alert group, prefilled from its alerts; the group is linked."""
        data = _valid(s.IncidentsFromGroupSerializer, request)
        incident = services.incident_create_from_group(
            group_id=data["group_id"],
            severity=data.get("severity"),
            title=data.get("title", ""),
            public_title=data.get("public_title", ""),
            actor=actor_of(request),
            now=timezone.now(),
        )
        return self._detail(incident.pk, status.HTTP_201_CREATED)

    @extend_schema(request=s.IncidentsTransitionSerializer, responses=s.IncidentsIncidentDetailSerializer)
    @action(detail=True, methods=["post"])
    def transition(self, request: Request, pk: str | None = None) -> Response:
        data = _valid(s.IncidentsTransitionSerializer, request)
        if data.get("public_update", "").strip():
            if data["status"] != IncidentStatus.RESOLVED:
                raise InvalidInputError(
                    "A final public update goes with status resolved; post other updates to updates/.",
                    fields={"public_update": ["Only with status resolved."]},
                )
            services.incident_resolve(
                incident_id=int(pk),
                public_body=data["public_update"],
                version=data.get("version"),
                note=data.get("note", ""),
                actor=actor_of(request),
                now=timezone.now(),
            )
            return self._detail(int(pk))
        services.incident_transition(
            incident_id=int(pk),
            target=data["status"],
            version=data.get("version"),
            note=data.get("note", ""),
            actor=actor_of(request),
            now=timezone.now(),
        )
        return self._detail(int(pk))

    @extend_schema(request=None, responses=s.IncidentsIncidentDetailSerializer)
    @action(detail=True, methods=["post"])
    def acknowledge(self, request: Request, pk: str | None = None) -> Response:
        services.incident_acknowledge(
            incident_id=int(pk), actor=actor_of(request), user=request.user, now=timezone.now()
        )
        return self._detail(int(pk))

    @extend_schema(request=s.IncidentsRolesSerializer, responses=s.IncidentsIncidentDetailSerializer)
    @action(detail=True, methods=["post"])
    def roles(self, request: Request, pk: str | None = None) -> Response:
        data = dict(_valid(s.IncidentsRolesSerializer, request))
        version = data.pop("version", None)
        services.incident_set_roles(
            incident_id=int(pk), roles=data, version=version, actor=actor_of(request), now=timezone.now()
        )
        return self._detail(int(pk))

    @extend_schema(request=s.IncidentsTimestampsSerializer, responses=s.IncidentsIncidentDetailSerializer)
    @action(detail=True, methods=["post"])
    def timestamps(self, request: Request, pk: str | None = None) -> Response:
        data = dict(_valid(s.IncidentsTimestampsSerializer, request))
        version = data.pop("version")
        if data.get("started_at", 0) is None:
            raise InvalidInputError("An incident needs a start time.", fields={"started_at": ["Required."]})
        services.incident_set_timestamps(
            incident_id=int(pk), values=data, version=version, actor=actor_of(request), now=timezone.now()
        )
        return self._detail(int(pk))

    @extend_schema(request=s.IncidentsComponentsSerializer, responses=s.IncidentsIncidentDetailSerializer)
    @action(detail=True, methods=["put"])
    def components(self, request: Request, pk: str | None = None) -> Response:
        data = _valid(s.IncidentsComponentsSerializer, request)
        impacts = [(c["component"], c["status"]) for c in data["components"]]
        services.incident_set_components(
            incident_id=int(pk),
            impacts=impacts,
            version=data.get("version"),
            actor=actor_of(request),
            now=timezone.now(),
        )
        return self._detail(int(pk))

    @extend_schema(request=s.IncidentsLinkGroupSerializer, responses=s.IncidentsIncidentDetailSerializer)
    @action(detail=True, methods=["post"], url_path="alert-groups")
    def alert_groups(self, request: Request, pk: str | None = None) -> Response:
        data = _valid(s.IncidentsLinkGroupSerializer, request)
        services.incident_link_group(
            incident_id=int(pk), group_id=data["group_id"], actor=actor_of(request), now=timezone.now()
        )
        return self._detail(int(pk))

    @extend_schema(request=None, responses=s.IncidentsIncidentDetailSerializer)
    @action(detail=True, methods=["delete"], url_path=r"alert-groups/(?P<group_id>\d+)")
    def unlink_alert_group(self, request: Request, pk: str | None = None, group_id: str = "") -> Response:
        services.incident_unlink_group(
            incident_id=int(pk), group_id=int(group_id), actor=actor_of(request), now=timezone.now()
        )
        return self._detail(int(pk))

    @extend_schema(
        parameters=[
            OpenApiParameter("kind", str, many=True, enum=TimelineKind.values),
            OpenApiParameter("export", str, enum=["csv"]),
            OpenApiParameter(
                "latest",
                {"type": "integer", "minimum": 1, "maximum": 100_000},
                description="Only the latest N entries.",
            ),
        ],
        responses={
            (200, "application/json"): s.IncidentsTimelineItemSerializer(many=True),
            (200, "text/csv"): OpenApiTypes.STR,
        },
    )
    @action(detail=True, methods=["get"], pagination_class=None)  # the whole timeline (``latest`` cuts it)
    def timeline(self, request: Request, pk: str | None = None) -> Response | HttpResponse:
        """The merged timeline, oldest first; ``?kind=note&kind=status`` filters, ``?export=csv`` downloads."""
        incident = self.get_object()
        kinds = request.query_params.getlist("kind")
        bad = sorted(set(kinds) - set(TimelineKind.values))
        if bad:
            raise InvalidInputError(
                f"Unknown kind(s): {', '.join(bad)}.", fields={"kind": [f"Use {', '.join(TimelineKind.values)}."]}
            )
        latest_text = request.query_params.get("latest", "")
        latest = parse_id(latest_text, max_digits=6)
        if latest_text and (latest is None or latest > 100_000):
            raise InvalidInputError("latest must be a whole number from 1 to 100,000.", fields={"latest": ["Invalid."]})
        items = incident_timeline(incident=incident, kinds=kinds, latest=latest)
        if request.query_params.get("export") == "csv":
            buffer = io.StringIO()
            csv.writer(buffer).writerows(timeline_csv_rows(items))
            audit_export(what="incident-timeline", fmt="csv", obj=incident)
            response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
            response["Content-Disposition"] = f'attachment; filename="incident-{incident.pk}-timeline.csv"'
            return response
        # Plain dicts: a long timeline through a serializer per row costs more than the query.
        return Response([timeline_item_json(item) for item in items])

    @extend_schema(request=s.IncidentsNoteSerializer, responses={201: s.IncidentsTimelineItemSerializer})
    @action(detail=True, methods=["post"])
    def notes(self, request: Request, pk: str | None = None) -> Response:
        data = _valid(s.IncidentsNoteSerializer, request)
        entry = services.timeline_note_add(
            incident_id=int(pk), body=data["body"], at=data.get("at"), actor=actor_of(request), now=timezone.now()
        )
        body = {
            "at": entry.at,
            "kind": entry.kind,
            "kind_label": "Note",
            "actor": entry.actor,
            "message": entry.message,
            "source": "incident",
            "group_id": None,
            "data": entry.data,
        }
        return Response(s.IncidentsTimelineItemSerializer(body).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[OpenApiParameter("visibility", str)], responses=s.IncidentsStatusUpdateSerializer(many=True)
    )
    @action(detail=True, methods=["get"], pagination_class=None)  # the latest 500, not paginated
    def updates(self, request: Request, pk: str | None = None) -> Response:
        """Status updates, newest first (``?visibility=public``)."""
        rows = incident_updates(incident=self.get_object(), visibility=request.query_params.get("visibility", ""))
        return Response(s.IncidentsStatusUpdateSerializer(rows[:500], many=True).data)

    @extend_schema(request=s.IncidentsStatusUpdateCreateSerializer, responses={201: s.IncidentsStatusUpdateSerializer})
    @updates.mapping.post
    def updates_create(self, request: Request, pk: str | None = None) -> Response:
        """Post an update (internal or public); may move the status and set component impact at once."""
        incident = self.get_object()
        data = _valid(s.IncidentsStatusUpdateCreateSerializer, request)
        components = data.get("components")
        update = services.status_update_post(
            incident_id=incident.pk,
            body=data["body"],
            visibility=data["visibility"],
            status=data.get("status"),
            components=[(c["component"], c["status"]) for c in components] if components is not None else None,
            version=data.get("version"),
            public_title=data.get("public_title"),
            actor=actor_of(request),
            now=timezone.now(),
        )
        return Response(s.IncidentsStatusUpdateSerializer(update).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=s.IncidentsBudgetImpactReportSerializer)
    @action(detail=True, methods=["get"], url_path="budget-impact")
    def budget_impact(self, request: Request, pk: str | None = None) -> Response:
        """Budget consumed per SLO of the affected services between start and resolution (or now).
        ``state`` is ``ok``, or ``no_slos`` when no SLO is set on the affected services."""
        state, rows = budget_impact(incident=self.get_object(), now=timezone.now())
        return Response({"state": state, "results": s.IncidentsBudgetImpactSerializer(rows, many=True).data})

    @extend_schema(responses=s.IncidentsPostmortemSerializer)
    @action(detail=True, methods=["get"])
    def postmortem(self, request: Request, pk: str | None = None) -> Response:
        """The postmortem (404 while there is none)."""
        postmortem = incident_postmortem(self.get_object())
        if postmortem is None:
            raise NotFound("This incident has no postmortem yet.")
        return Response(s.IncidentsPostmortemSerializer(postmortem).data)

    @extend_schema(request=None, responses={201: s.IncidentsPostmortemSerializer})
    @postmortem.mapping.post
    def postmortem_create(self, request: Request, pk: str | None = None) -> Response:
        """Start the postmortem of a resolved incident from the blameless template (prefilled)."""
        incident = self.get_object()
        postmortem = services.postmortem_create(incident_id=incident.pk, actor=actor_of(request), now=timezone.now())
        return Response(s.IncidentsPostmortemSerializer(postmortem).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.IncidentsPostmortemUpdateSerializer, responses=s.IncidentsPostmortemSerializer)
    @postmortem.mapping.patch
    def postmortem_save(self, request: Request, pk: str | None = None) -> Response:
        """Save ``body`` with the ``version`` read (409 ``stale`` if someone saved in between)."""
        incident = self.get_object()
        data = _valid(s.IncidentsPostmortemUpdateSerializer, request)
        postmortem = services.postmortem_update(
            incident_id=incident.pk,
            body=data["body"],
            version=data["version"],
            actor=actor_of(request),
            now=timezone.now(),
        )
        return Response(s.IncidentsPostmortemSerializer(postmortem).data)

    @extend_schema(request=s.IncidentsPostmortemTransitionSerializer, responses=s.IncidentsPostmortemSerializer)
    @action(detail=True, methods=["post"], url_path="postmortem/transition")
    def postmortem_transition(self, request: Request, pk: str | None = None) -> Response:
        """``{"state": "in_review" | "published" | "draft"}``; invalid moves get 409 with ``allowed_next``."""
        data = _valid(s.IncidentsPostmortemTransitionSerializer, request)
        postmortem = services.postmortem_transition(
            incident_id=int(pk), target=data["state"], actor=actor_of(request), now=timezone.now()
        )
        return Response(s.IncidentsPostmortemSerializer(postmortem).data)

    @extend_schema(responses={(200, "text/markdown"): str})
    @action(detail=True, methods=["get"], url_path="postmortem/export")
    def postmortem_export(self, request: Request, pk: str | None = None) -> HttpResponse:
        """The postmortem as a Markdown file, action items appended."""
        incident = self.get_object()
        postmortem = incident_postmortem(incident)
        if postmortem is None:
            raise NotFound("This incident has no postmortem yet.")
        audit_export(what="postmortem", fmt="markdown", obj=incident)
        response = HttpResponse(
            postmortem_markdown(postmortem, today=timezone.localdate()), content_type="text/markdown; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="incident-{incident.pk}-postmortem.md"'
        return response

    @extend_schema(parameters=[OpenApiParameter("months", int)], responses=dict)
    @action(detail=False, methods=["get"])
    def metrics(self, request: Request) -> Response:
        """MTTA / MTTM / MTTR (seconds) and counts per month by severity and by service (definitions in the
        Insights page and ``incidents.domain.response``)."""
        try:
            months = int(request.query_params.get("months", 12))
        except ValueError:
            raise InvalidInputError("months must be a whole number.", fields={"months": ["Invalid."]}) from None
        if not 1 <= months <= 36:
            raise InvalidInputError("months must be between 1 and 36.", fields={"months": ["Out of range."]})
        return Response(response_report(now=timezone.now(), months=months))
