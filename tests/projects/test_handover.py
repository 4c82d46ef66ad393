"""Hand-overs between units (request, accept, decline, withdraw), who sees a lead while it is offered, a
manager's bulk reassignment, and their admin: the hand-over list and the lead list's actions."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.admin import helpers
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import Unit, UnitMembership
from accounts.roles import Role
from accounts.visibility import scope_filter
from core.errors import ApplicationError, IllegalStateError
from projects import services
from projects.admin.handover import CONFIRM
from projects.models import HandOver, Lead, LostReason, PauseReason
from projects.selectors import lead_is_read_only_for, leads_visible_to
from projects.services.handover import (
    handover_accept,
    handover_decline,
    handover_request,
    handover_withdraw,
    leads_reassign,
)
from tests.factories import join, make_lead, make_unit, make_user

pytestmark = pytest.mark.django_db

NOTE = "团队计划落户园区载体，由载体团队跟进"


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def w(world):
    """The shared world plus the receiving side: unit B's head, a carrier team below unit B with its officer,
    a second plain officer in unit A, and a unit C outside both."""
    world.head_b = join(make_user(Role.MANAGER, username="head_b"), world.unit_b, UnitMembership.Role.HEAD)
    world.carrier = make_unit("园区载体团队", parent=world.unit_b, kind=Unit.Kind.CARRIER_TEAM)
    world.carrier_officer = join(make_user(Role.OFFICER, username="carrier_officer"), world.carrier)
    world.other_a = join(make_user(Role.OFFICER, username="other_a"), world.unit_a)
    world.unit_c = make_unit("驻港联络处", parent=world.bureau)
    world.head_c = join(make_user(Role.MANAGER, username="head_c"), world.unit_c, UnitMembership.Role.HEAD)
    return world


def offer(w, *, to_unit: Unit | None = None, actor=None, lead: Lead | None = None) -> HandOver:
    return handover_request(actor=actor or w.a, lead=lead or w.lead, to_unit=to_unit or w.unit_b, note=NOTE)


def fresh(lead: Lead) -> Lead:
    return Lead.objects.get(pk=lead.pk)


def last_history_id(obj) -> int:
    return obj.history.latest("history_id").history_id


def lead_rows_since(lead: Lead, since: int) -> list[tuple]:
    """The lead's history rows written after `since`: type, status, owning unit, owner, co-owners, who."""
    return [
        (
            h.history_type,
            h.status,
            h.owning_unit.name,
            h.owner.username,
            sorted(row.user.username for row in h.co_owners.all()),
            h.history_user.username,
        )
        for h in lead.history.filter(history_id__gt=since).order_by("history_id")
    ]


def handover_rows(handover: HandOver) -> list[tuple]:
    return [
        (h.history_type, h.status, h.decided_by.username if h.decided_by else None, h.history_user.username)
        for h in handover.history.order_by("history_id")
    ]


def visible_usernames(lead: Lead, *users) -> set[str]:
    return {user.username for user in users if leads_visible_to(user).filter(pk=lead.pk).exists()}


# --- Request ----------------------------------------------------------------------------------------------------


def test_requesting_a_hand_over_makes_the_lead_transferred_and_writes_both_histories(w):
    since = last_history_id(w.lead)
    handover = offer(w)
    lead = fresh(w.lead)
    assert (handover.status, handover.from_unit, handover.to_unit, handover.requested_by) == (
        HandOver.Status.PENDING,
        w.unit_a,
        w.unit_b,
        w.a,
    )
    assert (lead.status, lead.owning_unit, lead.owner, lead.status_note) == (
        "transferred",
        w.unit_a,
        w.a,
        NOTE,
    )
    assert lead_rows_since(lead, since) == [("~", "transferred", "香港合作处", "officer_a", [], "officer_a")]
    assert handover_rows(handover) == [("+", "pending", None, "officer_a")]


def test_the_head_of_the_owning_unit_may_hand_over_a_lead_they_do_not_own(w):
    assert offer(w, actor=w.manager_a).requested_by == w.manager_a


