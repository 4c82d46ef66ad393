"""The funnel, computed from StageChange rows alone (DESIGN §5), in a fixed number of grouped queries.

Semantics (the dashboard and GET /api/v1/funnel/ show the same numbers):
- cohort: the leads the filters cover (ReportFilters.leads: visible, filtered, not merged) whose first stage
  change happened within the period, dates inclusive in Asia/Shanghai;
- reached(S): cohort leads whose highest stage ever entered, by their track's order, is S or later;
- current(S): cohort leads now at S and active or paused; lost(S): lost cohort leads now at S;
- conversion(S) = reached(S) / reached(previous stage of the track), 4 decimals half up, null for the first
  stage or a zero denominator; per phase and track, reached(first stage of the next phase) / reached(first stage
  of this phase); phase rows with track null add up both tracks; overall = reached(last) / reached(first);
- median_days_in_stage(S): over every entry into S (of a cohort lead) followed by a later change of the same
  lead, the median of the days until that next change, 1 decimal half up.

Each query is built with the ORM (so the visibility rule and the filters are the very ones every other list
uses) and, where SQL must group what the ORM already grouped per lead, wrapped in one outer GROUP BY.

The dashboard shows the funnel beside the monthly trend and four breakdowns, all groupings of the same cohort:
it hands them a SharedCohort, which computes the cohort once and every grouping (and the medians) from it in
one statement. Alone (the API, the exports, the brief) the funnel runs its own two queries.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property
from typing import Any

from django.db import connection
from django.db.models import Case, IntegerField, Max, Min, QuerySet, Value, When
from django.db.models.functions import TruncMonth

from projects.models import Lead, StageChange
from projects.stages import STAGES, TRACK_STAGES, Phase
from reporting.cache import cached
from reporting.filters import ReportFilters

RATIO = Decimal("0.0001")
DAYS = Decimal("0.1")
SECONDS_PER_DAY = Decimal(86400)

# A stage code → its position in its own track. The codes of the two tracks differ, so one CASE serves both.
_ORDER = Case(
    *[When(stage_changes__to_stage=code, then=Value(info.order)) for code, info in STAGES.items()],
    output_field=IntegerField(),
)

# Statuses that count a lead as still at its current stage (transferred leads count in neither column).
_CURRENT_STATUSES = (Lead.Status.ACTIVE, Lead.Status.PAUSED)


def cohort_members(user, filters: ReportFilters) -> QuerySet[Lead]:
    """The cohort's leads, plain: the leads the filters cover whose registration falls in the period.

    A lead's first change is its registration, the one change with no `from_stage` (lead_create writes it;
    lead_advance always names the stage left, and no change may predate the one before it — the invariant
    checker holds seeded and imported data to both). Picking the cohort by that row's date lets the partial
    index stagechange_first_time_idx find it, instead of taking the MIN over every change of every lead.
    """
    registered = StageChange.objects.filter(
        from_stage="", occurred_at__gte=filters.starts_at, occurred_at__lt=filters.ends_before
    )
    return filters.leads(user).filter(pk__in=registered.values("lead_id"))


def cohort(user, filters: ReportFilters) -> QuerySet[Lead]:
    """The cohort's leads, one row each, annotated `first_at` (their first stage change) and `top` (the order
    of the highest stage they ever entered). Filter further on `top` for a stage's "reached" leads."""
    return cohort_members(user, filters).annotate(first_at=Min("stage_changes__occurred_at"), top=Max(_ORDER))


def funnel_leads(user, filters: ReportFilters, *, measure: str, stage: str) -> QuerySet[Lead]:
    """The leads behind one number of the funnel: `measure` is "reached", "current" or "lost" at `stage`.
    A plain Lead queryset (the ids of the matching cohort leads), ready for ordering and select_related."""
    if stage not in STAGES:
        raise ValueError(f"Unknown stage {stage!r}")
    matching = cohort(user, filters)
    if measure == "reached":
        # `top` is cohort()'s annotation, which the type checker cannot see.
        matching = matching.filter(track=STAGES[stage].track, **{"top__gte": STAGES[stage].order})
    elif measure == "current":
        matching = matching.filter(stage=stage, status__in=_CURRENT_STATUSES)
    elif measure == "lost":
        matching = matching.filter(stage=stage, status=Lead.Status.LOST)
    else:
        raise ValueError(f"Unknown measure {measure!r}")
    return Lead.objects.filter(pk__in=matching.values("pk"))


