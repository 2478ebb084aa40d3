"""On-call API: teams, schedules (with who is on call, the final schedule and iCal), layers, overrides, swaps,
escalation policies, the caller's contact methods and rules, direct pages, escalations and the paging ledger.

Reading needs the viewer role; configuring needs admin; overrides, swaps and pages need responder (for
themselves, unless admin); a person's own contact methods and rules need only a signed-in user."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from alerts.models import Route
from oncall.api import serializers as s
from oncall.domain import ical as ical_domain
from oncall.domain.schedule import Shift
from oncall.models import (
    ContactMethod,
    Escalation,
    EscalationPolicy,
    Layer,
    Override,
    PersonNotification,
    Schedule,
    Swap,
    Team,
)
from oncall.selectors import (
    policy_list,
    rules_of,
    schedule_final,
    schedule_list,
    schedule_oncall_at,
    team_list,
    user_label,
    users_by_key,
)
from oncall.services import people, policies, schedules
from sre.api.permissions import READ, RESPOND
from sre.errors import InvalidInputError

DEFAULT_SPAN = timedelta(days=14)


def _people(keys: tuple[str, ...] | list[str]) -> tuple[list, list[str]]:
    users = users_by_key(keys)
    return [users[k] for k in keys if k in users], [k for k in keys if k not in users]


def final_payload(final) -> dict:
    users = users_by_key({p for shift in final.shifts for p in shift.people})
    shifts = [
        {
            "start": sh.start,
            "end": sh.end,
            "people": [users[p] for p in sh.people if p in users],
            "names": [p for p in sh.people if p not in users],
            "source": sh.source,
        }
        for sh in final.shifts
    ]
    gaps = [{"start": g.start, "end": g.end} for g in final.gaps]
    overlaps = [{"start": o.start, "end": o.end} for o in final.overlaps]
    return {"shifts": shifts, "gaps": gaps, "overlaps": overlaps}


class OncallTeamViewSet(viewsets.ModelViewSet):
    queryset = team_list()
    serializer_class = s.OncallTeamSerializer

    def perform_create(self, serializer) -> None:
        serializer.instance = people.team_save(team=None, data=_plain(serializer.validated_data))

    def perform_update(self, serializer) -> None:
        serializer.instance = people.team_save(team=serializer.instance, data=_plain(serializer.validated_data))

    def perform_destroy(self, instance: Team) -> None:
        people.team_delete(team=instance)


def _plain(data: dict) -> dict:
    out = dict(data)
    if "members" in out:
        out["members"] = [getattr(m, "pk", m) for m in out["members"]]
    return out


class OncallScheduleViewSet(viewsets.ModelViewSet):
    """Schedules; ``oncall`` answers who is on call at an instant, ``shifts`` the final schedule."""

    queryset = schedule_list()
    serializer_class = s.OncallScheduleSerializer
    filterset_fields = ["team"]

    def perform_create(self, serializer) -> None:
        serializer.instance = schedules.schedule_save(schedule=None, data=serializer.validated_data)

    def perform_update(self, serializer) -> None:
        serializer.instance = schedules.schedule_save(schedule=serializer.instance, data=serializer.validated_data)

    def perform_destroy(self, instance: Schedule) -> None:
        schedules.schedule_delete(schedule=instance)

    @extend_schema(parameters=[OpenApiParameter("at", datetime)], responses=s.OncallNowSerializer)
    @action(detail=True, methods=["get"])
    def oncall(self, request: Request, pk: str | None = None) -> Response:
        """Who is on call at ``at`` (ISO 8601; default now)."""
        query = s.OncallAtQuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        at = query.validated_data.get("at") or timezone.now()
        found, names = _people(schedule_oncall_at(self.get_object(), at=at))
        return Response(s.OncallNowSerializer({"at": at, "people": found, "names": names}).data)

    @extend_schema(
        parameters=[OpenApiParameter("start", datetime), OpenApiParameter("end", datetime)],
        responses=s.OncallFinalScheduleSerializer,
    )
    @action(detail=True, methods=["get"])
    def shifts(self, request: Request, pk: str | None = None) -> Response:
        """The final schedule between ``start`` (default now) and ``end`` (default 14 days later), with gaps
        and overlaps."""
        start, end = _range(request)
        final = schedule_final(self.get_object(), start=start, end=end)
        return Response(s.OncallFinalScheduleSerializer(final_payload(final)).data)

    @extend_schema(responses={(200, "text/calendar"): str})
    @action(detail=True, methods=["get"])
    def ical(self, request: Request, pk: str | None = None) -> HttpResponse:
        """The final schedule for the next 60 days as iCalendar."""
        schedule = self.get_object()
        now = timezone.now()
        final = schedule_final(schedule, start=now - timedelta(days=7), end=now + timedelta(days=60))
        text = ical_domain.ical_export(name=schedule.name, shifts=_named(final.shifts), now=now)
        return HttpResponse(text, content_type="text/calendar; charset=utf-8")

    @extend_schema(request=s.OncallIcalUploadSerializer, responses=s.OncallScheduleSerializer)
    @action(detail=True, methods=["post"], url_path="ical-upload")
    def upload_ical(self, request: Request, pk: str | None = None) -> Response:
        """Replace the schedule's iCalendar layer with an uploaded calendar (admin)."""
        schedule = self.get_object()
        body = s.OncallIcalUploadSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        if "level" in body.validated_data:
            schedule.ical_level = body.validated_data["level"]
        schedules.ical_store(schedule=schedule, text=body.validated_data["ical"], now=timezone.now())
        return Response(self.get_serializer(schedule_list().get(pk=schedule.pk)).data)


