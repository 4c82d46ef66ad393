"""The contact admin: scope (recorders see the people met at their events), masking of phones and e-mails, the
list's query count, saves through the services, and the export / erase / consent-withdrawal pages.

The builders at the top are shared with test_admin_events.py and test_admin_duplicates.py."""

from __future__ import annotations

import datetime as dt
import itertools
import json
from types import SimpleNamespace

import phonenumbers
import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group, Permission
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.roles import ROLE_PERMISSIONS, Role
from talent.admin.masking import mask
from talent.models import Attendance, ConsentText, Contact, ContactChannel, PersonalDataLog
from talent.services.consent import consent_record
from talent.services.contacts import ChannelInput, affiliation_add, contact_create
from talent.services.events import attendance_record, event_create
from talent.services.merge import contact_merge
from tests.factories import make_organization, make_user
from tests.projects.conftest import form_data

pytestmark = pytest.mark.django_db

_numbers = itertools.count(1)


# --- Builders (shared) ------------------------------------------------------------------------------------------


def english_client(user) -> Client:
    """Messages are asserted in English, the msgid language, whatever the catalogs say."""
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def hk_phone() -> str:
    """A fresh valid Hong Kong mobile number in E.164."""
    while True:
        n = next(_numbers)
        number = f"+8529{(n * 7919) % 1000:03d}{n % 10000:04d}"
        if phonenumbers.is_valid_number(phonenumbers.parse(number)):
            return number


def person(name: str, *, phones=(), emails=(), wechat=(), actor=None, **fields) -> Contact:
    channels = [ChannelInput("phone", p) for p in phones]
    channels += [ChannelInput("email", e) for e in emails]
    channels += [ChannelInput("wechat", w) for w in wechat]
    return contact_create(actor=actor, name=name, channels=channels, **fields)


def officer_without(*permissions: str, username: str):
    """An officer holding the officer role's permissions minus `permissions` (held directly, not through the
    role's group, so that some can be left out)."""
    user = make_user(Role.OFFICER, username=username)
    user.groups.remove(Group.objects.get(name=Role.OFFICER))
    wanted = ROLE_PERMISSIONS[Role.OFFICER] - set(permissions)
    codenames = {name.split(".", 1)[1] for name in wanted}
    user.user_permissions.set(
        p
        for p in Permission.objects.select_related("content_type").filter(codename__in=codenames)
        if f"{p.content_type.app_label}.{p.codename}" in wanted
    )
    return user


def masked_officer(username: str = "masked_officer"):
    return officer_without("talent.view_personal_data", username=username)


def consent_text() -> ConsentText:
    return ConsentText.objects.get_or_create(
        version="2025-01",
        defaults={
            "body_zh_hans": "个人资料收集声明",
            "body_zh_hant": "個人資料收集聲明",
            "body_en": "Personal information collection statement",
            "published_on": timezone.localdate() - dt.timedelta(days=30),
        },
    )[0]


def make_event(name: str, *, staff=(), starts_on: dt.date | None = None, days: int = 1, **fields):
    starts_on = starts_on or timezone.localdate() - dt.timedelta(days=10)
    return event_create(
        actor=None,
        name=name,
        starts_on=starts_on,
        ends_on=starts_on + dt.timedelta(days=days - 1),
        assigned_staff=staff,
        **fields,
    )


def make_world() -> SimpleNamespace:
    officer = make_user(Role.OFFICER, username="officer")
    manager = make_user(Role.MANAGER, username="manager")
    recorder = make_user(Role.RECORDER, username="recorder")
    other_recorder = make_user(Role.RECORDER, username="other_recorder")
    hkust = make_organization("HKUST", "香港科技大学")
    event_a = make_event("科创香港专场", staff=[recorder])
    event_b = make_event("深港人才交流会", staff=[other_recorder])
    alice = person(
        "陳美玲", phones=["+852 9123 4567"], emails=["Peggy@HKU.hk"], english_name="Peggy", organization=hkust
    )
    bob = person("李志明", phones=["+852 6123 9876"], emails=["bob@cuhk.edu.hk"])
    attendance_record(actor=recorder, event=event_a, contact=alice)
    attendance_record(actor=other_recorder, event=event_b, contact=bob)
    return SimpleNamespace(
        officer=officer,
        manager=manager,
        recorder=recorder,
        other_recorder=other_recorder,
        hkust=hkust,
        event_a=event_a,
        event_b=event_b,
        alice=alice,
        bob=bob,
    )


