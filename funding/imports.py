"""Exchange-rate import: a sheet of daily rates (the PBOC central parity the bureau keeps) becomes ExchangeRate rows.

One row is one currency on one day. A day already recorded at the same rate is left alone, so importing the same
sheet again changes nothing; a day recorded at another rate is corrected, and the preview says from what to what.

Rates are read per unit of the currency ("1 HKD = 0.9188 CNY"). The central parity is often published per 100
units ("100港元 = 91.88元"): such figures go in a column headed for them (每100 / per 100), and are divided by 100.
A header with the per-100 note in brackets that is not among those aliases would be read as per unit, so every rate
is also held to a plausible band (`PER_UNIT_RANGE`): a per-100 figure read as per unit is refused, never stored.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.imports.base import Importer, Outcome, RowCheck
from core.imports.reading import Column, SourceRow
from core.imports.values import CellError, parse_date, text
from core.money import Currency
from funding.models import ExchangeRate
from funding.services import exchange_rate_set

PLACES = ExchangeRate._meta.get_field("rate_to_cny").decimal_places
SOURCE_LENGTH = ExchangeRate._meta.get_field("source").max_length
# Yuan per unit of the currencies the bureau converts (HKD about 0.9, USD about 7): a figure outside is a per-100
# quote, a per-100 figure in a per-unit column or the other way round, or a typing slip.
PER_UNIT_RANGE = (Decimal("0.01"), Decimal("50"))

COLUMNS: tuple[Column, ...] = (
    Column(
        "currency",
        gettext_lazy("Currency"),
        ("币种", "幣種", "货币", "貨幣", "外币", "外幣", "币别", "幣別", "currency", "ccy"),
        required=True,
    ),
    Column("date", gettext_lazy("Date"), ("日期", "生效日期", "date", "rate date", "as of"), required=True),
    Column(
        "rate",
        gettext_lazy("Rate to CNY"),
        (
            "汇率",
            "匯率",
            "兑人民币",
            "兌人民幣",
            "中间价",
            "中間價",
            "人民币汇率中间价",
            "人民幣匯率中間價",
            "rate",
            "rate to cny",
            "exchange rate",
            "cny per unit",
        ),
    ),
    Column(
        "rate_per_100",
        gettext_lazy("Rate to CNY per 100 units"),
        (
            "每100",
            "每100外币",
            "每100外幣",
            "每100单位",
            "每100單位",
            "每100港元",
            "每100美元",
            "100外币兑人民币",
            "100外幣兌人民幣",
            "100港元兑人民币",
            "100港元兌人民幣",
            "100美元兑人民币",
            "100美元兌人民幣",
            "汇率(每100)",
            "汇率(每100外币)",
            "汇率(每100港元)",
            "汇率(每100美元)",
            "中间价(每100)",
            "中间价(每100外币)",
            "中间价(每100港元)",
            "中间价(每100美元)",
            "per 100",
            "rate per 100",
            "rate per 100 units",
            "cny per 100",
            "cny per 100 units",
        ),
    ),
    Column("source", gettext_lazy("Source"), ("来源", "來源", "数据来源", "數據來源", "source")),
)

# Longest first, so "港元" is taken before "元" and "hk$" before "$".
_CURRENCY_MARKERS: tuple[tuple[str, Currency], ...] = (
    ("人民币", Currency.CNY),
    ("人民幣", Currency.CNY),
    ("港元", Currency.HKD),
    ("港币", Currency.HKD),
    ("港幣", Currency.HKD),
    ("美元", Currency.USD),
    ("美金", Currency.USD),
    ("hk$", Currency.HKD),
    ("hkd", Currency.HKD),
    ("us$", Currency.USD),
    ("usd", Currency.USD),
    ("rmb", Currency.CNY),
    ("cny", Currency.CNY),
    ("¥", Currency.CNY),
    ("元", Currency.CNY),
)
_NUMBER = re.compile(r"\+?(?:\d+(?:\.\d*)?|\.\d+)")


def parse_currency(value: Any) -> str:
    """HKD from "HKD", "港币", "港元（HKD）", "HK$"; USD likewise; CNY and anything else refused."""
    shown = text(value)
    if not shown:
        raise CellError(_("The currency is empty."))
    work = unicodedata.normalize("NFKC", shown).lower()
    found: set[Currency] = set()
    for marker, code in _CURRENCY_MARKERS:
        if marker in work:
            found.add(code)
            work = work.replace(marker, " ")
    # Whatever is left besides brackets and spacing is a word we do not know ("港币/美元", "EUR").
    leftover = "".join(char for char in work if unicodedata.category(char)[0] in "LN")
    if len(found) != 1 or leftover:
        raise CellError(_("Unknown currency “%(value)s”: write HKD (港币) or USD (美元).") % {"value": shown})
    code = found.pop()
    if code == Currency.CNY:
        raise CellError(_("CNY is the reference currency and has no rate."))
    return code.value


def _number(value: Any, *, label: str) -> Decimal | None:
    """A cell as a positive decimal; None when empty."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    shown = text(value)
    if isinstance(value, bool):
        raise CellError(_("%(label)s: not a number: “%(value)s”.") % {"label": label, "value": shown})
    work = unicodedata.normalize("NFKC", shown).replace(" ", "")
    negative = work.startswith("-")
    if not _NUMBER.fullmatch(work.removeprefix("-")):
        raise CellError(_("%(label)s: not a number: “%(value)s”.") % {"label": label, "value": shown})
    try:
        number = Decimal(work)
    except InvalidOperation:  # pragma: no cover - the pattern admits only decimal text
        raise CellError(
            _("%(label)s: not a number: “%(value)s”.") % {"label": label, "value": shown}
        ) from None
    if negative or number <= 0:
        raise CellError(
            _("%(label)s must be greater than zero, not “%(value)s”.") % {"label": label, "value": shown}
        )
    return number


