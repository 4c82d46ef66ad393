"""The API's lead list and funnel at 100,000 leads on PostgreSQL (issue 10, "Done when").

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_funnel REDIS_URL=redis://127.0.0.1:6379/14 \
        .venv/bin/python bench/api.py

Shares bench/funnel.py's database and seed (a bureau, eight divisions, a director, a head and an officer per
division, 100,000 leads, ~1.1M stage changes), then adds once what the lead list reads beyond it: co-owners on
some leads, an organization, sector and carrier on most, a creation time spread over the six years, and the
lead table rewritten in creation order. None of that changes a number bench/funnel.py prints (it times the
director and a division head: co-owners are only ever officers, and the funnel reads neither created_at nor those
ids).

Each URL is requested in-process with Django's test Client (force_login; real URL routing, middleware,
authentication, permissions, pagination and JSON rendering; no network): WARMUPS requests, then RUNS
timed ones, then one more inside CaptureQueriesContext for the query count. The report cache is off
(REPORT_CACHE_SECONDS = 0: reporting.cache.cached() then calls the selector without touching the cache), so the
funnel's figures are its queries'. When a median is over SLOW_MS, the slowest query of that request is run
again under EXPLAIN ANALYZE and its plan printed. It asserts nothing.
"""

from __future__ import annotations

import gc
import math
import os
import random
import statistics
import sys
import time
from io import StringIO
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# Hundreds of list requests a minute from one user: should the lead list ever carry the personal-data throttle,
# it must not answer them with 429 (its cost, a cache round trip per request, would still be measured).
os.environ.setdefault("API_PERSONAL_DATA_RATE", "1000000/min")

SEED = 2026
WARMUPS = 3
RUNS = 21
PAGE_SIZE = 50
SLOW_MS = 200.0
CO_OWNED_SHARE = 0.10  # leads with co-owners; one in five of them has two
ORGANIZATION_SHARE = 80  # percent of leads naming a Hong Kong organization
SECTOR_SHARE = 90
CARRIER_SHARE = 60