def group_count(inner: QuerySet, columns: Sequence[str]) -> list[tuple[Any, ...]]:
    """COUNT(*) of `inner`'s rows (one per lead) grouped by some of its columns: (*columns, count) tuples."""
    sql, params = inner.query.sql_with_params()
    names = ", ".join(connection.ops.quote_name(column) for column in columns)
    with connection.cursor() as cursor:
        # Safe to compose: `sql` is the ORM's own (values travel in `params`), the names are quoted columns.
        cursor.execute(f"SELECT {names}, COUNT(*) FROM ({sql}) cohort GROUP BY {names}", params)  # noqa: S608
        return cursor.fetchall()


# The funnel's grouping of the cohort: a lead's track, the order of its highest stage, its stage and status now.
FUNNEL_COLUMNS = ("track", "top", "stage", "status")


class SharedCohort:
    """The cohort of (user, filters) grouped every way the dashboard shows it, from one statement run on first
    use: counts(FUNNEL) by FUNNEL_COLUMNS, counts(MONTH) by (month of first contact, track, top), counts(column)
    by (that Lead column, track, top) for each column of `by`, and the medians of the funnel's time in stage.

    Each grouping is the rows the separate grouped query over cohort() would return, so a figure computed from
    either is the same: the statement is that cohort once, as a common table expression (PostgreSQL and SQLite
    both materialize one that is read more than once), and a UNION ALL of one GROUP BY per grouping. Only
    groups travel, never a row per lead, and nothing is kept beyond the request that made the object (it is
    not cached: the figures built from it are, per user and filters, by reporting.cache).
    """

    FUNNEL = "funnel"
    MONTH = "month"

    def __init__(self, user, filters: ReportFilters, *, by: Sequence[str] = ()) -> None:
        self.user = user
        self.filters = filters
        self.by = tuple(by)

    def serves(self, user, filters: ReportFilters) -> bool:
        """Whether these are the groupings of (user, filters): figures of one cohort must not go out as another's."""
        return user.pk == self.user.pk and filters == self.filters

    def counts(self, grouping: str) -> list[tuple[Any, ...]]:
        """(*grouping columns, count) tuples, like group_count over cohort() by those columns. The month is
        text starting with the year-month ("2026-03…") on every database."""
        return self._groups[grouping]

    @property
    def medians(self) -> dict[str, float]:
        """median_days_in_stage() of the cohort's leads."""
        return {stage: days(value) for stage, value in self._groups[self._MEDIANS]}

    # The statement's columns after the grouping's number: every branch fills these slots (name → SQL type) and
    # leaves the rest NULL, typed: PostgreSQL resolves a UNION's column types pair by pair, and two untyped NULLs
    # would make a text column. "value" holds a breakdown column's id; the month travels as text (SQLite's
    # TruncMonth returns text anyway), "leads" is a group's count, "median" a stage's median stay in seconds.
    _SLOTS = {
        "month": "varchar",
        "value": "bigint",
        "track": "varchar",
        "top": "integer",
        "stage": "varchar",
        "status": "varchar",
        "leads": "bigint",
        "median": "double precision",
    }
    _MEDIANS = "medians"

    def _groupings(self) -> dict[str, tuple[str, ...]]:
        return {
            self.FUNNEL: FUNNEL_COLUMNS,
            self.MONTH: ("month", "track", "top"),
            **{column: (column, "track", "top") for column in self.by},
        }

    def _slot(self, column: str) -> str:
        return column if column in self._SLOTS else "value"

    def _branch(self, number: int, filled: dict[str, str], source: str, group_by: Sequence[str] = ()) -> str:
        """One SELECT of the UNION: grouping `number`, the `filled` slots (SQL expressions), NULL elsewhere."""
        quote = connection.ops.quote_name
        values = ", ".join(filled.get(slot, f"CAST(NULL AS {kind})") for slot, kind in self._SLOTS.items())
        grouped = f" GROUP BY {', '.join(quote(column) for column in group_by)}" if group_by else ""
        return f"SELECT {number}, {values} FROM {source}{grouped}"  # noqa: S608 - quoted names, constants

    @cached_property
    def _groups(self) -> dict[str, list[tuple[Any, ...]]]:
        groupings = self._groupings()
        quote = connection.ops.quote_name
        inner = (
            cohort(self.user, self.filters)
            .annotate(month=TruncMonth("first_at"))
            .values("id", *FUNNEL_COLUMNS, "month", *self.by)
        )
        sql, params = inner.query.sql_with_params()
        branches = []
        for number, columns in enumerate(groupings.values()):
            filled = {self._slot(column): quote(column) for column in columns}
            if "month" in columns:
                filled["month"] = f"CAST({quote('month')} AS varchar)"
            branches.append(self._branch(number, {**filled, "leads": "COUNT(*)"}, "cohort", columns))
        # The medians over the cohort's leads, the ids read from the expression instead of found again. Qualified:
        # a bare "id" inside the median query would quietly mean the stage change's own id.
        members = f"SELECT cohort.{quote('id')} FROM cohort"  # noqa: S608 - a quoted name
        filled = {"stage": "to_stage", "median": "median"}
        branches.append(self._branch(len(groupings), filled, f"({median_days_query(members)}) medians"))
        names = [*groupings, self._MEDIANS]
        # `sql` is the ORM's own (values travel in `params`); the branches hold quoted names and constants.
        statement = f"WITH cohort AS ({sql}) " + " UNION ALL ".join(branches)

        groups: dict[str, list[tuple[Any, ...]]] = {name: [] for name in names}
        with connection.cursor() as cursor:
            cursor.execute(statement, params)
            for number, *row in cursor.fetchall():
                slots = dict(zip(self._SLOTS, row, strict=True))
                if names[number] == self._MEDIANS:
                    groups[self._MEDIANS].append((slots["stage"], slots["median"]))
                else:
                    columns = groupings[names[number]]
                    groups[names[number]].append(
                        (*(slots[self._slot(column)] for column in columns), slots["leads"])
                    )
        return groups


