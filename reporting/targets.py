"""Annual targets: who may see and set them, and their progress.

Scope. A manager sets the targets of the units in the subtrees they head or manage and of the officers who are
members of those units; bureau-level users and administrators set any (targets_manageable_by: the admin's list,
change and delete, and the services). On the dashboard a user also sees the targets of the units they belong to
and their own (targets_visible_to).

Actuals. A target's actual is the KPI of its calendar year (1 January – 31 December) over the unit's leads (with
its subtree: ReportFilters(unit=…)) or the officer's (ReportFilters(owner=…)), counted within the *viewer's*
scope — the figures never include a lead the viewer could not open. For the head of a unit, whose scope holds
the whole subtree, that is every lead of it. They are the very figures of reporting.kpis (its row helpers),
grouped by owning unit and owner so that any number of targets costs the same few queries:

- signings_count: KPI "signings"; projects_100m: the four tiers of "projects_100m" added up; talent_arrived:
  "talent_arrived" (leads, per year);
- signed_amount, capital_in_place: "contracted_amount" / "capital_in_place" in 万元 (yuan ÷ 10,000, to 0.01,
  half up); amounts with no rate are not in the actual and are listed under "unconverted".

percent = actual ÷ target × 100, one decimal half up; ratio = actual ÷ target, 4 decimals half up; both None for
a target of 0.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import Unit, UnitMembership
from accounts.visibility import user_scope
from funding.services.rates import RateTable
from reporting.filters import ReportFilters
from reporting.kpis import (
    CENT,
    arrival_rows,
    capital_rows,
    money_total,
    new_signing_rows,
    signing_figures,
    signing_rows,
)
from reporting.models import Metric, Target

WAN = Decimal(10_000)
PERCENT = Decimal("0.1")
RATIO = Decimal("0.0001")
AMOUNT_METRICS = (Metric.SIGNED_AMOUNT, Metric.CAPITAL_IN_PLACE)
# The lead columns the actuals are grouped by: a unit's target adds up the paths under it, an officer's their own.
BY = ("lead__owning_unit__path", "lead__owner_id")


# --- Scope ------------------------------------------------------------------------------------------------------


def _managed(paths: Iterable[str], field: str) -> Q:
    condition = Q(pk__in=[])
    for path in paths:
        condition |= Q(**{f"{field}__path__startswith": path})
    return condition


def targets_manageable_filter(user) -> Q:
    """A Q on Target: the targets `user` may see in the admin and set."""
    scope = user_scope(user)
    if scope.sees_everything:
        return Q()
    paths = scope.managed_unit_paths
    if not paths:
        return Q(pk__in=[])
    members = UnitMembership.objects.filter(_managed(paths, "unit")).values("user_id")
    return _managed(paths, "unit") | Q(officer__in=members)


def targets_manageable_by(user) -> QuerySet[Target]:
    return Target.objects.filter(targets_manageable_filter(user))


def targets_visible_to(user) -> QuerySet[Target]:
    """The targets shown to `user` on the dashboard: those they manage, their units' and their own."""
    if not user.is_authenticated or not user.is_active:
        return Target.objects.none()
    scope = user_scope(user)
    if scope.sees_everything:
        return Target.objects.all()  # an empty Q() would vanish from the OR below
    return Target.objects.filter(
        targets_manageable_filter(user) | Q(unit__in=scope.member_unit_ids) | Q(officer=user)
    )


def may_manage_unit(user, unit: Unit) -> bool:
    scope = user_scope(user)
    return scope.sees_everything or any(unit.path.startswith(path) for path in scope.managed_unit_paths)


def may_manage_officer(user, officer) -> bool:
    scope = user_scope(user)
    if scope.sees_everything:
        return True
    paths = scope.managed_unit_paths
    return bool(paths) and UnitMembership.objects.filter(_managed(paths, "unit"), user=officer).exists()


# --- Actuals ----------------------------------------------------------------------------------------------------


def _year_filters(years: set[int]) -> ReportFilters:
    return ReportFilters(date_from=dt.date(min(years), 1, 1), date_to=dt.date(max(years), 12, 31))


def _matches(target: Target, row: dict[str, Any]) -> bool:
    if target.unit is not None:
        path = row["lead__owning_unit__path"]
        return path is not None and path.startswith(target.unit.path)
    return row["lead__owner_id"] == target.officer_id


