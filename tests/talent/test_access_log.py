"""The personal-data access log: views of unmasked contacts in the admin and the API and exports are logged in
one INSERT, masked views are not; only administrators read the log; views and exports are purged after
PERSONAL_DATA_LOG_DAYS."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.roles import Role
from talent.models import PersonalDataAccess, PersonalDataLog
from talent.services.rights import (
    contact_export,
    personal_data_access_log,
    personal_data_export_log,
    personal_data_log_purge,
)
from tests.factories import make_user
from tests.talent.test_admin_contacts import contact_url, english_client, make_world, masked_officer, person

pytestmark = pytest.mark.django_db

VIEW, EXPORT = PersonalDataLog.Kind.VIEW, PersonalDataLog.Kind.EXPORT
ADMIN, API = PersonalDataLog.Channel.ADMIN, PersonalDataLog.Channel.API
ACCESS_LOG = reverse("admin:talent_personaldataaccess_changelist")


@pytest.fixture
def world(db):
    return make_world()


def api_as(user) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def views() -> list[PersonalDataLog]:
    return list(PersonalDataLog.objects.filter(kind=VIEW).order_by("pk"))


# --- The API ----------------------------------------------------------------------------------------------------


def test_reading_a_contact_logs_one_view_of_it(world):
    response = api_as(world.officer).get(f"/api/v1/contacts/{world.alice.pk}/")
    assert response.status_code == 200
    [entry] = views()
    assert (entry.actor, entry.channel, entry.row_count) == (world.officer, API, 1)
    assert (entry.contact_ids, entry.contact_id_value) == ([world.alice.pk], world.alice.pk)


def test_a_list_page_is_one_entry_with_its_row_count_and_contact_ids(world):
    response = api_as(world.officer).get("/api/v1/contacts/")
    shown = [row["id"] for row in response.json()["results"]]
    assert sorted(shown) == sorted([world.alice.pk, world.bob.pk])
    [entry] = views()
    assert (entry.actor, entry.channel, entry.row_count, entry.contact_ids) == (world.officer, API, 2, shown)
    assert entry.contact_id_value is None  # about several people: no one contact


def test_an_empty_page_shows_no_one_and_is_not_logged(world):
    assert api_as(world.officer).get("/api/v1/contacts/", {"q": "无此人"}).json()["count"] == 0
    assert views() == []


def test_the_duplicates_of_a_contact_log_the_contact_and_its_candidates(world):
    twin = person("陳美玲", phones=["+852 9123 4567"])
    response = api_as(world.officer).get(f"/api/v1/contacts/{twin.pk}/duplicates/")
    assert [row["contact"]["id"] for row in response.json()] == [world.alice.pk]
    [entry] = views()
    assert (entry.row_count, entry.contact_ids) == (1, [twin.pk, world.alice.pk])


def test_masked_answers_are_not_logged_beside_an_unmasked_one_that_is(world):
    masked = api_as(masked_officer())
    twin = person("陳美玲", phones=["+852 9123 4567"])
    assert "+85291234567" not in masked.get(f"/api/v1/contacts/{world.alice.pk}/").content.decode()
    assert masked.get("/api/v1/contacts/").json()["count"] == 3
    assert len(masked.get(f"/api/v1/contacts/{twin.pk}/duplicates/").json()) == 1
    assert views() == []
    # Positive control: the same read by an officer with the right is logged.
    assert "+85291234567" in api_as(world.officer).get(f"/api/v1/contacts/{world.alice.pk}/").content.decode()
    assert len(views()) == 1


def test_a_report_viewer_is_refused_and_nothing_is_logged(world):
    viewer = make_user(Role.REPORT_VIEWER, username="viewer")
    assert api_as(viewer).get(f"/api/v1/contacts/{world.alice.pk}/").status_code == 403
    assert api_as(viewer).get("/api/v1/contacts/").status_code == 403
    assert views() == []


def test_event_staff_see_their_peoples_details_unmasked_so_their_reads_are_logged(world):
    # DESIGN §2: a recorder lacks the personal-data right but sees the details of the people met at their events.
    assert not world.recorder.has_perm("talent.view_personal_data")
    response = api_as(world.recorder).get("/api/v1/contacts/")
    assert [row["id"] for row in response.json()["results"]] == [world.alice.pk]
    [entry] = views()
    assert (entry.actor, entry.contact_ids) == (world.recorder, [world.alice.pk])


def test_writes_are_not_views(world):
    response = api_as(world.officer).patch(
        f"/api/v1/contacts/{world.alice.pk}/", {"english_name": "Peggy C."}, format="json"
    )
    assert response.status_code == 200
    assert views() == []


# --- The admin --------------------------------------------------------------------------------------------------


def test_a_contacts_page_is_logged_for_a_viewer_with_the_right_and_not_for_a_masked_one(world):
    assert english_client(masked_officer()).get(contact_url("change", world.alice.pk)).status_code == 200
    assert views() == []
    assert english_client(world.officer).get(contact_url("change", world.alice.pk)).status_code == 200
    [entry] = views()
    assert (entry.actor, entry.channel, entry.row_count, entry.contact_ids) == (
        world.officer,
        ADMIN,
        1,
        [world.alice.pk],
    )


def test_the_contact_list_logs_the_rows_of_its_page(world):
    assert english_client(masked_officer()).get(contact_url("changelist")).status_code == 200
    assert views() == []
    response = english_client(world.officer).get(contact_url("changelist"))
    [entry] = views()
    assert entry.contact_ids == [contact.pk for contact in response.context["cl"].result_list]
    assert (entry.channel, entry.row_count) == (ADMIN, 2)


def test_a_contact_export_is_an_admin_export_of_that_contact(world):
    contact_export(actor=world.manager, contact=world.alice)
    entry = PersonalDataLog.objects.get(kind=EXPORT)
    assert (entry.channel, entry.row_count, entry.contact_ids) == (ADMIN, 1, [world.alice.pk])


def test_a_report_export_names_its_rows_and_contacts(world):
    entry = personal_data_export_log(
        actor=world.manager,
        reason="准备周五的人才对接会",
        details={"report": "lead_list", "rows": 2},
        contact_ids=[world.alice.pk, world.bob.pk, world.alice.pk],
    )
    entry.refresh_from_db()
    assert (entry.kind, entry.channel, entry.row_count) == (EXPORT, PersonalDataLog.Channel.REPORT, 2)
    assert entry.contact_ids == [world.alice.pk, world.bob.pk]


def test_a_page_of_a_hundred_contacts_is_logged_in_one_insert(world, django_assert_num_queries):
    with django_assert_num_queries(1):
        entry = personal_data_access_log(
            actor=world.officer, kind=VIEW, channel=API, contact_ids=range(1, 101), count=100
        )
    assert len(entry.contact_ids) == entry.row_count == 100


# --- Who reads the log ------------------------------------------------------------------------------------------


def test_only_the_administrator_role_holds_the_access_log_permission(world):
    holders = {
        group.name
        for group in Group.objects.filter(
            permissions__codename="view_personaldataaccess", permissions__content_type__app_label="talent"
        )
    }
    assert holders == {Role.ADMINISTRATOR}


def test_an_administrator_reads_the_log_and_a_manager_is_refused(world):
    api_as(world.officer).get(f"/api/v1/contacts/{world.alice.pk}/")
    administrator = make_user(Role.ADMINISTRATOR, username="administrator")
    page = english_client(administrator).get(ACCESS_LOG)
    assert page.status_code == 200
    [entry] = page.context["cl"].result_list
    assert entry.actor == world.officer
    assert f'href="{contact_url("change", world.alice.pk)}"' in page.content.decode()
    manager = english_client(world.manager)
    assert manager.get(ACCESS_LOG).status_code == 403
    assert manager.get(reverse("admin:talent_personaldataaccess_change", args=[entry.pk])).status_code == 403
    assert "personaldataaccess" not in manager.get(reverse("admin:index")).content.decode()


def test_an_entry_links_its_first_twenty_contacts_and_counts_the_rest(world):
    entry = personal_data_access_log(actor=world.officer, kind=VIEW, channel=API, contact_ids=range(1, 26))
    client = english_client(make_user(Role.ADMINISTRATOR, username="administrator"))
    page = client.get(reverse("admin:talent_personaldataaccess_change", args=[entry.pk])).content.decode()
    assert f'href="{contact_url("change", 20)}"' in page
    assert f'href="{contact_url("change", 21)}"' not in page
    assert "and 5 more" in page


def test_the_managers_rights_log_keeps_exports_and_leaves_views_to_administrators(world):
    api_as(world.officer).get(f"/api/v1/contacts/{world.alice.pk}/")
    contact_export(actor=world.manager, contact=world.alice)
    page = english_client(world.manager).get(reverse("admin:talent_personaldatalog_changelist"))
    assert page.status_code == 200
    assert [entry.kind for entry in page.context["cl"].result_list] == [EXPORT]


def test_the_access_log_holds_views_and_exports_only(world):
    contact_export(actor=world.manager, contact=world.alice)
    api_as(world.officer).get(f"/api/v1/contacts/{world.alice.pk}/")
    PersonalDataLog.objects.create(kind=PersonalDataLog.Kind.WITHDRAWAL, contact_id_value=world.alice.pk)
    assert sorted(PersonalDataAccess.objects.values_list("kind", flat=True)) == [EXPORT, VIEW]


def test_the_log_is_searched_by_username_and_by_contact_id(world):
    personal_data_access_log(actor=world.officer, kind=VIEW, channel=API, contact_ids=[world.alice.pk])
    # Ids that begin with Bob's digits (Bob is the later contact: neither is Alice's id).
    longer = [10 * world.bob.pk + 1, 10 * world.bob.pk + 2]
    personal_data_access_log(
        actor=world.recorder, kind=VIEW, channel=API, contact_ids=[longer[1], world.bob.pk]
    )
    personal_data_access_log(actor=world.recorder, kind=VIEW, channel=API, contact_ids=[longer[0]])
    client = english_client(make_user(Role.ADMINISTRATOR, username="administrator"))

    def found(**query) -> list[str]:
        response = client.get(ACCESS_LOG, query)
        assert response.status_code == 200
        return sorted(entry.actor.username for entry in response.context["cl"].result_list)

    assert found(q="offic") == ["officer"]
    assert found(q=str(world.alice.pk)) == ["officer"]
    # Listed among others, and not matched by a longer id that contains its digits.
    assert found(q=str(world.bob.pk)) == ["recorder"]
    assert found(kind="view", channel="api") == ["officer", "recorder", "recorder"]
    assert found(channel="admin") == []


# --- Retention --------------------------------------------------------------------------------------------------


def _entry_at(when: dt.datetime, kind: str = VIEW) -> PersonalDataLog:
    entry = PersonalDataLog.objects.create(kind=kind, channel=API, contact_ids=[1])
    PersonalDataLog.objects.filter(pk=entry.pk).update(at=when)
    return entry


def test_the_purge_keeps_the_last_days_and_removes_older_views_and_exports(settings):
    settings.PERSONAL_DATA_LOG_DAYS = 30
    now = timezone.now()
    cutoff = now - dt.timedelta(days=30)
    kept = [_entry_at(cutoff + dt.timedelta(minutes=1)), _entry_at(now)]
    removed = [_entry_at(cutoff - dt.timedelta(minutes=1)), _entry_at(cutoff - dt.timedelta(days=1), EXPORT)]
    # A rights request is not an access: it stays whatever its age.
    erasure = _entry_at(cutoff - dt.timedelta(days=400), PersonalDataLog.Kind.ERASURE)
    assert personal_data_log_purge(now=now) == len(removed)
    assert set(PersonalDataLog.objects.values_list("pk", flat=True)) == {e.pk for e in [*kept, erasure]}


def test_zero_days_keeps_every_entry(settings):
    settings.PERSONAL_DATA_LOG_DAYS = 0
    _entry_at(timezone.now() - dt.timedelta(days=4000))
    assert personal_data_log_purge() == 0
    assert PersonalDataLog.objects.count() == 1


def test_the_daily_task_purges(settings):
    from talent.tasks import access_log_purge

    settings.PERSONAL_DATA_LOG_DAYS = 30
    _entry_at(timezone.now() - dt.timedelta(days=31))
    assert access_log_purge() == 1
    assert not PersonalDataLog.objects.exists()
    assert settings.CELERY_BEAT_SCHEDULE["talent-access-log-purge"]["task"] == "talent.tasks.access_log_purge"