def contact_url(name: str, *args) -> str:
    return reverse(f"admin:talent_contact_{name}", args=args)


def listed(response) -> list[str]:
    return [contact.name for contact in response.context["cl"].result_list]


@pytest.fixture
def world(db):
    return make_world()


# --- Scope ------------------------------------------------------------------------------------------------------


def test_a_recorder_lists_the_people_met_at_their_events_only(world):
    assert listed(english_client(world.recorder).get(contact_url("changelist"))) == ["陳美玲"]
    assert listed(english_client(world.other_recorder).get(contact_url("changelist"))) == ["李志明"]
    assert sorted(listed(english_client(world.officer).get(contact_url("changelist")))) == [
        "李志明",
        "陳美玲",
    ]


@pytest.mark.parametrize("view", ["change", "history", "export", "erase", "withdraw_consent"])
def test_a_recorder_gets_404_on_a_contact_of_another_event(world, view):
    client = english_client(world.recorder)
    if view in {"export", "erase"}:
        # Recorders cannot export or erase anyone: 403 before any lookup, so ids reveal nothing.
        assert client.get(contact_url(view, world.alice.pk)).status_code == 403
        assert client.get(contact_url(view, world.bob.pk)).status_code == 403
        return
    assert client.get(contact_url(view, world.alice.pk)).status_code == 200
    assert client.get(contact_url(view, world.bob.pk)).status_code == 404


def test_a_recorder_does_not_see_channels_consents_or_duplicates_of_their_contacts(world):
    response = english_client(world.recorder).get(contact_url("change", world.alice.pk))
    shown = {type(inline.opts).__name__ for inline in response.context["inline_admin_formsets"]}
    assert shown == {"AttendanceTable"}
    assert "+85291234567" not in response.content.decode()


def test_the_contact_autocomplete_is_scoped_and_offers_active_contacts_only(world):
    merged = person("陳美玲", phones=["+852 9123 4567"])
    contact_merge(actor=world.officer, source=merged, target=world.alice)
    url = reverse("admin:autocomplete") + "?app_label=talent&model_name=attendance&field_name=contact&term="
    ids = [row["id"] for row in english_client(world.officer).get(url).json()["results"]]
    assert sorted(ids) == sorted([str(world.alice.pk), str(world.bob.pk)])
    ids = [row["id"] for row in english_client(world.recorder).get(url).json()["results"]]
    assert ids == [str(world.alice.pk)]


# --- Masking ----------------------------------------------------------------------------------------------------


def test_mask_keeps_country_code_and_last_two_digits_or_first_character_and_domain():
    assert mask("phone", "+85291234567") == "+852 ******67"
    assert mask("phone", "+8613912345678") == "+86 *********78"
    assert mask("email", "peggy@hku.hk") == "p***@hku.hk"
    assert mask("wechat", "peggy_chan") == "p***"
    assert mask("phone", "") == ""


def test_an_officer_without_view_personal_data_sees_masked_phones_and_emails(world):
    html = english_client(masked_officer()).get(contact_url("changelist")).content.decode()
    assert "+852 ******67" in html
    assert "p***@hku.hk" in html
    assert "+85291234567" not in html
    assert "peggy@hku.hk" not in html


def test_an_officer_with_view_personal_data_sees_them_in_full(world):
    html = english_client(world.officer).get(contact_url("changelist")).content.decode()
    assert "+85291234567" in html
    assert "peggy@hku.hk" in html
    assert "******" not in html


