"""`Idempotency-Key` on every POST of the API: the same key and body answer the first response and record nothing
more, the same key with another body is 422, a failed POST keeps nothing, and the key belongs to one user and
one path."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from projects.models import Activity, Document, Lead, StageChange
from talent.models import Submission

pytestmark = pytest.mark.django_db

QUALIFIED_EVIDENCE = {"assessment": "技术路线清晰", "decision": "follow"}


def _lead_body(world, name: str = "浸大 体外诊断初创企业") -> dict:
    return {
        "name": name,
        "lead_type": "startup",
        "source_channel": "university_tto",
        "owning_unit": world.unit_a.pk,
        "hk_organization": world.lead.hk_organization_id,
    }


def test_the_same_key_and_body_register_one_lead_and_answer_the_first_response(api, world):
    api.force_login(world.officer_a)
    first = api.post("/api/v1/leads/", _lead_body(world), format="json", HTTP_IDEMPOTENCY_KEY="lead-1")
    # The same fields in another order and spacing are the same body.
    again = api.post(
        "/api/v1/leads/",
        json.dumps(dict(reversed(list(_lead_body(world).items()))), indent=2),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="lead-1",
    )
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert Lead.objects.filter(name="浸大 体外诊断初创企业").count() == 1


def test_the_same_key_with_another_body_is_422_and_records_nothing(api, world):
    api.force_login(world.officer_a)
    api.post("/api/v1/leads/", _lead_body(world), format="json", HTTP_IDEMPOTENCY_KEY="lead-1")
    other = api.post(
        "/api/v1/leads/", _lead_body(world, "另一个项目"), format="json", HTTP_IDEMPOTENCY_KEY="lead-1"
    )
    assert other.status_code == 422
    assert other.json() == {
        "idempotency_key": ["This submission key was already used with different content."]
    }
    assert not Lead.objects.filter(name="另一个项目").exists()


ACTIVITY = {"kind": "call", "occurred_at": "2026-03-01T10:00:00+08:00", "summary": "电话沟通落地意向"}


def test_without_a_key_every_post_records_again(api, world):
    api.force_login(world.officer_a)
    for _ in range(2):
        response = api.post(f"/api/v1/leads/{world.lead.pk}/activities/", ACTIVITY, format="json")
        assert response.status_code == 201
    assert Activity.objects.filter(lead=world.lead).count() == 2
    assert not Submission.objects.exists()


def test_a_refused_post_keeps_no_key_and_the_corrected_retry_with_the_same_key_records(api, world):
    api.force_login(world.officer_a)
    url = f"/api/v1/leads/{world.lead.pk}/transitions/"
    refused = api.post(url, {"to_stage": "QUALIFIED"}, format="json", HTTP_IDEMPOTENCY_KEY="move-1")
    assert refused.status_code == 400
    assert not Submission.objects.exists()
    retried = api.post(
        url,
        {"to_stage": "QUALIFIED", "evidence": QUALIFIED_EVIDENCE},
        format="json",
        HTTP_IDEMPOTENCY_KEY="move-1",
    )
    assert retried.status_code == 201
    replayed = api.post(
        url,
        {"to_stage": "QUALIFIED", "evidence": QUALIFIED_EVIDENCE},
        format="json",
        HTTP_IDEMPOTENCY_KEY="move-1",
    )
    # A second real move to the stage the lead is in would be refused; the replay answers the first move.
    assert (replayed.status_code, replayed.json()) == (201, retried.json())
    assert StageChange.objects.filter(lead=world.lead, to_stage="QUALIFIED").count() == 1


def test_a_key_belongs_to_one_user_and_one_path(api, world):
    url = f"/api/v1/leads/{world.lead.pk}/activities/"
    api.force_login(world.officer_a)
    assert api.post(url, ACTIVITY, format="json", HTTP_IDEMPOTENCY_KEY="k").status_code == 201
    api.force_login(world.manager_a)
    assert api.post(url, ACTIVITY, format="json", HTTP_IDEMPOTENCY_KEY="k").status_code == 201
    assert Activity.objects.filter(lead=world.lead).count() == 2
    # The same user and key on another path is another submission.
    lead_response = api.post("/api/v1/leads/", _lead_body(world), format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert lead_response.status_code == 201
    assert "Idempotent-Replayed" not in lead_response


def test_an_upload_under_the_same_name_with_other_contents_is_another_body(api, world):
    api.force_login(world.officer_a)

    def upload(contents: bytes):
        file = SimpleUploadedFile("意向书.pdf", contents, "application/pdf")
        return api.post(
            "/api/v1/documents/",
            {"lead": world.lead.pk, "file": file},
            format="multipart",
            HTTP_IDEMPOTENCY_KEY="upload-1",
        )

    first = upload(b"%PDF-1.4 letter of intent")
    again = upload(b"%PDF-1.4 letter of intent")
    other = upload(b"%PDF-1.4 another letter")
    assert (first.status_code, again.status_code, other.status_code) == (201, 201, 422)
    assert again.json() == first.json()
    assert Document.objects.filter(lead=world.lead).count() == 1


def test_a_malformed_key_is_400(api, world):
    api.force_login(world.officer_a)
    response = api.post("/api/v1/leads/", _lead_body(world), format="json", HTTP_IDEMPOTENCY_KEY="x" * 129)
    assert response.status_code == 400
    assert response.json() == {"idempotency_key": ["A submission key is 1 to 128 printable characters."]}
    assert not Lead.objects.filter(name="浸大 体外诊断初创企业").exists()


def test_every_post_but_the_token_endpoint_takes_the_key_and_declares_422(api, world):
    api.force_login(world.officer_a)
    schema = json.loads(api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").content)
    posts = {path: operations["post"] for path, operations in schema["paths"].items() if "post" in operations}
    assert len(posts) >= 13
    for path, operation in posts.items():
        headers = {p["name"] for p in operation.get("parameters", []) if p["in"] == "header"}
        idempotent = path != "/api/v1/auth/token/"  # would keep the issued secret in the store
        assert ("Idempotency-Key" in headers, "422" in operation["responses"]) == (idempotent, idempotent), (
            path
        )
