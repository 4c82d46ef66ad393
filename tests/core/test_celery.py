"""Tasks travel through a real broker: the memory transport with an in-process worker by default, Redis with a
worker subprocess in the `realworker` tests. Nothing runs eagerly."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from celery.contrib.testing.worker import start_worker
from django.core.cache import cache
from django.db import transaction

from config.celery import app
from core.tasks import HEARTBEAT_KEY, record_heartbeat

ROOT = Path(__file__).resolve().parents[2]
received: list[str] = []
arrived = threading.Event()


@app.task(name="tests.core.remember")
def remember(value: str) -> None:
    received.append(value)
    arrived.set()


@pytest.fixture
def in_process_worker():
    received.clear()
    arrived.clear()
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        yield


@pytest.mark.django_db(transaction=True)
def test_a_task_enqueued_on_commit_reaches_the_worker(in_process_worker):
    with transaction.atomic():
        transaction.on_commit(lambda: remember.delay("committed"))
    assert arrived.wait(timeout=10)
    assert received == ["committed"]


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_transaction_enqueues_nothing(in_process_worker):
    def enqueue_then_fail() -> None:
        with transaction.atomic():
            transaction.on_commit(lambda: remember.delay("rolled back"))
            raise RuntimeError("abort")

    with pytest.raises(RuntimeError):
        enqueue_then_fail()
    remember.delay("sentinel")
    assert arrived.wait(timeout=10)
    assert received == ["sentinel"]


needs_services = pytest.mark.skipif(
    not (os.environ.get("REDIS_URL") and os.environ.get("DATABASE_URL")),
    reason="needs REDIS_URL and DATABASE_URL (CI's PostgreSQL pass sets both)",
)


@pytest.mark.realworker
@needs_services
def test_a_real_worker_process_runs_a_task_from_redis():
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "--loglevel=WARNING"],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"},
    )
    try:
        token = secrets.token_hex(8)
        record_heartbeat.delay(token)
        deadline = time.monotonic() + 45
        while time.monotonic() < deadline and (cache.get(HEARTBEAT_KEY) or {}).get("token") != token:
            time.sleep(0.2)
        assert cache.get(HEARTBEAT_KEY)["token"] == token
    finally:
        worker.terminate()
        worker.wait(timeout=30)
