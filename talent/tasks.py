from __future__ import annotations

from celery import shared_task


@shared_task(acks_late=True)
def retention() -> int:
    """Nightly: anonymize the contacts past the retention period; the run is logged (PersonalDataLog)."""
    from talent.services.rights import retention_apply

    log = retention_apply()
    return len(log.details.get("erased", []))


@shared_task(acks_late=True)
def identity_rescan() -> int:
    """Nightly: match again the contacts saved in the last two days (catches people registered simultaneously)."""
    import datetime as dt

    from django.utils import timezone

    from talent.services.contacts import identity_rescan as rescan

    return rescan(since=timezone.now() - dt.timedelta(days=2))


@shared_task(acks_late=True)
def submissions_purge() -> int:
    """Nightly: forget submission keys past SUBMISSION_KEY_DAYS."""
    from talent.services.submissions import submissions_purge as purge

    return purge()


@shared_task(acks_late=True)
def access_log_purge() -> int:
    """Daily: delete the access log's views and exports past PERSONAL_DATA_LOG_DAYS."""
    from talent.services.rights import personal_data_log_purge

    return personal_data_log_purge()