def test_a_plain_member_who_does_not_own_the_lead_cannot_hand_it_over(w):
    with pytest.raises(
        ApplicationError,
        match="Only the lead's owner, a co-owner, or a head or manager of 香港合作处 can hand it over.",
    ):
        offer(w, actor=w.other_a)
    assert (fresh(w.lead).status, HandOver.objects.count()) == ("active", 0)
    assert offer(w, actor=w.a).status == HandOver.Status.PENDING  # the owner, beside them, may


def test_a_co_owner_may_hand_over_a_lead(w):
    lead = make_lead(owner=w.a, unit=w.unit_a, co_owners=[w.b])
    assert offer(w, actor=w.b, lead=lead).requested_by == w.b


def test_a_user_who_cannot_see_the_lead_is_told_it_does_not_exist(w):
    with pytest.raises(ApplicationError, match="This lead does not exist or you cannot see it."):
        offer(w, actor=w.b)
    assert HandOver.objects.count() == 0


def test_a_lost_lead_cannot_be_handed_over(w):
    services.lead_mark_lost(actor=w.a, lead=w.lead, reason=LostReason.OTHER_LOCATION)
    since = last_history_id(w.lead)
    with pytest.raises(
        IllegalStateError, match="Only an active or paused lead can be handed over; this one is “Lost”."
    ):
        offer(w)
    assert (HandOver.objects.count(), lead_rows_since(w.lead, since)) == (0, [])


def test_a_merged_lead_cannot_be_handed_over(w):
    Lead.objects.filter(pk=w.lead.pk).update(status=Lead.Status.MERGED)  # no merge service yet
    with pytest.raises(IllegalStateError, match="this one is “Merged into another lead”"):
        offer(w)


def test_a_second_request_while_one_is_pending_is_refused(w):
    offer(w)
    since = last_history_id(w.lead)
    with pytest.raises(
        IllegalStateError,
        match="This lead is already offered to 产业招商一处. Withdraw that hand-over before making another.",
    ):
        offer(w, to_unit=w.unit_c)
    assert HandOver.objects.count() == 1
    assert lead_rows_since(w.lead, since) == []


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("same_unit", "The lead already belongs to 香港合作处. Choose another unit."),
        ("inactive_unit", "驻港联络处 is no longer active. Choose an active unit."),
        ("no_note", "Say why the lead is handed over."),
    ],
)
def test_a_request_needs_another_active_unit_and_a_note(w, case, message):
    if case == "inactive_unit":
        Unit.objects.filter(pk=w.unit_c.pk).update(is_active=False)
        w.unit_c.refresh_from_db()
    to_unit = {"same_unit": w.unit_a, "inactive_unit": w.unit_c, "no_note": w.unit_b}[case]
    note = "  " if case == "no_note" else NOTE
    with pytest.raises(ApplicationError, match=message) as refused:
        handover_request(actor=w.a, lead=w.lead, to_unit=to_unit, note=note)
    assert refused.value.field == ("note" if case == "no_note" else "to_unit")
    assert (fresh(w.lead).status, HandOver.objects.count()) == ("active", 0)


# --- Accept -----------------------------------------------------------------------------------------------------


def test_accepting_moves_the_lead_and_keeps_the_previous_owner_as_co_owner(w):
    handover = offer(w)
    since = last_history_id(w.lead)
    handover_accept(actor=w.head_b, handover=handover, owner=w.b, note="由产业招商一处接手")
    lead, handover = fresh(w.lead), HandOver.objects.get(pk=handover.pk)
    assert (lead.owning_unit, lead.owner, lead.status, list(lead.co_owners.all())) == (
        w.unit_b,
        w.b,
        "active",
        [w.a],
    )
    assert (handover.status, handover.decided_by, handover.decision_note) == (
        "accepted",
        w.head_b,
        "由产业招商一处接手",
    )
    assert handover.decided_at is not None
    # One row shows the new unit, owner, status and co-owners together.
    assert lead_rows_since(lead, since) == [
        ("~", "active", "产业招商一处", "officer_b", ["officer_a"], "head_b")
    ]
    assert handover_rows(handover) == [
        ("+", "pending", None, "officer_a"),
        ("~", "accepted", "head_b", "head_b"),
    ]


def test_the_accepting_head_owns_the_lead_when_no_owner_is_named(w):
    handover_accept(actor=w.head_b, handover=offer(w))
    assert fresh(w.lead).owner == w.head_b


