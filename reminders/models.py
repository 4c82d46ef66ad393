"""Reminder rules (data), the reminder rows the sweep writes, in-app notifications and each user's choices.

Rows are the source of truth: the broker only carries "deliver these ids now". A lost message, a killed worker or
a second beat neither loses nor repeats a reminder, because every step is a conditional write on these rows.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from projects.models.passes import LocalizedNameMixin
from projects.stages import Stage

# An offset beyond a year is a typing slip, not a rule anyone means.
MAX_RULE_DAYS = 366


class ReminderRule(LocalizedNameMixin, models.Model):
    class Kind(models.TextChoices):
        MILESTONE_DUE_IN = "milestone_due_in", _("Milestone due in N days")
        MILESTONE_DUE_TODAY = "milestone_due_today", _("Milestone due today")
        MILESTONE_OVERDUE = "milestone_overdue", _("Milestone overdue")
        MILESTONE_ESCALATION = (
            "milestone_escalation",
            _("Milestone overdue beyond N days: escalate to the unit head"),
        )
        STAGE_STUCK = "stage_stuck", _("Stage unchanged for N days")
        NO_ACTIVITY = "no_activity", _("No activity for N days")
        PAUSE_EXPIRED = "pause_expired", _("Paused past the resume date")
        INTAKE_SLA = "intake_sla", _("New lead not qualified within N days")
        MANAGER_DIGEST = "manager_digest", _("Daily digest for managers")
        UNIT_DIGEST = "unit_digest", _("Daily unit digest to the group webhook")
        FUNDING_WINDOW_CLOSING = "funding_window_closing", _("Funding batch closes in N days")
        TRANCHE_DUE = "tranche_due", _("Tranche due in N days")

    class Repeat(models.TextChoices):
        ONCE = "once", _("Once")
        DAILY = "daily", _("Daily until resolved")

    class DayUnit(models.TextChoices):
        WORKING = "working", _("Working days")
        CALENDAR = "calendar", _("Calendar days")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name (Simplified Chinese)"), max_length=100)
    name_zh_hant = models.CharField(_("name (Traditional Chinese)"), max_length=100, blank=True)
    name_en = models.CharField(_("name (English)"), max_length=150, blank=True)
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    days = models.PositiveSmallIntegerField(
        _("days"), default=0, help_text=_("N in the rule's kind; 0 where the kind has no N.")
    )
    day_unit = models.CharField(
        _("days count as"), max_length=8, choices=DayUnit.choices, default=DayUnit.WORKING
    )
    stage = models.CharField(
        _("stage"),
        max_length=16,
        choices=Stage.choices,
        blank=True,
        help_text=_("Only for “stage unchanged”."),
    )
    repeat = models.CharField(_("repeat"), max_length=8, choices=Repeat.choices, default=Repeat.ONCE)
    is_active = models.BooleanField(_("active"), default=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("reminder rule")
        verbose_name_plural = _("reminder rules")
        ordering = ["kind", "stage", "days", "code"]
        constraints = [
            models.CheckConstraint(condition=Q(days__lte=MAX_RULE_DAYS), name="reminderrule_days_bounded"),
        ]

    def __str__(self) -> str:
        return self.localized_name

    NEEDS_DAYS = {
        Kind.MILESTONE_DUE_IN,
        Kind.MILESTONE_ESCALATION,
        Kind.STAGE_STUCK,
        Kind.NO_ACTIVITY,
        Kind.INTAKE_SLA,
        Kind.FUNDING_WINDOW_CLOSING,
        Kind.TRANCHE_DUE,
    }
    # What each kind is about, for the reminder rows it writes.
    SUBJECTS = {
        Kind.MILESTONE_DUE_IN: "milestone",
        Kind.MILESTONE_DUE_TODAY: "milestone",
        Kind.MILESTONE_OVERDUE: "milestone",
        Kind.MILESTONE_ESCALATION: "milestone",
        Kind.STAGE_STUCK: "lead",
        Kind.NO_ACTIVITY: "lead",
        Kind.PAUSE_EXPIRED: "lead",
        Kind.INTAKE_SLA: "lead",
        Kind.MANAGER_DIGEST: "user",
        Kind.UNIT_DIGEST: "unit",
        # One row per owner with a draft in the batch, however many of their leads have one.
        Kind.FUNDING_WINDOW_CLOSING: "window",
        Kind.TRANCHE_DUE: "tranche",
    }

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.days is not None and self.days > MAX_RULE_DAYS:
            errors["days"] = _("At most %(max)s days: a longer offset is almost certainly a typing slip.") % {
                "max": MAX_RULE_DAYS
            }
        elif self.kind in self.NEEDS_DAYS and not self.days:
            errors["days"] = _("This kind of rule needs a number of days of at least 1.")
        elif self.kind and self.kind not in self.NEEDS_DAYS and self.days:
            errors["days"] = _("This kind of rule has no number of days; leave it at 0.")
        if self.kind == self.Kind.STAGE_STUCK and not self.stage:
            errors["stage"] = _("Choose the stage this rule watches.")
        elif self.kind != self.Kind.STAGE_STUCK and self.stage:
            errors["stage"] = _("Only a “stage unchanged” rule watches a stage.")
        if self.kind in {self.Kind.MILESTONE_OVERDUE} and self.repeat != self.Repeat.DAILY:
            errors["repeat"] = _("An overdue reminder repeats daily until the milestone is resolved.")
        if (
            self.kind in {self.Kind.MANAGER_DIGEST, self.Kind.UNIT_DIGEST}
            and self.repeat != self.Repeat.DAILY
        ):
            errors["repeat"] = _("A digest is sent daily.")
        if errors:
            raise ValidationError(errors)

    @property
    def subject_type(self) -> str:
        return self.SUBJECTS[self.kind]


class Reminder(models.Model):
    """One occurrence of a rule for one subject and one recipient. Append-only apart from its delivery state."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    rule = models.ForeignKey(
        ReminderRule, on_delete=models.PROTECT, related_name="reminders", verbose_name=_("rule")
    )
    subject_type = models.CharField(_("subject type"), max_length=10)
    subject_id = models.PositiveBigIntegerField(_("subject id"))
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="reminders",
        verbose_name=_("recipient"),
        null=True,
        blank=True,
        help_text=_("Empty for a unit digest, which goes to the group webhook."),
    )
    occurs_on = models.DateField(_("occurrence date"))
    lead = models.ForeignKey(
        "projects.Lead",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("lead"),
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    not_before = models.DateTimeField(_("not before"))
    claim = models.CharField(_("claim"), max_length=32, blank=True, editable=False)
    claimed_until = models.DateTimeField(_("claimed until"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    channels_done = models.CharField(
        _("channels delivered"), max_length=60, blank=True, help_text=_("Channels already sent, in order.")
    )
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    cancelled_reason = models.CharField(_("why cancelled"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        ordering = ["-occurs_on", "-pk"]
        constraints = [
            # The sweep's exactly-once guarantee: two sweeps at once insert one row, the loser's insert is ignored.
            models.UniqueConstraint(
                fields=["rule", "subject_type", "subject_id", "recipient", "occurs_on"],
                name="reminder_once_per_occurrence",
            ),
            # A unit digest has no recipient, and NULLs never clash in the constraint above.
            models.UniqueConstraint(
                fields=["rule", "subject_type", "subject_id", "occurs_on"],
                condition=Q(recipient__isnull=True),
                name="reminder_once_per_group_occurrence",
            ),
        ]
        indexes = [
            # Serves the sweep's "pending and due for delivery" scan.
            models.Index(fields=["not_before"], condition=Q(status="pending"), name="reminder_pending_idx"),
            # Serves cancelling a lead's pending rows and the subject's reminders in admin.
            models.Index(fields=["subject_type", "subject_id"], name="reminder_subject_idx"),
            models.Index(fields=["lead", "status"], name="reminder_lead_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.rule} · {self.subject_type} {self.subject_id} · {self.occurs_on}"


class Notification(models.Model):
    """The in-app copy of a reminder: the inbox. At most one per reminder, so a re-delivery never shows twice."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("recipient"),
    )
    reminder = models.OneToOneField(
        Reminder, on_delete=models.CASCADE, null=True, blank=True, related_name="notification"
    )
    title = models.CharField(_("title"), max_length=300)
    body = models.TextField(_("text"), blank=True)
    url = models.CharField(_("link"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        indexes = [
            # Serves the inbox (newest first) and the bell's unread count.
            models.Index(fields=["recipient", "-created_at"], name="notification_inbox_idx"),
            models.Index(
                fields=["recipient"], condition=Q(read_at__isnull=True), name="notification_unread_idx"
            ),
        ]

    def __str__(self) -> str:
        return self.title


def new_calendar_token() -> str:
    return secrets.token_urlsafe(24)


class NotificationPreference(models.Model):
    """How one user wants to hear about reminders. In-app notifications are always on."""

    class Language(models.TextChoices):
        ZH_HANS = "zh-hans", _("Simplified Chinese")
        ZH_HANT = "zh-hant", _("Traditional Chinese")
        EN = "en", _("English")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference"
    )
    by_email = models.BooleanField(_("by email"), default=True)
    by_wecom = models.BooleanField(_("by WeCom"), default=True)
    language = models.CharField(
        _("language"), max_length=8, choices=Language.choices, default=Language.ZH_HANS
    )
    quiet_from = models.TimeField(_("quiet from"), null=True, blank=True, help_text=_("e.g. 22:00"))
    quiet_until = models.TimeField(_("quiet until"), null=True, blank=True, help_text=_("e.g. 08:00"))
    calendar_token = models.CharField(
        _("calendar feed key"), max_length=64, unique=True, default=new_calendar_token
    )
    history = HistoricalRecords(excluded_fields=["calendar_token"])

    class Meta:
        verbose_name = _("notification settings")
        verbose_name_plural = _("notification settings")

    def __str__(self) -> str:
        return str(self.user)

    def clean(self) -> None:
        if (self.quiet_from is None) != (self.quiet_until is None):
            raise ValidationError(_("Give both ends of the quiet hours, or neither."))
        if self.quiet_from is not None and self.quiet_from == self.quiet_until:
            raise ValidationError(_("Quiet hours cannot start and end at the same time."))