def test_the_channels_inline_is_masked_and_read_only_without_view_personal_data(world):
    response = english_client(masked_officer()).get(contact_url("change", world.alice.pk))
    html = response.content.decode()
    assert "+852 ******67" in html
    assert "+85291234567" not in html
    assert "9123 4567" not in html  # the number as entered is not shown either
    channels = next(
        inline for inline in response.context["inline_admin_formsets"] if inline.opts.model is ContactChannel
    )
    assert not channels.has_add_permission
    assert not channels.has_delete_permission
    full = english_client(world.officer).get(contact_url("change", world.alice.pk))
    assert "+85291234567" in full.content.decode()


# --- The list ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "term",
    [
        "陳美玲",
        "陈美玲",  # simplified spelling of the traditional name
        "peggy",  # English name
        "9123 4567",  # the phone as people write it, normalized before the exact match
        "+852 91234567",
        "PEGGY@hku.hk",  # e-mails are matched in lower case
    ],
)
def test_search_finds_by_name_in_any_script_or_by_an_exact_channel(world, term):
    assert listed(english_client(world.officer).get(contact_url("changelist"), {"q": term})) == ["陳美玲"]


def test_search_by_part_of_a_phone_finds_nothing(world):
    assert listed(english_client(world.officer).get(contact_url("changelist"), {"q": "4567"})) == []


def test_merged_and_erased_contacts_are_hidden_unless_asked_for(world):
    twin = person("陳美玲", phones=["+852 9123 4567"])
    contact_merge(actor=world.officer, source=twin, target=world.alice)
    client = english_client(world.officer)
    assert sorted(listed(client.get(contact_url("changelist")))) == ["李志明", "陳美玲"]
    assert listed(client.get(contact_url("changelist"), {"status": "merged"})) == ["陳美玲"]
    assert len(listed(client.get(contact_url("changelist"), {"status": "all"}))) == 3


def test_the_event_and_consent_filters(world):
    consent_record(
        actor=world.officer, contact=world.bob, purposes=["follow_up"], channel="staff", text=consent_text()
    )
    client = english_client(world.officer)
    assert listed(client.get(contact_url("changelist"), {"event": world.event_a.pk})) == ["陳美玲"]
    assert listed(client.get(contact_url("changelist"), {"consent": "follow_up"})) == ["李志明"]
    assert listed(client.get(contact_url("changelist"), {"consent": "none"})) == ["陳美玲"]
    # A recorder is offered only their own events, and filtering by another event shows no one.
    recorder = english_client(world.recorder)
    response = recorder.get(contact_url("changelist"))
    event_filter = next(
        spec
        for spec in response.context["cl"].filter_specs
        if getattr(spec, "parameter_name", None) == "event"
    )
    assert [pk for pk, _label in event_filter.lookup_choices] == [str(world.event_a.pk)]
    assert listed(recorder.get(contact_url("changelist"), {"event": world.event_b.pk})) == []


def busy_contacts(count: int, world) -> None:
    """Contacts with two of everything the list could touch: phones, e-mails, affiliations, attendances, consent
    records and duplicate pairs (every contact shares its name with the others)."""
    text = consent_text()
    cityu = make_organization("CityU", "香港城市大学")
    events = [make_event(f"专场{i}") for i in range(2)]
    for i in range(count):
        contact = person(
            "黃志強",
            phones=[hk_phone(), hk_phone()],
            emails=[f"wong{i}@hku.hk", f"wong{i}@gmail.com"],
            organization=world.hkust,
        )
        for organization in (world.hkust, cityu):
            affiliation_add(actor=world.officer, contact=contact, organization=organization)
        for event in events:
            attendance_record(actor=world.officer, event=event, contact=contact)
        consent_record(
            actor=world.officer, contact=contact, purposes=["follow_up"], channel="staff", text=text
        )
        consent_record(
            actor=world.officer,
            contact=contact,
            purposes=["follow_up", "mailings"],
            channel="staff",
            text=text,
        )


