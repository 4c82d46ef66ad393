"""Exchange rates: one per currency and day, the latest within the allowed age, conversions that say which rate
they used, and a missing rate that is an error — never a number."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import translation

from core.errors import ApplicationError
from funding import services
from funding.models import ExchangeRate
from tests.funding.conftest import RATE_DAY

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def test_setting_a_day_twice_updates_that_day_and_keeps_history(rates):
    rate = services.exchange_rate_set(
        currency="HKD", date=RATE_DAY, rate_to_cny=Decimal("0.9135"), source="PBOC"
    )

    assert ExchangeRate.objects.filter(currency="HKD").count() == 1
    assert rate.rate_to_cny == Decimal("0.9135")
    assert rate.history.count() == 2
    assert rate.history.latest().rate_to_cny == Decimal("0.9135")


@pytest.mark.parametrize(
    ("currency", "value", "message"),
    [
        ("CNY", Decimal(1), "CNY is the reference currency and has no rate."),
        ("HKD", Decimal(0), "The rate must be greater than zero."),
        ("HKD", Decimal("-0.9"), "The rate must be greater than zero."),
    ],
)
def test_a_rate_that_cannot_be_is_refused(currency, value, message):
    with pytest.raises(ApplicationError) as error:
        services.exchange_rate_set(currency=currency, date=RATE_DAY, rate_to_cny=value)
    assert error.value.message == message
    assert not ExchangeRate.objects.exists()


def test_the_rate_on_a_day_is_the_latest_on_or_before_it(rates):
    services.exchange_rate_set(currency="HKD", date=dt.date(2026, 3, 9), rate_to_cny=Decimal("0.93"))

    assert services.rate_on(currency="HKD", on=dt.date(2026, 3, 8)).rate_to_cny == Decimal("0.92")
    assert services.rate_on(currency="HKD", on=dt.date(2026, 3, 9)).rate_to_cny == Decimal("0.93")
    assert services.rate_on(currency="HKD", on=dt.date(2026, 3, 1)) is None
    assert services.rate_on(currency="CNY", on=dt.date(2026, 3, 8)) is None


def test_a_rate_older_than_the_allowed_age_is_no_rate(rates, settings):
    settings.EXCHANGE_RATE_MAX_AGE_DAYS = 5
    assert services.rate_on(currency="HKD", on=RATE_DAY + dt.timedelta(days=5)) is not None
    assert services.rate_on(currency="HKD", on=RATE_DAY + dt.timedelta(days=6)) is None

    with pytest.raises(ApplicationError) as error:
        services.convert(amount=Decimal(100), currency="HKD", to="CNY", on=dt.date(2026, 3, 10))
    assert error.value.message == (
        "The latest HKD rate is from 2026-03-02, more than 5 days before 2026-03-10: "
        "add a newer one under Exchange rates."
    )


def test_conversions_say_the_rate_they_used(rates):
    on = dt.date(2026, 3, 10)

    to_yuan = services.convert(amount=Decimal("10000000"), currency="HKD", to="CNY", on=on)
    assert (to_yuan.amount, to_yuan.currency, to_yuan.rate_date) == (Decimal("9200000.00"), "CNY", RATE_DAY)
    assert to_yuan.rate_text == "1 HKD = 0.92 CNY (2026-03-02)"

    from_yuan = services.convert(amount=Decimal("710"), currency="CNY", to="USD", on=on)
    assert from_yuan.amount == Decimal("100.00")
    assert from_yuan.rate_text == "1 USD = 7.1 CNY (2026-03-02)"

    # HKD → USD goes through CNY and names both rates.
    cross = services.convert(amount=Decimal("7100"), currency="HKD", to="USD", on=on)
    assert cross.amount == Decimal("920.00")
    assert cross.rate_text == "1 HKD = 0.92 CNY (2026-03-02); 1 USD = 7.1 CNY (2026-03-02)"

    same = services.convert(amount=Decimal("5"), currency="HKD", to="HKD", on=on)
    assert (same.amount, same.rate_date, same.rate_text) == (Decimal("5"), None, "")


def test_a_missing_rate_is_an_error_never_a_number(db):
    with pytest.raises(ApplicationError) as error:
        services.convert(amount=Decimal("10000000"), currency="HKD", to="CNY", on=dt.date(2025, 3, 10))
    assert error.value.message == "No HKD rate on or before 2025-03-10: add it under Exchange rates."
    assert error.value.field == "currency"


def test_a_rate_book_reads_every_currency_in_one_query(rates, django_assert_num_queries):
    book = services.RateBook(dt.date(2026, 3, 10))
    # One query: the rates of every currency within the allowed age, newest first.
    with django_assert_num_queries(1):
        book.convert(Decimal(1), "HKD", "CNY")
        book.convert(Decimal(1), "USD", "CNY")
        book.convert(Decimal(1), "HKD", "USD")
