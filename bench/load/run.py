"""50 staff on gunicorn + PostgreSQL with 100,000 leads, then PostgreSQL restarted under them (issue 11, item 5).

    .venv/bin/pip install -r bench/requirements.txt          # locust, once
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_funnel REDIS_URL=redis://127.0.0.1:6379/14 \
        .venv/bin/python bench/load/run.py [--users 50] [--run-time 2m] [--no-fault]

The database is bench/funnel.py's, enriched by bench/api.py (run both first). Set-up, in this process through
Django: gives `director`, `head0` and `officer0` a known password, clears their lockout records and earlier
benchmark tokens, adds once LOAD_CONTACTS contacts (a phone and an affiliation each: the seed has one contact,
which would make the contact list an empty measure), and draws the lead ids each account may open.

Then it starts gunicorn (`config.wsgi`, `--workers` sync workers, 3 by default as the production image's
WEB_CONCURRENCY, pinned to core 0 with taskset) in the development
environment with production-like values (DEBUG off, a 64-character secret key, ALLOWED_HOSTS, Redis as cache and
broker) and two benchmark-only rates: API_AUTH_RATE=1000/min (50 users sign in from one address within seconds;
the default 10/min would answer most of them 429) and API_PERSONAL_DATA_RATE=100000/min (the contact list's
per-user throttle, 120/min by default, would refuse 30 officers sharing one account). Locust, pinned to core 1,
runs the users of bench/load/locustfile.py headless.

1. Load: `--users` staff, `--spawn-rate` per second, for `--run-time`, 2–5 s think time. Printed per endpoint:
   requests, failures, requests/s, median and p95 over the whole run (locust's CSV, whose times above 100 ms
   are rounded to 10 ms), then the same exactly from the request log once every user has signed in (the first
   seconds are a queue of 100 password checks of ~0.35 s each on one core), and the time inside gunicorn's
   workers from its access log (the rest of the clients' time is the wait for a free worker).
2. Fault (skipped with --no-fault): the same load again; FAULT_AT seconds in, the machine's PostgreSQL cluster
   is restarted (`pg_ctlcluster --skip-systemctl-redirect 15 main restart`, fast shutdown) while pg_isready and
   /healthz are polled. Printed: when PostgreSQL was down, what clients got meanwhile (status codes, how fast),
   per second around the outage, whether requests recovered, whether gunicorn's processes are the same ones, and
   the exception each error record in gunicorn's output ended with.
   gunicorn is never restarted between or after the phases.
3. Reminders under load (skipped with --no-fault): tests/reminders/test_faults.py (`-m realworker`: real Celery
   worker and beat processes, their own redis-server, a worker killed mid-batch, Redis flushed and restarted,
   the broker down, ...) once on its own, then again while the same 50 users load gunicorn. Printed: each run's
   outcome and the slowest tests.

The division heads' stage moves (see locustfile.py) are checked after each phase against the database: every
move the client saw succeed is one stage change of that lead to that stage, stored under its Idempotency-Key;
the stage changes the phase wrote are exactly the keys that succeeded (none without its key, no key twice);
each lead touched is at the stage of its last change and has one history row per change.

Everything a run wrote (locust CSVs, the per-request logs, gunicorn's output, the drawn ids) goes to
var/bench/load-<UTC time>/. It asserts nothing; it refuses the project's shared databases.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import random
import re
import secrets
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

USERNAMES = ("director", "head0", "officer0")
MOVER = "head0"
MOVABLE_LEADS = 300  # 15 division heads × locustfile.LEADS_PER_MOVER
PASSWORD = "bench-load-Suzhou-HK-2026"  # noqa: S105 - benchmark accounts of a benchmark database
LEAD_IDS_PER_USER = 500
LOAD_CONTACTS = 10_000
CONTACT_PREFIX = "负载联系人"
SEED = 2026
PG_CLUSTER = ("15", "main")
# Seconds into the fault run: the 100 sign-ins of the start (~0.35 s of one core each) are over by then.
FAULT_AT = 60.0
FAULT_RUN_TIME = "120s"
LOGIN_NAMES = {"POST /api/v1/auth/token/", "GET /admin/login/", "POST /admin/login/"}


def setup(out: Path) -> dict:
    """Passwords, lockouts, tokens, contacts and lead ids; returns facts about the data for the report."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    from accounts.models import ApiToken, User
    from directory.models import Organization
    from projects.models import Lead
    from projects.selectors import leads_visible_to
    from talent.models import Affiliation, Contact, ContactChannel

    call_command("migrate", verbosity=0)
    if Lead.objects.count() < 100_000 or User.objects.filter(username__in=USERNAMES).count() < len(USERNAMES):
        sys.exit("Seed the database first: bench/funnel.py, then bench/api.py (see bench/README.md).")
    from axes.models import AccessAttempt

    users = {user.username: user for user in User.objects.filter(username__in=USERNAMES)}
    for user in users.values():
        user.set_password(PASSWORD)
        user.save(update_fields=["password"])
    AccessAttempt.objects.filter(username__in=USERNAMES).delete()
    ApiToken.objects.filter(user__in=users.values(), label="bench-load").delete()

    if Contact.objects.filter(name__startswith=CONTACT_PREFIX).count() < LOAD_CONTACTS:
        rng = random.Random(SEED)
        organizations = list(
            Organization.objects.exclude(kind=Organization.Kind.COMPETING_LOCATION).values_list(
                "pk", flat=True
            )
        )
        with transaction.atomic():
            Contact.objects.filter(name__startswith=CONTACT_PREFIX).delete()
            contacts = Contact.objects.bulk_create(
                [
                    Contact(name=f"{CONTACT_PREFIX}{n:05d}", organization_id=rng.choice(organizations))
                    for n in range(LOAD_CONTACTS)
                ],
                batch_size=5_000,
            )
            ContactChannel.objects.bulk_create(
                [
                    ContactChannel(
                        contact=contact,
                        kind=ContactChannel.Kind.PHONE,
                        value=f"+852{rng.choice('569')}{rng.randrange(10**7):07d}",
                        label="mobile",
                    )
                    for contact in contacts
                ],
                batch_size=5_000,
            )
            Affiliation.objects.bulk_create(
                [Affiliation(contact=c, organization_id=c.organization_id) for c in contacts],
                batch_size=5_000,
            )
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE talent_contact, talent_contactchannel, talent_affiliation")
        print(f"Added {LOAD_CONTACTS:,} contacts (a phone and an affiliation each).")

    rng = random.Random(SEED)
    lead_ids, visible = {}, {}
    for name, user in users.items():
        ids = list(leads_visible_to(user).order_by().values_list("pk", flat=True))
        visible[name] = len(ids)
        lead_ids[name] = rng.sample(ids, min(LEAD_IDS_PER_USER, len(ids)))
    (out / "lead-ids.json").write_text(json.dumps(lead_ids), encoding="utf-8")
    facts = {
        "leads": Lead.objects.count(),
        "contacts": Contact.objects.count(),
        "visible": visible,
        "pg_version": connection.pg_version // 10000,
    }
    connection.close()
    return facts


