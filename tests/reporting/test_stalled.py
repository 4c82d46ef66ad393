"""Stalled leads and overdue milestones: who is past the stage's time limit (the reminder rules' days per stage,
else STALLED_AFTER_DAYS), which milestones are past due, within the user's scope, in a fixed number of
queries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from projects import services
from projects.models import Lead, Milestone, Pass, PauseReason
from projects.stages import Stage
from reminders.models import ReminderRule
from reporting.filters import ReportFilters
from reporting.stalled import overdue_by_pass, overdue_milestones, stage_thresholds, stalled_leads
from tests.factories import make_lead

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


@pytest.fixture(autouse=True)
def _settings(settings):
    settings.REPORT_CACHE_SECONDS = 0
    settings.STALLED_AFTER_DAYS = 60


def days_ago(days: int, hour: int = 10) -> dt.datetime:
    """A moment `days` calendar days ago on the wall clock in Suzhou."""
    return timezone.make_aware(dt.datetime.combine(TODAY - dt.timedelta(days=days), dt.time(hour)))


def registered(world, *, days: int, unit=None, owner=None, name: str | None = None) -> Lead:
    """A lead at LEAD (no rule watches it: the default limit applies) since `days` days ago."""
    return make_lead(owner=owner or world.a, unit=unit or world.unit_a, name=name, occurred_at=days_ago(days))


def qualified(world, *, days: int, name: str | None = None) -> Lead:
    """A lead at QUALIFIED (the seeded rule allows 30 days) since `days` days ago."""
    lead = make_lead(owner=world.a, unit=world.unit_a, name=name, occurred_at=days_ago(days + 5))
    services.lead_advance(
        lead=lead,
        to_stage=Stage.QUALIFIED,
        actor=world.a,
        occurred_at=days_ago(days),
        evidence={"assessment": "产业契合", "decision": "follow"},
    )
    lead.refresh_from_db()
    return lead


def everything() -> ReportFilters:
    return ReportFilters.default()


def codes(items) -> list[str]:
    return [item["code"] for item in items]


def test_the_thresholds_are_the_active_stage_rules_days():
    ReminderRule.objects.filter(code="stuck-engaged").update(is_active=False)
    thresholds = stage_thresholds()
    assert thresholds["QUALIFIED"] == 30
    assert thresholds["SIGNED"] == 90
    assert "ENGAGED" not in thresholds
    assert "LEAD" not in thresholds


def test_a_lead_is_stalled_only_after_more_whole_days_than_its_stages_rule_allows(world):
    over = qualified(world, days=31, name="研判超期")
    qualified(world, days=30, name="研判刚满三十天")
    assert codes(stalled_leads(world.director, everything())) == [over.code]


def test_a_stage_without_a_rule_uses_the_default_limit(world, settings):
    over = registered(world, days=61)
    registered(world, days=60)
    assert codes(stalled_leads(world.director, everything())) == [over.code]
    settings.STALLED_AFTER_DAYS = 90
    assert stalled_leads(world.director, everything()) == []


def test_an_inactive_rule_leaves_its_stage_to_the_default_limit(world):
    lead = qualified(world, days=45)
    ReminderRule.objects.filter(code="stuck-qualified").update(is_active=False)
    assert stalled_leads(world.director, everything()) == []
    ReminderRule.objects.filter(code="stuck-qualified").update(is_active=True)
    assert codes(stalled_leads(world.director, everything())) == [lead.code]


def test_a_stalled_item_says_who_what_and_how_long(world):
    lead = qualified(world, days=41, name="港大 柔性电子团队")
    [item] = stalled_leads(world.director, everything())
    assert item == {
        "lead_id": lead.pk,
        "code": lead.code,
        "name": "港大 柔性电子团队",
        "stage": "QUALIFIED",
        "stage_label": str(Stage.QUALIFIED.label),
        "owner": world.a.get_username(),
        "unit": "香港合作处",
        "days_in_stage": 41,
        "threshold": 30,
        "days_over": 11,
        "url": reverse("admin:projects_lead_change", args=[lead.pk]),
    }


def test_paused_and_lost_leads_are_not_stalled(world):
    paused = registered(world, days=100)
    services.lead_pause(
        actor=world.a,
        lead=paused,
        reason=PauseReason.FINANCING,
        resume_review_on=TODAY + dt.timedelta(days=30),
    )
    lost = registered(world, days=100)
    services.lead_mark_lost(actor=world.a, lead=lost, reason="poor_fit")
    active = registered(world, days=100)
    assert codes(stalled_leads(world.director, everything())) == [active.code]


def test_a_unit_head_sees_only_stalled_leads_of_their_unit(world):
    own = registered(world, days=100)
    other = registered(world, days=100, unit=world.unit_b, owner=world.b)
    assert codes(stalled_leads(world.manager_a, everything())) == [own.code]
    assert sorted(codes(stalled_leads(world.director, everything()))) == sorted([own.code, other.code])


def test_the_unit_filter_narrows_the_stalled_list(world):
    registered(world, days=100)
    other = registered(world, days=100, unit=world.unit_b, owner=world.b)
    assert codes(stalled_leads(world.director, everything().replace(unit=world.unit_b))) == [other.code]


def test_the_longest_past_its_limit_comes_first(world):
    ten_over = registered(world, days=70)  # limit 60
    fifteen_over = qualified(world, days=45)  # limit 30
    one_over = registered(world, days=61)
    assert codes(stalled_leads(world.director, everything())) == [
        fifteen_over.code,
        ten_over.code,
        one_over.code,
    ]
    assert codes(stalled_leads(world.director, everything(), limit=2)) == [fifteen_over.code, ten_over.code]


def stalled_queries(world, count: int) -> int:
    """Queries to list `count` stalled leads, adding pairs (two stages, two owners) up to `count`."""
    for index in range(Lead.objects.count() - 1, count, 2):  # the world's own lead is fresh, not stalled
        qualified(world, days=40 + index)
        registered(world, days=70 + index, owner=world.manager_a)
    director = type(world.director).objects.get(pk=world.director.pk)  # a fresh user: scope not yet loaded
    with CaptureQueriesContext(connection) as queries:
        items = stalled_leads(director, everything(), limit=50)
    assert len(items) == count
    return len(queries)


def test_listing_stalled_leads_takes_the_same_queries_for_2_and_20_leads(world):
    # 1 the active stage rules' days per stage, 2 the user's groups (administrator?), 3 the user's unit
    # memberships (their scope), 4 the stalled leads with owner and unit joined.
    assert stalled_queries(world, 2) == stalled_queries(world, 20) == 4


# --- Overdue milestones ----------------------------------------------------------------------------------------


def passes() -> list[Pass]:
    return list(Pass.objects.order_by("order", "pk"))


def milestone(lead: Lead, *, overdue_by: int, lead_pass: Pass, title: str = "补充材料", assignee=None):
    return services.milestone_add(
        actor=lead.owner,
        lead=lead,
        lead_pass=lead_pass,
        title=title,
        due_on=TODAY - dt.timedelta(days=overdue_by),
        assignee=assignee,
    )


def test_overdue_milestones_are_open_ones_due_before_today_most_overdue_first(world):
    first, second = passes()[:2]
    later = milestone(world.lead, overdue_by=3, lead_pass=first, title="提交注册材料")
    earlier = milestone(world.lead, overdue_by=10, lead_pass=second, title="人才公寓申请")
    milestone(world.lead, overdue_by=0, lead_pass=first, title="今日到期")
    milestone(world.lead, overdue_by=-5, lead_pass=first, title="尚未到期")
    done = milestone(world.lead, overdue_by=20, lead_pass=first, title="已完成")
    services.milestone_complete(milestone=done, actor=world.a, evidence_note="已办结")
    items = overdue_milestones(world.director, everything())
    assert [item["milestone_id"] for item in items] == [earlier.pk, later.pk]
    assert items[0] == {
        "milestone_id": earlier.pk,
        "lead_id": world.lead.pk,
        "code": world.lead.code,
        "name": world.lead.name,
        "pass_id": second.pk,
        "pass": second.localized_name,
        "title": "人才公寓申请",
        "due_on": TODAY - dt.timedelta(days=10),
        "days_overdue": 10,
        "assignee": world.a.get_username(),
        "url": reverse("admin:projects_milestone_change", args=[earlier.pk]),
        "lead_url": reverse("admin:projects_lead_change", args=[world.lead.pk]),
    }


def test_a_unit_head_sees_only_overdue_milestones_of_their_unit(world):
    first = passes()[0]
    own = milestone(world.lead, overdue_by=3, lead_pass=first)
    milestone(make_lead(owner=world.b, unit=world.unit_b), overdue_by=3, lead_pass=first)
    assert [item["milestone_id"] for item in overdue_milestones(world.manager_a, everything())] == [own.pk]
    assert len(overdue_milestones(world.director, everything())) == 2


def test_overdue_by_pass_counts_every_pass_and_keeps_its_most_overdue(world):
    first, second, *others = passes()
    in_first = [milestone(world.lead, overdue_by=days, lead_pass=first) for days in (1, 9, 5, 7)]
    in_second = milestone(world.lead, overdue_by=2, lead_pass=second)
    rows = overdue_by_pass(world.director, everything(), per_pass=3)
    assert [(row["pass"], row["count"]) for row in rows] == [
        (first, 4),
        (second, 1),
        *[(other, 0) for other in others],
    ]
    assert [item["milestone_id"] for item in rows[0]["items"]] == [
        in_first[1].pk,
        in_first[3].pk,
        in_first[2].pk,
    ]
    assert [item["milestone_id"] for item in rows[1]["items"]] == [in_second.pk]
    assert [row["items"] for row in rows[2:]] == [[] for _ in others]


def overdue_queries(world, count: int) -> int:
    """Queries to list `count` overdue milestones (of two passes), adding milestones up to `count`."""
    all_passes = passes()
    assignees = (world.a, world.manager_a)
    for index in range(Milestone.objects.filter(template__isnull=True).count(), count):
        lead = make_lead(owner=world.a, unit=world.unit_a)
        milestone(lead, overdue_by=index + 1, lead_pass=all_passes[index % 2], assignee=assignees[index % 2])
    director = type(world.director).objects.get(pk=world.director.pk)
    with CaptureQueriesContext(connection) as queries:
        listed = overdue_milestones(director, everything(), limit=50)
        grouped = overdue_by_pass(director, everything(), per_pass=50)
    assert len(listed) == sum(len(row["items"]) for row in grouped) == count
    return len(queries)


def test_listing_overdue_milestones_takes_the_same_queries_for_2_and_20(world):
    # 1 the user's groups, 2 the user's unit memberships (scope, then cached on the user object),
    # 3 the overdue milestones with lead, pass, template and assignee joined,
    # 4 the same, numbered and counted per pass, 5 the passes.
    assert overdue_queries(world, 2) == overdue_queries(world, 20) == 5