def enrich_once() -> None:
    """What the lead list reads and bench/funnel.py's seed leaves empty. Once: a database whose leads already
    have co-owners is reused as it is."""
    from django.core.management import call_command
    from django.db import connection, transaction

    from accounts.models import User
    from directory.models import Carrier, Organization, Sector
    from projects.models import Lead

    through = Lead.co_owners.through
    if through.objects.exists():
        print(f"Reusing the enrichment: {through.objects.count():,} co-owner rows.")
        return
    started = time.perf_counter()
    call_command("load_reference", verbosity=0, stdout=StringIO())
    organizations = list(
        Organization.objects.exclude(kind=Organization.Kind.COMPETING_LOCATION)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    sectors = list(Sector.objects.filter(parent__isnull=False).order_by("pk").values_list("pk", flat=True))
    carriers = list(Carrier.objects.filter(is_active=True).order_by("pk").values_list("pk", flat=True))
    # Officers only: a head as co-owner would widen the head's scope, and with it bench/funnel.py's figures.
    officers = list(
        User.objects.filter(username__startswith="officer").order_by("pk").values_list("pk", flat=True)
    )
    rng = random.Random(SEED + 1)
    rows = []
    for lead_id, owner_id in Lead.objects.order_by("pk").values_list("pk", "owner_id"):
        if rng.random() >= CO_OWNED_SHARE:
            continue
        others = [pk for pk in officers if pk != owner_id]
        for user_id in rng.sample(others, 2 if rng.random() < 0.2 else 1):
            rows.append(through(lead_id=lead_id, user_id=user_id))
    with transaction.atomic(), connection.cursor() as cursor:
        through.objects.bulk_create(rows, batch_size=10_000)
        # One pass over the leads; hashtext() gives each lead a stable draw per column. A lead is created when
        # it is first registered (its first stage change) and last updated when it entered its stage.
        cursor.execute(
            """
            UPDATE projects_lead l SET
                created_at = r.occurred_at,
                updated_at = l.stage_entered_at,
                hk_organization_id = CASE WHEN abs(hashtext(l.id || ':o')) %% 100 < %(org_share)s
                    THEN (%(organizations)s::bigint[])[1 + abs(hashtext(l.id || ':oi')) %% %(org_count)s] END,
                sector_id = CASE WHEN abs(hashtext(l.id || ':s')) %% 100 < %(sector_share)s
                    THEN (%(sectors)s::bigint[])[1 + abs(hashtext(l.id || ':si')) %% %(sector_count)s] END,
                target_carrier_id = CASE WHEN abs(hashtext(l.id || ':c')) %% 100 < %(carrier_share)s
                    THEN (%(carriers)s::bigint[])[1 + abs(hashtext(l.id || ':ci')) %% %(carrier_count)s] END
            FROM projects_stagechange r
            WHERE r.lead_id = l.id AND r.from_stage = ''
            """,
            {
                "organizations": organizations,
                "org_count": len(organizations),
                "org_share": ORGANIZATION_SHARE,
                "sectors": sectors,
                "sector_count": len(sectors),
                "sector_share": SECTOR_SHARE,
                "carriers": carriers,
                "carrier_count": len(carriers),
                "carrier_share": CARRIER_SHARE,
            },
        )
        updated = cursor.rowcount
    print(
        f"Enriched {updated:,} leads ({len(organizations)} organizations, {len(sectors)} sub-sectors, "
        f"{len(carriers)} carriers) and added {len(rows):,} co-owner rows in {time.perf_counter() - started:.1f} s"
    )
    started = time.perf_counter()
    with connection.cursor() as cursor:
        # A lead table filled over six years holds its rows roughly in the order they were created; the seed
        # wrote them in random first-contact order, and the update left a dead copy of each. Rewriting the table
        # in creation order does both (the funnel reads it by hash joins and ids: its numbers do not move).
        cursor.execute("CLUSTER projects_lead USING lead_recent_idx")
        cursor.execute("VACUUM ANALYZE")
    print(f"CLUSTER projects_lead + VACUUM ANALYZE: {time.perf_counter() - started:.1f} s")


def measure(client, url: str) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def get():
        response = client.get(url)
        if response.status_code not in (200, 403):
            sys.exit(f"{url} answered {response.status_code}: {response.content[:300]!r}")
        return response

    for _ in range(WARMUPS):
        get()
    timings = []
    for _ in range(RUNS):
        started = time.perf_counter()
        get()
        timings.append((time.perf_counter() - started) * 1000)
    # Counted on one more request: recording the queries costs time the timed requests should not include.
    with CaptureQueriesContext(connection) as queries:
        response = get()
    captured = sorted(queries.captured_queries, key=lambda q: float(q["time"]), reverse=True)
    return {
        "status": response.status_code,
        "count": response.json().get("count") if response.status_code == 200 else None,
        "median_ms": statistics.median(timings),
        "p95_ms": statistics.quantiles(timings, n=20, method="inclusive")[18],
        "min_ms": min(timings),
        "queries": len(captured),
        "sql_ms": sum(float(q["time"]) for q in captured) * 1000,
        "slowest": captured[:3],
    }


def explain(sql: str) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
        return "\n".join(row[0] for row in cursor.fetchall())


def main() -> None:
    from bench.common import own_database

    own_database(example="bench_funnel", also_refused=frozenset({"bench_leads"}))
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from accounts.models import User
    from bench.funnel import seed_once
    from projects.models import Lead, StageChange
    from projects.selectors import leads_visible_to

    # The test Client's host; setup_test_environment() is skipped on purpose (it instruments template rendering).
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    settings.REPORT_CACHE_SECONDS = 0  # time the funnel's queries, not a cache hit
    call_command("migrate", verbosity=0)
    seed_once()
    enrich_once()

    users = {
        "officer": User.objects.get(username="officer0"),
        "head of a division": User.objects.get(username="head0"),
        "director": User.objects.get(username="director"),
    }
    officer = users["officer"]
    unit = officer.memberships.get().unit
    print(
        f"Data: {Lead.objects.count():,} leads, {StageChange.objects.count():,} stage changes, "
        f"{Lead.co_owners.through.objects.count():,} co-owner rows. The officer ({officer.username}, member of "
        f"{unit.name_en}) sees {leads_visible_to(officer).count():,} leads "
        f"({Lead.objects.filter(owning_unit=unit).count():,} owned by the division, "
        f"{Lead.objects.filter(co_owners=officer).exclude(owning_unit=unit).count():,} co-owned elsewhere); "
        f"{users['head of a division'].username} sees {leads_visible_to(users['head of a division']).count():,}; "
        f"the director all."
    )
    print(
        f"PostgreSQL {connection.pg_version // 10000}, {os.cpu_count()} cores, load average "
        f"{', '.join(f'{x:.2f}' for x in os.getloadavg())}; {WARMUPS} warm-ups then {RUNS} timed requests each; "
        f"REPORT_CACHE_SECONDS = {settings.REPORT_CACHE_SECONDS} (funnel not cached)."
    )
    # What set-up left in memory (migration graph, seeding objects) is no served process's: freezing it keeps the
    # collector from rescanning it during the timed requests.
    gc.collect()
    gc.freeze()
    first_page = f"/api/v1/leads/?page_size={PAGE_SIZE}"
    rows = []
    for label, user in users.items():
        client = Client()
        client.force_login(user)
        visible = client.get(first_page).json()["count"]
        last = max(1, math.ceil(visible / PAGE_SIZE))
        for name, url in (
            ("leads, page 1", first_page),
            (f"leads, last page ({last})", f"{first_page}&page={last}"),
            ("funnel (default: last 12 months)", "/api/v1/funnel/"),
        ):
            rows.append((label, name, url, measure(client, url)))

    header = (
        f"{'user':<19} {'request':<34} {'status':>6} {'median ms':>10} {'p95 ms':>8} {'min ms':>8} "
        f"{'queries':>8} {'SQL ms':>8} {'rows':>8}"
    )
    print()
    print(header)
    print("-" * len(header))
    for label, name, _url, r in rows:
        count = f"{r['count']:,}" if r["count"] is not None else ""
        print(
            f"{label:<19} {name:<34} {r['status']:>6} {r['median_ms']:>10.1f} {r['p95_ms']:>8.1f} "
            f"{r['min_ms']:>8.1f} {r['queries']:>8} {r['sql_ms']:>8.1f} {count:>8}"
        )
    print(
        "\n'SQL ms' is the database time of the counted request; 'rows' the list's count. Load average at the "
        f"end: {', '.join(f'{x:.2f}' for x in os.getloadavg())}."
    )
    for label, name, url, r in rows:
        print(f"\n{label} · {name} · {url}: slowest queries")
        for query in r["slowest"]:
            print(f"  {float(query['time']) * 1000:7.1f} ms  {query['sql'][:220]}")
        if r["median_ms"] > SLOW_MS and r["slowest"]:
            print(f"  median over {SLOW_MS:.0f} ms: EXPLAIN ANALYZE of the slowest query")
            print("    " + explain(r["slowest"][0]["sql"]).replace("\n", "\n    "))


if __name__ == "__main__":
    main()