def test_a_new_owner_who_was_a_co_owner_leaves_the_co_owners(w):
    lead = make_lead(owner=w.a, unit=w.unit_a, co_owners=[w.b])
    handover_accept(actor=w.head_b, handover=offer(w, lead=lead), owner=w.b)
    assert (fresh(lead).owner, list(lead.co_owners.all())) == (w.b, [w.a])


def test_a_head_of_a_unit_above_the_receiver_accepts_for_it(w):
    handover = offer(w, to_unit=w.carrier)
    handover_accept(actor=w.head_b, handover=handover, owner=w.carrier_officer)
    assert (fresh(w.lead).owning_unit, fresh(w.lead).owner) == (w.carrier, w.carrier_officer)


def test_a_bureau_level_manager_accepts_any_hand_over(w):
    handover_accept(actor=w.director, handover=offer(w), owner=w.b)
    assert fresh(w.lead).owning_unit == w.unit_b


def test_a_plain_member_of_the_receiving_unit_cannot_accept(w):
    handover = offer(w)
    with pytest.raises(
        ApplicationError,
        match=r"Only a head or manager of 产业招商一处 \(or of a unit above it\) can accept or decline this hand-over.",
    ):
        handover_accept(actor=w.b, handover=handover, owner=w.b)
    assert (fresh(w.lead).status, HandOver.objects.get().status) == ("transferred", "pending")
    handover_accept(actor=w.head_b, handover=handover, owner=w.b)  # the head, beside them, may
    assert HandOver.objects.get().status == "accepted"


def test_the_head_of_the_sending_unit_cannot_accept_for_the_receiver(w):
    with pytest.raises(ApplicationError, match="Only a head or manager of 产业招商一处"):
        handover_accept(actor=w.manager_a, handover=offer(w), owner=w.b)


def test_the_new_owner_must_sit_in_the_receiving_unit(w):
    handover = offer(w)
    since = last_history_id(w.lead)
    with pytest.raises(
        ApplicationError,
        match=r"other_a is not an active member of 产业招商一处. Choose the new owner from its staff.",
    ) as refused:
        handover_accept(actor=w.head_b, handover=handover, owner=w.other_a)
    assert refused.value.field == "owner"
    assert lead_rows_since(w.lead, since) == []
    assert HandOver.objects.get().status == "pending"


def test_a_hand_over_is_decided_once(w):
    handover = offer(w)
    handover_accept(actor=w.head_b, handover=handover, owner=w.b)
    with pytest.raises(IllegalStateError, match="This hand-over is no longer pending: it is “Accepted”."):
        handover_decline(actor=w.head_b, handover=handover, note="改变主意")


# --- Decline and withdraw ---------------------------------------------------------------------------------------


def test_declining_leaves_the_lead_with_its_unit_and_active(w):
    handover = offer(w)
    since = last_history_id(w.lead)
    handover_decline(actor=w.head_b, handover=handover, note="本处无对口载体")
    lead, handover = fresh(w.lead), HandOver.objects.get(pk=handover.pk)
    assert (lead.owning_unit, lead.owner, lead.status) == (w.unit_a, w.a, "active")
    assert (handover.status, handover.decision_note) == ("declined", "本处无对口载体")
    assert lead_rows_since(lead, since) == [("~", "active", "香港合作处", "officer_a", [], "head_b")]
    assert handover_rows(handover) == [
        ("+", "pending", None, "officer_a"),
        ("~", "declined", "head_b", "head_b"),
    ]


def test_declining_needs_a_reason(w):
    handover = offer(w)
    with pytest.raises(ApplicationError, match="Say why the hand-over is declined."):
        handover_decline(actor=w.head_b, handover=handover, note="")
    assert (fresh(w.lead).status, HandOver.objects.get().status) == ("transferred", "pending")


def test_a_plain_member_of_the_receiving_unit_cannot_decline(w):
    with pytest.raises(ApplicationError, match="Only a head or manager of 产业招商一处"):
        handover_decline(actor=w.b, handover=offer(w), note="不接")
    assert HandOver.objects.get().status == "pending"


