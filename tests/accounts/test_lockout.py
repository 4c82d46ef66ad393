"""The sign-in lockout (django-axes): AXES_FAILURE_LIMIT failures of one username from one address lock that
username for that address only, on the admin's login form and on the API's token endpoint alike."""

from __future__ import annotations

import datetime as dt

import pytest
from axes.models import AccessAttempt
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from tests.factories import make_user

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"  # tests.factories.make_user
LOGIN = reverse("admin:login")
TOKEN = "/api/v1/auth/token/"
OFFICE = "203.0.113.10"  # one office's address, shared by everyone behind its router
HOME = "198.51.100.7"


@pytest.fixture(autouse=True)
def _defaults(settings):
    # Pinned: the tests count to these, whatever the environment says.
    settings.AXES_FAILURE_LIMIT = 5
    settings.AXES_COOLOFF_TIME = 15 / 60
    settings.NUM_PROXIES = 0
    # The token endpoint's throttle counts in the shared cache, which Redis keeps across tests.
    cache.clear()
    yield
    cache.clear()


def admin_login(client: Client, username: str, password: str, address: str = OFFICE):
    return client.post(
        LOGIN, {"username": username, "password": password, "next": "/admin/"}, REMOTE_ADDR=address
    )


def token_request(username: str, password: str, address: str = OFFICE):
    return APIClient(HTTP_ACCEPT_LANGUAGE="en").post(
        TOKEN, {"username": username, "password": password}, format="json", REMOTE_ADDR=address
    )


def test_the_fifth_failure_locks_the_username_on_that_address_with_a_page_not_an_error():
    make_user(username="alice")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    for _ in range(4):
        response = admin_login(client, "alice", "wrong-password")
        assert response.status_code == 200
        assert b"Please enter the correct username and password" in response.content
    locked = admin_login(client, "alice", "wrong-password")
    assert locked.status_code == 429
    assert locked["Content-Type"].startswith("text/html")
    assert "Try again in 15 minutes." in locked.content.decode()
    assert locked["Retry-After"] == "900"
    # Now the right password does not help either, and nobody is signed in.
    assert admin_login(client, "alice", PASSWORD).status_code == 429
    assert client.get("/admin/").status_code == 302


def test_the_lockout_page_is_in_the_requests_language():
    make_user(username="alice")
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    for _ in range(5):
        response = admin_login(client, "alice", "wrong-password")
    assert response.status_code == 429
    assert 'lang="zh-hans"' in response.content.decode()


def test_a_colleague_on_the_same_address_is_not_locked_out():
    make_user(username="alice")
    make_user(username="bob")
    attacker = Client()
    for _ in range(6):
        admin_login(attacker, "alice", "wrong-password")
    assert admin_login(Client(), "alice", PASSWORD).status_code == 429
    # Bob, behind the same office address, signs in as usual.
    assert admin_login(Client(), "bob", PASSWORD).status_code == 302
    # Alice herself, from another address, too.
    assert admin_login(Client(), "alice", PASSWORD, address=HOME).status_code == 302


def test_the_lockout_ends_after_the_cool_off():
    make_user(username="alice")
    for _ in range(5):
        admin_login(Client(), "alice", "wrong-password")
    assert admin_login(Client(), "alice", PASSWORD).status_code == 429
    AccessAttempt.objects.update(attempt_time=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=16))
    assert admin_login(Client(), "alice", PASSWORD).status_code == 302


def test_a_success_before_the_limit_starts_the_count_again():
    make_user(username="alice")
    for _ in range(4):
        admin_login(Client(), "alice", "wrong-password")
    assert admin_login(Client(), "alice", PASSWORD).status_code == 302
    for _ in range(4):
        assert admin_login(Client(), "alice", "wrong-password").status_code == 200
    # Positive control: the fifth failure in a row still locks.
    assert admin_login(Client(), "alice", "wrong-password").status_code == 429


def test_the_token_endpoint_counts_failures_and_answers_the_lockout_in_json():
    make_user(username="alice")
    make_user(username="bob")
    for _ in range(4):
        assert token_request("alice", "wrong-password").status_code == 400
    locked = token_request("alice", "wrong-password")
    assert locked.status_code == 429
    assert locked.json() == {
        "detail": "Too many failed sign-in attempts for this username from your network address. "
        "Try again in 15 minutes."
    }
    assert locked["Retry-After"] == "900"
    assert token_request("alice", PASSWORD).status_code == 429
    # Positive controls: another user on that address, and the same user elsewhere.
    assert token_request("bob", PASSWORD).status_code == 201
    assert token_request("alice", PASSWORD, address=HOME).status_code == 201


def test_failures_on_the_admin_and_the_api_add_up():
    make_user(username="alice")
    for _ in range(3):
        admin_login(Client(), "alice", "wrong-password")
    assert token_request("alice", "wrong-password").status_code == 400
    assert token_request("alice", "wrong-password").status_code == 429
    assert admin_login(Client(), "alice", PASSWORD).status_code == 429


def test_behind_a_proxy_the_forwarded_address_is_the_one_counted(settings):
    settings.NUM_PROXIES = 1
    make_user(username="alice")
    proxy = "127.0.0.1"
    for _ in range(5):
        Client().post(
            LOGIN,
            {"username": "alice", "password": "wrong-password"},
            REMOTE_ADDR=proxy,
            HTTP_X_FORWARDED_FOR=f"10.9.9.9, {OFFICE}",
        )
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == [OFFICE]
    # Everyone comes through the same proxy: only the office's address is locked for alice.
    elsewhere = Client().post(
        LOGIN, {"username": "alice", "password": PASSWORD}, REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR=HOME
    )
    assert elsewhere.status_code == 302
    office = Client().post(
        LOGIN, {"username": "alice", "password": PASSWORD}, REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR=OFFICE
    )
    assert office.status_code == 429


def test_a_forwarded_value_that_is_no_address_is_counted_without_one(settings):
    settings.NUM_PROXIES = 1
    make_user(username="alice")
    response = Client().post(
        LOGIN,
        {"username": "alice", "password": "wrong-password"},
        REMOTE_ADDR="127.0.0.1",
        HTTP_X_FORWARDED_FOR="not-an-address",
    )
    # PostgreSQL's inet column would refuse the text: the attempt is stored without an address instead.
    assert response.status_code == 200
    assert list(AccessAttempt.objects.values_list("username", "ip_address")) == [("alice", None)]


def test_stored_attempts_keep_no_password():
    make_user(username="alice")
    admin_login(Client(), "alice", "my-secret-guess-1")
    attempt = AccessAttempt.objects.get()
    assert "my-secret-guess-1" not in attempt.post_data
    assert attempt.username == "alice"
