"""/api/v1/leads/{id}/transitions/: a lead's stage history, and moves through lead_advance."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from projects import services
from projects.models import Document, LostReason, StageChange
from tests.api.conftest import pdf

pytestmark = pytest.mark.django_db

QUALIFIED_EVIDENCE = {"assessment": "团队有两项 PCT 专利，技术成熟度 TRL 5。", "decision": "follow"}


def yesterday_at_ten() -> dt.datetime:
    return timezone.localtime().replace(hour=10, minute=0, second=0, microsecond=0) - dt.timedelta(days=1)


def url(lead) -> str:
    return f"/api/v1/leads/{lead.pk}/transitions/"


def test_the_stage_history_answers_the_units_officer_and_404_to_another_units(api, world):
    api.force_login(world.officer_a)
    response = api.get(url(world.lead))
    assert response.status_code == 200
    assert [(row["from_stage"], row["to_stage"]) for row in response.json()["results"]] == [("", "LEAD")]
    api.force_login(world.officer_b)
    assert api.get(url(world.lead)).status_code == 404


def test_the_recorder_role_gets_403_on_the_stage_history(api, world):
    api.force_login(world.recorder)
    assert api.get(url(world.lead)).status_code == 403


def test_a_move_with_its_evidence_writes_a_stage_change(api, world):
    api.force_login(world.officer_a)
    when = yesterday_at_ten()
    response = api.post(
        url(world.lead),
        {
            "to_stage": "QUALIFIED",
            "occurred_at": when.isoformat(),
            "note": "处务会研判通过",
            "evidence": QUALIFIED_EVIDENCE,
        },
        format="json",
    )
    assert response.status_code == 201
    change = StageChange.objects.get(pk=response.json()["id"])
    assert (change.from_stage, change.to_stage, change.actor, change.note) == (
        "LEAD",
        "QUALIFIED",
        world.officer_a,
        "处务会研判通过",
    )
    assert change.occurred_at == when
    assert change.evidence == QUALIFIED_EVIDENCE
    world.lead.refresh_from_db()
    assert world.lead.stage == "QUALIFIED"


def test_another_units_officer_gets_404_moving_the_lead_and_nothing_moves(api, world):
    api.force_login(world.officer_b)
    response = api.post(
        url(world.lead), {"to_stage": "QUALIFIED", "evidence": QUALIFIED_EVIDENCE}, format="json"
    )
    assert response.status_code == 404
    assert StageChange.objects.filter(lead=world.lead).count() == 1


def test_a_move_without_its_evidence_is_400_naming_what_is_missing(api, world):
    api.force_login(world.officer_a)
    response = api.post(url(world.lead), {"to_stage": "QUALIFIED"}, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "evidence": [
            "To enter “Qualified” this lead still needs an assessment note (研判意见); "
            "the decision to follow the lead."
        ]
    }
    assert StageChange.objects.filter(lead=world.lead).count() == 1


def test_a_stage_of_the_other_track_is_400(api, world):
    api.force_login(world.officer_a)
    response = api.post(url(world.lead), {"to_stage": "T_ARRIVED"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"to_stage": ["“T_ARRIVED” is not a stage of this lead's track."]}


def test_an_officer_moving_a_lead_back_gets_400_from_the_service(api, world):
    services.lead_advance(
        lead=world.lead, to_stage="QUALIFIED", actor=world.officer_a, evidence=QUALIFIED_EVIDENCE
    )
    api.force_login(world.officer_a)
    response = api.post(url(world.lead), {"to_stage": "LEAD", "note": "研判有误"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"to_stage": ["Only a manager can move a lead back to an earlier stage."]}


def test_a_manager_moves_a_lead_back_with_a_reason(api, world):
    services.lead_advance(
        lead=world.lead, to_stage="QUALIFIED", actor=world.officer_a, evidence=QUALIFIED_EVIDENCE
    )
    api.force_login(world.manager_a)
    response = api.post(url(world.lead), {"to_stage": "LEAD", "note": "研判有误"}, format="json")
    assert response.status_code == 201
    assert (response.json()["from_stage"], response.json()["to_stage"]) == ("QUALIFIED", "LEAD")


def test_moving_a_lost_lead_is_409(api, world):
    services.lead_mark_lost(actor=world.officer_a, lead=world.lead, reason=LostReason.OTHER_LOCATION)
    api.force_login(world.officer_a)
    response = api.post(
        url(world.lead), {"to_stage": "QUALIFIED", "evidence": QUALIFIED_EVIDENCE}, format="json"
    )
    assert response.status_code == 409
    assert response.json() == {"non_field_errors": ["A lead that is “Lost” cannot change stage."]}


def test_a_future_date_is_400(api, world):
    api.force_login(world.officer_a)
    tomorrow = (timezone.now() + dt.timedelta(days=1)).isoformat()
    response = api.post(
        url(world.lead),
        {"to_stage": "QUALIFIED", "occurred_at": tomorrow, "evidence": QUALIFIED_EVIDENCE},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {"occurred_at": ["A stage change cannot be dated in the future."]}


def test_signing_as_the_contract_example_cites_a_signing_with_its_uploaded_agreement(api, world):
    api.force_login(world.officer_a)
    document = api.post(
        "/api/v1/documents/", {"lead": world.lead.pk, "file": pdf(), "kind": "agreement"}, format="multipart"
    ).json()
    signing = api.post(
        f"/api/v1/leads/{world.lead.pk}/signings/",
        {
            "signed_on": yesterday_at_ten().date().isoformat(),
            "investor": world.lead.hk_organization_id,
            "amount": "20000000.00",
            "currency": "CNY",
            "document_ids": [document["id"]],
        },
        format="json",
    ).json()
    response = api.post(
        url(world.lead),
        {
            "to_stage": "SIGNED",
            "occurred_at": yesterday_at_ten().isoformat(),
            "note": "苏港合作推介会现场签约",
            "evidence": {"signing_id": signing["id"]},
        },
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["evidence"] == {"signing_id": signing["id"]}
    assert Document.objects.get(pk=document["id"]).signing_id == signing["id"]