def write_movable(out: Path) -> None:
    """Active leads of the mover's division at "lead" or "qualified", with their stage now (each phase moves
    them on from where the last one left them)."""
    from django.db import connection

    from accounts.models import User
    from projects.selectors import leads_visible_to

    connection.close()  # after a restart of PostgreSQL the old connection is gone
    head = User.objects.get(username=MOVER)
    rows = list(
        leads_visible_to(head)
        .filter(status="active", stage__in=["LEAD", "QUALIFIED"])
        .order_by("pk")
        .values_list("pk", "stage")[:MOVABLE_LEADS]
    )
    (out / "movable.json").write_text(json.dumps(rows), encoding="utf-8")
    connection.close()


def check_writes(out: Path, phase: str, since: float) -> None:
    """Every move of the phase's write log against the database (see the module's docstring)."""
    from django.db import connection
    from django.db.models import Max

    from accounts.models import User
    from projects.models import Lead, StageChange
    from talent.models import Submission

    connection.close()
    path = out / f"{phase}-writes.jsonl"
    moves = (
        [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []
    )
    head = User.objects.get(username=MOVER)
    started = dt.datetime.fromtimestamp(since, dt.UTC)
    ok = [m for m in moves if m["statuses"] and m["statuses"][-1] == 201]
    retried = [m for m in moves if len(m["statuses"]) > 1]
    gave_up = [m for m in moves if not m["statuses"] or m["statuses"][-1] != 201]
    print(
        f"\nstage moves ({phase}): {len(moves)} sent under their own Idempotency-Key; {len(ok)} ended 201 "
        f"({sum(m['replayed'] for m in ok)} of them replayed a first answer the client had not received); "
        f"{len(retried)} retried: "
        + (", ".join(f"{m['statuses']}" for m in retried[:12]) or "none")
        + f"; {len(gave_up)} did not end 201: "
        + (", ".join(f"{m['statuses']}" for m in gave_up[:12]) or "none")
    )
    problems: list[str] = []
    scopes = {f"user:{head.pk} POST /api/v1/leads/{m['lead']}/transitions/": m for m in moves}
    stored = {
        (row.scope, row.key): row
        for row in Submission.objects.filter(scope__in=scopes, created_at__gte=started)
    }
    changes = {
        change.pk: change for change in StageChange.objects.filter(actor=head, recorded_at__gte=started)
    }
    for m in ok:
        row = stored.get((f"user:{head.pk} POST /api/v1/leads/{m['lead']}/transitions/", m["key"]))
        change = changes.get(m["id"])
        if row is None or row.status_code != 201 or row.response.get("id") != m["id"]:
            problems.append(f"move {m['key']}: its key is not stored with its answer")
        if change is None or change.lead_id != m["lead"] or change.to_stage != m["to_stage"]:
            problems.append(
                f"move {m['key']}: no stage change {m['id']} of lead {m['lead']} to {m['to_stage']}"
            )
    keyed = {row.response.get("id") for row in stored.values() if row.status_code == 201}
    unkeyed = sorted(set(changes) - keyed)
    if unkeyed:
        problems.append(f"stage changes written without their key: {unkeyed[:10]}")
    if len(keyed) != len(stored):
        problems.append(f"{len(stored) - len(keyed)} keys stored without a 201 answer")
    touched = {m["lead"] for m in moves}
    last = dict(
        StageChange.objects.filter(lead__in=touched)
        .values("lead")
        .annotate(last=Max("pk"))
        .values_list("lead", "last")
    )
    last_stage = dict(StageChange.objects.filter(pk__in=last.values()).values_list("lead", "to_stage"))
    for lead, stage in Lead.objects.filter(pk__in=touched).values_list("pk", "stage"):
        if last_stage.get(lead) != stage:
            problems.append(f"lead {lead} is at {stage}, its last stage change says {last_stage.get(lead)}")
    history = Lead.history.filter(id__in=touched, history_date__gte=started, history_type="~").count()
    if history != len(changes):
        problems.append(f"{history} history rows of the leads for {len(changes)} stage changes")
    print(
        f"in the database: {len(changes)} stage changes by {MOVER} since the phase began, {len(stored)} keys "
        f"stored, {history} lead history rows; {len(touched)} leads touched. "
        + ("Consistent: every check holds." if not problems else f"{len(problems)} PROBLEMS:")
    )
    for problem in problems[:20]:
        print(f"  {problem}")
    connection.close()


def server_env() -> dict[str, str]:
    redis = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/14"
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_ENV": "development",  # production would ask for TLS, OTP for administrators and more
            "DEBUG": "false",
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECRET_KEY": secrets.token_urlsafe(48),  # 64 characters
            "REDIS_URL": redis,
            "CELERY_BROKER_URL": redis,
            "API_AUTH_RATE": "1000/min",
            "API_PERSONAL_DATA_RATE": "100000/min",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def get(url: str, timeout: float = 5.0) -> tuple[int, float]:
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - our own local server
            status = response.status
    except urllib.error.HTTPError as error:
        status = error.code
    except OSError:
        status = 0
    return status, (time.perf_counter() - started) * 1000


def start_gunicorn(out: Path, port: int, workers: int) -> subprocess.Popen:
    log = open(out / "gunicorn.log", "wb")  # noqa: SIM115 - open for the server's life
    command = [
        "taskset", "-c", "0", str(ROOT / ".venv/bin/gunicorn"), "config.wsgi",
        "-w", str(workers), "-b", f"127.0.0.1:{port}",
        "--access-logfile", str(out / "access.log"),
        "--access-logformat", '%(t)s "%(r)s" %(s)s %(M)sms',
    ]  # fmt: skip
    server = subprocess.Popen(command, cwd=ROOT, env=server_env(), stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"gunicorn exited with {server.returncode}; see {out / 'gunicorn.log'}")
        if get(f"http://127.0.0.1:{port}/healthz")[0] == 200:
            return server
        time.sleep(0.5)
    server.terminate()
    sys.exit("gunicorn did not answer /healthz with 200 within 60 s")


def processes(server: subprocess.Popen) -> list[int]:
    import psutil

    return sorted(child.pid for child in psutil.Process(server.pid).children())


def cpu_seconds(pids: list[int]) -> float:
    import psutil

    total = 0.0
    for pid in pids:
        times = psutil.Process(pid).cpu_times()
        total += times.user + times.system
    return total


# The division heads' stage moves per think cycle (locustfile.py): about one move every 4 s across the 15 of
# them in the load and reminder phases — every move also starts a new generation of the report cache, which the
# dashboard and the funnel then recompute — and about one a second in the fault phase, so that moves are in
# flight when PostgreSQL goes away.
MOVE_WEIGHTS = {"load": 1, "fault": 6, "reminders": 1}


def run_locust(out: Path, phase: str, args, run_time: str) -> subprocess.Popen:
    command = [
        "taskset", "-c", "1", str(ROOT / ".venv/bin/locust"),
        "-f", str(Path(__file__).with_name("locustfile.py")),
        "--headless", "--host", f"http://127.0.0.1:{args.port}",
        "--users", str(args.users), "--spawn-rate", str(args.spawn_rate), "--run-time", run_time,
        "--csv", str(out / phase), "--only-summary", "--loglevel", "WARNING", "--exit-code-on-error", "0",
    ]  # fmt: skip
    env = dict(os.environ)
    env.update(
        {
            "LOAD_PASSWORD": PASSWORD,
            "LOAD_IDS_FILE": str(out / "lead-ids.json"),
            "LOAD_REQUEST_LOG": str(out / f"{phase}-requests.csv"),
            "LOAD_MOVES_FILE": str(out / "movable.json"),
            "LOAD_WRITE_LOG": str(out / f"{phase}-writes.jsonl"),
            "LOAD_MOVE_WEIGHT": str(
                args.move_weight if args.move_weight is not None else MOVE_WEIGHTS[phase]
            ),
        }
    )
    return subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=open(out / f"{phase}-locust.txt", "wb"), stderr=subprocess.STDOUT
    )