def test_a_lead_paused_before_the_request_comes_back_active(w):
    review = timezone.localdate() + dt.timedelta(days=30)
    services.lead_pause(actor=w.a, lead=w.lead, reason=PauseReason.FINANCING, resume_review_on=review)
    handover_decline(actor=w.head_b, handover=offer(w, lead=fresh(w.lead)), note="本处无对口载体")
    lead = fresh(w.lead)
    assert (lead.status, lead.pause_reason, lead.resume_review_on) == ("active", "", None)


def test_the_requester_withdraws_a_pending_hand_over(w):
    handover = offer(w)
    since = last_history_id(w.lead)
    handover_withdraw(actor=w.a, handover=handover)
    assert fresh(w.lead).status == "active"
    assert lead_rows_since(w.lead, since) == [("~", "active", "香港合作处", "officer_a", [], "officer_a")]
    assert handover_rows(handover) == [
        ("+", "pending", None, "officer_a"),
        ("~", "withdrawn", "officer_a", "officer_a"),
    ]


def test_the_head_of_the_sending_unit_may_withdraw_but_not_the_receiver(w):
    handover = offer(w)
    with pytest.raises(
        ApplicationError,
        match="Only the person who asked for this hand-over, or a head or manager of 香港合作处, can withdraw it.",
    ):
        handover_withdraw(actor=w.head_b, handover=handover)
    assert HandOver.objects.get().status == "pending"
    handover_withdraw(actor=w.manager_a, handover=handover)
    assert HandOver.objects.get().status == "withdrawn"


# --- Who sees an offered lead -----------------------------------------------------------------------------------


def test_while_pending_the_receiving_head_sees_the_lead_read_only_and_its_members_do_not(w):
    offer(w)
    lead = fresh(w.lead)
    assert visible_usernames(lead, w.a, w.manager_a, w.head_b, w.b, w.head_c) == {
        "officer_a",
        "manager_a",
        "head_b",
    }
    assert [lead_is_read_only_for(user, lead) for user in (w.head_b, w.a, w.manager_a, w.director)] == [
        True,
        False,
        False,
        False,
    ]


def test_the_head_above_a_receiving_carrier_team_sees_the_offer_too(w):
    offer(w, to_unit=w.carrier)
    assert visible_usernames(fresh(w.lead), w.head_b, w.carrier_officer, w.b) == {"head_b"}


def test_a_confidential_lead_offered_to_a_unit_is_shown_to_its_head(w):
    lead = make_lead(owner=w.a, unit=w.unit_a, confidential=True)
    offer(w, lead=lead)
    assert visible_usernames(lead, w.head_b, w.other_a) == {"head_b"}


def test_after_accepting_the_receivers_see_it_and_the_sender_only_through_co_ownership(w):
    handover_accept(actor=w.head_b, handover=offer(w), owner=w.b)
    lead = fresh(w.lead)
    assert visible_usernames(lead, w.a, w.other_a, w.manager_a, w.b, w.head_b) == {
        "officer_a",
        "officer_b",
        "head_b",
    }
    assert lead_is_read_only_for(w.head_b, lead) is False


def test_after_declining_the_receiving_head_no_longer_sees_it(w):
    handover_decline(actor=w.head_b, handover=offer(w), note="本处无对口载体")
    assert visible_usernames(fresh(w.lead), w.head_b, w.a) == {"officer_a"}


def test_the_lead_scope_of_users_who_manage_nothing_is_unchanged(w):
    offer(w)
    for user in (w.a, w.b, w.recorder):
        plain = Lead.objects.filter(
            scope_filter(
                user, Lead, unit="owning_unit", owners=("owner", "co_owners"), confidential="confidential"
            )
        )
        assert str(leads_visible_to(user).query) == str(plain.query)


# --- The lead page for the receiving head -------------------------------------------------------------------------


def lead_change(lead: Lead) -> str:
    return reverse("admin:projects_lead_change", args=[lead.pk])


def test_the_receiving_head_reads_the_offered_lead_but_cannot_save_it(client_as, w):
    offer(w)
    client = client_as(w.head_b)
    response = client.get(lead_change(w.lead))
    assert response.status_code == 200
    assert response.context["has_change_permission"] is False
    assert client.post(lead_change(w.lead), {"name": "改名"}).status_code == 403
    assert fresh(w.lead).name == "港科大 量子计算研发团队"


