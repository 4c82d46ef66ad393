"""Uploads are checked on their bytes; downloads go only to users who can see the lead."""

from __future__ import annotations

import datetime as dt
import os

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import Unit
from accounts.roles import Role
from core.errors import ApplicationError
from projects import services
from projects.models import Document
from tests.factories import join, make_lead, make_unit, make_user

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n%%EOF\n"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def two_units():
    bureau = make_unit("局", kind=Unit.Kind.BUREAU)
    unit_a, unit_b = make_unit("甲处", parent=bureau), make_unit("乙处", parent=bureau)
    a = join(make_user(Role.OFFICER, username="a"), unit_a)
    b = join(make_user(Role.OFFICER, username="b"), unit_b)
    lead = make_lead(owner=a, unit=unit_a)
    return {"a": a, "b": b, "lead": lead}


def upload(lead, actor, name="协议.pdf", content=PDF):
    return services.document_upload(actor=actor, lead=lead, file=SimpleUploadedFile(name, content))


def test_a_pdf_is_stored_under_a_random_name_with_its_original_name_kept(two_units):
    document = upload(two_units["lead"], two_units["a"])
    assert document.original_name == "协议.pdf"
    assert document.content_type == "application/pdf"
    assert document.size == len(PDF)
    assert "协议" not in document.file.name
    assert document.history.get().history_type == "+"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "run.exe",
            b"MZ\x90\x00",
            "Files of this type cannot be uploaded. Upload PDF, JPG, PNG, Word or Excel files.",
        ),
        (
            "fake.pdf",
            b"<html>not a pdf</html>",
            "The file's contents do not match its “.pdf” name. Save it again in that format.",
        ),
        ("empty.pdf", b"", "The file is empty."),
    ],
)
def test_wrong_files_are_refused_with_a_clear_message(two_units, name, content, message):
    with pytest.raises(ApplicationError) as error:
        upload(two_units["lead"], two_units["a"], name, content)
    assert error.value.message == message
    assert Document.objects.count() == 0


def test_an_oversized_file_is_refused_with_its_size_and_the_limit(two_units, settings):
    settings.DOCUMENT_MAX_BYTES = 1024
    with pytest.raises(ApplicationError) as error:
        upload(two_units["lead"], two_units["a"], content=PDF + b"0" * 2048)
    assert error.value.message == "The file is 2.0\xa0KB; the largest accepted is 1.0\xa0KB."


def test_uploads_nothing_cited_are_purged_after_a_day_and_cited_ones_stay(two_units):
    lead, officer = two_units["lead"], two_units["a"]
    stale, cited, fresh = upload(lead, officer), upload(lead, officer), upload(lead, officer)
    services.lead_advance(
        lead=lead, to_stage="NEGOTIATING", actor=officer, evidence={"document_ids": [cited.pk]}
    )
    Document.objects.filter(pk__in=[stale.pk, cited.pk]).update(
        uploaded_at=timezone.now() - dt.timedelta(days=2)
    )
    stored = stale.file.path
    assert services.document_purge_unattached() == 1
    assert set(Document.objects.values_list("pk", flat=True)) == {cited.pk, fresh.pk}
    assert not os.path.exists(stored)


def test_the_download_answers_the_leads_unit_and_404s_another(client, two_units):
    document = upload(two_units["lead"], two_units["a"])
    url = reverse("projects:document-download", args=[document.pk])
    client.force_login(two_units["a"])
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Cache-Control"] == "private, no-store"
    assert "attachment" in response["Content-Disposition"]
    client.force_login(two_units["b"])
    assert client.get(url).status_code == 404


def test_a_recorder_and_an_anonymous_user_cannot_download(client, two_units):
    document = upload(two_units["lead"], two_units["a"])
    url = reverse("projects:document-download", args=[document.pk])
    assert client.get(url).status_code == 302  # to the login page
    recorder = make_user(Role.RECORDER, username="rec")
    join(recorder, two_units["lead"].owning_unit)
    client.force_login(recorder)
    assert client.get(url).status_code == 404


def test_a_missing_document_id_is_404(client, two_units):
    client.force_login(two_units["a"])
    assert client.get(reverse("projects:document-download", args=[999999])).status_code == 404


def test_the_hourly_purge_is_scheduled_and_runs_the_service(two_units, settings):
    from config.celery import app
    from projects.tasks import purge_unattached_documents

    entry = settings.CELERY_BEAT_SCHEDULE["purge-unattached-documents"]
    assert entry["task"] in app.tasks
    stale = upload(two_units["lead"], two_units["a"])
    Document.objects.filter(pk=stale.pk).update(uploaded_at=timezone.now() - dt.timedelta(days=2))
    purge_unattached_documents()
    assert not Document.objects.filter(pk=stale.pk).exists()
