"""People for the talent tests, made through the services the product uses."""

from __future__ import annotations

import itertools

import phonenumbers
import pytest
from django.utils import translation

from talent.services.contacts import ChannelInput, contact_create

_numbers = itertools.count(1)


def hk_phone() -> str:
    """A fresh valid Hong Kong mobile number, written as people write it."""
    while True:
        n = next(_numbers)
        number = f"+852 9{n % 1000:03d} {(n * 7919) % 10000:04d}"
        if phonenumbers.is_valid_number(phonenumbers.parse(number)):
            return number


def person(name: str, *, phones=(), emails=(), wechat=(), org=None, actor=None, **fields):
    channels = [ChannelInput("phone", p) for p in phones]
    channels += [ChannelInput("email", e) for e in emails]
    channels += [ChannelInput("wechat", w) for w in wechat]
    return contact_create(
        actor=actor,
        name=name,
        organization=org,
        channels=channels,
        **fields,
    )


@pytest.fixture(autouse=True)
def _english():
    """Service messages and match reasons are asserted in English, the msgid language, whatever the catalogs say."""
    with translation.override("en"):
        yield


@pytest.fixture
def orgs(db):
    from tests.factories import make_organization

    return {
        "HKUST": make_organization("HKUST", "香港科技大学"),
        "HKU": make_organization("HKU", "香港大学"),
        "CUHK": make_organization("CUHK", "香港中文大学"),
    }
