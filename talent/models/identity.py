"""The review queue of possible duplicates, the merges made from it (each one undoable), and the log of
personal-data access and requests."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from talent.models.contacts import Contact


class Level(models.TextChoices):
    CERTAIN = "certain", _("Certain")
    LIKELY = "likely", _("Likely")
    POSSIBLE = "possible", _("Possible")


LEVEL_ORDER = {Level.CERTAIN: 0, Level.LIKELY: 1, Level.POSSIBLE: 2}


class DuplicatePair(models.Model):
    """Two contacts that may be one person, waiting for an officer. Stored with the lower id first, once."""

    class Status(models.TextChoices):
        OPEN = "open", _("To review")
        DISMISSED = "dismissed", _("Not the same person")
        MERGED = "merged", _("Merged")

    first = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+", verbose_name=_("contact"))
    second = models.ForeignKey(
        Contact, on_delete=models.CASCADE, related_name="+", verbose_name=_("other contact")
    )
    level = models.CharField(_("level"), max_length=8, choices=Level.choices)
    score = models.DecimalField(_("score"), max_digits=3, decimal_places=2)
    reasons = models.JSONField(_("reasons"), default=list)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    found_at = models.DateTimeField(_("found"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)

    class Meta:
        verbose_name = _("possible duplicate")
        verbose_name_plural = _("possible duplicates")
        ordering = ["status", "-score", "-found_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["first", "second"], name="duplicate_pair_once"),
            models.CheckConstraint(
                condition=models.Q(first__lt=models.F("second")), name="duplicate_pair_ordered"
            ),
        ]
        indexes = [
            # The review queue: open pairs, best first.
            models.Index(fields=["status", "-score"], name="duplicate_pair_queue"),
            models.Index(fields=["second"], name="duplicate_pair_second"),
        ]

    def __str__(self) -> str:
        return f"{self.first} ↔ {self.second}"


class ContactMerge(models.Model):
    """One merge, with what it changed so that it can be undone."""

    source = models.ForeignKey(
        Contact, on_delete=models.PROTECT, related_name="merges_out", verbose_name=_("merged contact")
    )
    target = models.ForeignKey(
        Contact, on_delete=models.PROTECT, related_name="merges_in", verbose_name=_("kept contact")
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("merged by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    merged_at = models.DateTimeField(_("merged at"), auto_now_add=True)
    changes = models.JSONField(_("changes"), default=dict, editable=False)
    undone_at = models.DateTimeField(_("undone at"), null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("undone by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("contact merge")
        verbose_name_plural = _("contact merges")
        ordering = ["-merged_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.source_id} → {self.target_id}"


class PersonalDataLog(models.Model):
    """Every view and export of personal data, erasure and retention run, kept after the person is gone: the
    contacts are ids, not links. Append-only: rows are written by talent.services.rights and never changed;
    views and exports are deleted after PERSONAL_DATA_LOG_DAYS, the rest is kept."""

    class Kind(models.TextChoices):
        VIEW = "view", _("View")
        EXPORT = "export", _("Export")
        ERASURE = "erasure", _("Erasure")
        RETENTION = "retention", _("Retention run")
        WITHDRAWAL = "withdrawal", _("Consent withdrawn")

    class Channel(models.TextChoices):
        ADMIN = "admin", _("Admin site")
        API = "api", _("API")
        REPORT = "report", _("Report")

    # The kinds that record an access to personal data (the access log), as opposed to a rights request.
    ACCESS_KINDS = (Kind.VIEW, Kind.EXPORT)

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices, blank=True)
    # The one contact a row is about (a contact's page, export or erasure); indexed for "everything about #42".
    contact_id_value = models.PositiveBigIntegerField(_("contact id"), null=True, blank=True, db_index=True)
    # Every contact whose data the page, answer or file carried (a list page: the ids of its rows).
    contact_ids = models.JSONField(_("contacts"), default=list, blank=True)
    row_count = models.PositiveIntegerField(_("rows"), null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    at = models.DateTimeField(_("at"), auto_now_add=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("personal-data log entry")
        verbose_name_plural = _("personal-data log")
        ordering = ["-at", "-pk"]
        indexes = [
            # The access log's newest-first list, and the daily purge of views and exports older than the
            # cutoff (DELETE … WHERE at < cutoff).
            models.Index(fields=["at"], name="personal_data_log_at"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.contact_id_value or '—'} {self.at:%Y-%m-%d %H:%M}"


class PersonalDataAccessManager(models.Manager["PersonalDataAccess"]):
    def get_queryset(self) -> models.QuerySet[PersonalDataAccess]:
        return super().get_queryset().filter(kind__in=PersonalDataLog.ACCESS_KINDS)


class PersonalDataAccess(PersonalDataLog):
    """The views and exports of the personal-data log: who saw which contacts, when, how many rows. A model of its
    own so that its permission (`talent.view_personaldataaccess`) can be held by administrators alone."""

    objects: ClassVar[PersonalDataAccessManager] = PersonalDataAccessManager()

    class Meta:
        proxy = True
        verbose_name = _("personal-data access")
        verbose_name_plural = _("personal-data access log")
        ordering = ["-at", "-pk"]