def test_the_owner_still_changes_the_offered_lead_and_another_units_member_gets_404(client_as, w):
    offer(w)
    assert client_as(w.a).get(lead_change(w.lead)).context["has_change_permission"] is True
    assert client_as(w.b).get(lead_change(w.lead)).status_code == 404


def test_after_accepting_the_sending_units_plain_member_gets_404(client_as, w):
    handover_accept(actor=w.head_b, handover=offer(w), owner=w.b)
    assert client_as(w.b).get(lead_change(w.lead)).context["has_change_permission"] is True
    assert client_as(w.a).get(lead_change(w.lead)).status_code == 200  # a co-owner now
    assert client_as(w.other_a).get(lead_change(w.lead)).status_code == 404


# --- Bulk reassignment ------------------------------------------------------------------------------------------


@pytest.fixture
def unit_a_leads(w):
    return [w.lead, make_lead(owner=w.a, unit=w.unit_a, name="港大 新材料团队")]


def owners(leads) -> list[str]:
    return [fresh(lead).owner.username for lead in leads]


def test_a_manager_reassigns_leads_with_a_history_row_each(w, unit_a_leads):
    since = {lead.pk: last_history_id(lead) for lead in unit_a_leads}
    assert leads_reassign(actor=w.manager_a, leads=unit_a_leads, to_owner=w.other_a, note="黄生离职交接") == 2
    assert owners(unit_a_leads) == ["other_a", "other_a"]
    for lead in unit_a_leads:
        rows = lead.history.filter(history_id__gt=since[lead.pk])
        assert [(h.owner.username, h.history_user.username, h.history_change_reason) for h in rows] == [
            ("other_a", "manager_a", "黄生离职交接")
        ]


def test_reassigning_is_all_or_nothing_when_one_lead_is_outside_the_managers_units(w, unit_a_leads):
    outside = make_lead(owner=w.b, unit=w.unit_b, name="中大 生物医药团队")
    since = last_history_id(outside)
    with pytest.raises(
        ApplicationError,
        match=f"You do not head or manage the owning unit of {outside.code}. Nothing was reassigned.",
    ):
        leads_reassign(actor=w.manager_a, leads=[*unit_a_leads, outside], to_owner=w.other_a)
    assert owners([*unit_a_leads, outside]) == ["officer_a", "officer_a", "officer_b"]
    assert lead_rows_since(outside, since) == []
    assert leads_reassign(actor=w.manager_a, leads=unit_a_leads, to_owner=w.other_a) == 2  # beside it, may


def test_a_bureau_level_manager_reassigns_across_units(w):
    lead_b = make_lead(owner=w.b, unit=w.unit_b)
    join(w.other_a, w.unit_b)
    assert leads_reassign(actor=w.director, leads=[w.lead, lead_b], to_owner=w.other_a) == 2


def test_leads_the_new_owner_already_owns_are_skipped_without_history(w, unit_a_leads):
    own = make_lead(owner=w.other_a, unit=w.unit_a)
    since = last_history_id(own)
    assert leads_reassign(actor=w.manager_a, leads=[*unit_a_leads, own], to_owner=w.other_a) == 2
    assert lead_rows_since(own, since) == []


def test_a_co_owner_who_becomes_owner_leaves_the_co_owners(w):
    lead = make_lead(owner=w.a, unit=w.unit_a, co_owners=[w.other_a])
    since = last_history_id(lead)
    leads_reassign(actor=w.manager_a, leads=[lead], to_owner=w.other_a)
    assert (fresh(lead).owner, list(lead.co_owners.all())) == (w.other_a, [])
    assert lead_rows_since(lead, since) == [("~", "active", "香港合作处", "other_a", [], "manager_a")]


def test_an_officer_cannot_reassign(w, unit_a_leads):
    with pytest.raises(ApplicationError, match="Only a manager can reassign leads."):
        leads_reassign(actor=w.a, leads=unit_a_leads, to_owner=w.other_a)
    assert owners(unit_a_leads) == ["officer_a", "officer_a"]


