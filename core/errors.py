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


def full_clean_or_error(instance, **kwargs) -> None:
    """Model validation for services: a ValidationError becomes an ApplicationError carrying every message."""
    from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

    try:
        instance.full_clean(**kwargs)
    except ValidationError as exc:
        errors = exc.message_dict
        field = next(iter(errors))
        raise ApplicationError(
            " ".join(m for messages in errors.values() for m in messages),
            field=None if field == NON_FIELD_ERRORS else field,
            extra={"errors": errors},
        ) from exc


class IdempotencyMismatchError(ApplicationError):
    """A submission key used again with a different body (HTTP 422)."""
