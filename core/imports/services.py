"""The import engine: upload → validate every row → preview → commit in one transaction → rejected rows file.

Any registered importer (core.imports.registry) runs through these functions; the importer only checks rows and
writes the valid ones.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import secrets
from collections import Counter
from collections.abc import Iterator, Sequence
from decimal import Decimal
from pathlib import PurePath
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.template.defaultfilters import filesizeformat
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.errors import ApplicationError, IllegalStateError, full_clean_or_error
from core.imports import registry
from core.imports.base import COMMITTED_OUTCOMES, Importer, Outcome, RowCheck
from core.imports.models import ImportJob, ImportRow
from core.imports.reading import SourceRow, Table, first_bytes_problem, read_table
from core.imports.values import safe_cell
from core.tasks import import_commit_task, import_validate_task

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractUser, AnonymousUser

logger = logging.getLogger(__name__)

Status = ImportJob.Status

ACCEPTED_EXTENSIONS = (".xlsx", ".csv")
# Rows handed to the importer's `check` at a time, and stored with one bulk insert: the progress bar moves
# after each chunk, and a large file never holds every row's objects twice.
CHUNK_ROWS = 500
# Longer than a task's time limit: a job still "validating" after this lost its worker and may be run again.
STALE_VALIDATION = dt.timedelta(minutes=15)


def import_max_bytes() -> int:
    """The largest file accepted for import (setting IMPORT_MAX_BYTES)."""
    return getattr(settings, "IMPORT_MAX_BYTES", 10 * 1024 * 1024)


def _file_days() -> int:
    return getattr(settings, "IMPORT_FILE_DAYS", 7)


# --- Reads --------------------------------------------------------------------------------------------------


def import_jobs_visible_to(user: AbstractUser | AnonymousUser) -> QuerySet[ImportJob]:
    """The jobs a user may open: their own uploads; superusers see every job."""
    jobs = ImportJob.objects.select_related("created_by", "committed_by")
    if not user.is_authenticated or not user.is_active:
        return jobs.none()
    if user.is_superuser:
        return jobs
    return jobs.filter(created_by_id=user.pk)


def import_importer_class(kind: str) -> type[Importer] | None:
    """The importer of a job's kind, or None when no app offers it any more."""
    try:
        return registry.get(kind)
    except LookupError:
        return None


def import_may_use(user: AbstractUser | AnonymousUser, kind: str) -> bool:
    """Whether the user holds the permission of the importer of `kind`."""
    importer_cls = import_importer_class(kind)
    return importer_cls is not None and user.is_active and user.has_perm(importer_cls.permission)


# --- Upload -------------------------------------------------------------------------------------------------


@transaction.atomic
def import_upload(
    *, actor: AbstractUser, kind: str, file: UploadedFile, options: dict[str, Any]
) -> ImportJob:
    """Store an uploaded spreadsheet as a new job; its rows are checked by a worker once this commits."""
    importer_cls = import_importer_class(kind)
    if importer_cls is None:
        raise ApplicationError(_("This kind of import is not available."), field="kind")
    if not import_may_use(actor, kind):
        raise ApplicationError(
            _("You do not have the permission to use the “%(title)s” import.") % {"title": importer_cls.title}
        )
    original_name = PurePath(file.name or "").name[:255]
    extension = PurePath(original_name).suffix.lower()
    if extension == ".xls":
        raise ApplicationError(
            _("Files in the old Excel format (.xls) cannot be read. Open the file and save it as .xlsx."),
            field="file",
        )
    if extension not in ACCEPTED_EXTENSIONS:
        raise ApplicationError(_("Only .xlsx and .csv files can be imported."), field="file")
    if not file.size:
        raise ApplicationError(_("The file is empty."), field="file")
    if file.size > import_max_bytes():
        raise ApplicationError(
            _("The file is %(size)s; the largest accepted is %(limit)s. Split it into smaller files.")
            % {"size": filesizeformat(file.size), "limit": filesizeformat(import_max_bytes())},
            field="file",
        )
    file.seek(0)
    problem = first_bytes_problem(file.read(8192), extension)
    file.seek(0)
    if problem:
        # Refused here, so a wrong file leaves no job and no stored file behind.
        raise ApplicationError(problem, field="file")
    job = ImportJob(
        kind=kind,
        created_by_id=actor.pk,
        original_name=original_name,
        options=options,
        language=translation.get_language() or settings.LANGUAGE_CODE,
    )
    full_clean_or_error(job, exclude=["file"])
    # A random stored name: the original one may hold any characters, and it is kept in original_name.
    job.file.save(secrets.token_hex(16) + extension, file, save=False)
    try:
        job.save()
    except Exception:
        job.file.delete(save=False)  # no file without its row
        raise
    transaction.on_commit(lambda: import_validate_task.delay(job.pk))
    logger.info("import_uploaded", extra={"job": job.pk, "kind": kind})
    return job