def test_the_new_owner_must_sit_in_each_leads_owning_unit(w, unit_a_leads):
    with pytest.raises(
        ApplicationError,
        match=f"officer_b is not a member of the owning unit of {w.lead.code}, {unit_a_leads[1].code}. Nothing was reassigned.",
    ):
        leads_reassign(actor=w.director, leads=unit_a_leads, to_owner=w.b)
    assert owners(unit_a_leads) == ["officer_a", "officer_a"]


def test_an_inactive_user_cannot_receive_leads(w, unit_a_leads):
    w.other_a.is_active = False
    w.other_a.save()
    with pytest.raises(ApplicationError, match="other_a is no longer active. Choose an active officer."):
        leads_reassign(actor=w.manager_a, leads=unit_a_leads, to_owner=w.other_a)


def test_a_merged_lead_cannot_be_reassigned(w, unit_a_leads):
    Lead.objects.filter(pk=unit_a_leads[1].pk).update(status=Lead.Status.MERGED)  # no merge service yet
    with pytest.raises(
        IllegalStateError,
        match=f"{unit_a_leads[1].code} were merged into other leads and cannot be reassigned. Nothing was reassigned.",
    ):
        leads_reassign(actor=w.manager_a, leads=unit_a_leads, to_owner=w.other_a)
    assert owners(unit_a_leads) == ["officer_a", "officer_a"]


# --- The hand-over list -----------------------------------------------------------------------------------------


def handover_url(name: str, *args) -> str:
    return reverse(f"admin:projects_handover_{name}", args=args)


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def listed(client) -> list[int]:
    return [h.pk for h in client.get(handover_url("changelist")).context["cl"].result_list]


def test_the_hand_over_list_shows_each_side_its_hand_overs_and_nobody_else(client_as, w):
    handover = offer(w)
    for user in (w.a, w.other_a, w.manager_a, w.b, w.head_b, w.director):
        assert listed(client_as(user)) == [handover.pk], user
    assert listed(client_as(w.head_c)) == []
    assert client_as(w.head_c).get(handover_url("change", handover.pk)).status_code == 404
    assert client_as(w.recorder).get(handover_url("changelist")).status_code == 403


def test_plain_members_of_either_unit_do_not_see_hand_overs_of_a_confidential_lead(client_as, w):
    lead = make_lead(owner=w.a, unit=w.unit_a, confidential=True)
    handover = offer(w, lead=lead)
    assert listed(client_as(w.b)) == []
    assert listed(client_as(w.other_a)) == []
    assert listed(client_as(w.head_b)) == [handover.pk]


def test_a_hand_over_page_is_read_only_with_no_add_or_delete(client_as, w):
    handover = offer(w)
    client = client_as(w.head_b)
    response = client.get(handover_url("change", handover.pk))
    assert response.status_code == 200
    assert (response.context["has_change_permission"], response.context["has_delete_permission"]) == (
        False,
        False,
    )
    assert client.get(handover_url("add")).status_code == 403
    assert client.post(handover_url("change", handover.pk), {"note": "改"}).status_code == 403
    assert client.get(handover_url("history", handover.pk)).status_code == 200


@pytest.mark.parametrize("rows", [2, 20])
def test_hand_over_list_query_count_does_not_grow_with_rows(client_as, django_assert_num_queries, w, rows):
    for i in range(rows):
        lead = make_lead(owner=w.a, unit=w.unit_a, name=f"线索{i:03d}")
        handover = offer(w, lead=lead, to_unit=[w.unit_b, w.unit_c][i % 2], actor=[w.a, w.manager_a][i % 2])
        if i % 2:
            handover_decline(actor=w.head_c, handover=handover, note="本处无对口载体")
    client = client_as(w.manager_a)  # sees every row: the leads, and hand-overs from the unit they head
    # 1 session, 2 user, 3 user permissions, 4 group permissions, 5 administrator-group check, 6 memberships
    # (the scope), 7-8 the units offered by the to-unit and from-unit filters, 9 COUNT of the scoped rows, 10 the
    # page of hand-overs joined with lead, both units, requester and decider.
    with django_assert_num_queries(10):
        response = client.get(handover_url("changelist"))
    assert len(response.context["cl"].result_list) == rows