def parse_rate(per_unit: Any, per_100: Any, *, currency: str) -> Decimal:
    """Yuan per unit of `currency`, from the per-unit cell or the per-100 cell (or both, when they agree)."""
    unit = _number(per_unit, label=str(COLUMNS[2].label))
    hundred = _number(per_100, label=str(COLUMNS[3].label))
    if unit is None and hundred is None:
        raise CellError(_("The rate is empty."))
    from_hundred = hundred / 100 if hundred is not None else None
    if unit is not None and from_hundred is not None and unit != from_hundred:
        raise CellError(
            _("The rate %(unit)s per unit and %(hundred)s per 100 units disagree: keep one of them.")
            % {"unit": text(per_unit), "hundred": text(per_100)}
        )
    rate = unit if unit is not None else from_hundred
    assert rate is not None
    rate = rate.normalize()
    if -rate.as_tuple().exponent > PLACES:  # type: ignore[operator]
        raise CellError(
            _("The rate %(rate)s has more than %(places)s decimal places.")
            % {"rate": f"{rate:f}", "places": PLACES}
        )
    low, high = PER_UNIT_RANGE
    if not low <= rate <= high:
        if unit is not None and rate > high:
            hint = _("if it is the rate for 100 %(currency)s, put it in a column headed “每100” / “per 100”.")
        elif unit is None and rate < low:
            hint = _("if it is the rate for 1 %(currency)s, put it in a column headed “汇率” / “rate”.")
        else:
            hint = _("check the figure.")
        raise CellError(
            _("1 %(currency)s = %(rate)s CNY cannot be right: %(hint)s")
            % {"currency": currency, "rate": f"{rate:f}", "hint": hint % {"currency": currency}}
        )
    return rate


def rate_key(currency: str, date: dt.date) -> str:
    return f"{currency}:{date.isoformat()}"


