"""Tranches (分期拨付) of approved applications: planned, changed while unpaid, paid — never above the approval."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from core.errors import ApplicationError, IllegalStateError, full_clean_or_error
from funding.models import FundingApplication, Tranche
from funding.services.applications import (
    PAYABLE,
    Status,
    _lock,
    _positive,
    _refuse_future,
    _refuse_status,
    _save,
)
from funding.services.rates import money_text


def _check_tranche_totals(application: FundingApplication, tranches: list[Tranche]) -> None:
    """`tranches` as they would be after the change: all of them, and the paid ones, within the approval."""
    approved = application.approved_amount or Decimal(0)
    paid = sum((t.amount for t in tranches if t.paid_on), Decimal(0))
    if paid > approved:
        raise ApplicationError(
            _("The disbursed total would be %(total)s, above the approved %(approved)s.")
            % {
                "total": money_text(paid, application.currency),
                "approved": money_text(approved, application.currency),
            },
            field="amount",
        )
    planned = sum((t.amount for t in tranches), Decimal(0))
    if planned > approved:
        raise ApplicationError(
            _("The tranches would total %(total)s, above the approved %(approved)s.")
            % {
                "total": money_text(planned, application.currency),
                "approved": money_text(approved, application.currency),
            },
            field="amount",
        )


def _check_tranche_date(application: FundingApplication, day: dt.date, field: str) -> None:
    if application.decision_date and day < application.decision_date:
        raise ApplicationError(
            _("A tranche cannot fall before the decision on %(date)s.")
            % {"date": f"{application.decision_date:%Y-%m-%d}"},
            field=field,
        )


def _with(tranches: Iterable[Tranche], changed: Tranche) -> list[Tranche]:
    return [t for t in tranches if t.pk != changed.pk or changed.pk is None] + [changed]


@transaction.atomic
def tranche_plan(
    *, actor: User, application: FundingApplication, planned_on: dt.date, amount: Decimal, note: str = ""
) -> Tranche:
    """Plan an instalment of an approved application."""
    application = _lock(application)
    _refuse_status(
        application,
        PAYABLE,
        _("Tranches can be planned only after approval; this application is %(status)s."),
    )
    tranche = Tranche(
        application=application, planned_on=planned_on, amount=_positive(amount, "amount"), note=note
    )
    _check_tranche_date(application, planned_on, "planned_on")
    _check_tranche_totals(application, _with(application.tranches.all(), tranche))
    tranche._history_user = actor  # type: ignore[attr-defined]
    full_clean_or_error(tranche)
    tranche.save()
    return tranche


def _lock_tranche(tranche: Tranche) -> tuple[Tranche, FundingApplication]:
    # The application first, always: every tranche change of one application queues on the same row.
    application = FundingApplication.objects.select_for_update().get(pk=tranche.application_id)
    tranche.refresh_from_db(from_queryset=Tranche.objects.select_for_update())
    tranche.application = application
    return tranche, application


def _refuse_paid(tranche: Tranche) -> None:
    if tranche.paid_on is not None:
        raise IllegalStateError(
            _("This tranche was paid on %(date)s.") % {"date": f"{tranche.paid_on:%Y-%m-%d}"}, field="paid_on"
        )


@transaction.atomic
def tranche_update(
    *,
    actor: User,
    tranche: Tranche,
    planned_on: dt.date | None = None,
    amount: Decimal | None = None,
    note: str | None = None,
) -> Tranche:
    """Move or resize a tranche not yet paid."""
    tranche, application = _lock_tranche(tranche)
    _refuse_paid(tranche)
    if planned_on is not None:
        _check_tranche_date(application, planned_on, "planned_on")
        tranche.planned_on = planned_on
    if amount is not None:
        tranche.amount = _positive(amount, "amount")
        _check_tranche_totals(application, _with(application.tranches.all(), tranche))
    if note is not None:
        tranche.note = note
    tranche._history_user = actor  # type: ignore[attr-defined]
    full_clean_or_error(tranche)
    tranche.save()
    return tranche


@transaction.atomic
def tranche_cancel(*, actor: User, tranche: Tranche) -> None:
    """Remove a tranche not yet paid (a payment is a record and stays)."""
    tranche, _application = _lock_tranche(tranche)
    _refuse_paid(tranche)
    tranche._history_user = actor  # type: ignore[attr-defined]
    tranche.delete()


@transaction.atomic
def tranche_pay(*, actor: User, tranche: Tranche, paid_on: dt.date, amount: Decimal | None = None) -> Tranche:
    """Record a tranche as paid (at `amount` when the payment differed from the plan); the application moves
    approved → disbursing."""
    tranche, application = _lock_tranche(tranche)
    _refuse_paid(tranche)
    _refuse_status(application, PAYABLE, _("Tranches of an application that is %(status)s cannot be paid."))
    _refuse_future(paid_on, "paid_on")
    _check_tranche_date(application, paid_on, "paid_on")
    tranche.paid_on = paid_on
    if amount is not None:
        tranche.amount = _positive(amount, "amount")
    _check_tranche_totals(application, _with(application.tranches.all(), tranche))
    tranche._history_user = actor  # type: ignore[attr-defined]
    full_clean_or_error(tranche)
    tranche.save()
    if application.status == Status.APPROVED:
        application.status = Status.DISBURSING
        _save(application, actor)
    return tranche
