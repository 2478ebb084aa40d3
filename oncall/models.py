"""Models of the oncall app: teams and people's contact methods and notification rules, schedules (layers,
overrides, swaps, iCalendar), escalation policies, and the running state of escalations and pages.

A person is a Django user. Person keys in ``oncall.domain`` are ``str(user.pk)``."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from oncall.choices import (
    ContactKind,
    DeliveryState,
    EscalationState,
    LinkAction,
    PageState,
    Rotation,
    RuleKind,
    StepKind,
    SwapState,
)
from sre.crypto import EncryptedTextField

User = settings.AUTH_USER_MODEL


class Team(models.Model):
    """A group of people that owns schedules and policies; ``slug`` is matched to an alert's ``team`` label."""

    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=100)
    description = models.TextField(blank=True)
    members = models.ManyToManyField(User, blank=True, related_name="oncall_teams")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["name"], name="oncall_team_name_unique"),
            models.UniqueConstraint(fields=["slug"], name="oncall_team_slug_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class PersonSettings(models.Model):
    """Per-person on-call settings: the digest of the secret iCal feed token (the token is shown once)."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="oncall_settings")
    feed_token_digest = models.CharField(max_length=64, blank=True, db_index=True)

    def __str__(self) -> str:
        return f"on-call settings of {self.user_id}"


class ContactMethod(models.Model):
    """One way to reach a person. The address of a chat method (an Apprise URL, which holds tokens) and a
    webhook's signing secret are encrypted at rest and never returned. A method is used by notification
    rules only once ``verified_at`` is set by a successful "send me a test"."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="contact_methods")
    kind = models.CharField(max_length=10, choices=ContactKind.choices)
    label = models.CharField(max_length=100, blank=True)
    address = EncryptedTextField()
    secret = EncryptedTextField(blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    last_test_at = models.DateTimeField(null=True, blank=True)
    last_test_result = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["user_id", "pk"]

    def __str__(self) -> str:
        return self.label or self.get_kind_display()


class NotificationRule(models.Model):
    """A step of a person's own notification chain: "notify by <method>" or "wait N minutes". The
    *important* chain is used for critical alerts, the default chain for the rest."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notification_rules")
    important = models.BooleanField(default=False)
    position = models.PositiveIntegerField(default=0)
    kind = models.CharField(max_length=10, choices=RuleKind.choices)
    contact_method = models.ForeignKey(
        ContactMethod, null=True, blank=True, on_delete=models.CASCADE, related_name="rules"
    )
    wait_minutes = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["user_id", "important", "position", "pk"]

    def __str__(self) -> str:
        return f"{self.kind} ({'important' if self.important else 'default'})"


class Schedule(models.Model):
    """Who is on call: layers (rotations), overrides and swaps in ``time_zone``, optionally an iCalendar
    layer (from ``ical_url``, fetched by a task, or uploaded). ``fallback`` covers gaps."""

    name = models.CharField(max_length=100)
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="schedules")
    time_zone = models.CharField(max_length=64, default="UTC")
    fallback = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    ical_url = models.URLField(max_length=500, blank=True)
    ical_text = models.TextField(blank=True)
    ical_level = models.IntegerField(default=0)
    ical_fetched_at = models.DateTimeField(null=True, blank=True)
    ical_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["name"], name="oncall_schedule_name_unique")]

    def __str__(self) -> str:
        return self.name


class Layer(models.Model):
    """A rotation: ``participants`` (user ids in order) take turns of ``every`` ``rotation`` units from
    ``start_date`` at ``handoff_time`` (local wall-clock in the schedule's zone); ``restrictions`` limit it to windows
    (``[{"weekdays": [0..6], "start": "09:00", "end": "17:00"}]``). Higher ``level`` wins."""

    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="layers")
    name = models.CharField(max_length=100, blank=True)
    level = models.IntegerField(default=0)
    participants = models.JSONField(default=list)
    rotation = models.CharField(max_length=10, choices=Rotation.choices, default=Rotation.WEEKS)
    every = models.PositiveIntegerField(default=1)
    start_date = models.DateField(help_text="Local date of the first handoff.")
    handoff_time = models.TimeField(help_text="Local wall-clock time of each handoff.")
    end_date = models.DateField(null=True, blank=True, help_text="The layer stops at this local date's start.")
    restrictions = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["schedule_id", "-level", "pk"]

    def __str__(self) -> str:
        return self.name or f"layer {self.pk}"


class Override(models.Model):
    """``user`` is on call instead of the layers from ``start`` to ``end``."""

    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="overrides")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    start = models.DateTimeField()
    end = models.DateTimeField()
    created_by = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["start", "pk"]
        constraints = [models.CheckConstraint(condition=Q(end__gt=models.F("start")), name="oncall_override_order")]

    def __str__(self) -> str:
        return f"override {self.pk}"


class Swap(models.Model):
    """``from_user`` offers their shifts between ``start`` and ``end``; once ``to_user`` takes it, they are
    on call wherever ``from_user`` would have been."""

    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="swaps")
    from_user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    to_user = models.ForeignKey(User, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    start = models.DateTimeField()
    end = models.DateTimeField()
    state = models.CharField(max_length=10, choices=SwapState.choices, default=SwapState.OFFERED)
    created_at = models.DateTimeField(auto_now_add=True)
    taken_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["start", "pk"]
        constraints = [models.CheckConstraint(condition=Q(end__gt=models.F("start")), name="oncall_swap_order")]

    def __str__(self) -> str:
        return f"swap {self.pk}"


class EscalationPolicy(models.Model):
    """Ordered steps run when an alert group needs a human; frozen as a snapshot on each escalation."""

    name = models.CharField(max_length=100)
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="policies")
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["name"], name="oncall_policy_name_unique")]

    def __str__(self) -> str:
        return self.name


class EscalationStep(models.Model):
    """One step of a policy. Which fields matter depends on ``kind`` (see ``oncall.domain.escalation``)."""

    policy = models.ForeignKey(EscalationPolicy, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveIntegerField(default=0)
    kind = models.CharField(max_length=20, choices=StepKind.choices)
    persons = models.JSONField(default=list, blank=True, help_text="User ids (notify persons).")
    round_robin = models.BooleanField(default=False)
    schedule = models.ForeignKey(Schedule, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    important = models.BooleanField(default=False, help_text="Use people's important notification rules.")
    wait_minutes = models.PositiveIntegerField(default=0)
    window = models.JSONField(default=dict, blank=True, help_text='{"weekdays": [0..6], "start", "end", "time_zone"}')
    webhook_url = models.URLField(max_length=500, blank=True)
    repeat_times = models.PositiveIntegerField(default=0)
    target_policy = models.ForeignKey(
        EscalationPolicy, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["policy_id", "position", "pk"]

    def __str__(self) -> str:
        return f"{self.policy_id}#{self.position} {self.kind}"


class RoutePolicy(models.Model):
    """The escalation policy an alert route pages with (beside its receiver)."""

    route = models.OneToOneField("alerts.Route", on_delete=models.CASCADE, related_name="oncall_policy")
    policy = models.ForeignKey(EscalationPolicy, on_delete=models.CASCADE, related_name="routes")

    def __str__(self) -> str:
        return f"route {self.route_id} → {self.policy_id}"


class SeverityPolicy(models.Model):
    """The team's severity → policy matrix: a group labelled ``team=<slug>`` and ``severity=<severity>``
    that no route policy covers is escalated with ``policy``."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="severity_policies")
    severity = models.CharField(max_length=50)
    policy = models.ForeignKey(EscalationPolicy, on_delete=models.CASCADE, related_name="+")

    class Meta:
        ordering = ["team_id", "severity"]
        constraints = [models.UniqueConstraint(fields=["team", "severity"], name="oncall_severity_policy_unique")]

    def __str__(self) -> str:
        return f"{self.team_id}:{self.severity}"


class Escalation(models.Model):
    """A policy running for one episode of an alert group. ``snapshot`` is the policy frozen at the start
    (steps with the people they will page already resolved), so edits to the policy, schedules or teams
    do not change a running escalation. ``step`` is the index of the next step to run, due at ``due_at``;
    the row is locked while a step runs, which makes each step run once."""

    group = models.ForeignKey("alerts.AlertGroup", on_delete=models.CASCADE, related_name="escalations")
    policy = models.ForeignKey(EscalationPolicy, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    snapshot = models.JSONField(default=dict)
    state = models.CharField(max_length=20, choices=EscalationState.choices, default=EscalationState.ACTIVE)
    step = models.PositiveIntegerField(default=0)
    repeats_done = models.PositiveIntegerField(default=0)
    due_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=200, blank=True)
    started_by = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]
        indexes = [models.Index(fields=["state", "due_at"], name="oncall_escalation_due")]
        constraints = [
            models.UniqueConstraint(fields=["group"], condition=Q(state="active"), name="oncall_escalation_one_active")
        ]

    def __str__(self) -> str:
        return f"escalation {self.pk} of group {self.group_id}"


class Page(models.Model):
    """One person being paged by an escalation: their notification rules (frozen) walked one by one."""

    escalation = models.ForeignKey(Escalation, on_delete=models.CASCADE, related_name="pages")
    user = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    person = models.CharField(max_length=150)
    rules = models.JSONField(default=list)
    rule = models.PositiveIntegerField(default=0)
    state = models.CharField(max_length=10, choices=PageState.choices, default=PageState.ACTIVE)
    due_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["state", "due_at"], name="oncall_page_due")]

    def __str__(self) -> str:
        return f"page {self.pk} of {self.person}"


class PersonNotification(models.Model):
    """The ledger of attempts to reach a person (an outbox row: written with the step, sent after commit)."""

    page = models.ForeignKey(Page, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications")
    group = models.ForeignKey(
        "alerts.AlertGroup", null=True, blank=True, on_delete=models.CASCADE, related_name="person_notifications"
    )
    user = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    contact_method = models.ForeignKey(ContactMethod, null=True, on_delete=models.SET_NULL, related_name="+")
    kind = models.CharField(max_length=10, choices=ContactKind.choices)
    title = models.CharField(max_length=300)
    state = models.CharField(max_length=10, choices=DeliveryState.choices, default=DeliveryState.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    lease_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    delivered_at = models.DateTimeField(null=True, blank=True)
    detail = models.CharField(max_length=500, blank=True)
    test = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="oncall_notification_due")]

    def __str__(self) -> str:
        return f"notification {self.pk}"


class UsedLink(models.Model):
    """Nonces of signed action links already used: each link works once."""

    nonce = models.CharField(max_length=64, primary_key=True)
    action = models.CharField(max_length=20, choices=LinkAction.choices)
    group = models.ForeignKey("alerts.AlertGroup", on_delete=models.CASCADE, related_name="+")
    used_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.nonce
