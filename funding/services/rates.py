"""Dated exchange rates and conversions. A missing rate is an error, never a guessed number."""

from __future__ import annotations

import bisect
import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.models import User
from core.errors import ApplicationError, full_clean_or_error
from core.money import AMOUNT_PLACES, Currency
from funding.models import ExchangeRate

_CENT = Decimal(1).scaleb(-AMOUNT_PLACES)


@dataclass(frozen=True)
class Converted:
    """An amount in the currency asked for, and the rate(s) that got it there ("" and None when none was
    needed)."""

    amount: Decimal
    currency: str
    rate_date: dt.date | None
    rate_text: str


def max_rate_age() -> dt.timedelta:
    """A rate older than this is no rate: the bureau would rather add today's than report with a stale one."""
    return dt.timedelta(days=getattr(settings, "EXCHANGE_RATE_MAX_AGE_DAYS", 31))


def money_text(amount: Decimal, currency: str = "") -> str:
    """An exact figure for explanations and error messages: 1,000,000.00 CNY."""
    figure = f"{amount.quantize(_CENT, rounding=ROUND_HALF_UP):,.2f}"
    return f"{figure} {currency}" if currency else figure


def rate_text(rate: ExchangeRate) -> str:
    """1 HKD = 0.92 CNY (2025-03-07)"""
    value = rate.rate_to_cny.normalize()
    return f"1 {rate.currency} = {value:f} CNY ({rate.date:%Y-%m-%d})"


@transaction.atomic
def exchange_rate_set(
    *, currency: str, date: dt.date, rate_to_cny: Decimal, source: str = "", actor: User | None = None
) -> ExchangeRate:
    """Record a currency's rate for a day, replacing that day's rate if there was one."""
    if currency == Currency.CNY:
        raise ApplicationError(_("CNY is the reference currency and has no rate."), field="currency")
    if rate_to_cny is None or Decimal(rate_to_cny) <= 0:
        raise ApplicationError(_("The rate must be greater than zero."), field="rate_to_cny")
    rate = ExchangeRate.objects.select_for_update().filter(currency=currency, date=date).first()
    if rate is None:
        rate = ExchangeRate(currency=currency, date=date)
    rate.rate_to_cny = Decimal(rate_to_cny)
    rate.source = source
    rate._history_user = actor  # type: ignore[attr-defined]
    full_clean_or_error(rate, validate_unique=False, validate_constraints=False)
    try:
        with transaction.atomic():
            rate.save()
    except IntegrityError:
        # Someone recorded the same day at the same moment: theirs stands, ours updates it.
        rate = ExchangeRate.objects.get(currency=currency, date=date)
        rate.rate_to_cny = Decimal(rate_to_cny)
        rate.source = source
        rate._history_user = actor  # type: ignore[attr-defined]
        rate.save()
    return rate


def rate_on(*, currency: str, on: dt.date) -> ExchangeRate | None:
    """The latest rate of `currency` on or before `on`, if not older than the allowed age; None for CNY."""
    if currency == Currency.CNY:
        return None
    return (
        ExchangeRate.objects.filter(currency=currency, date__lte=on, date__gte=on - max_rate_age())
        .order_by("-date")
        .first()
    )


def _missing_rate(currency: str, on: dt.date) -> ApplicationError:
    older = ExchangeRate.objects.filter(currency=currency, date__lte=on).order_by("-date").first()
    if older is not None:
        return ApplicationError(
            _(
                "The latest %(currency)s rate is from %(date)s, more than %(days)s days before %(on)s: "
                "add a newer one under Exchange rates."
            )
            % {
                "currency": currency,
                "date": f"{older.date:%Y-%m-%d}",
                "days": max_rate_age().days,
                "on": f"{on:%Y-%m-%d}",
            },
            field="currency",
        )
    return ApplicationError(
        _("No %(currency)s rate on or before %(on)s: add it under Exchange rates.")
        % {"currency": currency, "on": f"{on:%Y-%m-%d}"},
        field="currency",
    )


