"""Cell parsers for imports (text, amounts, dates as people type them in Suzhou and Hong Kong) and the cell guard
for exports. Pure functions: a cell that cannot be used raises `CellError` with a message for the user."""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from core.money import AMOUNT_DIGITS, AMOUNT_PLACES


class CellError(ValueError):
    """One cell's value cannot be used; the message is translated and says what is wrong."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def text(value: Any) -> str:
    """A cell as one line of text: None is empty, a whole float loses its ".0" (phone numbers typed into number
    cells), whitespace is collapsed. Formula text such as "=SUM(A1)" is returned as written."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    elif isinstance(value, dt.datetime):
        value = value.date() if value.time() == dt.time() else value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, dt.date):
        value = value.isoformat()
    return " ".join(str(value).split())


# Longest first, so "港元" is taken before "元" and "hk$" before "$".
_CURRENCY_MARKERS = (
    ("人民币", "CNY"),
    ("人民幣", "CNY"),
    ("港元", "HKD"),
    ("港币", "HKD"),
    ("港幣", "HKD"),
    ("美元", "USD"),
    ("美金", "USD"),
    ("hk$", "HKD"),
    ("hkd", "HKD"),
    ("us$", "USD"),
    ("usd", "USD"),
    ("rmb", "CNY"),
    ("cny", "CNY"),
    ("¥", "CNY"),
    ("元", "CNY"),
)
_CHINESE_UNITS = {"十": 10, "百": 100, "千": 1000, "万": 10**4, "萬": 10**4, "亿": 10**8, "億": 10**8}
_LATIN_UNITS = {
    "": 1,
    "k": 10**3,
    "thousand": 10**3,
    "w": 10**4,  # shorthand for 万 in mainland spreadsheets ("500w")
    "m": 10**6,
    "mn": 10**6,
    "mio": 10**6,
    "million": 10**6,
    "millions": 10**6,
    "b": 10**9,
    "bn": 10**9,
    "billion": 10**9,
    "billions": 10**9,
}
_AMOUNT = re.compile(r"(?P<sign>[-+]?)(?P<number>\d[\d,]*(?:\.\d+)?|\.\d+)(?P<unit>[十百千万萬亿億]*|[a-z]*)")
_GROUPED = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?")
_AMOUNT_LIMIT = Decimal(10) ** (AMOUNT_DIGITS - AMOUNT_PLACES)
_CENT = Decimal(1).scaleb(-AMOUNT_PLACES)


def parse_amount(value: Any, *, default_currency: str = "CNY") -> tuple[Decimal, str]:
    """An amount of money greater than zero and its currency: 500万, 1.2亿, 3,000,000, ¥300,000, 50万港元,
    HK$10m, USD 2.5 million; a bare number is in `default_currency`."""
    if isinstance(value, bool) or value is None or value == "":
        raise CellError(_("The amount is empty."))
    if isinstance(value, (int, float, Decimal)):
        shown = text(value)
        if isinstance(value, float) and not math.isfinite(value):
            raise CellError(_("Not an amount: “%(value)s”.") % {"value": shown})
        return _checked_amount(Decimal(str(value)), shown), default_currency
    shown = text(value)
    work = re.sub(r"\s+", "", unicodedata.normalize("NFKC", shown).lower())
    currencies = set()
    for marker, code in _CURRENCY_MARKERS:
        if marker in work:
            currencies.add(code)
            work = work.replace(marker, "")
    if len(currencies) > 1:
        raise CellError(_("“%(value)s” names more than one currency.") % {"value": shown})
    if "$" in work:
        raise CellError(_("“%(value)s”: write HK$ or US$ to say which dollar.") % {"value": shown})
    if work.startswith("(") and work.endswith(")"):  # accountants' negative
        work = "-" + work[1:-1]
    match = _AMOUNT.fullmatch(work)
    if not match:
        raise CellError(_("Not an amount: “%(value)s”.") % {"value": shown})
    unit = match["unit"]
    if unit in _LATIN_UNITS:
        factor = _LATIN_UNITS[unit]
    elif set(unit) <= _CHINESE_UNITS.keys():
        factor = math.prod(_CHINESE_UNITS[char] for char in unit)  # 百万 is 10⁶, 千万 10⁷
    else:
        raise CellError(_("Not an amount: “%(value)s”.") % {"value": shown})
    number = match["number"]
    if "," in number:
        if not _GROUPED.fullmatch(number):
            raise CellError(_("Not an amount: “%(value)s”.") % {"value": shown})
        number = number.replace(",", "")
    try:
        amount = Decimal(number) * factor
    except InvalidOperation as exc:
        raise CellError(_("Not an amount: “%(value)s”.") % {"value": shown}) from exc
    if match["sign"] == "-":
        amount = -amount
    return _checked_amount(amount, shown), currencies.pop() if currencies else default_currency