@pytest.mark.parametrize("rows", [2, 20])
def test_changelist_query_count_does_not_grow_with_rows(world, django_assert_num_queries, rows):
    Contact.objects.filter(pk__in=[world.alice.pk, world.bob.pk]).delete()
    busy_contacts(rows, world)
    client = english_client(world.officer)
    # 1 session, 2 user, 3 user permissions, 4 group permissions (the scope: officers see all contacts),
    # 5 the organizations of the organization filter (those of the listed contacts), 6 the events of the
    # event filter, 7 COUNT of the filtered rows (no second COUNT: show_full_result_count is off), 8 the page
    # with organization, first phone and first e-mail read by subqueries, 9 the access log's INSERT.
    with django_assert_num_queries(9):
        response = client.get(contact_url("changelist"))
    assert len(response.context["cl"].result_list) == rows
    assert Attendance.objects.filter(contact__in=response.context["cl"].result_list).count() == 2 * rows


# --- Saving through the services --------------------------------------------------------------------------------


def test_adding_a_contact_goes_through_the_services_with_its_channels(world):
    client = english_client(world.officer)
    data = form_data(client.get(contact_url("add")))
    data.update(
        {
            "name": "區家豪",
            "english_name": "Ken",
            "organization": world.hkust.pk,
            "channels-TOTAL_FORMS": "2",
            "channels-0-kind": "phone",
            "channels-0-raw": "6234 5678",
            "channels-0-label": "mobile",
            "channels-1-kind": "email",
            "channels-1-raw": "Ken.Au@HKUST.hk",
        }
    )
    response = client.post(contact_url("add"), data)
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    contact = Contact.objects.get(name="區家豪")
    assert contact.name_simplified == "区家豪"
    assert contact.created_by == world.officer
    assert set(contact.channels.values_list("kind", "value", "raw")) == {
        ("phone", "+85262345678", "6234 5678"),
        ("email", "ken.au@hkust.hk", "Ken.Au@HKUST.hk"),
    }
    assert contact.match_keys.exists()  # identity_refresh ran
    # The admin log keeps no channel value: erasure does not reach it, and masking does not apply to it.
    log = LogEntry.objects.get(object_id=str(contact.pk))
    assert "6234" not in log.change_message
    assert "ken.au" not in log.change_message.lower()


def test_a_bad_phone_is_refused_beside_the_field_and_nothing_is_saved(world):
    client = english_client(world.officer)
    data = form_data(client.get(contact_url("add")))
    data.update(
        {"name": "區家豪", "channels-TOTAL_FORMS": "1", "channels-0-kind": "phone", "channels-0-raw": "1234"}
    )
    response = client.post(contact_url("add"), data)
    assert response.status_code == 200
    assert "is not a valid phone number" in response.content.decode()
    assert not Contact.objects.filter(name="區家豪").exists()


def test_a_recorder_adds_a_contact_met_at_their_event(world):
    client = english_client(world.recorder)
    data = form_data(client.get(contact_url("add")))
    data["name"] = "何家明"
    assert client.post(contact_url("add"), data).status_code == 200  # the event is required of a recorder
    data["met_at"] = world.event_b.pk  # not theirs
    assert client.post(contact_url("add"), data).status_code == 200
    data["met_at"] = world.event_a.pk
    assert client.post(contact_url("add"), data).status_code == 302
    contact = Contact.objects.get(name="何家明")
    assert contact.attendances.get().event == world.event_a
    assert client.get(contact_url("change", contact.pk)).status_code == 200


def test_changing_a_contact_goes_through_contact_update_and_channels_are_removed_through_the_service(world):
    client = english_client(world.officer)
    data = form_data(client.get(contact_url("change", world.alice.pk)))
    data["title"] = "Prof"
    phone = world.alice.channels.get(kind="phone")
    index = next(i for i in range(2) if data.get(f"channels-{i}-id") == phone.pk)
    data[f"channels-{index}-DELETE"] = "on"
    assert client.post(contact_url("change", world.alice.pk), data).status_code == 302
    world.alice.refresh_from_db()
    assert world.alice.title == "Prof"
    assert not world.alice.channels.filter(kind="phone").exists()
    assert world.alice.channels.filter(kind="email").exists()
    assert world.alice.history.count() >= 2


def test_status_merge_pointer_and_consent_are_read_only(world):
    response = english_client(world.officer).get(contact_url("change", world.alice.pk))
    form = response.context["adminform"].form
    for name in ("status", "merged_into", "consent_follow_up", "consent_recorded_at"):
        assert name not in form.fields
    assert "consent in force" in response.content.decode().lower()


