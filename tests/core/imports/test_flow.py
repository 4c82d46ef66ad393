"""The import engine end to end, with a small importer of organizations standing in for the real ones:
upload → check → preview counts → commit in one transaction → rejected rows, and the Celery round trip."""

from __future__ import annotations

import csv
import datetime as dt
import io
import time
from collections.abc import Sequence
from typing import Any

import pytest
from celery.contrib.testing.worker import start_worker
from django import forms
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone, translation
from openpyxl import Workbook, load_workbook

from accounts.roles import Role
from config.celery import app
from core.errors import ApplicationError, IllegalStateError
from core.imports import registry, services
from core.imports.base import Importer, ImportOptionsForm, Outcome, RowCheck
from core.imports.models import ImportJob
from core.imports.reading import Column, SourceRow
from core.tasks import import_commit_task, import_validate_task
from directory import services as directory_services
from directory.models import Organization, OrganizationAlias
from directory.services import name_key
from tests.factories import make_user

# --- The importer under test ------------------------------------------------------------------------------------


class DirectoryOptions(ImportOptionsForm):
    organization_kind = forms.ChoiceField(
        choices=Organization.Kind.choices, initial=Organization.Kind.COMPANY
    )


class DirectoryImporter(Importer):
    """Organizations by name: NEW when no organization goes by the name, UNCHANGED when one does."""

    kind = "test.directory"
    title = "organizations"
    permission = "directory.add_organization"
    columns = (
        Column("name", "name", ("名称", "name", "organization name"), required=True),
        Column("abbreviation", "abbreviation", ("简称", "abbreviation")),
    )
    options_form = DirectoryOptions
    result_labels = {"organizations_created": "organizations created"}
    # Chunk sizes seen by check(), to show the engine's chunking.
    chunks: list[int] = []

    def check(self, rows: Sequence[SourceRow]) -> list[RowCheck]:
        DirectoryImporter.chunks.append(len(rows))
        names = {row.number: str(row.values["name"] or "").strip() for row in rows}
        known = set(
            OrganizationAlias.objects.filter(key__in=[name_key(name) for name in names.values()]).values_list(
                "key", flat=True
            )
        )
        checks = []
        for row in rows:
            name = names[row.number]
            if not name:
                checks.append(RowCheck(row.number, Outcome.ERROR, ["The name is missing."]))
                continue
            key = name_key(name)
            abbreviation = str(row.values["abbreviation"] or "").strip()
            outcome = Outcome.UNCHANGED if key in known else Outcome.NEW
            checks.append(
                RowCheck(row.number, outcome, [], key=key, data={"name": name, "abbreviation": abbreviation})
            )
        return checks

    def commit(self, checks: Sequence[RowCheck]) -> dict[str, int]:
        fail_after = self.options.get("fail_after")
        for index, check in enumerate(checks):
            if fail_after is not None and index == fail_after:
                if self.options.get("crash"):
                    raise RuntimeError("the disk caught fire")
                raise ApplicationError(f"Row {check.number}: refused.")
            directory_services.organization_create(
                kind=self.options.get("organization_kind", Organization.Kind.COMPANY),
                name=check.data["name"],
                abbreviation=check.data["abbreviation"],
            )
        return {"organizations_created": len(checks)}


@pytest.fixture
def importer():
    registry.register(DirectoryImporter)
    DirectoryImporter.chunks = []
    yield DirectoryImporter
    registry.unregister(DirectoryImporter.kind)


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


# --- Files --------------------------------------------------------------------------------------------------------


def xlsx(rows: list[list[Any]], *, title: str | None = None, name: str = "orgs.xlsx") -> SimpleUploadedFile:
    workbook = Workbook()
    sheet = workbook.active
    if title:
        sheet.append([title])
    sheet.append(["名称", "简称"])
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


def csv_file(rows: list[list[Any]], *, name: str = "orgs.csv") -> SimpleUploadedFile:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["Organization name", "Abbreviation"])
    writer.writerows(rows)
    return SimpleUploadedFile(name, buffer.getvalue().encode("utf-8"))


def upload(user, file, **options) -> ImportJob:
    return services.import_upload(actor=user, kind="test.directory", file=file, options=options)


