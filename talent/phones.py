"""Phone numbers as people in Hong Kong and Suzhou write them, to E.164 (the raw input is kept beside it).

A bare 8-digit number is read as Hong Kong (+852), a bare 11-digit number starting with 1 as a mainland mobile
(+86); anything with a country code keeps it. libphonenumber decides what is valid: no hand-written patterns.
"""

from __future__ import annotations

import re

import phonenumbers
from django.utils.translation import gettext as _

from core.errors import ApplicationError

_DIGITS = re.compile(r"\d")


def _region_for(raw: str) -> str | None:
    digits = "".join(_DIGITS.findall(raw))
    stripped = raw.strip()
    if stripped.startswith(("+", "00")):
        return None  # the number carries its own country code
    if len(digits) == 8:
        return "HK"
    if len(digits) == 11 and digits.startswith("1"):
        return "CN"
    if digits.startswith("852") and len(digits) == 11:
        return None
    if digits.startswith("86") and len(digits) == 13:
        return None
    return "CN"  # a mainland landline with its area code (0512 …)


def phone_e164(raw: str) -> str:
    """The E.164 form of `raw`, or ApplicationError with a message the person entering it can act on."""
    text = (raw or "").strip()
    if not text:
        raise ApplicationError(_("Enter a phone number."), field="phone")
    region = _region_for(text)
    candidate = text
    if region is None and not text.startswith(("+", "00")):
        candidate = "+" + "".join(_DIGITS.findall(text))
    if text.startswith("00"):
        candidate = "+" + "".join(_DIGITS.findall(text))[2:]
    try:
        number = phonenumbers.parse(candidate, region)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise ApplicationError(
            _(
                "“%(raw)s” is not a valid phone number. Write a Hong Kong number with 8 digits, a mainland mobile "
                "with 11 digits, or any number with its country code (+852 …, +86 …)."
            )
            % {"raw": text},
            field="phone",
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
