"""Helpers for the reminders fault-tolerance tests: a private redis-server, an SMTP stub that counts messages,
worker/beat subprocesses in their own process groups, and a small predictable data set.

Every process a test starts is registered with `Procs` and killed (whole process group) in fixture teardown,
which runs before pytest-django flushes the database (the fixture depends on `transactional_db`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import email
import email.policy
import importlib
import itertools
import os
import shutil
import signal
import socket
import socketserver
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import quote

import pytest
from django.db import connection
from django.utils import timezone

ROOT = Path(__file__).resolve().parents[2]
REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
PYTHON = sys.executable
SWEEP_SECONDS = 2
CLAIM_SECONDS = 6

needs_services = pytest.mark.skipif(
    not (
        os.environ.get("REDIS_URL") and os.environ.get("DATABASE_URL", "").startswith(("postgres", "postgis"))
    ),
    reason="needs REDIS_URL and a PostgreSQL DATABASE_URL (CI's PostgreSQL pass sets both)",
)
needs_redis_server = pytest.mark.skipif(
    not os.path.exists(REDIS_SERVER), reason=f"{REDIS_SERVER} is not installed"
)

# Settings the subprocesses get only from us, never inherited from the pytest environment.
_OWN_VARIABLES = (
    "DATABASE_URL",
    "REDIS_URL",
    "CELERY_BROKER_URL",
    "EMAIL_URL",
    "DJANGO_SETTINGS_MODULE",
    "DJANGO_ENV",
    "WECOM_CORP_ID",
    "WECOM_AGENT_ID",
    "WECOM_SECRET",
    "WECOM_WEBHOOK_URL",
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(
    predicate: Callable[[], object], timeout: float, interval: float = 0.2, what: str = ""
) -> object:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what or predicate}")
        time.sleep(interval)


# --- Redis ----------------------------------------------------------------------------------------------------


class RedisServer:
    """One redis-server on a port of our own, without persistence: a restart loses everything."""

    def __init__(self, procs: Procs, port: int | None = None) -> None:
        self.procs = procs
        self.port = port or free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        self.process = self.procs.spawn(
            "redis",
            [
                REDIS_SERVER,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.procs.tmp),
            ],
            env=dict(os.environ),
        )
        wait_until(self._pong, timeout=10, what=f"redis-server on {self.port}")
        return self

    def stop(self) -> None:
        if self.process is not None:
            self.procs.stop(self.process)
            self.process = None

    def client(self):
        import redis

        return redis.Redis(host="127.0.0.1", port=self.port, socket_connect_timeout=1, socket_timeout=2)

    def _pong(self) -> bool:
        import redis

        try:
            return bool(self.client().ping())
        except (redis.exceptions.RedisError, OSError):  # not up yet: wait_until asks again
            return False

    def queue_length(self, queue: str = "celery") -> int:
        return int(self.client().llen(queue))


# --- SMTP stub ------------------------------------------------------------------------------------------------


class _SmtpHandler(socketserver.StreamRequestHandler):
    server: SmtpStub

    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")
        self.wfile.flush()

    def handle(self) -> None:
        with contextlib.suppress(ConnectionError, OSError):
            self._session()

    def _session(self) -> None:
        self.reply("220 stub ESMTP")
        recipients: list[str] = []
        while True:
            raw = self.rfile.readline()
            if not raw:
                return
            command = raw.decode("latin-1").strip()
            verb = command[:4].upper()
            if verb in {"EHLO", "HELO"}:
                self.reply("250 stub")
            elif verb == "MAIL":
                recipients = []
                self.reply("250 OK")
            elif verb == "RCPT":
                recipients.append(command.split(":", 1)[1].strip().strip("<>"))
                self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 go ahead")
                lines = []
                while True:
                    line = self.rfile.readline()
                    if not line:
                        return
                    if line in {b".\r\n", b".\n"}:
                        break
                    lines.append(line[1:] if line.startswith(b"..") else line)
                if self.server.delay:
                    time.sleep(self.server.delay)
                self.reply("250 queued")
                self.server.record(recipients, b"".join(lines))
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:  # RSET, NOOP and anything else
                self.reply("250 OK")


class SmtpStub(socketserver.ThreadingTCPServer):
    """Counts the messages it accepts; `delay` seconds before answering each DATA makes it slow."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, delay: float = 0.0, port: int = 0) -> None:
        super().__init__(("127.0.0.1", port), _SmtpHandler)
        self.delay = delay
        self.lock = threading.Lock()
        self.messages: list[tuple[str, str]] = []  # (recipient, subject)
        self.thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)

    @property
    def port(self) -> int:
        return self.server_address[1]

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def record(self, recipients: list[str], data: bytes) -> None:
        subject = str(email.message_from_bytes(data, policy=email.policy.default)["subject"] or "")
        with self.lock:
            for recipient in recipients:
                self.messages.append((recipient, subject))

    def count(self) -> int:
        with self.lock:
            return len(self.messages)

    def per_message(self) -> Counter:
        with self.lock:
            return Counter(self.messages)

    def start(self) -> SmtpStub:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


