"""The shared invariant checker: silent over what the services write, and naming the lead of every kind of
corruption a bulk writer (seed or import) could leave behind."""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.db import connection
from django.db.models import CheckConstraint
from django.utils import timezone

from projects import services
from projects.invariants import lead_invariant_violations
from projects.models import Activity, Lead, LeadType, LostReason, Milestone, Signing, StageChange
from projects.stages import Stage
from tests.factories import join, make_lead, make_organization, make_unit, make_user

pytestmark = pytest.mark.django_db


def days_ago(days: float) -> dt.datetime:
    return timezone.now() - dt.timedelta(days=days)


def qualify_and_engage(lead: Lead, actor) -> Lead:
    services.lead_advance(
        lead=lead,
        to_stage=Stage.QUALIFIED,
        actor=actor,
        occurred_at=days_ago(20),
        evidence={"assessment": "技术领先，建议跟进", "decision": "follow"},
    )
    return engage(lead, actor, Stage.ENGAGED)


def engage(lead: Lead, actor, stage: str) -> Lead:
    call = services.activity_log(
        actor=actor, lead=lead, kind=Activity.Kind.CALL, occurred_at=days_ago(12), summary="电话沟通落地意向"
    )
    services.lead_advance(
        lead=lead, to_stage=stage, actor=actor, occurred_at=days_ago(10), evidence={"activity_id": call.pk}
    )
    lead.refresh_from_db()
    return lead


@pytest.fixture
def data():
    unit = make_unit()
    officer = join(make_user(), unit)
    org = qualify_and_engage(make_lead(owner=officer, unit=unit, occurred_at=days_ago(30)), officer)
    talent = make_lead(owner=officer, unit=unit, lead_type=LeadType.TALENT, occurred_at=days_ago(30))
    talent = engage(talent, officer, Stage.T_ENGAGED)
    fresh = make_lead(owner=officer, unit=unit, occurred_at=days_ago(3))
    investor = make_organization()
    services.signing_create(
        actor=officer,
        lead=org,
        signed_on=days_ago(5).date(),
        investor=investor,
        amount=Decimal("5000000"),
        currency="CNY",
    )
    return SimpleNamespace(org=org, talent=talent, fresh=fresh, officer=officer, investor=investor)


@contextmanager
def constraint_dropped(model, name: str):
    """Let a test write what the database would refuse, as an import staging table could hold it. The DDL is
    undone with the test's transaction; SQLite cannot drop a CHECK in place, so it stops checking instead."""
    constraint = next(c for c in model._meta.constraints if c.name == name)
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        if isinstance(constraint, CheckConstraint) and connection.vendor == "sqlite":
            cursor.execute("PRAGMA ignore_check_constraints = ON")
        elif isinstance(constraint, CheckConstraint):
            # PostgreSQL refuses ALTER TABLE while deferred foreign-key checks of this transaction are pending.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"ALTER TABLE {quote(model._meta.db_table)} DROP CONSTRAINT {quote(name)}")
        else:  # a conditional unique constraint is a partial unique index on both databases
            cursor.execute(f"DROP INDEX {quote(name)}")
    try:
        yield
    finally:
        if connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA ignore_check_constraints = OFF")


def test_what_the_services_wrote_breaks_no_invariant(data):
    assert lead_invariant_violations() == []


def test_a_lead_without_stage_changes_is_reported(data):
    StageChange.objects.filter(lead=data.fresh).delete()
    assert lead_invariant_violations() == [f"{data.fresh.code}: has no stage change"]


def test_a_stage_that_is_not_where_the_last_change_went_is_reported(data):
    Lead.objects.filter(pk=data.org.pk).update(stage=Stage.VISITED)
    assert lead_invariant_violations() == [
        f"{data.org.code}: stage is VISITED but its last stage change goes to ENGAGED"
    ]


def test_a_stage_entry_time_other_than_the_last_changes_is_reported(data):
    Lead.objects.filter(pk=data.org.pk).update(stage_entered_at=days_ago(2))
    [problem] = lead_invariant_violations()
    assert problem.startswith(f"{data.org.code}: entered its stage at ")
    assert "but its last stage change is dated" in problem


def test_a_change_that_does_not_start_where_the_previous_one_ended_is_reported(data):
    StageChange.objects.filter(lead=data.org, to_stage=Stage.ENGAGED).update(from_stage=Stage.LEAD)
    assert lead_invariant_violations() == [
        f"{data.org.code}: stage change LEAD → ENGAGED should start from QUALIFIED"
    ]


def test_a_first_change_that_starts_somewhere_is_reported(data):
    StageChange.objects.filter(lead=data.fresh).update(from_stage=Stage.QUALIFIED)
    assert lead_invariant_violations() == [
        f"{data.fresh.code}: stage change QUALIFIED → LEAD should start from empty (the first change)"
    ]


def test_a_change_dated_before_the_one_recorded_ahead_of_it_is_reported(data):
    StageChange.objects.filter(lead=data.org, to_stage=Stage.ENGAGED).update(occurred_at=days_ago(25))
    problems = lead_invariant_violations()
    assert all(problem.startswith(f"{data.org.code}: ") for problem in problems)
    assert any(
        "QUALIFIED → ENGAGED is dated" in p and "before the change recorded ahead" in p for p in problems
    )