def _checked_amount(amount: Decimal, shown: str) -> Decimal:
    if not amount.is_finite():
        raise CellError(_("Not an amount: “%(value)s”.") % {"value": shown})
    if amount <= 0:
        raise CellError(_("The amount must be greater than zero, not “%(value)s”.") % {"value": shown})
    if amount >= _AMOUNT_LIMIT:
        raise CellError(_("The amount “%(value)s” is too large.") % {"value": shown})
    return amount.quantize(_CENT, rounding=ROUND_HALF_UP)


_FIRST_YEAR, _LAST_YEAR = 1900, 2100
_MONTH_NAMES = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
# A time after the date is what a datetime cell becomes when the sheet is saved as CSV.
_TIME = r"(?:[ t]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
_YEAR_FIRST = re.compile(r"(?P<y>\d{4})\s*([-/.])\s*(?P<m>\d{1,2})\s*\2\s*(?P<d>\d{1,2})" + _TIME)
_DAY_FIRST = re.compile(r"(?P<d>\d{1,2})\s*([-/.])\s*(?P<m>\d{1,2})\s*\2\s*(?P<y>\d+)" + _TIME)
_CHINESE = re.compile(r"(?P<y>\d+)\s*年\s*(?P<m>\d+)\s*月\s*(?P<d>\d+)\s*[日号號]?" + _TIME)
_COMPACT = re.compile(r"(?P<y>(?:19|20|21)\d\d)(?P<m>\d\d)(?P<d>\d\d)")
_NAMED_DAY_FIRST = re.compile(
    r"(?P<d>\d{1,2})(?:st|nd|rd|th)?[\s\-/.]*(?P<name>[a-z]+)\.?[\s\-/.,]*(?P<y>\d+)"
)
_NAMED_MONTH_FIRST = re.compile(r"(?P<name>[a-z]+)\.?\s*(?P<d>\d{1,2})(?:st|nd|rd|th)?\s*,?\s*(?P<y>\d+)")
_NO_DAY = re.compile(r"\d{4}\s*(?:年\s*\d{1,2}\s*月?|[-/.]\s*\d{1,2})|\d{1,2}\s*[-/.]\s*\d{4}")
_NAMED_NO_DAY = re.compile(r"(?P<name>[a-z]+)\.?[\s\-/.,]*\d{4}")


