"""The cohort split by month and by where leads come from: which months, carriers, sectors, events and HK
organizations convert. Each split is one grouped query over reporting.funnel.cohort (plus one for the names of
the rows shown), so the numbers agree with the funnel's; the dashboard, which shows them all, reads every split
from one SharedCohort (shared_cohort) instead."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db.models import Model
from django.db.models.functions import TruncMonth

from directory.models import Carrier, Organization, Sector
from projects.stages import STAGES, Stage, Track
from reporting.cache import cached
from reporting.filters import ReportFilters
from reporting.funnel import SharedCohort, cohort, group_count, ratio, shared_or_none
from talent.models import RecruitmentEvent

# The stage that counts as "signed" and as "landed" in each track (the landing-rate KPI uses the same pairs).
SIGNED_STAGE: dict[str, str] = {Track.ORGANIZATION: Stage.SIGNED, Track.TALENT: Stage.T_OFFERED}
LANDED_STAGE: dict[str, str] = {Track.ORGANIZATION: Stage.REGISTERED, Track.TALENT: Stage.T_ARRIVED}

# dimension → (Lead column, model the ids point to, the filter parameter a drill-down link sets)
DIMENSIONS: dict[str, tuple[str, type[Model]]] = {
    "carrier": ("target_carrier_id", Carrier),
    "sector": ("sector_id", Sector),
    "event": ("source_event_id", RecruitmentEvent),
    "organization": ("hk_organization_id", Organization),
}


@dataclass
class Tally:
    """Cohort leads of one group, how many of them signed and how many landed."""

    leads: int = 0
    signed: int = 0
    landed: int = 0

    def add(self, track: str, top: int, count: int) -> None:
        self.leads += count
        if top >= STAGES[SIGNED_STAGE[track]].order:
            self.signed += count
        if top >= STAGES[LANDED_STAGE[track]].order:
            self.landed += count

    def as_json(self) -> dict[str, Any]:
        return {
            "leads": self.leads,
            "signed": self.signed,
            "landed": self.landed,
            "signed_rate": ratio(self.signed, self.leads),
            "landed_rate": ratio(self.landed, self.leads),
        }


def shared_cohort(user, filters: ReportFilters) -> SharedCohort:
    """The SharedCohort that serves the funnel, the trend and every breakdown of DIMENSIONS: what the dashboard
    passes to each of them, so that on a cache miss the cohort is computed once, not six times."""
    return SharedCohort(user, filters, by=[column for column, _model in DIMENSIONS.values()])


def cohort_trend(user, filters: ReportFilters, *, shared: SharedCohort | None = None) -> list[dict[str, Any]]:
    """Per month of first contact (Asia/Shanghai), in order: the month ("2026-03"), cohort leads, signed and
    landed so far. Months without new leads are absent. `shared`: as for reporting.funnel.funnel."""
    return cached("trend", user, filters, lambda: _cohort_trend(user, filters, shared))


def _cohort_trend(user, filters: ReportFilters, shared: SharedCohort | None = None) -> list[dict[str, Any]]:
    shared = shared_or_none(shared, user, filters)
    if shared is None:
        inner = cohort(user, filters).annotate(month=TruncMonth("first_at")).values("month", "track", "top")
        counted = group_count(inner, ["month", "track", "top"])
    else:
        counted = shared.counts(SharedCohort.MONTH)
    months: dict[str, Tally] = defaultdict(Tally)
    for month, track, top, count in counted:
        # SQLite hands back text ("2026-03-01 00:00:00"), PostgreSQL a datetime (text from SharedCohort): all
        # start with the year-month.
        months[str(month)[:7]].add(track, top, count)
    return [{"month": month, **months[month].as_json()} for month in sorted(months)]


def breakdown(
    user, filters: ReportFilters, dimension: str, *, limit: int = 10, shared: SharedCohort | None = None
) -> list[dict[str, Any]]:
    """The `limit` largest groups of the cohort by `dimension` (see DIMENSIONS), largest first, then a group
    for leads without a value (id None) when there are any. `shared`: as for reporting.funnel.funnel."""
    return cached(
        f"breakdown-{dimension}-{limit}",
        user,
        filters,
        lambda: _breakdown(user, filters, dimension, limit, shared),
    )


def _breakdown(
    user, filters: ReportFilters, dimension: str, limit: int, shared: SharedCohort | None = None
) -> list[dict[str, Any]]:
    column, model = DIMENSIONS[dimension]
    shared = shared_or_none(shared, user, filters)
    if shared is None:
        counted = group_count(cohort(user, filters).values(column, "track", "top"), [column, "track", "top"])
    else:
        counted = shared.counts(column)
    groups: dict[int | None, Tally] = defaultdict(Tally)
    for value, track, top, count in counted:
        groups[value].add(track, top, count)
    largest = sorted((pk for pk in groups if pk is not None), key=lambda pk: (-groups[pk].leads, pk))[:limit]
    named = model._default_manager.filter(pk__in=largest)
    if model is Sector:
        named = named.select_related("parent")  # a sub-sector is named after its parent
    names = {obj.pk: str(obj) for obj in named} if largest else {}
    rows = [{"id": pk, "name": names.get(pk, "?"), **groups[pk].as_json()} for pk in largest]
    if None in groups:
        rows.append({"id": None, "name": "", **groups[None].as_json()})
    return rows
