"""A lead and what describes it: its type, channel, status reasons, contacts and coordination needs."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from accounts.models import Unit
from core.money import amount_field, currency_field
from directory.models import Carrier, Organization, Sector
from projects.stages import Stage, Track
from projects.validators import validate_hk_company_number, validate_uscc
from talent.models import Contact, RecruitmentEvent


class LeadType(models.TextChoices):
    UNIVERSITY_TEAM = "univ_team", _("HK university R&D team")
    STARTUP = "startup", _("Startup")
    COMPANY = "company", _("Established company")
    RESEARCH_INSTITUTE = "research_inst", _("Research institute or lab")
    TALENT = "talent", _("Individual talent")

    @classmethod
    def track_of(cls, lead_type: str) -> str:
        return Track.TALENT if lead_type == cls.TALENT else Track.ORGANIZATION


class SourceChannel(models.TextChoices):
    EVENT = "event", _("Promotion or recruitment event")
    RESIDENT_OFFICE = "resident_office", _("Resident office in Hong Kong")
    INVESTOR_REFERRAL = "investor_referral", _("Referral by an existing investor (以商招商)")
    ASSOCIATION = "association", _("Association or chamber")
    UNIVERSITY_TTO = "university_tto", _("University technology-transfer office")
    INTERMEDIARY = "intermediary", _("Intermediary or agency")
    ONLINE = "online", _("Online promotion (云招商)")
    INBOUND = "inbound", _("Approached us directly")
    OTHER = "other", _("Other")


class Priority(models.TextChoices):
    HIGH = "high", _("High")
    NORMAL = "normal", _("Normal")
    LOW = "low", _("Low")


class LostReason(models.TextChoices):
    OTHER_LOCATION = "other_location", _("Chose another city or park")
    WEAKER_PACKAGE = "weaker_package", _("Support package weaker than a competitor's")
    NO_FULL_TIME = "no_full_time", _("Core members cannot relocate full-time")
    IP_UNRESOLVED = "ip_unresolved", _("IP ownership or licence unresolved")
    FUNDING_FAILED = "funding_failed", _("Funding fell through")
    IMMATURE = "immature", _("Technology immature or failed qualification")
    POOR_FIT = "poor_fit", _("Poor sector fit")
    SCREENING = "screening", _("Fails environment, energy or safety screening")
    SPACE = "space", _("Space or factor needs cannot be met")
    NO_PROGRESS = "no_progress", _("Lost contact or no real progress")
    DUPLICATE = "duplicate", _("Duplicate, or another unit is already negotiating")
    COMPLIANCE = "compliance", _("Compliance risk")


class PauseReason(models.TextChoices):
    FUNDING_DECISION = "funding_decision", _("Waiting for a funding decision")
    HEADQUARTERS = "headquarters", _("Waiting for headquarters or the board")
    FINANCING = "financing", _("Waiting for a financing round")
    SPACE = "space", _("Waiting for space")
    POLICY = "policy", _("Policy under revision")
    TEAM_BUSY = "team_busy", _("Team busy (teaching term, grant deadlines)")
    TRAVEL = "travel", _("Cross-border travel or approval delays")
    TTO = "tto", _("Waiting on a university technology-transfer office")


class Lead(models.Model):
    """A lead (线索/项目) followed from first contact through attraction, landing and conversion."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        PAUSED = "paused", _("Paused")
        LOST = "lost", _("Lost")
        TRANSFERRED = "transferred", _("Transferred, awaiting acceptance")
        MERGED = "merged", _("Merged into another lead")

    code = models.CharField(_("code"), max_length=20, unique=True, editable=False)
    name = models.CharField(_("name (Simplified Chinese)"), max_length=200)
    name_zh_hant = models.CharField(
        _("name (Traditional Chinese, as the team writes it)"), max_length=200, blank=True
    )
    name_en = models.CharField(_("name (English)"), max_length=255, blank=True)
    # directory.services.name_key() of each name, filled by lead_create/lead_update: duplicate detection
    # compares keys, so 港科大 團隊 and 港科大 团队, or "HKUST Team" and "hkust  team", meet.
    name_key = models.CharField(max_length=255, blank=True, editable=False)
    name_zh_hant_key = models.CharField(max_length=255, blank=True, editable=False)
    name_en_key = models.CharField(max_length=255, blank=True, editable=False)
    lead_type = models.CharField(_("lead type"), max_length=16, choices=LeadType.choices)
    track = models.CharField(_("track"), max_length=8, choices=Track.choices, editable=False)
    subject_contact = models.ForeignKey(
        Contact,
        verbose_name=_("talent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="talent_leads",
        help_text=_("The person a talent-track lead is about."),
    )
    founded_from = models.ForeignKey(
        "self",
        verbose_name=_("founded by the talent of"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="founded_leads",
    )

    # Where it comes from
    hk_organization = models.ForeignKey(
        Organization,
        verbose_name=_("Hong Kong organization"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="leads",
    )
    sector = models.ForeignKey(
        Sector,
        verbose_name=_("sector"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="leads",
    )
    source_channel = models.CharField(_("source channel"), max_length=20, choices=SourceChannel.choices)
    introducer = models.ForeignKey(
        Organization,
        verbose_name=_("introducer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="introduced_leads",
    )
    source_event = models.ForeignKey(
        RecruitmentEvent,
        verbose_name=_("source event"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sourced_leads",
    )
    target_carrier = models.ForeignKey(
        Carrier,
        verbose_name=_("target carrier"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="leads",
    )
    competing_locations = models.ManyToManyField(
        Organization,
        verbose_name=_("competing locations"),
        blank=True,
        related_name="competing_for_leads",
        limit_choices_to={"kind": Organization.Kind.COMPETING_LOCATION},
    )

    # Who follows it
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

    # Where it stands
    stage = models.CharField(_("stage"), max_length=16, choices=Stage.choices, editable=False)
    stage_entered_at = models.DateTimeField(_("in this stage since"), editable=False)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.ACTIVE, editable=False
    )
    pause_reason = models.CharField(_("pause reason"), max_length=20, choices=PauseReason.choices, blank=True)
    resume_review_on = models.DateField(_("review resumption on"), null=True, blank=True)
    lost_reason = models.CharField(_("lost reason"), max_length=20, choices=LostReason.choices, blank=True)
    lost_to = models.ForeignKey(
        Organization,
        verbose_name=_("lost to"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="won_leads",
        help_text=_("The competing location that won the lead, when there is one."),
    )
    status_note = models.TextField(_("status note"), blank=True)
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    priority = models.CharField(
        _("priority"), max_length=8, choices=Priority.choices, default=Priority.NORMAL
    )
    confidential = models.BooleanField(
        _("confidential"),
        default=False,
        help_text=_("Only the owner, co-owners, heads and managers of the owning unit and above see it."),
    )
    last_activity_at = models.DateTimeField(_("last activity"), null=True, blank=True, editable=False)

    # Money and company facts
    expected_investment = amount_field(
        _("expected investment"), null=True, blank=True, validators=[MinValueValidator(0)]
    )
    expected_investment_currency = currency_field()
    registered_capital = amount_field(
        _("registered capital"), null=True, blank=True, validators=[MinValueValidator(0)]
    )
    registered_capital_currency = currency_field()
    paid_in_cash = amount_field(
        _("paid-in capital (cash)"), null=True, blank=True, validators=[MinValueValidator(0)]
    )
    paid_in_technology = amount_field(
        _("paid-in capital (technology)"), null=True, blank=True, validators=[MinValueValidator(0)]
    )
    paid_in_currency = currency_field()
    founder_equity_percent = models.DecimalField(
        _("founder equity (%)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    landing_entity_name = models.CharField(_("landing entity"), max_length=200, blank=True)
    uscc = models.CharField(
        _("unified social credit code"), max_length=18, blank=True, validators=[validate_uscc]
    )
    registered_on = models.DateField(_("registration date"), null=True, blank=True)
    hk_company_number = models.CharField(
        _("HK company registration number"), max_length=8, blank=True, validators=[validate_hk_company_number]
    )

    # People, space, technology
    headcount_now = models.PositiveIntegerField(_("headcount now"), null=True, blank=True)
    headcount_planned = models.PositiveIntegerField(_("headcount planned"), null=True, blank=True)
    hk_staff_count = models.PositiveIntegerField(_("Hong Kong staff"), null=True, blank=True)
    rnd_staff_count = models.PositiveIntegerField(_("R&D staff"), null=True, blank=True)
    space_office_m2 = models.PositiveIntegerField(_("office space needed (m²)"), null=True, blank=True)
    space_lab_m2 = models.PositiveIntegerField(_("lab space needed (m²)"), null=True, blank=True)
    space_cleanroom_m2 = models.PositiveIntegerField(_("cleanroom needed (m²)"), null=True, blank=True)
    space_plant_m2 = models.PositiveIntegerField(_("pilot or plant space needed (m²)"), null=True, blank=True)
    ip_summary = models.TextField(
        _("IP summary"),
        blank=True,
        help_text=_("Patents, PCT filings, software copyrights, who owns them, licences."),
    )
    trl = models.PositiveSmallIntegerField(
        _("technology readiness level"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(9)],
    )
    description = models.TextField(_("description"), blank=True)

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    history = HistoricalRecords(m2m_fields=[co_owners])

    class Meta:
        verbose_name = _("lead")
        verbose_name_plural = _("leads")
        ordering = ["-created_at", "-pk"]
        permissions = [
            ("move_lead_backward", _("Can move a lead back to an earlier stage")),
            ("reassign_lead", _("Can reassign leads to another officer")),
            ("merge_lead", _("Can merge duplicate leads")),
        ]
        indexes = [
            # Serves the default "newest first" lead list: page 1 and deep pages read the index in order instead
            # of sorting every visible lead.
            models.Index(fields=["-created_at", "-id"], name="lead_recent_idx"),
            # Serves the unit-scoped lead list: members filter by owning unit, newest first.
            models.Index(fields=["owning_unit", "-created_at"], name="lead_unit_recent_idx"),
            # Serves the stage filter and the stalled-lead lists (stage + time in stage).
            models.Index(fields=["stage", "stage_entered_at"], name="lead_stage_entered_idx"),
            # Serves the owner filter and "my leads".
            models.Index(fields=["owner", "-created_at"], name="lead_owner_recent_idx"),
            # Serves duplicate detection by registration numbers.
            models.Index(fields=["uscc"], name="lead_uscc_idx", condition=~Q(uscc="")),
            models.Index(
                fields=["hk_company_number"], name="lead_hk_cr_idx", condition=~Q(hk_company_number="")
            ),
            # Serves duplicate detection by organization and name (lead_duplicates): the organization narrows
            # to its few leads, the three name keys are compared among them.
            models.Index(fields=["hk_organization", "name_key"], name="lead_org_name_key_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(track=Track.TALENT, lead_type=LeadType.TALENT)
                | (Q(track=Track.ORGANIZATION) & ~Q(lead_type=LeadType.TALENT)),
                name="lead_track_matches_type",
            ),
            models.CheckConstraint(
                condition=~Q(status="paused") | Q(resume_review_on__isnull=False),
                name="lead_paused_has_review_date",
            ),
            models.CheckConstraint(
                condition=~Q(status="lost") | ~Q(lost_reason=""), name="lead_lost_has_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}" if self.code else self.name

    def clean(self) -> None:
        if self.lead_type == LeadType.TALENT and not self.subject_contact_id:
            raise ValidationError({"subject_contact": _("A talent-track lead needs the talent it is about.")})


class LeadCodeSequence(models.Model):
    """The last number handed out per year for lead codes; one locked row per year makes codes race-free."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("lead code sequence")
        verbose_name_plural = _("lead code sequences")

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


class LeadContact(models.Model):
    class Role(models.TextChoices):
        PI = "pi", _("Principal investigator")
        FOUNDER = "founder", _("Founder")
        TEAM_MEMBER = "team_member", _("Team member")
        ADVISOR = "advisor", _("Advisor")
        INVESTOR_CONTACT = "investor_contact", _("Investor contact")

    lead = models.ForeignKey(
        Lead, on_delete=models.CASCADE, related_name="lead_contacts", verbose_name=_("lead")
    )
    contact = models.ForeignKey(
        Contact, on_delete=models.PROTECT, related_name="lead_roles", verbose_name=_("contact")
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("lead contact")
        verbose_name_plural = _("lead contacts")
        constraints = [
            models.UniqueConstraint(fields=["lead", "contact", "role"], name="lead_contact_role_once")
        ]

    def __str__(self) -> str:
        return f"{self.contact} · {self.get_role_display()}"


class CoordinationNeed(models.Model):
    """需政府协调事项: something only a government department can unblock, followed at dispatch meetings."""

    lead = models.ForeignKey(
        Lead, on_delete=models.CASCADE, related_name="coordination_needs", verbose_name=_("lead")
    )
    request = models.TextField(_("request"))
    department = models.CharField(_("responsible department"), max_length=100)
    due_on = models.DateField(_("due date"), null=True, blank=True)
    resolution = models.TextField(_("resolution"), blank=True)
    resolved_on = models.DateField(_("resolved on"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("coordination need")
        verbose_name_plural = _("coordination needs")
        ordering = ["resolved_on", "due_on", "pk"]

    def __str__(self) -> str:
        return f"{self.department}: {self.request[:40]}"


class HandOver(models.Model):
    """移交: a lead offered by one unit to another (e.g. a carrier team), pending until the receiver decides."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="handovers", verbose_name=_("lead"))
    from_unit = models.ForeignKey(
        Unit, verbose_name=_("from unit"), on_delete=models.PROTECT, related_name="handovers_out"
    )
    to_unit = models.ForeignKey(
        Unit, verbose_name=_("to unit"), on_delete=models.PROTECT, related_name="handovers_in"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING, editable=False
    )
    note = models.TextField(_("why it is handed over"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("requested by"), on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("hand-over")
        verbose_name_plural = _("hand-overs")
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["lead"], condition=Q(status="pending"), name="handover_one_pending_per_lead"
            ),
            models.CheckConstraint(condition=~Q(from_unit=models.F("to_unit")), name="handover_changes_unit"),
        ]
        indexes = [
            # Serves the receiving unit's view of leads offered to it.
            models.Index(fields=["to_unit"], name="handover_pending_to_idx", condition=Q(status="pending")),
        ]

    def __str__(self) -> str:
        return f"{self.lead} → {self.to_unit}"
