from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.core.cache import cache
from django.db import OperationalError
from django.utils import timezone

HEARTBEAT_KEY = "celery:heartbeat"


@shared_task(ignore_result=True)
def record_heartbeat(token: str) -> None:
    """Prove a worker is consuming the queue: store the token and the time in the shared cache."""
    cache.set(HEARTBEAT_KEY, {"token": token, "at": timezone.now().isoformat()}, timeout=3600)


# Imports: the message carries the job id only; the job's status says what is done, so a message delivered twice
# does the work once (the services claim the job with a conditional update or a row lock).
IMPORT_TASK = {
    "ignore_result": True,
    # A 10,000-row sheet takes minutes to commit (bench/imports_signin.py): longer than the default limit, which
    # would stop the one transaction halfway and fail the job. Still under the Redis visibility timeout (an hour).
    "soft_time_limit": settings.IMPORT_TASK_SECONDS,
    "time_limit": settings.IMPORT_TASK_SECONDS + 60,
    "acks_late": True,
    "reject_on_worker_lost": True,
    # The database unreachable before the job was claimed: try again later, the claim is still to be made.
    "autoretry_for": (OperationalError,),
    "retry_backoff": 30,
    "retry_backoff_max": 300,
    "max_retries": 5,
}


@shared_task(**IMPORT_TASK)
def import_validate_task(job_id: int) -> None:
    """Check the rows of an uploaded file for the preview."""
    from core.imports.models import ImportJob
    from core.imports.services import import_validate

    job = ImportJob.objects.filter(pk=job_id).first()
    if job is not None:
        import_validate(job=job)


@shared_task(**IMPORT_TASK)
def import_commit_task(job_id: int) -> None:
    """Commit a job claimed by import_commit_start."""
    from core.imports.models import ImportJob
    from core.imports.services import import_commit_run

    job = ImportJob.objects.filter(pk=job_id).first()
    if job is not None:
        import_commit_run(job=job)


@shared_task(ignore_result=True)
def imports_requeue() -> list[int]:
    """Send again the work of import jobs no worker took up (see core.imports.services.imports_requeue)."""
    from core.imports.services import imports_requeue as requeue

    return requeue()


@shared_task(
    ignore_result=True, autoretry_for=(OSError,), retry_backoff=30, retry_backoff_max=300, max_retries=5
)
def imports_purge() -> int:
    """Remove the uploaded files of committed jobs and of jobs past IMPORT_FILE_DAYS."""
    from core.imports.services import imports_purge as purge

    return purge()