def read_log(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as handle:
        return [
            {
                **row,
                "start": float(row["start"]),
                "end": float(row["end"]),
                "status": int(row["status"]),
                "ms": float(row["ms"]),
            }
            for row in csv.DictReader(handle)
        ]


def p95(values: list[float]) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=20, method="inclusive")[18]


def print_locust_table(path: Path) -> None:
    print(
        f"\n{'endpoint (locust CSV, whole run)':<40} {'requests':>8} {'failed':>7} {'req/s':>7} "
        f"{'median ms':>10} {'p95 ms':>8} {'max ms':>8}"
    )
    with path.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            name = row["Name"] if row["Type"] != "" else "Aggregated"
            print(
                f"{name:<40} {row['Request Count']:>8} {row['Failure Count']:>7} "
                f"{float(row['Requests/s']):>7.2f} {row['50%']:>10} {row['95%']:>8} "
                f"{float(row['Max Response Time']):>8.0f}"
            )


def print_log_table(rows: list[dict], title: str) -> None:
    if not rows:
        print(f"\n{title}: no requests")
        return
    span = max(r["end"] for r in rows) - min(r["start"] for r in rows)
    by_name = defaultdict(list)
    for row in rows:
        by_name[row["name"]].append(row)
    print(f"\n{title} ({span:.0f} s)")
    print(
        f"{'endpoint':<40} {'requests':>8} {'failed':>7} {'req/s':>7} {'median ms':>10} {'p95 ms':>8} "
        f"{'max ms':>8}"
    )
    for name, group in [*sorted(by_name.items()), ("all", rows)]:
        times = [r["ms"] for r in group]
        failed = sum(1 for r in group if r["status"] not in (200, 201, 302) or r["error"])
        print(
            f"{name:<40} {len(group):>8} {failed:>7} {len(group) / span:>7.2f} "
            f"{statistics.median(times):>10.1f} {p95(times):>8.1f} {max(times):>8.1f}"
        )


