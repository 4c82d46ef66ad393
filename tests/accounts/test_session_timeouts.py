"""Sessions end after SESSION_IDLE_SECONDS without a request and SESSION_ABSOLUTE_SECONDS after the sign-in
(accounts.middleware.SessionTimeoutMiddleware). The tests move the session's stamps back instead of waiting."""

from __future__ import annotations

import time

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.middleware import LAST_SEEN, SIGNED_IN_AT
from accounts.models import UserSession
from config import settings as config_settings
from tests.factories import make_user

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"  # tests.factories.make_user
IDLE = 30 * 60
ABSOLUTE = 12 * 3600


@pytest.fixture(autouse=True)
def _limits(settings):
    settings.SESSION_IDLE_SECONDS = IDLE
    settings.SESSION_ABSOLUTE_SECONDS = ABSOLUTE


def signed_in() -> Client:
    make_user(username="officer")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    assert (
        client.post(reverse("admin:login"), {"username": "officer", "password": PASSWORD}).status_code == 302
    )
    return client


def move_stamps(client: Client, **ages: float) -> None:
    """Sets the session's stamps to that many seconds ago."""
    session = client.session
    now = time.time()
    for key, age in ages.items():
        session[key] = now - age
    session.save()


def test_signing_in_starts_both_clocks():
    before = time.time()
    client = signed_in()
    session = client.session
    assert before <= session[SIGNED_IN_AT] <= time.time()
    assert session[LAST_SEEN] == session[SIGNED_IN_AT]


@pytest.mark.parametrize(("idle", "signed_in_stays"), [(IDLE - 60, True), (IDLE + 5, False)])
def test_an_idle_session_is_signed_out(idle, signed_in_stays):
    client = signed_in()
    key = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    move_stamps(client, **{LAST_SEEN: idle})
    response = client.get("/admin/")
    assert response.status_code == (200 if signed_in_stays else 302)
    assert UserSession.objects.filter(session_key=key).exists() is signed_in_stays
    if not signed_in_stays:
        assert response["Location"].startswith(reverse("admin:login"))
        page = client.get(response["Location"])
        assert "Your session has ended. Please sign in again." in page.content.decode()


@pytest.mark.parametrize(("age", "signed_in_stays"), [(ABSOLUTE - 60, True), (ABSOLUTE + 5, False)])
def test_a_busy_session_ends_at_the_absolute_limit(age, signed_in_stays):
    client = signed_in()
    # Active a moment ago: only the time since the sign-in counts here.
    move_stamps(client, **{SIGNED_IN_AT: age, LAST_SEEN: 10})
    assert client.get("/admin/").status_code == (200 if signed_in_stays else 302)


def test_the_last_seen_stamp_is_written_at_most_once_a_minute():
    client = signed_in()
    move_stamps(client, **{LAST_SEEN: 30})
    stamped = client.session[LAST_SEEN]
    client.get("/admin/")
    assert client.session[LAST_SEEN] == stamped
    move_stamps(client, **{LAST_SEEN: 61})
    before = time.time()
    client.get("/admin/")
    assert client.session[LAST_SEEN] >= before


def test_a_session_without_stamps_starts_its_clocks_at_its_next_request():
    client = signed_in()
    session = client.session
    del session[SIGNED_IN_AT]
    del session[LAST_SEEN]
    session.save()
    before = time.time()
    assert client.get("/admin/").status_code == 200
    assert client.session[SIGNED_IN_AT] >= before
    assert client.session[LAST_SEEN] >= before


def test_the_api_refuses_an_idle_session():
    make_user(username="officer")
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    assert (
        client.post(reverse("admin:login"), {"username": "officer", "password": PASSWORD}).status_code == 302
    )
    assert client.get("/api/v1/leads/").status_code == 200
    move_stamps(client, **{LAST_SEEN: IDLE + 5})
    assert client.get("/api/v1/leads/").status_code == 401


def test_the_cookie_lives_as_long_as_the_idle_limit():
    # As configured (the fixture above overrides the idle limit alone).
    assert config_settings.SESSION_COOKIE_AGE == config_settings.SESSION_IDLE_SECONDS
    client = signed_in()
    assert (
        client.cookies[django_settings.SESSION_COOKIE_NAME]["max-age"] == django_settings.SESSION_COOKIE_AGE
    )
