"""Date arithmetic the calendar module lacks."""

from __future__ import annotations

import datetime as dt
from typing import TypeVar

D = TypeVar("D", dt.date, dt.datetime)


def add_months(day: D, months: int) -> D:
    """The same day `months` later; a day the target month lacks becomes its last day (31 January + 1 month is
    28 or 29 February, never 1 March)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last_day in (31, 30, 29, 28):
        try:
            return day.replace(year=year, month=month, day=min(day.day, last_day))
        except ValueError:
            continue
    raise AssertionError("unreachable")
