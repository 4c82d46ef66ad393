"""Pieces the funding admins share: amounts as people read them, the approval right, and turning a service's
refusal into a message."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import FieldDoesNotExist, ValidationError

from accounts.roles import Role
from core.errors import ApplicationError
from core.money import format_amount
from funding.eligibility import FIELDS
from projects.models import Lead

_APPROVER_ATTR = "_funding_approver"


def money(amount: Decimal | None, currency: str) -> str:
    return format_amount(amount, currency) or "—"


def adopt(obj, saved) -> None:
    """Make the admin's unsaved object the row the service saved, for the redirect and the change message."""
    for field in type(saved)._meta.concrete_fields:
        setattr(obj, field.attname, getattr(saved, field.attname))
    obj._state.adding = False


def may_approve(user) -> bool:
    """Approving commits money: the change permission is not enough, the user must also hold the manager (or
    administrator) role. The roles carry no permission of their own for it, because a custom permission would
    live in the model's Meta; asked once per request (the answer rides on the user object)."""
    if not (user.is_active and user.has_perm("funding.change_fundingapplication")):
        return False
    if user.is_superuser:
        return True
    cached = getattr(user, _APPROVER_ATTR, None)
    if cached is None:
        cached = user.groups.filter(name__in=[Role.MANAGER, Role.ADMINISTRATOR]).exists()
        setattr(user, _APPROVER_ATTR, cached)
    return cached


def error_text(error: ApplicationError | ValidationError) -> str:
    if isinstance(error, ApplicationError):
        return error.message
    return " ".join(error.messages)


def lead_field_label(name: str) -> str:
    """How an eligibility rule's field is named in its explanations, or the stored name when it is off the
    whitelist (a rule written before the whitelist changed)."""
    spec = FIELDS.get(name)
    if spec is not None:
        return str(spec.label)
    try:
        return str(getattr(Lead._meta.get_field(name), "verbose_name", name))
    except FieldDoesNotExist:
        return name


def yes(value: bool | None) -> str:
    if value is None:
        return "?"
    return "✓" if value else "✗"
