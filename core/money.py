"""Money is an amount and an ISO currency, never summed across currencies without a dated rate."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django import forms
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

AMOUNT_DIGITS = 18
AMOUNT_PLACES = 2


class Currency(models.TextChoices):
    CNY = "CNY", _("Renminbi (CNY)")
    HKD = "HKD", _("Hong Kong dollar (HKD)")
    USD = "USD", _("US dollar (USD)")


def amount_field(verbose_name, **kwargs) -> models.DecimalField:
    return models.DecimalField(verbose_name, max_digits=AMOUNT_DIGITS, decimal_places=AMOUNT_PLACES, **kwargs)


def currency_field(verbose_name=None, **kwargs) -> models.CharField:
    kwargs.setdefault("default", Currency.CNY)
    return models.CharField(verbose_name or _("currency"), max_length=3, choices=Currency.choices, **kwargs)


# Chinese figures: unit name after the amount. Traditional script uses 萬/億 and writes the currency the same way.
_CHINESE_CURRENCY: dict[str, str] = {Currency.CNY: "元", Currency.HKD: "港元", Currency.USD: "美元"}
_TRADITIONAL = {"zh-hant", "zh-hk", "zh-tw", "zh-mo"}
_WAN = Decimal(10) ** 4
_YI = Decimal(10) ** 8
_MILLION = Decimal(10) ** 6
_BILLION = Decimal(10) ** 9


def _figure(number: Decimal, places: int, *, grouped: bool) -> str:
    """`number` rounded to `places` decimals, trailing zeros dropped: 1.20 → "1.2", 5000.00 → "5000"."""
    text = f"{number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP):{',' if grouped else ''}.{places}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def format_amount(amount: Decimal | int | str | None, currency: str, *, language: str | None = None) -> str:
    """An amount as people say it: 5000万元, 1.2亿元, 1,000万港元 in Chinese; CNY 50 million in English.
    Rounded for reading (to 0.01万 / 0.0001亿 / 0.01 million); records keep the exact figure."""
    if amount is None or amount == "":
        return ""
    number = Decimal(str(amount))
    language = (language or get_language() or "zh-hans").lower()
    sign = "-" if number < 0 else ""
    number = abs(number)
    if language.startswith("zh"):
        traditional = language in _TRADITIONAL
        # Mainland documents write 万元 figures ungrouped (5000万元); Hong Kong ones group them (1,000萬港元), and
        # HKD and USD figures are copied as the Hong Kong side writes them.
        grouped = currency != Currency.CNY
        unit = _CHINESE_CURRENCY.get(currency, f" {currency}")
        if number >= _YI:
            figure = _figure(number / _YI, 4, grouped=grouped) + ("億" if traditional else "亿")
        elif number >= _WAN:
            figure = _figure(number / _WAN, 2, grouped=grouped) + ("萬" if traditional else "万")
        else:
            figure = _figure(number, 2, grouped=grouped)
        return f"{sign}{figure}{unit}"
    if number >= _BILLION:
        figure = f"{_figure(number / _BILLION, 2, grouped=True)} billion"
    elif number >= _MILLION:
        figure = f"{_figure(number / _MILLION, 2, grouped=True)} million"
    else:
        figure = _figure(number, 2, grouped=True)
    return f"{currency} {sign}{figure}"


class Amount(Decimal):
    """A parsed amount that remembers the currency its text named (or the field's default). Arithmetic gives
    plain Decimals; a model's DecimalField stores it as one."""

    currency: str

    def __new__(cls, value: Decimal, currency: str) -> Amount:
        amount = super().__new__(cls, value)
        amount.currency = currency
        return amount


class AmountField(forms.Field):
    """A form field taking amounts as people type them: 500万, 1.2亿, HK$10m, 3,000,000.

    `default_currency` is the currency of a bare number. With `currency`, the amount must be in that currency
    (text naming another one is refused); without it, the cleaned Amount's `.currency` says which one was named,
    for the form to check against its currency field."""

    default_error_messages = {
        "currency": _("This amount is in %(named)s; enter it in %(currency)s."),
    }

    def __init__(
        self, *, default_currency: str = Currency.CNY, currency: str | None = None, **kwargs
    ) -> None:
        self.currency = currency
        self.default_currency = currency or default_currency
        kwargs.setdefault("widget", forms.TextInput(attrs={"autocomplete": "off"}))
        kwargs.setdefault("help_text", _("For example 500万, 1.2亿, HK$10m or 3,000,000."))
        super().__init__(**kwargs)

    def prepare_value(self, value):
        # Shown back for editing as a plain figure, which parses again to the same amount.
        if isinstance(value, Decimal):
            return _figure(value, AMOUNT_PLACES, grouped=False)
        return value

    def to_python(self, value) -> Amount | None:
        if value in self.empty_values or (isinstance(value, str) and not value.strip()):
            return None
        # Imported here: core.imports.values depends on this module for the amount's size.
        from core.imports.values import CellError, parse_amount

        try:
            amount, named = parse_amount(value, default_currency=self.default_currency)
        except CellError as exc:
            raise forms.ValidationError(exc.message, code="invalid") from exc
        if self.currency and named != self.currency:
            raise forms.ValidationError(
                self.error_messages["currency"],
                code="currency",
                params={"named": named, "currency": self.currency},
            )
        return Amount(amount, named)