# --- Processes ------------------------------------------------------------------------------------------------


class Procs:
    """Subprocesses of one test, each in its own session (process group) so a kill takes its children too."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.started: list[tuple[str, subprocess.Popen, Path]] = []
        self._names = itertools.count(1)

    def spawn(self, name: str, args: list[str], env: dict[str, str], cwd: Path = ROOT) -> subprocess.Popen:
        log = self.tmp / f"{next(self._names):02d}-{name}.log"
        with open(log, "wb") as out:
            process = subprocess.Popen(
                args, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.started.append((name, process, log))
        return process

    @staticmethod
    def kill9(process: subprocess.Popen) -> None:
        """SIGKILL the whole process group: the worker's main process and its pool children at once."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

    @staticmethod
    def stop(process: subprocess.Popen, timeout: float = 10) -> None:
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=timeout)
        # Whatever is left of the group (a pool child that outlived its parent) goes too.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        if process.poll() is None:
            process.wait(timeout=10)

    def stop_all(self) -> None:
        # Celery first (they hold database connections), redis last.
        for _name, process, _log in sorted(self.started, key=lambda item: item[0] == "redis"):
            self.stop(process, timeout=5)

    def logs(self, tail: int = 60) -> str:
        parts = []
        for _name, process, log in self.started:
            lines = log.read_text(errors="replace").splitlines() if log.exists() else []
            parts.append(f"----- {log.name} (exit {process.returncode}) -----")
            parts.extend(lines[-tail:])
        return "\n".join(parts)

    def log_text(self, process: subprocess.Popen) -> str:
        for _name, candidate, log in self.started:
            if candidate is process:
                return log.read_text(errors="replace")
        return ""


def database_url() -> str:
    """The pytest test database (test_<name>) as a DATABASE_URL for the subprocesses."""
    s = connection.settings_dict
    user = quote(s.get("USER") or "", safe="")
    password = quote(s.get("PASSWORD") or "", safe="")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = s.get("HOST") or "127.0.0.1"
    port = s.get("PORT") or "5432"
    return f"postgres://{credentials}{host}:{port}/{s['NAME']}"


def service_env(*, redis: RedisServer | None, smtp_url: str, **overrides: object) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _OWN_VARIABLES and not k.startswith("REMINDER_")}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": database_url(),
            "EMAIL_URL": smtp_url,
            "REMINDER_SWEEP_SECONDS": str(SWEEP_SECONDS),
            "REMINDER_CLAIM_SECONDS": str(CLAIM_SECONDS),
            "LOG_LEVEL": "INFO",
            "PYTHONUNBUFFERED": "1",
            # Short-lived connections: nothing of ours lingers in PostgreSQL when the test flushes.
            "CONN_MAX_AGE": "0",
        }
    )
    if redis is not None:
        env["REDIS_URL"] = redis.url
        env["CELERY_BROKER_URL"] = redis.url
    env.update({k: str(v) for k, v in overrides.items()})
    return env


