"""The imports admin: the upload page, a job's page with its preview, Commit, the rejected rows and the progress
JSON; jobs are private to their uploader, and every page needs the importer's permission."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from accounts import services as account_services
from accounts.roles import Role
from core.imports import registry, services
from core.imports.models import ImportJob
from tests.core.imports.test_flow import DirectoryImporter, xlsx
from tests.factories import make_user

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
KIND = DirectoryImporter.kind


@pytest.fixture(autouse=True)
def importer():
    registry.register(DirectoryImporter)
    yield DirectoryImporter
    registry.unregister(KIND)


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def officer():
    return make_user(Role.OFFICER)


@pytest.fixture
def officer_client(client, officer):
    client.force_login(officer)
    return client


def url(name: str, *args) -> str:
    return reverse(f"admin:core_importjob_{name}", args=args)


def add_url() -> str:
    return f"{url('add')}?kind={KIND}"


def checked_job(user, rows) -> ImportJob:
    job = services.import_upload(actor=user, kind=KIND, file=xlsx(rows), options={})
    return services.import_validate(job=job)


# --- Upload -------------------------------------------------------------------------------------------------------


def test_the_upload_page_shows_the_columns_the_file_and_the_importers_options(officer_client):
    response = officer_client.get(add_url(), **EN)

    assert response.status_code == 200
    page = response.content.decode()
    assert 'type="file"' in page
    assert 'name="options-organization_kind"' in page
    assert "Name <strong>(required)</strong>" in page


def test_an_upload_creates_a_job_and_leads_to_its_page(
    officer_client, officer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        response = officer_client.post(
            add_url(), {"file": xlsx([["Acme", ""]]), "options-organization_kind": "investor"}, **EN
        )

    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("change", job.pk)
    assert (job.created_by, job.status, job.options) == (
        officer,
        "uploaded",
        {"organization_kind": "investor"},
    )
    assert len(callbacks) == 1  # the check is queued once the upload is saved


def test_a_refused_file_is_shown_on_the_form(officer_client):
    response = officer_client.post(
        add_url(),
        {"file": SimpleUploadedFile("old.xls", b"\xd0\xcf"), **{"options-organization_kind": "company"}},
        **EN,
    )

    assert response.status_code == 200
    assert "save it as .xlsx" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_a_role_without_the_importers_permission_gets_403_on_upload(client, officer):
    recorder = make_user(Role.RECORDER)  # records events: may not add organizations
    client.force_login(recorder)
    assert client.get(add_url()).status_code == 403
    assert client.post(add_url(), {"file": xlsx([["Acme", ""]])}).status_code == 403

    client.force_login(officer)  # positive control
    assert client.get(add_url()).status_code == 200
    assert not ImportJob.objects.exists()


def test_the_upload_page_without_a_kind_offers_the_users_imports(officer_client):
    response = officer_client.get(url("add"), **EN)

    assert response.status_code == 200
    assert f"?kind={KIND}" in response.content.decode()


# --- List -----------------------------------------------------------------------------------------------------------


def test_the_list_shows_the_users_own_jobs_and_a_button_per_import(officer_client, officer):
    mine = checked_job(officer, [["Acme", ""], [None, "x"]])
    checked_job(make_user(Role.OFFICER), [["Beta", ""]])

    response = officer_client.get(url("changelist"), **EN)

    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [mine]
    page = response.content.decode()
    assert "Import organizations" in page
    assert "New 1 · Error 1" in page


# Listing a user's jobs runs, whatever the number of rows:
#   1. the session;  2. the user;
#   3. the user's permissions;  4. the permissions of the user's groups (cached for the request);
#   5. COUNT of the filtered jobs (paginator);  6. COUNT of all the user's jobs ("n of m");
#   7. the page of jobs with their uploader joined in.
# Kind titles and counts per outcome come from the registry and the job row: no query per row.
def test_list_queries_do_not_grow_with_jobs(officer_client, officer, django_assert_num_queries):
    def add_jobs(count: int) -> None:
        for i in range(count):
            checked_job(officer, [[f"Org {ImportJob.objects.count()}-{i}", ""], [None, "x"]])

    add_jobs(2)
    with django_assert_num_queries(7):
        assert officer_client.get(url("changelist")).status_code == 200

    add_jobs(18)
    with django_assert_num_queries(7):
        response = officer_client.get(url("changelist"))
    assert response.context["cl"].result_count == 20


def test_the_list_searches_file_names_and_filters_by_status(officer_client, officer):
    job = checked_job(officer, [["Acme", ""]])
    ImportJob.objects.filter(pk=job.pk).update(original_name="2025 签到表.xlsx")
    other = checked_job(officer, [["Beta", ""]])
    services.import_commit(job=other, actor=officer)

    found = officer_client.get(url("changelist"), {"q": "签到"})
    committed = officer_client.get(url("changelist"), {"status__exact": "committed"})

    assert [j.pk for j in found.context["cl"].result_list] == [job.pk]
    assert [j.pk for j in committed.context["cl"].result_list] == [other.pk]


# --- A job's page -----------------------------------------------------------------------------------------------------


def test_the_job_page_shows_counts_the_preview_with_reasons_and_commit(officer_client, officer):
    job = checked_job(officer, [["Acme", "A"], [None, "=1+1"], ["acme", ""]])

    response = officer_client.get(url("change", job.pk), **EN)

    assert response.status_code == 200
    page = response.content.decode()
    assert [
        (number, value, messages) for number, value, _label, _cells, messages in response.context["preview"]
    ] == [
        (2, "new", []),
        (3, "error", ["The name is missing."]),
        (4, "error", ["Duplicate of row 2 in this file."]),
    ]
    assert "Commit 1 row" in page
    assert 'type="submit" class="button default">' in page  # enabled
    assert url("rejected", job.pk) in page
    assert "Download 2 rejected rows" in page
    assert "<progress" not in page


def test_the_preview_filters_by_outcome_and_pages_by_100(officer_client, officer):
    rows = [[f"Org {i}", ""] for i in range(130)] + [[None, "x"]]
    job = checked_job(officer, rows)

    errors = officer_client.get(url("change", job.pk), {"outcome": "error"})
    second_page = officer_client.get(url("change", job.pk), {"p": 2})

    assert [row[0] for row in errors.context["preview"]] == [132]
    assert len(second_page.context["preview"]) == 31
    assert second_page.context["preview"][0][0] == 102


def test_commit_is_disabled_when_nothing_is_left_to_import(officer_client, officer):
    job = checked_job(officer, [[None, "x"]])

    page = officer_client.get(url("change", job.pk), **EN).content.decode()

    assert "disabled>Commit 0 rows" in page
    assert "Nothing to import" in page


def test_a_job_being_checked_shows_a_progress_bar_that_works_without_javascript(officer_client, officer):
    job = services.import_upload(actor=officer, kind=KIND, file=xlsx([["Acme", ""]]), options={})

    page = officer_client.get(url("change", job.pk), **EN).content.decode()

    assert f'data-status-url="{url("status", job.pk)}"' in page
    assert "js/import_progress.js" in page
    assert '<noscript><meta http-equiv="refresh"' in page


def test_the_status_json_reports_progress(officer_client, officer):
    running = services.import_upload(actor=officer, kind=KIND, file=xlsx([["Acme", ""]]), options={})
    ImportJob.objects.filter(pk=running.pk).update(status="validating", total_rows=2, processed_rows=1)
    finished = checked_job(officer, [["Acme", ""], ["Beta", ""]])

    assert officer_client.get(url("status", running.pk), **EN).json() == {
        "status": "validating",
        "status_label": "Checking",
        "in_progress": True,
        "processed_rows": 1,
        "total_rows": 2,
        "progress_text": "1 of 2 rows checked",
        "counts": {},
    }
    done = officer_client.get(url("status", finished.pk), **EN).json()
    assert (done["status"], done["in_progress"], done["counts"]) == ("validated", False, {"new": 2})


def test_commit_is_a_post_that_hands_the_job_to_a_worker(
    officer_client, officer, django_capture_on_commit_callbacks
):
    job = checked_job(officer, [["Acme", ""]])

    assert officer_client.get(url("commit", job.pk)).status_code == 405
    with django_capture_on_commit_callbacks() as callbacks:
        response = officer_client.post(url("commit", job.pk), **EN)
    again = officer_client.post(url("commit", job.pk), follow=True, **EN)

    assert response.status_code == 302
    assert len(callbacks) == 1
    job.refresh_from_db()
    assert job.status == ImportJob.Status.COMMITTING
    assert "already being committed" in again.content.decode()


def test_the_rejected_rows_download(officer_client, officer):
    job = checked_job(officer, [["Acme", ""], [None, "=HYPERLINK(1)"]])

    response = officer_client.get(url("rejected", job.pk), **EN)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "rejected rows.xlsx" in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert [cell.value for cell in sheet[2]] == [3, None, "'=HYPERLINK(1)", "The name is missing."]


# --- Privacy and permissions ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("page", ["change", "status", "rejected"])
def test_another_users_job_answers_404_and_ones_own_200(client, officer, page):
    job = checked_job(officer, [["Acme", ""]])
    colleague = make_user(Role.OFFICER)

    client.force_login(colleague)
    assert client.get(url(page, job.pk)).status_code == 404
    assert client.post(url("commit", job.pk)).status_code == 404

    client.force_login(officer)  # positive control
    assert client.get(url(page, job.pk)).status_code == 200


def test_a_superuser_opens_anyones_job(admin_client, officer):
    job = checked_job(officer, [["Acme", ""]])

    assert admin_client.get(url("change", job.pk)).status_code == 200


@pytest.mark.parametrize("page", ["change", "status", "rejected"])
def test_losing_the_importers_permission_closes_ones_own_jobs(client, officer, page):
    job = checked_job(officer, [["Acme", ""]])
    client.force_login(officer)
    assert client.get(url(page, job.pk)).status_code == 200

    account_services.user_set_roles(user=officer, roles=[Role.RECORDER])

    assert client.get(url(page, job.pk)).status_code == 403
    assert client.post(url("commit", job.pk)).status_code == 403
    job.refresh_from_db()
    assert job.status == ImportJob.Status.VALIDATED
