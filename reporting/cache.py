"""Short-lived caching of report figures in the shared cache (Redis, or the database cache: never a per-process
one, so a change made through one web process is seen by all).

Every key carries a generation number that any stage change, lead, signing or capital-injection write bumps
(reporting.apps connects the signals): a manager who moves a lead sees the dashboard move with it, and the
figures of a quiet hour are computed once per user and filter set. Writes made with QuerySet.update() send no
signal; REPORT_CACHE_SECONDS bounds how long those stay unseen.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache

from accounts.visibility import user_scope

T = TypeVar("T")

GENERATION_KEY = "reporting:generation"


def generation() -> int:
    value = cache.get(GENERATION_KEY)
    if value is None:
        cache.add(GENERATION_KEY, 1, timeout=None)
        value = cache.get(GENERATION_KEY, 1)
    return int(value)


def invalidate(**_: Any) -> None:
    """Start a new generation: every cached figure is recomputed on its next read. Signal-receiver shaped."""
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:  # never read yet (or evicted): the next read starts a generation of its own
        cache.add(GENERATION_KEY, 2, timeout=None)


def _key(kind: str, user, filters: Any) -> str:
    scope = user_scope(user)
    described = json.dumps(
        {
            "user": user.pk,
            "scope": [scope.sees_everything, sorted(scope.member_unit_ids), list(scope.managed_unit_paths)],
            "filters": filters.as_json() if hasattr(filters, "as_json") else filters,
        },
        sort_keys=True,
        default=str,
    )
    digest = hashlib.sha256(described.encode()).hexdigest()[:32]
    return f"reporting:{kind}:{generation()}:{digest}"


def cached(kind: str, user, filters: Any, compute: Callable[[], T]) -> T:
    """`compute()`'s result for this user (and their scope) and filters, from the cache when fresh."""
    seconds = settings.REPORT_CACHE_SECONDS
    if seconds <= 0:
        return compute()
    key = _key(kind, user, filters)
    found = cache.get(key)
    if found is not None:
        return found
    value = compute()
    cache.set(key, value, timeout=seconds)
    return value
