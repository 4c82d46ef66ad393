"""The cross-border fund: investors' commitments, capital calls and investments in leads (返投)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from accounts.models import User
from core.errors import ApplicationError, full_clean_or_error
from directory.models import Organization
from funding.models import CapitalCall, FundCommitment, FundingProgram, FundInvestment, ProgramType
from funding.services.applications import _positive, _refuse_closed_lead, _refuse_future
from funding.services.rates import money_text
from projects.models import Lead


def _refuse_not_fund(fund: FundingProgram) -> None:
    if fund.program_type != ProgramType.FUND_INVESTMENT:
        raise ApplicationError(
            _("%(program)s is not a fund.") % {"program": fund.localized_name}, field="fund"
        )


@transaction.atomic
def commitment_create(
    *,
    actor: User,
    fund: FundingProgram,
    investor: Organization,
    committed_on: dt.date,
    amount: Decimal,
    currency: str,
    note: str = "",
) -> FundCommitment:
    """An investor's commitment to the fund."""
    _refuse_not_fund(fund)
    _refuse_future(committed_on, "committed_on")
    commitment = FundCommitment(
        fund=fund,
        investor=investor,
        committed_on=committed_on,
        amount=_positive(amount, "amount"),
        currency=currency,
        note=note,
    )
    commitment._history_user = actor  # type: ignore[attr-defined]
    full_clean_or_error(commitment)
    commitment.save()
    return commitment


@transaction.atomic
def capital_call(
    *,
    actor: User,
    commitment: FundCommitment,
    called_on: dt.date,
    amount: Decimal,
    paid_on: dt.date | None = None,
) -> CapitalCall:
    """Call capital from a commitment; the calls never total more than was committed."""
    # Locked so two calls made at once cannot both fit under the commitment.
    commitment = FundCommitment.objects.select_for_update().get(pk=commitment.pk)
    amount = _positive(amount, "amount")
    _refuse_future(called_on, "called_on")
    if called_on < commitment.committed_on:
        raise ApplicationError(
            _("A call cannot come before the commitment of %(date)s.")
            % {"date": f"{commitment.committed_on:%Y-%m-%d}"},
            field="called_on",
        )
    if paid_on is not None:
        _refuse_future(paid_on, "paid_on")
        if paid_on < called_on:
            raise ApplicationError(_("A call cannot be paid before it is made."), field="paid_on")
    called = commitment.calls.aggregate(total=Sum("amount"))["total"] or Decimal(0)
    if called + amount > commitment.amount:
        raise ApplicationError(
            _("The calls would total %(total)s, above the commitment of %(committed)s.")
            % {
                "total": money_text(called + amount, commitment.currency),
                "committed": money_text(commitment.amount, commitment.currency),
            },
            field="amount",
        )
    call = CapitalCall(commitment=commitment, called_on=called_on, amount=amount, paid_on=paid_on)
    call._history_user = actor  # type: ignore[attr-defined]
    full_clean_or_error(call)
    call.save()
    return call


@transaction.atomic
def investment_create(
    *,
    actor: User,
    fund: FundingProgram,
    lead: Lead,
    invested_on: dt.date,
    amount: Decimal,
    currency: str,
    note: str = "",
) -> FundInvestment:
    """The fund's investment in a Suzhou lead."""
    _refuse_not_fund(fund)
    _refuse_closed_lead(lead)
    _refuse_future(invested_on, "invested_on")
    investment = FundInvestment(
        fund=fund,
        lead=lead,
        invested_on=invested_on,
        amount=_positive(amount, "amount"),
        currency=currency,
        note=note,
    )
    investment._history_user = actor  # type: ignore[attr-defined]
    full_clean_or_error(investment)
    investment.save()
    return investment
