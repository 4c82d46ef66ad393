"""The sweep: which reminder rows it writes (rule, recipient, occurrence date) at chosen local moments.

The scene is March 2025 in Suzhou (see conftest): officer_a owns the world's lead in unit A, manager_a heads
unit A, the director heads the bureau above it. Each test switches on only the rules it is about, so the rows
asserted are all the rows there are."""

from __future__ import annotations

import datetime as dt
import os
import time

import pytest
from django.conf import settings as django_settings
from django.db import IntegrityError, transaction

from accounts.models import UnitMembership, User
from directory.models import Holiday, HolidayYear, Region
from projects.models import Lead
from projects.models.leads import LostReason, PauseReason
from projects.services.leads import lead_mark_lost
from projects.services.milestones import milestone_add, milestone_complete, milestone_reschedule
from projects.stages import Stage
from reminders.models import Reminder, ReminderRule
from reminders.services import reminders_sweep
from tests.factories import join, make_lead, make_user
from tests.reminders.conftest import add_milestone, at, day, only, rows, set_lead

pytestmark = pytest.mark.django_db

MILESTONE_RULES = (
    "milestone-due-7",
    "milestone-due-3",
    "milestone-due-today",
    "milestone-overdue",
    "milestone-escalation",
)


def deactivate(user: User) -> None:
    User.objects.filter(pk=user.pk).update(is_active=False)


# --- Milestones -----------------------------------------------------------------------------------------------


def test_a_milestone_hears_due_in_due_today_overdue_daily_and_escalation_in_turn(world):
    only(*MILESTONE_RULES)
    add_milestone(world, "2025-03-14")  # a Friday
    expected = set()

    # Wednesday 5 March: Friday 14 March is 7 working days ahead.
    assert reminders_sweep(now=at("2025-03-05")) == 1
    expected |= {("milestone-due-7", "officer_a", day("2025-03-14"))}
    assert rows() == expected
    # Every minute's sweep: nothing offered, nothing written twice.
    assert reminders_sweep(now=at("2025-03-05", 9, 1)) == 0
    assert rows() == expected

    # Tuesday 11 March: 3 working days ahead, inside the shorter window.
    reminders_sweep(now=at("2025-03-11"))
    expected |= {("milestone-due-3", "officer_a", day("2025-03-14"))}
    assert rows() == expected
    reminders_sweep(now=at("2025-03-12"))  # still within 3 days: once is once
    assert rows() == expected

    reminders_sweep(now=at("2025-03-14", 0, 1))
    expected |= {("milestone-due-today", "officer_a", day("2025-03-14"))}
    assert rows() == expected

    # Overdue: one row per day, however often the sweep runs that day.
    reminders_sweep(now=at("2025-03-17"))
    reminders_sweep(now=at("2025-03-17", 15))
    expected |= {("milestone-overdue", "officer_a", day("2025-03-17"))}
    assert rows() == expected
    reminders_sweep(now=at("2025-03-18"))
    expected |= {("milestone-overdue", "officer_a", day("2025-03-18"))}
    assert rows() == expected

    # Friday 21 March is 5 working days past the due date: not yet beyond it.
    reminders_sweep(now=at("2025-03-21", 18))
    expected |= {("milestone-overdue", "officer_a", day("2025-03-21"))}
    assert rows() == expected

    # Monday 24 March: beyond 5 working days, the head of unit A hears, once, dated the day it became due.
    reminders_sweep(now=at("2025-03-24"))
    expected |= {
        ("milestone-overdue", "officer_a", day("2025-03-24")),
        ("milestone-escalation", "manager_a", day("2025-03-21")),
    }
    assert rows() == expected
    reminders_sweep(now=at("2025-03-25"))
    expected |= {("milestone-overdue", "officer_a", day("2025-03-25"))}
    assert rows() == expected
    assert Reminder.objects.filter(lead=world.lead, status=Reminder.Status.PENDING).count() == len(expected)