def checked(user, file, **options) -> ImportJob:
    return services.import_validate(job=upload(user, file, **options))


def outcomes(job: ImportJob) -> dict[int, tuple[str, list[str]]]:
    return {row.number: (row.outcome, row.messages) for row in job.rows.order_by("number")}


@pytest.fixture
def officer(db):
    return make_user(Role.OFFICER)


@pytest.fixture
def existing(db) -> Organization:
    return directory_services.organization_create(kind=Organization.Kind.UNIVERSITY, name="香港科技大学")


# --- Upload and validation ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_upload_is_checked_into_a_preview_with_counts_per_outcome(importer, officer, existing):
    job = checked(officer, xlsx([["Acme Robotics", "ACME"], [None, "NONAME"], ["香港科技大學", None]]))

    assert job.status == ImportJob.Status.VALIDATED
    assert (job.total_rows, job.processed_rows) == (3, 3)
    assert job.counts == {"new": 1, "error": 1, "unchanged": 1}
    assert outcomes(job) == {
        2: ("new", []),
        3: ("error", ["The name is missing."]),
        4: ("unchanged", []),
    }
    assert job.headers == [["name", "名称"], ["abbreviation", "简称"]]
    assert job.rows.get(number=2).values == {"name": "Acme Robotics", "abbreviation": "ACME"}
    assert Organization.objects.count() == 1  # checking writes nothing


@pytest.mark.django_db
def test_options_and_the_uploaders_language_are_kept_on_the_job(importer, officer):
    job = upload(officer, xlsx([["Acme", ""]]), organization_kind="investor")

    assert job.options == {"organization_kind": "investor"}
    assert job.language == "en"
    assert job.status == ImportJob.Status.UPLOADED
    assert job.file.name.startswith("imports/")
    assert job.original_name == "orgs.xlsx"


@pytest.mark.django_db
def test_a_later_row_with_a_key_already_seen_is_a_duplicate(importer, officer):
    job = checked(officer, xlsx([["Acme", ""], ["Beta", ""], ["ACME", "again"], ["Beta", ""]]))

    assert outcomes(job) == {
        2: ("new", []),
        3: ("new", []),
        4: ("error", ["Duplicate of row 2 in this file."]),
        5: ("error", ["Duplicate of row 3 in this file."]),
    }
    assert job.counts == {"new": 2, "error": 2}


@pytest.mark.django_db
def test_rows_are_checked_in_chunks_and_duplicates_are_found_across_chunks(importer, officer, monkeypatch):
    monkeypatch.setattr(services, "CHUNK_ROWS", 2)
    job = checked(officer, xlsx([["A", ""], ["B", ""], ["C", ""], ["D", ""], ["a", ""]]))

    assert DirectoryImporter.chunks == [2, 2, 1]
    assert job.processed_rows == job.total_rows == 5
    assert outcomes(job)[6] == ("error", ["Duplicate of row 2 in this file."])


@pytest.mark.django_db
def test_a_file_that_cannot_be_read_fails_the_job_with_the_reason(importer, officer):
    wrong_columns = SimpleUploadedFile("orgs.csv", b"Website,Phone\nx,y\n")
    job = checked(officer, wrong_columns)

    assert job.status == ImportJob.Status.FAILED
    assert job.problem
    assert not job.rows.exists()


@pytest.mark.django_db
def test_a_title_row_above_the_header_is_skipped(importer, officer):
    job = checked(officer, xlsx([["Acme", "A"]], title="2025年 机构名单"))

    assert outcomes(job) == {3: ("new", [])}


@pytest.mark.django_db
def test_uploads_are_refused_for_a_role_without_the_importers_permission(importer, officer):
    recorder = make_user(Role.RECORDER)

    with pytest.raises(ApplicationError, match="permission"):
        upload(recorder, xlsx([["Acme", ""]]))
    assert upload(officer, xlsx([["Acme", ""]])).pk  # positive control
    assert ImportJob.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "message"),
    [("orgs.xls", "save it as .xlsx"), ("orgs.txt", "Only .xlsx and .csv"), ("orgs", "Only .xlsx and .csv")],
)
def test_other_file_types_are_refused_with_what_to_do(importer, officer, name, message):
    with pytest.raises(ApplicationError, match=message) as refused:
        upload(officer, SimpleUploadedFile(name, b"anything"))

    assert refused.value.field == "file"
    assert not ImportJob.objects.exists()


