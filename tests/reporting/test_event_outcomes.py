"""Event outcomes: who came, how keen they were, what leads and signings the event brought, and whose follow-up
is overdue — counted within the user's scope, in a fixed number of queries."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import User
from accounts.roles import Role
from projects import services
from projects.models import Activity, Lead, Signing
from projects.services.merge import lead_merge
from reporting.selectors import EventOutcome, event_outcomes
from talent.models import Contact, RecruitmentEvent
from talent.services.consent import consent_record
from talent.services.events import attendance_record, event_create
from tests.factories import join, make_lead, make_organization, make_user
from tests.talent.conftest import person

pytestmark = pytest.mark.django_db


def days_ago(days: int) -> dt.date:
    return timezone.localdate() - dt.timedelta(days=days)


def at_local(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    """A moment on the wall clock in Suzhou (Asia/Shanghai, UTC+8)."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def fair(name: str, *, staff=()) -> RecruitmentEvent:
    return event_create(
        actor=None, name=name, starts_on=days_ago(30), ends_on=days_ago(29), assigned_staff=staff
    )


def met(event: RecruitmentEvent, name: str, *, grade: str = "", due: dt.date | None = None) -> Contact:
    contact = person(name)
    attendance_record(actor=None, event=event, contact=contact, grade=grade, next_action_on=due)
    return contact


def follow_up(lead: Lead, *people: Contact, when: dt.datetime, kind: str = Activity.Kind.CALL) -> Activity:
    return services.activity_log(
        actor=lead.owner, lead=lead, kind=kind, occurred_at=when, summary="电话跟进", contacts=people
    )


def sign(lead: Lead, *, event, amount: str, currency: str, investor: str, kind: str = Signing.Kind.NEW):
    return services.signing_create(
        actor=lead.owner,
        lead=lead,
        signed_on=days_ago(29),
        investor=make_organization(investor, f"{investor} 投资方"),
        amount=Decimal(amount),
        currency=currency,
        kind=kind,
        event=event,
    )


def only(outcomes: list[EventOutcome]) -> EventOutcome:
    [outcome] = outcomes
    return outcome


def test_an_events_outcomes_are_counted_exactly(world):
    event = fair("香港创科人才招聘会")
    elsewhere = fair("深港创投路演")
    chan = met(event, "陳大文", grade="A", due=days_ago(5))  # nobody called: overdue
    wong = met(event, "黃嘉欣", grade="A", due=days_ago(5))
    lee = met(event, "李志明", grade="B", due=days_ago(5))
    met(event, "張偉", grade="C", due=days_ago(-3))  # not due yet
    met(event, "吳美玲")  # no next action
    lam = met(event, "林家豪", due=days_ago(5))
    consent_record(actor=None, contact=lam, purposes=["mailings"], channel="paper")  # said no to follow-up
    met(elsewhere, "陳大文二", grade="A", due=days_ago(5))

    first = make_lead(owner=world.a, unit=world.unit_a, name="港科大 机器人团队", source_event=event)
    second = make_lead(owner=world.a, unit=world.unit_a, name="港大 新材料团队", source_event=event)
    duplicate = make_lead(
        owner=world.a, unit=world.unit_a, name="港科大 机器人(重复录入)", source_event=event
    )
    lead_merge(actor=world.manager_a, source=duplicate, target=first)
    from_elsewhere = make_lead(
        owner=world.a, unit=world.unit_a, name="中大 生物医药团队", source_event=elsewhere
    )

    follow_up(first, wong, when=at_local(days_ago(2), 10))  # after the due date: done
    follow_up(first, lee, when=at_local(days_ago(10), 10))  # before the due date: the next action still waits
    follow_up(first, lee, when=at_local(days_ago(2), 10), kind=Activity.Kind.NOTE)  # a note is no follow-up
    follow_up(
        first, chan, when=at_local(days_ago(29), 10), kind=Activity.Kind.EVENT
    )  # met at the event itself

    sign(first, event=event, amount="5000000.00", currency="HKD", investor="HKIC")
    sign(
        first,
        event=event,
        amount="8000000.00",
        currency="CNY",
        investor="HKIC",
        kind=Signing.Kind.CAPITAL_INCREASE,
    )
    sign(second, event=event, amount="12000000.50", currency="CNY", investor="SIP")
    sign(second, event=event, amount="3000000.00", currency="CNY", investor="SND")  # not its first: no credit
    sign(from_elsewhere, event=event, amount="1000000.25", currency="CNY", investor="SIP")
    sign(world.lead, event=elsewhere, amount="700000.00", currency="USD", investor="SIP")

    outcome = only(
        event_outcomes(world.director, events=RecruitmentEvent.objects.filter(pk=event.pk), today=days_ago(0))
    )

    assert outcome == EventOutcome(
        event_id=event.pk,
        name="香港创科人才招聘会",
        starts_on=days_ago(30),
        attendees=6,
        grades={"A": 2, "B": 1, "C": 1, "ungraded": 2},
        leads_created=2,
        signings=3,
        signed_amounts={"CNY": Decimal("13000000.75"), "HKD": Decimal("5000000.00")},
        overdue_follow_ups=2,
    )


