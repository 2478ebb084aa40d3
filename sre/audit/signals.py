"""Signal receivers that feed the trail: changes of tracked models, sign-in/out, Celery tasks.

Model receivers are connected per tracked model, by label (``registry.TRACKED``), never for every model: a
``post_delete`` receiver on a model turns off Django's fast delete for it, which the high-volume tables need.
``pre_save`` reads the stored row (one query per update of a tracked model); ``post_save``/``post_delete``
append the entry on the same connection, inside the transaction of the change when there is one.
"""

from __future__ import annotations

from typing import Any

from celery import signals as celery_signals
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db import models
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save

from sre.audit import context as audit_context
from sre.audit.capture import field_names, instance_values, row_values, secret_fields, snapshot
from sre.audit.choices import AuditAction
from sre.audit.domain.diff import changed_fields
from sre.audit.registry import TRACKED, TRACKED_M2M
from sre.audit.services import audit_change, audit_record

_BEFORE = "_audit_before"
_M2M_BEFORE = "_audit_m2m_before"


def _policy(sender: type[models.Model]):
    return TRACKED[sender._meta.label_lower]


def _pre_save(sender: type[models.Model], instance: models.Model, raw: bool = False, using: str = "default",
              update_fields: Any = None, **_: Any) -> None:  # fmt: skip
    instance.__dict__.pop(_BEFORE, None)
    if raw or instance._state.adding or instance.pk is None:
        return
    policy = _policy(sender)
    names = field_names(sender, policy, update_fields)
    if not names:
        return
    row = row_values(sender, instance.pk, names=names, using=using)
    if row is not None:
        instance.__dict__[_BEFORE] = (names, *snapshot(row, names=names, secrets=secret_fields(sender, policy)))


def _post_save(sender: type[models.Model], instance: models.Model, created: bool, raw: bool = False,
               using: str = "default", **_: Any) -> None:  # fmt: skip
    if raw:
        return
    policy = _policy(sender)
    secrets = secret_fields(sender, policy)
    if created:
        if policy.create:
            after, _digests = snapshot(instance_values(instance), names=field_names(sender, policy), secrets=secrets)
            audit_change(action=AuditAction.CREATE, instance=instance, before=None, after=after, using=using)
        return
    stored = instance.__dict__.pop(_BEFORE, None)
    if stored is None:
        return
    names, before, before_digests = stored
    after, after_digests = snapshot(instance_values(instance), names=names, secrets=secrets)
    changed = set(changed_fields(before=before, after=after))
    changed |= {name for name in before_digests if before_digests[name] != after_digests.get(name)}
    if not changed:
        return
    audit_change(
        action=AuditAction.UPDATE,
        instance=instance,
        before={k: before[k] for k in sorted(changed) if k in before},
        after={k: after[k] for k in sorted(changed) if k in after},
        using=using,
    )


def _post_delete(sender: type[models.Model], instance: models.Model, using: str = "default", **_: Any) -> None:
    policy = _policy(sender)
    if not policy.delete:
        return
    before, _digests = snapshot(
        instance_values(instance), names=field_names(sender, policy), secrets=secret_fields(sender, policy)
    )
    audit_change(action=AuditAction.DELETE, instance=instance, before=before, after=None, using=using)


def _relation(sender: type[models.Model], instance: models.Model, reverse: bool) -> str | None:
    """The accessor on ``instance`` for the relation whose through model is ``sender``."""
    if not reverse:
        for field in instance._meta.many_to_many:
            if field.remote_field.through is sender:
                return field.name
        return None
    for rel in instance._meta.related_objects:
        if rel.many_to_many and rel.through is sender:
            return rel.get_accessor_name()
    return None


def _m2m_changed(sender: type[models.Model], instance: models.Model, action: str, reverse: bool,
                 using: str = "default", **_: Any) -> None:  # fmt: skip
    context = audit_context.current()
    if context is not None and context.muted_m2m:
        return
    if not isinstance(instance, models.Model):
        return
    accessor = _relation(sender, instance, reverse)
    if accessor is None:
        return
    stash = instance.__dict__.setdefault(_M2M_BEFORE, {})
    if action.startswith("pre_"):
        stash[accessor] = sorted(getattr(instance, accessor).using(using).values_list("pk", flat=True))
        return
    before = stash.pop(accessor, None)
    if before is None:
        return
    after = sorted(getattr(instance, accessor).using(using).values_list("pk", flat=True))
    if before == after:
        return
    audit_change(
        action=AuditAction.UPDATE, instance=instance, before={accessor: before}, after={accessor: after}, using=using
    )


def _logged_in(sender: Any, request: Any, user: Any, **_: Any) -> None:
    audit_record(action=AuditAction.LOGIN, obj=user, user=user, request=request, detail={"backend": _backend(user)})


def _logged_out(sender: Any, request: Any, user: Any, **_: Any) -> None:
    if user is not None:
        audit_record(action=AuditAction.LOGOUT, obj=user, user=user, request=request)


def _login_failed(sender: Any, credentials: dict, request: Any = None, **_: Any) -> None:
    # Django has already masked the password in ``credentials``; only the name tried is kept.
    username = str(credentials.get("username") or "")[:150]
    audit_record(action=AuditAction.LOGIN_FAILED, request=request, detail={"username": username})


def _backend(user: Any) -> str:
    return str(getattr(user, "backend", "") or "")[:200]


_task_tokens: dict[str, Any] = {}


def _task_prerun(task_id: str | None = None, task: Any = None, **_: Any) -> None:
    if task_id:
        name = getattr(task, "name", None) or "task"
        _task_tokens[task_id] = audit_context.enter(audit_context.AuditContext(system=f"system:{name}"[:150]))


def _task_postrun(task_id: str | None = None, **_: Any) -> None:
    token = _task_tokens.pop(task_id, None) if task_id else None
    if token is not None:
        try:
            audit_context.leave(token)
        except ValueError:  # set in another context (should not happen); the next task sets its own
            pass


def connect() -> None:
    for label in TRACKED:
        pre_save.connect(_pre_save, sender=label, dispatch_uid=f"audit-pre-save-{label}")
        post_save.connect(_post_save, sender=label, dispatch_uid=f"audit-post-save-{label}")
        post_delete.connect(_post_delete, sender=label, dispatch_uid=f"audit-post-delete-{label}")
    for label in TRACKED_M2M:
        m2m_changed.connect(_m2m_changed, sender=label, dispatch_uid=f"audit-m2m-{label}")
    user_logged_in.connect(_logged_in, dispatch_uid="audit-logged-in")
    user_logged_out.connect(_logged_out, dispatch_uid="audit-logged-out")
    user_login_failed.connect(_login_failed, dispatch_uid="audit-login-failed")
    celery_signals.task_prerun.connect(_task_prerun, weak=False, dispatch_uid="audit-task-prerun")
    celery_signals.task_postrun.connect(_task_postrun, weak=False, dispatch_uid="audit-task-postrun")
