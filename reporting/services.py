"""Writes of the one fact reporting owns: annual targets (reporting.targets says who may set which)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.models import Unit, User
from core.errors import ApplicationError, full_clean_or_error
from reporting.models import Target
from reporting.targets import may_manage_officer, may_manage_unit


def target_check_scope(*, actor: User, unit: Unit | None, officer: User | None) -> None:
    """Refuse a unit or officer outside the subtrees the actor heads or manages."""
    if unit is not None and not may_manage_unit(actor, unit):
        raise ApplicationError(
            _("You can set targets only for the units you head or manage and their sub-units."), field="unit"
        )
    if officer is not None and not may_manage_officer(actor, officer):
        raise ApplicationError(
            _("You can set targets only for officers of the units you head or manage."), field="officer"
        )


def _decimal(value: Any) -> Decimal:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        number = Decimal("NaN")
    if not number.is_finite():
        raise ApplicationError(_("Enter the target as a number."), field="value")
    return number


@transaction.atomic
def target_set(
    *,
    actor: User,
    year: int,
    metric: str,
    value: Decimal | int | str,
    unit: Unit | None = None,
    officer: User | None = None,
    note: str = "",
) -> Target:
    """Set the target of a unit or an officer for a metric and year, replacing the value it had."""
    if (unit is None) == (officer is None):
        raise ApplicationError(_("Set the target either for a unit or for an officer, not both."))
    target_check_scope(actor=actor, unit=unit, officer=officer)
    owner: dict[str, Any] = {"unit": unit} if unit is not None else {"officer": officer}
    target = Target.objects.select_for_update().filter(year=year, metric=metric, **owner).first()
    if target is None:
        target = Target(year=year, metric=metric, **owner)
    target.value = _decimal(value)
    target.note = note.strip()
    target._history_user = actor  # type: ignore[attr-defined]
    full_clean_or_error(target)
    try:
        with transaction.atomic():
            target.save()
    except IntegrityError:
        # Another manager set the same target at the same moment: theirs is the row, ours its new value.
        existing = Target.objects.select_for_update().get(year=year, metric=metric, **owner)
        existing.value, existing.note = target.value, target.note
        existing._history_user = actor  # type: ignore[attr-defined]
        existing.save()
        return existing
    return target


@transaction.atomic
def target_delete(*, actor: User, target: Target) -> None:
    """Remove a target (its history stays)."""
    target_check_scope(actor=actor, unit=target.unit, officer=target.officer)
    target._history_user = actor  # type: ignore[attr-defined]
    target.delete()
