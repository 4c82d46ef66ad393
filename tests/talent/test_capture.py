"""Quick capture at events: the recorder's phone page, its offline queue's endpoint, the organization suggestions."""

from __future__ import annotations

import datetime as dt
import json
import threading

import pytest
from django.conf import settings
from django.db import connection, connections
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import get_random_string

from accounts.roles import Role
from talent.models import Attendance, Consent, Contact, DuplicatePair, Submission
from talent.services.capture import CaptureInput, capture_person
from talent.services.events import event_create
from tests.factories import make_user
from tests.talent.conftest import hk_phone, person

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL (CI's PostgreSQL pass)"
)


@pytest.fixture
def recorder(db):
    return make_user(Role.RECORDER, username="recorder")


@pytest.fixture
def fair(recorder):
    today = timezone.localdate()
    return event_create(
        actor=None, name="港科大创科人才交流会", starts_on=today, ends_on=today, assigned_staff=[recorder]
    )


@pytest.fixture
def other_event(db):
    today = timezone.localdate()
    return event_create(actor=None, name="另一场路演", starts_on=today, ends_on=today)


def _client(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def _post_json(client: Client, event, body: dict, key: str = "k-1"):
    return client.post(
        reverse("talent:capture-submit", args=[event.pk]),
        data=json.dumps(body),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY=key,
    )


@pytest.fixture
def hkust(orgs):
    from directory.services import organization_add_alias

    organization_add_alias(organization=orgs["HKUST"], alias="港科大")
    return orgs["HKUST"]


# --- The service ------------------------------------------------------------------------------------------------


def test_capture_registers_the_person_records_consent_and_attendance(recorder, fair, hkust):
    result = capture_person(
        actor=recorder,
        event=fair,
        person=CaptureInput(
            name="陳大文",
            organization_text="港科大",
            phone="9123 4567",
            email="tm.chan@example.hk",
            interests=["full_time", "found"],
            grade="A",
            notes="想了解苏州工业园区的实验室空间",
            purposes=["follow_up", "mailings"],
            language="zh-hant",
        ),
        method=Attendance.Method.STAFF,
        consent_channel=Consent.Channel.STAFF,
    )
    contact = result.attendance.contact
    assert contact.organization == hkust
    assert contact.preferred_script == Contact.Script.TRADITIONAL
    assert contact.interests == ["full_time", "found"]
    assert sorted(contact.channels.values_list("kind", "value")) == [
        ("email", "tm.chan@example.hk"),
        ("phone", "+85291234567"),
    ]
    assert (result.attendance.grade, result.attendance.method) == ("A", Attendance.Method.STAFF)
    assert result.attendance.notes == "想了解苏州工业园区的实验室空间"
    consent = result.attendance.consent
    assert (consent.follow_up, consent.mailings, consent.sharing, consent.mainland) == (
        True,
        True,
        False,
        False,
    )
    assert (consent.channel, consent.language, consent.recorded_by) == (
        Consent.Channel.STAFF,
        "zh-hant",
        recorder,
    )
    assert result.possible_match is False


def test_an_organization_missing_from_the_directory_is_kept_as_written(recorder, fair):
    result = capture_person(
        actor=recorder,
        event=fair,
        person=CaptureInput(name="黃嘉欣", organization_text="Sham Shui Po Robotics Studio"),
        method=Attendance.Method.STAFF,
        consent_channel=Consent.Channel.STAFF,
    )
    contact = result.attendance.contact
    assert contact.organization is None
    assert contact.notes == "Organization as written: Sham Shui Po Robotics Studio"
    assert result.attendance.consent is None


def test_a_bad_phone_saves_nothing(recorder, fair):
    from core.errors import ApplicationError

    with pytest.raises(ApplicationError) as raised:
        capture_person(
            actor=recorder,
            event=fair,
            person=CaptureInput(name="陳大文", phone="12345", purposes=["follow_up"]),
            method=Attendance.Method.STAFF,
            consent_channel=Consent.Channel.STAFF,
        )
    assert raised.value.field == "phone"
    assert (Contact.objects.count(), Consent.objects.count(), Attendance.objects.count()) == (0, 0, 0)


# --- The page and its JSON endpoint -----------------------------------------------------------------------------


def test_the_page_is_for_assigned_recorders_only(recorder, fair, other_event):
    client = _client(recorder)
    page = client.get(reverse("talent:capture", args=[fair.pk]))
    assert page.status_code == 200
    assert "港科大创科人才交流会" in page.content.decode()
    assert "Follow-up contact" in page.content.decode()  # the consent boxes, each purpose on its own
    # Another event exists but is not theirs: 404, as if it did not exist.
    assert client.get(reverse("talent:capture", args=[other_event.pk])).status_code == 404
    events = client.get(reverse("talent:capture-events")).content.decode()
    assert "港科大创科人才交流会" in events
    assert "另一场路演" not in events


def test_a_role_without_capture_rights_gets_403_and_an_anonymous_visitor_the_login(fair):
    viewer = make_user(Role.REPORT_VIEWER, username="viewer")
    assert _client(viewer).get(reverse("talent:capture", args=[fair.pk])).status_code == 403
    assert _post_json(_client(viewer), fair, {"name": "陳大文"}).status_code == 403
    anonymous = Client().get(reverse("talent:capture", args=[fair.pk]))
    assert anonymous.status_code == 302
    assert "/admin/login/" in anonymous["Location"]


def test_one_key_saves_one_person_and_a_replay_returns_the_first_answer(recorder, fair):
    client = _client(recorder)
    body = {"name": "陳大文", "phone": "9123 4567", "purposes": ["follow_up"], "grade": "B"}
    first = _post_json(client, fair, body)
    assert first.status_code == 201, first.content
    assert first.json()["message"] == "Saved: 陳大文"
    again = _post_json(client, fair, {**body, "purposes": ["follow_up"]})
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert Contact.objects.count() == Attendance.objects.count() == Consent.objects.count() == 1
    assert Attendance.objects.get().captured_by == recorder


def test_the_same_key_with_other_content_is_refused(recorder, fair):
    client = _client(recorder)
    assert _post_json(client, fair, {"name": "陳大文"}).status_code == 201
    clash = _post_json(client, fair, {"name": "黃嘉欣"})
    assert clash.status_code == 422
    assert clash.json()["errors"]["__all__"] == [
        "This submission key was already used with different content."
    ]
    assert list(Contact.objects.values_list("name", flat=True)) == ["陳大文"]


def test_bad_input_is_answered_400_with_the_field_and_nothing_is_kept(recorder, fair):
    client = _client(recorder)
    bad_phone = _post_json(client, fair, {"name": "陳大文", "phone": "12345"})
    assert bad_phone.status_code == 400
    assert "phone" in bad_phone.json()["errors"]
    bad_email = _post_json(client, fair, {"name": "陳大文", "email": "tm.chan@"}, key="k-2")
    assert bad_email.json()["errors"]["email"] == ["“tm.chan@” is not an e-mail address."]
    no_name = _post_json(client, fair, {"name": " "}, key="k-3")
    assert no_name.status_code == 400
    assert "name" in no_name.json()["errors"]
    not_json = client.post(
        reverse("talent:capture-submit", args=[fair.pk]),
        data="{",
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="k-4",
    )
    assert not_json.status_code == 400
    # A form post, as a browser sends one: the CSRF check has read the body as a form, so it cannot be read
    # again as JSON — a 400 saying so, not a 500.
    browser = Client(HTTP_ACCEPT_LANGUAGE="en", enforce_csrf_checks=True)
    browser.force_login(recorder)
    browser.cookies[settings.CSRF_COOKIE_NAME] = secret = get_random_string(32)
    as_form = browser.post(
        reverse("talent:capture-submit", args=[fair.pk]),
        data={"name": "陳大文", "csrfmiddlewaretoken": secret},
        HTTP_IDEMPOTENCY_KEY="k-5",
    )
    assert as_form.status_code == 400
    assert as_form.json() == {"errors": {"__all__": ["The entry could not be read."]}}
    no_key = _post_json(client, fair, {"name": "陳大文"}, key="")
    assert no_key.status_code == 400
    assert no_key.json()["errors"]["__all__"] == ["A submission key is 1 to 128 printable characters."]
    # A refused entry keeps no key: corrected, it can be sent again with the same one.
    assert (Contact.objects.count(), Submission.objects.count()) == (0, 0)
    assert _post_json(client, fair, {"name": "陳大文", "phone": "9123 4567"}).status_code == 201


def test_a_possible_duplicate_is_only_hinted_to_the_recorder(recorder, fair):
    phone = hk_phone()
    known = person("陳大文", phones=[phone], notes="只限招商专员查看的备注")
    response = _post_json(_client(recorder), fair, {"name": "陳大文", "phone": phone})
    answer = response.json()
    assert answer["possible_match"] is True
    assert answer["hint"] == "Possible match — an officer will review."
    # Nothing about the known person: the answer carries only the new attendance and the hint.
    assert set(answer) == {"id", "name", "possible_match", "message", "hint"}
    assert answer["id"] == Attendance.objects.get(event=fair).pk
    assert "只限" not in json.dumps(answer, ensure_ascii=False)
    assert not Attendance.objects.filter(contact=known).exists()
    assert DuplicatePair.objects.filter(status=DuplicatePair.Status.OPEN).count() == 1
    # A recorder's own page lists only what they captured, and the known person is not among the recorder's
    # contacts: they were never met at this recorder's events.
    assert Contact.objects.count() == 2


def test_the_form_posts_without_javascript_and_a_second_post_of_one_form_saves_once(recorder, fair):
    client = _client(recorder)
    form = {"key": "form-key-1", "name": "黃嘉欣", "email": "kayan@example.hk", "grade": "C"}
    first = client.post(reverse("talent:capture", args=[fair.pk]), data=form)
    assert first.status_code == 302
    again = client.post(reverse("talent:capture", args=[fair.pk]), data=form)
    assert again.status_code == 302
    assert again["Location"] == first["Location"]
    assert Contact.objects.count() == 1
    shown = client.get(first["Location"]).content.decode()
    assert "Saved: 黃嘉欣" in shown
    invalid = client.post(
        reverse("talent:capture", args=[fair.pk]), data={"key": "form-key-2", "name": "陳", "phone": "1"}
    )
    assert invalid.status_code == 400
    assert Contact.objects.count() == 1


def test_a_recorder_cannot_see_what_others_captured_through_the_saved_banner(recorder, fair):
    officer = make_user(Role.OFFICER, username="officer")
    fair.assigned_staff.add(officer)
    theirs = _post_json(_client(officer), fair, {"name": "機密人物"}).json()["id"]
    page = _client(recorder).get(reverse("talent:capture", args=[fair.pk]) + f"?saved={theirs}")
    assert "機密人物" not in page.content.decode()
    own = _client(officer).get(reverse("talent:capture", args=[fair.pk]) + f"?saved={theirs}")
    assert "Saved: 機密人物" in own.content.decode()


def test_organization_suggestions_follow_aliases(recorder, hkust):
    client = _client(recorder)
    answer = client.get(reverse("talent:capture-organizations"), {"q": "港科大"}).json()
    assert [row["id"] for row in answer["results"]] == [hkust.pk]
    assert client.get(reverse("talent:capture-organizations"), {"q": ""}).json() == {"results": []}
    viewer = make_user(Role.REPORT_VIEWER, username="viewer")
    assert _client(viewer).get(reverse("talent:capture-organizations"), {"q": "港科大"}).status_code == 403


def test_the_events_list_is_paginated(recorder):
    today = timezone.localdate()
    for day in range(25):
        event_create(
            actor=None,
            name=f"活动 {day:02d}",
            starts_on=today - dt.timedelta(days=day),
            ends_on=today - dt.timedelta(days=day),
            assigned_staff=[recorder],
        )
    client = _client(recorder)
    first = client.get(reverse("talent:capture-events")).content.decode()
    assert "活动 00" in first
    assert "活动 19" in first
    assert "活动 20" not in first
    assert "活动 24" in client.get(reverse("talent:capture-events"), {"page": 2}).content.decode()


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_captures_with_one_key_create_one_record():
    recorder = make_user(Role.RECORDER, username="recorder")
    today = timezone.localdate()
    fair = event_create(
        actor=None, name="并发测试", starts_on=today, ends_on=today, assigned_staff=[recorder]
    )
    start = threading.Barrier(2)
    answers: list[tuple[int, dict]] = []
    errors: list[Exception] = []

    def send() -> None:
        try:
            client = _client(recorder)
            start.wait()
            response = _post_json(client, fair, {"name": "陳大文", "phone": "9123 4567"}, key="double-tap")
            answers.append((response.status_code, response.json()))
        except Exception as exc:  # collected and asserted below: a thread's error must fail the test
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(code for code, _answer in answers) == [200, 201]
    assert len({answer["id"] for _code, answer in answers}) == 1
    assert Contact.objects.count() == Attendance.objects.count() == 1


@pytest.mark.parametrize("count", [2, 20])
def test_the_event_list_and_the_capture_page_run_the_same_queries_however_many_rows(recorder, count):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    today = timezone.localdate()
    events = [
        event_create(
            actor=None,
            name=f"活动 {n:02d}",
            starts_on=today - dt.timedelta(days=n),
            ends_on=today - dt.timedelta(days=n),
            assigned_staff=[recorder, make_user(Role.RECORDER, username=f"staff{count}-{n}")],
        )
        for n in range(count)
    ]
    fair = events[0]
    for n in range(count):
        capture_person(
            actor=recorder,
            event=fair,
            person=CaptureInput(name=f"人物{n:02d}", purposes=["follow_up"]),
            method=Attendance.Method.STAFF,
            consent_channel=Consent.Channel.STAFF,
        )
    client = _client(recorder)
    client.get(reverse("talent:capture-events"))
    with CaptureQueriesContext(connection) as listed:
        assert client.get(reverse("talent:capture-events")).status_code == 200
    # session, user, the capture permission (user, group), the events' count, the page of events
    assert len(listed) == 6, [q["sql"] for q in listed]
    with CaptureQueriesContext(connection) as page:
        response = client.get(reverse("talent:capture", args=[fair.pk]))
    assert response.status_code == 200
    assert len(response.context["recent"]) == min(count, 10)
    # session, user, the capture permission (user, group), the event, the consent statement, the recent captures
    # with their contacts
    assert len(page) == 7, [q["sql"] for q in page]
