"""Fault tolerance of the reminders engine with real processes: redis-server, celery worker and beat
subprocesses against the pytest PostgreSQL database, and an SMTP stub in this process that counts emails.

Rows are the source of truth; these tests break the broker, the worker, the scheduler and the mail server and
check that every due reminder still arrives, in-app exactly once and by email at most once more than intended.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import time

import pytest
from django.db.models import Count
from django.utils import timezone

from reminders.models import Notification, Reminder
from tests.reminders.faultkit import (
    CLAIM_SECONDS,
    PYTHON,
    ROOT,
    SWEEP_SECONDS,
    Cluster,
    Procs,
    SmtpStub,
    ensure_rules,
    free_port,
    milestones_due,
    needs_redis_server,
    needs_services,
    owner_with_lead,
    service_env,
    wait_until,
)

# Every test runs real processes. All but the embedded one need PostgreSQL and a redis-server binary.
pytestmark = [pytest.mark.realworker]

DUE_TODAY = "milestone-due-today"
SENT = Reminder.Status.SENT
PENDING = Reminder.Status.PENDING
# A worker process needs a few seconds to import Django and connect before its first task.
STARTUP = 10


@pytest.fixture
def cluster(transactional_db, tmp_path):
    """This test's redis, SMTP stub and celery processes; all stopped before the database is flushed."""
    running = Cluster(tmp_path)
    try:
        yield running
    finally:
        running.close()
        # Shown by pytest only when the test failed.
        print(running.procs.logs())


def sent() -> int:
    return Reminder.objects.filter(status=SENT).count()


def assert_no_duplicate_notifications() -> None:
    assert not Notification.objects.values("reminder").annotate(n=Count("pk")).filter(n__gt=1).exists()


# --- 1. two beats at once ---------------------------------------------------------------------------------------


@needs_services
@needs_redis_server
def test_two_beats_and_one_worker_deliver_every_reminder_exactly_once(cluster):
    count = 12
    ensure_rules(DUE_TODAY)
    world = owner_with_lead()
    milestones_due(world, count)
    smtp = cluster.start_smtp()
    cluster.redis.start()
    # Two pool processes, so the two beats' sweeps really run side by side.
    worker = cluster.worker(concurrency=2)
    beats = [cluster.beat(), cluster.beat()]

    wait_until(
        lambda: sent() == count and smtp.count() >= count,
        timeout=STARTUP + 25,
        what=f"{count} reminders sent",
    )
    # Each beat sends a couple more sweeps: none may write, claim or send anything again.
    time.sleep(2 * SWEEP_SECONDS + 1)

    assert cluster.alive(worker, *beats), cluster.procs.logs()
    for beat in beats:
        assert "Sending due task reminders-sweep" in cluster.procs.log_text(beat)
    assert Reminder.objects.count() == count
    assert Notification.objects.count() == count
    assert smtp.count() == count
    assert set(smtp.per_message().values()) == {1}
    assert {recipient for recipient, _subject in smtp.per_message()} == {world.owner.email}


# --- 2. kill -9 of the worker mid-batch --------------------------------------------------------------------------


