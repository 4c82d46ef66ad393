"""/api/v1/contacts/ and the operations under it: scoped reads, masking of personal data, registration through
contact_create, edits through contact_update, the duplicate review and merges."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.contrib.auth.models import Permission

from accounts.models import User
from accounts.roles import Role
from directory.models import Organization
from talent.masking import mask
from talent.models import Attendance, Contact, ContactMerge, RecruitmentEvent
from talent.services.contacts import ChannelInput, contact_create
from talent.services.events import attendance_record, event_create
from talent.services.merge import contact_merge
from talent.services.rights import contact_erase
from tests.api.conftest import World
from tests.factories import join, make_organization, make_user

pytestmark = pytest.mark.django_db

PETER_PHONE = "+85291234567"
PETER_EMAIL = "peter.chan@hku.hk"


@dataclass
class People:
    """Two events: the recorder staffs the first. 陳大文 was met at the first, 李小龍 at the second."""

    hku: Organization
    hkust: Organization
    own_event: RecruitmentEvent
    other_event: RecruitmentEvent
    met: Contact
    elsewhere: Contact


@pytest.fixture
def people(world: World) -> People:
    hku = make_organization("HKU", "香港大学")
    hkust = make_organization()
    own_event = event_create(
        actor=world.manager_a,
        name="港大创科专场",
        starts_on=dt.date(2025, 3, 14),
        ends_on=dt.date(2025, 3, 14),
        assigned_staff=[world.recorder],
    )
    other_event = event_create(
        actor=world.manager_a, name="科大路演", starts_on=dt.date(2025, 4, 2), ends_on=dt.date(2025, 4, 2)
    )
    met = contact_create(
        actor=world.recorder,
        name="陳大文",
        name_romanized="CHAN Tai Man",
        english_name="Peter",
        organization=hku,
        channels=[
            ChannelInput("phone", "9123 4567", "mobile"),
            ChannelInput("email", "Peter.Chan@HKU.hk"),
            ChannelInput("wechat", "peterchan88"),
        ],
        affiliations=[{"organization": hkust, "department": "电子及计算机工程学系"}],
    )
    elsewhere = contact_create(
        actor=world.officer_a, name="李小龍", organization=hkust, channels=[ChannelInput("phone", "61234567")]
    )
    attendance_record(actor=world.recorder, event=own_event, contact=met)
    attendance_record(actor=world.officer_a, event=other_event, contact=elsewhere)
    return People(hku, hkust, own_event, other_event, met, elsewhere)


def names(response) -> list[str]:
    return [row["name"] for row in response.json()["results"]]


def channels(body: dict) -> dict[str, tuple[str, str]]:
    return {channel["kind"]: (channel["value"], channel["raw"]) for channel in body["channels"]}


def grant(user: User, *codenames: str) -> User:
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="talent", codename__in=codenames)
    )
    return User.objects.get(pk=user.pk)  # a fresh object: permissions are cached per instance


# --- Scope ------------------------------------------------------------------------------------------------------


def test_a_recorder_sees_the_person_met_at_their_event_and_404_for_one_met_at_another(api, world, people):
    api.force_login(world.recorder)
    response = api.get(f"/api/v1/contacts/{people.met.pk}/")
    assert response.status_code == 200
    assert response.json()["name"] == "陳大文"
    response = api.get(f"/api/v1/contacts/{people.elsewhere.pk}/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}
    # A contact out of scope reads exactly like one that does not exist.
    assert api.get("/api/v1/contacts/999999/").json() == response.json()
    assert names(api.get("/api/v1/contacts/")) == ["陳大文"]


def test_an_officer_sees_every_contact(api, world, people):
    api.force_login(world.officer_b)
    assert api.get(f"/api/v1/contacts/{people.elsewhere.pk}/").status_code == 200
    assert api.get(f"/api/v1/contacts/{people.met.pk}/").status_code == 200
    assert names(api.get("/api/v1/contacts/")) == ["李小龍", "陳大文"]


def test_a_report_viewer_has_no_rights_on_contacts_at_all(api, world, people):
    viewer = join(make_user(Role.REPORT_VIEWER, username="viewer"), world.unit_a)
    api.force_login(viewer)
    assert api.get("/api/v1/contacts/").status_code == 403
    assert api.get(f"/api/v1/contacts/{people.met.pk}/").status_code == 403
    assert api.post("/api/v1/contacts/", {"name": "张三"}, format="json").status_code == 403


def test_an_anonymous_request_is_401(api, people):
    assert api.get("/api/v1/contacts/").status_code == 401


# --- What a contact shows ---------------------------------------------------------------------------------------


def test_a_contact_shows_its_fields_channels_affiliations_consent_and_status(api, world, people):
    api.force_login(world.officer_a)
    body = api.get(f"/api/v1/contacts/{people.met.pk}/").json()
    assert body["name_romanized"] == "CHAN Tai Man"
    assert body["organization"] == people.hku.pk
    assert [(a["organization"], a["department"]) for a in body["affiliations"]] == [
        (people.hkust.pk, "电子及计算机工程学系")
    ]
    assert (body["consent_follow_up"], body["consent_sharing"], body["consent_recorded_at"]) == (
        False,
        False,
        None,
    )
    assert (body["status"], body["merged_into"]) == ("active", None)


def test_a_user_with_the_right_to_see_personal_data_sees_channels_in_full(api, world, people):
    api.force_login(world.officer_a)
    body = api.get(f"/api/v1/contacts/{people.met.pk}/").json()
    assert channels(body) == {
        "phone": (PETER_PHONE, "9123 4567"),
        "email": (PETER_EMAIL, "Peter.Chan@HKU.hk"),
        "wechat": ("peterchan88", "peterchan88"),
    }
    assert [c["label"] for c in body["channels"] if c["kind"] == "phone"] == ["mobile"]


def test_a_user_without_the_right_sees_channels_masked_in_the_detail_and_the_list(api, world, people):
    masked = {
        "phone": ("+852 ******67", "+852 ******67"),
        "email": ("p***@hku.hk", "p***@hku.hk"),
        "wechat": ("p***", "p***"),
    }
    # Sees every contact, without the personal-data right.
    browser = grant(make_user(Role.REPORT_VIEWER, username="browser"), "view_contact", "view_all_contacts")
    assert not browser.has_perm("talent.view_personal_data")
    api.force_login(browser)
    assert channels(api.get(f"/api/v1/contacts/{people.met.pk}/").json()) == masked
    listed = {row["id"]: row for row in api.get("/api/v1/contacts/").json()["results"]}
    assert channels(listed[people.met.pk]) == masked
    assert PETER_PHONE not in api.get("/api/v1/contacts/").content.decode()


def test_the_right_to_see_personal_data_unmasks(api, world, people):
    browser = grant(
        make_user(Role.REPORT_VIEWER, username="browser"),
        "view_contact",
        "view_all_contacts",
        "view_personal_data",
    )
    api.force_login(browser)
    assert channels(api.get(f"/api/v1/contacts/{people.met.pk}/").json())["phone"] == (
        PETER_PHONE,
        "9123 4567",
    )


def test_event_staff_see_the_details_of_the_people_met_at_their_events(api, world, people):
    # DESIGN §2: recorders lack the personal-data right, and see only their events' people — whose details they
    # captured themselves.
    assert not world.recorder.has_perm("talent.view_personal_data")
    api.force_login(world.recorder)
    assert channels(api.get(f"/api/v1/contacts/{people.met.pk}/").json())["phone"] == (
        PETER_PHONE,
        "9123 4567",
    )
    assert api.get(f"/api/v1/contacts/{people.elsewhere.pk}/").status_code == 404


@pytest.mark.parametrize(
    ("kind", "value", "shown"),
    [
        ("phone", "+85291234567", "+852 ******67"),
        ("phone", "+8613812345678", "+86 *********78"),
        ("phone", "not a number 1234", "**34"),
        ("email", "peter.chan@hku.hk", "p***@hku.hk"),
        ("email", "broken", "b***"),
        ("wechat", "peterchan88", "p***"),
        ("wechat", "", ""),
    ],
)
def test_mask_channel(kind, value, shown):
    assert mask(kind, value) == shown


# --- The list ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("term", ["陳大文", "陈大文", "大文", "chan tai", "Peter"])
def test_the_list_finds_a_person_by_any_form_of_the_name(api, world, people, term):
    api.force_login(world.officer_a)
    assert names(api.get("/api/v1/contacts/", {"q": term})) == ["陳大文"]


def test_the_list_filters_by_organization_now_or_before(api, world, people):
    api.force_login(world.officer_a)
    assert names(api.get("/api/v1/contacts/", {"organization": people.hku.pk})) == ["陳大文"]
    # 陳大文 was affiliated with HKUST before; 李小龍 works there now.
    assert names(api.get("/api/v1/contacts/", {"organization": people.hkust.pk})) == ["李小龍", "陳大文"]


def test_the_list_filters_by_event_within_the_events_one_can_see(api, world, people):
    api.force_login(world.officer_a)
    assert names(api.get("/api/v1/contacts/", {"event": people.other_event.pk})) == ["李小龍"]
    api.force_login(world.recorder)
    assert names(api.get("/api/v1/contacts/", {"event": people.own_event.pk})) == ["陳大文"]
    # Another event's id reads like one that does not exist.
    response = api.get("/api/v1/contacts/", {"event": people.other_event.pk})
    assert response.status_code == 400
    assert list(response.json()) == ["event"]
    assert api.get("/api/v1/contacts/", {"event": 999999}).json() == response.json()


def test_merged_contacts_leave_the_list_unless_asked_for(api, world, people):
    twin = contact_create(actor=world.officer_a, name="陳大文", channels=[ChannelInput("phone", PETER_PHONE)])
    contact_merge(actor=world.officer_a, source=twin, target=people.met)
    api.force_login(world.officer_a)
    assert names(api.get("/api/v1/contacts/")) == ["李小龍", "陳大文"]
    response = api.get("/api/v1/contacts/", {"status": "merged"})
    assert [(row["id"], row["merged_into"]) for row in response.json()["results"]] == [
        (twin.pk, people.met.pk)
    ]
    assert api.get("/api/v1/contacts/", {"status": "gone"}).status_code == 400


# --- Registering --------------------------------------------------------------------------------------------------


def test_registering_a_contact_goes_through_the_service(api, world, people):
    api.force_login(world.officer_a)
    response = api.post(
        "/api/v1/contacts/",
        {
            "name": "區嘉欣",
            "name_romanized": "AU Ka Yan",
            "organization": people.hkust.pk,
            "interests": ["found", "project"],
            "residency": "hk_permanent",
            "phones": ["5123 4567", "138 1234 5678"],
            "emails": ["KY.Au@ust.hk"],
            "wechat": "kayan_au",
            "affiliations": [{"organization": people.hku.pk, "position": "博士后", "ended_on": "2022-08-31"}],
        },
        format="json",
    )
    assert response.status_code == 201
    body = response.json()
    contact = Contact.objects.get(pk=body["id"])
    assert contact.created_by == world.officer_a
    assert contact.name_simplified == body["name_simplified"] == "区嘉欣"
    assert body["interests"] == ["found", "project"]
    assert sorted(contact.channels.values_list("kind", "value")) == [
        ("email", "ky.au@ust.hk"),
        ("phone", "+85251234567"),
        ("phone", "+8613812345678"),
        ("wechat", "kayan_au"),
    ]
    assert sorted(channels(body)) == ["email", "phone", "wechat"]
    assert [(a["organization"], a["position"]) for a in body["affiliations"]] == [(people.hku.pk, "博士后")]
    assert body["possible_duplicates"] == {"hint": False, "message": "", "count": 0, "ids": []}
    assert [h.history_type for h in contact.history.all()] == ["+"]


def test_an_officer_learns_which_contacts_a_new_one_may_duplicate(api, world, people):
    api.force_login(world.officer_a)
    response = api.post("/api/v1/contacts/", {"name": "陳大文", "phones": ["91234567"]}, format="json")
    assert response.status_code == 201
    assert response.json()["possible_duplicates"] == {
        "hint": True,
        "message": "Possible match — an officer will review.",
        "count": 1,
        "ids": [people.met.pk],
    }


def test_a_recorder_learns_only_that_an_officer_will_review_a_possible_match(api, world, people):
    api.force_login(world.recorder)
    # 李小龍 was met at an event the recorder does not staff: nothing about him may show.
    body = {"name": "李小龍", "phones": ["6123 4567"], "event": people.own_event.pk}
    response = api.post("/api/v1/contacts/", body, format="json")
    assert response.status_code == 201
    assert response.json()["possible_duplicates"] == {
        "hint": True,
        "message": "Possible match — an officer will review.",
    }
    assert str(people.elsewhere.pk) not in str(response.json()["possible_duplicates"])
    # The new person was met at the recorder's event: recorded there, and visible to them.
    created = response.json()["id"]
    assert api.get(f"/api/v1/contacts/{created}/").status_code == 200
    response = api.post("/api/v1/contacts/", {"name": "黃志明", "event": people.own_event.pk}, format="json")
    assert response.json()["possible_duplicates"] == {"hint": False, "message": ""}


def test_a_recorder_must_say_at_which_of_their_events_the_person_was_met(api, world, people):
    api.force_login(world.recorder)
    response = api.post("/api/v1/contacts/", {"name": "黃志明"}, format="json")
    assert (response.status_code, response.json()) == (
        400,
        {"event": ["Choose the event where you met the person."]},
    )
    # Another event reads as one that does not exist.
    response = api.post(
        "/api/v1/contacts/", {"name": "黃志明", "event": people.other_event.pk}, format="json"
    )
    assert response.status_code == 404
    assert not Contact.objects.filter(name="黃志明").exists()


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        (
            {"name": "张三", "phones": ["12345"]},
            "phones",
            "“12345” is not a valid phone number. Write a Hong Kong number with 8 digits, a mainland mobile with "
            "11 digits, or any number with its country code (+852 …, +86 …).",
        ),
        ({"name": "张三", "emails": ["zhang at hku"]}, "emails", "“zhang at hku” is not an e-mail address."),
        (
            {"name": "张三", "wechat": "zhang san"},
            "wechat",
            "A WeChat ID is one word of at most 64 characters.",
        ),
        ({"name": "   "}, "name", "This field may not be blank."),
        ({}, "name", "This field is required."),
        ({"name": "张三", "interests": ["golf"]}, "interests", None),
        ({"name": "张三", "organization": 999999}, "organization", None),
        ({"name": "张三", "phones": "91234567"}, "phones", None),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_registers_nothing(api, world, body, field, message):
    api.force_login(world.officer_a)
    before = Contact.objects.count()
    response = api.post("/api/v1/contacts/", body, format="json")
    assert response.status_code == 400
    assert list(response.json()) == [field]
    if message is not None:
        assert response.json()[field] == [message]
    assert Contact.objects.count() == before


def test_a_bad_phone_error_comes_in_the_requests_language(api, world):
    api.force_login(world.officer_a)
    response = api.post(
        "/api/v1/contacts/",
        {"name": "张三", "phones": ["12345"]},
        format="json",
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert response.status_code == 400
    assert "12345" in response.json()["phones"][0]
    assert "is not a valid phone number" not in response.json()["phones"][0]


# --- Editing ----------------------------------------------------------------------------------------------------


def test_editing_a_contact_goes_through_the_service(api, world, people):
    api.force_login(world.recorder)
    response = api.patch(
        f"/api/v1/contacts/{people.met.pk}/",
        {"position": "助理教授", "organization": people.hkust.pk, "status": "erased"},
        format="json",
    )
    assert response.status_code == 200
    assert (response.json()["position"], response.json()["organization"]) == ("助理教授", people.hkust.pk)
    people.met.refresh_from_db()
    assert (people.met.position, people.met.organization, people.met.status) == (
        "助理教授",
        people.hkust,
        "active",
    )
    assert people.met.history.first().history_type == "~"


def test_editing_answers_404_outside_the_scope_and_400_for_bad_fields(api, world, people):
    api.force_login(world.recorder)
    response = api.patch(f"/api/v1/contacts/{people.elsewhere.pk}/", {"position": "教授"}, format="json")
    assert response.status_code == 404
    response = api.patch(f"/api/v1/contacts/{people.met.pk}/", {"name": ""}, format="json")
    assert response.status_code == 400
    assert response.json() == {"name": ["This field may not be blank."]}
    response = api.patch(f"/api/v1/contacts/{people.met.pk}/", {"linkedin_url": "not a url"}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["linkedin_url"]
    assert Contact.objects.get(pk=people.met.pk).name == "陳大文"


def test_a_merged_contact_cannot_be_edited(api, world, people):
    twin = contact_create(actor=world.officer_a, name="陳大文")
    contact_merge(actor=world.officer_a, source=twin, target=people.met)
    api.force_login(world.officer_a)
    response = api.patch(f"/api/v1/contacts/{twin.pk}/", {"position": "教授"}, format="json")
    assert response.status_code == 409
    assert response.json() == {
        "non_field_errors": ["陳大文 is merged into another contact and cannot be changed."]
    }
    # It is still readable: its answer points to the kept record.
    response = api.get(f"/api/v1/contacts/{twin.pk}/")
    assert (response.status_code, response.json()["merged_into"]) == (200, people.met.pk)


def test_put_is_not_offered(api, world, people):
    api.force_login(world.officer_a)
    assert api.put(f"/api/v1/contacts/{people.met.pk}/", {"name": "陳大文"}, format="json").status_code == 405


# --- Duplicates -----------------------------------------------------------------------------------------------------


@pytest.fixture
def twin(world, people) -> Contact:
    """The same 陳大文 captured again with his phone written differently: a certain match."""
    return contact_create(
        actor=world.officer_a, name="陳大文", channels=[ChannelInput("phone", "+852 9123 4567")]
    )


def test_an_officer_sees_a_contacts_possible_duplicates_with_a_numeric_score(api, world, people, twin):
    api.force_login(world.officer_b)
    response = api.get(f"/api/v1/contacts/{twin.pk}/duplicates/")
    assert response.status_code == 200
    assert response.json() == [
        {
            "contact": {"id": people.met.pk, "name": "陳大文", "organization": people.hku.pk},
            "level": "certain",
            "score": 0.95,
            "reasons": ["same phone +85291234567", "same name in Chinese characters"],
        }
    ]
    assert isinstance(response.json()[0]["score"], float)


def test_a_reviewer_without_the_right_to_see_personal_data_gets_phones_masked_in_the_reasons(
    api, world, people, twin
):
    reviewer = grant(world.recorder, "view_all_contacts", "view_duplicatepair")
    api.force_login(reviewer)
    response = api.get(f"/api/v1/contacts/{twin.pk}/duplicates/")
    assert response.status_code == 200
    assert response.json()[0]["reasons"] == ["same phone +852 ******67", "same name in Chinese characters"]


def test_a_recorder_has_no_rights_on_the_review_queue(api, world, people, twin):
    api.force_login(world.recorder)
    # Positive control: the contact is in the recorder's scope.
    assert api.get(f"/api/v1/contacts/{people.met.pk}/").status_code == 200
    response = api.get(f"/api/v1/contacts/{people.met.pk}/duplicates/")
    assert response.status_code == 403
    assert response.json() == {"detail": "You do not have permission to perform this action."}


def test_duplicates_of_a_contact_that_does_not_exist_are_404(api, world, people):
    api.force_login(world.officer_a)
    assert api.get("/api/v1/contacts/999999/duplicates/").status_code == 404


# --- Merging ------------------------------------------------------------------------------------------------------


def test_merging_moves_the_references_to_the_kept_contact(api, world, people, twin):
    attendance_record(actor=world.officer_a, event=people.other_event, contact=twin)
    api.force_login(world.officer_a)
    response = api.post(f"/api/v1/contacts/{twin.pk}/merge/", {"into": people.met.pk}, format="json")
    assert response.status_code == 201
    merge = ContactMerge.objects.get()
    assert response.json() == {
        "id": merge.pk,
        "source": twin.pk,
        "target": people.met.pk,
        "merged_at": response.json()["merged_at"],
    }
    assert (merge.source, merge.target, merge.actor) == (twin, people.met, world.officer_a)
    twin.refresh_from_db()
    assert (twin.status, twin.merged_into) == ("merged", people.met)
    assert sorted(Attendance.objects.filter(contact=people.met).values_list("event__name", flat=True)) == [
        "港大创科专场",
        "科大路演",
    ]
    assert not Attendance.objects.filter(contact=twin).exists()
    # The merged contact stays readable, as a pointer to the kept one.
    body = api.get(f"/api/v1/contacts/{twin.pk}/").json()
    assert (body["status"], body["merged_into"]) == ("merged", people.met.pk)


def test_merging_an_already_merged_contact_is_409(api, world, people, twin):
    contact_merge(actor=world.officer_a, source=twin, target=people.met)
    api.force_login(world.officer_a)
    response = api.post(f"/api/v1/contacts/{twin.pk}/merge/", {"into": people.elsewhere.pk}, format="json")
    assert response.status_code == 409
    assert response.json() == {
        "non_field_errors": ["陳大文 is merged into another contact and cannot take part in a merge."]
    }
    response = api.post(f"/api/v1/contacts/{people.elsewhere.pk}/merge/", {"into": twin.pk}, format="json")
    assert response.status_code == 409
    assert ContactMerge.objects.count() == 1


def test_merging_a_contact_into_itself_is_400(api, world, people):
    api.force_login(world.officer_a)
    response = api.post(f"/api/v1/contacts/{people.met.pk}/merge/", {"into": people.met.pk}, format="json")
    assert response.status_code == 400
    assert response.json() == {"into": ["A contact cannot be merged into itself."]}
    response = api.post(f"/api/v1/contacts/{people.met.pk}/merge/", {}, format="json")
    assert response.status_code == 400
    assert response.json() == {"into": ["This field is required."]}
    assert not ContactMerge.objects.exists()


def test_a_recorder_may_not_merge_and_an_officer_may(api, world, people, twin):
    api.force_login(world.recorder)
    response = api.post(f"/api/v1/contacts/{people.met.pk}/merge/", {"into": twin.pk}, format="json")
    assert response.status_code == 403
    assert not ContactMerge.objects.exists()
    api.force_login(world.officer_a)
    response = api.post(f"/api/v1/contacts/{twin.pk}/merge/", {"into": people.met.pk}, format="json")
    assert response.status_code == 201


def test_both_contacts_of_a_merge_must_be_in_scope(api, world, people, twin):
    # A user who may merge but sees only the people met at their event (the recorder's scope).
    merger = grant(world.recorder, "merge_contact")
    api.force_login(merger)
    # Positive control: both inside the scope.
    attendance_record(actor=world.recorder, event=people.own_event, contact=twin)
    other = contact_create(actor=world.officer_a, name="陳大文")
    response = api.post(f"/api/v1/contacts/{other.pk}/merge/", {"into": people.met.pk}, format="json")
    assert response.status_code == 404
    response = api.post(f"/api/v1/contacts/{people.met.pk}/merge/", {"into": other.pk}, format="json")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}
    assert not ContactMerge.objects.exists()
    response = api.post(f"/api/v1/contacts/{twin.pk}/merge/", {"into": people.met.pk}, format="json")
    assert response.status_code == 201


def test_an_erased_contact_cannot_be_edited_or_merged_and_has_no_duplicates(api, world, people, twin):
    contact_erase(actor=world.manager_a, contact=twin, reason="本人要求删除")
    api.force_login(world.officer_a)
    body = api.get(f"/api/v1/contacts/{twin.pk}/").json()
    assert (body["status"], body["channels"]) == ("erased", [])
    assert api.patch(f"/api/v1/contacts/{twin.pk}/", {"position": "教授"}, format="json").status_code == 409
    response = api.post(f"/api/v1/contacts/{twin.pk}/merge/", {"into": people.met.pk}, format="json")
    assert response.status_code == 409
    response = api.post(f"/api/v1/contacts/{people.met.pk}/merge/", {"into": twin.pk}, format="json")
    assert response.status_code == 409
    assert api.get(f"/api/v1/contacts/{twin.pk}/duplicates/").json() == []
    assert api.get(f"/api/v1/contacts/{people.met.pk}/duplicates/").json() == []
    assert api.get("/api/v1/contacts/", {"status": "erased"}).json()["count"] == 1
