"""Merging a duplicate lead B (the source) into A (the target): B's stage changes stay on B, which becomes merged;
its records move to A, where A's template milestones and aftercare touch-points win; a second new signing with
the same investor blocks the merge; only a manager who sees both leads may merge."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.contrib.admin import helpers
from django.urls import reverse
from django.utils import timezone, translation

from accounts.roles import Role
from core.errors import ApplicationError, IllegalStateError
from projects import services
from projects.models import (
    Activity,
    AftercareTouchpoint,
    CapitalInjection,
    CoordinationNeed,
    Document,
    Lead,
    LeadContact,
    LeadType,
    Milestone,
    MilestoneTemplate,
    Pass,
    Signing,
)
from projects.services.merge import lead_merge
from projects.stages import Stage
from talent.models import RecruitmentEvent
from tests.factories import join, make_lead, make_organization, make_user
from tests.projects.conftest import ago, form_data, talent_contacts, upload

pytestmark = pytest.mark.django_db

NEGOTIATING_EVIDENCE = {"needs_list": "实验室 300 平方米、洁净间"}
RELATED = {
    "activities": Activity,
    "documents": Document,
    "lead_contacts": LeadContact,
    "coordination_needs": CoordinationNeed,
    "signings": Signing,
    "capital_injections": CapitalInjection,
    "milestones": Milestone,
    "aftercare_touchpoints": AftercareTouchpoint,
    "stage_changes": None,
}


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def holdings(lead: Lead) -> dict[str, set[int]]:
    """The ids of every kind of record the lead holds."""
    return {name: set(getattr(lead, name).values_list("pk", flat=True)) for name in RELATED}


def history_count() -> int:
    return sum(model.history.count() for model in RELATED.values() if model) + Lead.history.count()


def sign(lead: Lead, actor, investor, **fields) -> Signing:
    fields.setdefault("signed_on", timezone.localdate())
    return services.signing_create(
        actor=actor, lead=lead, investor=investor, amount=Decimal("5000000"), currency="CNY", **fields
    )


@pytest.fixture
def pair(world):
    """Target: the world's lead at NEGOTIATING (without G1, which only companies get), one contact link and
    the 1-month aftercare touch-point. Source: a company lead of another officer of unit A, at NEGOTIATING,
    with two of every record, one contact link and one touch-point the target already has."""
    MilestoneTemplate.objects.filter(code="G1").update(lead_types=[LeadType.COMPANY])
    officer_c = join(make_user(Role.OFFICER, username="officer_c"), world.unit_a)
    alice, bob = talent_contacts(2, owner=world.a, unit=world.unit_a)
    target = world.lead
    services.lead_advance(
        lead=target, to_stage=Stage.NEGOTIATING, actor=world.a, evidence=NEGOTIATING_EVIDENCE
    )
    services.lead_contact_add(actor=world.a, lead=target, contact=alice, role=LeadContact.Role.PI)
    AftercareTouchpoint.objects.create(lead=target, months=1, due_on=timezone.localdate())

    source = make_lead(
        owner=officer_c,
        unit=world.unit_a,
        name="港科大 量子芯片公司",
        lead_type=LeadType.COMPANY,
        co_owners=[world.b, world.a],
        occurred_at=ago(days=3),
    )
    services.lead_advance(
        lead=source, to_stage=Stage.NEGOTIATING, actor=officer_c, evidence=NEGOTIATING_EVIDENCE
    )
    for hours in (3, 2):
        services.activity_log(
            actor=officer_c,
            lead=source,
            kind=Activity.Kind.CALL,
            occurred_at=ago(hours=hours),
            summary="电话沟通",
            participants=[world.a],
            contacts=[bob],
        )
    upload(source, officer_c, "意向书.pdf")
    upload(source, officer_c, "会议纪要.pdf")
    for contact, role in ((alice, LeadContact.Role.PI), (bob, LeadContact.Role.FOUNDER), (alice, "advisor")):
        services.lead_contact_add(actor=officer_c, lead=source, contact=contact, role=role)
    for department in ("园区规划建设局", "市场监管局"):
        services.coordination_need_add(
            actor=officer_c, lead=source, request="协调洁净间", department=department
        )
    sign(source, officer_c, make_organization("SEQ", "红杉资本"))
    sign(source, officer_c, make_organization("SEQ", "红杉资本"), kind=Signing.Kind.CAPITAL_INCREASE)
    for amount in ("1000000", "2000000"):
        services.capital_injection_create(
            actor=officer_c,
            lead=source,
            received_on=timezone.localdate(),
            amount=Decimal(amount),
            currency="CNY",
        )
    resources = Pass.objects.get(code="resources")
    for title in ("临时事项", "补充材料"):
        services.milestone_add(actor=officer_c, lead=source, lead_pass=resources, title=title)
    for months in (1, 3):
        AftercareTouchpoint.objects.create(lead=source, months=months, due_on=timezone.localdate())
    source.refresh_from_db()
    target.refresh_from_db()
    return SimpleNamespace(source=source, target=target, officer_c=officer_c, alice=alice, bob=bob)


# --- What moves and what stays ---------------------------------------------------------------------------------


def test_merging_moves_the_sources_records_and_leaves_its_stage_changes_and_the_targets_wins(world, pair):
    source, target = pair.source, pair.target
    before_source, before_target = holdings(source), holdings(target)
    stays = {
        # The target already links Alice as PI, and has every template the source has but G1, and a
        # 1-month touch-point: those copies stay on the source, with its stage changes.
        "lead_contacts": {
            pk
            for pk in before_source["lead_contacts"]
            if LeadContact.objects.filter(pk=pk, contact=pair.alice, role=LeadContact.Role.PI).exists()
        },
        "milestones": set(
            source.milestones.filter(template__code__in=["G6", "R1", "T1", "T5"]).values_list("pk", flat=True)
        ),
        "aftercare_touchpoints": set(
            source.aftercare_touchpoints.filter(months=1).values_list("pk", flat=True)
        ),
        "stage_changes": before_source["stage_changes"],
    }
    assert {name: len(ids) for name, ids in stays.items()} == {
        "lead_contacts": 1,
        "milestones": 4,
        "aftercare_touchpoints": 1,
        "stage_changes": 2,
    }
    assert len(before_source["milestones"]) == 7  # G1 G6 R1 T1 T5, and two ad-hoc ones

    merged = lead_merge(actor=world.director, source=source, target=target, note="同一团队，重复登记")

    after_source, after_target = holdings(source), holdings(target)
    expected_source = {name: stays.get(name, set()) for name in RELATED}
    expected_target = {
        name: before_target[name] | (before_source[name] - stays.get(name, set())) for name in RELATED
    }
    expected_target["stage_changes"] = before_target["stage_changes"]
    assert after_source == expected_source
    assert after_target == expected_target
    assert sorted(
        target.milestones.filter(template__isnull=False).values_list("template__code", flat=True)
    ) == [
        "G1",
        "G6",
        "R1",
        "T1",
        "T5",
    ]
    assert merged == target


def test_the_source_leaves_the_funnel_and_its_people_become_co_owners_of_the_target(world, pair):
    lead_merge(actor=world.director, source=pair.source, target=pair.target, note="同一团队，重复登记")
    pair.source.refresh_from_db()
    pair.target.refresh_from_db()
    assert (pair.source.status, pair.source.merged_into, pair.source.status_note) == (
        Lead.Status.MERGED,
        pair.target,
        "同一团队，重复登记",
    )
    assert pair.source.stage == Stage.NEGOTIATING
    # The target's owner is not made a co-owner of their own lead.
    assert set(pair.target.co_owners.all()) == {pair.officer_c, world.b}
    assert pair.target.owner == world.a
    assert pair.target.last_activity_at == Activity.objects.order_by("-occurred_at").first().occurred_at


def test_every_moved_row_and_both_leads_get_a_history_row_by_the_manager(world, pair):
    moved = {
        "activities": list(pair.source.activities.all()),
        "documents": list(pair.source.documents.all()),
        "signings": list(pair.source.signings.all()),
        "capital_injections": list(pair.source.capital_injections.all()),
        "coordination_needs": list(pair.source.coordination_needs.all()),
        "lead_contacts": list(pair.source.lead_contacts.filter(contact=pair.bob)),
        "milestones": list(pair.source.milestones.filter(template__isnull=True)),
        "aftercare_touchpoints": list(pair.source.aftercare_touchpoints.filter(months=3)),
    }
    lead_merge(actor=world.director, source=pair.source, target=pair.target)
    for rows in moved.values():
        for row in rows:
            latest = row.history.order_by("-history_id").first()
            assert (latest.history_type, latest.history_user, latest.lead_id) == (
                "~",
                world.director,
                pair.target.pk,
            )
    # An activity's history row keeps who took part, as a save would record it.
    latest_activity = moved["activities"][0].history.order_by("-history_id").first()
    assert list(latest_activity.contacts.values_list("contact_id", flat=True)) == [pair.bob.pk]
    source_history = pair.source.history.order_by("-history_id").first()
    assert (source_history.history_user, source_history.status) == (world.director, Lead.Status.MERGED)
    target_history = pair.target.history.order_by("-history_id").first()
    assert target_history.history_user == world.director


def test_a_later_new_signing_brought_by_the_merge_gives_up_its_event_credit(world, pair):
    """A project counts once: only the merged lead's first new signing credits its event."""
    day = timezone.localdate()
    fair = RecruitmentEvent.objects.create(name="苏港创新合作交流会", starts_on=day, ends_on=day)
    earlier = sign(
        pair.target,
        world.a,
        make_organization("HKX", "港投公司"),
        event=fair,
        signed_on=day - dt.timedelta(days=9),
    )
    later = pair.source.signings.get(kind=Signing.Kind.NEW)
    Signing.objects.filter(pk=later.pk).update(event=fair, credited_event=fair)
    lead_merge(actor=world.director, source=pair.source, target=pair.target)
    earlier.refresh_from_db()
    later.refresh_from_db()
    assert (earlier.credited_event, later.credited_event, later.event) == (fair, None, fair)


