"""Funding deadlines through the reminders engine: a batch closing within 10 calendar days (to the owners of
leads with a draft in it) and a tranche due within 5 working days (to the lead's owner).

The scene is the reminders world of March 2025 (see conftest). Working days: Monday 3 to Friday 7, Monday 10 to
Friday 14 March. Each test switches on only the funding rules, so the rows asserted are all the rows there are."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from directory.models import Holiday, HolidayYear, Region
from funding import services as funding
from funding.models import ApplicationWindow, Funder, FundingApplication, ProgramType, Tranche
from projects.models import Lead
from projects.models.leads import LeadType, LostReason
from projects.services.handover import leads_reassign
from projects.services.leads import lead_mark_lost
from reminders.models import Notification, Reminder, ReminderRule
from reminders.services import preference_update, reminder_deliver, reminders_claim, reminders_sweep
from tests.factories import join, make_lead, make_user
from tests.reminders.conftest import at, day, only, rows

pytestmark = pytest.mark.django_db

WINDOW = "funding-window-closing-10"
TRANCHE = "tranche-due-5"
M = Decimal(1_000_000)


@pytest.fixture
def scene(world):
    """A CNY project grant of 2025 with a first batch closing on Saturday 15 March (10 calendar days after
    Wednesday 5 March) and a second one in the autumn; only the two funding rules are on."""
    only(WINDOW, TRANCHE)
    program = funding.program_create(
        actor=world.director,
        code="t-grant",
        name="科技项目资助",
        name_en="Technology project grant",
        program_type=ProgramType.PROJECT_GRANT,
        funder=Funder.CITY,
    )
    version = funding.version_create(
        actor=world.director, program=program, year=2025, currency="CNY", min_amount=M, max_amount=50 * M
    )
    world.version = version
    world.window = window(world, "第一批", closes_on="2025-03-15")
    world.autumn = window(world, "第二批", closes_on="2025-10-31", opens_on="2025-09-01")
    return world


def window(w, batch: str, *, closes_on: str, opens_on: str = "2025-03-01", version=None) -> ApplicationWindow:
    return funding.window_create(
        actor=w.director,
        version=version or w.version,
        batch=batch,
        opens_on=day(opens_on),
        closes_on=day(closes_on),
    )


def draft(w, lead: Lead | None = None, batch: ApplicationWindow | None = None) -> FundingApplication:
    lead = lead or w.lead
    return funding.application_create(
        actor=lead.owner,
        lead=lead,
        version=(batch or w.window).version,
        window=batch or w.window,
        requested_amount=2 * M,
    )


def tranche(w, planned_on: str, lead: Lead | None = None) -> Tranche:
    """An approved application (submitted on Monday 3, decided on Tuesday 4 March) with one planned tranche."""
    application = draft(w, lead)
    funding.application_submit(actor=w.a, application=application, submitted_on=day("2025-03-03"))
    funding.application_approve(
        actor=w.director, application=application, approved_amount=2 * M, decision_date=day("2025-03-04")
    )
    return funding.tranche_plan(actor=w.a, application=application, planned_on=day(planned_on), amount=M)


def claim_and_deliver(now: dt.datetime) -> list[str]:
    claim, ids = reminders_claim(now=now)
    return [reminder_deliver(reminder_id=pk, claim=claim, now=now) for pk in ids]


# --- The seeded rules -------------------------------------------------------------------------------------------


def test_the_seeded_funding_rules_are_once_with_their_day_units(db):
    batch, due = ReminderRule.objects.get(code=WINDOW), ReminderRule.objects.get(code=TRANCHE)
    assert (batch.kind, batch.days, batch.day_unit, batch.repeat) == (
        "funding_window_closing",
        10,
        "calendar",
        "once",
    )
    assert (due.kind, due.days, due.day_unit, due.repeat) == ("tranche_due", 5, "working", "once")
    for rule in (batch, due):
        rule.full_clean()
        assert rule.is_active
    assert (batch.subject_type, due.subject_type) == ("window", "tranche")


@pytest.mark.parametrize("kind", [ReminderRule.Kind.FUNDING_WINDOW_CLOSING, ReminderRule.Kind.TRANCHE_DUE])
def test_the_funding_kinds_need_a_number_of_days(db, kind):
    rule = ReminderRule(code="x", name="x", kind=kind, days=0)
    with pytest.raises(ValidationError) as caught:
        rule.full_clean()
    assert set(caught.value.message_dict) == {"days"}


# --- A batch closing --------------------------------------------------------------------------------------------


def test_a_batch_closing_within_10_calendar_days_is_heard_once_by_the_drafts_owner(scene):
    draft(scene)
    # Tuesday 4 March: 11 days ahead, too early.
    assert reminders_sweep(now=at("2025-03-04")) == 0
    # Wednesday 5 March: Saturday 15 is 10 calendar days ahead (a working-day rule would still wait).
    assert reminders_sweep(now=at("2025-03-05")) == 1
    expected = {(WINDOW, "officer_a", day("2025-03-15"))}
    assert rows() == expected
    # Every later sweep, the same day or the days after: nothing offered, nothing written.
    assert reminders_sweep(now=at("2025-03-05", 9, 1)) == 0
    assert reminders_sweep(now=at("2025-03-12")) == 0
    assert reminders_sweep(now=at("2025-03-15", 8)) == 0
    assert rows() == expected
    reminder = Reminder.objects.get()
    assert (reminder.subject_type, reminder.subject_id, reminder.lead_id) == (
        "window",
        scene.window.pk,
        scene.lead.pk,
    )
    # After the closing date the batch is no longer "closing".
    assert reminders_sweep(now=at("2025-03-16")) == 0


def test_a_moved_deadline_is_a_new_occurrence_and_the_old_one_is_not_delivered(scene):
    preference_update(user=scene.a, language="en")
    draft(scene)
    reminders_sweep(now=at("2025-03-05"))
    funding.window_update(actor=scene.director, window=scene.window, closes_on=day("2025-03-14"))
    reminders_sweep(now=at("2025-03-05", 10))
    assert rows() == {(WINDOW, "officer_a", day("2025-03-15")), (WINDOW, "officer_a", day("2025-03-14"))}
    assert sorted(claim_and_deliver(at("2025-03-05", 10))) == ["cancelled", Reminder.Status.SENT]
    old = Reminder.objects.get(occurs_on=day("2025-03-15"))
    assert (old.status, old.cancelled_reason) == (Reminder.Status.CANCELLED, "no longer due")
    assert Notification.objects.get().title.startswith("Funding batch closes on 2025-03-14:")


def test_a_submitted_application_a_draft_without_a_batch_or_a_lost_lead_hears_nothing(scene):
    submitted = draft(scene)
    funding.application_submit(actor=scene.a, application=submitted, submitted_on=day("2025-03-03"))
    funding.application_create(actor=scene.a, lead=scene.lead, version=scene.version, requested_amount=M)
    lost = make_lead(owner=scene.a, unit=scene.unit_a, name="已流失线索")
    draft(scene, lost)
    lead_mark_lost(actor=scene.a, lead=lost, reason=LostReason.POOR_FIT)
    reminders_sweep(now=at("2025-03-05"))
    assert rows() == set()


def test_a_draft_submitted_after_the_sweep_is_not_delivered(scene):
    application = draft(scene)
    reminders_sweep(now=at("2025-03-05"))
    funding.application_submit(actor=scene.a, application=application, submitted_on=day("2025-03-05"))
    assert claim_and_deliver(at("2025-03-05", 10)) == ["cancelled"]
    assert not Notification.objects.exists()


def test_one_row_per_owner_and_batch_naming_the_lead_only_when_there_is_one(scene):
    second = make_lead(owner=scene.a, unit=scene.unit_a, name="港理工 储能团队")
    other = make_lead(owner=scene.b, unit=scene.unit_b, name="港大 生物医药团队")
    for lead in (scene.lead, second, other):
        draft(scene, lead)
    draft(scene, batch=scene.autumn)  # closing in October: not yet
    reminders_sweep(now=at("2025-03-05"))
    assert rows() == {(WINDOW, "officer_a", day("2025-03-15")), (WINDOW, "officer_b", day("2025-03-15"))}
    leads = dict(Reminder.objects.values_list("recipient__username", "lead_id"))
    assert leads == {"officer_a": None, "officer_b": other.pk}


def test_a_talent_who_declined_follow_up_is_not_chased(scene):
    talent = make_lead(owner=scene.a, unit=scene.unit_a, lead_type=LeadType.TALENT, name="陳大文")
    contact = talent.subject_contact
    type(contact).objects.filter(pk=contact.pk).update(
        consent_recorded_at=timezone.now(), consent_follow_up=False
    )
    draft(scene, talent)
    reminders_sweep(now=at("2025-03-05"))
    assert rows() == set()


def test_after_a_reassignment_the_new_owner_hears_of_the_batch(scene):
    other_a = join(make_user(username="officer_a2"), scene.unit_a)
    draft(scene)
    reminders_sweep(now=at("2025-03-05"))
    leads_reassign(actor=scene.manager_a, leads=[scene.lead], to_owner=other_a)
    reminders_sweep(now=at("2025-03-05", 10))
    assert set(Reminder.objects.values_list("recipient__username", "status")) == {
        ("officer_a", Reminder.Status.CANCELLED),
        ("officer_a2", Reminder.Status.PENDING),
    }


# --- A tranche falling due --------------------------------------------------------------------------------------


def test_a_tranche_due_within_5_working_days_is_heard_once_by_the_owner(scene):
    tranche(scene, "2025-03-12")  # a Wednesday
    # Tuesday 4 March: Wednesday 12 is the 6th working day.
    assert reminders_sweep(now=at("2025-03-04")) == 0
    # Wednesday 5 March: Thursday 6, Friday 7, Monday 10, Tuesday 11, Wednesday 12.
    assert reminders_sweep(now=at("2025-03-05")) == 1
    expected = {(TRANCHE, "officer_a", day("2025-03-12"))}
    assert rows() == expected
    assert reminders_sweep(now=at("2025-03-05", 9, 1)) == 0
    assert reminders_sweep(now=at("2025-03-12", 0, 5)) == 0  # due today: still the same occurrence
    assert rows() == expected
    reminder = Reminder.objects.get()
    assert (reminder.subject_type, reminder.lead_id) == ("tranche", scene.lead.pk)


@pytest.mark.parametrize(
    ("planned_on", "day_off", "heard"),
    [
        ("2025-03-12", None, True),
        ("2025-03-13", None, False),  # the 6th working day
        ("2025-03-13", "2025-03-11", True),  # Tuesday off: Thursday 13 is the 5th
        ("2025-03-14", "2025-03-11", False),
        ("2025-03-11", "2025-03-11", True),  # planned on a day off: heard all the same
    ],
)
def test_the_tranche_rule_counts_mainland_working_days(scene, planned_on, day_off, heard):
    if day_off:
        Holiday.objects.create(
            region=Region.MAINLAND, date=day(day_off), kind=Holiday.Kind.DAY_OFF, name="测试假日"
        )
        HolidayYear.objects.create(region=Region.MAINLAND, year=2025, source="测试")
    tranche(scene, planned_on)
    reminders_sweep(now=at("2025-03-05"))
    assert rows() == ({(TRANCHE, "officer_a", day(planned_on))} if heard else set())


def test_a_moved_tranche_is_a_new_occurrence(scene):
    planned = tranche(scene, "2025-03-12")
    reminders_sweep(now=at("2025-03-05"))
    funding.tranche_update(actor=scene.a, tranche=planned, planned_on=day("2025-03-11"))
    reminders_sweep(now=at("2025-03-05", 10))
    assert rows() == {(TRANCHE, "officer_a", day("2025-03-12")), (TRANCHE, "officer_a", day("2025-03-11"))}


def test_a_paid_tranche_hears_nothing_and_a_pending_one_is_cancelled_at_delivery(scene):
    paid = tranche(scene, "2025-03-12")
    funding.tranche_pay(actor=scene.a, tranche=paid, paid_on=day("2025-03-05"))
    reminders_sweep(now=at("2025-03-06"))
    assert rows() == set()

    second = make_lead(owner=scene.a, unit=scene.unit_a, name="港理工 储能团队")
    unpaid = tranche(scene, "2025-03-12", second)
    reminders_sweep(now=at("2025-03-06"))
    assert rows() == {(TRANCHE, "officer_a", day("2025-03-12"))}
    funding.tranche_pay(actor=scene.a, tranche=unpaid, paid_on=day("2025-03-06"))
    assert claim_and_deliver(at("2025-03-06", 10)) == ["cancelled"]
    assert not Notification.objects.exists()


# --- Delivery ---------------------------------------------------------------------------------------------------


def test_both_kinds_are_delivered_once_in_the_recipients_language_linking_the_application(scene):
    preference_update(user=scene.a, language="en")
    application = draft(scene)
    planned = tranche(
        scene, "2025-03-12", make_lead(owner=scene.a, unit=scene.unit_a, name="港理工 储能团队")
    )
    reminders_sweep(now=at("2025-03-05"))
    assert claim_and_deliver(at("2025-03-05")) == [Reminder.Status.SENT, Reminder.Status.SENT]
    # Another sweep and delivery run: nothing new is written or sent.
    assert reminders_sweep(now=at("2025-03-05", 9, 5)) == 0
    assert claim_and_deliver(at("2025-03-05", 9, 5)) == []
    notes = {n.reminder.rule.code: n for n in Notification.objects.select_related("reminder__rule")}
    assert set(notes) == {WINDOW, TRANCHE}
    assert all(n.recipient_id == scene.a.pk for n in notes.values())

    batch = notes[WINDOW]
    assert batch.title == ("Funding batch closes on 2025-03-15: Technology project grant 2025 · 第一批")
    assert f"{scene.lead.code} {scene.lead.name}" in batch.body
    assert batch.url == reverse("admin:funding_fundingapplication_change", args=[application.pk])

    due = notes[TRANCHE]
    assert due.title.startswith("Tranche due on 2025-03-12: CNY 1 million, ")
    assert planned.application.lead.code in due.title
    assert due.url == reverse("admin:funding_fundingapplication_change", args=[planned.application_id])


def test_the_batch_message_lists_several_drafts_by_code_and_links_the_draft_list(scene):
    second = make_lead(owner=scene.a, unit=scene.unit_a, name="港理工 储能团队")
    draft(scene)
    draft(scene, second)
    reminders_sweep(now=at("2025-03-05"))
    claim_and_deliver(at("2025-03-05"))
    note = Notification.objects.get()
    assert scene.lead.code in note.body
    assert second.code in note.body
    assert scene.lead.name not in note.body
    assert note.url.startswith(
        reverse("admin:funding_fundingapplication_changelist") + "?status__exact=draft"
    )


# --- Query counts -----------------------------------------------------------------------------------------------


def populate(w, n: int) -> None:
    """n batches closing within 10 days, each with the drafts of two leads (one owned by A, one by B); and n
    unpaid tranches due within 5 working days, two on each approved application."""
    for i in range(n):
        batch = window(w, f"批次{i}", closes_on="2025-03-14")
        leads = [
            make_lead(owner=w.a, unit=w.unit_a, name=f"甲{i}"),
            make_lead(owner=w.b, unit=w.unit_b, name=f"乙{i}"),
        ]
        for lead in leads:
            draft(w, lead, batch)
        if i % 2 == 0:
            planned = tranche(w, "2025-03-11", leads[0])
            funding.tranche_plan(
                actor=w.a, application=planned.application, planned_on=day("2025-03-12"), amount=M
            )


def sweep_queries(now: dt.datetime) -> tuple[int, list[str]]:
    with CaptureQueriesContext(connection) as captured:
        reminders_sweep(now=now)
    return len(captured), [q["sql"] for q in captured.captured_queries]


@pytest.mark.parametrize("n", [2, 20])
def test_the_funding_sweep_query_count_does_not_grow_with_the_subjects(scene, n):
    populate(scene, n)
    count, sql = sweep_queries(at("2025-03-05"))
    # 11, at 2 subjects as at 20: active users, preferences, active rules; the batch rule: a shorter rule of
    # its kind, the drafts in batches closing (grouped by batch and owner), the insert; the tranche rule: the
    # mainland calendar's complete years and its holidays (once per sweep), a shorter rule of its kind, the
    # tranches due, the insert.
    assert count == 11, sql
    assert Reminder.objects.filter(rule__code=WINDOW).count() == 2 * n
    assert Reminder.objects.filter(rule__code=TRANCHE).count() == n
    # The next sweep finds everything written: the same reads, and no insert.
    assert sweep_queries(at("2025-03-05", 9, 1))[0] == 9
