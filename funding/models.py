"""Money for leads: programmes and their yearly versions, applications and tranches, exchange rates, and the
cross-border fund's commitments and investments.

Amounts are DecimalField(18, 2) with an ISO currency beside them (core.money). Nothing here sums across
currencies: conversions go through a dated ExchangeRate, and a missing rate is an error, never a guess."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.money import Currency, amount_field, currency_field
from directory.models import Organization
from projects.models import Document, Lead, MilestoneTemplate, Pass
from projects.models.passes import LocalizedNameMixin


class ExchangeRate(models.Model):
    """How many yuan one unit of a currency was worth on a day (the bureau's reference: the PBOC central parity)."""

    currency = currency_field(_("currency"), default=Currency.HKD)
    date = models.DateField(_("date"))
    rate_to_cny = models.DecimalField(_("rate to CNY"), max_digits=18, decimal_places=8)
    source = models.CharField(_("source"), max_length=120, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("exchange rate")
        verbose_name_plural = _("exchange rates")
        ordering = ["currency", "-date"]
        constraints = [
            # Also the index of "the latest rate on or before a date" (currency, then date descending).
            models.UniqueConstraint(fields=["currency", "date"], name="exchange_rate_one_per_day"),
            models.CheckConstraint(condition=Q(rate_to_cny__gt=0), name="exchange_rate_positive"),
            models.CheckConstraint(condition=~Q(currency=Currency.CNY), name="exchange_rate_not_cny"),
        ]

    def __str__(self) -> str:
        return f"{self.currency} {self.date:%Y-%m-%d} = {self.rate_to_cny} CNY"


class ProgramType(models.TextChoices):
    POLICY_PACKAGE = "policy_package", _("Policy package")
    MATCHING = "matching", _("Matching funds")
    HK_GRANT = "hk_grant", _("Hong Kong grant held by the lead")
    PROJECT_GRANT = "project_grant", _("Project grant")
    TALENT_SUBSIDY = "talent_subsidy", _("Talent subsidy")
    HOUSING = "housing", _("Talent housing")
    RENT_EQUIPMENT = "rent_equipment", _("Rent or equipment subsidy")
    LOAN_CREDIT = "loan_credit", _("Loan or credit")
    FUND_INVESTMENT = "fund_investment", _("Fund investment")
    AWARD = "award", _("Award")


class Funder(models.TextChoices):
    NATIONAL = "national", _("National")
    PROVINCE = "province", _("Province")
    CITY = "city", _("City")
    DISTRICT = "district", _("District")
    PARK = "park", _("Park or carrier")
    HK_GOVERNMENT = "hk_government", _("Hong Kong government")
    FUND = "fund", _("Fund")


class FundingProgram(LocalizedNameMixin, models.Model):
    """A programme (计划, 政策包, 基金) as the bureau refers to it; its amounts and rules live in yearly versions."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name (Simplified Chinese)"), max_length=200)
    name_zh_hant = models.CharField(_("name (Traditional Chinese)"), max_length=200, blank=True)
    name_en = models.CharField(_("name (English)"), max_length=255, blank=True)
    program_type = models.CharField(_("type"), max_length=20, choices=ProgramType.choices)
    funder = models.CharField(_("funder"), max_length=16, choices=Funder.choices)
    funder_name = models.CharField(_("funding body"), max_length=200, blank=True)
    lead_pass = models.ForeignKey(
        Pass,
        verbose_name=_("pass"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="funding_programs",
    )
    milestone_template = models.ForeignKey(
        MilestoneTemplate,
        verbose_name=_("milestone template"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="funding_programs",
        help_text=_("The checklist line an application to this programme completes."),
    )
    description = models.TextField(_("description"), blank=True)
    active = models.BooleanField(_("active"), default=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("funding programme")
        verbose_name_plural = _("funding programmes")
        ordering = ["program_type", "code"]

    def __str__(self) -> str:
        return self.localized_name


class ProgramVersion(models.Model):
    """One year's terms of a programme: amounts change by year, so applications cite the version they were made
    under."""

    program = models.ForeignKey(
        FundingProgram, on_delete=models.CASCADE, related_name="versions", verbose_name=_("programme")
    )
    year = models.PositiveSmallIntegerField(_("year"))
    currency = currency_field(_("currency"))
    min_amount = amount_field(_("minimum amount"), null=True, blank=True)
    max_amount = amount_field(
        _("maximum amount (cap)"),
        null=True,
        blank=True,
        help_text=_("The most one application may be approved."),
    )
    matching_ratio = models.DecimalField(
        _("matching ratio"),
        max_digits=6,
        decimal_places=3,
        null=True,
        blank=True,
        help_text=_("Yuan of matching per yuan of the lead's Hong Kong grants: 1 for 1:1."),
    )
    matching_cap = amount_field(_("matching cap"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("programme version")
        verbose_name_plural = _("programme versions")
        ordering = ["program", "-year"]
        constraints = [
            models.UniqueConstraint(fields=["program", "year"], name="program_version_one_per_year"),
            models.CheckConstraint(
                condition=Q(min_amount__isnull=True)
                | Q(max_amount__isnull=True)
                | Q(min_amount__lte=models.F("max_amount")),
                name="program_version_min_below_max",
            ),
            models.CheckConstraint(
                condition=Q(matching_ratio__isnull=True) | Q(matching_ratio__gt=0),
                name="program_version_ratio_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.program} {self.year}"


class ApplicationWindow(models.Model):
    """A batch (批次) of a version: applications are taken between its dates."""

    version = models.ForeignKey(
        ProgramVersion, on_delete=models.CASCADE, related_name="windows", verbose_name=_("version")
    )
    batch = models.CharField(_("batch"), max_length=60)
    opens_on = models.DateField(_("opens on"))
    closes_on = models.DateField(_("closes on"))
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("application window")
        verbose_name_plural = _("application windows")
        ordering = ["version", "opens_on"]
        constraints = [
            models.UniqueConstraint(fields=["version", "batch"], name="application_window_batch_unique"),
            models.CheckConstraint(
                condition=Q(closes_on__gte=models.F("opens_on")), name="application_window_order"
            ),
        ]
        # The deadline reminders and the "upcoming deadlines" panel read windows by closing date.
        indexes = [models.Index(fields=["closes_on"], name="application_window_closes")]

    def __str__(self) -> str:
        return f"{self.version} · {self.batch}"


class EligibilityRule(models.Model):
    """One condition a lead must meet, as data: a whitelisted lead field, an operator and a threshold
    (funding.eligibility holds the whitelist and evaluates it; nothing here is ever run as code)."""

    class Operator(models.TextChoices):
        AT_LEAST = "gte", _("at least")
        MORE_THAN = "gt", _("more than")
        AT_MOST = "lte", _("at most")
        LESS_THAN = "lt", _("less than")
        WITHIN_WINDOW = "in_window", _("within the application window")
        FILLED = "filled", _("is recorded")

    version = models.ForeignKey(
        ProgramVersion, on_delete=models.CASCADE, related_name="rules", verbose_name=_("version")
    )
    field = models.CharField(_("lead field"), max_length=40)
    operator = models.CharField(_("operator"), max_length=10, choices=Operator.choices)
    threshold = models.DecimalField(_("threshold"), max_digits=18, decimal_places=2, null=True, blank=True)
    threshold_currency = currency_field(_("threshold currency"), blank=True, default="")
    note = models.CharField(_("note"), max_length=200, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("eligibility rule")
        verbose_name_plural = _("eligibility rules")
        ordering = ["version", "pk"]

    def __str__(self) -> str:
        threshold = "" if self.threshold is None else f" {self.threshold} {self.threshold_currency}".rstrip()
        return f"{self.field} {self.get_operator_display()}{threshold}"


class FundingApplication(models.Model):
    """An application of a lead to a programme version — or a Hong Kong grant the lead already holds (a version of
    a programme of type HK grant), recorded so matching can be computed from it."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        DISBURSING = "disbursing", _("Disbursing")
        CLOSED = "closed", _("Closed")

    lead = models.ForeignKey(
        Lead, on_delete=models.PROTECT, related_name="funding_applications", verbose_name=_("lead")
    )
    version = models.ForeignKey(
        ProgramVersion,
        on_delete=models.PROTECT,
        related_name="applications",
        verbose_name=_("programme version"),
    )
    window = models.ForeignKey(
        ApplicationWindow,
        verbose_name=_("batch"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="applications",
    )
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.DRAFT)
    currency = currency_field(_("currency"))
    requested_amount = amount_field(_("requested amount"), null=True, blank=True)
    approved_amount = amount_field(_("approved amount"), null=True, blank=True)
    submitted_on = models.DateField(_("submitted on"), null=True, blank=True)
    decision_date = models.DateField(_("decision date"), null=True, blank=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    matching_basis = models.TextField(
        _("matching basis"),
        blank=True,
        help_text=_("How the matching amount was computed, with the rates used."),
    )
    clawback_note = models.TextField(_("clawback conditions"), blank=True)
    document = models.ForeignKey(
        Document,
        verbose_name=_("document"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="funding_applications",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("funding application")
        verbose_name_plural = _("funding applications")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(requested_amount__isnull=True) | Q(requested_amount__gt=0),
                name="funding_application_requested_positive",
            ),
            models.CheckConstraint(
                condition=Q(approved_amount__isnull=True) | Q(approved_amount__gt=0),
                name="funding_application_approved_positive",
            ),
        ]
        indexes = [
            # The lead's funding panel and the per-lead totals.
            models.Index(fields=["lead", "status"], name="funding_application_lead"),
            models.Index(fields=["version", "status"], name="funding_application_version"),
        ]

    def __str__(self) -> str:
        return f"{self.lead.code} · {self.version}"


class Tranche(models.Model):
    """One instalment (分期拨付) of an approved application: planned, then paid."""

    application = models.ForeignKey(
        FundingApplication, on_delete=models.CASCADE, related_name="tranches", verbose_name=_("application")
    )
    planned_on = models.DateField(_("planned on"))
    paid_on = models.DateField(_("paid on"), null=True, blank=True)
    amount = amount_field(_("amount"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("tranche")
        verbose_name_plural = _("tranches")
        ordering = ["application", "planned_on", "pk"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="tranche_amount_positive")]
        # The tranche-due reminders read unpaid tranches by planned date.
        indexes = [
            models.Index(fields=["planned_on"], name="tranche_planned", condition=Q(paid_on__isnull=True))
        ]

    def __str__(self) -> str:
        return f"{self.application} · {self.planned_on:%Y-%m-%d} {self.amount}"


class FundCommitment(models.Model):
    """An investor's commitment to the cross-border fund (a programme of type fund investment)."""

    fund = models.ForeignKey(
        FundingProgram, on_delete=models.PROTECT, related_name="commitments", verbose_name=_("fund")
    )
    investor = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="fund_commitments", verbose_name=_("investor")
    )
    committed_on = models.DateField(_("committed on"))
    amount = amount_field(_("committed amount"))
    currency = currency_field(_("currency"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("fund commitment")
        verbose_name_plural = _("fund commitments")
        ordering = ["fund", "-committed_on"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="fund_commitment_amount_positive")
        ]

    def __str__(self) -> str:
        return f"{self.investor} → {self.fund}"


class CapitalCall(models.Model):
    """Money the fund called from a commitment (never more, in total, than was committed)."""

    commitment = models.ForeignKey(
        FundCommitment, on_delete=models.CASCADE, related_name="calls", verbose_name=_("commitment")
    )
    called_on = models.DateField(_("called on"))
    amount = amount_field(_("amount"))
    paid_on = models.DateField(_("paid on"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("capital call")
        verbose_name_plural = _("capital calls")
        ordering = ["commitment", "called_on", "pk"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="capital_call_amount_positive")]

    def __str__(self) -> str:
        return f"{self.commitment} · {self.called_on:%Y-%m-%d}"


class FundInvestment(models.Model):
    """The fund's investment in a Suzhou lead (返投)."""

    fund = models.ForeignKey(
        FundingProgram, on_delete=models.PROTECT, related_name="investments", verbose_name=_("fund")
    )
    lead = models.ForeignKey(
        Lead, on_delete=models.PROTECT, related_name="fund_investments", verbose_name=_("lead")
    )
    invested_on = models.DateField(_("invested on"))
    amount = amount_field(_("amount"))
    currency = currency_field(_("currency"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("fund investment")
        verbose_name_plural = _("fund investments")
        ordering = ["fund", "-invested_on"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="fund_investment_amount_positive")
        ]

    def __str__(self) -> str:
        return f"{self.fund} → {self.lead.code}"
