"""The project's URL patterns as the walkers read them (exports, uploads): every view with its full name."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from django.urls import URLPattern, URLResolver, get_resolver


def named_views(resolver: URLResolver | None = None, namespace: str = "") -> Iterator[tuple[str, Callable]]:
    """("namespace:name", view) for every pattern under `resolver` (the root one by default), included
    URLconfs and the admin's own included."""
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from named_views(pattern, inner)
        elif isinstance(pattern, URLPattern):
            yield f"{namespace}{pattern.name}", pattern.callback
