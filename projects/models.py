from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from accounts.models import Unit


class Lead(models.Model):
    """A lead (线索/项目) followed from first contact through attraction, landing and conversion."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        PAUSED = "paused", _("Paused")
        LOST = "lost", _("Lost")
        TRANSFERRED = "transferred", _("Transferred, awaiting acceptance")
        MERGED = "merged", _("Merged into another lead")

    name = models.CharField(_("name"), max_length=200)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="owned_leads",
    )
    co_owners = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="co_owned_leads", verbose_name=_("co-owners")
    )
    owning_unit = models.ForeignKey(
        Unit, verbose_name=_("owning unit"), on_delete=models.PROTECT, related_name="leads"
    )
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.ACTIVE)
    confidential = models.BooleanField(
        _("confidential"),
        default=False,
        help_text=_("Only the owner, co-owners, heads and managers of the owning unit and above see it."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    history = HistoricalRecords(m2m_fields=[co_owners])

    class Meta:
        verbose_name = _("lead")
        verbose_name_plural = _("leads")
        ordering = ["-created_at", "-pk"]
        indexes = [
            # Serves the unit-scoped lead list: members filter by owning unit, newest first.
            models.Index(fields=["owning_unit", "-created_at"], name="lead_unit_recent_idx"),
        ]

    def __str__(self) -> str:
        return self.name
