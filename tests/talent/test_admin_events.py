"""The event and attendance admins: scope, saves through the services, the Hong Kong holiday warning, and list
query counts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from directory.models import Holiday, Region
from directory.services import holiday_set
from talent.models import Attendance, RecruitmentEvent
from talent.services.consent import consent_record
from talent.services.events import attendance_record
from tests.factories import make_user
from tests.projects.conftest import form_data
from tests.talent.test_admin_contacts import (
    consent_text,
    english_client,
    hk_phone,
    make_event,
    make_world,
    person,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db):
    return make_world()


def event_url(name: str, *args) -> str:
    return reverse(f"admin:talent_recruitmentevent_{name}", args=args)


def attendance_url(name: str, *args) -> str:
    return reverse(f"admin:talent_attendance_{name}", args=args)


def names_listed(response) -> list[str]:
    return [str(row) for row in response.context["cl"].result_list]


# --- Scope ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("view", ["change", "history"])
def test_a_recorder_opens_their_event_and_gets_404_on_another(world, view):
    client = english_client(world.recorder)
    assert client.get(event_url(view, world.event_a.pk)).status_code == 200
    assert client.get(event_url(view, world.event_b.pk)).status_code == 404


def test_the_event_list_is_scoped(world):
    assert names_listed(english_client(world.recorder).get(event_url("changelist"))) == [str(world.event_a)]
    assert len(names_listed(english_client(world.officer).get(event_url("changelist")))) == 2


def test_attendances_are_scoped_by_event(world):
    client = english_client(world.recorder)
    mine = world.alice.attendances.get()
    theirs = world.bob.attendances.get()
    assert [a.pk for a in client.get(attendance_url("changelist")).context["cl"].result_list] == [mine.pk]
    assert client.get(attendance_url("change", mine.pk)).status_code == 200
    assert client.get(attendance_url("change", theirs.pk)).status_code == 404


def test_officers_see_events_but_only_managers_change_them(world):
    officer = english_client(world.officer).get(event_url("change", world.event_a.pk))
    assert officer.status_code == 200
    assert not officer.context["has_change_permission"]
    assert (
        english_client(world.manager)
        .get(event_url("change", world.event_a.pk))
        .context["has_change_permission"]
    )


# --- Saving through the services --------------------------------------------------------------------------------


def test_a_manager_adds_an_event_with_its_staff(world):
    client = english_client(world.manager)
    data = form_data(client.get(event_url("add")))
    data.update(
        {
            "name": "InnoHK 人才对接会",
            "kind": RecruitmentEvent.Kind.MATCHING,
            "city": "香港",
            "venue": "香港科学园",
            "starts_on": "2025-11-20",
            "ends_on": "2025-11-21",
            "assigned_staff": [world.recorder.pk, world.other_recorder.pk],
        }
    )
    response = client.post(event_url("add"), data)
    assert response.status_code == 302
    event = RecruitmentEvent.objects.get(name="InnoHK 人才对接会")
    assert set(event.assigned_staff.all()) == {world.recorder, world.other_recorder}
    assert event.history.count() == 1  # saved once, by event_create


def test_an_event_ending_before_it_starts_is_refused(world):
    client = english_client(world.manager)
    data = form_data(client.get(event_url("change", world.event_a.pk)))
    data.update({"starts_on": "2025-11-21", "ends_on": "2025-11-20"})
    response = client.post(event_url("change", world.event_a.pk), data)
    assert response.status_code == 200
    world.event_a.refresh_from_db()
    assert world.event_a.starts_on != dt.date(2025, 11, 21)


def test_a_recorder_records_an_attendance_at_their_event_only(world):
    newcomer = person("何家明", phones=[hk_phone()])
    client = english_client(world.recorder)
    data = form_data(client.get(attendance_url("add")))
    # The newcomer was met at no event of the recorder's: not among the contacts they may choose.
    data.update({"event": world.event_a.pk, "contact": newcomer.pk, "grade": "A", "method": "card"})
    assert client.post(attendance_url("add"), data).status_code == 200
    assert not Attendance.objects.filter(contact=newcomer).exists()
    # An officer may; the service records who captured the person.
    officer = english_client(world.officer)
    data = form_data(officer.get(attendance_url("add")))
    data.update({"event": world.event_a.pk, "contact": newcomer.pk, "grade": "A", "method": "card"})
    assert officer.post(attendance_url("add"), data).status_code == 302
    attendance = Attendance.objects.get(contact=newcomer)
    assert (attendance.event, attendance.captured_by, attendance.grade) == (world.event_a, world.officer, "A")
    # The recorder now sees the newcomer, and may not record them at the other recorder's event.
    data = form_data(client.get(attendance_url("add")))
    data.update({"event": world.event_b.pk, "contact": newcomer.pk, "method": "card"})
    assert client.post(attendance_url("add"), data).status_code == 200
    assert Attendance.objects.filter(contact=newcomer).count() == 1


def test_a_second_attendance_at_the_same_event_is_refused_beside_the_form(world):
    client = english_client(world.officer)
    data = form_data(client.get(attendance_url("add")))
    data.update({"event": world.event_a.pk, "contact": world.alice.pk, "method": "card"})
    response = client.post(attendance_url("add"), data)
    assert response.status_code == 200
    assert Attendance.objects.filter(contact=world.alice, event=world.event_a).count() == 1


def test_changing_an_attendance_goes_through_attendance_update(world):
    attendance = world.alice.attendances.get()
    client = english_client(world.officer)
    data = form_data(client.get(attendance_url("change", attendance.pk)))
    data.update({"grade": "B", "next_action": "寄送园区资料"})
    assert client.post(attendance_url("change", attendance.pk), data).status_code == 302
    attendance.refresh_from_db()
    assert (attendance.grade, attendance.next_action, attendance.captured_by) == (
        "B",
        "寄送园区资料",
        world.recorder,
    )


# --- Hong Kong holidays -----------------------------------------------------------------------------------------


@pytest.fixture
def national_day_event(world):
    holiday_set(
        region=Region.HONG_KONG, date=dt.date(2025, 10, 1), kind=Holiday.Kind.DAY_OFF, name="National Day"
    )
    holiday_set(
        region=Region.HONG_KONG, date=dt.date(2025, 10, 7), kind=Holiday.Kind.DAY_OFF, name="Chung Yeung"
    )
    # A mainland holiday in the window is not a Hong Kong one: not shown.
    holiday_set(region=Region.MAINLAND, date=dt.date(2025, 10, 2), kind=Holiday.Kind.DAY_OFF, name="国庆节")
    return make_event("国庆专场", staff=[world.recorder], starts_on=dt.date(2025, 9, 30), days=2)


def test_the_event_page_lists_hk_holidays_around_it_and_warns_when_it_falls_on_one(world, national_day_event):
    response = english_client(world.manager).get(event_url("change", national_day_event.pk))
    html = response.content.decode()
    assert "The event falls on a Hong Kong public holiday: 2025-10-01 National Day." in html
    assert "<strong>2025-10-01 National Day (during the event)</strong>" in html
    assert "2025-10-07 Chung Yeung" in html  # within 7 days after: shown, not warned about
    assert "国庆节" not in html


def test_the_holiday_warning_is_shown_after_saving_too_and_only_once(world, national_day_event):
    client = english_client(world.manager)
    data = form_data(client.get(event_url("change", national_day_event.pk)))
    data["venue"] = "会展中心"
    data["_continue"] = "1"
    response = client.post(event_url("change", national_day_event.pk), data, follow=True)
    html = response.content.decode()
    assert html.count("The event falls on a Hong Kong public holiday") == 1
    national_day_event.refresh_from_db()
    assert national_day_event.venue == "会展中心"
    # Saved and back to the list: the warning travels with the redirect.
    data.pop("_continue")
    listed = client.post(event_url("change", national_day_event.pk), data, follow=True)
    assert "The event falls on a Hong Kong public holiday" in listed.content.decode()


def test_an_event_clear_of_holidays_has_no_warning(world):
    holiday_set(
        region=Region.HONG_KONG, date=dt.date(2025, 12, 25), kind=Holiday.Kind.DAY_OFF, name="Christmas"
    )
    event = make_event("冬季专场", starts_on=dt.date(2025, 12, 20), days=2)
    html = english_client(world.manager).get(event_url("change", event.pk)).content.decode()
    assert "falls on a Hong Kong public holiday" not in html
    assert "2025-12-25 Christmas" in html


# --- Query counts -----------------------------------------------------------------------------------------------


def busy_events(count: int, world) -> list[RecruitmentEvent]:
    """Events with two of every related object: assigned staff, attendances (each with a consent record)."""
    staff = [make_user(Role.RECORDER, username=f"staff{i}") for i in range(2)]
    text = consent_text()
    people = [person(f"黃志強{i}", phones=[hk_phone()]) for i in range(2)]
    consents = [
        consent_record(
            actor=None, contact=contact, purposes=["follow_up", "sharing"], channel="qr_form", text=text
        )
        for contact in people
    ]
    events = []
    for i in range(count):
        event = make_event(f"专场{i:02d}", staff=staff, starts_on=timezone.localdate() - dt.timedelta(days=i))
        for contact, consent in zip(people, consents, strict=True):
            attendance_record(actor=world.officer, event=event, contact=contact, consent=consent, grade="A")
        events.append(event)
    return events


@pytest.mark.parametrize("rows", [2, 20])
def test_event_changelist_query_count_does_not_grow_with_rows(world, django_assert_num_queries, rows):
    RecruitmentEvent.objects.all().delete()
    busy_events(rows, world)
    client = english_client(world.officer)
    # 1 session, 2 user, 3 user permissions, 4 group permissions (the scope: officers see all events),
    # 5 COUNT of the rows (the attendance count is left out of it), 6 the page with carrier and the attendance
    # count as a subquery (no query per row), 7 first and last date of the date hierarchy, 8 the dates it
    # offers, 9 the cities of the city filter.
    with django_assert_num_queries(9):
        response = client.get(event_url("changelist"))
    rows_shown = response.context["cl"].result_list
    assert len(rows_shown) == rows
    assert {event.attendance_total for event in rows_shown} == {2}
    assert '<td class="field-attendance_count">2</td>' in response.content.decode()


@pytest.mark.parametrize("rows", [2, 20])
def test_attendance_changelist_query_count_does_not_grow_with_rows(world, django_assert_num_queries, rows):
    RecruitmentEvent.objects.all().delete()
    busy_events(rows // 2, world)  # two attendances per event
    client = english_client(world.officer)
    # 1 session, 2 user, 3 user permissions, 4 group permissions (the scope), 5 the visible events of the event
    # filter, 6 COUNT of the rows, 7 the page with contact, event, capturer and the consent with its statement.
    with django_assert_num_queries(7):
        response = client.get(attendance_url("changelist"))
    assert len(response.context["cl"].result_list) == rows
    assert "follow-up, sharing" in response.content.decode()
