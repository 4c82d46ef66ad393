"""/api/v1/events/: the events a user can see, with their attendance and the Hong Kong holidays they overlap;
created through event_create by the roles allowed to."""

from __future__ import annotations

import datetime as dt

import pytest

from accounts.roles import Role
from directory.models import Holiday
from talent.models import RecruitmentEvent
from talent.services.contacts import contact_create
from talent.services.events import attendance_record, event_create
from tests.factories import join, make_user

pytestmark = pytest.mark.django_db


def day_off(date: dt.date, name: str, region: str = "HK", kind: str = Holiday.Kind.DAY_OFF) -> Holiday:
    return Holiday.objects.create(region=region, date=date, kind=kind, name=name)


@pytest.fixture
def events(world):
    """An Easter week fair the recorder staffs, with two people met, and a later roadshow they do not."""
    fair = event_create(
        actor=world.manager_a,
        name="复活节创科招聘会",
        starts_on=dt.date(2025, 4, 17),
        ends_on=dt.date(2025, 4, 22),
        assigned_staff=[world.recorder, world.officer_a],
    )
    roadshow = event_create(
        actor=world.manager_a, name="科大路演", starts_on=dt.date(2025, 5, 6), ends_on=dt.date(2025, 5, 6)
    )
    for name in ("陳大文", "李嘉欣"):
        attendance_record(
            actor=world.recorder, event=fair, contact=contact_create(actor=world.recorder, name=name)
        )
    return fair, roadshow


def test_a_recorder_lists_the_events_they_staff_and_an_officer_lists_all(api, world, events):
    fair, roadshow = events
    api.force_login(world.recorder)
    response = api.get("/api/v1/events/")
    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [fair.pk]
    api.force_login(world.officer_b)
    assert [row["id"] for row in api.get("/api/v1/events/").json()["results"]] == [roadshow.pk, fair.pk]


def test_a_report_viewer_has_no_rights_on_events(api, world, events):
    viewer = join(make_user(Role.REPORT_VIEWER, username="viewer"), world.unit_a)
    api.force_login(viewer)
    assert api.get("/api/v1/events/").status_code == 403


def test_an_event_shows_its_attendance_count_and_the_hong_kong_holidays_it_overlaps(api, world, events):
    fair, roadshow = events
    day_off(dt.date(2025, 4, 16), "before the fair")
    day_off(dt.date(2025, 4, 18), "Good Friday")
    day_off(dt.date(2025, 4, 21), "Easter Monday")
    day_off(dt.date(2025, 4, 19), "mainland-only day", region="CN")
    day_off(dt.date(2025, 4, 20), "a make-up workday", kind=Holiday.Kind.WORKDAY)
    day_off(dt.date(2025, 5, 5), "The Birthday of the Buddha")
    api.force_login(world.officer_a)
    rows = {row["id"]: row for row in api.get("/api/v1/events/").json()["results"]}
    assert rows[fair.pk]["hk_holidays"] == [
        {"date": "2025-04-18", "name": "Good Friday"},
        {"date": "2025-04-21", "name": "Easter Monday"},
    ]
    assert rows[fair.pk]["attendance_count"] == 2
    assert rows[fair.pk]["assigned_staff"] == sorted([world.recorder.pk, world.officer_a.pk])
    assert (rows[roadshow.pk]["hk_holidays"], rows[roadshow.pk]["attendance_count"]) == ([], 0)


def test_a_manager_creates_an_event(api, world):
    Holiday.objects.create(
        region="HK", date=dt.date(2025, 7, 1), kind="day_off", name="HKSAR Establishment Day"
    )
    api.force_login(world.manager_a)
    response = api.post(
        "/api/v1/events/",
        {
            "name": "七一创科交流会",
            "kind": "matching",
            "venue": "香港科学园",
            "starts_on": "2025-06-30",
            "ends_on": "2025-07-01",
            "assigned_staff": [world.recorder.pk],
        },
        format="json",
    )
    assert response.status_code == 201
    event = RecruitmentEvent.objects.get(pk=response.json()["id"])
    assert list(event.assigned_staff.all()) == [world.recorder]
    assert event.history.count() == 1
    assert response.json()["city"] == "香港"
    assert response.json()["attendance_count"] == 0
    assert response.json()["hk_holidays"] == [{"date": "2025-07-01", "name": "HKSAR Establishment Day"}]
    # The recorder now sees it: the positive control of the scope.
    api.force_login(world.recorder)
    assert [row["id"] for row in api.get("/api/v1/events/").json()["results"]] == [event.pk]


