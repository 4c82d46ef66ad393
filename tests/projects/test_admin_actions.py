"""The lead's actions in admin: advance, pause, resume, mark lost, reopen. Each calls its service; a refusal is
shown as the service's message with nothing written."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.admin import helpers
from django.urls import reverse
from django.utils import timezone

from directory import services as directory_services
from directory.models import Carrier, Organization, Region
from projects import services
from projects.models import Lead, LostReason, PauseReason, StageChange
from projects.stages import Stage
from tests.factories import VALID_USCC, make_lead
from tests.projects.conftest import upload

pytestmark = pytest.mark.django_db

ACTION_VIEWS = ["advance", "pause", "resume", "lost", "reopen", "add_signing", "add_capital_injection"]


def lead_url(name: str, lead: Lead) -> str:
    return reverse(f"admin:projects_lead_{name}", args=[lead.pk])


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def now_fields(name: str = "occurred_at") -> dict[str, str]:
    now = timezone.localtime()
    # With microseconds, as a move made this very second must not look older than the lead's creation.
    return {f"{name}_0": now.date().isoformat(), f"{name}_1": now.strftime("%H:%M:%S.%f")}


def in_days(days: int) -> str:
    return (timezone.localdate() + dt.timedelta(days=days)).isoformat()


def history_rows(lead: Lead) -> list[tuple[str, str, str]]:
    return [(h.history_type, h.status, h.stage) for h in lead.history.order_by("history_id")]


@pytest.fixture
def suzhou_park():
    return directory_services.carrier_create(name="苏州工业园区", kind=Carrier.Kind.DISTRICT)


@pytest.fixture
def qianhai():
    return directory_services.organization_create(
        kind=Organization.Kind.COMPETING_LOCATION, name="深圳前海", region=Region.MAINLAND
    )


# --- Who reaches the action pages ----------------------------------------------------------------------------------


@pytest.mark.parametrize("view", ACTION_VIEWS)
def test_action_pages_answer_the_owning_units_officer_and_404_to_another_units(client_as, world, view):
    assert client_as(world.a).get(lead_url(view, world.lead)).status_code == 200
    assert client_as(world.b).get(lead_url(view, world.lead)).status_code == 404


@pytest.mark.parametrize("view", ACTION_VIEWS)
def test_action_pages_are_forbidden_to_a_recorder_whether_or_not_the_lead_exists(client_as, world, view):
    client = client_as(world.recorder)
    assert client.get(lead_url(view, world.lead)).status_code == 403
    assert client.get(reverse(f"admin:projects_lead_{view}", args=[999999])).status_code == 403


def test_the_lead_page_offers_the_actions_its_status_allows(client_as, world):
    response = client_as(world.a).get(reverse("admin:projects_lead_change", args=[world.lead.pk]))
    assert [label for _url, label in response.context["lead_tools"]] == [
        "Advance stage",
        "Pause",
        "Mark lost",
        "Record a signing",
        "Record a capital injection",
        "Upload a document",
        "Log an activity",
    ]


def test_a_lost_lead_offers_reopening_to_a_manager_only(client_as, world):
    services.lead_mark_lost(actor=world.a, lead=world.lead, reason=LostReason.POOR_FIT)
    change = reverse("admin:projects_lead_change", args=[world.lead.pk])
    officer_tools = [label for _url, label in client_as(world.a).get(change).context["lead_tools"]]
    manager_tools = [label for _url, label in client_as(world.manager_a).get(change).context["lead_tools"]]
    assert "Reopen" not in officer_tools
    assert manager_tools[0] == "Reopen"


# --- Changelist actions: exactly one lead, then its page ---------------------------------------------------------


def run_action(client, action: str, leads: list[Lead]):
    return client.post(
        reverse("admin:projects_lead_changelist"),
        {"action": action, helpers.ACTION_CHECKBOX_NAME: [lead.pk for lead in leads]},
    )


@pytest.mark.parametrize(
    ("action", "view"),
    [
        ("advance_stage", "advance"),
        ("pause_lead", "pause"),
        ("resume_lead", "resume"),
        ("mark_lost", "lost"),
    ],
)
def test_a_changelist_action_on_one_lead_opens_its_page(client_as, world, action, view):
    response = run_action(client_as(world.a), action, [world.lead])
    assert (response.status_code, response["Location"]) == (302, lead_url(view, world.lead))


def test_a_changelist_action_on_two_leads_is_refused_with_a_message(client_as, world):
    other = make_lead(owner=world.a, unit=world.unit_a)
    client = client_as(world.a)
    response = client.post(
        reverse("admin:projects_lead_changelist"),
        {"action": "advance_stage", helpers.ACTION_CHECKBOX_NAME: [world.lead.pk, other.pk]},
        follow=True,
    )
    assert response.redirect_chain == [(reverse("admin:projects_lead_changelist"), 302)]
    assert messages_of(response) == ["Choose exactly one lead for this action."]


def test_the_reopen_action_is_offered_to_managers_only(client_as, world):
    changelist = reverse("admin:projects_lead_changelist")
    officer_actions = dict(client_as(world.a).get(changelist).context["action_form"].fields["action"].choices)
    manager_actions = dict(
        client_as(world.manager_a).get(changelist).context["action_form"].fields["action"].choices
    )
    assert "reopen_lead" not in officer_actions
    assert "reopen_lead" in manager_actions


def test_a_changelist_action_on_a_lead_out_of_scope_selects_nothing(client_as, world):
    response = run_action(client_as(world.b), "advance_stage", [world.lead])
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:projects_lead_changelist")


# --- Advance -------------------------------------------------------------------------------------------------


def test_the_advance_page_asks_for_the_next_stages_evidence(client_as, world):
    response = client_as(world.a).get(lead_url("advance", world.lead))
    assert response.context["to_stage"] == Stage.QUALIFIED
    assert list(response.context["form"].fields) == [
        "to_stage",
        "occurred_at",
        "note",
        "assessment",
        "decision",
    ]


def test_the_advance_page_offers_only_this_leads_documents_as_evidence(client_as, world):
    licence = upload(world.lead, world.a, "营业执照.pdf")
    upload(make_lead(owner=world.a, unit=world.unit_a), world.a, "别的线索的执照.pdf")
    response = client_as(world.a).get(lead_url("advance", world.lead), {"to": Stage.REGISTERED})
    form = response.context["form"]
    assert list(form.fields) == [
        "to_stage",
        "occurred_at",
        "note",
        "uscc",
        "registration_date",
        "document_ids",
    ]
    assert list(form.fields["document_ids"].queryset) == [licence]


def test_advancing_records_the_stage_change_its_evidence_and_the_leads_history(client_as, world, suzhou_park):
    visit_day = timezone.localdate().isoformat()
    response = client_as(world.a).post(
        lead_url("advance", world.lead),
        {"to_stage": Stage.VISITED, **now_fields(), "visit_date": visit_day, "carrier_ids": [suzhou_park.pk]},
        follow=True,
    )
    assert response.redirect_chain == [(reverse("admin:projects_lead_change", args=[world.lead.pk]), 302)]
    assert messages_of(response) == [f"{world.lead} moved to “Site visit”."]
    change = world.lead.stage_changes.last()
    assert (change.from_stage, change.to_stage, change.actor) == (Stage.LEAD, Stage.VISITED, world.a)
    assert change.evidence == {"visit_date": visit_day, "carrier_ids": [suzhou_park.pk]}
    assert history_rows(world.lead)[-1] == ("~", Lead.Status.ACTIVE, Stage.VISITED)
    assert world.lead.history.latest().history_user == world.a


def test_advancing_with_a_document_attaches_it_to_the_stage_change(client_as, world):
    licence = upload(world.lead, world.a, "营业执照.pdf")
    registered_on = timezone.localdate().isoformat()
    client_as(world.a).post(
        lead_url("advance", world.lead),
        {
            "to_stage": Stage.REGISTERED,
            **now_fields(),
            "uscc": VALID_USCC,
            "registration_date": registered_on,
            "document_ids": [licence.pk],
        },
    )
    change = world.lead.stage_changes.last()
    licence.refresh_from_db()
    world.lead.refresh_from_db()
    assert change.to_stage == Stage.REGISTERED
    assert (licence.stage_change, licence.attached) == (change, True)
    assert (world.lead.uscc, world.lead.registered_on.isoformat()) == (VALID_USCC, registered_on)


def test_advancing_without_the_evidence_shows_what_is_missing_and_writes_nothing(client_as, world):
    history_before = history_rows(world.lead)
    response = client_as(world.a).post(
        lead_url("advance", world.lead), {"to_stage": Stage.QUALIFIED, **now_fields(), "assessment": "  "}
    )
    assert response.status_code == 200
    assert messages_of(response) == [
        "To enter “Qualified” this lead still needs an assessment note (研判意见); the decision to follow the lead."
    ]
    assert response.context["form"]["assessment"].value() == "  "
    assert StageChange.objects.filter(lead=world.lead).count() == 1
    assert history_rows(world.lead) == history_before


def test_moving_back_needs_a_manager_and_the_officer_sees_why(client_as, world):
    services.lead_advance(
        lead=world.lead,
        to_stage=Stage.QUALIFIED,
        actor=world.a,
        evidence={"assessment": "团队扎实", "decision": "follow"},
    )
    response = client_as(world.a).post(
        lead_url("advance", world.lead), {"to_stage": Stage.LEAD, **now_fields(), "note": "重新评估"}
    )
    assert messages_of(response) == ["Only a manager can move a lead back to an earlier stage."]
    world.lead.refresh_from_db()
    assert world.lead.stage == Stage.QUALIFIED


def test_a_manager_moves_a_lead_back_with_a_note_and_no_evidence(client_as, world):
    services.lead_advance(
        lead=world.lead,
        to_stage=Stage.QUALIFIED,
        actor=world.a,
        evidence={"assessment": "团队扎实", "decision": "follow"},
    )
    client = client_as(world.manager_a)
    page = client.get(lead_url("advance", world.lead), {"to": Stage.LEAD})
    assert list(page.context["form"].fields) == ["to_stage", "occurred_at", "note"]
    client.post(lead_url("advance", world.lead), {"to_stage": Stage.LEAD, **now_fields(), "note": "重新评估"})
    change = world.lead.stage_changes.last()
    assert (change.from_stage, change.to_stage, change.actor, change.note) == (
        Stage.QUALIFIED,
        Stage.LEAD,
        world.manager_a,
        "重新评估",
    )


# --- Pause, resume, lost, reopen ---------------------------------------------------------------------------------


def test_pausing_records_reason_and_review_date(client_as, world):
    response = client_as(world.a).post(
        lead_url("pause", world.lead),
        {"reason": PauseReason.FINANCING, "resume_review_on": in_days(30), "note": "等A轮融资"},
        follow=True,
    )
    assert messages_of(response) == [f"{world.lead} is paused until {in_days(30)}."]
    world.lead.refresh_from_db()
    assert (world.lead.status, world.lead.pause_reason, world.lead.resume_review_on.isoformat()) == (
        Lead.Status.PAUSED,
        PauseReason.FINANCING,
        in_days(30),
    )
    assert history_rows(world.lead)[-1] == ("~", Lead.Status.PAUSED, Stage.LEAD)
    assert world.lead.history.latest().history_user == world.a


def test_pausing_until_today_is_refused_and_writes_nothing(client_as, world):
    history_before = history_rows(world.lead)
    response = client_as(world.a).post(
        lead_url("pause", world.lead), {"reason": PauseReason.FINANCING, "resume_review_on": in_days(0)}
    )
    assert response.status_code == 200
    assert messages_of(response) == ["The review date must be in the future."]
    assert history_rows(world.lead) == history_before


def test_resuming_a_paused_lead(client_as, world):
    services.lead_pause(
        actor=world.a,
        lead=world.lead,
        reason=PauseReason.TEAM_BUSY,
        resume_review_on=timezone.localdate() + dt.timedelta(days=7),
    )
    response = client_as(world.a).post(lead_url("resume", world.lead), {"note": "团队回复"}, follow=True)
    assert messages_of(response) == [f"{world.lead} is active again."]
    assert history_rows(world.lead)[-2:] == [
        ("~", Lead.Status.PAUSED, Stage.LEAD),
        ("~", Lead.Status.ACTIVE, Stage.LEAD),
    ]


def test_resuming_an_active_lead_is_refused_and_writes_nothing(client_as, world):
    history_before = history_rows(world.lead)
    response = client_as(world.a).post(lead_url("resume", world.lead), {"note": ""})
    assert messages_of(response) == ["Only a paused lead can be resumed; this one is “Active”."]
    assert history_rows(world.lead) == history_before


def test_marking_lost_records_reason_and_competing_location(client_as, world, qianhai):
    response = client_as(world.a).post(
        lead_url("lost", world.lead),
        {"reason": LostReason.OTHER_LOCATION, "lost_to": qianhai.pk, "note": "前海补贴更高"},
        follow=True,
    )
    assert messages_of(response) == [f"{world.lead} is marked lost."]
    world.lead.refresh_from_db()
    assert (world.lead.status, world.lead.lost_reason, world.lead.lost_to, world.lead.status_note) == (
        Lead.Status.LOST,
        LostReason.OTHER_LOCATION,
        qianhai,
        "前海补贴更高",
    )
    assert history_rows(world.lead)[-1] == ("~", Lead.Status.LOST, Stage.LEAD)


def test_only_competing_locations_can_be_named_as_the_winner(client_as, world):
    response = client_as(world.a).post(
        lead_url("lost", world.lead),
        {"reason": LostReason.OTHER_LOCATION, "lost_to": world.lead.hk_organization_id},
    )
    assert response.context["form"].errors == {
        "lost_to": ["Select a valid choice. That choice is not one of the available choices."]
    }
    world.lead.refresh_from_db()
    assert world.lead.status == Lead.Status.ACTIVE


def test_marking_a_lost_lead_lost_again_is_refused_and_writes_nothing(client_as, world):
    services.lead_mark_lost(actor=world.a, lead=world.lead, reason=LostReason.POOR_FIT)
    history_before = history_rows(world.lead)
    response = client_as(world.a).post(lead_url("lost", world.lead), {"reason": LostReason.SPACE})
    assert messages_of(response) == ["Only an active or paused lead can be marked lost; this one is “Lost”."]
    assert history_rows(world.lead) == history_before


def test_a_manager_reopens_a_lost_lead(client_as, world):
    services.lead_mark_lost(actor=world.a, lead=world.lead, reason=LostReason.POOR_FIT)
    response = client_as(world.manager_a).post(
        lead_url("reopen", world.lead), {"note": "团队改变方向，重新跟进"}, follow=True
    )
    assert messages_of(response) == [f"{world.lead} is active again."]
    world.lead.refresh_from_db()
    assert (world.lead.status, world.lead.lost_reason, world.lead.status_note) == (
        Lead.Status.ACTIVE,
        "",
        "团队改变方向，重新跟进",
    )
    latest = world.lead.history.latest()
    assert (latest.history_type, latest.status, latest.history_user) == (
        "~",
        Lead.Status.ACTIVE,
        world.manager_a,
    )


def test_an_officer_cannot_reopen_and_nothing_is_written(client_as, world):
    services.lead_mark_lost(actor=world.a, lead=world.lead, reason=LostReason.POOR_FIT)
    history_before = history_rows(world.lead)
    response = client_as(world.a).post(lead_url("reopen", world.lead), {"note": "想重新跟进"})
    assert response.status_code == 200
    assert messages_of(response) == ["Only a manager can reopen a lost lead."]
    assert history_rows(world.lead) == history_before
