from __future__ import annotations

import pytest
from django.utils import translation

from core.errors import ApplicationError
from talent.phones import phone_e164


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("9123 4567", "+85291234567"),  # bare 8 digits: Hong Kong mobile
        ("2358-6000", "+85223586000"),  # Hong Kong landline
        ("+852 9123 4567", "+85291234567"),
        ("(852) 9123-4567", "+85291234567"),
        ("00852 91234567", "+85291234567"),
        ("13912345678", "+8613912345678"),  # bare 11 digits starting with 1: mainland mobile
        ("139-1234-5678", "+8613912345678"),
        ("+86 139 1234 5678", "+8613912345678"),
        ("8613912345678", "+8613912345678"),
        ("0512-6288 8888", "+8651262888888"),  # Suzhou landline with its area code
        ("+65 6123 4567", "+6561234567"),  # Singapore keeps its country code
    ],
)
def test_phones_become_e164(raw, e164):
    assert phone_e164(raw) == e164


@pytest.mark.parametrize("raw", ["1234", "9123 456", "23912345678", "+852 1234", "电话", "+999 1234567"])
def test_a_wrong_number_is_refused_with_a_message(raw):
    with translation.override("en"), pytest.raises(ApplicationError) as error:
        phone_e164(raw)
    assert f"“{raw}” is not a valid phone number." in error.value.message
    assert error.value.field == "phone"


def test_an_empty_number_asks_for_one():
    with translation.override("en"), pytest.raises(ApplicationError, match="Enter a phone number."):
        phone_e164("  ")
