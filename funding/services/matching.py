"""Matching funds: ratio × the lead's Hong Kong grants, converted at a date's rates and capped, with the
computation written out so the approval can store it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from core.errors import ApplicationError
from funding.models import FundingApplication, ProgramType, ProgramVersion
from funding.services.rates import RateBook, money_text
from projects.models import Lead

Status = FundingApplication.Status
# A grant or award the lead holds: approved, being paid or paid out.
HELD = (Status.APPROVED, Status.DISBURSING, Status.CLOSED)


@dataclass(frozen=True)
class Matching:
    """The most a matching programme may grant a lead, and how it was computed (grants, rates, ratio, cap)."""

    amount: Decimal
    currency: str
    basis: str


def held_hk_grants(lead: Lead, on: dt.date):
    """The lead's Hong Kong grants decided by `on` (the base of matching)."""
    return (
        FundingApplication.objects.filter(
            lead=lead,
            version__program__program_type=ProgramType.HK_GRANT,
            status__in=HELD,
            decision_date__lte=on,
        )
        .select_related("version__program")
        .order_by("decision_date", "pk")
    )


def matching_amount(*, lead: Lead, version: ProgramVersion, on: dt.date) -> Matching:
    """ratio × the lead's Hong Kong grants (converted to the version's currency at `on`), capped."""
    return matching_from(list(held_hk_grants(lead, on)), version=version, on=on, rates=RateBook(on))


def matching_from(
    grants: Iterable[FundingApplication], *, version: ProgramVersion, on: dt.date, rates: RateBook
) -> Matching:
    """matching_amount over grants already read (the funding panel has them), converting through `rates`."""
    if version.matching_ratio is None:
        raise ApplicationError(
            _("%(version)s has no matching ratio.") % {"version": version}, field="version"
        )
    currency = version.currency
    lines: list[str] = []
    total = Decimal(0)
    for grant in grants:
        if grant.approved_amount is None:
            continue
        converted = rates.convert(grant.approved_amount, grant.currency, currency)
        total += converted.amount
        params = {
            "grant": grant.version,
            "date": f"{grant.decision_date:%Y-%m-%d}" if grant.decision_date else "",
            "amount": money_text(grant.approved_amount, grant.currency),
            "converted": money_text(converted.amount, currency),
            "rate": converted.rate_text,
        }
        if converted.rate_text:
            lines.append(_("%(grant)s (%(date)s): %(amount)s = %(converted)s at %(rate)s") % params)
        else:
            lines.append(_("%(grant)s (%(date)s): %(amount)s") % params)
    if not lines:
        return Matching(
            amount=Decimal("0.00"),
            currency=currency,
            basis=_("No Hong Kong grant of this lead was approved by %(date)s.") % {"date": f"{on:%Y-%m-%d}"},
        )
    ratio = version.matching_ratio.normalize()
    raw = (total * version.matching_ratio).quantize(Decimal("0.01"))
    lines.append(
        _("Matching %(ratio)s × %(total)s = %(raw)s")
        % {"ratio": f"{ratio:f}", "total": money_text(total, currency), "raw": money_text(raw, currency)}
    )
    amount = raw
    if version.matching_cap is not None:
        cap = money_text(version.matching_cap, currency)
        if raw > version.matching_cap:
            amount = version.matching_cap
            lines.append(_("capped at %(cap)s.") % {"cap": cap})
        else:
            lines.append(_("within the cap of %(cap)s.") % {"cap": cap})
    return Matching(amount=amount, currency=currency, basis="; ".join(lines))
