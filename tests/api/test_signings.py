"""/api/v1/leads/{id}/signings/: a lead's signings, and new ones through signing_create."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from projects import services
from projects.models import Document, Signing
from tests.api.conftest import pdf
from tests.factories import make_lead, make_organization

pytestmark = pytest.mark.django_db


def url(lead) -> str:
    return f"/api/v1/leads/{lead.pk}/signings/"


@pytest.fixture
def investor():
    return make_organization("SIP-FUND", "苏州工业园区元禾控股")


def signing_body(investor, **fields) -> dict:
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    return {
        "signed_on": yesterday.isoformat(),
        "investor": investor.pk,
        "amount": "1200000.50",
        "currency": "HKD",
    } | fields


def test_the_signings_answer_the_units_officer_and_404_to_another_units(api, world, investor):
    services.signing_create(
        actor=world.officer_a,
        lead=world.lead,
        signed_on=timezone.localdate(),
        investor=investor,
        amount=1000,
        currency="CNY",
    )
    api.force_login(world.officer_a)
    response = api.get(url(world.lead))
    assert response.status_code == 200
    assert [(row["investor"], row["amount"], row["currency"]) for row in response.json()["results"]] == [
        (investor.pk, 1000, "CNY")
    ]
    api.force_login(world.officer_b)
    assert api.get(url(world.lead)).status_code == 404


def test_recording_a_signing_attaches_its_documents_and_answers_amounts_as_numbers(api, world, investor):
    document = services.document_upload(actor=world.officer_a, lead=world.lead, file=pdf())
    api.force_login(world.officer_a)
    response = api.post(url(world.lead), signing_body(investor, document_ids=[document.pk]), format="json")
    assert response.status_code == 201
    assert response.json()["amount"] == 1200000.5
    assert response.json()["currency"] == "HKD"
    assert response.json()["document_ids"] == [document.pk]
    document.refresh_from_db()
    assert (document.signing_id, document.attached) == (response.json()["id"], True)


def test_another_units_officer_gets_404_recording_a_signing_and_nothing_is_written(api, world, investor):
    api.force_login(world.officer_b)
    assert api.post(url(world.lead), signing_body(investor), format="json").status_code == 404
    assert not Signing.objects.exists()


def test_a_second_new_signing_for_the_same_investor_is_409(api, world, investor):
    api.force_login(world.officer_a)
    assert api.post(url(world.lead), signing_body(investor), format="json").status_code == 201
    response = api.post(url(world.lead), signing_body(investor), format="json")
    assert response.status_code == 409
    assert response.json() == {
        "investor": [
            "苏州工业园区元禾控股 (SIP-FUND) already has a new signing on this lead. "
            "Record a capital increase or a re-signing instead."
        ]
    }
    assert Signing.objects.count() == 1


def test_a_capital_increase_by_the_same_investor_is_recorded(api, world, investor):
    api.force_login(world.officer_a)
    api.post(url(world.lead), signing_body(investor), format="json")
    response = api.post(url(world.lead), signing_body(investor, kind="capital_increase"), format="json")
    assert response.status_code == 201


def test_a_document_of_another_lead_cannot_be_cited(api, world, investor):
    other = make_lead(owner=world.officer_a, unit=world.unit_a)
    document = services.document_upload(actor=world.officer_a, lead=other, file=pdf())
    api.force_login(world.officer_a)
    response = api.post(url(world.lead), signing_body(investor, document_ids=[document.pk]), format="json")
    assert response.status_code == 400
    assert response.json() == {"document_ids": ["Only documents uploaded to this lead can be cited."]}
    assert Document.objects.get(pk=document.pk).signing_id is None


def test_a_negative_amount_is_400(api, world, investor):
    api.force_login(world.officer_a)
    response = api.post(url(world.lead), signing_body(investor, amount="-1"), format="json")
    assert response.status_code == 400
    assert response.json() == {"amount": ["Ensure this value is greater than or equal to 0."]}