# --- Validation ---------------------------------------------------------------------------------------------


def import_validate(*, job: ImportJob) -> ImportJob:
    """Check every row of the job's file and store the verdicts for the preview; the job ends validated or failed.

    Not one transaction: each chunk of rows is stored with its progress, so the progress bar can show it.
    """
    now = timezone.now()
    claimed = (
        ImportJob.objects.filter(pk=job.pk)
        .filter(
            Q(status=Status.UPLOADED) | Q(status=Status.VALIDATING, updated_at__lt=now - STALE_VALIDATION)
        )
        .update(status=Status.VALIDATING, total_rows=0, processed_rows=0, problem="", updated_at=now)
    )
    job.refresh_from_db()
    if not claimed:
        return job  # a repeated message: another run did or does the work
    with translation.override(job.language or settings.LANGUAGE_CODE):
        try:
            return _validate_claimed(job)
        except ApplicationError as error:
            message = error.message
        except Exception:
            logger.exception("import_validate_failed", extra={"job": job.pk, "kind": job.kind})
            message = _("The file could not be checked because of an error in the system. Try again later.")
        job.rows.all().delete()
        return _fail(job, message)


def _validate_claimed(job: ImportJob) -> ImportJob:
    job.rows.all().delete()  # left behind by a run whose worker died
    importer = _importer(job, actor=job.created_by)
    table = _read(job, importer)
    headers = _headers(table)
    ImportJob.objects.filter(pk=job.pk).update(
        total_rows=len(table.rows),
        headers=headers,
        ignored_headers=table.ignored_headers,
        updated_at=timezone.now(),
    )
    counts: Counter[str] = Counter()
    seen: dict[str, int] = {}
    for rows in _chunks(table.rows):
        checks = _check(importer, rows, seen)
        with transaction.atomic():
            ImportRow.objects.bulk_create(_row_objects(job, headers, rows, checks))
            ImportJob.objects.filter(pk=job.pk).update(
                processed_rows=F("processed_rows") + len(rows), updated_at=timezone.now()
            )
        counts.update(check.outcome for check in checks)
    ImportJob.objects.filter(pk=job.pk).update(
        status=Status.VALIDATED, counts=dict(counts), updated_at=timezone.now()
    )
    job.refresh_from_db()
    logger.info("import_validated", extra={"job": job.pk, "kind": job.kind, "counts": job.counts})
    return job


# --- Commit -------------------------------------------------------------------------------------------------


def _commit_refusal(status: str) -> str:
    if status in {Status.UPLOADED, Status.VALIDATING}:
        return _("The file is still being checked. Commit it once the preview is ready.")
    if status == Status.COMMITTING:
        return _("This import is already being committed.")
    if status == Status.COMMITTED:
        return _("This import has already been committed.")
    return _("This import failed. Upload the file again.")


def import_commit(*, job: ImportJob, actor: AbstractUser) -> ImportJob:
    """Commit a checked job now: every row is checked again and the importable ones are written, all or nothing."""
    _claim_commit(job, actor)
    return import_commit_run(job=job)


def import_commit_start(*, job: ImportJob, actor: AbstractUser) -> ImportJob:
    """Claim a checked job for commit and leave the work to a worker (the admin's Commit button)."""
    _claim_commit(job, actor)
    transaction.on_commit(lambda: import_commit_task.delay(job.pk))
    return job


def _claim_commit(job: ImportJob, actor: AbstractUser) -> None:
    if actor.pk != job.created_by_id and not actor.is_superuser:
        raise ApplicationError(_("Only the person who uploaded the file can commit this import."))
    importer_cls = import_importer_class(job.kind)
    if importer_cls is None:
        raise IllegalStateError(_("This kind of import is not available any more."))
    if not import_may_use(actor, job.kind):
        raise ApplicationError(
            _("You do not have the permission to use the “%(title)s” import.") % {"title": importer_cls.title}
        )
    if job.status == Status.VALIDATED and not job.file:
        raise IllegalStateError(
            _("The uploaded file was removed after %(days)s days. Upload it again.") % {"days": _file_days()}
        )
    if job.status == Status.VALIDATED and not any(job.counts.get(outcome) for outcome in COMMITTED_OUTCOMES):
        raise IllegalStateError(_("Nothing to import: every row is an error or already imported."))
    # The conditional update is the claim: of two clicks (or two officers' sessions), one moves the job on and
    # the other finds it no longer validated.
    claimed = ImportJob.objects.filter(pk=job.pk, status=Status.VALIDATED).update(
        status=Status.COMMITTING, committed_by=actor, problem="", updated_at=timezone.now()
    )
    if not claimed:
        job.refresh_from_db()
        raise IllegalStateError(_commit_refusal(job.status))
    job.refresh_from_db()