@pytest.mark.django_db
def test_a_file_over_the_size_limit_is_refused(importer, officer, settings):
    settings.IMPORT_MAX_BYTES = 100

    with pytest.raises(ApplicationError, match="the largest accepted is 100"):
        upload(officer, SimpleUploadedFile("big.csv", b"x" * 101))
    assert not ImportJob.objects.exists()


@pytest.mark.django_db
def test_an_unknown_kind_is_refused(officer):
    with pytest.raises(ApplicationError, match="not available"):
        services.import_upload(actor=officer, kind="nobody.here", file=xlsx([["A", ""]]), options={})


@pytest.mark.django_db
def test_a_job_is_checked_once_even_if_its_message_arrives_twice(importer, officer):
    job = checked(officer, xlsx([["Acme", ""]]))
    again = services.import_validate(job=job)

    assert again.status == ImportJob.Status.VALIDATED
    assert DirectoryImporter.chunks == [1]
    assert job.rows.count() == 1


@pytest.mark.django_db
def test_a_check_whose_worker_died_is_run_again_later(importer, officer):
    job = upload(officer, xlsx([["Acme", ""]]))
    long_ago = timezone.now() - dt.timedelta(hours=1)
    ImportJob.objects.filter(pk=job.pk).update(status="validating", updated_at=long_ago)

    job = services.import_validate(job=job)

    assert job.status == ImportJob.Status.VALIDATED
    assert job.counts == {"new": 1}


@pytest.mark.django_db
def test_a_check_in_progress_is_not_started_twice(importer, officer):
    job = upload(officer, xlsx([["Acme", ""]]))
    ImportJob.objects.filter(pk=job.pk).update(status="validating")

    assert services.import_validate(job=job).status == ImportJob.Status.VALIDATING
    assert DirectoryImporter.chunks == []


@pytest.mark.django_db
def test_an_importer_that_breaks_while_checking_fails_the_job_plainly(importer, officer, monkeypatch, caplog):
    def broken(self, rows):
        raise KeyError("phone")

    monkeypatch.setattr(DirectoryImporter, "check", broken)
    job = checked(officer, xlsx([["Acme", ""]]))

    assert job.status == ImportJob.Status.FAILED
    assert job.problem.startswith("The file could not be checked")
    assert not job.rows.exists()
    assert "import_validate_failed" in caplog.text


# --- Commit -------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_commit_creates_the_new_rows_and_records_the_results(importer, officer, existing):
    job = checked(
        officer,
        xlsx([["Acme", "ACME"], [None, "X"], ["香港科技大学", ""], ["Beta", ""]]),
        organization_kind="investor",
    )
    job = services.import_commit(job=job, actor=officer)

    assert job.status == ImportJob.Status.COMMITTED
    assert job.results == {"organizations_created": 2}
    assert job.counts == {"new": 2, "error": 1, "unchanged": 1}
    assert job.committed_at is not None
    assert job.committed_by == officer
    assert sorted(Organization.objects.filter(kind="investor").values_list("name", "abbreviation")) == [
        ("Acme", "ACME"),
        ("Beta", ""),
    ]


@pytest.mark.django_db
def test_a_second_commit_is_refused_and_writes_nothing(importer, officer):
    job = checked(officer, xlsx([["Acme", ""]]))
    second_click = ImportJob.objects.get(pk=job.pk)  # the same page, submitted twice
    services.import_commit(job=job, actor=officer)

    with pytest.raises(IllegalStateError, match="already been committed"):
        services.import_commit(job=second_click, actor=officer)
    assert Organization.objects.filter(name="Acme").count() == 1


@pytest.mark.django_db
def test_only_the_uploader_or_a_superuser_may_commit(importer, officer, admin_user):
    job = checked(officer, xlsx([["Acme", ""]]))
    colleague = make_user(Role.OFFICER)

    with pytest.raises(ApplicationError, match="Only the person who uploaded"):
        services.import_commit(job=job, actor=colleague)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.VALIDATED

    assert services.import_commit(job=job, actor=admin_user).status == ImportJob.Status.COMMITTED


