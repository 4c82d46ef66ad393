"""Checks for Chinese and Hong Kong registration numbers."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# GB 32100-2015: 18 characters from this alphabet (no I, O, S, V, Z); the last is a check character.
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def uscc_check_character(first17: str) -> str:
    total = sum(USCC_ALPHABET.index(ch) * w for ch, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def validate_uscc(value: str) -> None:
    code = value.strip().upper()
    if len(code) != 18 or any(ch not in USCC_ALPHABET for ch in code):
        raise ValidationError(
            _(
                "A unified social credit code has 18 characters: digits and capital letters except I, O, S, V, Z."
            ),
            code="uscc_format",
        )
    if uscc_check_character(code[:17]) != code[17]:
        raise ValidationError(
            _(
                "“%(code)s” fails the check character of a unified social credit code; please check each character."
            )
            % {"code": code},
            code="uscc_checksum",
        )


def validate_hk_company_number(value: str) -> None:
    if not re.fullmatch(r"\d{7,8}", value.strip()):
        raise ValidationError(
            _("A Hong Kong company registration number has 7 or 8 digits."), code="hk_company_number"
        )
