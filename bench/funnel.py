"""The funnel at 100,000 leads and ~1,000,000 stage changes on PostgreSQL (issue 9, "Done when").

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_funnel .venv/bin/python bench/funnel.py

Migrates and, once, seeds its own compact data set (leads and stage changes only: the funnel reads nothing
else), then times `reporting.funnel.funnel()` — the dashboard's and the API's selector, cache off — for a bureau
director (sees everything) and for the head of one unit (the visibility rule in the query), beside ONE
hand-written SQL statement computing the same numbers for the director. It checks that both give the same numbers
and prints the median of RUNS timed runs after WARMUPS, and the query count. It asserts nothing.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

LEADS = 100_000
UNITS = 8
SEED = 2026
WARMUPS = 2
RUNS = 11
BATCH = 10_000


def seed_once() -> None:
    """Eight units under a bureau, a director and one head per unit, and LEADS leads with a realistic history:
    six years of first contacts, forward moves that skip stages now and then, about one backward move in five
    leads, 12 % lost, 5 % paused, a few merged; the lead's stage and status always match its last change."""
    from django.db import connection, transaction
    from django.utils import timezone

    from accounts import services as accounts_services
    from accounts.models import Unit, UnitMembership
    from accounts.roles import Role
    from projects.models import Lead, LeadType, LostReason, StageChange
    from projects.stages import FIRST_STAGE, TRACK_STAGES, Track

    if Lead.objects.count() >= LEADS:
        print(f"Reusing {Lead.objects.count():,} leads and {StageChange.objects.count():,} stage changes.")
        return
    rng = random.Random(SEED)
    started = time.perf_counter()
    with transaction.atomic():
        bureau = accounts_services.unit_create(name="市投资促进局", name_en="Bureau", kind=Unit.Kind.BUREAU)
        units = [
            accounts_services.unit_create(name=f"招商{i}处", name_en=f"Division {i}", parent=bureau)
            for i in range(UNITS)
        ]
        director = accounts_services.user_create(username="director", password=None, roles=[Role.MANAGER])
        accounts_services.membership_set(user=director, unit=bureau, role=UnitMembership.Role.HEAD)
        officers = []
        for i, unit in enumerate(units):
            head = accounts_services.user_create(username=f"head{i}", password=None, roles=[Role.MANAGER])
            accounts_services.membership_set(user=head, unit=unit, role=UnitMembership.Role.HEAD)
            officer = accounts_services.user_create(
                username=f"officer{i}", password=None, roles=[Role.OFFICER]
            )
            accounts_services.membership_set(user=officer, unit=unit)
            officers.append((unit, officer))
        now = timezone.now()
        first_day = now - dt.timedelta(days=6 * 365)
        lead_types = [t for t in LeadType.values if t != LeadType.TALENT]
        leads, histories = [], []
        for n in range(LEADS):
            unit, officer = officers[rng.randrange(UNITS)]
            talent = rng.random() < 0.15
            track = Track.TALENT if talent else Track.ORGANIZATION
            stages = TRACK_STAGES[track]
            at = first_day + dt.timedelta(seconds=rng.randrange(int((now - first_day).total_seconds())))
            moves = [(FIRST_STAGE[track], at)]
            order = 0
            while at < now and rng.random() < 0.93 and len(moves) < 25:
                at += dt.timedelta(days=rng.expovariate(1 / 20), seconds=rng.randrange(86400))
                if at >= now:
                    break
                if order and rng.random() < 0.08:  # sent back by a manager
                    order = max(0, order - 1)
                else:
                    order = min(len(stages) - 1, order + (2 if rng.random() < 0.1 else 1))
                moves.append((stages[order], at))
            roll = rng.random()
            status = (
                Lead.Status.LOST if roll < 0.12 else Lead.Status.PAUSED if roll < 0.17
                else Lead.Status.MERGED if roll < 0.175 else Lead.Status.ACTIVE
            )  # fmt: skip
            leads.append(
                Lead(
                    code=f"HK-{moves[0][1].year}-B{n:06d}",
                    name=f"基准线索{n}",
                    lead_type=LeadType.TALENT if talent else rng.choice(lead_types),
                    track=track,
                    source_channel="event",
                    owner=officer,
                    owning_unit=unit,
                    stage=moves[-1][0],
                    stage_entered_at=moves[-1][1],
                    status=status,
                    lost_reason=LostReason.NO_PROGRESS if status == Lead.Status.LOST else "",
                    resume_review_on=(now + dt.timedelta(days=30)).date()
                    if status == Lead.Status.PAUSED
                    else None,
                    confidential=rng.random() < 0.1,
                )
            )
            histories.append(moves)
        # Talent leads need their subject; the funnel never reads it, so one stand-in person serves them all.
        from talent.models import Contact

        person = Contact.objects.create(name="基准人才")
        for lead in leads:
            if lead.track == Track.TALENT:
                lead.subject_contact = person
        Lead.objects.bulk_create(leads, batch_size=BATCH)
        changes = []
        for lead, moves in zip(leads, histories, strict=True):
            previous = ""
            for stage, at in moves:
                changes.append(
                    StageChange(
                        lead_id=lead.pk,
                        from_stage=previous,
                        to_stage=stage,
                        actor_id=lead.owner_id,
                        occurred_at=at,
                    )
                )
                previous = stage
            if len(changes) >= BATCH * 5:
                StageChange.objects.bulk_create(changes, batch_size=BATCH)
                changes = []
        StageChange.objects.bulk_create(changes, batch_size=BATCH)
    print(
        f"Seeded {Lead.objects.count():,} leads and {StageChange.objects.count():,} stage changes in "
        f"{time.perf_counter() - started:.1f} s"
    )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