@needs_services
@needs_redis_server
@pytest.mark.parametrize("victim", ["worker", "pool-child"])
def test_a_worker_killed_mid_batch_loses_nothing_and_repeats_at_most_one_email(cluster, victim):
    """`worker`: SIGKILL to the whole worker (main process and pool child), then a new worker is started; the
    rows come back through the sweep once their claim expires. `pool-child`: SIGKILL to the prefork child only;
    the main process requeues the message (reject_on_worker_lost) and a fresh child carries on."""
    count = 30
    ensure_rules(DUE_TODAY)
    world = owner_with_lead()
    milestones_due(world, count)
    smtp = cluster.start_smtp(delay=0.2)  # 30 messages take at least 6 s: time to kill in the middle
    cluster.redis.start()
    # One batch, and a claim that outlives the slow batch (the kill, not a claim expiry, is under test).
    cluster.env_overrides = {"REMINDER_BATCH_SIZE": 50, "REMINDER_CLAIM_SECONDS": 10}
    first = cluster.worker()
    beat = cluster.beat()

    wait_until(lambda: smtp.count() >= 5, timeout=STARTUP + 15, interval=0.05, what="the batch under way")
    if victim == "worker":
        cluster.procs.kill9(first)
    else:
        children = subprocess.check_output(["ps", "-o", "pid=", "--ppid", str(first.pid)], text=True).split()
        assert len(children) == 1, children
        os.kill(int(children[0]), signal.SIGKILL)
    at_kill = smtp.count()
    assert at_kill < count, "the batch finished before the kill: make the SMTP stub slower"
    assert Reminder.objects.filter(status=PENDING).exists()

    survivor = cluster.worker() if victim == "worker" else first
    wait_until(lambda: sent() == count, timeout=45, what="every reminder sent after the kill")
    time.sleep(SWEEP_SECONDS + 1)

    assert cluster.alive(survivor, beat)
    assert Reminder.objects.count() == count
    assert Notification.objects.count() == count
    assert_no_duplicate_notifications()
    per_message = smtp.per_message()
    # Every reminder reached the mailbox; only the one being sent at the kill may have gone twice.
    assert len(per_message) == count
    assert max(per_message.values()) <= 2
    assert sum(per_message.values()) - count <= 1


# --- 3. lost broker messages: FLUSHALL, or a restarted redis without persistence -------------------------------


@needs_services
@needs_redis_server
@pytest.mark.parametrize("fault", ["flushall", "restart"])
def test_deliver_messages_lost_in_redis_are_replaced_from_the_rows_after_the_claim_expires(cluster, fault):
    count = 5
    ensure_rules(DUE_TODAY)
    world = owner_with_lead()
    milestones_due(world, count)
    smtp = cluster.start_smtp()
    cluster.redis.start()

    # A sweep runs (in its own process) while no worker is up: rows claimed, one deliver message enqueued...
    assert cluster.sweep_once() == {"written": count, "claimed": count}
    assert cluster.redis.queue_length() == 1
    expiry = max(Reminder.objects.values_list("claimed_until", flat=True))
    # ...and the message is lost before any worker takes it.
    if fault == "flushall":
        cluster.redis.client().flushall()
    else:
        cluster.redis.stop()
        cluster.redis.start()
    assert cluster.redis.queue_length() == 0

    worker = cluster.worker()
    beat = cluster.beat()
    wait_until(
        lambda: sent() == count, timeout=CLAIM_SECONDS + 2 * SWEEP_SECONDS + STARTUP + 5, what="all sent"
    )

    sent_at = list(Reminder.objects.values_list("sent_at", flat=True))
    # Nothing went out on the lost claim; everything within two sweeps of its expiry (plus the delivery itself).
    assert min(sent_at) >= expiry
    assert max(sent_at) <= expiry + timezone.timedelta(seconds=2 * SWEEP_SECONDS + 2)
    assert Notification.objects.count() == count
    assert smtp.count() == count

    if fault == "restart":
        # Redis goes away again under a running worker and beat: both reconnect and the next reminder arrives.
        cluster.redis.stop()
        time.sleep(1)
        cluster.redis.start()
        milestones_due(world, 1, prefix="重启之后")
        wait_until(lambda: sent() == count + 1, timeout=30, what="the reminder after the restart")
        assert smtp.count() == count + 1
    assert cluster.alive(worker, beat)


# --- 4. broker down when the milestone is created ---------------------------------------------------------------

ADD_MILESTONE_DUE_TODAY = """
import sys
from django.utils import timezone
from projects.models import Lead, Pass
from projects.services.milestones import milestone_add
lead = Lead.objects.get(pk=int(sys.argv[1]))
milestone = milestone_add(
    actor=lead.owner, lead=lead, lead_pass=Pass.objects.get(code="resources"), title=sys.argv[2],
    due_on=timezone.localdate(),
)
print(milestone.pk)
"""


