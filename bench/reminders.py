"""100,000 milestones due at once: the reminder sweep and delivery on PostgreSQL + Redis (issue 5, "Done when").

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_reminders .venv/bin/python bench/reminders.py

Uses a database of your own (created and migrated here; refuses the project's shared ones) and starts its own
redis-server on a free port. It writes 100,000 open milestones due today on 100 leads of 20 officers, keeps only
the "due today" rule active, then:
1. runs the sweep in this process — time, rows written, and its peak Python memory (tracemalloc) and resident
   set growth: the sweep streams candidates in chunks, so memory stays flat however many are due;
2. runs a second sweep — time with everything already written (what every later sweep costs);
3. claims every row and enqueues the delivery batches, as the periodic task does;
4. starts two Celery worker processes (prefork, one child each) and measures how long until every reminder is
   sent — in-app notification and email (Django's dummy backend: the SMTP server's speed is not ours to measure).
It prints figures; it asserts nothing.
"""

from __future__ import annotations

import os
import resource
import shutil
import socket
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

MILESTONES = 100_000
LEADS = 100
OFFICERS = 20
WORKERS = 2


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def create_database(name: str) -> None:
    url = urlparse(os.environ["DATABASE_URL"])
    subprocess.run(
        [
            "psql",
            "-h",
            url.hostname or "127.0.0.1",
            "-p",
            str(url.port or 5432),
            "-U",
            url.username or "postgres",
            "-d",
            "postgres",
            "-c",
            f'DROP DATABASE IF EXISTS "{name}"',
            "-c",
            f'CREATE DATABASE "{name}"',
        ],
        check=True,
        capture_output=True,
    )


def main() -> None:
    from bench.common import own_database

    name = own_database(example="bench_reminders", also_refused=frozenset({"bench_leads"}))
    redis_port = free_port()
    redis = subprocess.Popen(
        [
            shutil.which("redis-server") or "redis-server",
            "--port",
            str(redis_port),
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        stdout=subprocess.DEVNULL,
    )
    redis_url = f"redis://127.0.0.1:{redis_port}/0"
    os.environ.update(
        REDIS_URL=redis_url,
        CELERY_BROKER_URL=redis_url,
        EMAIL_URL="dummymail://",
        REMINDER_DISPATCH_LIMIT=str(MILESTONES),
        REMINDER_BATCH_SIZE="100",
    )
    workers: list[subprocess.Popen] = []
    try:
        create_database(name)
        import django

        django.setup()
        run(workers)
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
        redis.terminate()
        redis.wait(timeout=10)


def seed() -> None:
    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone

    from accounts.models import UnitMembership, User
    from accounts.roles import Role
    from projects.models import LeadType, Milestone, Pass, SourceChannel
    from projects.services.leads import lead_create
    from reminders.models import ReminderRule
    from tests.factories import join, make_organization, make_unit, make_user

    call_command("migrate", verbosity=0)
    call_command("load_reference", verbosity=0)
    ReminderRule.objects.exclude(code="milestone-due-today").update(is_active=False)
    today = timezone.localdate()
    with transaction.atomic():
        unit = make_unit("香港合作处")
        officers = [
            join(make_user(Role.OFFICER, username=f"bench{i:02d}", email=f"bench{i:02d}@example.org"), unit)
            for i in range(OFFICERS)
        ]
        join(make_user(Role.MANAGER, username="benchhead"), unit, UnitMembership.Role.HEAD)
        organization = make_organization()
        leads = [
            lead_create(
                actor=officers[i % OFFICERS],
                owner=officers[i % OFFICERS],
                owning_unit=unit,
                name=f"基准线索{i:03d}",
                lead_type=LeadType.UNIVERSITY_TEAM,
                source_channel=SourceChannel.EVENT,
                hk_organization=organization,
            )
            for i in range(LEADS)
        ]
        resources = Pass.objects.get(code="resources")
        per_lead = MILESTONES // LEADS
        Milestone.objects.bulk_create(
            (
                Milestone(lead=lead, lead_pass=resources, title=f"基准事项{n:04d}", due_on=today)
                for lead in leads
                for n in range(per_lead)
            ),
            batch_size=5000,
        )
    assert User.objects.count() >= OFFICERS


def run(workers: list[subprocess.Popen]) -> None:
    from django.db import connection, transaction

    from reminders.models import Notification, Reminder
    from reminders.services import reminders_claim, reminders_sweep
    from reminders.tasks import deliver

    started = time.perf_counter()
    seed()
    print(
        f"Seeded {MILESTONES:,} milestones due today on {LEADS} leads in {time.perf_counter() - started:.1f} s"
    )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")

    started = time.perf_counter()
    written = reminders_sweep()
    first_sweep = time.perf_counter() - started
    # Memory on a second, identical first sweep (tracemalloc slows Python down, so it is not on while timing).
    Reminder.objects.all().delete()
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()
    reminders_sweep()
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before

    started = time.perf_counter()
    again = reminders_sweep()
    second_sweep = time.perf_counter() - started

    started = time.perf_counter()
    with transaction.atomic():
        claim, ids = reminders_claim()
        for start in range(0, len(ids), 100):
            chunk = ids[start : start + 100]
            transaction.on_commit(lambda chunk=chunk: deliver.delay(chunk, claim))
    claim_time = time.perf_counter() - started

    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"}
    started = time.perf_counter()
    for n in range(WORKERS):
        workers.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "config",
                    "worker",
                    "--pool=prefork",
                    "--concurrency=1",
                    "--without-gossip",
                    "--without-mingle",
                    "--loglevel=WARNING",
                    f"--hostname=bench{n}@%h",
                ],
                cwd=ROOT,
                env=env,
            )
        )
    total = Reminder.objects.count()
    sent = 0
    while sent < total and time.perf_counter() - started < 3600:
        time.sleep(2)
        sent = Reminder.objects.filter(status=Reminder.Status.SENT).count()
    delivery = time.perf_counter() - started
    notifications = Notification.objects.count()

    print(f"PostgreSQL + Redis, {WORKERS} worker processes (prefork, 1 child each), {os.cpu_count()} cores")
    print(f"first sweep:  {first_sweep:8.1f} s  rows offered {written:,}, rows in the table {total:,}")
    print(
        f"  peak Python memory during the sweep {peak / 1e6:.1f} MB (tracemalloc), resident set grew {rss_growth / 1024:.1f} MB"
    )
    print(f"second sweep: {second_sweep:8.2f} s  rows offered {again:,} (everything already written)")
    print(f"claim + enqueue {len(ids):,} rows in {len(ids) // 100 + 1} messages: {claim_time:.1f} s")
    print(
        f"delivery: {sent:,} sent, {notifications:,} in-app notifications in {delivery:.1f} s "
        f"({sent / delivery:,.0f} reminders/s, worker start-up included)"
    )
    print(f"duplicates: notifications − reminders = {notifications - total}")


if __name__ == "__main__":
    main()
