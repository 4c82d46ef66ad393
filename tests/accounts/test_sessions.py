"""The session engine (accounts.sessions): database sessions that carry their user's id in a column, so a user's
sessions are deleted at once, and nobody else's."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts import services
from accounts.models import UserSession
from accounts.sessions import SessionStore
from tests.factories import make_user

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"  # tests.factories.make_user


def signed_in(username: str) -> tuple[Client, object]:
    user = make_user(username=username)
    client = Client()
    response = client.post(reverse("admin:login"), {"username": username, "password": PASSWORD})
    assert response.status_code == 302
    return client, user


def test_the_engine_is_ours():
    assert settings.SESSION_ENGINE == "accounts.sessions"


def test_signing_in_stores_the_users_id_beside_the_session():
    client, user = signed_in("officer")
    session = UserSession.objects.get(session_key=client.cookies[settings.SESSION_COOKIE_NAME].value)
    assert session.user == user
    assert session.get_decoded()["_auth_user_id"] == str(user.pk)


def test_a_session_without_a_user_has_no_user_id():
    store = SessionStore()
    store["language"] = "en"
    store.save()
    assert UserSession.objects.get(session_key=store.session_key).user_id is None


def test_signing_out_deletes_the_users_session():
    client, user = signed_in("officer")
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert client.post(reverse("admin:logout")).status_code == 200
    assert not UserSession.objects.filter(session_key=key).exists()
    assert not UserSession.objects.filter(user=user).exists()


def test_revoking_a_users_credentials_deletes_their_sessions_only():
    first_browser, user = signed_in("officer")
    second_browser = Client()
    second_browser.force_login(user)
    other_browser, other = signed_in("colleague")
    anonymous = SessionStore()
    anonymous["language"] = "en"
    anonymous.save()
    assert UserSession.objects.filter(user=user).count() == 2

    services.user_credentials_revoke(user=user)

    assert not UserSession.objects.filter(user=user).exists()
    assert UserSession.objects.filter(user=other).count() == 1
    assert UserSession.objects.filter(session_key=anonymous.session_key).exists()
    index = reverse("admin:index")
    assert first_browser.get(index).status_code == 302
    assert second_browser.get(index).status_code == 302
    # Positive control: the other user is still signed in.
    assert other_browser.get(index).status_code == 200


def test_expired_sessions_are_cleared_from_our_table():
    _client, user = signed_in("officer")
    stale = SessionStore()
    stale["language"] = "en"
    stale.set_expiry(timezone.now() - dt.timedelta(days=1))
    stale.save()
    SessionStore.clear_expired()
    assert list(UserSession.objects.values_list("user", flat=True)) == [user.pk]
