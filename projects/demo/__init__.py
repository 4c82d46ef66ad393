"""Demo leads on both tracks, named after real public HK institutions and real technology fields, with
realistic histories: moves with their evidence, activities, signings with agreements, registrations, leases,
capital in place, talents arriving, paused and lost leads. The people are fictional.

Every lead is first *planned* (its stages, dates and outcome, from one seed per lead), then written one of two
ways:
- up to BULK_THRESHOLD leads, through the services alone, all leads' steps merged in time order (so codes follow
  registration dates): the data is exactly what staff could have entered;
- above it (the 100,000-lead benchmark), with bulk_create in batches: the same kinds of rows the services write,
  checked afterwards by projects.invariants.

`planning` makes the plans, `service_writes` and `bulk_writes` are the two ways of writing them; this module
holds the entry points seed_demo calls (seed, seed_bulk, clear) and the two thresholds between the paths.
"""

from __future__ import annotations

import time as clock

from django.core.files.storage import default_storage
from django.db import connection

from core.seeding import DemoContext
from projects.demo.bulk_writes import write_bulk
from projects.demo.planning import BULK, DEMO, load_catalog, plan_all
from projects.demo.service_writes import write_with_services
from projects.invariants import lead_invariant_violations
from projects.models import (
    Activity,
    AftercareTouchpoint,
    CapitalInjection,
    CoordinationNeed,
    Document,
    HandOver,
    Lead,
    LeadCodeSequence,
    LeadContact,
    Milestone,
    Signing,
    StageChange,
)

# Both live here and are read when seeding runs, the chunk handed down as an argument, never imported by the
# submodules: so a test that lowers them with monkeypatch.setattr on this module changes what runs.

# Above this many leads the service path would take hours; the bulk path writes the same kinds of rows.
BULK_THRESHOLD = 2000
BULK_CHUNK = 2500  # leads per round of inserts: about 25,000 stage changes


def seed(ctx: DemoContext) -> None:
    if ctx.leads > BULK_THRESHOLD:
        seed_bulk(ctx)
        return
    catalog = load_catalog(ctx, bulk=False)
    write_with_services(plan_all(ctx, catalog, DEMO), catalog)


def seed_bulk(ctx: DemoContext) -> float:
    """Write ctx.leads leads with bulk_create; return the seconds it took (also logged and printed)."""
    started = clock.perf_counter()
    catalog = load_catalog(ctx, bulk=True)
    plans = plan_all(ctx, catalog, BULK)
    counts = write_bulk(plans, catalog, chunk=BULK_CHUNK)
    seconds = clock.perf_counter() - started
    summary = ", ".join(f"{count} {name}" for name, count in counts.items())
    print(f"Bulk demo: {summary} in {seconds:.1f} s ({connection.vendor})")
    # The rows bypassed the services: check them before seed_demo commits.
    checked = clock.perf_counter()
    problems = lead_invariant_violations()
    print(f"Invariant checker: {len(problems)} violations, {clock.perf_counter() - checked:.1f} s")
    if problems:
        raise RuntimeError("The bulk demo broke lead invariants: " + "; ".join(problems[:5]))
    return seconds


def clear() -> None:
    """Remove every lead and what hangs on it. A demo reset is not a business deletion: one DELETE per table,
    without a history row per deleted row (which took half an hour at 100,000 leads)."""
    # Stored files go with their rows; bulk documents share a few files, so delete each name once.
    for name in Document.objects.order_by().values_list("file", flat=True).distinct():
        default_storage.delete(name)
    tables = [
        Document,  # points at stage changes, signings, capital injections and milestones
        AftercareTouchpoint,  # points at activities
        Milestone,  # points at stage changes
        CapitalInjection,
        Signing,
        Activity.participants.through,
        Activity.contacts.through,
        Activity,
        LeadContact,
        CoordinationNeed,
        HandOver,
        StageChange,
        Lead.co_owners.through,
    ]
    # Rows on leads of models added after this list: Django's delete orders their cascades.
    for model in sorted({r.related_model for r in Lead._meta.related_objects} - {Lead, *tables}, key=str):
        model.objects.all().delete()
    with connection.cursor() as cursor:
        for model in [*tables, Lead, LeadCodeSequence]:
            table = connection.ops.quote_name(model._meta.db_table)  # our own table names, not input
            cursor.execute(f"DELETE FROM {table}")  # noqa: S608