# --- What blocks a merge -----------------------------------------------------------------------------------------


def test_a_second_new_signing_with_the_same_investor_blocks_the_merge_and_nothing_is_written(world, pair):
    sign(pair.target, world.a, make_organization("SEQ", "红杉资本"))
    before = (holdings(pair.source), holdings(pair.target), history_count())
    with pytest.raises(IllegalStateError) as caught:
        lead_merge(actor=world.director, source=pair.source, target=pair.target)
    assert caught.value.message == (
        f"{pair.target.code} 港科大 量子计算研发团队 and {pair.source.code} 港科大 量子芯片公司 both have a new "
        "signing with 红杉资本 (SEQ), and a lead has one new signing per investor. Correct the signing of "
        f"{pair.source.code} 港科大 量子芯片公司 (is it a capital increase or a re-signing?) before merging."
    )
    assert (holdings(pair.source), holdings(pair.target), history_count()) == before
    pair.source.refresh_from_db()
    assert (pair.source.status, pair.source.merged_into) == (Lead.Status.ACTIVE, None)


def test_an_officer_may_not_merge_where_a_manager_of_the_same_unit_may(world, pair):
    with pytest.raises(ApplicationError) as caught:
        lead_merge(actor=world.a, source=pair.source, target=pair.target)
    assert caught.value.message == "Only a manager can merge leads."
    assert pair.source.activities.count() == 2
    lead_merge(actor=world.manager_a, source=pair.source, target=pair.target)
    assert pair.source.activities.count() == 0