@pytest.mark.django_db
def test_a_job_still_being_checked_cannot_be_committed(importer, officer):
    job = upload(officer, xlsx([["Acme", ""]]))

    with pytest.raises(IllegalStateError, match="still being checked"):
        services.import_commit(job=job, actor=officer)


@pytest.mark.django_db
def test_a_commit_refused_midway_leaves_nothing_and_fails_the_job(importer, officer):
    job = checked(officer, xlsx([["Acme", ""], ["Beta", ""], ["Gamma", ""]]), fail_after=2)
    job = services.import_commit(job=job, actor=officer)

    assert job.status == ImportJob.Status.FAILED
    assert job.problem == "Row 4: refused."
    assert not Organization.objects.exists()
    assert not OrganizationAlias.objects.exists()


@pytest.mark.django_db
def test_a_commit_that_crashes_leaves_nothing_and_says_so_plainly(importer, officer, caplog):
    job = checked(officer, xlsx([["Acme", ""], ["Beta", ""]]), fail_after=1, crash=True)
    job = services.import_commit(job=job, actor=officer)

    assert job.status == ImportJob.Status.FAILED
    assert job.problem == "The import failed; nothing was saved."
    assert not Organization.objects.exists()
    assert "the disk caught fire" in caplog.text  # the traceback is in the log, not on the page


@pytest.mark.django_db
def test_the_commit_checks_again_and_the_preview_follows(importer, officer):
    job = checked(officer, xlsx([["Acme", ""], ["Beta", ""]]))
    directory_services.organization_create(kind=Organization.Kind.COMPANY, name="Beta")  # meanwhile
    job = services.import_commit(job=job, actor=officer)

    assert job.results == {"organizations_created": 1}
    assert outcomes(job) == {2: ("new", []), 3: ("unchanged", [])}
    assert Organization.objects.filter(name="Beta").count() == 1


@pytest.mark.django_db
def test_a_reordered_resaved_file_imported_again_creates_nothing(importer, officer):
    first = checked(officer, xlsx([["Acme", "A"], ["Beta", "B"], ["Gamma", "G"]]))
    services.import_commit(job=first, actor=officer)
    before = sorted(Organization.objects.values_list("pk", "name"))

    again = checked(officer, csv_file([["gamma", "G"], [" Acme ", "A"], ["BETA", "B"]]))

    assert again.counts == {"unchanged": 3}
    with pytest.raises(IllegalStateError, match="Nothing to import"):
        services.import_commit(job=again, actor=officer)
    assert sorted(Organization.objects.values_list("pk", "name")) == before


# --- Rejected rows --------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_rejected_rows_workbook_has_the_files_columns_the_reasons_and_no_live_formula(importer, officer):
    job = checked(officer, xlsx([["Acme", "A"], [None, "=1+1"], ["acme", "@SUM(A1)"]]))

    sheet = load_workbook(io.BytesIO(services.import_rejected_workbook(job=job))).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]

    assert rows == [
        ["Row", "名称", "简称", "Reason"],
        [3, None, "'=1+1", "The name is missing."],
        [4, "acme", "'@SUM(A1)", "Duplicate of row 2 in this file."],
    ]
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


# --- Visibility and housekeeping ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_users_see_their_own_jobs_and_superusers_see_all(importer, officer, admin_user):
    colleague = make_user(Role.OFFICER)
    mine = upload(officer, xlsx([["A", ""]]))
    theirs = upload(colleague, xlsx([["B", ""]]))

    assert list(services.import_jobs_visible_to(officer)) == [mine]
    assert set(services.import_jobs_visible_to(admin_user)) == {mine, theirs}


@pytest.mark.django_db
def test_purge_removes_files_of_committed_and_old_jobs_only(importer, officer):
    committed = checked(officer, xlsx([["Acme", ""]]))
    services.import_commit(job=committed, actor=officer)
    old = upload(officer, xlsx([["Old", ""]]))
    long_ago = timezone.now() - dt.timedelta(days=8)
    ImportJob.objects.filter(pk=old.pk).update(created_at=long_ago, updated_at=long_ago)
    fresh = upload(officer, xlsx([["Fresh", ""]]))
    names = {job.pk: ImportJob.objects.get(pk=job.pk).file.name for job in (committed, old, fresh)}

    assert services.imports_purge() == 2

    assert not default_storage.exists(names[committed.pk])
    assert not default_storage.exists(names[old.pk])
    assert default_storage.exists(names[fresh.pk])
    assert set(ImportJob.objects.filter(file="").values_list("pk", flat=True)) == {committed.pk, old.pk}
    assert services.imports_purge() == 0