@needs_services
@needs_redis_server
def test_a_milestone_created_while_the_broker_is_down_is_reminded_once_it_is_back(cluster):
    ensure_rules(DUE_TODAY)
    world = owner_with_lead()
    smtp = cluster.start_smtp()
    # Redis is not running: the milestone is created by a process whose broker and cache are unreachable.
    created = cluster.run_python(ADD_MILESTONE_DUE_TODAY, str(world.lead.pk), "断网时创建")
    assert created.returncode == 0, created.stderr
    # Worker and beat start while the broker is still down and keep retrying.
    worker = cluster.worker()
    beat = cluster.beat()
    time.sleep(3)
    assert cluster.alive(worker, beat), cluster.procs.logs()
    assert not Reminder.objects.exists()

    cluster.redis.start()
    wait_until(lambda: sent() == 1, timeout=STARTUP + 20, what="the reminder once redis is back")
    reminder = Reminder.objects.get()
    assert reminder.subject_id == int(created.stdout.split()[-1])
    assert Notification.objects.filter(reminder=reminder, recipient=world.owner).count() == 1
    assert smtp.count() == 1
    assert cluster.alive(worker, beat)


# --- 5. a rolled-back transaction enqueues nothing --------------------------------------------------------------

SWEEP_IN_A_TRANSACTION = """
import json, sys
from django.db import transaction
from django.utils import timezone
from projects.models import Lead, Pass
from projects.services.milestones import milestone_add
from reminders.tasks import sweep

class Abort(Exception):
    pass

lead = Lead.objects.get(pk=int(sys.argv[1]))
try:
    with transaction.atomic():
        milestone_add(
            actor=lead.owner, lead=lead, lead_pass=Pass.objects.get(code="resources"), title=sys.argv[2],
            due_on=timezone.localdate(),
        )
        print(json.dumps(sweep.run()))
        if sys.argv[3] == "rollback":
            raise Abort
except Abort:
    pass
"""


@needs_services
@needs_redis_server
def test_a_sweep_inside_a_rolled_back_transaction_enqueues_nothing(cluster):
    ensure_rules(DUE_TODAY)
    world = owner_with_lead()
    cluster.redis.start()

    rolled_back = cluster.run_python(SWEEP_IN_A_TRANSACTION, str(world.lead.pk), "回滚", "rollback")
    assert rolled_back.returncode == 0, rolled_back.stderr
    # Inside the transaction the sweep did write and claim the reminder...
    assert json.loads(rolled_back.stdout.split("\n")[-2]) == {"written": 1, "claimed": 1}
    # ...but the rollback took the rows and the deliver message with it.
    assert cluster.redis.queue_length() == 0
    assert not Reminder.objects.exists()
    assert not world.lead.milestones.exists()

    # The control: the same run committed does enqueue one deliver message.
    committed = cluster.run_python(SWEEP_IN_A_TRANSACTION, str(world.lead.pk), "提交", "commit")
    assert committed.returncode == 0, committed.stderr
    assert cluster.redis.queue_length() == 1
    assert Reminder.objects.count() == 1


# --- 6. worker and beat in UTC ----------------------------------------------------------------------------------


