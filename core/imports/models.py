"""An import job and the checked rows of its file.

A job is a workflow record (uploaded → validating → validated → committing → committed, or failed), not business
data: it has no simple-history; its status, who uploaded it and when are its own history.
"""

from __future__ import annotations

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.imports.base import Outcome


class JobStatus(models.TextChoices):
    UPLOADED = "uploaded", _("Uploaded")
    VALIDATING = "validating", _("Checking")
    VALIDATED = "validated", _("Checked")
    COMMITTING = "committing", _("Importing")
    COMMITTED = "committed", _("Imported")
    FAILED = "failed", _("Failed")


class ImportJob(models.Model):
    Status = JobStatus

    kind = models.CharField(_("kind"), max_length=64)
    # A working record, not the audit trail (imported rows keep their own history): it goes with its user.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="import_jobs",
        verbose_name=_("uploaded by"),
    )
    # Emptied when the file is purged (after the commit, or after IMPORT_FILE_DAYS).
    file = models.FileField(_("file"), upload_to="imports/%Y/%m/", blank=True, max_length=255)
    original_name = models.CharField(_("file name"), max_length=255)
    # DjangoJSONEncoder: a date or a Decimal an importer left in its options or data is stored as text.
    options = models.JSONField(_("options"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    # The uploader's language: checks and commits run in a worker, and their messages are stored as text.
    language = models.CharField(_("language"), max_length=10, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.UPLOADED)
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    processed_rows = models.PositiveIntegerField(_("rows checked"), default=0)
    # [[column key, header text as written in the file], ...] in file order: the preview's and the rejected
    # file's columns. A list, because JSON objects need not keep their key order (PostgreSQL's jsonb does not).
    headers = models.JSONField(_("headers"), default=list, blank=True)
    ignored_headers = models.JSONField(_("columns not read"), default=list, blank=True)
    # Rows per outcome ({"new": 12, "error": 2}).
    counts = models.JSONField(_("counts"), default=dict, blank=True)
    # What the commit wrote, as the importer reported it ({"contacts_created": 3}).
    results = models.JSONField(_("results"), default=dict, blank=True)
    problem = models.TextField(_("problem"), blank=True)
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    # Set by every status or progress change: a validation whose worker died is recognised by its age.
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    committed_at = models.DateTimeField(_("imported at"), null=True, blank=True)
    committed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("imported by"),
    )

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at", "-pk"]
        indexes = [
            # The changelist: a user's own jobs, newest first.
            models.Index(fields=["created_by", "-created_at"], name="core_importjob_owner_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=JobStatus.values), name="core_importjob_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(processed_rows__lte=models.F("total_rows")),
                name="core_importjob_progress_bounded",
            ),
        ]

    def __str__(self) -> str:
        return self.original_name

    @property
    def in_progress(self) -> bool:
        return self.status in {self.Status.UPLOADED, self.Status.VALIDATING, self.Status.COMMITTING}


class ImportRow(models.Model):
    """One data row of the file as last checked: its outcome, the reasons, and its cells as text."""

    job = models.ForeignKey(
        ImportJob, on_delete=models.CASCADE, related_name="rows", verbose_name=_("import")
    )
    # The row number a spreadsheet program shows.
    number = models.PositiveIntegerField(_("row"))
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices)
    messages = models.JSONField(_("messages"), default=list, blank=True)
    key = models.CharField(_("key"), max_length=255, blank=True)
    # Column key -> the cell as text (dates ISO): the preview and the rejected-rows file.
    values = models.JSONField(_("values"), default=dict, blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True, encoder=DjangoJSONEncoder)

    class Meta:
        verbose_name = _("import row")
        verbose_name_plural = _("import rows")
        ordering = ["job", "number"]
        constraints = [
            # Also serves the unfiltered preview, page by page in row order.
            models.UniqueConstraint(fields=["job", "number"], name="core_importrow_job_number_uniq"),
            models.CheckConstraint(
                condition=models.Q(outcome__in=Outcome.values), name="core_importrow_outcome_valid"
            ),
        ]
        indexes = [
            # The preview filtered by outcome (?outcome=error) and the rejected-rows file, in row order.
            models.Index(fields=["job", "outcome", "number"], name="core_importrow_outcome_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.job_id}:{self.number}"
