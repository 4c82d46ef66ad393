"""What happens to a lead: stage changes, signings, capital in place, documents and activities."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.money import amount_field, currency_field
from directory.models import Organization
from projects.models.leads import Lead
from projects.stages import Stage
from talent.models import RecruitmentEvent


class StageChange(models.Model):
    """One move of a lead between stages. Append-only: the funnel is computed from these rows alone."""

    lead = models.ForeignKey(
        Lead, on_delete=models.CASCADE, related_name="stage_changes", verbose_name=_("lead")
    )
    from_stage = models.CharField(_("from stage"), max_length=16, choices=Stage.choices, blank=True)
    to_stage = models.CharField(_("to stage"), max_length=16, choices=Stage.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT, related_name="+"
    )
    occurred_at = models.DateTimeField(_("occurred at"))
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    note = models.TextField(_("note"), blank=True)
    evidence = models.JSONField(_("evidence"), default=dict, blank=True)
    imported = models.BooleanField(_("imported"), default=False)

    class Meta:
        verbose_name = _("stage change")
        verbose_name_plural = _("stage changes")
        ordering = ["occurred_at", "pk"]
        indexes = [
            # Serves a lead's history and "the previous change" check in lead_advance, and the funnel's walk over
            # each cohort lead's changes in order: with the id and the stage in the index (PostgreSQL), both funnel
            # queries read it alone, already sorted, never the table.
            models.Index(
                fields=["lead", "occurred_at", "id"], include=["to_stage"], name="stagechange_lead_time_idx"
            ),
            # Serves moves into one stage within a period (talent arrived, stage KPIs).
            models.Index(fields=["to_stage", "occurred_at"], name="stagechange_stage_time_idx"),
            # Serves the funnel's cohort: leads by the date of their registration, the one change without a
            # from_stage (reporting.funnel.cohort_members); the lead id in the index spares the table visit.
            models.Index(
                fields=["occurred_at", "lead"], name="stagechange_first_time_idx", condition=Q(from_stage="")
            ),
        ]

    def __str__(self) -> str:
        # The enum's labels, not get_FOO_display(): that hashes every choice of the field per call, and a lead page
        # prints one of these per stage change.
        before = Stage(self.from_stage).label if self.from_stage else "—"
        return f"{before} → {Stage(self.to_stage).label}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise ValueError("Stage changes are append-only.")
        super().save(*args, **kwargs)


class Signing(models.Model):
    """签约记录. KPIs count these rows: a capital increase counts by amount only, never as a new project."""

    class Kind(models.TextChoices):
        NEW = "new", _("New signing")
        RESIGN = "resign", _("Re-signing after a change of investor")
        CAPITAL_INCREASE = "capital_increase", _("Capital increase (增资)")

    lead = models.ForeignKey(Lead, on_delete=models.PROTECT, related_name="signings", verbose_name=_("lead"))
    signed_on = models.DateField(_("signing date"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.NEW)
    investor = models.ForeignKey(
        Organization, verbose_name=_("investor"), on_delete=models.PROTECT, related_name="signings"
    )
    event = models.ForeignKey(
        RecruitmentEvent,
        verbose_name=_("signed at event"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="signings",
    )
    credited_event = models.ForeignKey(
        RecruitmentEvent,
        verbose_name=_("event credited"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="credited_signings",
        editable=False,
        help_text=_("A project counts once, for the first event where it was signed."),
    )
    amount = amount_field(_("contracted amount"))
    currency = currency_field()
    note = models.TextField(_("note"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("signing")
        verbose_name_plural = _("signings")
        ordering = ["signed_on", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["lead", "investor"], condition=Q(kind="new"), name="signing_one_new_per_lead_investor"
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="signing_amount_not_negative"),
        ]
        indexes = [models.Index(fields=["signed_on"], name="signing_date_idx")]  # KPI periods

    def __str__(self) -> str:
        return f"{self.signed_on} {self.get_kind_display()} {self.amount} {self.currency}"


class CapitalInjection(models.Model):
    """到资: capital actually in place. "Capital in place" is their sum, per currency."""

    lead = models.ForeignKey(
        Lead, on_delete=models.PROTECT, related_name="capital_injections", verbose_name=_("lead")
    )
    received_on = models.DateField(_("date received"))
    amount = amount_field(_("amount"))
    currency = currency_field()
    note = models.TextField(_("note"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("capital injection")
        verbose_name_plural = _("capital injections")
        ordering = ["received_on", "pk"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="capital_amount_positive")]
        indexes = [models.Index(fields=["received_on"], name="capital_date_idx")]  # KPI periods

    def __str__(self) -> str:
        return f"{self.received_on} {self.amount} {self.currency}"


def document_path(instance: Document, filename: str) -> str:
    # The stored name never carries the uploaded name: it could hold personal data or path tricks.
    return f"documents/{instance.lead_id}/{instance.token}"


class Document(models.Model):
    """A file that belongs to one lead, optionally attached to one of that lead's records."""

    class Kind(models.TextChoices):
        AGREEMENT = "agreement", _("Agreement or contract")
        LETTER_OF_INTENT = "intent", _("Letter of intent or needs list")
        LICENCE = "licence", _("Business licence or certificate")
        LEASE = "lease", _("Lease or settlement agreement")
        MINUTES = "minutes", _("Minutes or visit record")
        AWARD = "award", _("Award or programme document")
        INVOICE = "invoice", _("Invoice or bank receipt")
        OTHER = "other", _("Other")

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="documents", verbose_name=_("lead"))
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.OTHER)
    title = models.CharField(_("title"), max_length=200)
    token = models.CharField(max_length=40, unique=True, editable=False)
    file = models.FileField(_("file"), upload_to=document_path, max_length=200)
    original_name = models.CharField(_("file name"), max_length=255, editable=False)
    content_type = models.CharField(_("content type"), max_length=100, editable=False)
    size = models.PositiveIntegerField(_("size (bytes)"), editable=False)
    attached = models.BooleanField(
        _("attached"),
        default=False,
        editable=False,
        help_text=_("Uploads never attached to the lead or one of its records are removed after a day."),
    )
    stage_change = models.ForeignKey(
        StageChange,
        verbose_name=_("stage change"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="documents",
    )
    signing = models.ForeignKey(
        Signing,
        verbose_name=_("signing"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="documents",
    )
    capital_injection = models.ForeignKey(
        CapitalInjection,
        verbose_name=_("capital injection"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="documents",
    )
    milestone = models.ForeignKey(
        "projects.Milestone",
        verbose_name=_("milestone"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="documents",
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    history = HistoricalRecords(excluded_fields=["file"])

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["-uploaded_at", "-pk"]
        indexes = [
            # Serves the purge of uploads never attached.
            models.Index(fields=["uploaded_at"], name="document_unattached_idx", condition=Q(attached=False)),
        ]

    def __str__(self) -> str:
        return self.title


class Activity(models.Model):
    """跟进记录: a call, meeting, visit, message or event encounter with the lead's people."""

    class Kind(models.TextChoices):
        CALL = "call", _("Phone call")
        MEETING = "meeting", _("Meeting")
        VISIT = "visit", _("Visit")
        WECHAT = "wechat", _("WeChat")
        EMAIL = "email", _("E-mail")
        EVENT = "event", _("At an event")
        NOTE = "note", _("Internal note")

    TWO_WAY = (Kind.CALL, Kind.MEETING, Kind.VISIT, Kind.WECHAT, Kind.EMAIL, Kind.EVENT)

    lead = models.ForeignKey(
        Lead, on_delete=models.CASCADE, related_name="activities", verbose_name=_("lead")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    occurred_at = models.DateTimeField(_("when"))
    summary = models.TextField(_("summary"))
    participants = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("colleagues present"), blank=True, related_name="+"
    )
    contacts = models.ManyToManyField(
        "talent.Contact", verbose_name=_("people met"), blank=True, related_name="activities"
    )
    next_step = models.CharField(_("next step"), max_length=300, blank=True)
    next_step_on = models.DateField(_("next step by"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("logged by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    history = HistoricalRecords(m2m_fields=[participants, contacts])

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        ordering = ["-occurred_at", "-pk"]
        indexes = [models.Index(fields=["lead", "-occurred_at"], name="activity_lead_time_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.occurred_at:%Y-%m-%d}"
