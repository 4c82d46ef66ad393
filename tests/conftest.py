"""Test-wide set-up. With nothing configured the suite runs on SQLite and the memory broker; with
DATABASE_URL / REDIS_URL set it runs against them, and refuses to run when they cannot be reached."""

from __future__ import annotations

import os
import socket
from urllib.parse import urlparse

import pytest
from django.conf import settings


def _reachable(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection(
            (parsed.hostname or "127.0.0.1", parsed.port or default_port), timeout=3
        ):
            return True
    except OSError:
        return False


def pytest_configure(config: pytest.Config) -> None:
    for name, port in (("DATABASE_URL", 5432), ("REDIS_URL", 6379), ("CELERY_BROKER_URL", 6379)):
        url = os.environ.get(name, "")
        if url and not url.startswith(("sqlite", "memory", "filesystem")) and not _reachable(url, port):
            raise pytest.UsageError(
                f"{name} is set but {urlparse(url).hostname}:{urlparse(url).port} is unreachable"
            )
    # Hashing strength is not under test; the default hasher costs a quarter second per user.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    if not os.environ.get("CELERY_BROKER_URL") and not os.environ.get("REDIS_URL"):
        # Celery reads its settings lazily, so switching the broker here is in time for every test.
        settings.CELERY_BROKER_URL = "memory://"
        settings.CELERY_BROKER_TRANSPORT_OPTIONS = {}


@pytest.fixture(autouse=True)
def _plain_language(settings):
    settings.LANGUAGE_CODE = "zh-hans"
