"""Pages of higher apps about one lead, linked from the lead's admin page.

Projects sits below funding, reminders and reporting (DESIGN §4) and never imports them: an app with a page
about a lead registers it here from its AppConfig.ready(), and the lead page lists the links the user may
follow."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.functional import Promise

from projects.models import Lead


@dataclass(frozen=True)
class LeadPage:
    label: str | Promise
    url: Callable[[Lead], str]
    permission: str


_pages: dict[str, LeadPage] = {}


def register(label: str | Promise, url: Callable[[Lead], str], permission: str, *, key: str = "") -> None:
    """Link every lead page to the page at `url(lead)` for users holding `permission`. Registering the same
    key (by default the url function's dotted name) again replaces the entry: ready() may run more than once."""
    _pages[key or f"{url.__module__}.{url.__qualname__}"] = LeadPage(
        label=label, url=url, permission=permission
    )


def links_for(user, lead: Lead) -> list[tuple[str, str]]:
    """(url, label) of the registered pages the user may open, in registration order. The pages check the
    lead's scope themselves; the user reached this lead, so its scope already holds."""
    return [(page.url(lead), str(page.label)) for page in _pages.values() if user.has_perm(page.permission)]
