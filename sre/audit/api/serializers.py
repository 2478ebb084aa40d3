"""Serializers of the audit API (names prefixed ``Audit`` so the OpenAPI schema stays unambiguous)."""

from __future__ import annotations

from rest_framework import serializers

from sre.audit.models import AuditEntry


class AuditEntrySerializer(serializers.ModelSerializer):
    object_type = serializers.CharField(read_only=True, help_text="app_label.model, empty for access events.")
    before = serializers.JSONField(allow_null=True, read_only=True, help_text="Changed fields before; secrets ***.")
    after = serializers.JSONField(allow_null=True, read_only=True, help_text="Changed fields after; secrets ***.")
    detail = serializers.JSONField(read_only=True)

    class Meta:
        model = AuditEntry
        fields = [
            "id", "at", "actor_kind", "actor_id", "actor", "action", "object_type", "object_pk", "object_repr",
            "before", "after", "detail", "address", "user_agent", "via", "session", "token_id", "token_prefix",
            "prev_hash", "hash",
        ]  # fmt: skip
        read_only_fields = fields


class AuditVerifySerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    count = serializers.IntegerField(help_text="Entries checked.")
    broken_at = serializers.IntegerField(allow_null=True, help_text="Id of the first broken entry, if any.")
    reason = serializers.CharField(allow_blank=True)
    head = serializers.CharField(allow_blank=True, help_text="Hash of the last entry checked.")