@pytest.mark.parametrize(
    ("due_on", "heard"),
    [
        ("2025-03-03", "milestone-overdue"),  # Monday, past
        ("2025-03-05", "milestone-due-today"),
        ("2025-03-07", "milestone-due-3"),  # 2 working days ahead: only the 3-day reminder
        ("2025-03-10", "milestone-due-3"),  # 3 working days (over the weekend)
        ("2025-03-11", "milestone-due-7"),  # 4 working days
        ("2025-03-14", "milestone-due-7"),  # 7 working days
        ("2025-03-17", None),  # 8 working days: too early for anything
    ],
)
def test_on_wednesday_5_march_a_milestone_hears_exactly_one_rule(world, due_on, heard):
    only(*MILESTONE_RULES)
    add_milestone(world, due_on)
    reminders_sweep(now=at("2025-03-05"))
    occurs_on = day("2025-03-05") if heard == "milestone-overdue" else day(due_on)
    assert rows() == ({(heard, "officer_a", occurs_on)} if heard else set())


def test_without_the_3_day_rule_the_7_day_rule_covers_the_last_days_too(world):
    only("milestone-due-7")
    add_milestone(world, "2025-03-07")
    reminders_sweep(now=at("2025-03-05"))
    assert rows() == {("milestone-due-7", "officer_a", day("2025-03-07"))}


def test_the_assignee_hears_of_the_milestone_rather_than_the_owner(world):
    only("milestone-due-today")
    add_milestone(world, "2025-03-14", title="归档")
    milestone_add(
        actor=world.a,
        lead=world.lead,
        lead_pass=world.lead.milestones.first().lead_pass,
        title="主管审核",
        due_on=day("2025-03-14"),
        assignee=world.manager_a,
    )
    reminders_sweep(now=at("2025-03-14"))
    assert rows() == {
        ("milestone-due-today", "officer_a", day("2025-03-14")),
        ("milestone-due-today", "manager_a", day("2025-03-14")),
    }


def test_a_resolved_milestone_or_a_closed_lead_hears_nothing(world):
    only(*MILESTONE_RULES)
    done = add_milestone(world, "2025-03-14", title="已完成")
    milestone_complete(milestone=done, actor=world.a, evidence_note="协议已签")
    other = make_lead(owner=world.a, unit=world.unit_a, name="已流失线索")
    add_milestone(world, "2025-03-14", lead=other)
    lead_mark_lost(actor=world.a, lead=other, reason=LostReason.POOR_FIT)
    reminders_sweep(now=at("2025-03-14"))
    reminders_sweep(now=at("2025-03-25"))
    assert rows() == set()


def test_a_new_due_date_is_a_new_occurrence(world):
    only("milestone-due-7")
    milestone = add_milestone(world, "2025-03-14")
    reminders_sweep(now=at("2025-03-05"))
    milestone_reschedule(milestone=milestone, actor=world.a, due_on=day("2025-03-13"))
    reminders_sweep(now=at("2025-03-05", 10))
    assert rows() == {
        ("milestone-due-7", "officer_a", day("2025-03-14")),
        ("milestone-due-7", "officer_a", day("2025-03-13")),
    }
    # Moved back to the first date: that occurrence was written already.
    milestone_reschedule(milestone=milestone, actor=world.a, due_on=day("2025-03-14"))
    assert reminders_sweep(now=at("2025-03-05", 11)) == 0
    assert Reminder.objects.count() == 2


# --- Working days -----------------------------------------------------------------------------------------------


def mainland_day_off(date: str, *, year_complete: bool = True) -> None:
    Holiday.objects.create(region=Region.MAINLAND, date=day(date), kind=Holiday.Kind.DAY_OFF, name="测试假日")
    if year_complete:
        HolidayYear.objects.create(region=Region.MAINLAND, year=2025, source="测试")


