"""Demo alert rules on the demo traffic (``sre.demo.traffic``): a PromQL threshold rule on the email queue and
an error-ratio rule per service, a log count rule and a log line rule. The email queue backs up for eight
minutes of every half hour, so the queue and log rules fire and resolve on that schedule in ``make run``."""

from __future__ import annotations

from rules.choices import RuleKind
from rules.models import AlertRule
from rules.services.rules import rule_save

DEMO_RULES = (
    {
        "group": "demo", "name": "EmailQueueBacklog", "for_seconds": 120,
        "expr": 'max by (service, queue) (queue_depth{queue="email"}) > 500',
        "labels": {"severity": "warning", "team": "platform"},
        "annotations": {"summary": "Email queue holds {{ $value }} messages",
                        "description": "The {{ $labels.queue }} queue of {{ $labels.service }} is backing up."},
    },
    {
        "group": "demo", "name": "HighErrorRatio", "for_seconds": 120,
        "expr": 'sum by (service) (rate(http_requests_total{code=~"5.."}[5m]))'
                " / sum by (service) (rate(http_requests_total[5m])) > 0.05",
        "labels": {"severity": "critical"},
        "annotations": {"summary": "{{ $labels.service }}: {{ $value | humanizePercentage }} of requests fail"},
    },
    {
        "group": "demo-logs", "name": "EmailDeliveryErrors", "kind": RuleKind.LOG_COUNT,
        "log_service": "notifications", "log_levels": ["error"], "log_text": "delivery failed",
        "window_seconds": 300, "comparison": ">", "threshold": 20,
        "labels": {"severity": "warning", "team": "platform"},
        "annotations": {"summary": "{{ $value }} failed deliveries in 5 minutes"},
    },
    {
        "group": "demo-logs", "name": "CriticalLogLine", "kind": RuleKind.LOG_LINE,
        "log_levels": ["critical"], "keep_firing_for_seconds": 300,
        "labels": {"severity": "critical"},
        "annotations": {"summary": "A critical line was logged by {{ $labels.service }}"},
    },
)  # fmt: skip


def rules_demo_seed() -> int:
    """Create the demo rules that are missing (by group and name); returns how many were created."""
    created = 0
    for spec in DEMO_RULES:
        if not AlertRule.objects.filter(group=spec["group"], name=spec["name"]).exists():
            rule_save(rule=None, data=dict(spec))
            created += 1
    return created
