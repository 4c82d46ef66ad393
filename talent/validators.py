"""We record a residency category, never an identity document number (domain research §4.6): a number that looks
like one is refused wherever people type free text about a person."""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

from core.errors import ApplicationError

# HKID: one or two letters, six digits, a check digit (0-9 or A), often in brackets: A123456(7).
_HKID = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{1,2}\d{6}\s*[(（]?[0-9Aa][)）]?(?![0-9])")
# Mainland resident identity card: 17 digits and a check character; Home Return Permit: H or M and 8 or 10 digits.
_MAINLAND_ID = re.compile(r"(?<!\d)\d{17}[\dXx](?![\dA-Za-z])")
_PERMIT = re.compile(r"(?<![A-Za-z0-9])[HMhm]\d{8}(?:\d{2})?(?!\d)")


def refuse_id_numbers(**texts: str) -> None:
    for field, text in texts.items():
        if text and any(pattern.search(text) for pattern in (_HKID, _MAINLAND_ID, _PERMIT)):
            raise ApplicationError(
                _(
                    "This looks like an identity document number. Do not record ID numbers; choose the person's "
                    "residency category instead."
                ),
                field=field,
            )