@pytest.mark.parametrize(
    ("due_on", "day_off", "year_complete", "heard"),
    [
        # From Thursday 6 March: Friday 7, Monday 10, Tuesday 11 are the next three working days.
        ("2025-03-11", None, True, "milestone-due-3"),  # the weekend does not count
        ("2025-03-12", None, True, "milestone-due-7"),  # 4 working days
        ("2025-03-12", "2025-03-11", True, "milestone-due-3"),  # Tuesday off: Wednesday is the 3rd
        # A year without a complete calendar counts weekends only: the day-off row is not trusted yet.
        ("2025-03-12", "2025-03-11", False, "milestone-due-7"),
    ],
)
def test_working_days_skip_the_weekend_and_mainland_holidays(world, due_on, day_off, year_complete, heard):
    only("milestone-due-7", "milestone-due-3")
    if day_off:
        mainland_day_off(day_off, year_complete=year_complete)
    add_milestone(world, due_on)
    reminders_sweep(now=at("2025-03-06"))
    assert rows() == {(heard, "officer_a", day(due_on))}


def test_a_hong_kong_holiday_does_not_shift_the_mainland_count(world):
    only("milestone-due-7", "milestone-due-3")
    Holiday.objects.create(region=Region.HONG_KONG, date=day("2025-03-11"), kind=Holiday.Kind.DAY_OFF)
    HolidayYear.objects.create(region=Region.HONG_KONG, year=2025)
    HolidayYear.objects.create(region=Region.MAINLAND, year=2025)
    add_milestone(world, "2025-03-12")
    reminders_sweep(now=at("2025-03-06"))
    assert rows() == {("milestone-due-7", "officer_a", day("2025-03-12"))}


def test_escalation_counts_working_days_past_a_holiday(world):
    only("milestone-escalation")
    mainland_day_off("2025-03-17")  # the Monday after the due date
    add_milestone(world, "2025-03-14")
    # 5 working days after Friday 14: Tue 18 … Mon 24.
    reminders_sweep(now=at("2025-03-24"))
    assert rows() == set()
    reminders_sweep(now=at("2025-03-25"))
    assert rows() == {("milestone-escalation", "manager_a", day("2025-03-24"))}


# --- Escalation recipients --------------------------------------------------------------------------------------


def test_escalation_goes_to_the_nearest_head_when_the_unit_has_no_active_one(world):
    only("milestone-escalation")
    deactivate(world.manager_a)
    add_milestone(world, "2025-03-14")
    reminders_sweep(now=at("2025-03-24"))
    assert rows() == {("milestone-escalation", "director", day("2025-03-21"))}


def test_escalation_for_a_lead_of_another_unit_goes_to_that_units_head_only(world):
    only("milestone-escalation")
    head_b = join(make_user(username="head_b"), world.unit_b, UnitMembership.Role.HEAD)
    lead_b = make_lead(owner=world.b, unit=world.unit_b)
    add_milestone(world, "2025-03-14", lead=lead_b)
    reminders_sweep(now=at("2025-03-24"))
    assert rows() == {("milestone-escalation", head_b.username, day("2025-03-21"))}


# --- Leads ------------------------------------------------------------------------------------------------------


def test_a_lead_stuck_in_a_stage_is_reminded_once(world):
    only("stuck-qualified", "stuck-engaged")
    set_lead(world.lead, stage=Stage.QUALIFIED, stage_entered_at=at("2025-02-01", 8))
    reminders_sweep(now=at("2025-03-02"))  # 29 days
    assert rows() == set()
    reminders_sweep(now=at("2025-03-03"))  # 30 days
    assert rows() == {("stuck-qualified", "officer_a", day("2025-03-03"))}
    reminders_sweep(now=at("2025-03-04"))
    reminders_sweep(now=at("2025-03-10"))
    assert Reminder.objects.count() == 1
    assert Reminder.objects.get().lead == world.lead


def test_a_paused_or_lost_lead_is_not_stuck(world):
    only("stuck-qualified", "no-activity-30")
    set_lead(
        world.lead,
        stage=Stage.QUALIFIED,
        stage_entered_at=at("2025-02-01", 8),
        last_activity_at=at("2025-02-01", 8),
    )
    lead_mark_lost(actor=world.a, lead=world.lead, reason=LostReason.POOR_FIT)
    reminders_sweep(now=at("2025-03-03"))
    assert rows() == set()


