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
    email = forms.EmailField(required=False)
    site = forms.URLField(required=False, assume_scheme="https")
    secret = forms.CharField(widget=forms.PasswordInput(render_value=True), required=False)
    day = forms.DateField(required=False)
    at = forms.TimeField(required=False)
    find = forms.CharField(widget=forms.SearchInput, required=False)
    phone = forms.CharField(widget=forms.TelInput, required=False)
    colour = forms.CharField(widget=forms.ColorInput, required=False)
    maybe = forms.NullBooleanField(required=False)
    plain = forms.CharField(widget=forms.widgets.Input(attrs={"type": "text"}), required=False)


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
    "email": "a&b@example.com",
    "site": "https://example.com/?a=1&b=<2>",
    "secret": 'pw "x"',
    "day": dt.date(2026, 1, 2),
    "at": dt.time(3, 4),
    "find": "q <x>",
    "phone": "+44 1",
    "colour": "#ff0000",
    "maybe": True,
    "plain": "p",
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


def test_every_widget_template_it_writes_is_compared_above(monkeypatch):
    """Each template the renderer claims is rendered by a field of ``Sample``, so the comparison covers it."""
    from sre import formrender

    claimed = formrender._INPUTS | formrender._SELECTS | {formrender._TEXTAREA}
    seen = set()
    original = FastWidgetRenderer.render

    def spy(self, template_name, context, request=None):
        seen.add(template_name)
        return original(self, template_name, context, request=request)

    monkeypatch.setattr(FastWidgetRenderer, "render", spy)
    form = FastSample(initial=INITIAL)
    for name in Sample.base_fields:
        str(form[name])
    assert claimed - seen == set()
