"""The review queue of possible duplicates, merges and their undo, the personal-data log and consent statements.

Each permission test has its positive control beside it."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from talent.models import ConsentText, Contact, ContactMerge, DuplicatePair
from talent.services.contacts import pair_dismiss
from talent.services.events import attendance_record
from talent.services.merge import contact_merge
from tests.factories import make_organization, make_user
from tests.talent.test_admin_contacts import (
    consent_text,
    english_client,
    hk_phone,
    make_world,
    masked_officer,
    officer_without,
    person,
)

pytestmark = pytest.mark.django_db


def pair_url(name: str, *args) -> str:
    return reverse(f"admin:talent_duplicatepair_{name}", args=args)


def merge_url(name: str, *args) -> str:
    return reverse(f"admin:talent_contactmerge_{name}", args=args)


def pair_of(a: Contact, b: Contact) -> DuplicatePair:
    first, second = sorted([a, b], key=lambda c: c.pk)
    return DuplicatePair.objects.get(first=first, second=second)


@pytest.fixture
def world(db):
    world = make_world()
    # Alice again, entered at the other recorder's event with the same phone and another e-mail.
    twin = person(
        "陳美玲",
        phones=["+852 9123 4567"],
        emails=["peggy.chan@gmail.com"],
        wechat=["peggychan88"],
        title="Dr",
    )
    attendance_record(actor=world.other_recorder, event=world.event_b, contact=twin)
    return SimpleNamespace(**vars(world), twin=twin, pair=pair_of(world.alice, twin))


# --- Access -----------------------------------------------------------------------------------------------------


def test_recorders_have_no_right_to_the_queue_and_officers_do(world):
    recorder = english_client(world.recorder)
    assert recorder.get(pair_url("changelist")).status_code == 403
    assert recorder.get(pair_url("change", world.pair.pk)).status_code == 403
    officer = english_client(world.officer)
    assert officer.get(pair_url("changelist")).status_code == 200
    assert officer.get(pair_url("change", world.pair.pk)).status_code == 200


def test_a_pair_is_seen_only_when_both_people_are_in_scope(world):
    """A recorder given the queue's view permission: the pair of Alice (their event) and her twin (another
    recorder's event) answers 404; a pair of two people met at their event answers 200."""
    world.recorder.user_permissions.add(Permission.objects.get(codename="view_duplicatepair"))
    carol = person("張嘉欣", phones=[hk_phone()])
    carol_again = person("張嘉欣", emails=["carol@hku.hk"])
    for contact in (carol, carol_again):
        attendance_record(actor=world.recorder, event=world.event_a, contact=contact)
    client = english_client(world.recorder)
    visible_pair = pair_of(carol, carol_again)
    assert client.get(pair_url("change", visible_pair.pk)).status_code == 200
    assert client.get(pair_url("change", world.pair.pk)).status_code == 404
    assert [p.pk for p in client.get(pair_url("changelist")).context["cl"].result_list] == [visible_pair.pk]


# --- The queue --------------------------------------------------------------------------------------------------


def test_the_queue_lists_open_pairs_best_first(world):
    namesake = person("陳美玲")  # the name alone: a possible match, below the certain one
    client = english_client(world.officer)
    pairs = client.get(pair_url("changelist")).context["cl"].result_list
    assert pairs[0].pk == world.pair.pk
    assert [p.level for p in pairs] == ["certain", "possible", "possible"]
    assert all(p.status == "open" for p in pairs)
    pair_dismiss(actor=world.officer, pair=pair_of(world.alice, namesake))
    assert len(client.get(pair_url("changelist")).context["cl"].result_list) == 2
    assert len(client.get(pair_url("changelist"), {"status": "dismissed"}).context["cl"].result_list) == 1
    assert len(client.get(pair_url("changelist"), {"status": "all"}).context["cl"].result_list) == 3


def test_the_queue_masks_phones_quoted_in_reasons_for_users_without_view_personal_data(world):
    html = english_client(masked_officer()).get(pair_url("changelist")).content.decode()
    assert "+852 ******67" in html
    assert "+85291234567" not in html
    full = english_client(world.officer).get(pair_url("changelist")).content.decode()
    assert "+85291234567" in full


def busy_pairs(count: int) -> None:
    """`count` pairs, each of two people with two phones and two e-mails (both shared), an organization each,
    and two reasons or more; names differ between pairs so no pair is found across them."""
    surnames, givens = "梁吳鄭馮蔡", ["子健", "雅婷", "俊傑", "詠詩"]
    names = [s + g for s in surnames for g in givens][:count]
    hku, cuhk = make_organization("HKU", "香港大学"), make_organization("CUHK", "香港中文大学")
    for i, name in enumerate(names):
        phones, emails = [hk_phone(), hk_phone()], [f"p{i}@hku.hk", f"p{i}@gmail.com"]
        person(name, phones=phones, emails=emails, organization=hku)
        person(name, phones=phones, emails=emails, organization=cuhk)


