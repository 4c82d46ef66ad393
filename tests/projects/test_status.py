"""Pause, resume, lost and reopen: their rules and their history rows."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone, translation

from accounts.models import Unit, UnitMembership
from accounts.roles import Role
from core.errors import ApplicationError, IllegalStateError
from projects import services
from projects.models import Lead, LostReason, PauseReason
from tests.factories import join, make_lead, make_organization, make_unit, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def team():
    unit = make_unit("香港合作处", kind=Unit.Kind.BUREAU)
    officer = join(make_user(Role.OFFICER, username="officer"), unit)
    manager = join(make_user(Role.MANAGER, username="manager"), unit, UnitMembership.Role.HEAD)
    return {"officer": officer, "manager": manager, "lead": make_lead(owner=officer, unit=unit)}


def statuses(lead: Lead) -> list[str]:
    return [h.status for h in lead.history.order_by("history_id")]


def test_pausing_needs_a_future_review_date(team):
    with pytest.raises(ApplicationError, match="The review date must be in the future."):
        services.lead_pause(
            actor=team["officer"],
            lead=team["lead"],
            reason=PauseReason.FUNDING_DECISION,
            resume_review_on=timezone.localdate(),
        )
    assert statuses(team["lead"]) == ["active"]


def test_pause_and_resume_are_recorded_in_history(team):
    lead = team["lead"]
    review = timezone.localdate() + dt.timedelta(days=30)
    services.lead_pause(
        actor=team["officer"],
        lead=lead,
        reason=PauseReason.FUNDING_DECISION,
        resume_review_on=review,
        note="等待 RAISe+ 评审结果",
    )
    lead.refresh_from_db()
    assert (lead.status, lead.pause_reason, lead.resume_review_on) == ("paused", "funding_decision", review)
    services.lead_resume(actor=team["officer"], lead=lead)
    assert statuses(lead) == ["active", "paused", "active"]


def test_only_a_paused_lead_resumes(team):
    with pytest.raises(IllegalStateError, match="Only a paused lead can be resumed; this one is “Active”."):
        services.lead_resume(actor=team["officer"], lead=team["lead"])


def test_marking_lost_keeps_the_reason_and_the_winning_location(team):
    lead = team["lead"]
    hetao = make_organization("Hetao", "河套深港科技创新合作区")
    services.lead_mark_lost(
        actor=team["officer"], lead=lead, reason=LostReason.OTHER_LOCATION, lost_to=hetao, note="选择河套"
    )
    lead.refresh_from_db()
    assert (lead.status, lead.lost_reason, lead.lost_to) == ("lost", "other_location", hetao)
    assert statuses(lead) == ["active", "lost"]


def test_marking_lost_needs_a_reason(team):
    with pytest.raises(ApplicationError, match="Choose why the lead was lost."):
        services.lead_mark_lost(actor=team["officer"], lead=team["lead"], reason="")


def test_only_a_manager_reopens_a_lost_lead_and_says_why(team):
    lead = team["lead"]
    services.lead_mark_lost(actor=team["officer"], lead=lead, reason=LostReason.NO_PROGRESS)
    with pytest.raises(ApplicationError, match="Only a manager can reopen a lost lead."):
        services.lead_reopen(actor=team["officer"], lead=lead, note="团队重新联系")
    with pytest.raises(ApplicationError, match="Say why the lead is reopened."):
        services.lead_reopen(actor=team["manager"], lead=lead, note=" ")
    services.lead_reopen(actor=team["manager"], lead=lead, note="团队重新联系")
    assert statuses(lead) == ["active", "lost", "active"]


def test_a_merged_lead_cannot_be_edited(team):
    Lead.objects.filter(pk=team["lead"].pk).update(status=Lead.Status.MERGED)
    team["lead"].refresh_from_db()
    with pytest.raises(IllegalStateError, match="merged into another lead"):
        services.lead_update(actor=team["officer"], lead=team["lead"], name="改名")


def test_fields_outside_the_editable_set_are_refused(team):
    with pytest.raises(ApplicationError, match="These fields cannot be set here: stage."):
        services.lead_update(actor=team["officer"], lead=team["lead"], stage="SIGNED")


def test_editing_a_lead_writes_history(team):
    services.lead_update(actor=team["officer"], lead=team["lead"], name_en="HKUST quantum team", trl=4)
    latest = team["lead"].history.latest()
    assert (latest.history_type, latest.name_en, latest.trl) == ("~", "HKUST quantum team", 4)


def test_competing_locations_must_be_competing_locations(team):
    from directory.services import organization_create

    hetao = organization_create(kind="competing_location", name="河套深港科技创新合作区", region="CN")
    services.lead_update(actor=team["officer"], lead=team["lead"], competing_locations=[hetao])
    assert list(team["lead"].competing_locations.all()) == [hetao]
    with pytest.raises(ApplicationError, match="choose organizations of that kind"):
        services.lead_update(
            actor=team["officer"], lead=team["lead"], competing_locations=[make_organization()]
        )
    assert list(team["lead"].competing_locations.all()) == [hetao]