class RateBook:
    """The rates of every currency on one date, read in one query on first use: reports and panels convert
    many amounts at the same date."""

    def __init__(self, on: dt.date) -> None:
        self.on = on
        self._rates: dict[str, ExchangeRate] | None = None

    def _load(self) -> dict[str, ExchangeRate]:
        if self._rates is None:
            rates: dict[str, ExchangeRate] = {}
            # Ordered newest first, so the first row of each currency is its rate for the day.
            for rate in ExchangeRate.objects.filter(
                date__lte=self.on, date__gte=self.on - max_rate_age()
            ).order_by("currency", "-date"):
                rates.setdefault(rate.currency, rate)
            self._rates = rates
        return self._rates

    def rate(self, currency: str) -> ExchangeRate:
        """The rate of a currency other than CNY; ApplicationError when there is none."""
        rate = self._load().get(currency)
        if rate is None:
            raise _missing_rate(currency, self.on)
        return rate

    def convert(self, amount: Decimal, currency: str, to: str) -> Converted:
        if currency == to:
            return Converted(amount=amount, currency=to, rate_date=None, rate_text="")
        used: list[ExchangeRate] = []
        yuan = Decimal(amount)
        if currency != Currency.CNY:
            source = self.rate(currency)
            used.append(source)
            yuan = yuan * source.rate_to_cny
        result = yuan
        if to != Currency.CNY:
            target = self.rate(to)
            used.append(target)
            result = yuan / target.rate_to_cny
        return Converted(
            amount=result.quantize(_CENT, rounding=ROUND_HALF_UP),
            currency=to,
            # Through CNY two rates are used; the older one says how fresh the result is.
            rate_date=min(rate.date for rate in used),
            rate_text="; ".join(rate_text(rate) for rate in used),
        )


class RateTable:
    """The rates of every currency over a span of days, read in one query on first use: a report converts
    amounts dated anywhere in its period, each at the latest rate on or before its own date (not older than
    max_rate_age(), as for RateBook)."""

    def __init__(self, start: dt.date, end: dt.date) -> None:
        self.start = start
        self.end = end
        self._rates: dict[str, tuple[list[dt.date], list[Decimal]]] | None = None

    def _load(self) -> dict[str, tuple[list[dt.date], list[Decimal]]]:
        if self._rates is None:
            rates: dict[str, tuple[list[dt.date], list[Decimal]]] = {}
            # Oldest first per currency, so each currency's dates are sorted for bisect.
            for currency, date, rate in (
                ExchangeRate.objects.filter(date__gte=self.start - max_rate_age(), date__lte=self.end)
                .order_by("currency", "date")
                .values_list("currency", "date", "rate_to_cny")
            ):
                dates, values = rates.setdefault(currency, ([], []))
                dates.append(date)
                values.append(rate)
            self._rates = rates
        return self._rates

    def rate(self, currency: str, on: dt.date) -> Decimal | None:
        """Yuan per unit of `currency` on `on`: 1 for CNY, None when no rate is recent enough."""
        if currency == Currency.CNY:
            return Decimal(1)
        if not self.start <= on <= self.end:
            raise ValueError(f"{on} is outside the table's span {self.start} – {self.end}")
        dates, values = self._load().get(currency, ([], []))
        index = bisect.bisect_right(dates, on) - 1
        if index < 0 or on - dates[index] > max_rate_age():
            return None
        return values[index]

    def highest(self) -> Decimal:
        """The most yuan a unit of any currency was worth in the span (1 at least: CNY itself)."""
        return max([Decimal(1), *(rate for _dates, values in self._load().values() for rate in values)])

    def to_cny(self, amount: Decimal, currency: str, on: dt.date) -> Decimal | None:
        """`amount` in yuan at the rate of `on`, unrounded (callers sum, then round once); None without a rate."""
        rate = self.rate(currency, on)
        return None if rate is None else Decimal(amount) * rate


def convert(*, amount: Decimal, currency: str, to: str, on: dt.date) -> Converted:
    """`amount` in `currency` expressed in `to` at the rates of `on` (HKD → USD goes through CNY)."""
    return RateBook(on).convert(amount, currency, to)