ACCESS_LINE = re.compile(r'\[([^]]+)\] "(\w+) (\S+) HTTP/[\d.]+" (\d+) (\d+)ms')


def print_server_times(access_log: Path, since: float, until: float, workers: int) -> None:
    """Time inside gunicorn's workers per endpoint (the access log's request time; the log's clock has whole
    seconds): the clients' time less the wait for a free worker and the network."""
    times = defaultdict(list)
    for line in access_log.read_text(encoding="utf-8").splitlines():
        found = ACCESS_LINE.search(line)
        if not found:
            continue
        at = dt.datetime.strptime(found.group(1), "%d/%b/%Y:%H:%M:%S %z").timestamp()
        if since <= at <= until and found.group(3) != "/healthz":
            path = re.sub(r"/\d+/", "/{id}/", found.group(3))
            times[f"{found.group(2)} {path}"].append(float(found.group(5)))
    every = [ms for group in times.values() for ms in group]
    if not every:
        return
    print(
        f"\ninside gunicorn over the same window (access log), ms: {'requests':>8} {'median':>7} {'p95':>6}"
    )
    for name, group in [*sorted(times.items()), ("all", every)]:
        print(f"  {name:<55} {len(group):>8} {statistics.median(group):>7.0f} {p95(group):>6.0f}")
    print(
        f"  busy workers on average: {sum(every) / 1000 / (until - since):.2f} of {workers} "
        "(the rest of the clients' time is the wait for one)"
    )


