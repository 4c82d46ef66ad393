"""POST /api/v1/documents/: uploads checked by document_upload, to leads the user can see."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from projects.models import Document
from tests.api.conftest import pdf

pytestmark = pytest.mark.django_db


def upload(api, lead, file, **fields):
    return api.post("/api/v1/documents/", {"lead": lead.pk, "file": file, **fields}, format="multipart")


def test_a_pdf_uploaded_to_a_visible_lead_is_201_with_its_id(api, world):
    api.force_login(world.officer_a)
    response = upload(api, world.lead, pdf("意向书.pdf"), title="投资意向书", kind="intent")
    assert response.status_code == 201
    document = Document.objects.get(pk=response.json()["id"])
    assert (document.lead, document.title, document.kind, document.original_name, document.content_type) == (
        world.lead,
        "投资意向书",
        "intent",
        "意向书.pdf",
        "application/pdf",
    )


def test_an_uploaded_document_can_be_cited_as_evidence(api, world):
    api.force_login(world.officer_a)
    document_id = upload(api, world.lead, pdf(), kind="intent").json()["id"]
    response = api.post(
        f"/api/v1/leads/{world.lead.pk}/transitions/",
        {"to_stage": "NEGOTIATING", "evidence": {"document_ids": [document_id]}},
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["document_ids"] == [document_id]
    document = Document.objects.get(pk=document_id)
    assert (document.stage_change_id, document.attached) == (response.json()["id"], True)


def test_another_units_officer_gets_404_uploading_to_the_lead(api, world):
    api.force_login(world.officer_b)
    response = upload(api, world.lead, pdf())
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}
    assert not Document.objects.exists()


def test_the_recorder_role_gets_403_uploading(api, world):
    api.force_login(world.recorder)
    assert upload(api, world.lead, pdf()).status_code == 403


def test_a_file_of_the_wrong_type_is_400_with_the_services_message(api, world):
    api.force_login(world.officer_a)
    response = upload(
        api, world.lead, SimpleUploadedFile("setup.exe", b"MZ\x90\x00", "application/octet-stream")
    )
    assert response.status_code == 400
    assert response.json() == {
        "file": ["Files of this type cannot be uploaded. Upload PDF, JPG, PNG, Word or Excel files."]
    }
    assert not Document.objects.exists()


def test_contents_that_do_not_match_the_name_are_400(api, world):
    api.force_login(world.officer_a)
    response = upload(api, world.lead, SimpleUploadedFile("a.pdf", b"MZ\x90\x00", "application/pdf"))
    assert response.status_code == 400
    assert response.json() == {
        "file": ["The file's contents do not match its “.pdf” name. Save it again in that format."]
    }


def test_an_oversized_file_is_400_with_the_limit(api, world, settings):
    settings.DOCUMENT_MAX_BYTES = 10
    api.force_login(world.officer_a)
    response = upload(api, world.lead, pdf())
    assert response.status_code == 400
    assert response.json() == {"file": ["The file is 25\xa0bytes; the largest accepted is 10\xa0bytes."]}
    assert not Document.objects.exists()


def test_a_missing_file_is_400(api, world):
    api.force_login(world.officer_a)
    response = api.post("/api/v1/documents/", {"lead": world.lead.pk}, format="multipart")
    assert response.status_code == 400
    assert response.json() == {"file": ["No file was submitted."]}
