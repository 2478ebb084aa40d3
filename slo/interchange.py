"""OpenSLO import/export and Prometheus rule export (services around the pure ``slo.domain`` formats)."""

from __future__ import annotations

import yaml
from django.db import transaction

from slo.domain.exact import decimal_str, exact
from slo.domain.openslo import openslo_export, openslo_parse
from slo.models import SLO, Service
from slo.services import service_save, slo_clean, slo_save
from sre.errors import DomainError, InvalidInputError, UnprocessableError
from sre.yaml_input import yaml_load_all

MAX_DOCUMENTS = 1000


def slo_definition(slo: SLO) -> dict:
    """The plain definition of an SLO (what OpenSLO export carries)."""
    return {
        "name": slo.name,
        "display_name": slo.display_name,
        "description": slo.description,
        "service": slo.service.name,
        "service_description": slo.service.description,
        "target": decimal_str(exact(slo.target)),
        "window_kind": slo.window_kind,
        "window_days": slo.window_days,
        "calendar_unit": slo.calendar_unit,
        "timezone": slo.timezone,
        "budgeting_method": slo.budgeting_method,
        "timeslice_target": decimal_str(exact(slo.timeslice_target)),
        "sli_kind": slo.sli_kind,
        "sli": slo.sli,
        "alert_policy": slo.alert_policy,
        "enabled": slo.enabled,
    }


def openslo_export_text(slo: SLO) -> str:
    return yaml.safe_dump_all(openslo_export(slo_definition(slo)), sort_keys=False, allow_unicode=True)


def _load(text: str) -> list:
    try:
        docs = yaml_load_all(text)
    except yaml.YAMLError as exc:
        raise InvalidInputError(f"The YAML does not parse: {exc}", fields={"body": [str(exc)]}) from None
    if len(docs) > MAX_DOCUMENTS:
        raise InvalidInputError(f"At most {MAX_DOCUMENTS} documents per import.", fields={"body": ["Too many."]})
    return docs


def openslo_import(*, text: str, dry_run: bool = False) -> dict:
    """Upsert the services and SLOs of multi-document OpenSLO YAML by name, all or nothing.

    Returns {"services": {"created": [...], "updated": [...]}, "slos": {...}, "unsupported": [paths]}.
    Structural problems and invalid SLI/policies raise ``UnprocessableError`` listing every problem;
    unsupported fields are reported and ignored."""
    result = openslo_parse(_load(text))
    errors = list(result.errors)
    if not errors and not result.slos and not result.services:  # e.g. an empty body or a lone "null"
        raise UnprocessableError("There are no OpenSLO documents to import.", fields={"documents": ["None found."]})
    plans = []
    for item in result.slos:
        existing = SLO.objects.filter(name=item["name"]).first()
        data = {k: v for k, v in item.items() if k != "service"}
        try:
            data["target"] = str(data["target"])
            slo_clean({**data, "service": None}, instance=existing)
        except DomainError as exc:
            errors.extend(f"SLO {item['name']}: {field}: {' '.join(msgs)}" for field, msgs in exc.fields.items())
            continue
        plans.append((existing, item["service"], data))
    if errors:
        raise UnprocessableError(
            f"The OpenSLO documents cannot be imported: {errors[0]}"
            + (f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""),
            fields={"documents": errors},
        )
    report: dict = {
        "services": {"created": [], "updated": []},
        "slos": {"created": [], "updated": []},
        "unsupported": result.unsupported,
        "dry_run": dry_run,
    }
    with transaction.atomic():
        services = {}
        for svc in result.services:
            existing = Service.objects.filter(name=svc["name"]).first()
            services[svc["name"]] = service_save(service=existing, data=svc)
            report["services"]["updated" if existing else "created"].append(svc["name"])
        for existing, service_name, data in plans:
            service = services.get(service_name) or Service.objects.filter(name=service_name).first()
            if service is None:
                service = service_save(service=None, data={"name": service_name})
                services[service_name] = service
                report["services"]["created"].append(service_name)
            slo_save(slo=existing, data={**data, "service": service})
            report["slos"]["updated" if existing else "created"].append(data["name"])
        if dry_run:
            transaction.set_rollback(True)
    return report
