"""Serializer helpers shared by every app's API."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers


def _json_kind(field: serializers.Field) -> tuple[type, ...] | None:
    """The JSON types a field takes, or None when any will do. DRF's fields also read form data, so they coerce
    (``42`` into ``"42"``, ``"yes"`` into ``True``, ``{}`` into ``[]``); our API reads only JSON, where a value of
    the wrong type is a client's mistake to be told about, as the schema says."""
    if isinstance(field, serializers.BooleanField):
        return (bool,)
    if isinstance(field, serializers.ChoiceField):  # incl. MultipleChoiceField: a list of choices
        if isinstance(field, serializers.MultipleChoiceField):
            return (list,)
        keys = list(field.choices)
        return (str,) if keys and all(isinstance(key, str) for key in keys) else None
    if isinstance(field, serializers.IntegerField):
        return (int,)
    if isinstance(field, serializers.FloatField):
        return (int, float)
    if isinstance(field, serializers.CharField | serializers.DateTimeField | serializers.DateField):
        return (str,)
    if isinstance(field, serializers.TimeField | serializers.DurationField | serializers.UUIDField):
        return (str,)
    if isinstance(field, serializers.ListField | serializers.ListSerializer | serializers.ManyRelatedField):
        return (list,)
    if isinstance(field, serializers.DictField | serializers.Serializer):
        return (dict,)
    if isinstance(field, serializers.SlugRelatedField):
        return (str,)
    if isinstance(field, serializers.PrimaryKeyRelatedField):
        return (int,)
    return None


def json_type_errors(fields: dict[str, serializers.Field], data: dict[str, Any]) -> dict[str, Any]:
    """``{name: [message]}`` for each value in ``data`` whose JSON type is not the one its field takes; nested
    serializers, lists and dicts are checked through their children."""
    errors: dict[str, Any] = {}
    for name, value in data.items():
        field = fields.get(name)
        if field is None or field.read_only or value is None:
            continue  # unknown fields and nulls have their own checks
        error = _value_type_error(field, value)
        if error:
            errors[name] = error
    return errors


def _value_type_error(field: serializers.Field, value: Any) -> Any:
    if value == "" and isinstance(field, serializers.RelatedField):
        return ["Must not be empty; send null for none."]  # DRF would read "" as null
    kind = _json_kind(field)
    if kind is not None and (not isinstance(value, kind) or (bool not in kind and isinstance(value, bool))):
        names = {
            bool: "a boolean",
            int: "a number",
            float: "a number",
            str: "a string",
            list: "a list",
            dict: "an object",
        }
        return [f"Must be {names[kind[0]]}."]
    if isinstance(field, serializers.Serializer) and isinstance(value, dict):
        return json_type_errors(field.fields, value) or None
    child = getattr(field, "child", None) or getattr(field, "child_relation", None)
    if child is not None and isinstance(value, list | dict):
        items = value.items() if isinstance(value, dict) else enumerate(value)
        nested = {}
        for key, item in items:
            if item is not None and (error := _value_type_error(child, item)):
                nested[str(key)] = error
        return nested or None
    return None


class StrictFieldsMixin:
    """Reject unknown fields, and values of the wrong JSON type, with a 400 that names them, instead of silently
    ignoring or coercing them. The schema says so too (``additionalProperties: false``, sre.api.schema). A serializer
    of query parameters, whose values are all text, sets ``json_types = False``."""

    json_types = True

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            writable = {name for name, field in self.fields.items() if not field.read_only}  # type: ignore[attr-defined]
            unknown = sorted(set(data) - writable)
            if unknown:
                raise serializers.ValidationError({name: ["Unknown field."] for name in unknown})
            wrong = json_type_errors(self.fields, data) if self.json_types else {}  # type: ignore[attr-defined]
            if wrong:
                raise serializers.ValidationError(wrong)
        return super().to_internal_value(data)  # type: ignore[misc]


class ApiTokenSerializer(serializers.Serializer):
    """A token as shown after creation: never its secret."""

    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    user = serializers.CharField(source="user.username", read_only=True)
    prefix = serializers.CharField(read_only=True)
    scopes = serializers.ListField(child=serializers.CharField(), read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    expires_at = serializers.DateTimeField(read_only=True, allow_null=True)
    revoked_at = serializers.DateTimeField(read_only=True, allow_null=True)
    last_used_at = serializers.DateTimeField(read_only=True, allow_null=True)


class ApiTokenCreateSerializer(StrictFieldsMixin, serializers.Serializer):
    name = serializers.CharField(max_length=100)
    scopes = serializers.ListField(child=serializers.CharField(max_length=20), min_length=1)
    expires_at = serializers.DateTimeField(required=False, allow_null=True)


class ApiTokenCreatedSerializer(ApiTokenSerializer):
    token = serializers.CharField(read_only=True, help_text="The token itself. Shown once; store it now.")


class MeSerializer(serializers.Serializer):
    username = serializers.CharField()
    role = serializers.CharField(allow_null=True)
    token_scopes = serializers.ListField(child=serializers.CharField(), allow_null=True)
