"""The brief's four passes (关卡) as dated checklists: templates, the milestones made from them, and aftercare."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from projects.models.leads import Lead
from projects.models.records import Activity, StageChange
from projects.stages import Stage, Track


class LocalizedNameMixin:
    """Names kept as data in three scripts; shown in the reader's language, falling back to Simplified."""

    name: str
    name_zh_hant: str
    name_en: str

    @property
    def localized_name(self) -> str:
        language = (get_language() or "zh-hans").lower()
        if language.startswith("en") and self.name_en:
            return self.name_en
        if language in {"zh-hant", "zh-hk", "zh-tw"} and self.name_zh_hant:
            return self.name_zh_hant
        return self.name


class Pass(LocalizedNameMixin, models.Model):
    """关卡: resources, talent, conversion, rules. Four rows; administrators may rename them."""

    code = models.SlugField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name (Simplified Chinese)"), max_length=40)
    name_zh_hant = models.CharField(_("name (Traditional Chinese)"), max_length=40, blank=True)
    name_en = models.CharField(_("name (English)"), max_length=80, blank=True)
    short_name = models.CharField(
        _("short name"), max_length=8, blank=True, help_text=_("Shown in the lead list, e.g. 资源.")
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("pass")
        verbose_name_plural = _("passes")
        ordering = ["order", "pk"]

    def __str__(self) -> str:
        return self.localized_name


class OffsetUnit(models.TextChoices):
    WORKING_DAYS = "working", _("working days")
    CALENDAR_DAYS = "calendar", _("calendar days")
    NONE = "none", _("no due date")


class AssigneeRole(models.TextChoices):
    OWNER = "owner", _("Lead owner")
    UNIT_HEAD = "unit_head", _("Head of the owning unit")


class MilestoneTemplate(LocalizedNameMixin, models.Model):
    """One line of a pass's checklist, with where it starts on each track and how long it may take."""

    lead_pass = models.ForeignKey(
        Pass, verbose_name=_("pass"), on_delete=models.PROTECT, related_name="templates"
    )
    code = models.SlugField(_("code"), max_length=10, unique=True)
    name = models.CharField(_("title (Simplified Chinese)"), max_length=200)
    name_zh_hant = models.CharField(_("title (Traditional Chinese)"), max_length=200, blank=True)
    name_en = models.CharField(_("title (English)"), max_length=300, blank=True)
    org_anchor = models.CharField(
        _("organization-track anchor"),
        max_length=16,
        blank=True,
        choices=[(s.value, s.label) for s in Stage if not s.value.startswith("T_")],
        help_text=_("Created when an organization-track lead reaches this stage. Empty: not on this track."),
    )
    talent_anchor = models.CharField(
        _("talent-track anchor"),
        max_length=16,
        blank=True,
        choices=[(s.value, s.label) for s in Stage if s.value.startswith("T_")],
        help_text=_("Created when a talent-track lead reaches this stage. Empty: not on this track."),
    )
    lead_types = models.JSONField(
        _("lead types"),
        default=list,
        blank=True,
        help_text=_("Lead types it applies to; empty means every type of the track."),
    )
    offset_unit = models.CharField(
        _("offset unit"), max_length=8, choices=OffsetUnit.choices, default=OffsetUnit.WORKING_DAYS
    )
    offset = models.PositiveSmallIntegerField(
        _("offset"),
        null=True,
        blank=True,
        help_text=_("Due this many days after the anchor stage is reached."),
    )
    evidence_needed = models.CharField(_("evidence needed"), max_length=200, blank=True)
    default_assignee = models.CharField(
        _("default assignee"), max_length=10, choices=AssigneeRole.choices, default=AssigneeRole.OWNER
    )
    is_active = models.BooleanField(_("active"), default=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("milestone template")
        verbose_name_plural = _("milestone templates")
        ordering = ["lead_pass__order", "code"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(org_anchor="", talent_anchor=""), name="milestonetemplate_has_an_anchor"
            ),
            models.CheckConstraint(
                condition=Q(offset_unit="none", offset__isnull=True)
                | (~Q(offset_unit="none") & Q(offset__isnull=False)),
                name="milestonetemplate_offset_matches_unit",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.localized_name}"

    def anchor_for(self, track: str) -> str:
        return self.talent_anchor if track == Track.TALENT else self.org_anchor

    def applies_to(self, lead_type: str) -> bool:
        return not self.lead_types or lead_type in self.lead_types


class Milestone(models.Model):
    """A dated item of a lead's pass checklist: made from a template when the lead reaches its anchor, or ad hoc."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        DONE = "done", _("Done")
        NOT_APPLICABLE = "na", _("Not applicable")
        BLOCKED = "blocked", _("Blocked")

    CLOSED = (Status.DONE, Status.NOT_APPLICABLE)

    lead = models.ForeignKey(
        Lead, on_delete=models.CASCADE, related_name="milestones", verbose_name=_("lead")
    )
    lead_pass = models.ForeignKey(
        Pass, verbose_name=_("pass"), on_delete=models.PROTECT, related_name="milestones"
    )
    template = models.ForeignKey(
        MilestoneTemplate,
        verbose_name=_("template"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="milestones",
        help_text=_("Empty for an ad-hoc milestone."),
    )
    title = models.CharField(_("title"), max_length=300, blank=True, help_text=_("For an ad-hoc milestone."))
    anchor_change = models.ForeignKey(
        StageChange,
        verbose_name=_("created by the move"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="milestones_created",
    )
    starts_on = models.DateField(_("counted from"), null=True, blank=True, editable=False)
    due_on = models.DateField(_("due date"), null=True, blank=True)
    due_provisional = models.BooleanField(
        _("provisional due date"),
        default=False,
        editable=False,
        help_text=_("Counted without a holiday calendar for its year; recomputed when the year is added."),
    )
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.OPEN)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="milestones",
    )
    evidence_note = models.TextField(_("evidence"), blank=True)
    blocker_note = models.TextField(_("what blocks it"), blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True, editable=False)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("completed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        ordering = ["lead_pass__order", "due_on", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["lead", "template"],
                condition=Q(template__isnull=False),
                name="milestone_once_per_lead_template",
            ),
            models.CheckConstraint(
                condition=Q(template__isnull=False) | ~Q(title=""), name="milestone_adhoc_has_title"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["done", "na"], completed_at__isnull=False)
                | (~Q(status__in=["done", "na"]) & Q(completed_at__isnull=True)),
                name="milestone_completed_at_matches_status",
            ),
        ]
        indexes = [
            # Serves the overdue filter and the reminder sweep: open milestones by due date.
            models.Index(fields=["due_on"], name="milestone_open_due_idx", condition=Q(status="open")),
            # Serves a lead's checklist and the pass progress of a page of leads.
            models.Index(fields=["lead", "lead_pass"], name="milestone_lead_pass_idx"),
            # Serves the recomputation of provisional due dates when a calendar year is added.
            models.Index(
                fields=["due_on"], name="milestone_provisional_idx", condition=Q(due_provisional=True)
            ),
        ]

    def __str__(self) -> str:
        return self.display_title

    @property
    def display_title(self) -> str:
        return self.title or (self.template.localized_name if self.template_id else "")


class AftercareTouchpoint(models.Model):
    """A planned aftercare call or visit 1, 3, 6 and 12 months after a company registers or a talent arrives."""

    MONTHS = (1, 3, 6, 12)

    lead = models.ForeignKey(
        Lead, on_delete=models.CASCADE, related_name="aftercare_touchpoints", verbose_name=_("lead")
    )
    months = models.PositiveSmallIntegerField(_("months after landing"))
    due_on = models.DateField(_("due date"))
    activity = models.ForeignKey(
        Activity,
        verbose_name=_("done by the activity"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="aftercare_touchpoints",
    )
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("aftercare touch-point")
        verbose_name_plural = _("aftercare touch-points")
        ordering = ["months", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["lead", "months"], name="aftercare_once_per_lead_month"),
        ]
        indexes = [
            # Serves the reminder sweep's "aftercare due" query.
            models.Index(fields=["due_on"], name="aftercare_open_due_idx", condition=Q(done_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return _("Aftercare after %(months)s months") % {"months": self.months}
