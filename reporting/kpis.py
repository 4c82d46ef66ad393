"""The dashboard's KPI cards (issue 9's KPI table), for a period and the report filters, in a fixed number of
grouped queries whatever the number of rows.

Every figure counts rows of the leads ReportFilters.leads(user) covers (visible to the user, matching the
filters, not merged), dated within [date_from, date_to] (Asia/Shanghai days):

- signings: Signing rows of kind new or re-sign; a capital increase is never a signing;
- contracted_amount: new, re-sign and capital-increase amounts, each (date, currency) group converted to yuan at
  the rate of its signing date (funding.services.rates.RateTable: the latest rate on or before the day, not older
  than EXCHANGE_RATE_MAX_AGE_DAYS); amounts with no such rate are listed per currency under "unconverted",
  never dropped and never guessed. Products are summed exactly and rounded to the fen once;
- capital_increases: how many capital-increase rows that amount holds (they count by amount only);
- projects_100m: new signings by their own yuan amount, [1亿, 3亿), [3亿, 10亿), [10亿, 20亿), [20亿, ∞);
  a new signing without a rate is in no tier (its amount is listed as unconverted above);
- landing_rate: cohort leads that reached REGISTERED or T_ARRIVED ÷ those that reached SIGNED or T_OFFERED, the
  numbers taken from reporting.funnel.funnel (the same cohort, 4 decimals half up);
- capital_in_place: CapitalInjection amounts received in the period, converted as above;
- talent_arrived: leads that moved into T_ARRIVED in the period (a lead moved back and in again counts once);
- funding_approved: applications approved in the period (decision date; approved amount); funding_disbursed:
  tranches paid in the period. Hong Kong grants (RAISe+ and the like, recorded only so matching can be computed)
  are not funding approved or paid here and count in neither;
- overdue_milestones: per pass, in pass order, zeros included: open milestones due before `today`.

The row helpers take `by` (extra grouping columns through the lead) so reporting.targets can compute the same
figures for many units and officers at once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import ExtractYear
from django.utils import timezone
from django.utils.translation import get_language

from funding.models import FundingApplication, ProgramType, Tranche
from funding.services.rates import RateTable
from projects.models import CapitalInjection, Milestone, Pass, Signing, StageChange
from projects.stages import Stage
from reporting.cache import cached
from reporting.filters import ReportFilters
from reporting.funnel import funnel, ratio

CENT = Decimal("0.01")
YI = Decimal(10) ** 8
# Lower bound, upper bound (exclusive, None = open) in yuan.
TIERS: tuple[tuple[str, Decimal, Decimal | None], ...] = (
    ("1-3", 1 * YI, 3 * YI),
    ("3-10", 3 * YI, 10 * YI),
    ("10-20", 10 * YI, 20 * YI),
    ("20+", 20 * YI, None),
)
SIGNING_KINDS = (Signing.Kind.NEW, Signing.Kind.RESIGN)
AMOUNT_KINDS = (Signing.Kind.NEW, Signing.Kind.RESIGN, Signing.Kind.CAPITAL_INCREASE)
LANDED_STAGES = (Stage.REGISTERED, Stage.T_ARRIVED)
SIGNED_STAGES = (Stage.SIGNED, Stage.T_OFFERED)


class YuanTotal:
    """A sum in yuan of amounts in several currencies and dates, with what could not be converted kept aside."""

    def __init__(self, rates: RateTable) -> None:
        self.rates = rates
        self.cny = Decimal(0)
        self.unconverted: dict[str, list[Any]] = {}  # currency → [amount, rows]

    def add(self, amount: Decimal, currency: str, on: dt.date, rows: int = 1) -> None:
        yuan = self.rates.to_cny(amount, currency, on)
        if yuan is None:
            kept = self.unconverted.setdefault(currency, [Decimal(0), 0])
            kept[0] += amount
            kept[1] += rows
        else:
            self.cny += yuan

    def as_dict(self) -> dict[str, Any]:
        return {
            "cny": self.cny.quantize(CENT, rounding=ROUND_HALF_UP),
            "unconverted": [
                {"currency": currency, "amount": amount.quantize(CENT), "count": rows}
                for currency, (amount, rows) in sorted(self.unconverted.items())
            ],
        }


def tier_of(yuan: Decimal) -> str | None:
    for name, low, high in TIERS:
        if yuan >= low and (high is None or yuan < high):
            return name
    return None


# --- Rows, grouped in SQL ----------------------------------------------------------------------------------------
# `leads` is a values("pk") queryset of ReportFilters.leads(user); `by` names extra columns reached through the
# record's lead (e.g. "lead__owner_id"), kept in each returned row.


def _in_period(field: str, filters: ReportFilters) -> Q:
    return Q(**{f"{field}__gte": filters.date_from, f"{field}__lte": filters.date_to})


def signing_rows(leads: QuerySet, filters: ReportFilters, by: Sequence[str] = ()) -> list[dict[str, Any]]:
    """Signings of the period per (kind, date, currency): their total amount and number."""
    return list(
        Signing.objects.filter(_in_period("signed_on", filters), lead__in=leads, kind__in=AMOUNT_KINDS)
        .order_by()
        .values(*by, "kind", "signed_on", "currency")
        .annotate(total=Sum("amount"), rows=Count("pk"))
    )


def new_signing_rows(
    leads: QuerySet, filters: ReportFilters, rates: RateTable, by: Sequence[str] = ()
) -> list[dict[str, Any]]:
    """The period's new signings that may reach 1亿 in yuan, one row each (tiers need each signing's amount).
    An amount below (1亿 − 1 fen) ÷ the highest rate of the period cannot reach 1亿 at any of its rates, even
    rounded to the fen, so SQL leaves it out."""
    floor = ((YI - CENT) / rates.highest()).quantize(CENT, rounding=ROUND_DOWN)
    return list(
        Signing.objects.filter(
            _in_period("signed_on", filters), lead__in=leads, kind=Signing.Kind.NEW, amount__gte=floor
        )
        .order_by()
        .values(*by, "signed_on", "currency", "amount")
    )


def capital_rows(leads: QuerySet, filters: ReportFilters, by: Sequence[str] = ()) -> list[dict[str, Any]]:
    """Capital received in the period per (date, currency)."""
    return list(
        CapitalInjection.objects.filter(_in_period("received_on", filters), lead__in=leads)
        .order_by()
        .values(*by, "received_on", "currency")
        .annotate(total=Sum("amount"), rows=Count("pk"))
    )


def arrival_rows(leads: QuerySet, filters: ReportFilters, by: Sequence[str] = ()) -> list[dict[str, Any]]:
    """How many leads moved into T_ARRIVED in the period (one row), or per `by` (which may name "year", the
    move's year in the reporting time zone)."""
    moves = (
        StageChange.objects.filter(
            lead__in=leads,
            to_stage=Stage.T_ARRIVED,
            occurred_at__gte=filters.starts_at,
            occurred_at__lt=filters.ends_before,
        )
        .order_by()
        .annotate(year=ExtractYear("occurred_at", tzinfo=ZoneInfo(settings.TIME_ZONE)))
    )
    if not by:
        return [moves.aggregate(leads=Count("lead", distinct=True))]
    return list(moves.values(*by).annotate(leads=Count("lead", distinct=True)))


def _not_hk_grant(prefix: str) -> Q:
    return ~Q(**{f"{prefix}version__program__program_type": ProgramType.HK_GRANT})


def approval_rows(leads: QuerySet, filters: ReportFilters) -> list[dict[str, Any]]:
    """Applications approved in the period per (decision date, currency)."""
    return list(
        FundingApplication.objects.filter(
            _in_period("decision_date", filters),
            _not_hk_grant(""),
            lead__in=leads,
            approved_amount__isnull=False,
        )
        .exclude(status=FundingApplication.Status.REJECTED)
        .order_by()
        .values("decision_date", "currency")
        .annotate(total=Sum("approved_amount"), rows=Count("pk"))
    )


def disbursement_rows(leads: QuerySet, filters: ReportFilters) -> list[dict[str, Any]]:
    """Tranches paid in the period per (payment date, currency)."""
    return list(
        Tranche.objects.filter(
            _in_period("paid_on", filters), _not_hk_grant("application__"), application__lead__in=leads
        )
        .order_by()
        .values("paid_on", "application__currency")
        .annotate(total=Sum("amount"), rows=Count("pk"))
    )


def overdue_by_pass(leads: QuerySet, today: dt.date) -> list[dict[str, Any]]:
    """Every pass in order with its open milestones due before `today`."""
    overdue = Q(
        milestones__status=Milestone.Status.OPEN,
        milestones__due_on__lt=today,
        milestones__lead__in=leads,
    )
    return [
        {"pass_id": lead_pass.pk, "pass": lead_pass.localized_name, "count": lead_pass.overdue}
        for lead_pass in Pass.objects.annotate(overdue=Count("milestones", filter=overdue)).order_by(
            "order", "pk"
        )
    ]


# --- Sums, in Python ---------------------------------------------------------------------------------------------


def signing_figures(rows: Iterable[dict[str, Any]], new_rows: Iterable[dict[str, Any]], rates: RateTable):
    """(signings, contracted amount, capital increases, tiers) from signing_rows and new_signing_rows."""
    signings = capital_increases = 0
    amount = YuanTotal(rates)
    for row in rows:
        amount.add(row["total"], row["currency"], row["signed_on"], row["rows"])
        if row["kind"] in SIGNING_KINDS:
            signings += row["rows"]
        else:
            capital_increases += row["rows"]
    tiers = {name: 0 for name, _low, _high in TIERS}
    for row in new_rows:
        yuan = rates.to_cny(row["amount"], row["currency"], row["signed_on"])
        tier = tier_of(yuan.quantize(CENT, rounding=ROUND_HALF_UP)) if yuan is not None else None
        if tier is not None:
            tiers[tier] += 1
    return signings, amount, capital_increases, tiers


def money_total(rows: Iterable[dict[str, Any]], rates: RateTable, date: str, currency: str) -> YuanTotal:
    total = YuanTotal(rates)
    for row in rows:
        total.add(row["total"], row[currency], row[date], row["rows"])
    return total


def kpis(
    user, filters: ReportFilters, *, today: dt.date | None = None, funnel_data: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The KPI cards (see the module docstring), cached briefly per user, filters, day and language (the pass
    names are in the reader's language). A caller that already holds funnel(user, filters) passes it as
    `funnel_data` (the landing rate reads it) rather than have it computed twice."""
    today = today or timezone.localdate()
    key = {**filters.as_json(), "today": today.isoformat(), "language": get_language()}
    return cached("kpis", user, key, lambda: _kpis(user, filters, today, funnel_data))


def _kpis(user, filters: ReportFilters, today: dt.date, funnel_data: dict[str, Any] | None) -> dict[str, Any]:
    # Queries: the user's scope (once per user object), the rates, signings grouped, large new signings,
    # capital grouped, arrivals, approvals grouped, tranches grouped, overdue milestones per pass, and the
    # funnel's (its own, or none when cached).
    leads = filters.leads(user).values("pk")
    rates = RateTable(filters.date_from, filters.date_to)
    signings, contracted, capital_increases, tiers = signing_figures(
        signing_rows(leads, filters), new_signing_rows(leads, filters, rates), rates
    )
    approvals = approval_rows(leads, filters)
    tranches = disbursement_rows(leads, filters)
    stages = {row["stage"]: row["reached"] for row in (funnel_data or funnel(user, filters))["stages"]}
    landed = sum(stages.get(code, 0) for code in LANDED_STAGES)
    signed = sum(stages.get(code, 0) for code in SIGNED_STAGES)
    return {
        "signings": signings,
        "contracted_amount": contracted.as_dict(),
        "capital_increases": capital_increases,
        "projects_100m": tiers,
        "landing_rate": ratio(landed, signed),
        "landing": {"landed": landed, "signed": signed},
        "capital_in_place": money_total(
            capital_rows(leads, filters), rates, "received_on", "currency"
        ).as_dict(),
        "talent_arrived": sum(row["leads"] for row in arrival_rows(leads, filters)),
        "funding_approved": {
            "count": sum(row["rows"] for row in approvals),
            **money_total(approvals, rates, "decision_date", "currency").as_dict(),
        },
        "funding_disbursed": {
            "count": sum(row["rows"] for row in tranches),
            **money_total(tranches, rates, "paid_on", "application__currency").as_dict(),
        },
        "overdue_milestones": overdue_by_pass(leads, today),
    }
