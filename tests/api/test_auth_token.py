"""/api/v1/auth/token/: tokens issued for a password, used as `Authorization: Token <token>`, revoked by their own
request, and dead together with the user's sessions once the user is deactivated."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging

import pytest
from django.core.cache import cache
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from accounts import services
from accounts.models import ApiToken, UserSession
from accounts.roles import Role
from core.errors import ApplicationError
from tests.factories import make_user

pytestmark = pytest.mark.django_db

URL = "/api/v1/auth/token/"
PASSWORD = "correct-horse-battery"  # tests.factories.make_user
REFUSED = {"non_field_errors": ["Unable to log in with provided credentials."]}


@pytest.fixture(autouse=True)
def _empty_throttle_counts():
    # Throttle counts live in the shared cache; Redis keeps them past each test's rolled-back transaction.
    cache.clear()
    yield
    cache.clear()


def issue(api, user, **fields) -> str:
    response = api.post(URL, {"username": user.username, "password": PASSWORD, **fields}, format="json")
    assert response.status_code == 201, response.content
    return response.json()["token"]


def with_token(token: str) -> APIClient:
    return APIClient(HTTP_ACCEPT_LANGUAGE="en", HTTP_AUTHORIZATION=f"Token {token}")


def lead_ids(response) -> list[int]:
    return [row["id"] for row in response.json()["results"]]


# --- Issuing ------------------------------------------------------------------------------------------------------


def test_a_token_issued_for_the_password_opens_the_api_as_that_user(api, world):
    response = api.post(
        URL, {"username": "officer_a", "password": PASSWORD, "label": "统计脚本"}, format="json"
    )
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"token", "prefix", "label", "created_at"}
    assert body["prefix"] == body["token"][:8]
    assert body["label"] == "统计脚本"
    # The secret must not linger in a browser's or a proxy's cache.
    assert response["Cache-Control"] == "no-store"
    listed = with_token(body["token"]).get("/api/v1/leads/")
    assert listed.status_code == 200
    assert lead_ids(listed) == [world.lead.pk]
    # The same list as officer_b's token: the token is the user's, scope included.
    assert lead_ids(with_token(issue(api, world.officer_b)).get("/api/v1/leads/")) == []


def test_without_any_credentials_the_api_answers_401_with_a_token_challenge(api, world):
    response = api.get("/api/v1/leads/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json() == {"detail": "Authentication credentials were not provided."}


def test_a_wrong_password_and_an_unknown_user_are_refused_with_one_message(api, world):
    wrong_password = api.post(URL, {"username": "officer_a", "password": "guess"}, format="json")
    unknown_user = api.post(URL, {"username": "nobody", "password": PASSWORD}, format="json")
    assert wrong_password.status_code == unknown_user.status_code == 400
    assert wrong_password.json() == unknown_user.json() == REFUSED
    assert not ApiToken.objects.exists()


def test_an_inactive_user_is_refused_with_the_same_message(api, world):
    world.officer_b.is_active = False
    world.officer_b.save()
    response = api.post(URL, {"username": "officer_b", "password": PASSWORD}, format="json")
    assert response.status_code == 400
    assert response.json() == REFUSED
    # Positive control: the same request for an active user.
    assert api.post(URL, {"username": "officer_a", "password": PASSWORD}, format="json").status_code == 201


def test_an_unknown_field_is_refused_not_ignored(api, world):
    response = api.post(URL, {"username": "officer_a", "pasword": PASSWORD, "scope": "all"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"pasword": ["Unknown field."], "scope": ["Unknown field."]}
    assert not ApiToken.objects.exists()


def test_an_otp_field_is_accepted(api, world):
    # An officer needs no second factor (accounts.services.second_factor_required): a code sent anyway is ignored.
    response = api.post(URL, {"username": "officer_a", "password": PASSWORD, "otp": "123456"}, format="json")
    assert response.status_code == 201


def test_a_second_factor_requirement_refuses_the_password_alone(api, world, monkeypatch):
    monkeypatch.setattr("accounts.api.serializers.second_factor_required", lambda user: True)
    response = api.post(URL, {"username": "officer_a", "password": PASSWORD}, format="json")
    assert response.status_code == 400
    assert response.json() == REFUSED


def test_asking_for_a_token_ignores_a_session_and_needs_no_csrf_token(world):
    browser = APIClient(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    browser.force_login(world.officer_b)
    response = browser.post(URL, {"username": "officer_a", "password": PASSWORD}, format="json")
    assert response.status_code == 201
    assert ApiToken.objects.get().user == world.officer_a


def test_refusals_are_in_the_requests_language(world):
    body = {"username": "officer_a", "password": "guess"}
    english = APIClient(HTTP_ACCEPT_LANGUAGE="en").post(URL, body, format="json")
    chinese = APIClient(HTTP_ACCEPT_LANGUAGE="zh-hans").post(URL, body, format="json")
    assert english.json() == REFUSED
    assert chinese.json() == {"non_field_errors": ["无法使用提供的认证信息登录。"]}


def test_the_eleventh_request_for_a_token_within_a_minute_is_429(api, world):
    # Ten usernames, one failure each: the lockout (five failures of one username) plays no part here.
    for number in range(10):
        body = {"username": f"nobody{number}", "password": "guess"}
        assert api.post(URL, body, format="json").status_code == 400
    # Refused before the password is even checked: the right one does not help now.
    response = api.post(URL, {"username": "officer_a", "password": PASSWORD}, format="json")
    assert response.status_code == 429
    assert not ApiToken.objects.exists()


# --- Second factor ---------------------------------------------------------------------------------------------------


def current_code(device: TOTPDevice) -> str:
    return f"{TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift).token():0{device.digits}d}"


@pytest.fixture
def otp_admin(db, settings):
    settings.OTP_REQUIRED_FOR_ADMINS = True
    # Each test starts with a device that has never failed: django-otp slows a device down after a failure.
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    admin = make_user(Role.ADMINISTRATOR, username="admin1")
    return admin, TOTPDevice.objects.create(user=admin, name="phone", confirmed=True)


def test_an_administrator_needs_the_current_code_for_a_token(api, world, otp_admin):
    admin, device = otp_admin
    wrong = "000000" if current_code(device) != "000000" else "111111"
    for extra in ({}, {"otp": ""}, {"otp": wrong}):
        response = api.post(URL, {"username": "admin1", "password": PASSWORD, **extra}, format="json")
        assert response.status_code == 400
        assert response.json() == REFUSED
    assert not ApiToken.objects.exists()
    response = api.post(
        URL, {"username": "admin1", "password": PASSWORD, "otp": current_code(device)}, format="json"
    )
    assert response.status_code == 201
    assert ApiToken.objects.get().user == admin


def test_a_code_gets_one_token_only(api, world, otp_admin):
    _admin, device = otp_admin
    body = {"username": "admin1", "password": PASSWORD, "otp": current_code(device)}
    assert api.post(URL, body, format="json").status_code == 201
    assert api.post(URL, body, format="json").json() == REFUSED


def test_with_the_requirement_other_users_need_no_code(api, world, otp_admin):
    assert api.post(URL, {"username": "officer_a", "password": PASSWORD}, format="json").status_code == 201


def test_without_the_requirement_an_administrator_needs_no_code(api, world, otp_admin, settings):
    settings.OTP_REQUIRED_FOR_ADMINS = False
    assert api.post(URL, {"username": "admin1", "password": PASSWORD}, format="json").status_code == 201


def test_wrong_codes_lock_the_administrator_out_like_wrong_passwords(api, world, otp_admin, settings):
    settings.AXES_FAILURE_LIMIT = 3
    _admin, device = otp_admin
    for _ in range(2):
        assert api.post(URL, {"username": "admin1", "password": PASSWORD}, format="json").status_code == 400
    assert api.post(URL, {"username": "admin1", "password": PASSWORD}, format="json").status_code == 429
    body = {"username": "admin1", "password": PASSWORD, "otp": current_code(device)}
    assert api.post(URL, body, format="json").status_code == 429


# --- Storage ------------------------------------------------------------------------------------------------------


def test_only_the_secrets_hash_is_stored_and_the_secret_is_not_logged(api, world, caplog):
    with caplog.at_level(logging.INFO, logger="accounts.auth"):
        secret = issue(api, world.officer_a)
    token = ApiToken.objects.get()
    assert token.key_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert token.key_hash != secret
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {ApiToken._meta.db_table}")  # noqa: S608 (our own table name)
        rows = cursor.fetchall()
    assert len(rows) == 1
    assert not any(secret in str(value) for value in rows[0])
    assert [record.getMessage() for record in caplog.records] == ["api_token_issued"]
    assert secret not in caplog.text
    assert caplog.records[0].prefix == secret[:8]


def test_last_used_is_written_at_most_once_a_minute(world, monkeypatch):
    token, secret = services.api_token_issue(user=world.officer_a)
    start = timezone.now()
    monkeypatch.setattr(timezone, "now", lambda: start)
    assert services.api_token_authenticate(key=secret) == token
    assert ApiToken.objects.get().last_used_at == start
    monkeypatch.setattr(timezone, "now", lambda: start + dt.timedelta(seconds=59))
    services.api_token_authenticate(key=secret)
    assert ApiToken.objects.get().last_used_at == start
    monkeypatch.setattr(timezone, "now", lambda: start + dt.timedelta(seconds=61))
    services.api_token_authenticate(key=secret)
    assert ApiToken.objects.get().last_used_at == start + dt.timedelta(seconds=61)


# --- Using ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("Token", "Invalid token header. No credentials provided."),
        ("Token abc def", "Invalid token header. Token string should not contain spaces."),
        ("Token caf\u00e9", "Invalid token header. Token string should not contain invalid characters."),
    ],
)
def test_a_malformed_token_header_is_401(api, world, header, message):
    api.credentials(HTTP_AUTHORIZATION=header)
    response = api.get("/api/v1/leads/")
    assert response.status_code == 401
    assert response.json() == {"detail": message}
    assert response["WWW-Authenticate"] == "Token"


def test_an_unknown_token_is_401(api, world):
    issue(api, world.officer_a)
    response = with_token("not-a-token-anyone-was-given").get("/api/v1/leads/")
    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid token."}


def test_a_token_of_a_user_deactivated_without_signals_is_401(api, world):
    secret = issue(api, world.officer_a)
    # A bulk update sends no post_save: the authenticator itself refuses the inactive user.
    type(world.officer_a).objects.filter(pk=world.officer_a.pk).update(is_active=False)
    response = with_token(secret).get("/api/v1/leads/")
    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid token."}


def test_a_token_authenticated_list_costs_one_query_for_token_and_user(api, world, django_assert_num_queries):
    secret = issue(api, world.officer_a)
    client = with_token(secret)
    # 1. the token joined to its user (in place of a session's session and user queries), 2. its last_used_at
    # (the first use within the minute), then as in tests/api/test_query_counts.py: 3. whether the user is an
    # administrator, 4. the user's unit memberships, 5. the user's own permissions, 6. their groups'
    # permissions, 7. COUNT(*) of the visible leads, 8. the page, 9. the page's co-owner ids.
    with django_assert_num_queries(9):
        assert client.get("/api/v1/leads/").status_code == 200
    # Within the minute, no write: 1 and 3-9.
    with django_assert_num_queries(8):
        assert client.get("/api/v1/leads/").status_code == 200


# --- Revoking ------------------------------------------------------------------------------------------------------


def test_a_token_revokes_itself_and_is_401_from_then_on(api, world):
    revoked, kept = issue(api, world.officer_a), issue(api, world.officer_a)
    response = with_token(revoked).delete(URL)
    assert response.status_code == 204
    assert with_token(revoked).get("/api/v1/leads/").status_code == 401
    assert with_token(revoked).delete(URL).status_code == 401
    # Only that token: the user's other token still works.
    assert with_token(kept).get("/api/v1/leads/").status_code == 200
    assert list(ApiToken.objects.values_list("prefix", flat=True)) == [kept[:8]]


def test_a_session_cannot_revoke_a_token(api, world):
    issue(api, world.officer_a)
    api.force_login(world.officer_a)
    response = api.delete(URL)
    assert response.status_code == 400
    assert response.json() == {
        "non_field_errors": [
            "Only a request authenticated with a token can revoke it: send the token to revoke as "
            "“Authorization: Token <token>”."
        ]
    }
    assert ApiToken.objects.count() == 1


def test_revoking_needs_credentials(api, world):
    response = api.delete(URL)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


# --- Deactivation --------------------------------------------------------------------------------------------------


def signed_in(user) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    assert client.get("/api/v1/leads/").status_code == 200
    return client


def test_deactivating_a_user_kills_their_tokens_and_sessions_and_no_one_elses(api, world):
    secret, others_secret = issue(api, world.officer_a), issue(api, world.officer_b)
    session, others_session = signed_in(world.officer_a), signed_in(world.officer_b)
    admin = make_user(Role.ADMINISTRATOR, username="admin1")

    services.user_deactivate(actor=admin, user=world.officer_a)

    assert with_token(secret).get("/api/v1/leads/").status_code == 401
    assert session.get("/api/v1/leads/").status_code == 401
    assert not UserSession.objects.filter(user=world.officer_a).exists()
    # Positive control: officer_b's token and session are untouched.
    assert with_token(others_secret).get("/api/v1/leads/").status_code == 200
    assert others_session.get("/api/v1/leads/").status_code == 200
    officer = type(world.officer_a).objects.get(pk=world.officer_a.pk)
    assert not officer.is_active
    assert officer.history.first().history_user == admin


def test_a_user_cannot_deactivate_themselves(world):
    admin = make_user(Role.ADMINISTRATOR, username="admin1")
    with pytest.raises(ApplicationError):
        services.user_deactivate(actor=admin, user=admin)
    admin.refresh_from_db()
    assert admin.is_active


def test_unticking_active_in_the_admins_user_form_kills_tokens_and_sessions(api, world, admin_client):
    secret = issue(api, world.officer_b)
    session = signed_in(world.officer_b)
    membership = world.officer_b.memberships.get()
    response = admin_client.post(
        reverse("admin:accounts_user_change", args=[world.officer_b.pk]),
        {
            "username": "officer_b",
            # is_active left out: the box is unticked.
            "is_staff": "on",
            "date_joined_0": "2026-01-05",
            "date_joined_1": "09:00:00",
            "groups": [group.pk for group in world.officer_b.groups.all()],
            "memberships-TOTAL_FORMS": "1",
            "memberships-INITIAL_FORMS": "1",
            "memberships-MIN_NUM_FORMS": "0",
            "memberships-MAX_NUM_FORMS": "1000",
            "memberships-0-id": membership.pk,
            "memberships-0-user": world.officer_b.pk,
            "memberships-0-unit": membership.unit_id,
            "memberships-0-role": membership.role,
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert with_token(secret).get("/api/v1/leads/").status_code == 401
    assert session.get("/api/v1/leads/").status_code == 401
    # The administrator's own session is another user's: it survives.
    assert admin_client.get(reverse("admin:accounts_user_changelist")).status_code == 200


def test_the_admins_deactivate_action_calls_the_service(api, world, admin_client):
    secret = issue(api, world.officer_b)
    response = admin_client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "deactivate", "_selected_action": [world.officer_b.pk]},
    )
    assert response.status_code == 302
    assert with_token(secret).get("/api/v1/leads/").status_code == 401
    world.officer_b.refresh_from_db()
    assert not world.officer_b.is_active
    world.officer_a.refresh_from_db()
    assert world.officer_a.is_active


# --- Admin ---------------------------------------------------------------------------------------------------------


def test_the_token_list_shows_prefixes_never_hashes_and_revokes_through_the_service(
    api, world, admin_client, caplog
):
    revoked, kept = issue(api, world.officer_a, label="周报脚本"), issue(api, world.officer_b)
    page = admin_client.get(reverse("admin:accounts_apitoken_changelist"), {"q": revoked[:8]})
    assert page.status_code == 200
    html = page.content.decode()
    assert f"{revoked[:8]}…" in html
    assert "周报脚本" in html
    assert kept[:8] not in html
    assert ApiToken.objects.get(prefix=revoked[:8]).key_hash not in html
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="accounts.auth"):
        response = admin_client.post(
            reverse("admin:accounts_apitoken_changelist"),
            {"action": "revoke", "_selected_action": [ApiToken.objects.get(prefix=revoked[:8]).pk]},
        )
    assert response.status_code == 302
    assert [record.getMessage() for record in caplog.records] == ["api_token_revoked"]
    assert with_token(revoked).get("/api/v1/leads/").status_code == 401
    assert with_token(kept).get("/api/v1/leads/").status_code == 200


def test_tokens_cannot_be_added_or_edited_in_the_admin(api, world, admin_client):
    issue(api, world.officer_a)
    token = ApiToken.objects.get()
    assert admin_client.get(reverse("admin:accounts_apitoken_add")).status_code == 403
    response = admin_client.post(
        reverse("admin:accounts_apitoken_change", args=[token.pk]),
        {"label": "改名", "user": world.officer_b.pk},
    )
    assert response.status_code == 403
    assert ApiToken.objects.get().label == ""


# --- Schema --------------------------------------------------------------------------------------------------------


def test_the_schema_declares_the_token_scheme(api, world):
    api.force_login(world.officer_a)
    schema = json.loads(api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").content)
    scheme = schema["components"]["securitySchemes"]["tokenAuth"]
    assert {key: scheme[key] for key in ("type", "in", "name")} == {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
    }
    assert scheme["description"].startswith("Token <key>")
    token_path = schema["paths"]["/api/v1/auth/token/"]
    # Asking for a token takes no credentials; revoking takes the token (or a session, answered 400).
    assert token_path["post"]["security"] == [{}]
    assert {"tokenAuth": []} in token_path["delete"]["security"]
    assert {"tokenAuth": []} in schema["paths"]["/api/v1/leads/"]["get"]["security"]
