"""factory_boy factories of the slo app."""

from __future__ import annotations

from decimal import Decimal

import factory

from slo.domain.spec import policy_default
from slo.models import SLO, Service


class ServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Service
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"svc-{n}")
    owner_team = "team"


class SLOFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SLO

    service = factory.SubFactory(ServiceFactory)
    name = factory.Sequence(lambda n: f"slo-{n}")
    target = Decimal("0.999")
    sli_kind = "ratio"
    sli = factory.LazyAttribute(
        lambda o: {
            "bad": f'http_requests_total{{service="{o.service.name}", code=~"5.."}}',
            "total": f'http_requests_total{{service="{o.service.name}"}}',
        }
    )
    alert_policy = factory.LazyFunction(policy_default)