@pytest.mark.django_db
def test_jobs_no_worker_took_up_are_sent_again_and_only_those(importer, officer, monkeypatch):
    sent: list[tuple[str, int]] = []
    monkeypatch.setattr(services.import_validate_task, "delay", lambda pk: sent.append(("validate", pk)))
    monkeypatch.setattr(services.import_commit_task, "delay", lambda pk: sent.append(("commit", pk)))
    lost_upload = upload(officer, xlsx([["Acme", ""]]))
    fresh_upload = upload(officer, xlsx([["Fresh", ""]]))
    dead_check = upload(officer, xlsx([["Beta", ""]]))
    lost_commit = checked(officer, xlsx([["Gamma", ""]]))
    done = checked(officer, xlsx([["Delta", ""]]))
    quarter_hour_ago = timezone.now() - dt.timedelta(minutes=16)
    ImportJob.objects.filter(pk=lost_upload.pk).update(updated_at=quarter_hour_ago)
    ImportJob.objects.filter(pk=dead_check.pk).update(
        status=ImportJob.Status.VALIDATING, updated_at=quarter_hour_ago
    )
    ImportJob.objects.filter(pk=lost_commit.pk).update(
        status=ImportJob.Status.COMMITTING, updated_at=quarter_hour_ago
    )
    ImportJob.objects.filter(pk=done.pk).update(updated_at=quarter_hour_ago)  # validated: waits for its user
    sent.clear()

    assert sorted(services.imports_requeue()) == sorted([lost_upload.pk, dead_check.pk, lost_commit.pk])
    assert sorted(sent) == sorted(
        [("validate", lost_upload.pk), ("validate", dead_check.pk), ("commit", lost_commit.pk)]
    )
    assert fresh_upload.pk not in {pk for _kind, pk in sent}


@pytest.mark.django_db
def test_a_job_whose_file_was_purged_cannot_be_committed(importer, officer):
    job = checked(officer, xlsx([["Acme", ""]]))
    ImportJob.objects.filter(pk=job.pk).update(created_at=timezone.now() - dt.timedelta(days=8))
    ImportJob.objects.filter(pk=job.pk).update(updated_at=timezone.now() - dt.timedelta(days=8))
    services.imports_purge()
    job.refresh_from_db()

    with pytest.raises(IllegalStateError, match="removed after 7 days"):
        services.import_commit(job=job, actor=officer)


# --- Through Celery -------------------------------------------------------------------------------------------------


@pytest.fixture
def worker():
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        yield


def wait_for(job: ImportJob, status: str, timeout: float = 20) -> ImportJob:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.status == status:
            return job
        time.sleep(0.1)
    raise AssertionError(f"job stayed {job.status}, expected {status}")


@pytest.mark.django_db(transaction=True)
def test_a_worker_checks_the_upload_and_commits_it(importer, worker):
    officer = make_user(Role.OFFICER)
    with transaction.atomic():
        job = upload(officer, xlsx([["Acme", ""], [None, "x"], ["Beta", "B"]]))

    job = wait_for(job, ImportJob.Status.VALIDATED)
    assert job.counts == {"new": 2, "error": 1}

    with transaction.atomic():
        services.import_commit_start(job=job, actor=officer)
    job = wait_for(job, ImportJob.Status.COMMITTED)
    assert job.results == {"organizations_created": 2}
    assert set(Organization.objects.values_list("name", flat=True)) == {"Acme", "Beta"}


def test_import_tasks_may_run_longer_than_other_tasks(settings):
    # A 10,000-row commit takes minutes (bench/imports_signin.py): the general limit would stop it halfway.
    for task in (import_validate_task, import_commit_task):
        assert task.soft_time_limit == settings.IMPORT_TASK_SECONDS
        assert task.time_limit > task.soft_time_limit > settings.CELERY_TASK_TIME_LIMIT
