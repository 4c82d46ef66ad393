"""Thin tasks: take ids, call a service. The sweep is what guarantees delivery; these messages only speed it up."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.db import transaction

from reminders.services import reminders_claim, reminders_deliver, reminders_sweep


@shared_task(ignore_result=True, acks_late=True, reject_on_worker_lost=True)
def sweep() -> dict[str, int]:
    """Write the due reminder rows, then claim what is deliverable and hand it to workers in batches."""
    written = reminders_sweep()
    claimed = 0
    with transaction.atomic():
        claim, ids = reminders_claim()
        size = settings.REMINDER_BATCH_SIZE
        for start in range(0, len(ids), size):
            chunk = ids[start : start + size]
            # After commit: a worker must see the claim, and a rolled-back claim must send nothing.
            transaction.on_commit(lambda chunk=chunk: deliver.delay(chunk, claim))
        claimed = len(ids)
    return {"written": written, "claimed": claimed}


@shared_task(ignore_result=True, acks_late=True, reject_on_worker_lost=True)
def deliver(ids: list[int], claim: str) -> dict[str, int]:
    return reminders_deliver(ids=ids, claim=claim)
