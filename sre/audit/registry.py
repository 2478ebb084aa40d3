"""Which models the audit trail records, and how (by model label, so ``sre`` imports no app).

Recorded: every configuration and human-made change of our apps, and the users, groups and API tokens.
Not recorded (high-volume data written by machines, each with its own ledger or timeline):

- telemetry: series, counter state, minute/hour rollups, ingest batches, log lines (ingest data).
- slo: status snapshots; an SLO's cached ``status``/``status_at``/``burn_alerts`` (written every evaluation).
- alerts: alerts and groups as intake and flushes write them (raw SQL), their timeline (``GroupEvent``), the
  notification outbox and delivery attempts, the config version row; a group's flush bookkeeping fields.
  Recorded: what people do to a group (acknowledge, resolve, silence) and an alert resolved by hand.
- incidents: nothing left out.
- statuspage: derived component status, maintenance start/end events, subscriber notifications, the
  announced-update cursor.
- drills: steps (with their heartbeats and logs), check results, scratch resources; a run's heartbeat and
  worker fields. Recorded: a run requested, and its status changes.
- oncall: running escalations, pages and person notifications (the escalation engine's state; each group's
  timeline shows them), used action-link nonces; contact-method test results and iCal fetch bookkeeping.
- releases: budget notices (the evaluator's, each an alert on its own timeline), deployments (pushed by CI or
  typed in; each row is its own ledger: who recorded it, with which token, its release-burn watch and rollback
  webhook call). Recorded: budget policies and deploy-gate overrides (created and revoked).
- heartbeats: pings; a check's runtime fields (state, last pings, deadlines, ping count, alert bookkeeping), written
  by pings and the check pass. Recorded: its configuration, pause/resume and a new ping key (redacted).
- rules: each rule's active alerts (``RuleAlert``: the pending/firing state machine, written by every evaluation;
  the alerts it raises are the intake's) and a rule's evaluation fields (health, last error, last evaluated,
  duration). Recorded: the rules themselves (created, changed, enabled/disabled, deleted, imported).
- sre: worker heartbeats; a token's ``last_used_at`` (token use is recorded as its own action instead).
- auth: ``last_login`` (sign-in is recorded as its own action), user permissions.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Policy:
    """``ignore``: fields left out of snapshots (a change to them alone records nothing). ``only``: when set,
    the only fields recorded. ``redact``: fields shown as ``"***"`` (every ``EncryptedTextField`` is, too).
    ``create``/``delete``: record creation/deletion (off for rows whose life is the system's)."""

    ignore: frozenset[str] = frozenset()
    only: frozenset[str] = frozenset()
    redact: frozenset[str] = frozenset()
    create: bool = True
    delete: bool = True


def _p(*, ignore: tuple[str, ...] = (), only: tuple[str, ...] = (), redact: tuple[str, ...] = (), **kw: bool) -> Policy:
    return Policy(ignore=frozenset(ignore), only=frozenset(only), redact=frozenset(redact), **kw)


PLAIN = Policy()

# label_lower -> policy. Field names are attnames (``receiver_id`` for a foreign key).
TRACKED: dict[str, Policy] = {
    "auth.user": _p(ignore=("last_login",), redact=("password",)),
    "auth.group": PLAIN,
    "sre.apitoken": _p(ignore=("last_used_at",), redact=("digest",)),
    "slo.service": _p(ignore=("updated_at",)),
    "slo.slo": _p(ignore=("status", "status_at", "burn_alerts", "updated_at")),
    "alerts.receiver": _p(ignore=("breaker_failures", "breaker_open_until"), redact=("routing_key_digest",)),
    "alerts.timeinterval": PLAIN,
    "alerts.route": PLAIN,
    "alerts.inhibitrule": PLAIN,
    "alerts.silence": _p(ignore=("updated_at",)),
    "alerts.maintenancewindow": PLAIN,
    "alerts.alertgroup": _p(
        only=("state", "acknowledged_at", "acknowledged_by", "resolved_at"), create=False, delete=False
    ),
    "alerts.alert": _p(only=("status", "ends_at", "resolved_by"), create=False, delete=False),
    "incidents.severitylevel": PLAIN,
    "incidents.incident": _p(ignore=("updated_at",)),
    "incidents.incidentalertgroup": PLAIN,
    "incidents.incidentcomponent": PLAIN,
    "incidents.timelineentry": PLAIN,
    "incidents.statusupdate": PLAIN,
    "incidents.postmortem": _p(ignore=("updated_at",)),
    "incidents.actionitem": _p(ignore=("updated_at",)),
    "incidents.incidentpolicy": PLAIN,
    "statuspage.componentgroup": _p(ignore=("updated_at",)),
    "statuspage.component": _p(ignore=("status", "status_changed_at", "updated_at")),
    "statuspage.scheduledmaintenance": _p(ignore=("updated_at",)),
    "statuspage.subscriber": _p(ignore=("last_error",), redact=("url_digest",)),
    "drills.backuptarget": _p(ignore=("updated_at",)),
    "drills.verificationcheck": PLAIN,
    "drills.drillrun": _p(
        only=("status", "trigger", "requested_by_id", "target_id", "cancel_requested_at", "message"), delete=True
    ),
    "oncall.team": PLAIN,
    "oncall.personsettings": _p(redact=("feed_token_digest",)),
    "oncall.contactmethod": _p(ignore=("last_test_at", "last_test_result")),
    "oncall.notificationrule": PLAIN,
    "oncall.schedule": _p(ignore=("ical_fetched_at", "ical_error", "updated_at")),
    "oncall.layer": PLAIN,
    "oncall.override": PLAIN,
    "oncall.swap": PLAIN,
    "oncall.escalationpolicy": _p(ignore=("updated_at",)),
    "oncall.escalationstep": PLAIN,
    "oncall.routepolicy": PLAIN,
    "oncall.severitypolicy": PLAIN,
    "releases.budgetpolicy": _p(ignore=("updated_at",)),
    "releases.gateoverride": PLAIN,
    "heartbeats.check": _p(
        ignore=(
            "updated_at",
            "state",
            "state_changed_at",
            "last_ping_at",
            "last_start_at",
            "last_duration_seconds",
            "next_due_at",
            "alert_at",
            "ping_count",
            "alert_wanted",
            "alert_labels",
            "alert_synced",
        ),
        redact=("ping_key",),
    ),
    "rules.alertrule": _p(ignore=("health", "last_error", "last_evaluated_at", "last_duration_ms", "updated_at")),
}

# Many-to-many relations recorded (their auto-created through models): label_lower of the through model.
TRACKED_M2M: tuple[str, ...] = (
    "auth.user_groups",
    "alerts.maintenancewindow_routes",
    "incidents.incident_services",
    "statuspage.component_services",
    "statuspage.component_slos",
    "statuspage.scheduledmaintenance_components",
    "statuspage.subscriber_components",
    "oncall.team_members",
)