def load_phase(out: Path, args, server: subprocess.Popen) -> None:
    pids = [server.pid, *processes(server)]
    write_movable(out)
    cpu_before, load_before = cpu_seconds(pids), os.getloadavg()
    since = time.time()
    started = time.monotonic()
    locust = run_locust(out, "load", args, args.run_time)
    locust.wait()
    elapsed = time.monotonic() - started
    cpu = cpu_seconds(pids) - cpu_before
    print(
        f"\n== 1. Load: {args.users} users, spawn {args.spawn_rate}/s, {args.run_time}, think 2-5 s ==\n"
        f"gunicorn's CPU: {cpu:.1f} s in {elapsed:.0f} s ({cpu / elapsed:.0%} of one core); load average "
        f"{load_before[0]:.2f} before, {os.getloadavg()[0]:.2f} after."
    )
    print_locust_table(out / "load_stats.csv")
    rows = read_log(out / "load-requests.csv")
    logins = [r for r in rows if r["name"] in LOGIN_NAMES]
    settled = max((r["end"] for r in logins), default=min(r["start"] for r in rows))
    first = min(r["start"] for r in rows)
    print_log_table(
        [r for r in rows if r["start"] >= settled],
        f"after every user signed in ({settled - first:.1f} s after the first request), exact, from the log",
    )
    print_server_times(out / "access.log", settled + 1, max(r["end"] for r in rows), args.workers)
    failures = Counter(
        (r["name"], r["status"], r["error"]) for r in rows if r["status"] not in (200, 201, 302)
    )
    for (name, status, error), count in failures.most_common():
        print(f"  failed: {count} × {name} → {status} {error}")
    check_writes(out, "load", since)