def test_officers_and_recorders_may_not_create_events(api, world, events):
    body = {"name": "越权活动", "starts_on": "2025-06-30", "ends_on": "2025-06-30"}
    for user in (world.officer_a, world.recorder):
        api.force_login(user)
        response = api.post("/api/v1/events/", body, format="json")
        assert response.status_code == 403
    assert not RecruitmentEvent.objects.filter(name="越权活动").exists()


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        (
            {"name": "倒序活动", "starts_on": "2025-07-02", "ends_on": "2025-07-01"},
            {"ends_on": ["An event cannot end before it starts."]},
        ),
        ({"starts_on": "2025-07-01", "ends_on": "2025-07-01"}, {"name": ["This field is required."]}),
        (
            {"name": "无日期活动", "starts_on": "July 1st", "ends_on": "2025-07-01"},
            {"starts_on": ["Date has wrong format. Use one of these formats instead: YYYY-MM-DD."]},
        ),
        (
            {
                "name": "无人活动",
                "starts_on": "2025-07-01",
                "ends_on": "2025-07-01",
                "assigned_staff": [999999],
            },
            {"assigned_staff": ['Invalid pk "999999" - object does not exist.']},
        ),
        (
            {"name": "奇怪活动", "kind": "party", "starts_on": "2025-07-01", "ends_on": "2025-07-01"},
            {"kind": ['"party" is not a valid choice.']},
        ),
    ],
)
def test_bad_input_is_a_400_naming_the_field(api, world, body, errors):
    api.force_login(world.manager_a)
    response = api.post("/api/v1/events/", body, format="json")
    assert response.status_code == 400
    assert response.json() == errors
    assert not RecruitmentEvent.objects.exists()


# --- Attendances ----------------------------------------------------------------------------------------------------


def test_a_recorder_records_a_new_person_at_their_event_and_gets_404_at_another(api, world, events):
    fair, roadshow = events
    api.force_login(world.recorder)
    body = {"person": {"name": "黃嘉欣", "phones": ["6123 4567"]}, "grade": "A", "method": "card"}
    response = api.post(f"/api/v1/events/{fair.pk}/attendances/", body, format="json")
    assert response.status_code == 201
    created = response.json()
    assert (created["event"], created["grade"], created["captured_by"]) == (fair.pk, "A", world.recorder.pk)
    assert created["possible_duplicates"] == {"hint": False, "message": ""}
    assert api.get(f"/api/v1/contacts/{created['contact']}/").status_code == 200
    response = api.post(f"/api/v1/events/{roadshow.pk}/attendances/", body, format="json")
    assert response.status_code == 404


def test_an_officer_records_a_known_contact_once_per_event(api, world, events):
    fair, _roadshow = events
    known = contact_create(actor=world.officer_a, name="何家豪")
    api.force_login(world.officer_a)
    url = f"/api/v1/events/{fair.pk}/attendances/"
    assert api.post(url, {"contact": known.pk, "grade": "B"}, format="json").status_code == 201
    response = api.post(url, {"contact": known.pk}, format="json")
    assert (response.status_code, list(response.json())) == (400, ["contact"])
    response = api.post(url, {"grade": "B"}, format="json")
    assert response.json() == {
        "contact": ["Name a known contact or describe a new person in `person`, one of the two."]
    }


def test_a_report_viewer_has_no_rights_to_record_attendance(api, world, events):
    fair, _roadshow = events
    viewer = join(make_user(Role.REPORT_VIEWER, username="viewer"), world.unit_a)
    api.force_login(viewer)
    response = api.post(
        f"/api/v1/events/{fair.pk}/attendances/", {"person": {"name": "黃嘉欣"}}, format="json"
    )
    assert response.status_code == 403


def test_a_retried_capture_with_its_key_records_once_and_another_body_is_422(api, world, events):
    fair, _roadshow = events
    api.force_login(world.recorder)
    url = f"/api/v1/events/{fair.pk}/attendances/"
    body = {"person": {"name": "黃嘉欣", "phones": ["6123 4567"]}, "grade": "A"}
    first = api.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="tap-1")
    again = api.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="tap-1")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert fair.attendances.filter(contact__name="黃嘉欣").count() == 1
    other = api.post(url, {"person": {"name": "李美玲"}}, format="json", HTTP_IDEMPOTENCY_KEY="tap-1")
    assert (other.status_code, other.json()) == (
        422,
        {"idempotency_key": ["This submission key was already used with different content."]},
    )
    assert not fair.attendances.filter(contact__name="李美玲").exists()


def test_a_bad_phone_for_a_new_person_is_a_400_and_records_nothing(api, world, events):
    fair, _roadshow = events
    api.force_login(world.recorder)
    response = api.post(
        f"/api/v1/events/{fair.pk}/attendances/",
        {"person": {"name": "黃嘉欣", "phones": ["12345"]}},
        format="json",
        HTTP_IDEMPOTENCY_KEY="tap-2",
    )
    assert response.status_code == 400
    assert list(response.json()) == ["person"]
    assert not RecruitmentEvent.objects.get(pk=fair.pk).attendances.filter(contact__name="黃嘉欣").exists()
