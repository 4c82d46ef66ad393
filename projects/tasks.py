from __future__ import annotations

import logging

from celery import shared_task

from projects.services import document_purge_unattached

logger = logging.getLogger(__name__)


@shared_task(
    ignore_result=True, autoretry_for=(OSError,), retry_backoff=30, retry_backoff_max=300, max_retries=5
)
def purge_unattached_documents() -> None:
    """Remove uploads that nothing cited within a day."""
    removed = document_purge_unattached()
    logger.info("documents_purged", extra={"count": removed})
