"""A serializer field naming an SLO, for the APIs of other apps that link SLOs (status page components,
budget policies). SLO names are unique only within their service, so an SLO is named by its id, by
``service/name``, or by its bare name where that is unambiguous (as before names could repeat)."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from slo.models import SLO


def slo_by_ref(ref: object, *, service: str = "") -> SLO:
    """The SLO ``ref`` names (an id, ``service/name``, or a name unique in ``service`` or overall); raises
    ``serializers.ValidationError`` saying what is missing or ambiguous."""
    qs = SLO.objects.select_related("service")
    if isinstance(ref, int) and not isinstance(ref, bool):
        found = list(qs.filter(pk=ref))
    elif isinstance(ref, str) and ref.strip():
        text = ref.strip()
        if "/" in text:
            service, _, text = text.partition("/")
        found = list(qs.filter(name=text, **({"service__name": service} if service else {}))[:10])
    else:
        raise serializers.ValidationError("Name an SLO by id, service/name or name.")
    if not found:
        raise serializers.ValidationError(f"No SLO {ref!r}.")
    if len(found) > 1:
        options = ", ".join(sorted(f"{s.service.name}/{s.name}" for s in found))
        raise serializers.ValidationError(f"SLO name {ref!r} is in several services: name one of {options}.")
    return found[0]


@extend_schema_field(OpenApiTypes.STR)
class SloRefField(serializers.RelatedField):
    """Writes accept an id, ``service/name`` or an unambiguous name. ``scope_field`` names a sibling field
    holding the service name that scopes a bare name (a budget policy names its service). Reads give
    ``service/name`` (``qualified``) or the bare name (where the service is beside it)."""

    def __init__(self, *, scope_field: str = "", qualified: bool = True, **kwargs) -> None:
        self.scope_field = scope_field
        self.qualified = qualified
        kwargs.setdefault("queryset", SLO.objects.all())
        super().__init__(**kwargs)

    def to_internal_value(self, data: object) -> SLO:
        service = ""
        if self.scope_field:
            initial = getattr(self.root, "initial_data", None)
            raw = initial.get(self.scope_field) if hasattr(initial, "get") else None
            service = raw if isinstance(raw, str) else ""
        return slo_by_ref(data, service=service)

    def to_representation(self, value: SLO) -> str:
        return f"{value.service.name}/{value.name}" if self.qualified else value.name
