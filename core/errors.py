"""The one domain exception family. Services raise these; admin, API and commands translate them once."""

from __future__ import annotations


class ApplicationError(Exception):
    """A request the domain refuses. `message` is already translated for the acting user."""

    def __init__(self, message: str, *, field: str | None = None, extra: dict | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.extra = extra or {}


class IllegalStateError(ApplicationError):
    """The object is not in a state that allows the change (HTTP 409)."""
