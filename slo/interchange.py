"""SLO file import (OpenSLO v1, Sloth, Pyrra) and OpenSLO export (services around the pure ``slo.domain`` formats)."""

from __future__ import annotations

import yaml
from django.db import transaction

from slo.domain.exact import decimal_str, exact
from slo.domain.formats import parse_documents
from slo.domain.openslo import openslo_export
from slo.models import SLO, Service
from slo.services import SLUG, service_save, slo_clean, slo_save
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
        "missing_good": slo.missing_good,
    }


def openslo_export_text(slo: SLO) -> str:
    return yaml.safe_dump_all(openslo_export(slo_definition(slo)), sort_keys=False, allow_unicode=True)


def _load(text: str) -> list:
    try:
        docs = yaml_load_all(text)
    except yaml.YAMLError as exc:
        raise InvalidInputError(f"The YAML does not parse: {exc}", fields={"body": [str(exc)]}) from None
    except ValueError as exc:  # a value the loader cannot build, e.g. an integer of more than 4,300 digits
        raise UnprocessableError(
            f"The YAML holds a value that cannot be read: {exc}", fields={"body": [str(exc)]}
        ) from None
    if len(docs) > MAX_DOCUMENTS:
        raise InvalidInputError(f"At most {MAX_DOCUMENTS} documents per import.", fields={"body": ["Too many."]})
    return docs


def _problems(exc: DomainError) -> str:
    return "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in exc.fields.items()) or exc.message


def openslo_import(*, text: str, dry_run: bool = False) -> dict:
    """Upsert the services and SLOs of YAML documents (OpenSLO v1, Sloth, Pyrra; lists and multi-document
    streams) by name: services by name, SLOs by (service, name).

    Every object that can be imported is; one that cannot (unreadable, an unsupported source, an invalid
    SLI, an indicatorRef naming nothing) is listed in ``failed`` with where it is and why, and the rest still
    imports. Returns {"services": {"created": [...], "updated": [...]}, "slos": {...}, "unsupported":
    [fields ignored, by path], "skipped": [objects left out and why], "failed": [...], "dry_run"}.
    Raises ``UnprocessableError`` (422) when nothing at all can be imported, listing why."""
    result = parse_documents(_load(text))
    failed = list(result.errors)
    services: dict[str, dict] = {}
    for svc in result.services:
        where = svc.get("where", "")
        if not isinstance(svc.get("name"), str) or not SLUG.fullmatch(svc["name"]):
            failed.append(f"{where}: Service {svc['name']}: the name must be a slug (a-z, 0-9, -, _), 100 at most")
            continue
        services[svc["name"]] = {k: v for k, v in svc.items() if k != "where"}
    plans, seen = [], set()
    for item in result.slos:
        where, service_name = item.get("where", ""), item["service"]
        label = f"{where}: SLO {item['name']}"
        if (service_name, item["name"]) in seen:
            failed.append(f"{label}: service {service_name} has another SLO of this name in these documents")
            continue
        if not isinstance(service_name, str) or not SLUG.fullmatch(service_name):
            failed.append(f"{label}: spec.service {service_name!r} must be a slug (a-z, 0-9, -, _)")
            continue
        existing = SLO.objects.filter(service__name=service_name, name=item["name"]).first()
        data = {k: v for k, v in item.items() if k not in ("service", "where")}
        try:
            data["target"] = str(data["target"])
            slo_clean({**data, "service": None}, instance=existing)
        except DomainError as exc:
            failed.append(f"{label}: {_problems(exc)}")
            continue
        seen.add((service_name, item["name"]))
        plans.append((existing, service_name, data))
    if not plans and not services:
        reasons = failed + result.skipped
        message = "Nothing in these documents can be imported"
        raise UnprocessableError(
            f"{message}: {reasons[0]}" + (f" (and {len(reasons) - 1} more)" if len(reasons) > 1 else "")
            if reasons
            else f"{message}: there are no OpenSLO, Sloth or Pyrra documents.",
            fields={"documents": reasons or ["None found."]},
        )
    report: dict = {
        "services": {"created": [], "updated": []},
        "slos": {"created": [], "updated": []},
        "unsupported": result.unsupported,
        "skipped": result.skipped,
        "failed": failed,
        "dry_run": dry_run,
    }
    with transaction.atomic():
        saved = {}
        for name, svc in services.items():
            existing = Service.objects.filter(name=name).first()
            saved[name] = service_save(service=existing, data=svc)
            report["services"]["updated" if existing else "created"].append(name)
        for existing, service_name, data in plans:
            service = saved.get(service_name) or Service.objects.filter(name=service_name).first()
            if service is None:
                service = saved[service_name] = service_save(service=None, data={"name": service_name})
                report["services"]["created"].append(service_name)
            slo_save(slo=existing, data={**data, "service": service})
            report["slos"]["updated" if existing else "created"].append(data["name"])
        if dry_run:
            transaction.set_rollback(True)
    return report
