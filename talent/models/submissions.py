"""The one idempotency store (DESIGN §4): every submission that creates records — quick capture, the QR form, the
API — carries a client key, kept here with a fingerprint of its body and the answer it got."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Submission(models.Model):
    """One key within one scope ("user:12 POST /api/v1/contacts/", "qr:event:5"): the same key again returns the
    first answer, whoever retries, however many times, at the same moment or later."""

    scope = models.CharField(_("scope"), max_length=200)
    key = models.CharField(_("key"), max_length=128)
    fingerprint = models.CharField(_("body fingerprint"), max_length=64)
    status_code = models.PositiveSmallIntegerField(_("status"), null=True, blank=True)
    response = models.JSONField(_("response"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("submission")
        verbose_name_plural = _("submissions")
        constraints = [
            # Unique per scope and key: a second insert waits for the first to commit, then fails and replays.
            models.UniqueConstraint(fields=["scope", "key"], name="submission_once_per_scope_key"),
            models.CheckConstraint(condition=~models.Q(scope=""), name="submission_scope_not_empty"),
        ]
        indexes = [
            # The nightly purge of old keys.
            models.Index(fields=["created_at"], name="submission_created"),
        ]

    def __str__(self) -> str:
        return f"{self.scope} · {self.key}"
