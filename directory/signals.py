"""Signals other apps subscribe to; directory never imports its listeners (they sit in higher apps)."""

from __future__ import annotations

from django.dispatch import Signal

# Sent after commit when a region's calendar year is declared complete or its official days change.
# Keyword arguments: region ("CN" or "HK") and year. projects recomputes provisional due dates on it.
calendar_year_completed = Signal()