def ratio(numerator: int, denominator: int) -> float | None:
    """numerator / denominator to 4 decimals, half up; None when the denominator is 0."""
    if not denominator:
        return None
    return float((Decimal(numerator) / Decimal(denominator)).quantize(RATIO, rounding=ROUND_HALF_UP))


def reached_by_track(top_counts: dict[str, dict[int, int]]) -> dict[str, list[int]]:
    """From {track: {highest order: leads}} to {track: [reached(stage 0), reached(stage 1), …]}."""
    reached = {}
    for track, stages in TRACK_STAGES.items():
        counts = top_counts.get(track, {})
        running, column = 0, []
        for order in reversed(range(len(stages))):
            running += counts.get(order, 0)
            column.append(running)
        reached[track] = column[::-1]
    return reached


def funnel(user, filters: ReportFilters, *, shared: SharedCohort | None = None) -> dict[str, Any]:
    """The funnel as the API returns it (plain JSON types), cached briefly per user and filters. A caller that
    shows other groupings of the same cohort passes their SharedCohort, read only if the cache misses."""
    return cached("funnel", user, filters, lambda: _funnel(user, filters, shared))


def shared_or_none(shared: SharedCohort | None, user, filters: ReportFilters) -> SharedCohort | None:
    """`shared`, after checking it is the cohort of (user, filters)."""
    if shared is not None and not shared.serves(user, filters):
        raise ValueError("The shared cohort belongs to another user or other filters.")
    return shared


def _funnel(user, filters: ReportFilters, shared: SharedCohort | None = None) -> dict[str, Any]:
    tracks = filters.tracks()
    shared = shared_or_none(shared, user, filters)
    if shared is None:
        counted = group_count(cohort(user, filters).values(*FUNNEL_COLUMNS), FUNNEL_COLUMNS)
        # The plain cohort, not the grouped one: a subquery with aggregates misleads the planner's row estimates.
        medians = median_days_in_stage(cohort_members(user, filters))
    else:
        counted, medians = shared.counts(SharedCohort.FUNNEL), shared.medians
    top_counts: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    current: dict[str, int] = defaultdict(int)
    lost: dict[str, int] = defaultdict(int)
    for track, top, stage, status, count in counted:
        top_counts[track][top] += count
        if status in _CURRENT_STATUSES:
            current[stage] += count
        elif status == Lead.Status.LOST:
            lost[stage] += count
    reached = reached_by_track(top_counts)

    stages = []
    for track in tracks:
        codes = TRACK_STAGES[track]
        for order, code in enumerate(codes):
            stages.append(
                {
                    "track": str(track),
                    "stage": str(code),
                    "phase": str(STAGES[code].phase),
                    "reached": reached[track][order],
                    "current": current.get(code, 0),
                    "lost": lost.get(code, 0),
                    "conversion": ratio(reached[track][order], reached[track][order - 1]) if order else None,
                    "median_days_in_stage": medians.get(code),
                }
            )
    return {
        "filters": filters.as_json(),
        "stages": stages,
        "phases": phase_rows(reached, tracks),
        "overall": {str(track): ratio(reached[track][-1], reached[track][0]) for track in tracks},
    }


