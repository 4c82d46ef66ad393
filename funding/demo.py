"""Demo funding on the programmes seeded by funding 0002: a year of weekly HKD and USD rates, RAISe+ grants held by
university teams, a 1:1 matching application computed from one of them, leading-talent applications in every
status with their tranches, and the cross-border fund's commitments, capital calls and investments.

Everything goes through funding.services, in time order and dated back from ctx.today, with amounts drawn from
ctx.rng: one seed gives one dataset. The amounts are fictional. An application whose batch does not lie far
enough before ctx.today to be submitted and decided stays a draft."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_DOWN, Decimal

from core.seeding import DemoContext
from directory.models import Organization
from funding import services
from funding.models import (
    ApplicationWindow,
    CapitalCall,
    ExchangeRate,
    FundCommitment,
    FundingApplication,
    FundingProgram,
    FundInvestment,
    ProgramVersion,
    Tranche,
)
from projects.models import Lead, LeadType
from projects.stages import Track

M = Decimal(1_000_000)
WAN = Decimal(10_000)
DAY = dt.timedelta(days=1)
RATE_WEEKS = 53  # a year of weekly rates: every decision of the last year finds one within its 31 days
RATE_BASE = {"HKD": Decimal("0.9200"), "USD": Decimal("7.1800")}
RATE_SOURCE = "中国人民银行人民币汇率中间价（演示数据）"
DEMO_NOTE = "演示数据"

# The leading-talent tiers applied to, and the status each demo application is taken to, in turn.
TIERS = ["sz-leader-entrepreneur", "sz-major-innovation-team", "sz-young-talent", "sz-leader-innovation"]
OUTCOMES = ["disbursing", "submitted", "draft", "closed", "rejected", "approved", "disbursing", "submitted"]


def seed(ctx: DemoContext) -> None:
    _rates(ctx)
    leads = list(
        Lead.objects.filter(track=Track.ORGANIZATION, status__in=[Lead.Status.ACTIVE, Lead.Status.PAUSED])
        .select_related("owner")
        .order_by("code")
    )
    approver = ctx.users.get("director")
    teams = [lead for lead in leads if lead.lead_type == LeadType.UNIVERSITY_TEAM][:2]
    grants = [_hk_grant(ctx, lead) for lead in teams]
    if grants and grants[0] is not None:
        _matching(ctx, grants[0], approver)
    others = [lead for lead in leads if lead not in teams]
    for index, (lead, outcome) in enumerate(zip(others, OUTCOMES, strict=False)):
        version = _version(TIERS[index % len(TIERS)])
        if version is not None:
            _application(ctx, lead, version, outcome, approver or lead.owner)
    _fund(ctx, [lead for lead in leads if lead.registered_on is not None])


def clear() -> None:
    """Remove the demo's money; the seeded programmes stay (they are reference data, not demo)."""
    for model in (Tranche, FundingApplication, CapitalCall, FundCommitment, FundInvestment, ExchangeRate):
        model.objects.all().delete()


# --- Rates ----------------------------------------------------------------------------------------------------


def _rates(ctx: DemoContext) -> None:
    """Weekly rates for the last year, each a small step from the one before (as the central parity moves)."""
    for currency, base in RATE_BASE.items():
        rate = base
        for week in range(RATE_WEEKS - 1, -1, -1):
            step = Decimal(ctx.rng.randint(-30, 30)) / Decimal(10_000)
            rate = (rate * (1 + step)).quantize(Decimal("0.0001"))
            services.exchange_rate_set(
                currency=currency, date=ctx.today - week * 7 * DAY, rate_to_cny=rate, source=RATE_SOURCE
            )


# --- Applications ---------------------------------------------------------------------------------------------


def _version(code: str, year: int | None = None) -> ProgramVersion | None:
    versions = ProgramVersion.objects.filter(program__code=code).select_related("program").order_by("-year")
    if year is not None:
        versions = versions.filter(year=year)
    return versions.first()


def _amount(ctx: DemoContext, version: ProgramVersion) -> Decimal:
    """A figure between the version's minimum and cap, in steps of 10万."""
    low = version.min_amount or M
    high = version.max_amount or low * 5
    steps = int((high - low) / (10 * WAN))
    return low + ctx.rng.randint(0, steps) * 10 * WAN


def _submission_day(
    ctx: DemoContext, window: ApplicationWindow, after: dt.date | None = None
) -> dt.date | None:
    """A day inside the batch (and after `after`), early enough that the decision (up to 40 days later) is in
    the past."""
    earliest = max(window.opens_on, after + DAY) if after else window.opens_on
    latest = min(window.closes_on, ctx.today - 45 * DAY)
    if latest < earliest:
        return None
    return earliest + ctx.rng.randint(0, (latest - earliest).days) * DAY


def _hk_grant(ctx: DemoContext, lead: Lead) -> FundingApplication | None:
    version = _version("raise-plus")
    if version is None:
        return None
    return services.hk_grant_record(
        actor=lead.owner,
        lead=lead,
        version=version,
        approved_amount=ctx.rng.choice([12, 18, 25, 40]) * M,
        decision_date=ctx.today - ctx.rng.randint(200, 330) * DAY,
    )