def post_action(client, url: str, action: str, rows, **form) -> object:
    data = {"action": action, helpers.ACTION_CHECKBOX_NAME: [row.pk for row in rows], **form}
    return client.post(url, data, follow=True)


def test_accepting_from_the_list_asks_for_the_new_owner_then_moves_the_lead(client_as, w):
    handover = offer(w)
    client = client_as(w.head_b)
    page = post_action(client, handover_url("changelist"), "accept", [handover])
    form = page.context["form"]
    assert [str(h) for h in page.context["objects"]] == [str(handover)]
    assert {user.username for user in form.fields["owner"].queryset} == {"officer_b", "head_b"}
    assert form.fields["owner"].initial == w.head_b.pk
    response = post_action(
        client,
        handover_url("changelist"),
        "accept",
        [handover],
        **{CONFIRM: "yes", "owner": w.b.pk, "note": "接手"},
    )
    assert response.redirect_chain == [(handover_url("changelist"), 302)]
    assert messages_of(response) == ["1 hand-over accepted."]
    assert (fresh(w.lead).owner, HandOver.objects.get().status) == (w.b, "accepted")


def test_the_head_of_the_sending_unit_sees_the_services_refusal_and_nothing_is_written(client_as, w):
    handover = offer(w)
    response = post_action(
        client_as(w.manager_a),
        handover_url("changelist"),
        "accept",
        [handover],
        **{CONFIRM: "yes", "owner": w.b.pk, "note": ""},
    )
    assert response.context["form"].is_valid()  # the page is shown again, with what was typed
    assert messages_of(response) == [
        "Only a head or manager of 产业招商一处 (or of a unit above it) can accept or decline this hand-over."
    ]
    assert (fresh(w.lead).status, HandOver.objects.get().status) == ("transferred", "pending")


def test_an_officer_is_not_offered_accept_or_decline(client_as, w):
    handover = offer(w)
    client = client_as(w.b)
    choices = dict(client.get(handover_url("changelist")).context["action_form"].fields["action"].choices)
    assert ("accept" in choices, "decline" in choices) == (False, False)
    response = post_action(
        client, handover_url("changelist"), "accept", [handover], **{CONFIRM: "yes", "owner": w.b.pk}
    )
    assert messages_of(response) == ["No action selected."]
    assert HandOver.objects.get().status == "pending"


def test_declining_from_the_list_needs_a_note_then_declines(client_as, w):
    handover = offer(w)
    client = client_as(w.head_b)
    empty = post_action(
        client, handover_url("changelist"), "decline", [handover], **{CONFIRM: "yes", "note": ""}
    )
    assert empty.context["form"].errors == {"note": ["This field is required."]}
    assert HandOver.objects.get().status == "pending"
    response = post_action(
        client,
        handover_url("changelist"),
        "decline",
        [handover],
        **{CONFIRM: "yes", "note": "本处无对口载体"},
    )
    assert messages_of(response) == ["1 hand-over declined."]
    assert (fresh(w.lead).status, HandOver.objects.get().status) == ("active", "declined")


def test_accepting_hand_overs_to_two_units_at_once_is_refused(client_as, w):
    first = offer(w)
    second = offer(w, lead=make_lead(owner=w.a, unit=w.unit_a), to_unit=w.unit_c)
    response = post_action(client_as(w.director), handover_url("changelist"), "accept", [first, second])
    assert messages_of(response) == [
        "Accept hand-overs to one unit at a time: the new owner must belong to it."
    ]
    assert set(HandOver.objects.values_list("status", flat=True)) == {"pending"}


def test_the_requester_withdraws_from_the_list(client_as, w):
    handover = offer(w)
    response = post_action(
        client_as(w.a), handover_url("changelist"), "withdraw", [handover], **{CONFIRM: "yes"}
    )
    assert messages_of(response) == ["1 hand-over withdrawn."]
    assert (fresh(w.lead).status, HandOver.objects.get().status) == ("active", "withdrawn")


# --- The lead list's hand-over and reassign actions ---------------------------------------------------------------

LEADS = reverse("admin:projects_lead_changelist")


