"""Uptime bars: from the linked SLOs' daily SLI where they have data, else from incident time."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from slo.models import SLO, Service
from statuspage.selectors.page import page_data
from statuspage.services import component_save
from tests.statuspage.helpers import public_incident

pytestmark = pytest.mark.django_db


def test_bars_use_linked_sli_and_fall_back_to_incidents(monkeypatch) -> None:
    import slo.selectors

    service = Service.objects.create(name="api")
    objective = SLO.objects.create(service=service, name="api-avail", target="0.999")
    component_save(component=None, data={"name": "API"}, slos=[objective])
    plain = component_save(component=None, data={"name": "Website"})
    now = timezone.now()
    public_incident(title="Website down", components=[(plain, "major_outage")], now=now)
    calls = []

    def fake_daily_sli(*, slo_ids, days, now, tz):
        calls.append(days)
        today = now.date()
        rows = [(today - timedelta(days=offset), None) for offset in range(days - 1, -1, -1)]
        rows[-1] = (today, (999, 1000))
        return dict.fromkeys(slo_ids, rows)

    monkeypatch.setattr(slo.selectors, "slo_daily_sli", fake_daily_sli)
    data = page_data(now=now)
    rows = {r.name: r for r in data.components}
    api_today = rows["API"].days[-1]
    assert api_today.source == "sli" and api_today.good == 999 and api_today.total == 1000
    assert rows["API"].days[0].uptime is None  # no traffic that day: no data, not 100%
    web_today = rows["Website"].days[-1]
    assert web_today.source == "incidents" and web_today.uptime < 1 and web_today.incidents == ("Website down",)
    assert rows["Website"].days[0].uptime == 1
    page_data(now=now)
    assert calls == [90, 1]  # past days cached, today asked again


def test_a_failing_sli_source_does_not_break_the_page(monkeypatch) -> None:
    import slo.selectors

    slo_row = SLO.objects.create(service=Service.objects.create(name="api"), name="api-avail", target="0.999")
    component_save(component=None, data={"name": "API"}, slos=[slo_row])

    def broken(**kwargs):
        raise RuntimeError("prometheus is down")

    monkeypatch.setattr(slo.selectors, "slo_daily_sli", broken)
    [row] = page_data(now=timezone.now()).components
    assert all(day.source in ("incidents", "none") for day in row.days)
