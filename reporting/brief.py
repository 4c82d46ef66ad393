"""The monthly brief (领导参阅-style): a month's headline figures against the month before, the pipeline by phase
over the twelve months to the month's end, what is overdue or stalled today, and the month's notable signings.

A formal document in Simplified Chinese whatever the reader's language: the brief is built and rendered under
translation.override(BRIEF_LANGUAGE); its msgids are English like every other, and the zh-hans catalog carries
the formal wording.

Its figures are the dashboard's: reporting.kpis for the headline numbers, reporting.funnel for the phases,
reporting.stalled for the lists, all over ReportFilters.leads(user) (visible, in the chosen unit's subtree, not
merged). Rows that name leads and people (overdue items, stalled leads, the leads behind signings) are included
only for users who may read the lead list (projects.view_lead); a report viewer's brief keeps the aggregates.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Unit
from core.money import Currency, format_amount
from funding.services.rates import RateTable
from projects.models import Signing
from projects.stages import Phase, Track
from reporting.filters import ReportFilters
from reporting.funnel import cohort, funnel
from reporting.kpis import kpis
from reporting.stalled import admin_url, overdue_by_pass, stalled_items, stalled_leads_queryset

BRIEF_LANGUAGE = "zh-hans"
LEAD_ROWS_PERMISSION = "projects.view_lead"

WAN = Decimal(10_000)
YI = Decimal(10) ** 8
CENT = Decimal("0.01")
PERCENT = Decimal("0.1")
# Every new signing of at least 1亿 is notable; a month with fewer lists its largest, up to this many.
NOTABLE_AT_LEAST = 5
OVERDUE_PER_PASS = 5
STALLED_SHOWN = 10

COUNT, MONEY = "count", "money"
# (key, label, kind): the headline table's rows, in order. Money is shown in 万元, counts as they are.
HEADLINES = (
    ("signings", gettext_lazy("Projects signed"), COUNT),
    ("contracted_amount", gettext_lazy("Contracted amount (10,000 yuan)"), MONEY),
    ("new_leads", gettext_lazy("New leads"), COUNT),
    ("talent_arrived", gettext_lazy("Talent arrived (people)"), COUNT),
    ("capital_in_place", gettext_lazy("Capital in place (10,000 yuan)"), MONEY),
    ("funding_approved_count", gettext_lazy("Funding applications approved"), COUNT),
    ("funding_approved", gettext_lazy("Funding approved (10,000 yuan)"), MONEY),
)


# --- Months ------------------------------------------------------------------------------------------------------


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def month_end(day: dt.date) -> dt.date:
    following = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return following - dt.timedelta(days=1)


def previous_month(day: dt.date) -> dt.date:
    """The first day of the month before `day`'s."""
    return month_start(month_start(day) - dt.timedelta(days=1))


