"""A time-window step whose window is not an object is a field error of the step, not a crash."""

from __future__ import annotations

import pytest

from oncall.choices import StepKind
from oncall.domain.escalation import PolicyError, window_parse
from oncall.services.policies import policy_save
from sre.errors import InvalidInputError


@pytest.mark.parametrize("raw", [[0, 1], "18:00-20:00", 7])
def test_a_window_that_is_not_an_object_is_a_policy_error(raw):
    with pytest.raises(PolicyError) as caught:
        window_parse(raw)
    assert caught.value.field == "window"


@pytest.mark.django_db
def test_saving_a_policy_with_a_list_as_window_names_the_step_field():
    data = {"name": "evening", "steps": [{"kind": StepKind.TIME_WINDOW, "window": [0, 1]}]}
    with pytest.raises(InvalidInputError) as caught:
        policy_save(policy=None, data=data)
    assert any("window" in name for name in caught.value.fields)
