import datetime as dt
from decimal import Decimal

import pytest
from django.utils import translation

from core.imports.values import CellError, parse_amount, parse_date, safe_cell, text


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.mark.parametrize(
    ("cell", "amount", "currency"),
    [
        ("500万", "5000000", "CNY"),
        ("500万元", "5000000", "CNY"),
        ("1.2亿", "120000000", "CNY"),
        ("3,000,000", "3000000", "CNY"),
        ("¥300,000", "300000", "CNY"),
        ("￥300,000", "300000", "CNY"),
        ("300000元", "300000", "CNY"),
        ("RMB 2千", "2000", "CNY"),
        ("５００万", "5000000", "CNY"),
        ("HK$10m", "10000000", "HKD"),
        ("50万港元", "500000", "HKD"),
        ("50万港币", "500000", "HKD"),
        ("HKD 12.5k", "12500", "HKD"),
        ("USD 2.5 million", "2500000", "USD"),
        ("US$1.5bn", "1500000000", "USD"),
        ("200万美元", "2000000", "USD"),
        ("2.5M", "2500000", "CNY"),
        (1200000, "1200000", "CNY"),
        (1234.567, "1234.57", "CNY"),
        (Decimal("99.5"), "99.5", "CNY"),
    ],
)
def test_amounts_people_write_are_read(cell, amount, currency):
    assert parse_amount(cell) == (Decimal(amount).quantize(Decimal("0.01")), currency)


def test_a_bare_number_takes_the_default_currency():
    assert parse_amount("800000", default_currency="HKD") == (Decimal("800000.00"), "HKD")


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ("abc", "Not an amount: “abc”."),
        ("-5", "The amount must be greater than zero, not “-5”."),
        ("0", "The amount must be greater than zero, not “0”."),
        ("1,5", "Not an amount: “1,5”."),
        ("$5", "“$5”: write HK$ or US$ to say which dollar."),
        ("HK$5 USD", "“HK$5 USD” names more than one currency."),
        ("", "The amount is empty."),
    ],
)
def test_amounts_that_cannot_be_read_say_why(cell, message):
    with pytest.raises(CellError) as error:
        parse_amount(cell)
    assert error.value.message == message


@pytest.mark.parametrize(
    "cell",
    [
        "2025年3月10日",
        "2025年3月10号",
        "2025-03-10",
        "2025/3/10",
        "2025.3.10",
        "10/03/2025",
        "10-03-2025",
        "20250310",
        "2025-03-10 00:00:00",
        "10 March 2025",
        "10-Mar-2025",
        "２０２５年３月１０日",
        45726,
        45726.25,
        dt.date(2025, 3, 10),
        dt.datetime(2025, 3, 10, 14, 30),
    ],
)
def test_dates_people_write_are_read(cell):
    assert parse_date(cell) == dt.date(2025, 3, 10)


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ("2025-13-01", "Month 13 does not exist."),
        ("2025年13月1日", "Month 13 does not exist."),
        ("2025年2月30日", "Day 30 does not exist in 2025-02."),
        ("2025年3月", "“2025年3月” has no day: write the full date."),
        ("25-3-10", "“25-3-10”: write the year with four digits."),
        ("10/3/25", "“10/3/25”: write the year with four digits."),
        ("next week", "Not a date: “next week”."),
        (12, "Not a date: “12”."),
        ("1850-01-01", "The year 1850 is out of range."),
    ],
)
def test_dates_that_cannot_be_read_say_why(cell, message):
    with pytest.raises(CellError) as error:
        parse_date(cell)
    assert error.value.message == message


def test_a_cell_error_is_a_value_error():
    with pytest.raises(ValueError, match="Not a date"):
        parse_date("month 13")


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        (None, ""),
        (12.0, "12"),
        (13800138000.0, "13800138000"),
        (12.5, "12.5"),
        ("  张  三\n ", "张 三"),
        ("=SUM(A1)", "=SUM(A1)"),
        (dt.datetime(2025, 3, 10), "2025-03-10"),
    ],
)
def test_text_is_one_clean_line(cell, expected):
    assert text(cell) == expected


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+1", "'=1+1"),
        ("+852 9123 4567", "'+852 9123 4567"),
        ("-5", "'-5"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("张三", "张三"),
        (-5, -5),
        (["a", "b"], "a, b"),
        (["=cmd"], "'=cmd"),
        ({"k": 1}, "{'k': 1}"),
        (None, None),
    ],
)
def test_safe_cell_keeps_formulas_as_text(value, cell):
    assert safe_cell(value) == cell
