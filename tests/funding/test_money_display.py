"""Money as people write and read it: 万 and 亿 in Chinese (万元, 亿元, 港元, 美元), thousands and millions in
English; and a form field that takes "500万", "1.2亿" or "HK$10m"."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django import forms
from django.utils import translation

from core.money import AmountField, format_amount

M = Decimal(1_000_000)


@pytest.mark.parametrize(
    ("amount", "currency", "hans", "hant", "en"),
    [
        (50 * M, "CNY", "5000万元", "5000萬元", "CNY 50 million"),
        (120 * M, "CNY", "1.2亿元", "1.2億元", "CNY 120 million"),
        (10 * M, "HKD", "1,000万港元", "1,000萬港元", "HKD 10 million"),
        (Decimal("3500000"), "USD", "350万美元", "350萬美元", "USD 3.5 million"),
        (Decimal("350000"), "USD", "35万美元", "35萬美元", "USD 350,000"),
        (Decimal("10000000000"), "HKD", "100亿港元", "100億港元", "HKD 10 billion"),
        (Decimal("8000"), "CNY", "8000元", "8000元", "CNY 8,000"),
        (Decimal("12345.67"), "CNY", "1.23万元", "1.23萬元", "CNY 12,345.67"),
    ],
)
def test_amounts_read_in_each_language(amount, currency, hans, hant, en):
    assert format_amount(amount, currency, language="zh-hans") == hans
    assert format_amount(amount, currency, language="zh-hant") == hant
    assert format_amount(amount, currency, language="en") == en


def test_the_language_defaults_to_the_active_one():
    with translation.override("en"):
        assert format_amount(50 * M, "CNY") == "CNY 50 million"
    with translation.override("zh-hant"):
        assert format_amount(120 * M, "CNY") == "1.2億元"
    with translation.override("zh-hans"):
        assert format_amount(50 * M, "CNY") == "5000万元"
    assert format_amount(None, "CNY") == ""


class GrantForm(forms.Form):
    amount = AmountField()
    cny_only = AmountField(currency="CNY", required=False)


@pytest.mark.parametrize(
    ("typed", "amount", "currency"),
    [
        ("500万", Decimal("5000000.00"), "CNY"),
        ("1.2亿", Decimal("120000000.00"), "CNY"),
        ("HK$10m", Decimal("10000000.00"), "HKD"),
        ("3,000,000", Decimal("3000000.00"), "CNY"),
        ("50万港元", Decimal("500000.00"), "HKD"),
        ("USD 2.5 million", Decimal("2500000.00"), "USD"),
    ],
)
def test_the_amount_field_takes_amounts_as_written(typed, amount, currency):
    form = GrantForm(data={"amount": typed})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["amount"] == amount
    assert form.cleaned_data["amount"].currency == currency
    assert form.cleaned_data["cny_only"] is None


def test_the_amount_field_refuses_what_is_not_an_amount():
    with translation.override("en"):
        form = GrantForm(data={"amount": "五百", "cny_only": "HK$10m"})
        assert not form.is_valid()
        assert form.errors["amount"] == ["Not an amount: “五百”."]
        assert form.errors["cny_only"] == ["This amount is in HKD; enter it in CNY."]
        assert GrantForm(data={"amount": ""}).errors["amount"] == ["This field is required."]
        assert GrantForm(data={"amount": "-5万"}).errors["amount"] == [
            "The amount must be greater than zero, not “-5万”."
        ]


def test_an_amount_is_shown_back_as_a_figure_that_parses_again():
    form = GrantForm(initial={"amount": Decimal("5000000.00")})
    shown = form["amount"].value()
    assert form.fields["amount"].prepare_value(shown) == "5000000"
    assert GrantForm(data={"amount": "5000000"}).is_valid()