def _matching(ctx: DemoContext, grant: FundingApplication, approver) -> None:
    """1:1 matching of the lead's RAISe+ grant, applied for after it and approved at what the matching
    computation allows."""
    lead = grant.lead
    version = _version("sz-hk-matching-frontier")
    window = version.windows.order_by("opens_on").first() if version else None
    if version is None or window is None:
        return
    application = services.application_create(
        actor=lead.owner, lead=lead, version=version, window=window, requested_amount=version.max_amount
    )
    submitted_on = _submission_day(ctx, window, after=grant.decision_date)
    if submitted_on is None:
        return
    services.application_submit(actor=lead.owner, application=application, submitted_on=submitted_on)
    decided = submitted_on + ctx.rng.randint(20, 40) * DAY
    if decided < ctx.today - (RATE_WEEKS - 1) * 7 * DAY:
        return  # no demo rate that far back to convert the grant with
    matching = services.matching_amount(lead=lead, version=version, on=decided)
    amount = (matching.amount / WAN).to_integral_value(rounding=ROUND_DOWN) * WAN
    if amount <= 0:
        return
    services.application_approve(
        actor=approver or lead.owner, application=application, approved_amount=amount, decision_date=decided
    )
    _tranches(ctx, application, lead, decided, [amount / 2, amount - amount / 2], paid=1)


def _application(ctx: DemoContext, lead: Lead, version: ProgramVersion, outcome: str, approver) -> None:
    actor = lead.owner
    requested = _amount(ctx, version)
    application = services.application_create(
        actor=actor,
        lead=lead,
        version=version,
        requested_amount=requested,
        clawback_note="项目考核不合格或五年内迁离苏州的，按比例退回资助资金。",
    )
    window = version.windows.order_by("opens_on").first()
    submitted_on = _submission_day(ctx, window) if window and outcome != "draft" else None
    if submitted_on is None:
        return
    services.application_submit(actor=actor, application=application, submitted_on=submitted_on)
    if outcome == "submitted":
        return
    decided = submitted_on + ctx.rng.randint(20, 40) * DAY
    if outcome == "rejected":
        services.application_reject(
            actor=approver, application=application, decision_date=decided, note="申报材料不符合条件"
        )
        return
    approved = max(version.min_amount or 10 * WAN, (requested * Decimal("0.8") / WAN).quantize(1) * WAN)
    services.application_approve(
        actor=approver, application=application, approved_amount=approved, decision_date=decided
    )
    if outcome == "disbursing":
        _tranches(
            ctx, application, lead, decided, [approved * Decimal("0.6"), approved * Decimal("0.4")], paid=1
        )
    elif outcome == "closed":
        paid_on = _tranches(ctx, application, lead, decided, [approved], paid=1)
        if paid_on is not None:
            services.application_close(actor=actor, application=application, closed_on=paid_on)


def _tranches(
    ctx: DemoContext, application: FundingApplication, lead: Lead, decided: dt.date, amounts, *, paid: int
) -> dt.date | None:
    """Plan the instalments a few months apart and pay the first `paid` of them that fell due; return the last
    payment's date."""
    last_paid = None
    planned_on = decided + ctx.rng.randint(7, 20) * DAY
    for index, amount in enumerate(amounts):
        tranche = services.tranche_plan(
            actor=lead.owner, application=application, planned_on=planned_on, amount=amount
        )
        if index < paid and planned_on < ctx.today:
            last_paid = min(planned_on + ctx.rng.randint(0, 5) * DAY, ctx.today)
            services.tranche_pay(actor=lead.owner, tranche=tranche, paid_on=last_paid)
        planned_on += ctx.rng.randint(150, 200) * DAY
    return last_paid


# --- The cross-border fund ------------------------------------------------------------------------------------


def _fund(ctx: DemoContext, landed: list[Lead]) -> None:
    fund = FundingProgram.objects.filter(code="sz-hk-crossborder-fund").first()
    if fund is None:
        return
    actor = ctx.users["admin"]
    investors = [
        organization
        for organization in (
            Organization.objects.filter(abbreviation="HKSTP").first(),
            Organization.objects.filter(name="数码港").first(),
        )
        if organization is not None
    ]
    for index, investor in enumerate(investors):
        committed_on = ctx.today - ctx.rng.randint(300, 360) * DAY
        commitment = services.commitment_create(
            actor=actor,
            fund=fund,
            investor=investor,
            committed_on=committed_on,
            amount=(2 - index) * 100 * M,
            currency="HKD",
            note=DEMO_NOTE,
        )
        first_call = committed_on + ctx.rng.randint(30, 90) * DAY
        services.capital_call(
            actor=actor,
            commitment=commitment,
            called_on=first_call,
            amount=commitment.amount / 4,
            paid_on=first_call + ctx.rng.randint(5, 15) * DAY,
        )
        services.capital_call(
            actor=actor,
            commitment=commitment,
            called_on=ctx.today - ctx.rng.randint(10, 40) * DAY,
            amount=commitment.amount * Decimal("0.15"),
        )
    for lead in landed[:2]:
        services.investment_create(
            actor=actor,
            fund=fund,
            lead=lead,
            invested_on=ctx.today - ctx.rng.randint(20, 200) * DAY,
            amount=ctx.rng.choice([10, 15, 20, 30]) * M,
            currency="CNY",
            note=DEMO_NOTE,
        )