class ExchangeRateImporter(Importer):
    kind = "funding.rates"
    title = gettext_lazy("Exchange rates")
    permission = "funding.add_exchangerate"
    columns = COLUMNS
    result_labels = {
        "rates_created": gettext_lazy("Rates added"),
        "rates_changed": gettext_lazy("Rates changed"),
    }

    def check(self, rows: Sequence[SourceRow]) -> list[RowCheck]:
        today = timezone.localdate()
        parsed: list[tuple[SourceRow, dict[str, Any] | None, list[str]]] = []
        for row in rows:
            data, errors = self._parse(row, today)
            parsed.append((row, data, errors))
        existing = self._existing([data for _row, data, _errors in parsed if data])
        checks: list[RowCheck] = []
        for row, data, errors in parsed:
            if data is None:
                checks.append(RowCheck(number=row.number, outcome=Outcome.ERROR, messages=errors))
                continue
            key = rate_key(data["currency"], dt.date.fromisoformat(data["date"]))
            rate = Decimal(data["rate"])
            check = RowCheck(number=row.number, outcome=Outcome.NEW, key=key, data=data)
            stored = existing.get(key)
            if stored is not None and stored.rate_to_cny == rate:
                check.outcome = Outcome.UNCHANGED
                check.messages = [
                    _("Already recorded: 1 %(currency)s = %(rate)s CNY on %(date)s.")
                    % {"currency": data["currency"], "rate": f"{rate:f}", "date": data["date"]}
                ]
            elif stored is not None:
                check.outcome = Outcome.MATCH
                check.messages = [
                    _("Will change the %(currency)s rate of %(date)s from %(old)s to %(new)s.")
                    % {
                        "currency": data["currency"],
                        "date": data["date"],
                        "old": f"{stored.rate_to_cny.normalize():f}",
                        "new": f"{rate:f}",
                    }
                ]
            checks.append(check)
        return checks

    def _parse(self, row: SourceRow, today: dt.date) -> tuple[dict[str, Any] | None, list[str]]:
        values = row.values
        errors: list[str] = []
        currency = date = rate = None
        try:
            currency = parse_currency(values.get("currency"))
        except CellError as error:
            errors.append(error.message)
        try:
            date = parse_date(values.get("date"))
            if date > today:
                errors.append(
                    _("The date %(date)s is in the future: a rate is recorded once it is published.")
                    % {"date": date.isoformat()}
                )
        except CellError as error:
            errors.append(error.message)
        try:
            rate = parse_rate(values.get("rate"), values.get("rate_per_100"), currency=currency or "")
        except CellError as error:
            errors.append(error.message)
        source = text(values.get("source"))
        if SOURCE_LENGTH and len(source) > SOURCE_LENGTH:
            errors.append(
                _("The source is %(length)s characters long; at most %(limit)s fit.")
                % {"length": len(source), "limit": SOURCE_LENGTH}
            )
        if errors or currency is None or date is None or rate is None:
            return None, errors
        return {"currency": currency, "date": date.isoformat(), "rate": f"{rate:f}", "source": source}, []

    def _existing(self, rows: list[dict[str, Any]]) -> dict[str, ExchangeRate]:
        """The stored rates of the chunk's (currency, day) pairs, in one query."""
        if not rows:
            return {}
        wanted = {rate_key(data["currency"], dt.date.fromisoformat(data["date"])) for data in rows}
        candidates = ExchangeRate.objects.filter(
            currency__in={data["currency"] for data in rows}, date__in={data["date"] for data in rows}
        )
        return {key: rate for rate in candidates if (key := rate_key(rate.currency, rate.date)) in wanted}

    def commit(self, checks: Sequence[RowCheck]) -> dict[str, int]:
        counts = {"rates_created": 0, "rates_changed": 0}
        for check in checks:
            exchange_rate_set(
                currency=check.data["currency"],
                date=dt.date.fromisoformat(check.data["date"]),
                rate_to_cny=Decimal(check.data["rate"]),
                source=check.data["source"],
                actor=self.actor,  # type: ignore[arg-type]
            )
            counts["rates_changed" if check.outcome == Outcome.MATCH else "rates_created"] += 1
        return counts
