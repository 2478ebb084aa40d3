"""The project's django-filter backend: query filters read strictly, as the schema declares them.

- A boolean filter takes ``true`` or ``false`` (also ``1``/``0``, ``True``/``False``); anything else is a 400 naming
  it. django-filter's default reads an unknown value as "no filter", so ``?enabled=ture`` listed everything.
- A filter on a related object takes its id and matches nothing when no such object exists (django-filter's
  default answers 400 "Select a valid choice", which tells a reader whether an id they may not see exists).
"""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.db import models
from django_filters.rest_framework import DjangoFilterBackend


class StrictNullBooleanField(forms.NullBooleanField):
    widget = forms.TextInput  # the default select widget reads an unknown value as "unknown" before we see it
    TRUE, FALSE = ("true", "True", "1"), ("false", "False", "0")

    def to_python(self, value: Any) -> bool | None:
        if value in (None, ""):
            return None
        if value in self.TRUE or value is True:
            return True
        if value in self.FALSE or value is False:
            return False
        raise forms.ValidationError("Use true or false.", code="invalid")

    def validate(self, value: Any) -> None:
        pass


class StrictBooleanFilter(django_filters.BooleanFilter):
    field_class = StrictNullBooleanField


class IdFilter(django_filters.NumberFilter):
    field_class = forms.IntegerField


class StrictFilterSet(django_filters.FilterSet):
    FILTER_DEFAULTS = {
        **django_filters.FilterSet.FILTER_DEFAULTS,
        models.BooleanField: {"filter_class": StrictBooleanFilter},
        models.ForeignKey: {"filter_class": IdFilter},
        models.OneToOneField: {"filter_class": IdFilter},
    }


class StrictFilterBackend(DjangoFilterBackend):
    filterset_base = StrictFilterSet
