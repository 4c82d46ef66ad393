"""GET /api/v1/funnel/: the funnel selector's numbers as JSON, for the dashboard's viewers only."""

from __future__ import annotations

import json

import pytest
from rest_framework.test import APIClient

from accounts.models import UnitMembership
from accounts.roles import Role
from projects.models import LeadType
from projects.stages import Track
from reporting.funnel import funnel
from tests.factories import join, make_user
from tests.reporting.test_funnel import MARCH_FUNNEL, history, march, march_cohort

pytestmark = pytest.mark.django_db

URL = "/api/v1/funnel/"
IN_MARCH = {"from": "2025-03-01", "to": "2025-03-31"}


@pytest.fixture(autouse=True)
def _no_report_cache(settings):
    settings.REPORT_CACHE_SECONDS = 0


@pytest.fixture
def api() -> APIClient:
    """Messages are asserted as their English msgids."""
    return APIClient(HTTP_ACCEPT_LANGUAGE="en")


def signed_in(api: APIClient, user) -> APIClient:
    api.force_login(user)
    return api


def test_the_endpoint_answers_the_selectors_funnel(api, world):
    march_cohort(world)
    response = signed_in(api, world.manager_a).get(URL, IN_MARCH)
    assert response.status_code == 200
    assert response.json() == funnel(world.manager_a, march())
    assert response.json() == MARCH_FUNNEL


def test_the_endpoint_applies_and_echoes_the_filters(api, world):
    march_cohort(world)
    params = {**IN_MARCH, "track": Track.TALENT, "unit": world.unit_a.pk, "owner": world.a.pk}
    body = signed_in(api, world.manager_a).get(URL, params).json()
    assert body == funnel(world.manager_a, march(track=Track.TALENT, unit=world.unit_a, owner=world.a))
    assert body["filters"] == {
        "from": "2025-03-01",
        "to": "2025-03-31",
        "track": "talent",
        "lead_type": None,
        "carrier": None,
        "sector": None,
        "unit": world.unit_a.pk,
        "owner": world.a.pk,
        "event": None,
        "organization": None,
    }
    assert body["overall"] == {"talent": 0.25}


def test_the_figures_are_json_numbers_not_strings(api, world):
    march_cohort(world)
    body = json.loads(signed_in(api, world.manager_a).get(URL, IN_MARCH).content)
    stages, phases = body["stages"], body["phases"]
    assert {type(row[name]) for row in stages for name in ("reached", "current", "lost")} == {int}
    assert {type(row[name]) for row in stages for name in ("conversion", "median_days_in_stage")} == {
        float,
        type(None),
    }
    assert {type(row["reached"]) for row in phases} == {int}
    assert {type(row["conversion"]) for row in phases} == {float, type(None)}
    assert {type(value) for value in body["overall"].values()} == {float}


def test_bad_filters_are_400_with_a_message_per_field(api, world):
    signed_in(api, world.manager_a)
    responses = {
        "bad date": api.get(URL, {"from": "2025-02-30"}),
        "from after to": api.get(URL, {"from": "2025-04-01", "to": "2025-03-31"}),
        "unknown unit": api.get(URL, {**IN_MARCH, "unit": 999999}),
        "other track": api.get(URL, {**IN_MARCH, "track": Track.TALENT, "lead_type": LeadType.STARTUP}),
        # Near the ends of the calendar the period's instants overflow: refused, not a 500.
        "year 9999": api.get(URL, {"from": "9999-12-01", "to": "9999-12-31"}),
        "year 1": api.get(URL, {"to": "0001-06-01"}),
    }
    assert {response.status_code for response in responses.values()} == {400}
    assert {case: response.json() for case, response in responses.items()} == {
        "bad date": {"from": ["Enter a valid date."]},
        "from after to": {"to": ["The end of the period must not be before its start."]},
        "unknown unit": {"unit": ["Select a valid choice. That choice is not one of the available choices."]},
        "other track": {"lead_type": ["This lead type belongs to the other track."]},
        "year 9999": {
            "from": ["Ensure this value is less than or equal to 2999-12-31."],
            "to": ["Ensure this value is less than or equal to 2999-12-31."],
        },
        "year 1": {"to": ["Ensure this value is greater than or equal to 1900-01-01."]},
    }


