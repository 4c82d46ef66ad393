from __future__ import annotations

from decimal import Decimal

from django import template

from core.money import format_amount

register = template.Library()


@register.filter
def money(amount: Decimal | int | None, currency: str = "CNY") -> str:
    """An amount as people read it in the active language: 1,250万元 / HK$12.5m."""
    return format_amount(amount, currency) if amount is not None else "—"


@register.filter
def percent(value: float | None) -> str:
    """A ratio (0.4125) as a percentage to one decimal (41.3%); a dash when there is none."""
    return "—" if value is None else f"{value * 100:.1f}%"


@register.filter
def get_item(mapping: dict, key: str):
    """mapping[key], for keys a template cannot spell ("1-3")."""
    return mapping.get(key)
