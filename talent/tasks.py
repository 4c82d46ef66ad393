from __future__ import annotations

from celery import shared_task


@shared_task(acks_late=True)
def retention() -> int:
    """Nightly: anonymize the contacts past the retention period; the run is logged (PersonalDataLog)."""
    from talent.services.rights import retention_apply

    log = retention_apply()
    return len(log.details.get("erased", []))
