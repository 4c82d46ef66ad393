"""Shared set-up for the reminders tests: the projects `world` (a bureau with units A and B, their officers and
heads, and a lead owned by officer A in unit A), plus helpers to pin the sweep's clock and read what it wrote.

Every moment is an explicit local (Asia/Shanghai) time in March 2025, always in the past, so leads may be dated
then. Working days in that month: Monday 3, 10, 17, 24 and 31 March."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from accounts.models import User
from projects.models import Lead, Milestone, Pass
from projects.services.milestones import milestone_add
from reminders.models import Reminder, ReminderRule
from tests.projects.conftest import client_as, world  # noqa: F401 - the shared units, officers, lead, client

SHANGHAI = ZoneInfo("Asia/Shanghai")
DIGESTS = ("manager-digest", "unit-digest")


def at(day: str, hour: int = 9, minute: int = 0) -> dt.datetime:
    """An aware local moment: at("2025-03-14", 0, 30) is 00:30 in Suzhou."""
    return dt.datetime.fromisoformat(day).replace(hour=hour, minute=minute, tzinfo=SHANGHAI)


def day(value: str) -> dt.date:
    return dt.date.fromisoformat(value)


def only(*codes: str) -> None:
    """Switch off every rule but these, so a sweep's rows are exactly the ones under test."""
    assert set(codes) <= set(ReminderRule.objects.values_list("code", flat=True)), codes
    ReminderRule.objects.exclude(code__in=codes).update(is_active=False)


def rows(**filters) -> set[tuple[str, str | None, dt.date]]:
    """What the sweeps wrote: (rule code, recipient username, occurrence date) per row."""
    return {
        (r.rule.code, r.recipient.username if r.recipient else None, r.occurs_on)
        for r in Reminder.objects.filter(**filters).select_related("rule", "recipient")
    }


def add_milestone(
    w, due_on: str | dt.date, *, lead: Lead | None = None, title: str = "场地协议签署"
) -> Milestone:
    lead = lead or w.lead
    return milestone_add(
        actor=lead.owner,
        lead=lead,
        lead_pass=Pass.objects.get(code="resources"),
        title=title,
        due_on=day(due_on) if isinstance(due_on, str) else due_on,
    )


def set_lead(lead: Lead, **fields) -> Lead:
    """Date a lead's stage, activity or pause directly: the services refuse past or future dates."""
    Lead.objects.filter(pk=lead.pk).update(**fields)
    lead.refresh_from_db()
    return lead


@pytest.fixture
def team(world):  # noqa: F811 - the imported fixture, extended
    """The world with e-mail addresses for officer A and A's head, so the mail channel is used."""
    for user, address in ((world.a, "officer.a@example.org"), (world.manager_a, "head.a@example.org")):
        User.objects.filter(pk=user.pk).update(email=address)
        user.refresh_from_db()
    return world
