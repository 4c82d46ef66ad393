"""The importers apps offer. Higher apps register theirs in AppConfig.ready(); core never imports them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ImproperlyConfigured

from core.imports.base import Importer

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractUser, AnonymousUser

_importers: dict[str, type[Importer]] = {}


def register(importer_cls: type[Importer]) -> type[Importer]:
    """Offer an importer under its `kind`. Registering the same class twice is harmless (ready() may rerun)."""
    existing = _importers.get(importer_cls.kind)
    if existing is not None and existing is not importer_cls:
        raise ImproperlyConfigured(
            f"Import kind {importer_cls.kind!r} is already registered by {existing.__qualname__}"
        )
    _importers[importer_cls.kind] = importer_cls
    return importer_cls


def unregister(kind: str) -> None:
    _importers.pop(kind, None)


def get(kind: str) -> type[Importer]:
    """The importer of `kind`; LookupError when no app offers it (any more)."""
    try:
        return _importers[kind]
    except KeyError:
        raise LookupError(kind) from None


def all_importers() -> list[type[Importer]]:
    return [_importers[kind] for kind in sorted(_importers)]


def available_to(user: AbstractUser | AnonymousUser) -> list[type[Importer]]:
    """The importers whose permission the user holds, in kind order."""
    if not user.is_active:
        return []
    return [importer for importer in all_importers() if user.has_perm(importer.permission)]