def parse_date(value: Any) -> dt.date:
    """A calendar date from a date cell, an Excel serial number, or text: 2025年3月10日, 2025-03-10, 2025/3/10,
    2025.3.10, 10/03/2025 (day first, as written in Hong Kong), 10 March 2025."""
    if isinstance(value, dt.datetime):
        return _checked_date(value.year, value.month, value.day)
    if isinstance(value, dt.date):
        return _checked_date(value.year, value.month, value.day)
    if value is None or value == "":
        raise CellError(_("The date is empty."))
    if isinstance(value, bool):
        raise CellError(_("Not a date: “%(value)s”.") % {"value": value})
    if isinstance(value, (int, float, Decimal)):
        return _from_number(value)
    shown = text(value)
    work = unicodedata.normalize("NFKC", shown).lower().strip()
    if match := _COMPACT.fullmatch(work):
        return _checked_date(int(match["y"]), int(match["m"]), int(match["d"]))
    for pattern in (_YEAR_FIRST, _DAY_FIRST, _CHINESE):
        if match := pattern.fullmatch(work):
            return _checked_date(_year(match["y"], shown), int(match["m"]), int(match["d"]))
    # Checked before the month-name forms, which would read "March 2025" as 20 March 25.
    named = _NAMED_NO_DAY.fullmatch(work)
    if _NO_DAY.fullmatch(work) or (named and named["name"] in _MONTH_NAMES):
        raise CellError(_("“%(value)s” has no day: write the full date.") % {"value": shown})
    for pattern in (_NAMED_DAY_FIRST, _NAMED_MONTH_FIRST):
        if (match := pattern.fullmatch(work)) and match["name"] in _MONTH_NAMES:
            return _checked_date(_year(match["y"], shown), _MONTH_NAMES[match["name"]], int(match["d"]))
    raise CellError(_("Not a date: “%(value)s”.") % {"value": shown})


def _year(digits: str, shown: str) -> int:
    if len(digits) != 4:
        raise CellError(_("“%(value)s”: write the year with four digits.") % {"value": shown})
    return int(digits)


def _from_number(value: int | float | Decimal) -> dt.date:
    shown = text(value)
    number = float(value)
    if number.is_integer() and _COMPACT.fullmatch(str(int(number))):
        # 20250310 typed into a number cell.
        return parse_date(str(int(number)))
    # Excel counts days from 1899-12-30 (its phantom 29 February 1900 shifts every later serial by one);
    # the range keeps ordinary numbers such as 12 or 3000000 from passing as dates.
    first = (dt.date(_FIRST_YEAR, 3, 1) - dt.date(1899, 12, 30)).days
    last = (dt.date(_LAST_YEAR, 12, 31) - dt.date(1899, 12, 30)).days
    if not math.isfinite(number) or not first <= number <= last:
        raise CellError(_("Not a date: “%(value)s”.") % {"value": shown})
    return dt.date(1899, 12, 30) + dt.timedelta(days=int(number))


def _checked_date(year: int, month: int, day: int) -> dt.date:
    if not _FIRST_YEAR <= year <= _LAST_YEAR:
        raise CellError(_("The year %(year)s is out of range.") % {"year": year})
    if not 1 <= month <= 12:
        raise CellError(_("Month %(month)s does not exist.") % {"month": month})
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise CellError(
            _("Day %(day)s does not exist in %(year)s-%(month)02d.")
            % {"day": day, "year": year, "month": month}
        ) from None


# The control characters XML 1.0 cannot carry (openpyxl's ILLEGAL_CHARACTERS_RE): openpyxl refuses the whole
# workbook for one of them, so a vertical tab pasted from Word into a lead's name made every export that lists the
# lead a 500.
_UNWRITABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


# The first characters a spreadsheet reads as the start of a formula (or of a formula after a tab or a return).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """A value as a spreadsheet cell; text that a spreadsheet would run as a formula is kept as text, and control
    characters a workbook cannot hold become spaces (first, so the formula check sees the text as written)."""
    if isinstance(value, (list, dict)):
        value = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
    if isinstance(value, str):
        value = _UNWRITABLE.sub(" ", value)
    if isinstance(value, str) and value[:1] in FORMULA_STARTS:
        return "'" + value
    return value


def unsafe_cell(value: Any) -> Any:
    """The inverse of safe_cell, for cells read from an upload: the apostrophe our exports put before text that
    would run goes away again, so an exported ledger or a corrected rejected-rows file imports the text as it
    was typed. An apostrophe before anything else is the person's own and stays."""
    if isinstance(value, str) and value[:1] == "'" and value[1:2] in FORMULA_STARTS:
        return value[1:]
    return value
