from __future__ import annotations

from celery import shared_task
from django.core.cache import cache
from django.utils import timezone

HEARTBEAT_KEY = "celery:heartbeat"


@shared_task(ignore_result=True)
def record_heartbeat(token: str) -> None:
    """Prove a worker is consuming the queue: store the token and the time in the shared cache."""
    cache.set(HEARTBEAT_KEY, {"token": token, "at": timezone.now().isoformat()}, timeout=3600)