def test_officers_and_event_recorders_get_403(api, world):
    officer = signed_in(api, world.a).get(URL, IN_MARCH)
    assert officer.status_code == 403
    assert officer.json() == {"detail": "You do not have permission to perform this action."}
    assert signed_in(api, world.recorder).get(URL, IN_MARCH).status_code == 403


def test_an_anonymous_request_is_401(api, world):
    response = api.get(URL, IN_MARCH)
    assert response.status_code == 401
    assert response.json() == {"detail": "Authentication credentials were not provided."}


def test_report_viewers_and_managers_may_read_it(api, world):
    viewer = join(make_user(Role.REPORT_VIEWER, username="viewer"), world.unit_a)
    assert signed_in(api, viewer).get(URL, IN_MARCH).status_code == 200
    assert signed_in(api, world.manager_a).get(URL, IN_MARCH).status_code == 200


def test_a_manager_of_another_unit_sees_other_numbers(api, world):
    march_cohort(world)
    history(("LEAD", "2025-03-10 09:00"), ("SIGNED", "2025-03-20 09:00"), owner=world.b, unit=world.unit_b)
    head_b = join(make_user(Role.MANAGER, username="head_b"), world.unit_b, UnitMembership.Role.HEAD)
    for_a = signed_in(api, world.manager_a).get(URL, IN_MARCH).json()
    for_b = signed_in(api, head_b).get(URL, IN_MARCH).json()
    assert [row["reached"] for row in for_a["phases"] if row["track"] is None] == [36, 3, 2]
    assert [row["reached"] for row in for_b["phases"] if row["track"] is None] == [1, 0, 0]
    assert for_b == funnel(head_b, march())


@pytest.mark.parametrize("leads", [2, 20])
def test_the_endpoint_takes_the_same_queries_for_2_and_20_leads(api, world, leads, django_assert_num_queries):
    own = {"owner": world.a, "unit": world.unit_a}
    for _ in range(leads // 2):
        history(
            ("LEAD", "2025-03-02 09:00"),
            ("QUALIFIED", "2025-03-04 09:00"),
            ("SIGNED", "2025-03-09 09:00"),
            **own,
        )
        history(("T_LEAD", "2025-03-02 09:00"), ("T_ENGAGED", "2025-03-05 09:00"), **own)
    signed_in(api, world.manager_a)
    # 1. the session, 2. the user, 3. the user's own permissions, 4. their groups' permissions (role check),
    # 5. whether they are an administrator, 6. their unit memberships (the visibility scope),
    # 7. the cohort counted by track, highest stage, current stage and status, 8. the median stays per stage.
    with django_assert_num_queries(8):
        response = api.get(URL, IN_MARCH)
    assert response.json()["phases"][0]["reached"] == leads // 2


def test_the_schema_declares_the_parameters_and_error_responses(api, world):
    signed_in(api, world.manager_a)
    schema = json.loads(api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").content)
    operation = schema["paths"][URL]["get"]
    parameters = {parameter["name"]: parameter["schema"] for parameter in operation["parameters"]}
    assert sorted(parameters) == [
        "carrier",
        "event",
        "from",
        "lead_type",
        "organization",
        "owner",
        "sector",
        "to",
        "track",
        "unit",
    ]
    assert parameters["from"] == {"type": "string", "format": "date"}
    assert parameters["unit"] == {"type": "integer"}
    assert parameters["track"]["enum"] == ["org", "talent"]
    # 503: core.schema.AutoSchema declares it on every operation (each reads the database).
    assert sorted(operation["responses"]) == ["200", "400", "401", "403", "503"]
    stage = schema["components"]["schemas"]["FunnelStage"]["properties"]
    assert stage["reached"]["type"] == "integer"
    assert stage["conversion"]["type"] == "number"
    assert stage["conversion"]["nullable"] is True
