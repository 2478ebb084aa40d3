"""factory_boy factories of the heartbeats app (rows written directly; the services are tested through them)."""

from __future__ import annotations

import factory

from heartbeats.models import Check


class CheckFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Check

    name = factory.Sequence(lambda n: f"job-{n}")
    slug = factory.LazyAttribute(lambda o: o.name)
    period_seconds = 3600
    grace_seconds = 600
