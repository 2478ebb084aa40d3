"""The admin of a model whose writes belong to a service: rows can be looked at, not added, changed or deleted.

The Django admin saves with ``Model.save()`` and deletes with ``QuerySet.delete()``, which would skip what the
service does with the change (a timeline entry, the status-page sync, a periodic task kept in step, alerts
resolved, a cache forgotten). The app's pages and API are the one write path (``tests/sre/test_write_path.py``
checks every registered admin)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