def test_a_lead_outside_the_managers_scope_cannot_be_merged_either_way(world):
    elsewhere = make_lead(owner=world.b, unit=world.unit_b, name="产业一处的团队")
    message = f"No lead {elsewhere.code} among the leads you can see."
    with pytest.raises(ApplicationError) as caught:
        lead_merge(actor=world.manager_a, source=elsewhere, target=world.lead)
    assert caught.value.message == message
    with pytest.raises(ApplicationError) as caught:
        lead_merge(actor=world.manager_a, source=world.lead, target=elsewhere)
    assert caught.value.message == message
    assert Lead.objects.filter(status=Lead.Status.MERGED).count() == 0
    # The bureau's director sees both.
    lead_merge(actor=world.director, source=elsewhere, target=world.lead)
    elsewhere.refresh_from_db()
    assert elsewhere.merged_into == world.lead


def test_a_lead_cannot_be_merged_into_itself(world):
    with pytest.raises(ApplicationError, match="cannot be merged into itself"):
        lead_merge(actor=world.manager_a, source=world.lead, target=world.lead)


def test_a_merged_lead_can_be_neither_source_nor_target(world):
    first = make_lead(owner=world.a, unit=world.unit_a)
    second = make_lead(owner=world.a, unit=world.unit_a)
    lead_merge(actor=world.manager_a, source=first, target=world.lead)
    with pytest.raises(IllegalStateError) as caught:
        lead_merge(actor=world.manager_a, source=first, target=second)
    assert caught.value.message == f"{first} was already merged into {world.lead}."
    with pytest.raises(IllegalStateError) as caught:
        lead_merge(actor=world.manager_a, source=second, target=first)
    assert caught.value.message == f"{first} was already merged into {world.lead}."


