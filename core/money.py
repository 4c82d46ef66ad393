"""Money is an amount and an ISO currency, never summed across currencies without a dated rate."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

AMOUNT_DIGITS = 18
AMOUNT_PLACES = 2


class Currency(models.TextChoices):
    CNY = "CNY", _("Renminbi (CNY)")
    HKD = "HKD", _("Hong Kong dollar (HKD)")
    USD = "USD", _("US dollar (USD)")


def amount_field(verbose_name, **kwargs) -> models.DecimalField:
    return models.DecimalField(verbose_name, max_digits=AMOUNT_DIGITS, decimal_places=AMOUNT_PLACES, **kwargs)


def currency_field(verbose_name=None, **kwargs) -> models.CharField:
    kwargs.setdefault("default", Currency.CNY)
    return models.CharField(verbose_name or _("currency"), max_length=3, choices=Currency.choices, **kwargs)
