"""The sign-in lockout (django-axes) as the first authentication backend."""

from __future__ import annotations

from typing import Any

from axes.backends import AxesStandaloneBackend


class LockoutBackend(AxesStandaloneBackend):
    """Refuses every sign-in of a username from an address that failed too often (settings AXES_*).

    Both sign-in pages pass their request (the admin's login form, the API's token endpoint). A call without one
    (Django's test client's login(), a shell) has no client address to count: it is not locked, where axes' own
    backend would raise an error."""

    def authenticate(
        self, request: Any, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> None:
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
