"""/api/v1/leads/ and /api/v1/leads/{id}/: scoped reads, writes through lead_create and lead_update."""

from __future__ import annotations

import pytest
from django.utils import timezone

from accounts.roles import Role
from projects.models import Lead, StageChange
from tests.factories import join, make_lead, make_user

pytestmark = pytest.mark.django_db


def codes(response) -> list[str]:
    return [row["code"] for row in response.json()["results"]]


def test_the_lead_list_shows_a_units_officer_their_units_leads_and_another_units_officer_none(api, world):
    api.force_login(world.officer_a)
    assert codes(api.get("/api/v1/leads/")) == [world.lead.code]
    api.force_login(world.officer_b)
    response = api.get("/api/v1/leads/")
    assert response.status_code == 200
    assert response.json() == {"count": 0, "next": None, "previous": None, "results": []}


def test_a_lead_answers_its_units_officer_and_404_to_another_units_officer(api, world):
    api.force_login(world.officer_a)
    response = api.get(f"/api/v1/leads/{world.lead.pk}/")
    assert response.status_code == 200
    assert response.json()["name"] == "港科大 量子计算研发团队"
    api.force_login(world.officer_b)
    response = api.get(f"/api/v1/leads/{world.lead.pk}/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_the_event_recorder_role_gets_403_on_leads_even_for_the_list(api, world):
    api.force_login(world.recorder)
    response = api.get("/api/v1/leads/")
    assert response.status_code == 403
    assert response.json() == {"detail": "You do not have permission to perform this action."}
    assert api.get(f"/api/v1/leads/{world.lead.pk}/").status_code == 403


def test_a_report_viewer_cannot_register_a_lead(api, world):
    viewer = join(make_user(Role.REPORT_VIEWER, username="viewer"), world.unit_a)
    api.force_login(viewer)
    response = api.post("/api/v1/leads/", {"name": "越权线索"}, format="json")
    assert response.status_code == 403
    assert not Lead.objects.filter(name="越权线索").exists()


def test_registering_a_lead_goes_through_the_service(api, world):
    api.force_login(world.officer_a)
    response = api.post(
        "/api/v1/leads/",
        {
            "name": "浸大 体外诊断初创企业",
            "lead_type": "startup",
            "source_channel": "university_tto",
            "owning_unit": world.unit_a.pk,
            "hk_organization": world.lead.hk_organization_id,
            "co_owners": [world.officer_b.pk],
            "expected_investment": "50000000.00",
            "expected_investment_currency": "HKD",
        },
        format="json",
    )
    assert response.status_code == 201
    lead = Lead.objects.get(pk=response.json()["id"])
    assert response.json()["code"] == lead.code == f"HK-{timezone.localdate().year}-0002"
    assert response.json()["owner"] == world.officer_a.pk
    assert response.json()["co_owners"] == [world.officer_b.pk]
    assert response.json()["stage"] == "LEAD"
    assert response.json()["expected_investment"] == 50000000
    assert response.json()["expected_investment_currency"] == "HKD"
    assert [h.history_type for h in lead.history.order_by("history_id")] == ["+", "~"]
    assert list(StageChange.objects.filter(lead=lead).values_list("from_stage", "to_stage", "actor")) == [
        ("", "LEAD", world.officer_a.pk)
    ]


def test_registering_a_lead_for_a_unit_out_of_reach_is_400_with_the_services_message(api, world):
    api.force_login(world.officer_a)
    response = api.post(
        "/api/v1/leads/",
        {
            "name": "越权线索",
            "lead_type": "startup",
            "source_channel": "event",
            "owning_unit": world.unit_b.pk,
            "hk_organization": world.lead.hk_organization_id,
        },
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {
        "owning_unit": ["You can only register leads for units you belong to or manage."]
    }
    assert not Lead.objects.filter(name="越权线索").exists()


def test_a_model_validation_error_from_the_service_is_400_in_field_shape(api, world):
    api.force_login(world.officer_a)
    response = api.post(
        "/api/v1/leads/",
        {"name": "陈博士", "lead_type": "talent", "source_channel": "event", "owning_unit": world.unit_a.pk},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {"subject_contact": ["A talent-track lead needs the talent it is about."]}


def test_patching_a_lead_goes_through_the_service_and_records_history(api, world):
    api.force_login(world.officer_a)
    response = api.patch(
        f"/api/v1/leads/{world.lead.pk}/",
        {"name_en": "HKUST quantum computing team", "co_owners": [world.officer_b.pk]},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["name_en"] == "HKUST quantum computing team"
    assert response.json()["co_owners"] == [world.officer_b.pk]
    assert world.lead.history.latest().name_en == "HKUST quantum computing team"


def test_stage_status_owner_code_track_type_and_unit_are_read_only_in_a_patch(api, world):
    api.force_login(world.officer_a)
    response = api.patch(
        f"/api/v1/leads/{world.lead.pk}/",
        {
            "stage": "SIGNED",
            "status": "lost",
            "owner": world.officer_b.pk,
            "code": "HK-1999-9999",
            "track": "talent",
            "lead_type": "company",
            "owning_unit": world.unit_b.pk,
        },
        format="json",
    )
    assert response.status_code == 200
    world.lead.refresh_from_db()
    assert (
        world.lead.stage,
        world.lead.status,
        world.lead.owner,
        world.lead.code,
        world.lead.track,
        world.lead.lead_type,
        world.lead.owning_unit,
    ) == ("LEAD", "active", world.officer_a, response.json()["code"], "org", "univ_team", world.unit_a)


def test_another_units_officer_gets_404_patching_and_changes_nothing(api, world):
    api.force_login(world.officer_b)
    response = api.patch(f"/api/v1/leads/{world.lead.pk}/", {"name": "改名"}, format="json")
    assert response.status_code == 404
    world.lead.refresh_from_db()
    assert world.lead.name == "港科大 量子计算研发团队"


def test_put_is_not_offered(api, world):
    api.force_login(world.officer_a)
    assert api.put(f"/api/v1/leads/{world.lead.pk}/", {}, format="json").status_code == 405


def test_the_list_filters_by_stage_and_searches_codes_and_names(api, world):
    other = make_lead(owner=world.officer_a, unit=world.unit_a, name="城大 光子芯片联合实验室")
    api.force_login(world.officer_a)
    assert codes(api.get("/api/v1/leads/", {"search": "光子"})) == [other.code]
    assert codes(api.get("/api/v1/leads/", {"search": world.lead.code})) == [world.lead.code]
    assert codes(api.get("/api/v1/leads/", {"stage": "QUALIFIED"})) == []
    assert codes(api.get("/api/v1/leads/", {"stage": "LEAD", "owning_unit": world.unit_a.pk})) == [
        other.code,
        world.lead.code,
    ]


def test_the_list_orders_only_by_whitelisted_fields(api, world):
    other = make_lead(owner=world.officer_a, unit=world.unit_a, name="城大 光子芯片联合实验室")
    api.force_login(world.officer_a)
    assert codes(api.get("/api/v1/leads/", {"ordering": "code"})) == [world.lead.code, other.code]
    assert codes(api.get("/api/v1/leads/", {"ordering": "-code"})) == [other.code, world.lead.code]
    # Not whitelisted: ignored, the default order (newest first) stands.
    assert codes(api.get("/api/v1/leads/", {"ordering": "owner__password"})) == [other.code, world.lead.code]


def test_an_unknown_filter_value_is_400_not_500(api, world):
    api.force_login(world.officer_a)
    response = api.get("/api/v1/leads/", {"owner": "999999"})
    assert response.status_code == 400
    assert list(response.json()) == ["owner"]


def test_page_size_is_capped_at_100(api, world):
    for number in range(101):
        make_lead(owner=world.officer_a, unit=world.unit_a, name=f"线索{number}")
    api.force_login(world.officer_a)
    body = api.get("/api/v1/leads/", {"page_size": 500}).json()
    assert (body["count"], len(body["results"])) == (102, 100)