def import_commit_run(*, job: ImportJob) -> ImportJob:
    """Do the commit of a claimed job (status committing): check every row again, write the importable ones.

    One transaction: any failure leaves nothing written, the job failed with the reason.
    """
    job.refresh_from_db()
    with translation.override(job.language or settings.LANGUAGE_CODE):
        table: Table | None = None
        checks: list[RowCheck] | None = None
        try:
            with transaction.atomic():
                # Locked, then the status read again: a message delivered twice commits once.
                locked = ImportJob.objects.select_for_update().get(pk=job.pk)
                if locked.status != Status.COMMITTING:
                    return locked
                importer = _importer(locked, actor=locked.committed_by or locked.created_by)
                table = _read(locked, importer)
                seen: dict[str, int] = {}
                checks = [check for rows in _chunks(table.rows) for check in _check(importer, rows, seen)]
                committable = [check for check in checks if check.outcome in COMMITTED_OUTCOMES]
                results = importer.commit(committable) if committable else {}
                _replace_rows(locked, table, checks)
                locked.status = Status.COMMITTED
                locked.counts = _counts(checks)
                locked.results = {str(key): int(value) for key, value in results.items()}
                locked.total_rows = locked.processed_rows = len(table.rows)
                locked.committed_at = timezone.now()
                locked.save(
                    update_fields=[
                        "status",
                        "counts",
                        "results",
                        "total_rows",
                        "processed_rows",
                        "committed_at",
                        "updated_at",
                    ]
                )
            logger.info(
                "import_committed", extra={"job": job.pk, "kind": job.kind, "results": locked.results}
            )
            return locked
        except ApplicationError as error:
            message = error.message
        except Exception:
            logger.exception("import_commit_failed", extra={"job": job.pk, "kind": job.kind})
            message = _("The import failed; nothing was saved.")
        # Rolled back. What the check found again is still the best preview: the user sees why, row by row.
        if table is not None and checks is not None and len(checks) == len(table.rows):
            with transaction.atomic():
                _replace_rows(job, table, checks)
                ImportJob.objects.filter(pk=job.pk).update(counts=_counts(checks))
        return _fail(job, message)


# --- Rejected rows ------------------------------------------------------------------------------------------