def test_no_activity_for_30_calendar_days_is_reminded_once(world):
    only("no-activity-30")
    set_lead(world.lead, last_activity_at=at("2025-02-01", 8))
    reminders_sweep(now=at("2025-03-02"))
    assert rows() == set()
    reminders_sweep(now=at("2025-03-03"))
    reminders_sweep(now=at("2025-03-04"))
    assert rows() == {("no-activity-30", "officer_a", day("2025-03-03"))}


def test_a_lead_never_followed_up_counts_from_its_creation(world):
    only("no-activity-30")
    set_lead(world.lead, last_activity_at=None, created_at=at("2025-02-01", 8))
    reminders_sweep(now=at("2025-03-03"))
    assert rows() == {("no-activity-30", "officer_a", day("2025-03-03"))}


def test_a_new_lead_not_qualified_within_3_working_days_is_reminded_once(world):
    only("intake-sla")
    make_lead(owner=world.a, unit=world.unit_a, name="新线索", occurred_at=at("2025-03-03", 8))
    reminders_sweep(now=at("2025-03-05"))
    assert rows() == set()
    reminders_sweep(now=at("2025-03-06"))  # Thursday: Monday + 3 working days
    reminders_sweep(now=at("2025-03-07"))
    assert rows() == {("intake-sla", "officer_a", day("2025-03-06"))}


def test_the_intake_sla_counts_working_days_over_the_weekend(world):
    only("intake-sla")
    make_lead(owner=world.a, unit=world.unit_a, name="周五线索", occurred_at=at("2025-03-07", 8))
    reminders_sweep(now=at("2025-03-11", 23))  # Tuesday: 2 working days
    assert rows() == set()
    reminders_sweep(now=at("2025-03-12"))  # Wednesday: Friday + 3 working days
    assert rows() == {("intake-sla", "officer_a", day("2025-03-12"))}


def test_a_qualified_lead_is_out_of_the_intake_sla(world):
    only("intake-sla")
    lead = make_lead(owner=world.a, unit=world.unit_a, name="已初筛线索", occurred_at=at("2025-03-03", 8))
    set_lead(lead, stage=Stage.QUALIFIED)
    reminders_sweep(now=at("2025-03-06"))
    assert rows() == set()


@pytest.mark.parametrize(
    ("code", "entered", "trigger"),
    [
        ("intake-sla", at("2025-03-03", 20), "2025-03-06"),  # Monday evening + 3 working days
        ("stuck-qualified", at("2025-02-01", 20), "2025-03-03"),  # + 30 calendar days
    ],
)
def test_a_lead_rule_fires_from_the_first_sweep_of_its_trigger_date(world, code, entered, trigger):
    only(code)
    stage = Stage.LEAD if code == "intake-sla" else Stage.QUALIFIED
    set_lead(world.lead, stage=stage, stage_entered_at=entered)
    reminders_sweep(now=at(trigger, 9))
    assert rows() == {(code, "officer_a", day(trigger))}


def test_a_paused_lead_past_its_review_date_is_reminded_once(world):
    only("pause-expired")
    set_lead(
        world.lead,
        status=Lead.Status.PAUSED,
        pause_reason=PauseReason.FUNDING_DECISION,
        resume_review_on=day("2025-03-10"),
    )
    reminders_sweep(now=at("2025-03-09", 23, 59))
    assert rows() == set()
    reminders_sweep(now=at("2025-03-10", 0, 1))
    reminders_sweep(now=at("2025-03-11"))
    assert rows() == {("pause-expired", "officer_a", day("2025-03-10"))}
    # A new review date is a new occurrence.
    set_lead(world.lead, resume_review_on=day("2025-03-20"))
    reminders_sweep(now=at("2025-03-20"))
    assert rows() == {
        ("pause-expired", "officer_a", day("2025-03-10")),
        ("pause-expired", "officer_a", day("2025-03-20")),
    }


# --- Recipients and the look-back -------------------------------------------------------------------------------


