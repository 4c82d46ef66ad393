"""DESIGN §6 error codes and bodies, in the request's language; session writes need the CSRF token."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from projects.models import Lead

pytestmark = pytest.mark.django_db


def test_errors_come_in_english_when_the_request_asks_for_english(api, world):
    api.force_login(world.officer_a)
    response = api.post("/api/v1/leads/", {}, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert response.json()["name"] == ["This field is required."]
    api.force_login(world.officer_b)
    assert api.get(f"/api/v1/leads/{world.lead.pk}/", HTTP_ACCEPT_LANGUAGE="en").json() == {
        "detail": "Not found."
    }


def test_errors_come_in_simplified_chinese_when_the_request_asks_for_it(api, world):
    api.force_login(world.officer_a)
    response = api.post("/api/v1/leads/", {}, format="json", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 400
    assert response.json()["name"] == ["该字段是必填项。"]
    api.force_login(world.officer_b)
    assert api.get(f"/api/v1/leads/{world.lead.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").json() == {
        "detail": "未找到。"
    }


def test_a_missing_lead_and_a_lead_out_of_scope_answer_alike(api, world):
    api.force_login(world.officer_b)
    assert api.get("/api/v1/leads/999999/").json() == api.get(f"/api/v1/leads/{world.lead.pk}/").json()


def test_a_session_post_without_the_csrf_token_is_refused(world):
    browser = APIClient(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    browser.force_login(world.officer_a)
    response = browser.patch(f"/api/v1/leads/{world.lead.pk}/", {"name": "改名"}, format="json")
    assert response.status_code == 403
    assert response.json() == {"detail": "CSRF Failed: CSRF cookie not set."}
    assert Lead.objects.get(pk=world.lead.pk).name == "港科大 量子计算研发团队"


def test_an_anonymous_request_is_401_with_a_token_challenge(api, world):
    response = api.get("/api/v1/leads/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json() == {"detail": "Authentication credentials were not provided."}


def test_malformed_json_is_400_not_500(api, world):
    api.force_login(world.officer_a)
    response = api.post("/api/v1/leads/", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert list(response.json()) == ["non_field_errors"]


def test_an_unsupported_method_is_405(api, world):
    api.force_login(world.officer_a)
    assert api.delete(f"/api/v1/leads/{world.lead.pk}/transitions/").status_code == 405


def test_a_reused_submission_key_with_another_body_answers_422():
    from core.api import exception_handler
    from core.errors import IdempotencyMismatchError

    response = exception_handler(IdempotencyMismatchError("used", field="idempotency_key"), {})
    assert (response.status_code, response.data) == (422, {"idempotency_key": ["used"]})


def test_errors_come_in_traditional_chinese_when_the_request_asks_for_it(api, world):
    api.force_login(world.officer_a)
    response = api.post("/api/v1/leads/", {}, format="json", HTTP_ACCEPT_LANGUAGE="zh-hant")
    assert response.status_code == 400
    assert response.json()["name"] == ["此為必需欄位。"]
    api.force_login(world.officer_b)
    assert api.get(f"/api/v1/leads/{world.lead.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hant").json() == {
        "detail": "找不到。"
    }


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "A lead that is “Lost” cannot change stage."),
        ("zh-hans", "状态为“流失”的线索不能变更阶段。"),
        ("zh-hant", "狀態為“流失”的線索不能變更階段。"),
    ],
)
def test_the_services_own_messages_follow_the_request_language(api, world, language, message):
    from projects import services
    from projects.models import LostReason

    services.lead_mark_lost(actor=world.officer_a, lead=world.lead, reason=LostReason.OTHER_LOCATION)
    api.force_login(world.officer_a)
    response = api.post(
        f"/api/v1/leads/{world.lead.pk}/transitions/",
        {"to_stage": "QUALIFIED", "note": "x"},
        format="json",
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert (response.status_code, response.json()) == (409, {"non_field_errors": [message]})


def test_a_path_id_that_is_not_a_number_is_the_apis_json_404(api, world):
    api.force_login(world.officer_a)
    response = api.get("/api/v1/leads/null,null/")
    assert (response.status_code, response.json()) == (404, {"detail": "Not found."})
    # Outside the API the site's own page answers.
    assert api.get("/no-such-page/")["Content-Type"].startswith("text/html")
