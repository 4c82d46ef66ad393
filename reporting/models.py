from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from accounts.models import Unit
from core.money import amount_field


class Report(models.Model):
    """Owns no rows (reporting reads every app and owns no facts); it only carries the reporting permissions."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [("view_dashboard", _("Can view the dashboard and aggregate reports"))]
        verbose_name = _("report")
        verbose_name_plural = _("reports")


class Metric(models.TextChoices):
    """What an annual target counts. Actuals are the dashboard's KPIs over the calendar year (reporting.targets);
    amounts are in 万元, counts are whole numbers."""

    SIGNINGS_COUNT = "signings_count", _("Signings")
    SIGNED_AMOUNT = "signed_amount", _("Contracted amount (万元)")
    PROJECTS_100M = "projects_100m", _("Projects ≥ 1亿")
    TALENT_ARRIVED = "talent_arrived", _("Talent arrived")
    CAPITAL_IN_PLACE = "capital_in_place", _("Capital in place (万元)")


COUNT_METRICS = (Metric.SIGNINGS_COUNT, Metric.PROJECTS_100M, Metric.TALENT_ARRIVED)


class Target(models.Model):
    """An annual target of a unit (with its subtree) or of one officer (the leads they own): the one fact
    reporting owns, set by the managers above them."""

    year = models.PositiveSmallIntegerField(
        _("year"), validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="targets",
        help_text=_("A unit's target counts the leads of the unit and its sub-units."),
    )
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("officer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="targets",
        help_text=_("An officer's target counts the leads they own."),
    )
    metric = models.CharField(_("metric"), max_length=20, choices=Metric.choices)
    value = amount_field(_("target value"), validators=[MinValueValidator(0)])
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        ordering = ["-year", "metric", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(unit__isnull=False, officer__isnull=True)
                | Q(unit__isnull=True, officer__isnull=False),
                name="target_unit_xor_officer",
                violation_error_message=_("Set the target either for a unit or for an officer, not both."),
            ),
            models.CheckConstraint(
                condition=Q(value__gte=0),
                name="target_value_not_negative",
                violation_error_message=_("A target cannot be negative."),
            ),
            # Both also serve the dashboard's "targets of a year" (year is their first column).
            models.UniqueConstraint(
                fields=["year", "unit", "metric"],
                condition=Q(unit__isnull=False),
                name="target_one_per_unit_year_metric",
                violation_error_message=_("This unit already has a target for this metric and year."),
            ),
            models.UniqueConstraint(
                fields=["year", "officer", "metric"],
                condition=Q(officer__isnull=False),
                name="target_one_per_officer_year_metric",
                violation_error_message=_("This officer already has a target for this metric and year."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year} · {self.whose} · {self.get_metric_display()}"

    @property
    def whose(self) -> str:
        if self.unit_id:
            return str(self.unit)
        if self.officer_id:
            return self.officer.get_full_name() or self.officer.get_username()
        return "—"

    def clean(self) -> None:
        if self.metric in COUNT_METRICS and self.value is not None and self.value != self.value.to_integral():
            raise ValidationError(
                {"value": _("This metric counts projects or people: enter a whole number.")}
            )