# One statement computing the funnel's raw figures for a user who sees everything: per (track, highest order,
# stage, status) the cohort's leads, and per stage the median seconds to the next change. Like the selector, it
# finds the cohort by the registration change (the one without a from_stage), which the partial index serves.
HAND_SQL = """
WITH per_lead AS (
    SELECT l.id, l.track, l.stage, l.status, MAX({order_case}) AS top
    FROM projects_lead l JOIN projects_stagechange s ON s.lead_id = l.id
    WHERE l.status <> 'merged' AND l.id IN (
        SELECT lead_id FROM projects_stagechange
        WHERE from_stage = '' AND occurred_at >= %(start)s AND occurred_at < %(end)s
    )
    GROUP BY l.id
),
durations AS (
    SELECT s.to_stage,
           EXTRACT(EPOCH FROM LEAD(s.occurred_at) OVER (PARTITION BY s.lead_id ORDER BY s.occurred_at, s.id)
                   - s.occurred_at) AS seconds
    FROM projects_stagechange s WHERE s.lead_id IN (SELECT id FROM per_lead)
)
SELECT 'count', track, top, stage, status, COUNT(*)::float FROM per_lead GROUP BY track, top, stage, status
UNION ALL
SELECT 'median', NULL, NULL, to_stage, NULL, percentile_cont(0.5) WITHIN GROUP (ORDER BY seconds)
FROM durations WHERE seconds IS NOT NULL GROUP BY to_stage
"""


def hand_written(filters) -> dict:
    """The funnel's numbers from HAND_SQL, shaped like funnel()'s stage rows (for the comparison)."""
    from collections import defaultdict

    from django.db import connection

    from projects.stages import STAGES, TRACK_STAGES
    from reporting.funnel import days, ratio, reached_by_track

    order_case = (
        "CASE " + " ".join(f"WHEN s.to_stage = '{c}' THEN {i.order}" for c, i in STAGES.items()) + " END"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            HAND_SQL.format(order_case=order_case), {"start": filters.starts_at, "end": filters.ends_before}
        )
        rows = cursor.fetchall()
    tops: dict = defaultdict(lambda: defaultdict(int))
    current: dict = defaultdict(int)
    lost: dict = defaultdict(int)
    medians = {}
    for kind, track, top, stage, status, value in rows:
        if kind == "median":
            medians[stage] = days(value)
            continue
        tops[track][top] += int(value)
        if status in ("active", "paused"):
            current[stage] += int(value)
        elif status == "lost":
            lost[stage] += int(value)
    reached = reached_by_track(tops)
    return {
        (track, code): (
            reached[track][i],
            current[code],
            lost[code],
            ratio(reached[track][i], reached[track][i - 1]) if i else None,
            medians.get(code),
        )
        for track, codes in TRACK_STAGES.items()
        for i, code in enumerate(codes)
    }


def timed(call) -> tuple[float, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(WARMUPS):
        call()
    timings = []
    for _ in range(RUNS):
        started = time.perf_counter()
        call()
        timings.append(time.perf_counter() - started)
    with CaptureQueriesContext(connection) as queries:
        call()
    return statistics.median(timings) * 1000, len(queries.captured_queries)


def main() -> None:
    from bench.common import own_database

    own_database(example="bench_funnel", also_refused=frozenset({"bench_leads"}))
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from accounts.models import User
    from projects.models import Lead, StageChange
    from reporting.filters import ReportFilters
    from reporting.funnel import funnel

    settings.REPORT_CACHE_SECONDS = 0  # time the queries, not the cache
    call_command("migrate", verbosity=0)
    seed_once()
    director, head = User.objects.get(username="director"), User.objects.get(username="head0")
    filters = ReportFilters.default()
    print(
        f"Data: {Lead.objects.count():,} leads, {StageChange.objects.count():,} stage changes. PostgreSQL "
        f"{connection.pg_version // 10000}, {os.cpu_count()} cores; median of {RUNS} runs after {WARMUPS} warm-ups."
    )
    spans = [
        ("last 12 months (default)", filters),
        ("six years", filters.replace(date_from=filters.date_to.replace(year=filters.date_to.year - 6))),
    ]
    print(f"\n{'what':<48} {'median ms':>10} {'queries':>8} {'cohort':>8}")
    for span_name, span in spans:
        ours = funnel(director, span)
        theirs = hand_written(span)
        mismatches = [
            row["stage"]
            for row in ours["stages"]
            if theirs[(row["track"], row["stage"])]
            != (row["reached"], row["current"], row["lost"], row["conversion"], row["median_days_in_stage"])
        ]

        def cohort_of(user, span=span) -> int:
            return sum(
                row["reached"] for row in funnel(user, span)["stages"] if row["stage"] in ("LEAD", "T_LEAD")
            )

        for name, user, call in (
            (f"funnel(), director, {span_name}", director, lambda span=span: funnel(director, span)),
            (f"one hand-written SQL, director, {span_name}", director, lambda span=span: hand_written(span)),
            (f"funnel(), head of one unit, {span_name}", head, lambda span=span: funnel(head, span)),
        ):
            median_ms, queries = timed(call)
            print(f"{name:<48} {median_ms:>10.1f} {queries:>8} {cohort_of(user):>8,}")
        print(
            f"  same numbers as the hand-written SQL: {'yes' if not mismatches else 'NO: ' + ', '.join(mismatches)}"
        )


if __name__ == "__main__":
    main()
