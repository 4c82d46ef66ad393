"""/api/v1/leads/{id}/activities/: a lead's follow-ups, newest first, and new ones through activity_log."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from accounts.models import User
from accounts.roles import Role
from projects import services
from projects.models import Activity, AftercareTouchpoint, Lead
from talent.models import Contact
from tests.api.test_query_counts import SESSION_USER_SCOPE_PERMISSIONS
from tests.factories import join, make_lead, make_user

pytestmark = pytest.mark.django_db


def url(lead) -> str:
    return f"/api/v1/leads/{lead.pk}/activities/"


def hours_ago(hours: int) -> dt.datetime:
    return timezone.now().replace(microsecond=0) - dt.timedelta(hours=hours)


def contact(name: str = "陳大文") -> Contact:
    return Contact.objects.create(name=name)


def log(world, *, hours: int, summary: str = "电话沟通") -> Activity:
    return services.activity_log(
        actor=world.officer_a, lead=world.lead, kind="call", occurred_at=hours_ago(hours), summary=summary
    )


def body(**fields) -> dict:
    return {"kind": "visit", "occurred_at": hours_ago(2).isoformat(), "summary": "走访实验室"} | fields


# --- Reading --------------------------------------------------------------------------------------------------


def test_the_activities_answer_the_units_officer_newest_first_and_404_to_another_units(api, world):
    log(world, hours=48, summary="首次电话")
    log(world, hours=3, summary="实验室走访")
    api.force_login(world.officer_a)
    response = api.get(url(world.lead))
    assert response.status_code == 200
    assert [row["summary"] for row in response.json()["results"]] == ["实验室走访", "首次电话"]
    api.force_login(world.officer_b)
    response = api.get(url(world.lead))
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_the_recorder_and_report_viewer_roles_get_403_on_activities_even_for_the_list(api, world):
    viewer = join(make_user(Role.REPORT_VIEWER, username="viewer"), world.unit_a)
    for user in (world.recorder, viewer):
        api.force_login(user)
        assert api.get(url(world.lead)).status_code == 403
        assert api.post(url(world.lead), body(), format="json").status_code == 403
    assert not Activity.objects.exists()


# --- Logging --------------------------------------------------------------------------------------------------


def test_logging_an_activity_records_its_people_and_history_and_moves_the_last_activity(api, world):
    met = [contact("陳大文"), contact("李小華")]
    when = hours_ago(2)
    api.force_login(world.officer_a)
    response = api.post(
        url(world.lead),
        {
            "kind": "visit",
            "occurred_at": when.isoformat(),
            "summary": "走访港科大实验室，确认洁净间需求",
            "participants": [world.officer_a.pk, world.manager_a.pk],
            "contacts": [person.pk for person in met],
            "next_step": "发送园区载体清单",
            "next_step_on": (timezone.localdate() + dt.timedelta(days=7)).isoformat(),
        },
        format="json",
    )
    assert response.status_code == 201
    activity = Activity.objects.get(pk=response.json()["id"])
    answer = response.json()
    assert sorted(answer.pop("participants")) == sorted([world.officer_a.pk, world.manager_a.pk])
    assert sorted(answer.pop("contacts")) == sorted(person.pk for person in met)
    assert answer | {"created_at": ""} == {
        "id": activity.pk,
        "kind": "visit",
        "occurred_at": timezone.localtime(when).isoformat(),
        "summary": "走访港科大实验室，确认洁净间需求",
        "next_step": "发送园区载体清单",
        "next_step_on": (timezone.localdate() + dt.timedelta(days=7)).isoformat(),
        "created_by": world.officer_a.pk,
        "created_at": "",
    }
    assert set(activity.participants.all()) == {world.officer_a, world.manager_a}
    assert set(activity.contacts.all()) == set(met)
    # The row itself, then one row as each of the two many-to-many sets is written.
    assert [(row.history_type, row.history_user) for row in activity.history.order_by("history_id")] == [
        ("+", world.officer_a),
        ("~", world.officer_a),
        ("~", world.officer_a),
    ]
    world.lead.refresh_from_db()
    assert world.lead.last_activity_at == when


def test_a_late_entry_never_moves_the_last_activity_backwards(api, world):
    latest = log(world, hours=1).occurred_at
    api.force_login(world.officer_a)
    response = api.post(url(world.lead), body(occurred_at=hours_ago(30).isoformat()), format="json")
    assert response.status_code == 201
    world.lead.refresh_from_db()
    assert world.lead.last_activity_at == latest


def test_citing_the_leads_aftercare_touchpoint_marks_it_done(api, world):
    touchpoint = AftercareTouchpoint.objects.create(lead=world.lead, months=1, due_on=timezone.localdate())
    api.force_login(world.officer_a)
    response = api.post(url(world.lead), body(aftercare=touchpoint.pk), format="json")
    assert response.status_code == 201
    touchpoint.refresh_from_db()
    assert touchpoint.activity_id == response.json()["id"]


def test_another_leads_aftercare_touchpoint_reads_like_one_that_does_not_exist(api, world):
    other = make_lead(owner=world.officer_a, unit=world.unit_a)
    touchpoint = AftercareTouchpoint.objects.create(lead=other, months=1, due_on=timezone.localdate())
    api.force_login(world.officer_a)
    response = api.post(url(world.lead), body(aftercare=touchpoint.pk), format="json")
    assert response.status_code == 400
    assert response.json() == {"aftercare": [f'Invalid pk "{touchpoint.pk}" - object does not exist.']}


def test_another_units_officer_gets_404_logging_an_activity_and_nothing_is_written(api, world):
    api.force_login(world.officer_b)
    response = api.post(url(world.lead), body(), format="json")
    assert response.status_code == 404
    assert not Activity.objects.exists()


def test_logging_an_activity_on_a_merged_lead_is_409(api, world):
    Lead.objects.filter(pk=world.lead.pk).update(status=Lead.Status.MERGED)
    api.force_login(world.officer_a)
    response = api.post(url(world.lead), body(), format="json")
    assert response.status_code == 409
    assert response.json() == {
        "non_field_errors": ["This lead was merged into another lead and can no longer be changed."]
    }
    assert not Activity.objects.exists()


# --- People given as ids --------------------------------------------------------------------------------------


def test_a_contact_outside_the_users_scope_reads_exactly_like_one_that_does_not_exist(api, world):
    # A recorder who was also allowed to log activities still sees only the contacts met at their events.
    recorder = world.recorder
    recorder.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_lead", "view_activity", "add_activity"])
    )
    unseen = contact()
    api.force_login(recorder)
    outside = api.post(url(world.lead), body(contacts=[unseen.pk]), format="json")
    missing = api.post(url(world.lead), body(contacts=[999999]), format="json")
    assert outside.status_code == missing.status_code == 400
    assert outside.json() == {"contacts": [f'Invalid pk "{unseen.pk}" - object does not exist.']}
    assert missing.json() == {"contacts": ['Invalid pk "999999" - object does not exist.']}
    assert not Activity.objects.exists()


def test_an_inactive_colleague_cannot_be_a_participant(api, world):
    User.objects.filter(pk=world.officer_b.pk).update(is_active=False)
    api.force_login(world.officer_a)
    response = api.post(url(world.lead), body(participants=[world.officer_b.pk]), format="json")
    assert response.status_code == 400
    assert response.json() == {
        "participants": [f'Invalid pk "{world.officer_b.pk}" - object does not exist.']
    }


# --- Bad input ------------------------------------------------------------------------------------------------


def test_an_activity_dated_in_the_future_is_400_with_the_services_message(api, world):
    api.force_login(world.officer_a)
    tomorrow = (timezone.now() + dt.timedelta(days=1)).isoformat()
    response = api.post(url(world.lead), body(occurred_at=tomorrow), format="json")
    assert response.status_code == 400
    assert response.json() == {"occurred_at": ["An activity cannot be dated in the future."]}
    assert not Activity.objects.exists()


def test_a_next_step_date_without_the_next_step_is_400(api, world):
    api.force_login(world.officer_a)
    response = api.post(url(world.lead), body(next_step_on=timezone.localdate().isoformat()), format="json")
    assert response.status_code == 400
    assert response.json() == {"next_step": ["Say what the next step is."]}


def test_a_missing_kind_and_summary_are_400_per_field(api, world):
    api.force_login(world.officer_a)
    response = api.post(url(world.lead), {"occurred_at": hours_ago(1).isoformat()}, format="json")
    assert response.status_code == 400
    assert response.json() == {"kind": ["This field is required."], "summary": ["This field is required."]}


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        ({"kind": "fax"}, {"kind": ['"fax" is not a valid choice.']}),
        (
            {"occurred_at": "yesterday"},
            {
                "occurred_at": [
                    "Datetime has wrong format. Use one of these formats instead: "
                    "YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."
                ]
            },
        ),
        ({"summary": ["电话"]}, {"summary": ["Not a valid string."]}),
        ({"participants": "1"}, {"participants": ['Expected a list of items but got type "str".']}),
        ({"contacts": ["abc"]}, {"contacts": ["Incorrect type. Expected pk value, received str."]}),
        (
            {"next_step_on": 20260101},
            {"next_step_on": ["Date has wrong format. Use one of these formats instead: YYYY-MM-DD."]},
        ),
    ],
)
def test_wrongly_typed_fields_are_400_on_the_field(api, world, fields, errors):
    api.force_login(world.officer_a)
    response = api.post(url(world.lead), body(**fields), format="json")
    assert response.status_code == 400
    assert response.json() == errors
    assert not Activity.objects.exists()


def test_a_malformed_body_is_400_not_500(api, world):
    api.force_login(world.officer_a)
    malformed = api.post(url(world.lead), "{not json", content_type="application/json")
    assert malformed.status_code == 400
    assert list(malformed.json()) == ["non_field_errors"]
    listed = api.post(url(world.lead), [body()], format="json")
    assert listed.status_code == 400
    assert listed.json() == {"non_field_errors": ["Invalid data. Expected a dictionary, but got list."]}


# --- Query count ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("rows", [2, 20])
def test_the_activity_list_answers_in_a_fixed_number_of_queries(api, world, rows, django_assert_num_queries):
    participants = [world.officer_a, world.manager_a]
    met = [contact("陳大文"), contact("李小華")]
    for number in range(rows):
        services.activity_log(
            actor=world.officer_a,
            lead=world.lead,
            kind="meeting",
            occurred_at=hours_ago(number + 1),
            summary=f"第{number}次会谈",
            participants=participants,
            contacts=met,
        )
    api.force_login(world.officer_a)
    # 1-6 (session, user, scope, permissions), then 7. the lead through the scope, 8. COUNT(*) of its activities,
    # 9. the page, 10. the page's participant ids, 11. the page's contact ids.
    with django_assert_num_queries(SESSION_USER_SCOPE_PERMISSIONS + 5):
        response = api.get(url(world.lead))
    assert len(response.json()["results"]) == rows
    assert all(
        len(row["participants"]) == 2 and len(row["contacts"]) == 2 for row in response.json()["results"]
    )