def _named(shifts):
    users = users_by_key({p for sh in shifts for p in sh.people})
    return [
        Shift(
            start=sh.start,
            end=sh.end,
            people=tuple(user_label(users[p]) if p in users else p for p in sh.people),
            source=sh.source,
        )
        for sh in shifts
    ]


def _range(request: Request) -> tuple[datetime, datetime]:
    query = s.OncallRangeQuerySerializer(data=request.query_params.dict())
    query.is_valid(raise_exception=True)
    start = query.validated_data.get("start") or timezone.now()
    end = query.validated_data.get("end") or start + DEFAULT_SPAN
    if end <= start:
        raise InvalidInputError("end must be after start.", fields={"end": ["Must be after start."]})
    return start, end


class OncallLayerViewSet(viewsets.ModelViewSet):
    queryset = Layer.objects.select_related("schedule").order_by("schedule_id", "-level", "pk")
    serializer_class = s.OncallLayerSerializer
    filterset_fields = ["schedule"]

    def perform_create(self, serializer) -> None:
        data = dict(serializer.validated_data)
        schedule = data.pop("schedule")
        serializer.instance = schedules.layer_save(schedule=schedule, layer=None, data=data)

    def perform_update(self, serializer) -> None:
        data = dict(serializer.validated_data)
        data.pop("schedule", None)
        layer = serializer.instance
        serializer.instance = schedules.layer_save(schedule=layer.schedule, layer=layer, data=data)

    def perform_destroy(self, instance: Layer) -> None:
        schedules.layer_delete(layer=instance)


class OncallOverrideViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Overrides: a responder creates and deletes their own; an admin anyone's."""

    queryset = Override.objects.select_related("user").order_by("start", "pk")
    serializer_class = s.OncallOverrideSerializer
    filterset_fields = ["schedule", "user"]
    access = {"create": RESPOND, "destroy": RESPOND}

    def perform_create(self, serializer) -> None:
        data = serializer.validated_data
        serializer.instance = schedules.override_create(
            schedule=data["schedule"],
            user_id=data["user"].pk,
            start=data["start"],
            end=data["end"],
            actor=self.request.user,
        )

    def perform_destroy(self, instance: Override) -> None:
        schedules.override_delete(override=instance, actor=self.request.user)


class OncallSwapViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Shift swaps: a responder offers their shifts in a period; another takes it; the offerer may cancel."""

    queryset = Swap.objects.select_related("from_user", "to_user").order_by("start", "pk")
    serializer_class = s.OncallSwapSerializer
    filterset_fields = ["schedule", "state"]
    access = {"create": RESPOND, "take": RESPOND, "cancel": RESPOND}

    def perform_create(self, serializer) -> None:
        data = serializer.validated_data
        from_user = data.get("from_user")
        serializer.instance = schedules.swap_offer(
            schedule=data["schedule"],
            start=data["start"],
            end=data["end"],
            actor=self.request.user,
            from_user_id=from_user.pk if from_user else None,
        )

    @extend_schema(request=None, responses=s.OncallSwapSerializer)
    @action(detail=True, methods=["post"])
    def take(self, request: Request, pk: str | None = None) -> Response:
        swap = schedules.swap_take(swap_id=self.get_object().pk, actor=request.user, now=timezone.now())
        return Response(s.OncallSwapSerializer(swap).data)

    @extend_schema(request=None, responses=s.OncallSwapSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        swap = schedules.swap_cancel(swap_id=self.get_object().pk, actor=request.user)
        return Response(s.OncallSwapSerializer(swap).data)


class OncallPolicyViewSet(viewsets.ModelViewSet):
    queryset = policy_list()
    serializer_class = s.OncallPolicySerializer
    filterset_fields = ["team"]

    def _data(self, serializer) -> dict:
        data = dict(serializer.validated_data)
        if "steps" in data:
            data["steps"] = [dict(step) for step in data["steps"]]
        return data

    def perform_create(self, serializer) -> None:
        serializer.instance = policies.policy_save(policy=None, data=self._data(serializer))

    def perform_update(self, serializer) -> None:
        serializer.instance = policies.policy_save(policy=serializer.instance, data=self._data(serializer))

    def perform_destroy(self, instance: EscalationPolicy) -> None:
        policies.policy_delete(policy=instance)

    @extend_schema(request=s.OncallRoutePolicySerializer, responses={204: None})
    @action(detail=False, methods=["post"], url_path="route")
    def route(self, request: Request) -> Response:
        """Page with a policy when a route matches (``policy: null`` removes it)."""
        body = s.OncallRoutePolicySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        route = Route.objects.filter(pk=body.validated_data["route"]).first()
        if route is None:
            raise InvalidInputError("Unknown route.", fields={"route": ["Unknown route."]})
        policy = _policy_or_none(body.validated_data["policy"])
        policies.route_policy_set(route=route, policy=policy)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=s.OncallSeverityPolicySerializer, responses={204: None})
    @action(detail=False, methods=["post"], url_path="severity")
    def severity(self, request: Request) -> Response:
        """Set one cell of a team's severity → policy matrix (``policy: null`` removes it)."""
        body = s.OncallSeverityPolicySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        team = Team.objects.filter(pk=body.validated_data["team"]).first()
        if team is None:
            raise InvalidInputError("Unknown team.", fields={"team": ["Unknown team."]})
        policy = _policy_or_none(body.validated_data["policy"])
        policies.severity_policy_set(team=team, severity=body.validated_data["severity"], policy=policy)
        return Response(status=status.HTTP_204_NO_CONTENT)