def test_a_follow_up_counts_by_the_local_day_in_suzhou(world):
    event = fair("香港创科人才招聘会")
    due = days_ago(5)
    just_after_midnight = met(event, "區志強", due=due)
    late_the_night_before = met(event, "曾國華", due=due)
    lead = make_lead(owner=world.a, unit=world.unit_a, source_event=event)
    # 00:30 in Suzhou is still the previous day in UTC; 23:30 the night before is the same UTC day.
    follow_up(lead, just_after_midnight, when=at_local(due, 0, 30))
    follow_up(lead, late_the_night_before, when=at_local(due - dt.timedelta(days=1), 23, 30))

    assert only(event_outcomes(world.director, today=days_ago(0))).overdue_follow_ups == 1
    assert only(event_outcomes(world.director, today=due)).overdue_follow_ups == 0  # due today is not overdue


def test_an_event_with_nothing_recorded_shows_zeros(world):
    event = fair("线上推介会")

    assert event_outcomes(world.director) == [
        EventOutcome(
            event_id=event.pk,
            name="线上推介会",
            starts_on=days_ago(30),
            attendees=0,
            grades={"A": 0, "B": 0, "C": 0, "ungraded": 0},
            leads_created=0,
            signings=0,
            signed_amounts={},
            overdue_follow_ups=0,
        )
    ]


def test_leads_and_signings_are_counted_only_where_the_user_sees_them(world):
    event = fair("香港创科人才招聘会")
    secret = make_lead(owner=world.a, unit=world.unit_a, confidential=True, source_event=event)
    sign(secret, event=event, amount="100.00", currency="USD", investor="HKIC")
    of_b = make_lead(owner=world.b, unit=world.unit_b, source_event=event)
    sign(of_b, event=event, amount="200.00", currency="CNY", investor="SIP")
    colleague_of_a = join(make_user(Role.OFFICER, username="colleague_a"), world.unit_a)

    def figures(user):
        outcome = only(event_outcomes(user))
        return outcome.leads_created, outcome.signings, outcome.signed_amounts

    assert figures(world.director) == (2, 2, {"CNY": Decimal("200.00"), "USD": Decimal("100.00")})
    assert figures(world.a) == (1, 1, {"USD": Decimal("100.00")})  # the owner
    assert figures(world.manager_a) == (1, 1, {"USD": Decimal("100.00")})  # the head of A
    assert figures(world.b) == (1, 1, {"CNY": Decimal("200.00")})  # unit B: its own lead, not A's secret
    assert figures(colleague_of_a) == (0, 0, {})  # a plain member of A is not told of the confidential lead


def test_an_event_recorder_gets_only_the_events_they_staff(world):
    staffed = fair("香港创科人才招聘会", staff=[world.recorder])
    other = fair("深港创投路演")
    met(staffed, "陳大文", grade="A")
    met(other, "黃嘉欣", grade="B")

    assert [o.event_id for o in event_outcomes(world.recorder)] == [staffed.pk]
    assert only(event_outcomes(world.recorder)).attendees == 1
    assert event_outcomes(world.recorder, events=RecruitmentEvent.objects.filter(pk=other.pk)) == []
    assert sorted(o.event_id for o in event_outcomes(world.a)) == sorted([staffed.pk, other.pk])


@pytest.mark.parametrize("events", [2, 20])
def test_the_figures_take_the_same_queries_for_2_and_20_events(world, events, django_assert_num_queries):
    for n in range(events):
        event = fair(f"招聘会{n}")
        people = [met(event, f"陳大文{n}{i}", grade="AB"[i], due=days_ago(5)) for i in range(2)]
        leads = [
            make_lead(owner=world.a, unit=world.unit_a, name=f"团队{n}-{i}", source_event=event)
            for i in range(2)
        ]
        for i, lead in enumerate(leads):
            follow_up(lead, *people, when=at_local(days_ago(10 - i), 10))
            sign(lead, event=event, amount="100.00", currency=("CNY", "HKD")[i], investor="HKIC")
    director = User.objects.get(pk=world.director.pk)  # a fresh user object: nothing of its scope is cached
    # 1. the user's own permissions, 2. the permissions of the user's groups (events_visible_to's has_perm),
    # 3. the events in scope, 4. attendances grouped by event (headcount, grades, overdue follow-ups),
    # 5. whether the user is an administrator, 6. the user's unit memberships (leads_visible_to's scope),
    # 7. visible leads grouped by source event, 8. credited signings on visible leads grouped by event and currency.
    with django_assert_num_queries(8):
        outcomes = event_outcomes(director)
    assert len(outcomes) == events
    assert {(o.attendees, o.leads_created, o.signings, o.overdue_follow_ups) for o in outcomes} == {
        (2, 2, 2, 2)
    }
    assert all(o.signed_amounts == {"CNY": Decimal("100.00"), "HKD": Decimal("100.00")} for o in outcomes)