def import_rejected_workbook(*, job: ImportJob) -> bytes:
    """The ERROR rows as an XLSX workbook: the row number, the file's columns, and the reason; cells never run."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Rejected rows")[:31])
    headers = [(key, text) for key, text in job.headers]
    sheet.append([_("Row"), *(safe_cell(text) for _key, text in headers), _("Reason")])
    rows = (
        job.rows.filter(outcome=Outcome.ERROR)
        .order_by("number")
        .values_list("number", "values", "messages")
        .iterator(chunk_size=2000)
    )
    for number, values, messages in rows:
        cells = [safe_cell(values.get(key, "")) for key, _text in headers]
        sheet.append([number, *cells, safe_cell(" ".join(messages))])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- Housekeeping -------------------------------------------------------------------------------------------

# An upload or a commit not taken up by a worker within this long is sent again: its message was lost (a broker
# restart, the filesystem broker's at-most-once delivery). Sending twice is harmless: the services claim the job.
REQUEUE_AFTER = dt.timedelta(minutes=10)


def imports_requeue(*, now: dt.datetime | None = None) -> list[int]:
    """Send again the work of jobs left waiting (uploaded and never checked, a check whose worker died, a commit
    claimed and never run); return their ids."""
    now = now or timezone.now()
    waiting = ImportJob.objects.filter(
        Q(status=Status.UPLOADED, updated_at__lt=now - REQUEUE_AFTER)
        | Q(status=Status.VALIDATING, updated_at__lt=now - STALE_VALIDATION)
    ).values_list("pk", flat=True)
    committing = ImportJob.objects.filter(
        status=Status.COMMITTING, updated_at__lt=now - REQUEUE_AFTER
    ).values_list("pk", flat=True)
    for pk in waiting:
        import_validate_task.delay(pk)
    for pk in committing:
        import_commit_task.delay(pk)
    sent = [*waiting, *committing]
    if sent:
        logger.warning("imports_requeued", extra={"jobs": sent})
    return sent


def imports_purge(*, now: dt.datetime | None = None) -> int:
    """Delete the uploaded files of committed jobs and of jobs older than IMPORT_FILE_DAYS; return how many."""
    cutoff = (now or timezone.now()) - dt.timedelta(days=_file_days())
    jobs = (
        ImportJob.objects.exclude(file="")
        # A job still moving (updated recently) keeps its file even past the age limit.
        .filter(Q(status=Status.COMMITTED) | Q(created_at__lt=cutoff, updated_at__lt=cutoff))
        .values_list("pk", "file")
    )
    removed = 0
    for pk, name in jobs.iterator():
        default_storage.delete(name)
        ImportJob.objects.filter(pk=pk).update(file="")
        removed += 1
    return removed


# --- Helpers ------------------------------------------------------------------------------------------------


def _importer(job: ImportJob, *, actor: AbstractUser) -> Importer:
    importer_cls = import_importer_class(job.kind)
    if importer_cls is None:
        raise ApplicationError(_("This kind of import is not available any more."))
    return importer_cls(actor=actor, options=job.options)


def _read(job: ImportJob, importer: Importer) -> Table:
    if not job.file:
        raise ApplicationError(
            _("The uploaded file was removed after %(days)s days. Upload it again.") % {"days": _file_days()}
        )
    try:
        with job.file.open("rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        raise ApplicationError(_("The uploaded file can no longer be found. Upload it again.")) from None
    return read_table(data, filename=job.original_name, columns=importer.columns)


def _headers(table: Table) -> list[list[str]]:
    return [[key, str(text)] for key, text in table.headers.items()]


def _chunks(rows: Sequence[SourceRow]) -> Iterator[Sequence[SourceRow]]:
    for start in range(0, len(rows), CHUNK_ROWS):
        yield rows[start : start + CHUNK_ROWS]


def _check(importer: Importer, rows: Sequence[SourceRow], seen: dict[str, int]) -> list[RowCheck]:
    """The importer's checks of a chunk, then the file's duplicates (`seen`: key -> first row, across chunks)."""
    checks = importer.check(rows)
    if [check.number for check in checks] != [row.number for row in rows]:
        raise RuntimeError(f"{type(importer).__qualname__}.check did not return one check per row, in order")
    _mark_duplicates(checks, seen)
    return checks


def _mark_duplicates(checks: Sequence[RowCheck], seen: dict[str, int]) -> None:
    """A later row with a key already seen is an ERROR. Rows already in error claim no key: the first valid
    occurrence of a record is the one imported."""
    for check in checks:
        if not check.key or check.outcome == Outcome.ERROR:
            continue
        first = seen.setdefault(check.key, check.number)
        if first != check.number:
            check.outcome = Outcome.ERROR
            check.messages = [_("Duplicate of row %(number)s in this file.") % {"number": first}]


def _counts(checks: Sequence[RowCheck]) -> dict[str, int]:
    return dict(Counter(check.outcome for check in checks))


def _row_objects(
    job: ImportJob, headers: list[list[str]], rows: Sequence[SourceRow], checks: Sequence[RowCheck]
) -> list[ImportRow]:
    return [
        ImportRow(
            job=job,
            number=row.number,
            outcome=check.outcome,
            messages=[str(message) for message in check.messages],
            key=check.key[:255],
            values={key: cell_text(row.values.get(key)) for key, _text in headers},
            data=check.data,
        )
        for row, check in zip(rows, checks, strict=True)
    ]


def _replace_rows(job: ImportJob, table: Table, checks: Sequence[RowCheck]) -> None:
    job.rows.all().delete()
    headers = _headers(table)
    for start in range(0, len(checks), CHUNK_ROWS):
        rows = table.rows[start : start + CHUNK_ROWS]
        ImportRow.objects.bulk_create(_row_objects(job, headers, rows, checks[start : start + CHUNK_ROWS]))


def _fail(job: ImportJob, message: str) -> ImportJob:
    ImportJob.objects.filter(pk=job.pk).update(
        status=Status.FAILED, problem=message, updated_at=timezone.now()
    )
    job.refresh_from_db()
    logger.info("import_failed", extra={"job": job.pk, "kind": job.kind})
    return job


def cell_text(value: Any) -> str:
    """A cell as the text the preview and the rejected-rows file show: dates ISO, 12.0 as 12."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value).strip()