def test_a_merged_contact_opens_read_only(world):
    twin = person("陳美玲", phones=["+852 9123 4567"])
    contact_merge(actor=world.officer, source=twin, target=world.alice)
    response = english_client(world.officer).get(contact_url("change", twin.pk))
    assert response.status_code == 200
    assert not response.context["has_change_permission"]


# --- Export, erase, consent withdrawal --------------------------------------------------------------------------


def test_export_needs_manage_personal_data(world):
    client = english_client(world.officer)
    assert client.get(contact_url("export", world.alice.pk)).status_code == 403
    assert client.post(contact_url("export", world.alice.pk), {"format": "json"}).status_code == 403
    assert not PersonalDataLog.objects.exists()


def test_export_downloads_json_with_the_persons_phone_and_logs_it(world):
    client = english_client(world.manager)
    page = client.get(contact_url("export", world.alice.pk))
    assert page.status_code == 200
    assert "Download JSON" in page.content.decode()
    response = client.post(contact_url("export", world.alice.pk), {"format": "json"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"].startswith(f'attachment; filename="contact-{world.alice.pk}-')
    data = json.loads(response.content)
    assert data["contact_id"] == world.alice.pk
    assert "+85291234567" in response.content.decode()
    log = PersonalDataLog.objects.get()
    assert (log.kind, log.contact_id_value, log.actor) == ("export", world.alice.pk, world.manager)


def test_export_downloads_a_workbook(world):
    response = english_client(world.manager).post(contact_url("export", world.alice.pk), {"format": "xlsx"})
    assert response.status_code == 200
    assert response.content[:2] == b"PK"


def test_erase_needs_manage_personal_data(world):
    client = english_client(world.officer)
    assert client.get(contact_url("erase", world.alice.pk)).status_code == 403
    assert (
        client.post(contact_url("erase", world.alice.pk), {"reason": "x", "confirm": "on"}).status_code == 403
    )
    world.alice.refresh_from_db()
    assert world.alice.status == Contact.Status.ACTIVE


def test_a_manager_erases_a_contact_after_confirming_with_a_reason(world):
    client = english_client(world.manager)
    assert client.get(contact_url("erase", world.alice.pk)).status_code == 200
    refused = client.post(contact_url("erase", world.alice.pk), {"reason": "", "confirm": "on"})
    assert refused.status_code == 200  # the reason is required
    response = client.post(
        contact_url("erase", world.alice.pk),
        {"reason": "e-mail request of 3 March", "confirm": "on"},
        follow=True,
    )
    assert "has been erased" in response.content.decode()
    world.alice.refresh_from_db()
    assert world.alice.status == Contact.Status.ERASED
    assert world.alice.name == f"#{world.alice.pk}"
    assert not world.alice.channels.exists()
    assert PersonalDataLog.objects.get(kind="erasure").reason == "e-mail request of 3 March"
    # The erased record opens read-only, with no erase button any more.
    page = client.get(contact_url("change", world.alice.pk))
    assert not page.context["has_change_permission"]
    assert contact_url("erase", world.alice.pk) not in page.content.decode()


def test_recording_a_consent_withdrawal(world):
    consent_record(
        actor=world.officer,
        contact=world.alice,
        purposes=["follow_up", "mailings"],
        channel="staff",
        text=consent_text(),
    )
    client = english_client(world.officer)
    page = client.get(contact_url("change", world.alice.pk))
    assert contact_url("withdraw_consent", world.alice.pk) in page.content.decode()
    response = client.post(
        contact_url("withdraw_consent", world.alice.pk),
        {"purposes": ["mailings"], "channel": "email", "evidence": "e-mail of 3 March"},
        follow=True,
    )
    assert "The withdrawal has been recorded." in response.content.decode()
    world.alice.refresh_from_db()
    assert world.alice.consent_follow_up
    assert not world.alice.consent_mailings
    assert PersonalDataLog.objects.get(kind="withdrawal").contact_id_value == world.alice.pk