@needs_services
@needs_redis_server
def test_processes_in_utc_still_count_days_in_shanghai(cluster):
    # The rules that would fire instead if "today" were taken from the process clock in UTC.
    ensure_rules("milestone-due-3", "milestone-due-7", DUE_TODAY, "milestone-overdue")
    world = owner_with_lead()
    today = timezone.localdate()
    (milestone,) = milestones_due(world, 1, due_on=today)
    smtp = cluster.start_smtp()
    cluster.redis.start()
    worker = cluster.worker(TZ="UTC")
    beat = cluster.beat(TZ="UTC")

    wait_until(lambda: sent() == 1, timeout=STARTUP + 15, what="the due-today reminder")
    time.sleep(SWEEP_SECONDS + 1)  # another sweep writes nothing else
    reminder = Reminder.objects.select_related("rule").get()
    assert (reminder.rule.code, reminder.subject_id, reminder.occurs_on) == (DUE_TODAY, milestone.pk, today)
    assert reminder.recipient_id == world.owner.pk
    assert Notification.objects.filter(reminder=reminder).count() == 1
    assert smtp.count() == 1
    assert cluster.alive(worker, beat)


# --- 7. the embedded configuration: SQLite, filesystem broker, one worker with embedded beat ----------------------

# config/settings.py puts the filesystem broker under VAR_DIR (the checkout's var/), and no environment variable
# moves it. So that this test neither reads nor leaves messages in the checkout, a settings module in the tmp
# dir imports config.settings unchanged and only points the broker folders elsewhere.
EMBEDDED_SETTINGS = """
import os
from pathlib import Path

from config.settings import *  # noqa: F403

BROKER_FOLDER = Path(os.environ["FAULT_BROKER_FOLDER"])
assert CELERY_BROKER_URL == "filesystem://", CELERY_BROKER_URL  # noqa: F405
CELERY_BROKER_TRANSPORT_OPTIONS = {
    **CELERY_BROKER_TRANSPORT_OPTIONS,  # noqa: F405
    "data_folder_in": str(BROKER_FOLDER / "queue"),
    "data_folder_out": str(BROKER_FOLDER / "queue"),
    "control_folder": str(BROKER_FOLDER / "control"),
}
"""

EMBEDDED_DATA = """
from django.utils import timezone
from projects.models import Milestone, Pass
from projects.services.milestones import milestone_add
from reminders.models import ReminderRule
from tests.factories import join, make_lead, make_unit, make_user

ReminderRule.objects.exclude(code="milestone-due-today").update(is_active=False)
unit = make_unit("嵌入式测试处")
owner = join(make_user(username="embedded_owner", email="embedded@example.com"), unit)
lead = make_lead(owner=owner, unit=unit, name="嵌入式测试线索")
Milestone.objects.filter(lead=lead).delete()
milestone_add(
    actor=owner, lead=lead, lead_pass=Pass.objects.order_by("order").first(), title="嵌入式里程碑",
    due_on=timezone.localdate(),
)
print("ok")
"""


def test_the_embedded_worker_with_beat_delivers_on_sqlite_and_the_filesystem_broker(tmp_path):
    db = tmp_path / "db.sqlite3"
    broker = tmp_path / "broker"
    for folder in ("queue", "control"):
        (broker / folder).mkdir(parents=True)
    (tmp_path / "embedded_settings.py").write_text(EMBEDDED_SETTINGS)
    env = service_env(redis=None, smtp_url="consolemail://", DATABASE_URL=f"sqlite:///{db}")
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "embedded_settings",
            "PYTHONPATH": str(tmp_path),
            "FAULT_BROKER_FOLDER": str(broker),
        }
    )
    for step in (
        ["manage.py", "migrate", "--noinput"],
        ["-c", f"import django\ndjango.setup()\n{EMBEDDED_DATA}"],
    ):
        # Set-up, not the behaviour under test: a fresh SQLite migrate takes 20 s on a quiet machine and over a
        # minute on a busy one. The delivery below keeps its own 40 s bound.
        done = subprocess.run(
            [PYTHON, *step], cwd=ROOT, env=env, capture_output=True, text=True, timeout=240, check=False
        )
        assert done.returncode == 0, done.stdout + done.stderr

    procs = Procs(tmp_path)
    try:
        worker = procs.spawn(
            "embedded",
            [
                PYTHON,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "-B",
                "--pool=threads",
                "--concurrency=2",
                "--loglevel=INFO",
            ],
            env=env,
        )

        def delivered():
            with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as con:
                notifications = con.execute("select count(*) from reminders_notification").fetchone()[0]
                states = con.execute("select status, channels_done from reminders_reminder").fetchall()
            return notifications == 1 and states == [("sent", "inapp,email")]

        wait_until(delivered, timeout=40, interval=0.5, what="the embedded worker's notification")
        assert worker.poll() is None, procs.logs()
        # The console mail backend printed the email in the worker's output.
        assert "embedded@example.com" in procs.log_text(worker)
    finally:
        procs.stop_all()
        print(procs.logs())