@pytest.mark.parametrize("rows", [2, 20])
def test_queue_query_count_does_not_grow_with_rows(world, django_assert_num_queries, rows):
    DuplicatePair.objects.all().delete()
    busy_pairs(rows)
    assert DuplicatePair.objects.count() == rows
    client = english_client(world.officer)
    # 1 session, 2 user, 3 user permissions, 4 group permissions (the scope: both people visible, which for an
    # officer, who sees everyone, adds no condition), 5 COUNT of the open pairs, 6 the page joined with both
    # people and their organizations (the reasons are stored on the pair; the level filter reads no rows).
    with django_assert_num_queries(6):
        response = client.get(pair_url("changelist"))
    pairs = response.context["cl"].result_list
    assert len(pairs) == rows
    assert all(len(pair.reasons) >= 2 for pair in pairs)


# --- The review page --------------------------------------------------------------------------------------------


def rows_of(response) -> dict[str, dict]:
    return {str(row["label"]): row for row in response.context["rows"]}


def test_the_review_page_shows_both_people_side_by_side_with_differences_marked(world):
    response = english_client(world.officer).get(pair_url("change", world.pair.pk))
    rows = rows_of(response)
    assert (rows["name"]["left"], rows["name"]["right"]) == ("陳美玲", "陳美玲")
    assert not rows["name"]["differs"]
    assert not rows["phones"]["differs"]
    assert rows["e-mails"]["differs"]
    assert (rows["e-mails"]["left"], rows["e-mails"]["right"]) == ("peggy@hku.hk", "peggy.chan@gmail.com")
    assert rows["title"]["differs"]
    assert rows["events attended"]["left"] == str(world.event_a)
    assert rows["events attended"]["right"] == str(world.event_b)
    assert rows["leads linked"]["left"] == "0"
    html = response.content.decode()
    assert '<tr class="differs">' in html
    for label in ("Keep left, merge right into it", "Keep right, merge left into it", "Not the same person"):
        assert label in html


def test_the_review_page_masks_channels_without_view_personal_data(world):
    response = english_client(masked_officer()).get(pair_url("change", world.pair.pk))
    rows = rows_of(response)
    assert rows["phones"]["left"] == "+852 ******67"
    assert rows["e-mails"]["right"] == "p***@gmail.com"
    assert rows["WeChat ID"]["right"] == "p***"
    assert rows["e-mails"]["differs"]  # compared in full, shown masked
    html = response.content.decode()
    assert "+85291234567" not in html
    assert "peggychan88" not in html


def test_keep_left_merges_the_right_person_into_the_left_and_moves_the_attendance(world):
    client = english_client(world.officer)
    response = client.post(pair_url("change", world.pair.pk), {"decision": "keep_first"}, follow=True)
    assert response.redirect_chain[-1][0] == pair_url("changelist")
    assert "was merged into" in response.content.decode()
    world.twin.refresh_from_db()
    assert (world.twin.status, world.twin.merged_into) == (Contact.Status.MERGED, world.alice)
    assert set(world.alice.attendances.values_list("event", flat=True)) == {
        world.event_a.pk,
        world.event_b.pk,
    }
    world.pair.refresh_from_db()
    assert (world.pair.status, world.pair.decided_by) == (DuplicatePair.Status.MERGED, world.officer)
    assert ContactMerge.objects.get().source == world.twin


def test_keep_right_merges_the_other_way(world):
    english_client(world.officer).post(pair_url("change", world.pair.pk), {"decision": "keep_second"})
    world.alice.refresh_from_db()
    assert (world.alice.status, world.alice.merged_into) == (Contact.Status.MERGED, world.twin)


def test_merging_needs_the_merge_permission(world):
    client = english_client(officer_without("talent.merge_contact", username="no_merge"))
    page = client.get(pair_url("change", world.pair.pk))
    assert "Keep left" not in page.content.decode()
    assert "Not the same person" in page.content.decode()
    assert client.post(pair_url("change", world.pair.pk), {"decision": "keep_first"}).status_code == 403
    world.twin.refresh_from_db()
    assert world.twin.status == Contact.Status.ACTIVE
    # The positive control: an officer with the permission merges the same pair.
    english_client(world.officer).post(pair_url("change", world.pair.pk), {"decision": "keep_first"})
    world.twin.refresh_from_db()
    assert world.twin.status == Contact.Status.MERGED


def test_not_the_same_person_dismisses_the_pair(world):
    response = english_client(world.officer).post(
        pair_url("change", world.pair.pk), {"decision": "dismiss"}, follow=True
    )
    assert "Marked as two different people." in response.content.decode()
    world.pair.refresh_from_db()
    assert (world.pair.status, world.pair.decided_by) == (DuplicatePair.Status.DISMISSED, world.officer)
    page = english_client(world.officer).get(pair_url("change", world.pair.pk)).content.decode()
    assert "Keep left" not in page
    assert "Not the same person</button>" not in page


