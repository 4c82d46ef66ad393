"""The lead admin at 100,000 leads and ~1,000,000 stage changes on PostgreSQL (issue 3, "Done when").

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_leads .venv/bin/python bench/leads_admin.py

Migrates, seeds once (`seed_demo --leads 100000` takes the bulk path; a database that already holds them is
reused), then times each admin page in-process with Django's test Client: the median of RUNS requests after
WARMUPS, the query count, the slowest query, and whether any query is an exact COUNT(*) over the whole lead table
(the issue allows only the planner's estimate there). It prints figures; it asserts nothing.
"""

from __future__ import annotations

import gc
import os
import re
import statistics
import sys
import time
from io import StringIO
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

LEADS = 100_000
SEED = 2026
WARMUPS = 2
RUNS = 15


def counts_every_lead(sql: str) -> bool:
    """An exact count with no WHERE over the lead table: `SELECT COUNT(*) … FROM "projects_lead"`, plain or
    around a DISTINCT subquery."""
    return bool(re.search(r"COUNT\(", sql)) and 'FROM "projects_lead"' in sql and " WHERE " not in sql


def seed_once() -> None:
    """What `seed_demo --leads 100000 [--reset]` does (the bulk path checks the lead invariants before it
    commits), minus its closing fingerprint: core.seeding's canonical dump reads related rows one query at a time
    and would take over an hour at this size."""
    import random

    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from accounts.models import User
    from core.seeding import DemoContext, demo_modules
    from projects.models import Lead, StageChange

    leads = Lead.objects.count()
    if leads >= LEADS:
        print(f"Reusing {leads:,} leads and {StageChange.objects.count():,} stage changes already seeded.")
        return
    started = time.perf_counter()
    call_command("load_reference", verbosity=0, stdout=StringIO())
    ctx = DemoContext(rng=random.Random(SEED), leads=LEADS, today=timezone.localdate())
    with transaction.atomic():
        if User.objects.exists():
            step = time.perf_counter()
            for module in reversed(demo_modules()):
                module.clear()
            print(f"  cleared the previous demo: {time.perf_counter() - step:.1f} s")
        for module in demo_modules():
            step = time.perf_counter()
            module.seed(ctx)
            print(f"  {module.__name__}: {time.perf_counter() - step:.1f} s")
    print(f"Seeded {LEADS:,} leads in {time.perf_counter() - started:.1f} s (load_reference to commit)")
    started = time.perf_counter()
    with connection.cursor() as cursor:
        # What autovacuum would do within minutes in production; the planner needs the statistics.
        cursor.execute("VACUUM ANALYZE")
    print(f"VACUUM ANALYZE: {time.perf_counter() - started:.1f} s")


def measure(client, url: str) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(WARMUPS):
        client.get(url)
    timings = []
    for _ in range(RUNS):
        started = time.perf_counter()
        client.get(url)
        timings.append(time.perf_counter() - started)
    # Queries are counted on one more run: recording them costs time the timed runs should not include.
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    slowest = max(queries.captured_queries, key=lambda q: float(q["time"]), default={"time": "0", "sql": ""})
    return {
        "status": response.status_code,
        "location": response.get("Location", ""),
        "median_ms": statistics.median(timings) * 1000,
        "queries": len(queries.captured_queries),
        "slowest_ms": float(slowest["time"]) * 1000,
        "slowest_sql": slowest["sql"],
        "whole_count": any(counts_every_lead(q["sql"]) for q in queries.captured_queries),
    }


def filter_query(client, stage: str, carrier_id: int) -> str:
    """The admin's parameter names depend on how its list filters are built; use the first it accepts."""
    candidates = [
        f"stage__exact={stage}&target_carrier__id__exact={carrier_id}",
        f"stage={stage}&target_carrier={carrier_id}",
        f"stage={stage}&target_carrier__id__exact={carrier_id}",
        f"stage__exact={stage}&target_carrier={carrier_id}",
    ]
    for query in candidates:
        response = client.get(f"/admin/projects/lead/?{query}")
        if response.status_code == 200:
            return query
    return candidates[0]  # none accepted: the table shows the redirect


def main() -> None:
    from bench.common import own_database

    own_database(example="bench_leads")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Count
    from django.test import Client

    from accounts.models import User
    from projects.models import Lead, StageChange
    from projects.selectors import leads_visible_to

    # The test Client's host; setup_test_environment() is skipped on purpose: it records every template's
    # context, which would be timed as if it were the server's work.
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    call_command("migrate", verbosity=0)
    seed_once()

    officer = User.objects.get(username="officer")
    director = User.objects.get(username="director")
    unit = officer.memberships.get().unit
    unit_leads = Lead.objects.filter(owning_unit=unit)
    print(
        f"Data: {Lead.objects.count():,} leads, {StageChange.objects.count():,} stage changes; the officer's unit "
        f"{unit.name_en or unit.name} owns {unit_leads.count():,}; the officer sees "
        f"{leads_visible_to(officer).count():,}, the director all."
    )
    busiest = (
        unit_leads.filter(stage="NEGOTIATING", target_carrier__isnull=False)
        .values("target_carrier")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .first()
    )
    sample = (
        unit_leads.filter(confidential=False)
        .annotate(changes=Count("stage_changes"))
        .order_by("-changes", "code")
        .first()
    )
    cases = [
        ("changelist page 1", "/admin/projects/lead/"),
        ("filter stage + carrier", None),
        ("search a code", f"/admin/projects/lead/?q={sample.code}"),
        ("search an org alias", "/admin/projects/lead/?q=港科大"),
        ("changelist page 100", "/admin/projects/lead/?p=100"),
        (f"change form ({sample.changes} changes)", f"/admin/projects/lead/{sample.pk}/change/"),
    ]
    print(
        f"PostgreSQL {connection.pg_version // 10000}, {os.cpu_count()} cores; median of {RUNS} runs after "
        f"{WARMUPS} warm-ups, in-process test Client (no network, no template instrumentation)."
    )
    # What the set-up left in memory (the migration graph, the seeding's objects) is no server's: a served
    # process has none of it. Freezing it keeps the collector from rescanning it during the timed requests.
    gc.collect()
    gc.freeze()
    rows = []
    for user in (officer, director):
        client = Client()
        client.force_login(user)
        filtered = "/admin/projects/lead/?" + filter_query(client, "NEGOTIATING", busiest["target_carrier"])
        for name, url in cases:
            result = measure(client, url or filtered)
            rows.append((user.username, name, url or filtered, result))
    header = f"{'user':<9} {'page':<28} {'status':>6} {'median ms':>10} {'queries':>8} {'slowest q ms':>13}  exact COUNT(*) of all leads"
    print()
    print(header)
    print("-" * len(header))
    for username, name, _url, r in rows:
        status = str(r["status"]) + ("→" if r["location"] else "")
        whole = "YES" if r["whole_count"] else "no"
        print(
            f"{username:<9} {name:<28} {status:>6} {r['median_ms']:>10.1f} {r['queries']:>8} "
            f"{r['slowest_ms']:>13.1f}  {whole}"
        )
    print()
    for username, name, url, r in rows:
        if r["location"]:
            print(f"{username} {name}: {url} redirected to {r['location']}")
    print("Slowest query per page (from its FROM on):")
    for username, name, _url, r in rows:
        sql = r["slowest_sql"]
        print(f"  {username} / {name} ({r['slowest_ms']:.1f} ms): …{sql[sql.find(' FROM ') :][:400]}")


if __name__ == "__main__":
    main()