def test_handing_over_from_the_lead_list_asks_for_the_unit_and_note(client_as, w):
    client = client_as(w.a)
    page = post_action(client, LEADS, "hand_over", [w.lead])
    assert [str(lead) for lead in page.context["objects"]] == [str(w.lead)]
    assert set(page.context["form"].fields) == {"to_unit", "note"}
    response = post_action(
        client, LEADS, "hand_over", [w.lead], **{CONFIRM: "yes", "to_unit": w.unit_b.pk, "note": NOTE}
    )
    assert response.redirect_chain == [(LEADS, 302)]
    assert messages_of(response) == ["1 lead offered to 产业招商一处; it awaits their decision."]
    assert (fresh(w.lead).status, HandOver.objects.get().to_unit) == ("transferred", w.unit_b)


def test_handing_over_a_lost_lead_shows_the_refusal_and_writes_nothing(client_as, w):
    other = make_lead(owner=w.a, unit=w.unit_a)
    services.lead_mark_lost(actor=w.a, lead=other, reason=LostReason.OTHER_LOCATION)
    response = post_action(
        client_as(w.a),
        LEADS,
        "hand_over",
        [w.lead, other],
        **{CONFIRM: "yes", "to_unit": w.unit_b.pk, "note": NOTE},
    )
    assert messages_of(response) == ["Only an active or paused lead can be handed over; this one is “Lost”."]
    assert response.context["form"]["note"].value() == NOTE
    assert (fresh(w.lead).status, HandOver.objects.count()) == ("active", 0)


def test_a_lead_out_of_scope_is_not_handed_over(client_as, w):
    response = post_action(
        client_as(w.b), LEADS, "hand_over", [w.lead], **{CONFIRM: "yes", "to_unit": w.unit_b.pk, "note": NOTE}
    )
    assert messages_of(response) == ["None of the selected rows can be changed."]
    assert HandOver.objects.count() == 0


def test_reassigning_from_the_lead_list(client_as, w, unit_a_leads):
    client = client_as(w.manager_a)
    page = post_action(client, LEADS, "reassign", unit_a_leads)
    assert set(page.context["form"].fields) == {"to_owner", "note"}
    response = post_action(
        client, LEADS, "reassign", unit_a_leads, **{CONFIRM: "yes", "to_owner": w.other_a.pk, "note": "交接"}
    )
    assert messages_of(response) == ["2 leads reassigned to other_a."]
    assert owners(unit_a_leads) == ["other_a", "other_a"]


def test_reassigning_to_the_current_owner_says_so(client_as, w, unit_a_leads):
    response = post_action(
        client_as(w.manager_a), LEADS, "reassign", unit_a_leads, **{CONFIRM: "yes", "to_owner": w.a.pk}
    )
    assert messages_of(response) == ["0 leads reassigned to officer_a. 2 were already theirs."]


def test_reassign_is_offered_to_managers_only(client_as, w):
    officer = dict(client_as(w.a).get(LEADS).context["action_form"].fields["action"].choices)
    manager = dict(client_as(w.manager_a).get(LEADS).context["action_form"].fields["action"].choices)
    assert ("reassign" in officer, "hand_over" in officer) == (False, True)
    assert ("reassign" in manager, "hand_over" in manager) == (True, True)


# --- Read-only while offered: the other write paths ---------------------------------------------------------


def test_an_offered_lead_takes_no_records_from_the_receiver_but_still_from_its_owner(w, client_as):
    offer(w)
    body = {"kind": "call", "occurred_at": timezone.now().isoformat(), "summary": "电话沟通"}
    url = f"/api/v1/leads/{w.lead.pk}/activities/"
    receiver, owner = client_as(w.head_b), client_as(w.a)
    assert receiver.get(url).status_code == 200  # reads it
    refused = receiver.post(url, body, content_type="application/json")
    assert refused.status_code == 403
    assert (
        refused.json()["detail"] == "This lead is offered to your unit: it is read-only until you accept it."
    )
    assert owner.post(url, body, content_type="application/json").status_code == 201
    assert receiver.get(reverse("projects:quick-log"), {"lead": w.lead.pk}).status_code == 403
    assert owner.get(reverse("projects:quick-log"), {"lead": w.lead.pk}).status_code == 200
    assert w.lead.activities.count() == 1