def test_an_inactive_recipient_gets_nothing(world):
    only("milestone-due-today", "no-activity-30", "milestone-escalation")
    set_lead(world.lead, last_activity_at=at("2025-02-01", 8))
    add_milestone(world, "2025-03-03")
    deactivate(world.a)
    reminders_sweep(now=at("2025-03-03"))
    assert rows() == set()
    # The escalation still reaches the (active) head.
    reminders_sweep(now=at("2025-03-11"))
    assert rows() == {("milestone-escalation", "manager_a", day("2025-03-10"))}


def test_the_look_back_skips_stale_once_triggers_but_not_the_daily_overdue(world):
    only("stuck-qualified", "milestone-overdue", "milestone-escalation", "pause-expired")
    set_lead(world.lead, stage=Stage.QUALIFIED, stage_entered_at=at("2025-01-15", 8))  # due 14 February
    paused = make_lead(owner=world.a, unit=world.unit_a, name="暂缓线索")
    set_lead(
        paused,
        status=Lead.Status.PAUSED,
        pause_reason=PauseReason.FUNDING_DECISION,
        resume_review_on=day("2025-02-10"),
    )
    add_milestone(world, "2025-02-03")  # escalation due Monday 10 February
    reminders_sweep(now=at("2025-03-03"))
    assert django_settings.REMINDER_ONCE_LOOKBACK_DAYS == 14
    assert rows() == {("milestone-overdue", "officer_a", day("2025-03-03"))}


def test_a_longer_look_back_writes_those_triggers(world, settings):
    settings.REMINDER_ONCE_LOOKBACK_DAYS = 30
    only("stuck-qualified", "milestone-escalation", "pause-expired")
    set_lead(world.lead, stage=Stage.QUALIFIED, stage_entered_at=at("2025-01-15", 8))
    paused = make_lead(owner=world.a, unit=world.unit_a, name="暂缓线索")
    set_lead(
        paused,
        status=Lead.Status.PAUSED,
        pause_reason=PauseReason.FUNDING_DECISION,
        resume_review_on=day("2025-02-10"),
    )
    add_milestone(world, "2025-02-03")
    reminders_sweep(now=at("2025-03-03"))
    assert rows() == {
        ("stuck-qualified", "officer_a", day("2025-02-14")),
        ("pause-expired", "officer_a", day("2025-02-10")),
        ("milestone-escalation", "manager_a", day("2025-02-10")),
    }


def test_a_trigger_just_inside_the_look_back_is_written(world):
    only("stuck-qualified")
    set_lead(world.lead, stage=Stage.QUALIFIED, stage_entered_at=at("2025-01-18", 8))  # due 17 February
    reminders_sweep(now=at("2025-03-03"))  # 14 days later
    assert rows() == {("stuck-qualified", "officer_a", day("2025-02-17"))}


# --- Digests and the whole rule set -----------------------------------------------------------------------------


def test_the_managers_digest_starts_at_the_digest_hour_for_active_heads_and_managers(world):
    only("manager-digest")
    reminders_sweep(now=at("2025-03-03", 7, 59))
    assert rows() == set()
    deactivate(world.director)
    reminders_sweep(now=at("2025-03-03", 8))
    reminders_sweep(now=at("2025-03-03", 17))
    assert rows() == {("manager-digest", "manager_a", day("2025-03-03"))}
    assert Reminder.objects.get().subject_type == "user"


def test_the_unit_digest_needs_a_webhook_and_goes_to_top_level_units(world, settings):
    only("unit-digest")
    reminders_sweep(now=at("2025-03-03"))
    assert rows() == set()
    settings.WECOM_WEBHOOK_URL = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=test"
    reminders_sweep(now=at("2025-03-03"))
    reminder = Reminder.objects.get()
    assert (reminder.subject_type, reminder.subject_id, reminder.recipient, reminder.occurs_on) == (
        "unit",
        world.bureau.pk,
        None,
        day("2025-03-03"),
    )