def logged_errors(log: str) -> list[tuple[str, int]]:
    """Django's "Internal Server Error: <path>" records with the last exception line of their traceback (the
    earlier ones are the chain that led to it), counted."""
    found: Counter = Counter()
    path, last = "", ""
    for line in [*log.splitlines(), "2026-01-01 00:00:00,000 END"]:
        if line[:4].isdigit() or line.startswith("["):  # a new log record ends the traceback
            if path:
                kind = path.split(":", 1)[0]  # "Internal Server Error", "Service Unavailable"
                found[f"{kind} → {last[:130] or '(no exception)'}"] += 1
            path, last = "", ""
            if " ERROR django.request " in line:
                path = line.split(" ERROR django.request ", 1)[1]
        elif path and re.match(r"^[\w.]+(Error|Exception|Unavailable)\b", line):
            last = line.strip()
    return sorted(found.items(), key=lambda item: -item[1])


class Poller(threading.Thread):
    """Calls probe() every `every` seconds until stopped, keeping (time, result)."""

    def __init__(self, probe, every: float) -> None:
        super().__init__(daemon=True)
        self.probe, self.every = probe, every
        self.samples: list[tuple[float, Any]] = []
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            self.samples.append((time.time(), self.probe()))
            self.stopped.wait(self.every)


def pg_isready() -> int:
    return subprocess.run(
        ["pg_isready", "-h", "127.0.0.1", "-p", "5432", "-t", "1"], capture_output=True, check=False
    ).returncode


def pg_ctlcluster(action: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", *PG_CLUSTER, action],
        capture_output=True,
        text=True,
        check=False,
    )


