"""factory_boy factories of the incidents app (through the models; flows go through the services)."""

from __future__ import annotations

from datetime import timedelta

import factory
from django.utils import timezone

from incidents.choices import ActionItemPriority, IncidentStatus, Severity
from incidents.models import ActionItem, Incident
from slo.models import Service
from statuspage.models import Component


class ServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Service
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"svc-{n}")
    tier = 1


class ComponentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Component
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Component {n}")


class IncidentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Incident

    title = factory.Sequence(lambda n: f"Incident {n}")
    severity = Severity.SEV2
    status = IncidentStatus.TRIAGE
    started_at = factory.LazyFunction(lambda: timezone.now() - timedelta(hours=1))
    detected_at = factory.LazyAttribute(lambda o: o.started_at)
    created_at = factory.LazyFunction(timezone.now)
    updated_at = factory.LazyFunction(timezone.now)


class ActionItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ActionItem

    incident = factory.SubFactory(IncidentFactory)
    title = factory.Sequence(lambda n: f"Action {n}")
    priority = ActionItemPriority.P2
    created_at = factory.LazyFunction(timezone.now)
    updated_at = factory.LazyFunction(timezone.now)
