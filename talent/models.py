from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from directory.models import Organization


class Contact(models.Model):
    """A person met through the pipeline: a PI, founder, team member or talent."""

    name = models.CharField(_("name"), max_length=100, help_text=_("As the person writes it."))
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organization"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="contacts",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["name", "pk"]
        permissions = [
            ("view_personal_data", _("Can see phone numbers and e-mail addresses")),
            ("view_all_contacts", _("Can see contacts beyond the events one is assigned to")),
        ]

    def __str__(self) -> str:
        return self.name


class RecruitmentEvent(models.Model):
    """A promotion or recruitment event (招才引智专场), in Hong Kong or Suzhou."""

    name = models.CharField(_("name"), max_length=200)
    starts_on = models.DateField(_("first day"))
    ends_on = models.DateField(_("last day"))
    assigned_staff = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="assigned_events", verbose_name=_("assigned staff")
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("recruitment event")
        verbose_name_plural = _("recruitment events")
        ordering = ["-starts_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")), name="event_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.starts_on:%Y-%m-%d})"


class Attendance(models.Model):
    """A contact met at an event."""

    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, related_name="attendances", verbose_name=_("contact")
    )
    event = models.ForeignKey(
        RecruitmentEvent, on_delete=models.CASCADE, related_name="attendances", verbose_name=_("event")
    )
    captured_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("captured by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendances")
        constraints = [models.UniqueConstraint(fields=["contact", "event"], name="attendance_once_per_event")]

    def __str__(self) -> str:
        return f"{self.contact} @ {self.event}"