def test_a_lead_awaiting_a_hand_over_cannot_be_merged(world):
    other = make_lead(owner=world.a, unit=world.unit_a)
    Lead.objects.filter(pk=other.pk).update(status=Lead.Status.TRANSFERRED)
    for source, target in ((other, world.lead), (world.lead, other)):
        with pytest.raises(IllegalStateError) as caught:
            lead_merge(actor=world.manager_a, source=source, target=target)
        assert caught.value.message == (
            f"{other} is awaiting acceptance by another unit; merge it once the hand-over is decided."
        )


def test_a_lost_or_paused_target_may_receive_a_merge(world):
    source = make_lead(owner=world.a, unit=world.unit_a)
    services.lead_mark_lost(actor=world.a, lead=world.lead, reason="no_progress")
    lead_merge(actor=world.manager_a, source=source, target=world.lead)
    source.refresh_from_db()
    assert source.status == Lead.Status.MERGED


def test_leads_of_different_tracks_cannot_be_merged(world):
    talent = make_lead(owner=world.a, unit=world.unit_a, lead_type=LeadType.TALENT)
    with pytest.raises(ApplicationError) as caught:
        lead_merge(actor=world.manager_a, source=talent, target=world.lead)
    assert caught.value.message == (
        f"{talent} is on the Talent track and {world.lead} on the Organization track: only leads of the same "
        "track can be merged."
    )


def test_a_merged_lead_is_read_only_afterwards(world):
    source = make_lead(owner=world.a, unit=world.unit_a)
    lead_merge(actor=world.manager_a, source=source, target=world.lead)
    source.refresh_from_db()
    with pytest.raises(IllegalStateError):
        services.lead_update(actor=world.a, lead=source, description="改一下")


# --- In the admin --------------------------------------------------------------------------------------------------


def admin_url(name: str, *args) -> str:
    return reverse(f"admin:projects_lead_{name}", args=args)


def merge_action(client, leads: list[Lead], **data):
    return client.post(
        admin_url("changelist"),
        {"action": "merge_into", helpers.ACTION_CHECKBOX_NAME: [str(lead.pk) for lead in leads], **data},
        follow=True,
    )


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def test_the_merge_action_asks_for_the_target_then_merges_every_selected_lead(client_as, world):
    first = make_lead(owner=world.a, unit=world.unit_a)
    second = make_lead(owner=world.a, unit=world.unit_a)
    client = client_as(world.manager_a)
    page = merge_action(client, [second, first])
    assert page.templates[0].name == "admin/projects/lead_merge_form.html"
    assert [lead.code for lead in page.context["sources"]] == [first.code, second.code]
    # The target may be among the selected leads, and its code typed in any case.
    done = merge_action(
        client, [first, second, world.lead], apply="1", target=world.lead.code.lower(), note="重复登记"
    )
    assert messages_of(done) == [f"2 leads merged into {world.lead}."]
    assert set(Lead.objects.filter(merged_into=world.lead).values_list("pk", "status_note")) == {
        (first.pk, "重复登记"),
        (second.pk, "重复登记"),
    }


def test_the_merge_action_is_all_or_nothing(client_as, world):
    investor = make_organization("SEQ", "红杉资本")
    clean = make_lead(owner=world.a, unit=world.unit_a, name="甲")
    clashing = make_lead(owner=world.a, unit=world.unit_a, name="乙")
    sign(clashing, world.a, investor)
    sign(world.lead, world.a, investor)
    page = merge_action(client_as(world.manager_a), [clean, clashing], apply="1", target=world.lead.code)
    [message] = messages_of(page)
    assert message.endswith("before merging.")
    assert page.templates[0].name == "admin/projects/lead_merge_form.html"
    assert Lead.objects.filter(status=Lead.Status.MERGED).count() == 0