def fault_phase(out: Path, args, server: subprocess.Popen) -> None:
    workers_before = processes(server)
    write_movable(out)
    since = time.time()
    locust = run_locust(out, "fault", args, FAULT_RUN_TIME)
    pg = Poller(pg_isready, 0.1)
    health = Poller(lambda: get(f"http://127.0.0.1:{args.port}/healthz", timeout=5), 0.5)
    time.sleep(FAULT_AT - 5)
    pg.start()
    health.start()
    time.sleep(5)
    restart_at = time.time()
    if args.outage:
        # A longer outage (a fail-over, a host rebooting): stopped, `--outage` seconds, started again.
        restart = pg_ctlcluster("stop")
        time.sleep(args.outage)
        started = pg_ctlcluster("start")
        restart.returncode = restart.returncode or started.returncode
    else:
        restart = pg_ctlcluster("restart")
    restart_done = time.time()
    deadline = time.monotonic() + 60
    while pg_isready() != 0 and time.monotonic() < deadline:
        time.sleep(0.2)
    if pg_isready() != 0:
        print("PostgreSQL is not accepting connections 60 s after the restart: starting the cluster")
        subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", *PG_CLUSTER, "start"], check=False)
    time.sleep(15)
    health.stopped.set()
    locust.wait()
    pg.stopped.set()
    workers_after = processes(server)

    down = next((t for t, rc in pg.samples if t >= restart_at and rc != 0), None)
    up = next((t for t, rc in pg.samples if down and t > down and rc == 0), None)
    print(
        f"\n== 2. Fault: the same load for {FAULT_RUN_TIME}; PostgreSQL restarted {FAULT_AT:.0f} s in ==\n"
        + (
            f"`pg_ctlcluster {' '.join(PG_CLUSTER)} stop`, {args.outage:g} s, `start`: exit {restart.returncode}, "
            if args.outage
            else f"`pg_ctlcluster {' '.join(PG_CLUSTER)} restart`: exit {restart.returncode}, "
        )
        + f"{restart_done - restart_at:.1f} s {restart.stderr.strip()[:200]}"
    )
    if down is None or up is None:
        print("pg_isready never saw PostgreSQL down (the restart was faster than 0.1 s polling?)")
        down, up = restart_at, restart_done
    print(
        f"pg_isready: not accepting from +{down - restart_at:.2f} s to +{up - restart_at:.2f} s after the "
        f"command ({up - down:.2f} s); now {'accepting' if pg_isready() == 0 else 'NOT ACCEPTING'}. gunicorn "
        f"master {server.pid} {'alive' if server.poll() is None else 'EXITED'}, workers "
        f"{workers_before} before, {workers_after} after."
    )

    print_locust_table(out / "fault_stats.csv")
    rows = read_log(out / "fault-requests.csv")
    windows = [
        ("before the restart", lambda r: r["end"] < restart_at),
        ("in flight when the restart began", lambda r: r["start"] < restart_at <= r["end"]),
        ("started while PostgreSQL was down", lambda r: restart_at <= r["start"] < up),
        ("started in the 5 s after it was back", lambda r: up <= r["start"] < up + 5),
        ("started later", lambda r: r["start"] >= up + 5),
    ]
    print(f"\n{'requests':<40} {'count':>6}  status codes: count (median ms / max ms)")
    for title, belongs in windows:
        group = [r for r in rows if belongs(r)]
        codes = defaultdict(list)
        for r in group:
            codes[f"{r['status']}{' ' + r['error'] if r['error'] else ''}"].append(r["ms"])
        described = ", ".join(
            f"{code}: {len(times)} ({statistics.median(times):.0f} / {max(times):.0f})"
            for code, times in sorted(codes.items())
        )
        print(f"{title:<40} {len(group):>6}  {described}")

    print("\nper second, from the restart command (requests by their start): status → count")
    for second in range(-2, int(up - restart_at) + 6):
        group = [r for r in rows if second <= r["start"] - restart_at < second + 1]
        statuses = Counter(r["status"] for r in group)
        slowest = max((r["ms"] for r in group), default=0)
        print(f"  {second:+3d} s  {dict(sorted(statuses.items()))}  slowest {slowest:.0f} ms")

    late_logins = sum(1 for r in rows if r["name"] in LOGIN_NAMES and r["end"] >= restart_at)
    print(
        f"sign-in requests (token, login page, login) still running or started after the restart: {late_logins}"
    )
    failed_after = [r for r in rows if r["start"] >= up + 5 and r["status"] not in (200, 201, 302)]
    first_ok: dict[str, float] = {}
    for r in sorted(rows, key=lambda r: r["start"]):
        if r["start"] >= restart_at and r["status"] == 200:
            first_ok.setdefault(r["name"], r["start"] - up)
    print(
        "\nfirst 200 per endpoint after PostgreSQL accepted again (s): "
        + ", ".join(f"{name} {delay:+.2f}" for name, delay in sorted(first_ok.items()))
    )
    print(f"failures starting 5 s or more after it was back: {len(failed_after)}")
    print("\n/healthz every 0.5 s (time from the command: status in ms)")
    for at, (status, ms) in health.samples:
        if restart_at - 2 <= at <= up + 3:
            print(f"  {at - restart_at:+6.2f} s: {status} in {ms:.0f} ms")
    print("\nerrors logged by gunicorn's workers (answer → the exception the request ended with):")
    for line, count in logged_errors((out / "gunicorn.log").read_text(encoding="utf-8", errors="replace")):
        print(f"  {count:>4} × {line}")
    check_writes(out, "fault", since)


