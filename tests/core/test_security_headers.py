"""Response headers on the start page, the admin's login and the API, anonymous and signed in: the
Content-Security-Policy (the admin's relaxed one and its report-only twin), Referrer-Policy, nosniff, DENY framing,
no-store wherever personal data may be; HSTS and secure cookies as production computes them; `check --deploy`
with production values; the 404 and 500 pages in three languages without a stack trace."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys

import pytest
from django.conf import settings
from django.test import Client, override_settings
from django.urls import path
from django.utils import translation

from accounts import services as account_services
from accounts.roles import Role
from config.urls import urlpatterns as project_urlpatterns
from tests.core.test_settings import PRODUCTION, ROOT, run_django
from tests.factories import join, make_unit, make_user

pytestmark = pytest.mark.django_db

STRICT = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "object-src": ["'none'"],
    "frame-ancestors": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
}
# The admin's enforced policy: the strict one, plus inline styles (core.middleware.ContentSecurityPolicyMiddleware).
ADMIN = {**STRICT, "style-src": ["'self'", "'unsafe-inline'"]}
PAGES = ["/", "/admin/login/", "/api/v1/leads/"]
# check --deploy wants a key of 50+ characters with some variety; a fresh one each run, never a fixed secret.
DEPLOY = {
    **PRODUCTION,
    "SECRET_KEY": secrets.token_urlsafe(50),
    "CSRF_TRUSTED_ORIGINS": "https://pipeline.example.gov.cn",
}


def policy(header: str) -> dict[str, list[str]]:
    """The directives of a policy header; django-csp writes them in no fixed order."""
    directives = [part.split() for part in header.split(";") if part.strip()]
    parsed = {name: values for name, *values in directives}
    assert len(parsed) == len(directives), f"a directive is repeated: {header}"
    return parsed


@pytest.fixture
def officer():
    return join(make_user(Role.OFFICER, username="officer"), make_unit("香港合作处"))


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- Headers on every kind of page ----------------------------------------------------------------------------


@pytest.mark.parametrize("url", PAGES)
@pytest.mark.parametrize("who", ["anonymous", "officer"])
def test_every_page_sends_the_policy_and_the_fixed_security_headers(url, who, officer):
    client = Client() if who == "anonymous" else signed_in(officer)
    response = client.get(url)
    assert response.status_code < 500
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    if url.startswith("/admin/"):
        assert policy(response["Content-Security-Policy"]) == ADMIN
        assert policy(response["Content-Security-Policy-Report-Only"]) == STRICT
    else:
        assert policy(response["Content-Security-Policy"]) == STRICT
        assert "Content-Security-Policy-Report-Only" not in response


def test_the_admin_relaxation_reaches_no_further_than_the_admin(officer):
    client = signed_in(officer)
    for url in ("/admin/", "/admin/projects/lead/"):
        assert policy(client.get(url)["Content-Security-Policy"]) == ADMIN
    # A path that merely contains "admin" is not the admin.
    for url in ("/reports/", "/inbox/", "/m/log/", "/x/admin/"):
        response = client.get(url)
        assert policy(response["Content-Security-Policy"]) == STRICT, url
        assert "Content-Security-Policy-Report-Only" not in response, url


def test_a_report_uri_goes_into_both_policies():
    directives = {
        **settings.CONTENT_SECURITY_POLICY["DIRECTIVES"],
        "report-uri": ["https://csp.example.gov.cn/r"],
    }
    with override_settings(CONTENT_SECURITY_POLICY={"DIRECTIVES": directives}):
        page = Client().get("/admin/login/")
    assert policy(page["Content-Security-Policy"]) == {
        **ADMIN,
        "report-uri": ["https://csp.example.gov.cn/r"],
    }
    assert policy(page["Content-Security-Policy-Report-Only"]) == {
        **STRICT,
        "report-uri": ["https://csp.example.gov.cn/r"],
    }


# --- Cache-Control: no-store -------------------------------------------------------------------------------------


def no_store(response) -> bool:
    return "no-store" in [part.strip() for part in response.get("Cache-Control", "").split(",")]


@pytest.mark.parametrize("url", [*PAGES, "/admin/", "/reports/", "/inbox/", "/m/log/", "/api/v1/contacts/"])
def test_every_response_to_a_signed_in_user_is_no_store(url, officer):
    response = signed_in(officer).get(url)
    assert no_store(response), (url, response.status_code, response.get("Cache-Control"))
    assert "private" in response["Cache-Control"]


def test_api_responses_are_no_store_also_for_a_token_and_for_nobody(officer):
    _, key = account_services.api_token_issue(user=officer)
    with_token = Client(HTTP_AUTHORIZATION=f"Token {key}")
    response = with_token.get("/api/v1/leads/")
    # Session-less: the middleware learns the user only from the API view's authentication.
    assert response.status_code == 200
    assert no_store(response)
    refused = Client().get("/api/v1/leads/")
    assert refused.status_code == 401
    assert no_store(refused)


def test_anonymous_pages_outside_the_api_are_left_to_their_views():
    # Positive control beside the rule above: the middleware does not stamp everything. The admin's login view
    # says no-store itself (never_cache), the start page's redirect does not.
    assert no_store(Client().get("/admin/login/"))
    start = Client().get("/")
    assert start.status_code == 302
    assert not no_store(start)


def test_a_view_that_chose_its_own_no_store_keeps_its_exact_header(officer):
    # The health check is never_cache; the middleware leaves a header that already says no-store as it is.
    response = signed_in(officer).get("/healthz")
    assert response["Cache-Control"] == "max-age=0, no-cache, no-store, must-revalidate, private"


@override_settings(WHITENOISE_USE_FINDERS=True, WHITENOISE_AUTOREFRESH=True)
def test_static_files_stay_cacheable_for_a_signed_in_user(officer):
    response = signed_in(officer).get("/static/css/mobile.css")
    assert response.status_code == 200
    assert not no_store(response)
    # The policy still comes along (an SVG opened on its own is a document too).
    assert policy(response["Content-Security-Policy"]) == STRICT


# --- HSTS and cookies -----------------------------------------------------------------------------------------


@override_settings(
    SECURE_HSTS_SECONDS=31536000,
    SECURE_HSTS_INCLUDE_SUBDOMAINS=True,
    SECURE_HSTS_PRELOAD=False,
    SESSION_COOKIE_SECURE=True,
    CSRF_COOKIE_SECURE=True,
)
def test_over_https_hsts_is_sent_and_the_cookies_are_secure_and_http_only(officer):
    client = Client()
    login_page = client.get("/admin/login/", secure=True)
    assert login_page["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    csrf = login_page.cookies[settings.CSRF_COOKIE_NAME]
    assert csrf["secure"]
    assert csrf["httponly"]
    signed = client.post(
        "/admin/login/?next=/admin/",
        {"username": "officer", "password": "correct-horse-battery"},  # tests.factories.make_user
        secure=True,
    )
    assert signed.status_code == 302, signed.content
    session = signed.cookies[settings.SESSION_COOKIE_NAME]
    assert session["secure"]
    assert session["httponly"]
    # Plain http never gets the HSTS header (browsers would ignore it there anyway).
    assert "Strict-Transport-Security" not in Client().get("/admin/login/")


SECURITY_VALUES = (
    "from django.conf import settings as s; print(s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS,"
    " s.SECURE_HSTS_PRELOAD, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY,"
    " s.CSRF_COOKIE_HTTPONLY, s.SECURE_SSL_REDIRECT, ','.join(s.CSRF_TRUSTED_ORIGINS) or '-')"
)


def test_production_computes_hsts_for_a_year_and_secure_cookies():
    result = run_django(SECURITY_VALUES, **DEPLOY)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "31536000",
        "True",
        "False",
        "True",
        "True",
        "True",
        "True",
        "True",
        "https://pipeline.example.gov.cn",
    ]


def test_production_hsts_follows_the_environment():
    result = run_django(
        SECURITY_VALUES,
        **DEPLOY,
        SECURE_HSTS_SECONDS="600",
        SECURE_HSTS_PRELOAD="true",
        SECURE_SSL_REDIRECT="false",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[:3] == ["600", "True", "True"]
    assert result.stdout.split()[7] == "False"


def test_the_embedded_demo_keeps_plain_http_cookies():
    result = run_django(
        "from django.conf import settings as s; print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE,"
        " s.SECURE_HSTS_SECONDS, s.SESSION_COOKIE_HTTPONLY)"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "False", "0", "True"]


# The browser tests' conftest sets DJANGO_ALLOW_ASYNC_UNSAFE in this process; check --deploy rightly refuses it.
NOT_INHERITED = {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"}


def check_deploy(**env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in NOT_INHERITED}
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={**clean, **DEPLOY, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_check_deploy_passes_with_production_values():
    result = check_deploy()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_fails_without_hsts():
    # The same command can fail: without HSTS Django's deployment check warns, and warnings fail it.
    result = check_deploy(SECURE_HSTS_SECONDS="0")
    assert result.returncode != 0
    assert "security.W004" in result.stdout + result.stderr


# --- 404 and 500 --------------------------------------------------------------------------------------------------


def boom(request):
    raise RuntimeError("secret detail: the connection string")


urlpatterns = [path("boom/", boom), *project_urlpatterns]
LANGUAGES = [("zh-Hans", "zh-hans"), ("zh-Hant", "zh-hant"), ("en", "en")]


def expected(language: str, *msgids: str) -> list[str]:
    with translation.override(language):
        return [translation.gettext(msgid) for msgid in msgids]


@override_settings(DEBUG=False)
@pytest.mark.parametrize(("accept", "language"), LANGUAGES)
def test_404_speaks_the_visitors_language(accept, language):
    response = Client(HTTP_ACCEPT_LANGUAGE=accept).get("/no/such/page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert f'<html lang="{language}">' in html
    heading, text = expected(
        language, "Page not found", "This page does not exist, or it is not open to you."
    )
    assert f"<h1>{heading}</h1>" in html
    assert text in html
    assert "/no/such/page/" not in html
    assert policy(response["Content-Security-Policy"]) == STRICT


@override_settings(DEBUG=False, ROOT_URLCONF=__name__)
@pytest.mark.parametrize(("accept", "language"), LANGUAGES)
def test_500_speaks_the_visitors_language_and_shows_no_trace(accept, language):
    client = Client(HTTP_ACCEPT_LANGUAGE=accept, raise_request_exception=False)
    response = client.get("/boom/")
    assert response.status_code == 500
    html = response.content.decode()
    assert f'<html lang="{language}">' in html
    heading, text = expected(
        language,
        "Server error",
        "Something went wrong on our side and it has been logged. Please try again in a few minutes.",
    )
    assert f"<h1>{heading}</h1>" in html
    assert text in html
    for leak in ("Traceback", "RuntimeError", "secret detail", "boom"):
        assert leak not in html
    assert policy(response["Content-Security-Policy"]) == STRICT


def test_the_three_languages_really_differ():
    # Guards the two tests above: the headings they compare come from catalogs that translate them.
    assert len({expected(language, "Page not found")[0] for _, language in LANGUAGES}) == 3
    assert len({expected(language, "Server error")[0] for _, language in LANGUAGES}) == 3
