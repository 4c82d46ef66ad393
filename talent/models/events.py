"""Promotion and recruitment events, and the people met there."""

from __future__ import annotations

import datetime as dt
import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from directory.models import Carrier
from talent.models.consent import Consent
from talent.models.contacts import Contact


def new_registration_key() -> str:
    # The self-registration link is public: an unguessable key, so nobody can walk through the events by number.
    return secrets.token_urlsafe(12)


class RecruitmentEvent(models.Model):
    """A promotion or recruitment event (招才引智专场), in Hong Kong or Suzhou."""

    class Kind(models.TextChoices):
        HK_PROMOTION = "hk_promotion", _("Promotion or recruitment event in Hong Kong")
        DELEGATION = "delegation", _("Inbound delegation to Suzhou")
        FINANCE = "finance", _("Finance and investment exchange")
        MATCHING = "matching", _("Roadshow or project-matching session")
        ONLINE = "online", _("Online promotion")
        OTHER = "other", _("Other")

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.HK_PROMOTION)
    city = models.CharField(_("city"), max_length=60, blank=True, default="香港")
    venue = models.CharField(_("venue"), max_length=200, blank=True)
    starts_on = models.DateField(_("first day"))
    ends_on = models.DateField(_("last day"))
    organizer = models.CharField(_("organizer"), max_length=200, blank=True)
    carrier = models.ForeignKey(
        Carrier,
        verbose_name=_("carrier"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="events",
        help_text=_("The Suzhou park or platform that co-hosts the event."),
    )
    assigned_staff = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="assigned_events", verbose_name=_("assigned staff")
    )
    notes = models.TextField(_("notes"), blank=True)
    registration_key = models.CharField(
        _("self-registration key"), max_length=32, unique=True, default=new_registration_key, editable=False
    )
    registration_open = models.BooleanField(
        _("self-registration open"),
        default=True,
        help_text=_(
            "Attendees can register with the event's QR code from 30 days before the event until 3 days after it."
        ),
    )
    history = HistoricalRecords()

    # The window in which the QR form takes registrations (people scan early posters and register late).
    REGISTRATION_OPENS_BEFORE = dt.timedelta(days=30)
    REGISTRATION_CLOSES_AFTER = dt.timedelta(days=3)

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

    def takes_registrations(self, today: dt.date) -> bool:
        return (
            self.registration_open
            and self.starts_on - self.REGISTRATION_OPENS_BEFORE
            <= today
            <= self.ends_on + self.REGISTRATION_CLOSES_AFTER
        )


class Attendance(models.Model):
    """A contact met at an event."""

    class Method(models.TextChoices):
        QR = "qr", _("QR self-registration")
        PRE_REGISTERED = "pre_registered", _("Pre-registration list")
        CARD = "card", _("Business card")
        STAFF = "staff", _("Staff entry")
        IMPORT = "import", _("Sign-in sheet import")

    class Grade(models.TextChoices):
        A = "A", _("A — strong interest")
        B = "B", _("B — some interest")
        C = "C", _("C — keep in touch")

    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, related_name="attendances", verbose_name=_("contact")
    )
    event = models.ForeignKey(
        RecruitmentEvent, on_delete=models.CASCADE, related_name="attendances", verbose_name=_("event")
    )
    session = models.CharField(_("session"), max_length=120, blank=True)
    method = models.CharField(
        _("capture method"), max_length=16, choices=Method.choices, default=Method.STAFF
    )
    captured_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("captured by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    grade = models.CharField(_("interest grade"), max_length=1, choices=Grade.choices, blank=True)
    next_action = models.CharField(_("next action"), max_length=200, blank=True)
    next_action_on = models.DateField(_("next action date"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    consent = models.ForeignKey(
        Consent,
        verbose_name=_("consent given at capture"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="attendances",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendances")
        ordering = ["-created_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["contact", "event"], name="attendance_once_per_event")]
        indexes = [
            # An event's attendance list, newest first; the recorder's scope (contacts met at their events).
            models.Index(fields=["event", "contact"], name="attendance_event_contact"),
        ]

    def __str__(self) -> str:
        return f"{self.contact} @ {self.event}"