def _policy_or_none(pk: int | None) -> EscalationPolicy | None:
    if pk is None:
        return None
    policy = EscalationPolicy.objects.filter(pk=pk).first()
    if policy is None:
        raise InvalidInputError("Unknown policy.", fields={"policy": ["Unknown policy."]})
    return policy


class OncallContactMethodViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """The caller's own contact methods; ``test`` sends a test message (success verifies the method)."""

    serializer_class = s.OncallContactMethodSerializer
    access = {"list": READ, "retrieve": READ, "create": RESPOND, "destroy": RESPOND, "test": RESPOND}

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user
            return ContactMethod.objects.none()
        return ContactMethod.objects.filter(user=self.request.user).order_by("pk")

    def perform_create(self, serializer) -> None:
        data = serializer.validated_data
        serializer.instance = people.contact_method_create(
            user=self.request.user,
            kind=data["kind"],
            address=data["address"],
            label=data.get("label", ""),
            secret=data.get("secret", ""),
        )

    def perform_destroy(self, instance: ContactMethod) -> None:
        people.contact_method_delete(method=instance)

    @extend_schema(request=None, responses=s.OncallContactMethodSerializer)
    @action(detail=True, methods=["post"])
    def test(self, request: Request, pk: str | None = None) -> Response:
        method = people.contact_method_test(method=self.get_object(), now=timezone.now())
        return Response(s.OncallContactMethodSerializer(method).data)


class OncallRulesView(APIView):
    """The caller's notification rules: ``default`` and ``important`` chains."""

    access = {"get": READ, "put": RESPOND}

    @extend_schema(responses=s.OncallRulesSerializer)
    def get(self, request: Request) -> Response:
        out: dict[str, list] = {"default": [], "important": []}
        for rule in rules_of(user_id=request.user.pk):
            item = {"kind": rule.kind}
            if rule.kind == "notify":
                item["contact_method"] = rule.contact_method_id
            else:
                item["wait_minutes"] = rule.wait_minutes
            out["important" if rule.important else "default"].append(item)
        return Response(out)

    @extend_schema(request=s.OncallRulesSerializer, responses=s.OncallRulesSerializer)
    def put(self, request: Request) -> Response:
        body = s.OncallRulesSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        for chain in ("default", "important"):
            if chain in body.validated_data:
                rules = [dict(r) for r in body.validated_data[chain]]
                people.rules_replace(user=request.user, important=chain == "important", rules=rules)
        return self.get(request)


class OncallPageView(APIView):
    """Page a person, a team or a schedule's on-call person now (responder)."""

    access = {"post": RESPOND}

    @extend_schema(request=s.OncallPageRequestSerializer, responses={201: s.OncallPageResultSerializer})
    def post(self, request: Request) -> Response:
        body = s.OncallPageRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        group = policies.direct_page(
            message=data["message"],
            severity=data["severity"],
            actor=request.user,
            now=timezone.now(),
            user_id=data.get("user"),
            team_id=data.get("team"),
            schedule_id=data.get("schedule"),
        )
        escalation = Escalation.objects.filter(group=group).order_by("-pk").first()
        out = {
            "group_id": group.pk,
            "escalation_id": escalation.pk if escalation else None,
            "url": request.build_absolute_uri(reverse("alerts:group", args=[group.pk])),
        }
        return Response(s.OncallPageResultSerializer(out).data, status=status.HTTP_201_CREATED)


class OncallEscalationViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Escalation.objects.order_by("-started_at", "-pk")
    serializer_class = s.OncallEscalationSerializer
    filterset_fields = ["group", "state", "policy"]


class OncallNotificationViewSet(viewsets.ReadOnlyModelViewSet):
    """The ledger of attempts to reach people."""

    queryset = PersonNotification.objects.order_by("-created_at", "-pk")
    serializer_class = s.OncallNotificationSerializer
    filterset_fields = ["group", "user", "state", "kind"]