def test_a_target_outside_the_scope_is_refused_beside_the_field(client_as, world):
    elsewhere = make_lead(owner=world.b, unit=world.unit_b)
    source = make_lead(owner=world.a, unit=world.unit_a)
    page = merge_action(client_as(world.manager_a), [source], apply="1", target=elsewhere.code)
    assert page.context["form"].errors == {
        "target": [f"No lead {elsewhere.code} among the leads you can see."]
    }
    source.refresh_from_db()
    assert source.status == Lead.Status.ACTIVE


def test_an_officer_is_not_offered_the_merge_action_and_posting_it_merges_nothing(client_as, world):
    source = make_lead(owner=world.a, unit=world.unit_a)
    client = client_as(world.a)
    listed = client.get(admin_url("changelist"))
    assert "merge_into" not in dict(listed.context["action_form"].fields["action"].choices)
    assert "merge_into" in dict(
        client_as(world.manager_a)
        .get(admin_url("changelist"))
        .context["action_form"]
        .fields["action"]
        .choices
    )
    merge_action(client, [source], apply="1", target=world.lead.code)
    source.refresh_from_db()
    assert source.status == Lead.Status.ACTIVE


def test_the_lead_page_lists_the_possible_duplicates_the_viewer_can_see(client_as, world):
    twin = make_lead(
        owner=world.director,
        unit=world.unit_b,
        name="港科大 量子計算研發團隊",
        allow_duplicate=True,
    )
    by_director = client_as(world.director).get(admin_url("change", world.lead.pk))
    assert by_director.context["adminform"].form.instance._duplicates_viewer == world.director
    assert (
        f'<a href="{admin_url("change", twin.pk)}">{twin.code}</a> {twin.name} (产业招商一处)'
        in by_director.content.decode()
    )
    by_officer = client_as(world.a).get(admin_url("change", world.lead.pk))
    assert twin.code not in by_officer.content.decode()


def test_registering_a_duplicate_in_admin_is_refused_beside_the_name_with_what_was_typed_kept(
    client_as, world
):
    client = client_as(world.b)
    data = form_data(client.get(admin_url("add")))
    assert "allow_duplicate" not in data
    data.update(
        {
            "name": "港科大量子計算研發團隊",
            "lead_type": LeadType.UNIVERSITY_TEAM,
            "source_channel": "event",
            "hk_organization": world.lead.hk_organization_id,
            "owning_unit": world.unit_b.pk,
        }
    )
    response = client.post(admin_url("add"), data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "name": [
            "A lead with the same Hong Kong organization and name is already registered by another unit. "
            "A manager can decide whether to register this one anyway."
        ]
    }
    assert response.context["adminform"].form["name"].value() == "港科大量子計算研發團隊"
    assert Lead.objects.count() == 1


def test_a_manager_registers_a_duplicate_in_admin_by_ticking_register_anyway(client_as, world):
    client = client_as(world.director)
    data = form_data(client.get(admin_url("add")))
    assert "allow_duplicate" in response_fields(client)
    data.update(
        {
            "name": "港科大量子計算研發團隊",
            "lead_type": LeadType.UNIVERSITY_TEAM,
            "source_channel": "event",
            "hk_organization": world.lead.hk_organization_id,
            "owning_unit": world.unit_b.pk,
        }
    )
    refused = client.post(admin_url("add"), data)
    assert list(refused.context["adminform"].form.errors) == ["name"]
    assert (
        refused.context["adminform"]
        .form.errors["name"][0]
        .startswith(
            f"A lead with the same Hong Kong organization and name is already registered: {world.lead.code} (香港合作处)."
        )
    )
    registered = client.post(admin_url("add"), {**data, "allow_duplicate": "on"})
    assert registered.status_code == 302
    assert Lead.objects.filter(hk_organization=world.lead.hk_organization).count() == 2


def response_fields(client) -> list[str]:
    """The fields the add page renders."""
    adminform = client.get(admin_url("add")).context["adminform"]
    return [field.field.name for fieldset in adminform for line in fieldset for field in line]