def test_all_seeded_rules_together_write_each_occurrence_once(world):
    """Every rule switched on: a moment with one subject for most kinds, swept twice."""
    add_milestone(world, "2025-03-14")
    lead = make_lead(owner=world.a, unit=world.unit_a, name="新线索", occurred_at=at("2025-03-12", 8))
    stuck = make_lead(owner=world.a, unit=world.unit_a, name="对接线索")
    set_lead(
        stuck, stage=Stage.ENGAGED, stage_entered_at=at("2025-01-31", 8), last_activity_at=at("2025-03-01")
    )
    paused = make_lead(owner=world.b, unit=world.unit_b, name="暂缓线索")
    set_lead(
        paused,
        status=Lead.Status.PAUSED,
        pause_reason=PauseReason.FUNDING_DECISION,
        resume_review_on=day("2025-03-17"),
    )

    reminders_sweep(now=at("2025-03-17"))
    expected = {
        ("milestone-overdue", "officer_a", day("2025-03-17")),
        ("intake-sla", "officer_a", day("2025-03-17")),  # Wednesday 12 + 3 working days
        ("stuck-engaged", "officer_a", day("2025-03-17")),  # 31 January + 45 days
        ("pause-expired", "officer_b", day("2025-03-17")),
        ("manager-digest", "manager_a", day("2025-03-17")),
        ("manager-digest", "director", day("2025-03-17")),
    }
    assert rows() == expected
    count = Reminder.objects.count()
    reminders_sweep(now=at("2025-03-17", 9, 1))
    assert Reminder.objects.count() == count == len(expected)
    assert lead.pk in set(Reminder.objects.values_list("lead_id", flat=True))


def test_the_database_keeps_one_row_per_occurrence(world):
    rule = ReminderRule.objects.get(code="milestone-overdue")
    fields = {"rule": rule, "subject_type": "milestone", "subject_id": 1, "occurs_on": day("2025-03-17")}
    Reminder.objects.create(recipient=world.a, not_before=at("2025-03-17"), **fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        Reminder.objects.create(recipient=world.a, not_before=at("2025-03-17"), **fields)
    Reminder.objects.create(recipient=world.b, not_before=at("2025-03-17"), **fields)  # another recipient
    group = {**fields, "rule": ReminderRule.objects.get(code="unit-digest"), "subject_type": "unit"}
    Reminder.objects.create(recipient=None, not_before=at("2025-03-17"), **group)
    with pytest.raises(IntegrityError), transaction.atomic():
        Reminder.objects.create(recipient=None, not_before=at("2025-03-17"), **group)


# --- Time zone --------------------------------------------------------------------------------------------------


@pytest.fixture
def process_in_utc():
    """The worker's process clock in UTC, as in a container without a zone; Django's TIME_ZONE is unchanged."""
    previous = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    try:
        yield
    finally:
        if previous is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = previous
        time.tzset()


def test_the_sweep_dates_by_suzhou_even_when_the_process_runs_in_utc(world, process_in_utc):
    assert time.strftime("%Z") == "UTC"
    assert django_settings.TIME_ZONE == "Asia/Shanghai"
    only("milestone-due-today", "milestone-due-3", "milestone-overdue")
    add_milestone(world, "2025-03-14")

    # Thursday 13 March 23:30 in Suzhou (15:30 UTC): still the day before.
    reminders_sweep(now=at("2025-03-13", 23, 30))
    assert rows() == {("milestone-due-3", "officer_a", day("2025-03-14"))}

    # Friday 14 March 00:30 in Suzhou is Thursday 16:30 UTC: the due day has begun here.
    moment = at("2025-03-14", 0, 30)
    assert moment.astimezone(dt.UTC).date() == day("2025-03-13")
    reminders_sweep(now=moment.astimezone(dt.UTC))
    assert rows() == {
        ("milestone-due-3", "officer_a", day("2025-03-14")),
        ("milestone-due-today", "officer_a", day("2025-03-14")),
    }

    # Monday 17 March 00:30 in Suzhou (Sunday in UTC): the overdue row is dated Monday.
    reminders_sweep(now=at("2025-03-17", 0, 30).astimezone(dt.UTC))
    assert ("milestone-overdue", "officer_a", day("2025-03-17")) in rows()
    assert ("milestone-overdue", "officer_a", day("2025-03-16")) not in rows()
