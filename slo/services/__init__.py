"""Writes of the slo app: services and SLOs (``definitions``) and the evaluator that stores status snapshots and
raises/resolves burn alerts through ``alerts.services.alert_raise`` (``evaluation``)."""

from slo.services.definitions import (
    SLO_FIELDS,
    SLUG,
    service_delete,
    service_save,
    slo_clean,
    slo_delete,
    slo_save,
)
from slo.services.evaluation import (
    count_json,
    slo_counts_evaluate,
    slo_evaluate,
    slo_evaluate_all,
    slo_windows,
    snapshot_row,
    snapshots_expire,
    status_document,
)

__all__ = [
    "SLO_FIELDS",
    "SLUG",
    "count_json",
    "service_delete",
    "service_save",
    "slo_clean",
    "slo_counts_evaluate",
    "slo_delete",
    "slo_evaluate",
    "slo_evaluate_all",
    "slo_save",
    "slo_windows",
    "snapshot_row",
    "snapshots_expire",
    "status_document",
]
