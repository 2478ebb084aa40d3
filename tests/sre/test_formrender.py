"""The fast widget renderer writes exactly what Django's widget templates write."""

from __future__ import annotations

import datetime as dt

import pytest
from django import forms
from django.utils.safestring import mark_safe

from sre.formrender import FastWidgetRenderer


class Sample(forms.Form):
    title = forms.CharField(max_length=20, help_text="x")
    count = forms.IntegerField(min_value=1, required=False)
    hidden = forms.IntegerField(widget=forms.HiddenInput)
    when = forms.DateTimeField(widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"))
    kind = forms.ChoiceField(choices=[("", "— none —"), ("a", "A & <b>"), ("b", 'Quote "b"')], required=False)
    grouped = forms.ChoiceField(choices=[("G1", [("x", "X"), ("y", "Y")]), ("z", "Z")])
    many = forms.MultipleChoiceField(
        choices=[("1", "one"), ("2", "two")], widget=forms.SelectMultiple(attrs={"size": 5})
    )
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    agree = forms.BooleanField(required=False)
    radio = forms.ChoiceField(choices=[("r", "R")], widget=forms.RadioSelect)


class FastSample(Sample):
    default_renderer = FastWidgetRenderer()


INITIAL = {
    "title": 'a "quoted" <title> & more',
    "count": 3,
    "hidden": 7,
    "when": dt.datetime(2026, 1, 2, 3, 4),
    "kind": "a",
    "grouped": "y",
    "many": ["2"],
    "body": "line <1>\nline 2",
    "agree": True,
    "radio": "r",
}


@pytest.mark.parametrize(
    "kwargs",
    [
        {"initial": INITIAL},
        {"initial": {}},
        {"data": {**INITIAL, "count": "0", "many": ["1", "2"], "title": mark_safe("<i>safe</i>")}},
    ],
)
def test_same_html_as_django_templates(kwargs):
    slow, fast = Sample(**kwargs), FastSample(**kwargs)
    for name in Sample.base_fields:
        assert str(fast[name]) == str(slow[name]), name
    assert fast.as_div() == slow.as_div()


def test_unknown_templates_fall_back_to_django():
    html = str(FastSample(initial=INITIAL)["radio"])
    assert 'type="radio"' in html and "checked" in html
