"""Receivers of other apps' signals."""

from __future__ import annotations


def recompute_provisional_due_dates(sender, *, region: str, year: int, **kwargs) -> None:
    from projects.services.milestones import milestones_recompute_provisional

    milestones_recompute_provisional(region=region, year=year)