class Cluster:
    """What one fault test runs: its redis, its SMTP stub and its celery processes."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.procs = Procs(tmp)
        self.redis = RedisServer(self.procs)
        self.smtp: SmtpStub | None = None
        self._beats = itertools.count(1)
        self._workers = itertools.count(1)
        self.env_overrides: dict[str, object] = {}

    def start_smtp(self, delay: float = 0.0) -> SmtpStub:
        self.smtp = SmtpStub(delay=delay).start()
        return self.smtp

    def env(self, **overrides: object) -> dict[str, str]:
        smtp_url = self.smtp.url if self.smtp else "consolemail://"
        return service_env(redis=self.redis, smtp_url=smtp_url, **{**self.env_overrides, **overrides})

    def worker(self, *, pool: str = "prefork", concurrency: int = 1, **env: object) -> subprocess.Popen:
        n = next(self._workers)
        return self.procs.spawn(
            f"worker{n}",
            [
                PYTHON,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                f"--pool={pool}",
                f"--concurrency={concurrency}",
                f"--hostname=fault{n}@%h",
                "--without-gossip",
                "--without-mingle",
                "--loglevel=INFO",
            ],
            env=self.env(**env),
        )

    def beat(self, **env: object) -> subprocess.Popen:
        n = next(self._beats)
        return self.procs.spawn(
            f"beat{n}",
            [
                PYTHON,
                "-m",
                "celery",
                "-A",
                "config",
                "beat",
                "--scheduler",
                "django_celery_beat.schedulers:DatabaseScheduler",
                "-s",
                str(self.tmp / f"beat{n}-schedule"),
                "--pidfile",
                str(self.tmp / f"beat{n}.pid"),
                "--loglevel=INFO",
            ],
            env=self.env(**env),
        )

    def run_python(
        self, code: str, *args: str, timeout: float = 40, **env: object
    ) -> subprocess.CompletedProcess:
        """A short Django script in its own process (set-up done), against this cluster's services."""
        script = "import django\ndjango.setup()\n" + code
        return subprocess.run(
            [PYTHON, "-c", script, *args],
            cwd=ROOT,
            env=self.env(**env),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def sweep_once(self) -> dict:
        """One sweep in a separate process, exactly as a worker runs it (its deliver messages go to our redis)."""
        import json

        done = self.run_python("import json\nfrom reminders.tasks import sweep\nprint(json.dumps(sweep()))")
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout.strip().splitlines()[-1])

    def alive(self, *processes: subprocess.Popen) -> bool:
        return all(p.poll() is None for p in processes)

    def close(self) -> None:
        try:
            self.procs.stop_all()
        finally:
            if self.smtp is not None:
                self.smtp.stop()


# --- Data -----------------------------------------------------------------------------------------------------

_serial = itertools.count(1)


def ensure_rules(*active_codes: str) -> None:
    """The seeded rules (a transactional test's flush removed them), with only `active_codes` switched on."""
    from django.apps import apps

    from reminders.models import ReminderRule

    seed_module = importlib.import_module("reminders.migrations.0002_seed_rules")
    seed_module.seed(apps, None)
    ReminderRule.objects.update(is_active=False)
    ReminderRule.objects.filter(code__in=active_codes).update(is_active=True)
    assert ReminderRule.objects.filter(is_active=True).count() == len(active_codes)


def owner_with_lead(email_address: str | None = None) -> SimpleNamespace:
    """A unit, an officer with an email address and an active lead of theirs without any milestone."""
    from accounts.roles import Role
    from projects.models import Milestone, Pass
    from tests.factories import join, make_lead, make_unit, make_user

    n = next(_serial)
    unit = make_unit(f"故障测试处{n}")
    owner = join(
        make_user(Role.OFFICER, username=f"fault_owner{n}", email=email_address or f"owner{n}@example.com"),
        unit,
    )
    lead = make_lead(owner=owner, unit=unit, name=f"故障测试线索{n}")
    # Seeded templates (present until the first flush) may have added milestones: start from none.
    Milestone.objects.filter(lead=lead).delete()
    lead_pass, _ = Pass.objects.get_or_create(code="resources", defaults={"name": "资源关", "order": 1})
    return SimpleNamespace(unit=unit, owner=owner, lead=lead, lead_pass=lead_pass)


def milestones_due(world: SimpleNamespace, count: int, due_on: dt.date | None = None, prefix: str = "里程碑"):
    from projects.services.milestones import milestone_add

    due_on = due_on or timezone.localdate()
    return [
        milestone_add(
            actor=world.owner,
            lead=world.lead,
            lead_pass=world.lead_pass,
            title=f"{prefix}{i:03d}",
            due_on=due_on,
        )
        for i in range(count)
    ]
