"""Phones, e-mails and WeChat IDs as a user may see them (DESIGN §2), and the reasons of a duplicate candidate in
the reader's language. The admin and the API both show personal data through here, so the rule lives once."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import phonenumbers
from django.utils.translation import gettext as _

from talent.selectors import shows_personal_data


def mask(kind: str, value: str) -> str:
    """Enough of a value to tell two apart in a list, not enough to reach the person: a phone keeps its country
    code and last two digits (+852 ******67), an e-mail its first character and domain (p***@hku.hk), a WeChat
    ID its first character (p***)."""
    value = value or ""
    if not value:
        return ""
    if kind == "phone":
        try:
            number = phonenumbers.parse(value, None)
        except phonenumbers.NumberParseException:
            number = None
        if number is not None and number.country_code and number.national_number:
            national = str(number.national_number)
            return f"+{number.country_code} {'*' * max(len(national) - 2, 1)}{national[-2:]}"
        digits = "".join(ch for ch in value if ch.isdigit())
        return f"{'*' * max(len(digits) - 2, 1)}{digits[-2:]}" if digits else "***"
    if kind == "email":
        local, at, domain = value.rpartition("@")
        return f"{local[:1]}***@{domain}" if at else f"{value[:1]}***"
    return f"{value[:1]}***"


def may_see_personal_data(user) -> bool:
    return shows_personal_data(user)


def shown(user, kind: str, value: str) -> str:
    return value if may_see_personal_data(user) else mask(kind, value)


# --- Reasons ------------------------------------------------------------------------------------------------------
# A candidate's reasons are stored as codes with the value they quote ({"code": "phone", "value": "+852…"}) and
# written out when read: in the reader's language, and masked for a reader who may not see personal data.

_CHANNEL_CODES = {"phone", "email", "wechat"}

_TEXTS = {
    "phone": lambda value: _("same phone %(value)s") % {"value": value},
    "email": lambda value: _("same e-mail %(value)s") % {"value": value},
    "wechat": lambda value: _("same WeChat ID %(value)s") % {"value": value},
    "organization": lambda value: _("same organization: %(name)s") % {"name": value},
    "same_characters": lambda value: _("same name in Chinese characters"),
    "romanization": lambda value: _("one name is a romanization of the other"),
    "same_romanized": lambda value: _("same romanized name"),
    "surname_and_english": lambda value: _("same surname and English name"),
    "surname_english_only": lambda value: _("same surname; only an English given name to compare"),
    "surname_english_one_side": lambda value: _("same surname; an English given name on one side"),
    "names_differ": lambda value: _("the names do not agree"),
}


def reason_text(reason: dict[str, Any] | str, *, masked: bool = False) -> str:
    if isinstance(reason, str):
        return reason
    code, value = reason.get("code", ""), reason.get("value", "")
    if masked and code in _CHANNEL_CODES:
        value = mask(code, value)
    writer = _TEXTS.get(code)
    return writer(value) if writer else f"{code} {value}".strip()


def reasons_text(user, reasons: Iterable[dict[str, Any] | str]) -> list[str]:
    masked = not may_see_personal_data(user)
    return [reason_text(reason, masked=masked) for reason in reasons]
