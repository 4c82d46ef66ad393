"""A fixed-window request counter in the shared cache, for the pages anyone on the internet can post to.

The cache is Redis or the database (never per-process), so every web process counts into the same window."""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """The caller's address. Behind NUM_PROXIES reverse proxies it is that many entries from the right of
    X-Forwarded-For (the proxies' own additions are the only part a caller cannot forge)."""
    proxies = getattr(settings, "NUM_PROXIES", 0)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            return hops[-min(proxies, len(hops))]
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def allow(scope: str, ident: str, *, limit: int, window: int, now: float | None = None) -> bool:
    """Count one request of `ident` in `scope`; False once `limit` requests fell in the current window."""
    bucket = int((now if now is not None else time.time()) // window)
    key = f"throttle:{scope}:{ident}:{bucket}"
    if cache.add(key, 1, timeout=window + 1):
        return limit >= 1
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr: this request opens the window again
        cache.add(key, 1, timeout=window + 1)
        count = 1
    return count <= limit
