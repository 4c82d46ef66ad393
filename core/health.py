"""Readiness checks behind /healthz: the database and the Celery broker, each under a hard deadline."""

from __future__ import annotations

import logging
import os
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

from django.conf import settings
from django.db import connections

logger = logging.getLogger(__name__)

# Both checks together must answer well inside the 2 s a load balancer waits.
CHECK_DEADLINE_SECONDS = 1.5

_executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="healthz")


def _check_database() -> None:
    connection = connections["default"]
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    finally:
        # The pool thread is not a request thread: nothing else would ever close this connection.
        connection.close()


def _check_broker() -> None:
    url: str = settings.CELERY_BROKER_URL
    if url.startswith("memory://"):
        return
    if url.startswith("filesystem://"):
        folder = settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_out"]
        if not (os.path.isdir(folder) and os.access(folder, os.W_OK)):
            raise OSError("broker folder is missing or read-only")
        return
    from config.celery import app

    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=0, timeout=CHECK_DEADLINE_SECONDS)


CHECKS = {"database": _check_database, "broker": _check_broker}


def failing_checks() -> list[str]:
    """Names of the checks that failed or did not answer before the deadline."""
    futures = {name: _executor.submit(check) for name, check in CHECKS.items()}
    failed = []
    for name, future in futures.items():
        try:
            future.result(timeout=CHECK_DEADLINE_SECONDS)
        except FutureTimeout:
            failed.append(name)
            logger.warning("healthz_timeout", extra={"check": name})
        except Exception as exc:  # any failure of a dependency means "not ready"; the reason goes to the log
            failed.append(name)
            logger.warning("healthz_failed", extra={"check": name, "error": type(exc).__name__})
    return failed