def test_a_refused_merge_is_an_error_message_not_a_500(world):
    pair = world.pair
    contact_merge(actor=world.officer, source=world.twin, target=world.alice)
    DuplicatePair.objects.filter(pk=pair.pk).update(status=DuplicatePair.Status.OPEN)  # a stale page's pair
    # The stale page still offers the merge; the service refuses it with a message.
    response = english_client(world.officer).post(
        pair_url("change", pair.pk), {"decision": "keep_first"}, follow=True
    )
    assert response.status_code == 200
    assert "cannot take part in a merge" in response.content.decode()


# --- Undo -------------------------------------------------------------------------------------------------------


def undo(client, merge: ContactMerge):
    return client.post(
        merge_url("changelist"),
        {"action": "undo_merge", ACTION_CHECKBOX_NAME: [merge.pk], "index": 0},
        follow=True,
    )


def test_undo_from_the_merge_list_restores_both_people(world):
    client = english_client(world.officer)
    client.post(pair_url("change", world.pair.pk), {"decision": "keep_first"})
    merge = ContactMerge.objects.get()
    assert client.get(merge_url("changelist")).status_code == 200
    response = undo(client, merge)
    assert "1 merge undone." in response.content.decode()
    world.twin.refresh_from_db()
    assert (world.twin.status, world.twin.merged_into) == (Contact.Status.ACTIVE, None)
    assert list(world.twin.attendances.values_list("event", flat=True)) == [world.event_b.pk]
    assert list(world.alice.attendances.values_list("event", flat=True)) == [world.event_a.pk]
    world.pair.refresh_from_db()
    assert world.pair.status == DuplicatePair.Status.OPEN
    merge.refresh_from_db()
    assert merge.undone_by == world.officer


def test_undo_needs_the_merge_permission(world):
    contact_merge(actor=world.officer, source=world.twin, target=world.alice)
    merge = ContactMerge.objects.get()
    client = english_client(officer_without("talent.merge_contact", username="no_merge"))
    response = client.get(merge_url("changelist"))
    assert response.status_code == 200
    assert "undo_merge" not in response.context["cl"].model_admin.get_actions(response.wsgi_request)
    undo(client, merge)
    world.twin.refresh_from_db()
    assert world.twin.status == Contact.Status.MERGED


def test_an_undo_the_service_refuses_is_an_error_message(world):
    contact_merge(actor=world.officer, source=world.twin, target=world.alice)
    merge = ContactMerge.objects.get()
    client = english_client(world.officer)
    undo(client, merge)
    response = undo(client, merge)
    assert "This merge has already been undone." in response.content.decode()


@pytest.mark.parametrize("model", ["duplicatepair", "contactmerge"])
def test_history_pages_of_models_without_history_tables_are_scoped(world, model):
    contact_merge(actor=world.officer, source=world.twin, target=world.alice)
    obj = world.pair if model == "duplicatepair" else ContactMerge.objects.get()
    url = reverse(f"admin:talent_{model}_history", args=[obj.pk])
    assert english_client(world.officer).get(url).status_code == 200
    world.recorder.user_permissions.add(Permission.objects.get(codename=f"view_{model}"))
    assert english_client(world.recorder).get(url).status_code == 404  # the twin is outside their events


def test_recorders_cannot_see_merges(world):
    assert english_client(world.recorder).get(merge_url("changelist")).status_code == 403


# --- Personal-data log and consent statements -------------------------------------------------------------------


def test_the_personal_data_log_is_for_managers(world):
    url = reverse("admin:talent_personaldatalog_changelist")
    assert english_client(world.officer).get(url).status_code == 403
    english_client(world.manager).post(
        reverse("admin:talent_contact_export", args=[world.alice.pk]), {"format": "json"}
    )
    response = english_client(world.manager).get(url)
    assert response.status_code == 200
    assert [entry.kind for entry in response.context["cl"].result_list] == ["export"]


def test_a_published_consent_statement_is_read_only_and_a_new_version_is_added(world):
    administrator = make_user(Role.ADMINISTRATOR, username="administrator")
    client = english_client(administrator)
    published = consent_text()
    page = client.get(reverse("admin:talent_consenttext_change", args=[published.pk]))
    assert page.status_code == 200
    assert not page.context["has_change_permission"]
    client.post(
        reverse("admin:talent_consenttext_change", args=[published.pk]),
        {
            "version": published.version,
            "published_on": published.published_on.isoformat(),
            "body_zh_hans": "改过",
            "body_zh_hant": "改過",
            "body_en": "changed",
        },
    )
    published.refresh_from_db()
    assert published.body_en == "Personal information collection statement"
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    added = client.post(
        reverse("admin:talent_consenttext_add"),
        {
            "version": "2025-02",
            "published_on": tomorrow.isoformat(),
            "body_zh_hans": "新声明",
            "body_zh_hant": "新聲明",
            "body_en": "New statement",
        },
    )
    assert added.status_code == 302
    upcoming = ConsentText.objects.get(version="2025-02")
    assert client.get(reverse("admin:talent_consenttext_change", args=[upcoming.pk])).context[
        "has_change_permission"
    ]
    # Officers do not manage statements at all.
    assert (
        english_client(world.officer).get(reverse("admin:talent_consenttext_changelist")).status_code == 403
    )
