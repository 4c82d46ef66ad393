"""Sign-in events on the "accounts.auth" logger: who, from which address, what outcome; never the password."""

from __future__ import annotations

import logging
import time

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.middleware import LAST_SEEN
from tests.factories import make_user

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"  # tests.factories.make_user
LOGIN = reverse("admin:login")


@pytest.fixture(autouse=True)
def _pinned(settings):
    settings.AXES_FAILURE_LIMIT = 5
    settings.NUM_PROXIES = 0
    cache.clear()
    yield
    cache.clear()


def events(caplog) -> list[tuple[str, str, str, str]]:
    return [
        (record.event, record.username, record.ip, record.outcome)
        for record in caplog.records
        if record.name == "accounts.auth" and hasattr(record, "event")
    ]


def test_sign_in_sign_out_and_a_failure_are_logged_without_the_password(caplog):
    make_user(username="alice")
    client = Client()
    with caplog.at_level(logging.INFO, logger="accounts.auth"):
        client.post(
            LOGIN, {"username": "alice", "password": "hunter2-wrong-guess"}, REMOTE_ADDR="203.0.113.5"
        )
        client.post(LOGIN, {"username": "alice", "password": PASSWORD}, REMOTE_ADDR="203.0.113.5")
        client.post(reverse("admin:logout"), REMOTE_ADDR="203.0.113.5")
    assert events(caplog) == [
        ("login", "alice", "203.0.113.5", "failure"),
        ("login", "alice", "203.0.113.5", "success"),
        ("logout", "alice", "203.0.113.5", "success"),
    ]
    failure = next(record for record in caplog.records if getattr(record, "outcome", "") == "failure")
    assert failure.levelno == logging.WARNING
    # A plain log line says who and from where.
    assert failure.getMessage() == "login username='alice' ip=203.0.113.5 outcome=failure"
    assert "hunter2-wrong-guess" not in caplog.text
    assert PASSWORD not in caplog.text


def test_the_address_behind_a_proxy_is_logged(caplog, settings):
    settings.NUM_PROXIES = 1
    make_user(username="alice")
    with caplog.at_level(logging.INFO, logger="accounts.auth"):
        Client().post(
            LOGIN,
            {"username": "alice", "password": PASSWORD},
            REMOTE_ADDR="127.0.0.1",
            HTTP_X_FORWARDED_FOR="198.51.100.20",
        )
    assert events(caplog) == [("login", "alice", "198.51.100.20", "success")]


def test_a_lockout_is_logged(caplog):
    make_user(username="alice")
    with caplog.at_level(logging.INFO, logger="accounts.auth"):
        for _ in range(5):
            Client().post(LOGIN, {"username": "alice", "password": "wrong"}, REMOTE_ADDR="203.0.113.5")
    logged = events(caplog)
    assert logged.count(("login", "alice", "203.0.113.5", "failure")) == 5
    assert logged.count(("login", "alice", "203.0.113.5", "locked_out")) == 1


def test_failures_at_the_token_endpoint_are_logged(caplog):
    make_user(username="alice")
    with caplog.at_level(logging.INFO, logger="accounts.auth"):
        APIClient().post("/api/v1/auth/token/", {"username": "alice", "password": "wrong-one"}, format="json")
    assert events(caplog) == [("login", "alice", "127.0.0.1", "failure")]
    assert "wrong-one" not in caplog.text


def test_an_ended_session_is_logged_with_its_reason(caplog, settings):
    make_user(username="alice")
    client = Client()
    client.post(LOGIN, {"username": "alice", "password": PASSWORD})
    session = client.session
    session[LAST_SEEN] = time.time() - settings.SESSION_IDLE_SECONDS - 5
    session.save()
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="accounts.auth"):
        client.get("/admin/")
    assert events(caplog) == [
        ("session_ended", "alice", "127.0.0.1", "idle_timeout"),
        ("logout", "alice", "127.0.0.1", "success"),
    ]