def months_before(day: dt.date, count: int) -> dt.date:
    """The first day of the month `count` months before `day`'s."""
    index = day.year * 12 + day.month - 1 - count
    return dt.date(index // 12, index % 12 + 1, 1)


def default_month(today: dt.date | None = None) -> dt.date:
    """The last full month: a brief is written once its month is over."""
    return previous_month(today or timezone.localdate())


def month_label(day: dt.date) -> str:
    """ "2026年10月" in Chinese (the locale's YEAR_MONTH_FORMAT), "October 2026" in English."""
    return formats.date_format(day, "YEAR_MONTH_FORMAT")


def date_label(day: dt.date) -> str:
    return formats.date_format(day, "DATE_FORMAT")


# --- Figures -----------------------------------------------------------------------------------------------------


def wan(yuan: Decimal) -> Decimal:
    """Yuan in 万元 to 0.01, half up."""
    return (Decimal(yuan) / WAN).quantize(CENT, rounding=ROUND_HALF_UP)


def _figures(user, filters: ReportFilters, today: dt.date) -> dict[str, Any]:
    """The headline figures of one month: {key: int | Decimal (万元)}, what no rate could convert, and the KPIs
    they come from."""
    found = kpis(user, filters, today=today)
    return {
        "kpis": found,
        "values": {
            "signings": found["signings"],
            "contracted_amount": wan(found["contracted_amount"]["cny"]),
            "new_leads": cohort(user, filters).count(),
            "talent_arrived": found["talent_arrived"],
            "capital_in_place": wan(found["capital_in_place"]["cny"]),
            "funding_approved_count": found["funding_approved"]["count"],
            "funding_approved": wan(found["funding_approved"]["cny"]),
        },
        "unconverted": {
            "contracted_amount": found["contracted_amount"]["unconverted"],
            "capital_in_place": found["capital_in_place"]["unconverted"],
            "funding_approved": found["funding_approved"]["unconverted"],
        },
    }


def _shown(value: int | Decimal, kind: str) -> str:
    # Mainland documents write 万元 figures ungrouped, with their two decimals.
    return f"{value:.2f}" if kind == MONEY else str(value)


def _change_text(change: int | Decimal, kind: str) -> str:
    if not change:
        return _("unchanged")
    if change > 0:
        return _("up %(value)s") % {"value": _shown(change, kind)}
    return _("down %(value)s") % {"value": _shown(-change, kind)}


def growth(current: int | Decimal, previous: int | Decimal) -> Decimal | None:
    """Month-on-month change in percent, one decimal half up; None when the previous month had nothing."""
    if not previous:
        return None
    return ((Decimal(current) - Decimal(previous)) * 100 / Decimal(previous)).quantize(
        PERCENT, rounding=ROUND_HALF_UP
    )


def headline_rows(current: dict[str, Any], previous: dict[str, Any]) -> list[dict[str, Any]]:
    """The headline table: each figure this month and last, the change and the month-on-month growth."""
    rows = []
    for key, label, kind in HEADLINES:
        now, before = current["values"][key], previous["values"][key]
        change = now - before
        rate = growth(now, before)
        rows.append(
            {
                "key": key,
                "label": str(label),
                "kind": kind,
                "current": now,
                "previous": before,
                "change": change,
                "growth": rate,
                "current_text": _shown(now, kind),
                "previous_text": _shown(before, kind),
                "change_text": _change_text(change, kind),
                "growth_text": "—" if rate is None else f"{rate:+.1f}%",
            }
        )
    return rows


def unconverted_notes(figures: dict[str, Any], month: dt.date) -> list[str]:
    """One sentence per figure with amounts that no exchange rate of their day could convert."""
    labels = {key: label for key, label, _kind in HEADLINES}
    notes = []
    for key, rows in figures["unconverted"].items():
        if rows:
            amounts = "、".join(format_amount(row["amount"], row["currency"]) for row in rows)
            notes.append(
                _(
                    "%(month)s, %(figure)s: a further %(amounts)s could not be converted for want of an "
                    "exchange rate on the day and is not included."
                )
                % {"month": month_label(month), "figure": labels[key], "amounts": amounts}
            )
    return notes


def phase_summary(user, filters: ReportFilters) -> dict[str, Any]:
    """The funnel per phase: leads of the cohort that reached it, per track and in all, and the share that went
    on to the next phase."""
    found = funnel(user, filters)
    rows: dict[str, dict[str, Any]] = {
        phase: {"phase": phase, "label": str(label), "org": 0, "talent": 0, "total": 0, "conversion": None}
        for phase, label in Phase.choices
    }
    for row in found["phases"]:
        if row["track"] is None:
            rows[row["phase"]]["conversion"] = row["conversion"]
        else:
            rows[row["phase"]][row["track"]] = row["reached"]
    for row in rows.values():
        row["total"] = row["org"] + row["talent"]
        row["conversion_text"] = "—" if row["conversion"] is None else f"{row['conversion'] * 100:.1f}%"
    return {
        "date_from": filters.date_from,
        "date_to": filters.date_to,
        "tracks": [(str(track), str(label)) for track, label in Track.choices],
        "phases": list(rows.values()),
        # Every lead of the cohort is at least in the first phase.
        "cohort": rows[Phase.ATTRACTION]["total"],
    }


def notable_signings(user, filters: ReportFilters, *, with_leads: bool = True) -> list[dict[str, Any]]:
    """The period's new signings of at least 1亿 in yuan (each at its own date's rate), or, when there are fewer
    than NOTABLE_AT_LEAST of those, the largest NOTABLE_AT_LEAST; largest first. A signing no rate converts
    comes after the converted ones, in its own currency. Two queries: the signings, the period's rates."""
    rates = RateTable(filters.date_from, filters.date_to)
    signings = list(
        Signing.objects.filter(
            lead__in=filters.leads(user).values("pk"),
            kind=Signing.Kind.NEW,
            signed_on__gte=filters.date_from,
            signed_on__lte=filters.date_to,
        )
        .select_related("lead", "investor")
        .order_by("signed_on", "pk")
    )
    items = []
    for signing in signings:
        yuan = rates.to_cny(signing.amount, signing.currency, signing.signed_on)
        cny = None if yuan is None else yuan.quantize(CENT, rounding=ROUND_HALF_UP)
        items.append(
            {
                "signing_id": signing.pk,
                "lead_id": signing.lead_id if with_leads else None,
                "code": signing.lead.code if with_leads else "",
                "name": signing.lead.name if with_leads else "",
                "url": admin_url("projects_lead", signing.lead_id) if with_leads else "",
                "investor": str(signing.investor),
                "signed_on": signing.signed_on,
                "amount": signing.amount,
                "currency": signing.currency,
                "amount_text": format_amount(signing.amount, signing.currency),
                "cny": cny,
                "cny_text": "" if cny is None else format_amount(cny, Currency.CNY),
            }
        )
    # Converted first, largest first; then the unconverted, as they came.
    items.sort(key=lambda item: (item["cny"] is None, -(item["cny"] or 0)))
    large = sum(1 for item in items if item["cny"] is not None and item["cny"] >= YI)
    return items[: max(large, NOTABLE_AT_LEAST)]


def overdue_items(
    user, filters: ReportFilters, *, today: dt.date, kpi_counts: list[dict[str, Any]], with_rows: bool
) -> list[dict[str, Any]]:
    """Per pass, in order: {"pass": its name, "count", "items": its most overdue milestones}. Without rows, the
    KPI's counts (already computed) and no items; with them, one query reads both (the same counts)."""
    if not with_rows:
        return [{"pass": row["pass"], "count": row["count"], "items": []} for row in kpi_counts]
    return [
        {"pass": row["pass"].localized_name, "count": row["count"], "items": row["items"]}
        for row in overdue_by_pass(user, filters, today=today, per_pass=OVERDUE_PER_PASS)
    ]


# --- The brief ---------------------------------------------------------------------------------------------------


def monthly_brief(user, *, month: dt.date, unit: Unit | None, today: dt.date | None = None) -> dict[str, Any]:
    """Everything the brief shows for `month` (any day of it) and `unit` (None: everything the user sees),
    as of `today`, with its texts in Simplified Chinese. See the module docstring."""
    with translation.override(BRIEF_LANGUAGE):
        return _monthly_brief(user, month=month_start(month), unit=unit, today=today or timezone.localdate())


def _monthly_brief(user, *, month: dt.date, unit: Unit | None, today: dt.date) -> dict[str, Any]:
    before = previous_month(month)
    this_month = ReportFilters(date_from=month, date_to=month_end(month), unit=unit)
    last_month = this_month.replace(date_from=before, date_to=month_end(before))
    year = this_month.replace(date_from=months_before(month, 11))
    with_rows = user.has_perm(LEAD_ROWS_PERMISSION)

    current = _figures(user, this_month, today)
    previous = _figures(user, last_month, today)
    scope = unit.name if unit is not None else _("all units in scope")
    signings = notable_signings(user, this_month, with_leads=with_rows)
    overdue = overdue_items(
        user, this_month, today=today, kpi_counts=current["kpis"]["overdue_milestones"], with_rows=with_rows
    )
    stalled = stalled_leads_queryset(user, this_month, today=today)
    values = current["values"]
    return {
        "title": _("Suzhou–Hong Kong cooperation: monthly brief for %(month)s")
        % {"month": month_label(month)},
        "month": month,
        "month_label": month_label(month),
        "previous_month": before,
        "previous_label": month_label(before),
        "period": (this_month.date_from, this_month.date_to),
        "unit": unit,
        "scope": scope,
        "today": today,
        "today_label": date_label(today),
        "with_rows": with_rows,
        "opening": _(
            "The main facts of the Suzhou–Hong Kong cooperation work of %(scope)s in %(month)s are reported "
            "below for the leadership's reference."
        )
        % {"scope": scope, "month": month_label(month)},
        "summary": _(
            "In %(month)s, %(signings)s projects were signed for %(amount)s in all; %(new_leads)s new leads "
            "were recorded and %(talent)s talents arrived."
        )
        % {
            "month": month_label(month),
            "signings": values["signings"],
            "amount": format_amount(current["kpis"]["contracted_amount"]["cny"], Currency.CNY),
            "new_leads": values["new_leads"],
            "talent": values["talent_arrived"],
        },
        "headline": headline_rows(current, previous),
        "unconverted": unconverted_notes(current, month) + unconverted_notes(previous, before),
        "funnel": phase_summary(user, year),
        "overdue": overdue,
        "overdue_total": sum(row["count"] for row in overdue),
        "stalled": stalled_items(stalled, today=today, limit=STALLED_SHOWN) if with_rows else [],
        "stalled_total": stalled.count(),
        "notable_signings": signings,
    }
