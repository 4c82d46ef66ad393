"""The database going away under a request (a restart, a fail-over, a dropped connection): the answer is a fast
503 with Retry-After — JSON under /api/, the site's page elsewhere, in the visitor's language — never a 500 or a
trace; a write interrupted half-way leaves nothing behind; the next request after the database is back succeeds
on the same process. Any other uncaught error stays a 500.

The outage is simulated at the lowest level Django has, the cursor wrapper every query (the database cache's
and the session store's included) goes through: statements raise the `OperationalError` psycopg's "connection
refused" becomes. Savepoint statements are let through, since in the suite each test runs inside a transaction
that must still be rolled back at its end.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from unittest import mock

import pytest
from django.db import InterfaceError, OperationalError
from django.db.backends.utils import CursorWrapper
from django.test import Client, override_settings
from django.urls import path
from django.utils import translation
from rest_framework.test import APIClient

from accounts.models import UnitMembership, User
from accounts.roles import Role
from accounts.services import api_token_issue
from config.urls import handler404, handler500
from config.urls import urlpatterns as project_urlpatterns
from core.views import DATABASE_RETRY_AFTER_SECONDS
from projects.models import Lead, StageChange
from tests.factories import join, make_lead, make_unit, make_user

pytestmark = pytest.mark.django_db

UNAVAILABLE = "The service is briefly unavailable. Please try again in a few seconds."
QUALIFIED_EVIDENCE = {"assessment": "团队有两项 PCT 专利，技术成熟度 TRL 5。", "decision": "follow"}
_TRANSACTION_CONTROL = re.compile(r"^\s*(SAVEPOINT|RELEASE SAVEPOINT|ROLLBACK TO SAVEPOINT)\b", re.IGNORECASE)
_original = CursorWrapper._execute_with_wrappers


@contextlib.contextmanager
def database_down(
    error: Exception | None = None, *, only: str | None = None, counter: list[str] | None = None
) -> Iterator[None]:
    """Every statement (or only those matching `only`) raises `error`; `counter` collects the statements refused,
    so a test can show the outage was really met."""
    error = error or OperationalError(
        'connection to server at "127.0.0.1", port 5432 failed: Connection refused'
    )
    refused = counter if counter is not None else []

    def execute(self, sql, params, many, executor):
        if _TRANSACTION_CONTROL.match(sql) or (only and not re.search(only, sql, re.IGNORECASE)):
            return _original(self, sql, params, many, executor)
        refused.append(sql)
        raise error

    with mock.patch.object(CursorWrapper, "_execute_with_wrappers", execute):
        yield


@dataclass
class World:
    officer_a: User
    manager_a: User
    lead: Lead


@pytest.fixture
def world() -> World:
    unit = make_unit("香港合作处")
    officer = join(make_user(Role.OFFICER, username="officer_a"), unit)
    manager = join(make_user(Role.MANAGER, username="manager_a"), unit, UnitMembership.Role.MANAGER)
    return World(officer, manager, make_lead(owner=officer, unit=unit, name="港科大 量子计算研发团队"))


def in_language(language: str, msgid: str) -> str:
    with translation.override(language):
        return translation.gettext(msgid)


def token_client(user) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en", raise_request_exception=False)
    _token, secret = api_token_issue(user=user, label="outage")
    client.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    return client


# --- Reads -----------------------------------------------------------------------------------------------------


@override_settings(DEBUG=False)
def test_the_api_answers_503_json_with_retry_after_and_recovers(world):
    client = token_client(world.officer_a)
    assert client.get("/api/v1/leads/").status_code == 200  # positive control before the outage

    refused: list[str] = []
    with database_down(counter=refused):
        response = client.get("/api/v1/leads/")

    assert refused, "the request met no database statement: the outage was not simulated"
    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": UNAVAILABLE}
    assert response["Retry-After"] == str(DATABASE_RETRY_AFTER_SECONDS)
    assert "no-store" in response["Cache-Control"]
    assert "Connection refused" not in response.content.decode()
    # Back again: the same client, the same process, 200.
    response = client.get("/api/v1/leads/")
    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [world.lead.pk]


@override_settings(DEBUG=False)
@pytest.mark.parametrize("language", ["zh-hans", "zh-hant", "en"])
def test_a_page_answers_the_503_page_in_the_visitors_language(world, language):
    client = Client(HTTP_ACCEPT_LANGUAGE=language, raise_request_exception=False)
    client.force_login(world.manager_a)
    assert client.get("/admin/projects/lead/").status_code == 200

    with database_down():
        response = client.get("/admin/projects/lead/")

    assert response.status_code == 503
    assert response["Retry-After"] == str(DATABASE_RETRY_AFTER_SECONDS)
    html = response.content.decode()
    assert f'<html lang="{language}">' in html
    assert f"<h1>{in_language(language, 'Briefly unavailable')}</h1>" in html
    assert in_language(language, UNAVAILABLE) in html
    for leak in ("Traceback", "OperationalError", "5432", "Connection refused"):
        assert leak not in html


def test_the_503_texts_differ_in_the_three_languages():
    # Guards the test above: the page's texts come from catalogs that translate them.
    assert len({in_language(language, UNAVAILABLE) for language in ("zh-hans", "zh-hant", "en")}) == 3
    assert (
        len({in_language(language, "Briefly unavailable") for language in ("zh-hans", "zh-hant", "en")}) == 3
    )


@override_settings(DEBUG=False)
@pytest.mark.parametrize(
    "error",
    [
        OperationalError("FATAL:  terminating connection due to administrator command"),
        OperationalError("FATAL:  the database system is shutting down"),
        InterfaceError("connection already closed"),
    ],
    ids=["terminated", "shutting-down", "closed"],
)
def test_each_way_the_database_goes_away_is_a_503(world, error):
    client = Client(HTTP_ACCEPT_LANGUAGE="en", raise_request_exception=False)
    client.force_login(world.officer_a)
    with database_down(error):
        response = client.get("/reports/")
    assert response.status_code == 503
    assert response["Retry-After"] == str(DATABASE_RETRY_AFTER_SECONDS)


@override_settings(DEBUG=False)
def test_the_outage_is_logged_with_its_error(world, caplog):
    client = token_client(world.officer_a)
    with caplog.at_level(logging.ERROR, logger="django.request"), database_down():
        client.get("/api/v1/leads/")
    [record] = [r for r in caplog.records if r.name == "django.request"]
    assert record.status_code == 503
    assert isinstance(record.exc_info[1], OperationalError)


# --- Writes ----------------------------------------------------------------------------------------------------


@override_settings(DEBUG=False)
def test_a_stage_move_cut_off_at_its_last_write_leaves_the_lead_where_it_was(world):
    """lead_advance writes the StageChange, then saves the lead and its history row: the database failing at
    that last insert must take the StageChange and the lead's update back with it."""
    client = token_client(world.officer_a)
    body = {"to_stage": "QUALIFIED", "evidence": QUALIFIED_EVIDENCE}
    url = f"/api/v1/leads/{world.lead.pk}/transitions/"
    changes = StageChange.objects.filter(lead=world.lead).count()
    history = Lead.history.filter(id=world.lead.pk).count()

    refused: list[str] = []
    with database_down(only=r'^\s*INSERT INTO "projects_historicallead"', counter=refused):
        response = client.post(url, body, format="json")

    assert refused, "the move never reached the lead's history insert"
    assert response.status_code == 503
    world.lead.refresh_from_db()
    assert world.lead.stage == "LEAD"
    assert StageChange.objects.filter(lead=world.lead).count() == changes
    assert Lead.history.filter(id=world.lead.pk).count() == history
    # Positive control: the same move with the database back goes through whole.
    response = client.post(url, body, format="json")
    assert response.status_code == 201
    world.lead.refresh_from_db()
    assert world.lead.stage == "QUALIFIED"
    assert StageChange.objects.filter(lead=world.lead).count() == changes + 1


# --- Other errors stay 500 -------------------------------------------------------------------------------------


def boom(request):
    raise RuntimeError("secret detail: the connection string")


def api_boom(request):
    raise ValueError("secret detail: a bug")


urlpatterns = [path("boom/", boom), path("api/boom/", api_boom), *project_urlpatterns]
__all__ = ["handler404", "handler500", "urlpatterns"]


@override_settings(DEBUG=False, ROOT_URLCONF=__name__)
def test_a_bug_under_the_api_is_a_json_500_without_its_detail():
    response = Client(HTTP_ACCEPT_LANGUAGE="en", raise_request_exception=False).get("/api/boom/")
    assert response.status_code == 500
    assert response.json() == {"detail": "A server error occurred."}
    assert "Retry-After" not in response


@override_settings(DEBUG=False, ROOT_URLCONF=__name__)
def test_a_bug_elsewhere_is_the_500_page_not_the_503():
    response = Client(HTTP_ACCEPT_LANGUAGE="en", raise_request_exception=False).get("/boom/")
    assert response.status_code == 500
    html = response.content.decode()
    assert "<h1>Server error</h1>" in html
    assert "Retry-After" not in response
    assert "secret detail" not in html
