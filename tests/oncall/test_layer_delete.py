"""``DELETE /api/v1/oncall/layers/{id}/`` goes through ``layer_delete`` (DRF's default destroy did not): the
schedule's ``updated_at`` moves, so clients and caches keyed on it see the final schedule changed."""

from __future__ import annotations

import pytest

from oncall.models import Layer, Schedule
from sre.choices import Role
from tests.oncall.test_api import make_schedule

pytestmark = pytest.mark.django_db


def test_deleting_a_layer_through_the_api_marks_the_schedule_changed(token_client, make_user):
    admin = token_client(Role.ADMIN)
    schedule_id = make_schedule(admin, [make_user(username="alice")])
    layer = Layer.objects.get(schedule_id=schedule_id)
    Schedule.objects.filter(pk=schedule_id).update(updated_at="2020-01-01T00:00:00Z")

    response = admin.delete(f"/api/v1/oncall/layers/{layer.pk}/")

    assert response.status_code == 204, response.content
    assert not Layer.objects.filter(pk=layer.pk).exists()
    assert Schedule.objects.get(pk=schedule_id).updated_at.year > 2020