def phase_first_orders(track: str) -> dict[str, int]:
    """{phase: order of its first stage in `track`}, in phase order."""
    firsts: dict[str, int] = {}
    for order, code in enumerate(TRACK_STAGES[track]):
        firsts.setdefault(STAGES[code].phase, order)
    return firsts


def phase_rows(reached: dict[str, list[int]], tracks: list[str]) -> list[dict[str, Any]]:
    """Per phase and track, then (when both tracks are covered) per phase for both, track null."""
    phases = list(Phase.values)
    rows = []
    combined: dict[str, int] = defaultdict(int)
    for track in tracks:
        firsts = phase_first_orders(track)
        for index, phase in enumerate(phases):
            count = reached[track][firsts[phase]]
            combined[phase] += count
            following = reached[track][firsts[phases[index + 1]]] if index + 1 < len(phases) else None
            rows.append(
                {
                    "phase": phase,
                    "track": str(track),
                    "reached": count,
                    "conversion": ratio(following, count) if following is not None else None,
                }
            )
    if len(tracks) > 1:
        for index, phase in enumerate(phases):
            following = combined[phases[index + 1]] if index + 1 < len(phases) else None
            rows.append(
                {
                    "phase": phase,
                    "track": None,
                    "reached": combined[phase],
                    "conversion": ratio(following, combined[phase]) if following is not None else None,
                }
            )
    return rows


# --- Time in stage ---------------------------------------------------------------------------------------------


def median_days_in_stage(leads: QuerySet[Lead]) -> dict[str, float]:
    """{stage: median days from entering it to the lead's next change} over the given leads' stage changes;
    stages never left are absent. One query: a window pairs each change with the lead's next one, then the
    durations' median per stage (the middle one, or the mean of the middle two)."""
    members, params = leads.values("pk").query.sql_with_params()
    # On PostgreSQL the sort this takes fits in memory with the connection's work_mem (settings: PG_WORK_MEM).
    with connection.cursor() as cursor:
        cursor.execute(median_days_query(members), params)
        rows = cursor.fetchall()
    return {stage: days(value) for stage, value in rows}


def median_days_query(members: str) -> str:
    """The SQL of median_days_in_stage: (to_stage, median) rows, the median in seconds, over the stage changes
    of the leads whose ids the SQL `members` selects. SharedCohort runs it on its cohort's ids."""
    table = connection.ops.quote_name(StageChange._meta.db_table)
    if connection.vendor == "postgresql":
        # ANY(ARRAY(…)) makes the cohort a sorted list of ids the (lead, occurred_at) index is probed with, in
        # order: no scan of every lead's changes, no sort before the window. percentile_cont(0.5) is the median.
        # Composed from the ORM's SQL for the members (values travel in `params`) and the quoted table name.
        return f"""
            SELECT to_stage, percentile_cont(0.5) WITHIN GROUP (ORDER BY seconds) AS median FROM (
                SELECT to_stage,
                       EXTRACT(EPOCH FROM LEAD(occurred_at) OVER (
                           PARTITION BY lead_id ORDER BY occurred_at, id) - occurred_at) AS seconds
                FROM {table} WHERE lead_id = ANY(ARRAY({members}))
            ) durations
            WHERE seconds IS NOT NULL
            GROUP BY to_stage
        """  # noqa: S608
    # SQLite has no percentile function: rank the durations per stage and average the middle one or two.
    # It stores UTC text, which julianday() reads (in days).
    return f"""
            SELECT to_stage, AVG(seconds) AS median FROM (
                SELECT to_stage, seconds,
                       ROW_NUMBER() OVER (PARTITION BY to_stage ORDER BY seconds) AS position,
                       COUNT(*) OVER (PARTITION BY to_stage) AS entries
                FROM (
                    SELECT to_stage,
                           (julianday(LEAD(occurred_at) OVER (PARTITION BY lead_id ORDER BY occurred_at, id))
                            - julianday(occurred_at)) * 86400.0 AS seconds
                    FROM {table} WHERE lead_id IN ({members})
                ) paired
                WHERE seconds IS NOT NULL
            ) ranked
            WHERE position IN ((entries + 1) / 2, (entries + 2) / 2)
            GROUP BY to_stage
        """  # noqa: S608


def days(seconds: Any) -> float:
    """Seconds as days to one decimal, half up. Rounded to the millisecond first: SQLite's julianday arithmetic
    is a float, and 2.25 days must not become 2.2499999."""
    exact = Decimal(str(round(float(seconds), 3))) / SECONDS_PER_DAY
    return float(exact.quantize(DAYS, rounding=ROUND_HALF_UP))