def test_a_change_dated_in_the_future_is_reported(data):
    tomorrow = timezone.now() + dt.timedelta(days=1)
    StageChange.objects.filter(lead=data.fresh).update(occurred_at=tomorrow)
    Lead.objects.filter(pk=data.fresh.pk).update(stage_entered_at=tomorrow)
    [problem] = lead_invariant_violations()
    assert problem.startswith(f"{data.fresh.code}: stage change — → LEAD is dated in the future")


def test_a_stage_of_the_other_track_is_reported_on_the_lead_and_on_the_change(data):
    StageChange.objects.filter(lead=data.talent, to_stage=Stage.T_ENGAGED).update(to_stage=Stage.ENGAGED)
    Lead.objects.filter(pk=data.talent.pk).update(stage=Stage.ENGAGED)
    assert lead_invariant_violations() == [
        f"{data.talent.code}: stage ENGAGED is not a stage of the talent track",
        f"{data.talent.code}: stage change T_LEAD → ENGAGED uses ENGAGED, not of the talent track",
    ]


def test_a_paused_lead_without_a_review_date_is_reported(data):
    with constraint_dropped(Lead, "lead_paused_has_review_date"):
        Lead.objects.filter(pk=data.org.pk).update(status=Lead.Status.PAUSED, resume_review_on=None)
    assert lead_invariant_violations() == [f"{data.org.code}: is paused without a review date"]


def test_a_lost_lead_without_a_reason_is_reported(data):
    with constraint_dropped(Lead, "lead_lost_has_reason"):
        Lead.objects.filter(pk=data.org.pk).update(status=Lead.Status.LOST, lost_reason="")
    assert lead_invariant_violations() == [f"{data.org.code}: is lost without a reason"]


def test_a_second_new_signing_with_the_same_investor_is_reported(data):
    with constraint_dropped(Signing, "signing_one_new_per_lead_investor"):
        second = services.signing_create(
            actor=data.officer,
            lead=data.org,
            signed_on=days_ago(1).date(),
            investor=data.investor,
            amount=Decimal("1000000"),
            currency="CNY",
            kind=Signing.Kind.CAPITAL_INCREASE,
        )
        Signing.objects.filter(pk=second.pk).update(kind=Signing.Kind.NEW)
    assert lead_invariant_violations() == [
        f"{data.org.code}: 2 new signings with {data.investor.name}; only one is allowed"
    ]


def test_a_lost_lead_with_its_reason_is_fine(data):
    services.lead_mark_lost(actor=data.officer, lead=data.org, reason=LostReason.NO_PROGRESS)
    assert lead_invariant_violations() == []


def test_the_queryset_limits_which_leads_are_checked(data):
    Lead.objects.filter(pk=data.org.pk).update(stage=Stage.VISITED)
    StageChange.objects.filter(lead=data.talent).update(from_stage=Stage.QUALIFIED)
    with constraint_dropped(Signing, "signing_one_new_per_lead_investor"):
        Signing.objects.create(
            lead=data.org,
            signed_on=days_ago(1).date(),
            investor=data.investor,
            amount=Decimal("1"),
            created_by=data.officer,
        )
    assert lead_invariant_violations(Lead.objects.filter(pk=data.fresh.pk)) == []
    only_org = lead_invariant_violations(Lead.objects.filter(pk=data.org.pk))
    assert len(only_org) == 2
    assert all(problem.startswith(f"{data.org.code}: ") for problem in only_org)


@pytest.mark.parametrize("extra_leads", [0, 18])
def test_the_checker_runs_the_same_few_queries_however_many_leads_there_are(
    data, extra_leads, django_assert_num_queries
):
    for _ in range(extra_leads):
        qualify_and_engage(
            make_lead(owner=data.officer, unit=data.fresh.owning_unit, occurred_at=days_ago(30)), data.officer
        )
    # 1. leads against their last change (two correlated subqueries), paused/lost fields, track
    # 2. the change chain (two LAG windows: by occurred_at, pk and by pk)
    # 3. changes dated in the future or off their lead's track
    # 4. duplicate new signings (GROUP BY lead, investor), 5 the active milestone templates, 6 each lead's last
    # imported stage, 7 the stages live moves reached, 8 the template milestones present (6-8 streamed side by
    # side, ordered by lead).
    with django_assert_num_queries(8):
        assert lead_invariant_violations() == []


# --- Milestones ------------------------------------------------------------------------------------------------


def negotiate(lead: Lead, actor) -> None:
    services.lead_advance(
        lead=lead,
        to_stage=Stage.NEGOTIATING,
        actor=actor,
        occurred_at=days_ago(2),
        evidence={"needs_list": "实验室与人才公寓"},
    )


def test_a_milestone_missing_for_a_stage_reached_is_reported(data):
    negotiate(data.org, data.officer)
    assert lead_invariant_violations() == []
    Milestone.objects.filter(lead=data.org, template__code__in=["R1", "G6"]).delete()
    assert lead_invariant_violations() == [
        f"{data.org.code}: missing the milestones G6, R1 of the stages it reached"
    ]


def test_stages_reached_only_by_imported_moves_need_no_milestones(data):
    # An import's commit step writes the ledger's history as it was, flagged imported: no milestones.
    when = days_ago(1)
    StageChange.objects.create(
        lead=data.fresh,
        from_stage=Stage.LEAD,
        to_stage=Stage.NEGOTIATING,
        actor=data.officer,
        occurred_at=when,
        imported=True,
    )
    Lead.objects.filter(pk=data.fresh.pk).update(stage=Stage.NEGOTIATING, stage_entered_at=when)
    assert lead_invariant_violations() == []
