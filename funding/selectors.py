"""Reads of funding: visibility through leads, the lead's funding panel and converted totals."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from core.errors import ApplicationError
from funding.eligibility import Eligibility, evaluate, window_for
from funding.models import (
    ApplicationWindow,
    EligibilityRule,
    FundingApplication,
    FundingProgram,
    ProgramType,
    ProgramVersion,
    Tranche,
)
from funding.services.matching import HELD, Matching, matching_from
from funding.services.rates import RateBook
from projects.models import Lead
from projects.selectors import leads_visible_to

Status = FundingApplication.Status
DEADLINE_HORIZON = dt.timedelta(days=90)
# Programme types a lead applies to; HK grants are recorded as held, fund money as investments.
APPLIED_FOR = [t for t in ProgramType.values if t not in (ProgramType.HK_GRANT, ProgramType.FUND_INVESTMENT)]


def applications_visible_to(
    user, queryset: QuerySet[FundingApplication] | None = None
) -> QuerySet[FundingApplication]:
    """The applications of leads `user` may see (DESIGN §2); narrow `queryset` when given."""
    queryset = FundingApplication.objects.all() if queryset is None else queryset
    return queryset.filter(lead__in=leads_visible_to(user).values("pk"))


def programs_active() -> QuerySet[FundingProgram]:
    return FundingProgram.objects.filter(active=True).order_by("program_type", "code")


# --- The lead's funding panel --------------------------------------------------------------------------------


@dataclass
class ApplicationLine:
    application: FundingApplication
    planned: Decimal
    paid: Decimal

    @property
    def currency(self) -> str:
        return self.application.currency

    @property
    def remaining(self) -> Decimal:
        """Approved but not yet paid."""
        return (self.application.approved_amount or Decimal(0)) - self.paid


@dataclass
class ProgramOption:
    """A version the lead could apply to: eligible now, or not yet with what is missing."""

    version: ProgramVersion
    eligibility: Eligibility
    window: ApplicationWindow | None
    matching: Matching | None = None
    matching_error: str = ""


@dataclass
class Panel:
    lead: Lead
    on: dt.date
    applications: list[ApplicationLine]
    # Per currency, never summed across currencies.
    approved_totals: dict[str, Decimal]
    paid_totals: dict[str, Decimal]
    eligible_now: list[ProgramOption] = field(default_factory=list)
    could_be_eligible: list[ProgramOption] = field(default_factory=list)
    upcoming_windows: list[ApplicationWindow] = field(default_factory=list)


def lead_funding_panel(*, user, lead: Lead, on: dt.date) -> Panel:
    """The funding of one lead at a glance: its applications and grants with approved and paid totals per
    currency; the open programmes it is eligible for now, and the others with what is missing; batches
    closing within 90 days (of those programmes and of the lead's drafts). The caller has fetched `lead` through the visibility rule; applications are
    filtered by it again.

    Queries, whatever the number of applications, tranches, versions and rules: applications (with version,
    programme, batch), their tranches, open versions (with programme), their windows, their rules, and the
    rates of `on` when a conversion is needed."""
    applications = list(
        applications_visible_to(user, FundingApplication.objects.filter(lead=lead))
        .select_related("version__program", "window")
        .prefetch_related(Prefetch("tranches", queryset=Tranche.objects.order_by("planned_on", "pk")))
        .order_by("-created_at", "-pk")
    )
    lines: list[ApplicationLine] = []
    approved_totals: dict[str, Decimal] = defaultdict(Decimal)
    paid_totals: dict[str, Decimal] = defaultdict(Decimal)
    for application in applications:
        tranches = list(application.tranches.all())
        paid = sum((t.amount for t in tranches if t.paid_on), Decimal(0))
        lines.append(
            ApplicationLine(application, planned=sum((t.amount for t in tranches), Decimal(0)), paid=paid)
        )
        if application.status in HELD and application.approved_amount is not None:
            approved_totals[application.currency] += application.approved_amount
            paid_totals[application.currency] += paid
    panel = Panel(
        lead=lead,
        on=on,
        applications=lines,
        approved_totals=dict(approved_totals),
        paid_totals=dict(paid_totals),
    )

    # A version already applied for (and not rejected) is followed in the list above, not offered again; a
    # draft's batch deadline still matters, since the draft is yet to be submitted.
    taken = {a.version_id for a in applications if a.status != Status.REJECTED}
    drafting = {a.version_id for a in applications if a.status == Status.DRAFT}
    grants = [
        a
        for a in applications
        if a.version.program.program_type == ProgramType.HK_GRANT
        and a.status in HELD
        and a.decision_date is not None
        and a.decision_date <= on
    ]
    rates = RateBook(on)
    for version in _open_versions(on):
        if version.pk in drafting or version.pk not in taken:
            panel.upcoming_windows.extend(
                w for w in version.windows.all() if on <= w.closes_on <= on + DEADLINE_HORIZON
            )
        if version.pk in taken:
            continue
        window = _current_window(version, on)
        option = ProgramOption(
            version=version,
            eligibility=evaluate(lead=lead, version=version, on=on, window=window, rates=rates),
            window=window,
        )
        if version.program.program_type == ProgramType.MATCHING and version.matching_ratio is not None:
            try:
                option.matching = matching_from(grants, version=version, on=on, rates=rates)
            except ApplicationError as exc:
                option.matching_error = exc.message
        (panel.eligible_now if option.eligibility.eligible else panel.could_be_eligible).append(option)
    panel.upcoming_windows.sort(key=lambda w: (w.closes_on, w.pk))
    return panel


def _open_versions(on: dt.date) -> list[ProgramVersion]:
    """Versions of active programmes taking applications now or later: a batch not yet closed, or — for
    rolling programmes without batches — this year's version or a later one."""
    versions = (
        ProgramVersion.objects.filter(program__active=True, program__program_type__in=APPLIED_FOR)
        .filter(Q(windows__closes_on__gte=on) | Q(windows__isnull=True, year__gte=on.year))
        .distinct()
        .select_related("program")
        .prefetch_related(
            Prefetch("windows", queryset=ApplicationWindow.objects.order_by("opens_on", "pk")),
            Prefetch("rules", queryset=EligibilityRule.objects.order_by("pk")),
        )
        .order_by("program__program_type", "program__code", "-year")
    )
    return list(versions)


def _current_window(version: ProgramVersion, on: dt.date) -> ApplicationWindow | None:
    window = window_for(version, on)
    # window_for falls back to the last batch; a closed one is no batch to apply in.
    return window if window is not None and window.closes_on >= on else None


# --- Totals --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Total:
    """Approved and paid amounts of a group of applications, converted to one currency at one date."""

    key: int | None
    label: str
    count: int
    approved: Decimal
    paid: Decimal
    currency: str
    on: dt.date
    rates: str  # the rates used, "1 HKD = 0.92 CNY (2025-03-07)"; "" when nothing was converted


_GROUPS = {
    "lead": ("lead_id", ("lead__code", "lead__name")),
    "carrier": (
        "lead__target_carrier_id",
        ("lead__target_carrier__name", "lead__target_carrier__name_zh_hant", "lead__target_carrier__name_en"),
    ),
    "program": (
        "version__program_id",
        ("version__program__name", "version__program__name_zh_hant", "version__program__name_en"),
    ),
}


def _localized(name: str, name_zh_hant: str, name_en: str) -> str:
    language = (get_language() or "zh-hans").lower()
    if language.startswith("en") and name_en:
        return name_en
    if language in {"zh-hant", "zh-hk", "zh-tw"} and name_zh_hant:
        return name_zh_hant
    return name


def _label(group_by: str, row: dict) -> str:
    names = [row[path] for path in _GROUPS[group_by][1]]
    if group_by == "lead":
        return f"{names[0]} {names[1]}"
    if names[0] is None:
        return _("No carrier")
    return _localized(*names)


def totals(
    *,
    queryset: QuerySet[FundingApplication],
    to: str,
    on: dt.date,
    group_by: Literal["lead", "carrier", "program"],
) -> list[Total]:
    """Approved (held) and paid amounts of `queryset` per lead, target carrier or programme, each converted to
    `to` at the rates of `on`; a missing rate raises ApplicationError. Three queries: approved sums, paid sums
    (both grouped in the database by group and currency) and the rates."""
    if group_by not in _GROUPS:
        raise ApplicationError(_("Totals are grouped by lead, carrier or programme."), field="group_by")
    key, names = _GROUPS[group_by]
    approved_rows = list(
        queryset.order_by()
        .values(key, *names, "currency")
        .annotate(
            count=Count("pk"),
            approved=Sum("approved_amount", filter=Q(status__in=HELD)),
        )
    )
    paid_rows = list(
        Tranche.objects.filter(application__in=queryset.order_by().values("pk"), paid_on__isnull=False)
        .order_by()
        .values(f"application__{key}", "application__currency")
        .annotate(paid=Sum("amount"))
    )
    paid_by = {(row[f"application__{key}"], row["application__currency"]): row["paid"] for row in paid_rows}
    rates = RateBook(on)
    groups: dict[int | None, dict] = {}
    for row in approved_rows:
        group = groups.setdefault(
            row[key],
            {
                "label": _label(group_by, row),
                "count": 0,
                "approved": Decimal(0),
                "paid": Decimal(0),
                "rates": [],
            },
        )
        group["count"] += row["count"]
        for name, value in (
            ("approved", row["approved"]),
            ("paid", paid_by.get((row[key], row["currency"]))),
        ):
            if not value:
                continue
            converted = rates.convert(value, row["currency"], to)
            group[name] += converted.amount
            if converted.rate_text and converted.rate_text not in group["rates"]:
                group["rates"].append(converted.rate_text)
    result = [
        Total(
            key=group_key,
            label=group["label"],
            count=group["count"],
            approved=group["approved"],
            paid=group["paid"],
            currency=to,
            on=on,
            rates="; ".join(group["rates"]),
        )
        for group_key, group in groups.items()
    ]
    result.sort(key=lambda total: (-total.approved, total.label))
    return result