def target_actuals(user, targets: Iterable[Target]) -> dict[int, dict[str, Any]]:
    """{target id: {"actual": int | Decimal, "unconverted": [...]}} for targets of any years, owners and metrics,
    within `user`'s scope. Queries, whatever the number of targets: the user's scope (once per user object),
    signings grouped, the rates, large new signings, capital grouped and arrivals grouped — none without
    targets. Targets need `unit` (with its path) or `officer_id` loaded."""
    targets = list(targets)
    if not targets:
        return {}
    filters = _year_filters({target.year for target in targets})
    leads = filters.leads(user).values("pk")
    rates = RateTable(filters.date_from, filters.date_to)
    signings = signing_rows(leads, filters, BY)
    new_signings = new_signing_rows(leads, filters, rates, BY)
    capital = capital_rows(leads, filters, BY)
    arrivals = arrival_rows(leads, filters, (*BY, "year"))
    return {
        target.pk: _actual(
            target, rates, signings=signings, new_signings=new_signings, capital=capital, arrivals=arrivals
        )
        for target in targets
    }


def _actual(target: Target, rates: RateTable, **rows: list[dict[str, Any]]) -> dict[str, Any]:
    def own(kind: str, date: str) -> list[dict[str, Any]]:
        return [row for row in rows[kind] if _matches(target, row) and row[date].year == target.year]

    if target.metric == Metric.TALENT_ARRIVED:
        arrived = sum(
            row["leads"] for row in rows["arrivals"] if _matches(target, row) and row["year"] == target.year
        )
        return {"actual": arrived, "unconverted": []}
    if target.metric == Metric.CAPITAL_IN_PLACE:
        amount = money_total(own("capital", "received_on"), rates, "received_on", "currency")
    else:
        count, amount, _increases, tiers = signing_figures(
            own("signings", "signed_on"), own("new_signings", "signed_on"), rates
        )
        if target.metric == Metric.SIGNINGS_COUNT:
            return {"actual": count, "unconverted": []}
        if target.metric == Metric.PROJECTS_100M:
            return {"actual": sum(tiers.values()), "unconverted": []}
    figures = amount.as_dict()
    return {
        "actual": (figures["cny"] / WAN).quantize(CENT, rounding=ROUND_HALF_UP),
        "unconverted": figures["unconverted"],
    }


def percent(actual: int | Decimal, value: Decimal) -> float | None:
    """actual ÷ target × 100, one decimal half up; None for a target of 0 (nothing to measure against)."""
    if not value:
        return None
    return float((Decimal(actual) * 100 / value).quantize(PERCENT, rounding=ROUND_HALF_UP))


def share(actual: int | Decimal, value: Decimal) -> float | None:
    """actual ÷ target as a ratio to 4 decimals, half up (as the funnel's conversions); None for a target of 0."""
    if not value:
        return None
    return float((Decimal(actual) / value).quantize(RATIO, rounding=ROUND_HALF_UP))


def _order(target: Target) -> tuple[Any, ...]:
    metrics = list(Metric.values)
    if target.unit is not None:
        return (0, target.unit.path, "", metrics.index(target.metric))
    return (1, "", target.officer.get_username() if target.officer else "", metrics.index(target.metric))


def target_progress(user, *, year: int, today: dt.date | None = None) -> list[dict[str, Any]]:
    """The targets `user` may see for `year` (units in tree order, then officers by user name; metrics in their
    order), each {"target", "actual", "percent", "ratio", "label", "metric_label", "unconverted",
    "year_elapsed"}: percent is actual ÷ target × 100 to one decimal, ratio the same share as a 4-decimal ratio
    (what a progress bar or the `percent` template filter takes); both None for a target of 0.

    year_elapsed: the share of the year gone by `today`, in percent (one decimal; 0 before the year, 100
    after), for drawing the pace beside the progress bar."""
    today = today or timezone.localdate()
    targets = sorted(targets_visible_to(user).filter(year=year).select_related("unit", "officer"), key=_order)
    actuals = target_actuals(user, targets)
    elapsed = year_elapsed(year, today)
    return [
        {
            "target": target,
            "actual": actuals[target.pk]["actual"],
            "percent": percent(actuals[target.pk]["actual"], target.value),
            "ratio": share(actuals[target.pk]["actual"], target.value),
            "label": target.whose,
            "metric_label": str(target.get_metric_display()),
            "unconverted": actuals[target.pk]["unconverted"],
            "year_elapsed": elapsed,
        }
        for target in targets
    ]


def year_elapsed(year: int, today: dt.date) -> float:
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    if today < start:
        return 0.0
    if today >= end:
        return 100.0
    days = Decimal((today - start).days + 1) * 100 / Decimal((end - start).days + 1)
    return float(days.quantize(PERCENT, rounding=ROUND_HALF_UP))