# --- 8. an unreachable mail server ------------------------------------------------------------------------------


@needs_services
@needs_redis_server
def test_an_unreachable_mail_server_keeps_the_reminder_pending_and_the_worker_running(cluster):
    ensure_rules(DUE_TODAY)
    world = owner_with_lead()
    milestones_due(world, 1)
    closed = free_port()  # nothing listens here (yet)
    cluster.env_overrides = {
        "EMAIL_URL": f"smtp://127.0.0.1:{closed}",
        "REMINDER_RETRY_BASE_SECONDS": 1,
        "REMINDER_RETRY_MAX_SECONDS": 2,
    }
    cluster.redis.start()
    worker = cluster.worker()
    beat = cluster.beat()

    wait_until(
        lambda: Reminder.objects.filter(attempts__gte=2).exists(), timeout=STARTUP + 25, what="two attempts"
    )
    reminder = Reminder.objects.get()
    assert reminder.status == PENDING
    assert reminder.channels_done == "inapp"
    assert Notification.objects.filter(reminder=reminder).count() == 1
    # The same worker process handled every attempt: no crash, no restart.
    assert cluster.alive(worker, beat)
    assert cluster.procs.log_text(worker).count(" ready.") == 1

    # The mail server comes up on that port: a later attempt sends the email, and only the email.
    cluster.smtp = SmtpStub(port=closed).start()
    wait_until(lambda: sent() == 1, timeout=CLAIM_SECONDS + 3 * SWEEP_SECONDS + 5, what="the email")
    reminder.refresh_from_db()
    assert reminder.channels_done == "inapp,email"
    assert cluster.smtp.count() == 1
    assert Notification.objects.filter(reminder=reminder).count() == 1
    assert cluster.alive(worker, beat)


@needs_services
@needs_redis_server
def test_a_transient_mail_failure_is_recorded_and_retried_with_backoff(cluster):
    ensure_rules(DUE_TODAY)
    world = owner_with_lead()
    milestones_due(world, 1)
    cluster.env_overrides = {
        "EMAIL_URL": f"smtp://127.0.0.1:{free_port()}",
        "REMINDER_RETRY_BASE_SECONDS": 60,
    }
    cluster.redis.start()
    worker = cluster.worker()
    beat = cluster.beat()

    wait_until(
        lambda: Reminder.objects.filter(attempts__gte=1).exists(), timeout=STARTUP + 10, what="an attempt"
    )
    # The attempt ends within a moment of being counted.
    wait_until(lambda: Reminder.objects.exclude(last_error="").exists(), timeout=3, what="last_error")
    reminder = Reminder.objects.get()
    assert reminder.status == PENDING
    assert reminder.attempts == 1
    assert "邮件服务器" in reminder.last_error  # "email: 无法连接邮件服务器：[Errno 111] Connection refused"
    assert reminder.channels_done == "inapp"
    # Released for a later sweep, not before the back-off (30 to 60 s for the first retry).
    assert (reminder.claim, reminder.claimed_until) == ("", None)
    assert reminder.not_before >= timezone.now() + timezone.timedelta(seconds=25)
    assert Notification.objects.filter(reminder=reminder).count() == 1
    assert "Delivering reminder" not in cluster.procs.log_text(worker)  # no traceback logged
    assert cluster.alive(worker, beat)