def run_fault_tests(out: Path, name: str) -> tuple[int, str]:
    """tests/reminders/test_faults.py on a test database of the bench's own; returns (exit code, summary)."""
    base = os.environ["DATABASE_URL"].rsplit("/", 1)[0]
    env = dict(os.environ)
    env.update({"DATABASE_URL": f"{base}/bench_faults", "REDIS_URL": "redis://127.0.0.1:6379/15"})
    env.pop("CELERY_BROKER_URL", None)
    log = out / f"reminders-{name}.txt"
    started = time.monotonic()
    command = [
        str(ROOT / ".venv/bin/pytest"), "tests/reminders/test_faults.py", "-m", "realworker",
        "-p", "no:cacheprovider", "-q", "--create-db", "--durations=5",
    ]  # fmt: skip
    with log.open("wb") as handle:
        result = subprocess.run(
            command, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT, check=False
        )
    text = log.read_text(encoding="utf-8", errors="replace")
    summary = next(
        (line.strip("= ") for line in reversed(text.splitlines()) if " in " in line and "passed" in line),
        text.strip().splitlines()[-1] if text.strip() else "(no output)",
    )
    slowest = [line.strip() for line in text.splitlines() if re.match(r"^\d+\.\d+s (call|setup)", line)]
    print(f"  {name}: exit {result.returncode}, {summary} ({time.monotonic() - started:.0f} s)")
    for line in slowest[:5]:
        print(f"    {line}")
    return result.returncode, summary


def reminders_phase(out: Path, args, server: subprocess.Popen) -> None:
    print(
        "\n== 3. The reminder fault tests (tests/reminders/test_faults.py -m realworker), alone and under load =="
    )
    run_fault_tests(out, "alone")
    write_movable(out)
    since = time.time()
    locust = run_locust(out, "reminders", args, "30m")
    time.sleep(30)  # every user signed in and thinking
    run_fault_tests(out, "under load")
    locust.send_signal(signal.SIGINT)  # stops the users; locust writes its CSVs
    locust.wait(timeout=60)
    rows = read_log(out / "reminders-requests.csv")
    print_log_table([r for r in rows if r["start"] >= since + 30], "the load meanwhile, exact, from the log")
    check_writes(out, "reminders", since)


def main() -> None:
    from bench.common import own_database

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--spawn-rate", type=float, default=10)
    parser.add_argument("--run-time", default="2m")
    parser.add_argument("--port", type=int, default=8077)
    parser.add_argument(
        "--move-weight", type=int, help="the heads' stage-move weight in every phase (smoke tests)"
    )
    parser.add_argument(
        "--workers", type=int, default=3, help="gunicorn sync workers (the image's default: 3)"
    )
    parser.add_argument("--no-fault", dest="fault", action="store_false", help="the load phase only")
    parser.add_argument(
        "--phases",
        default="load,fault,reminders",
        help="which of load, fault, reminders to run (comma-separated)",
    )
    parser.add_argument(
        "--outage",
        type=float,
        default=0,
        help="stop PostgreSQL for this many seconds instead of restarting it",
    )
    args = parser.parse_args()
    name = own_database(example="bench_funnel", also_refused=frozenset({"bench_leads"}))
    os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/14")
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    out = ROOT / "var" / "bench" / f"load-{stamp}"
    out.mkdir(parents=True)
    facts = setup(out)
    print(
        f"{stamp}: database {name}, PostgreSQL {facts['pg_version']}, {facts['leads']:,} leads, "
        f"{facts['contacts']:,} contacts; visible leads: "
        + ", ".join(f"{user} {count:,}" for user, count in facts["visible"].items())
        + f". {os.cpu_count()} cores; gunicorn on core 0, locust on core 1. Output: {out}"
    )
    server = start_gunicorn(out, args.port, args.workers)
    try:
        phases = set(args.phases.split(",")) if args.fault else {"load"}
        if "load" in phases:
            load_phase(out, args, server)
        if "fault" in phases:
            fault_phase(out, args, server)
        if "reminders" in phases:
            reminders_phase(out, args, server)
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()


if __name__ == "__main__":
    main()
