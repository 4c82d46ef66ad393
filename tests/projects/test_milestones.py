"""Pass milestones: created on reaching their anchor, once; due dates in working days; completion, blocking and
reopening with their history; derived pass status; the aftercare plan."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone, translation

from core.errors import ApplicationError, IllegalStateError
from directory import services as directory_services
from directory.models import Holiday, Region
from projects import services
from projects.models import (
    AftercareTouchpoint,
    Lead,
    LeadType,
    Milestone,
    MilestoneTemplate,
    OffsetUnit,
    Pass,
    StageChange,
)
from projects.selectors import PassStatus, pass_progress
from projects.services.milestones import (
    milestone_add,
    milestone_block,
    milestone_complete,
    milestone_reopen,
    milestone_reschedule,
)
from projects.stages import Stage
from tests.factories import VALID_USCC, make_lead
from tests.projects.conftest import ago, upload

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
NEGOTIATING_EVIDENCE = {"needs_list": "实验室 300 平方米、洁净间、人才公寓"}
QUALIFIED_EVIDENCE = {"assessment": "团队扎实", "decision": "follow"}


def at(day: str, hour: int = 10) -> dt.datetime:
    return dt.datetime.fromisoformat(day).replace(hour=hour, tzinfo=SHANGHAI)


def codes(lead: Lead) -> list[str]:
    return sorted(lead.milestones.filter(template__isnull=False).values_list("template__code", flat=True))


@pytest.fixture
def english():
    with translation.override("en"):
        yield


# --- The seeded checklists ----------------------------------------------------------------------------------


def test_the_four_passes_and_their_templates_are_seeded():
    counts = {p.code: p.templates.count() for p in Pass.objects.all()}
    assert counts == {"resources": 8, "talent": 8, "conversion": 8, "rules": 6}
    rules_anchors = set(
        MilestoneTemplate.objects.filter(lead_pass__code="rules").values_list("org_anchor", flat=True)
    )
    assert rules_anchors == {Stage.NEGOTIATING, Stage.SIGNED, Stage.REGISTERED}
    talent_anchors = set(
        MilestoneTemplate.objects.filter(lead_pass__code="talent")
        .exclude(talent_anchor="")
        .values_list("talent_anchor", flat=True)
    )
    assert talent_anchors == {Stage.T_OFFERED, Stage.T_ARRIVED, Stage.T_AWARDED}


# --- Creation -------------------------------------------------------------------------------------------------


def test_reaching_a_stage_creates_every_template_anchored_at_or_before_it(world):
    change = services.lead_advance(
        lead=world.lead, to_stage=Stage.NEGOTIATING, actor=world.a, evidence=NEGOTIATING_EVIDENCE
    )
    # A skip from LEAD: the templates of every stage passed over come too.
    assert codes(world.lead) == ["G1", "G6", "R1", "T1", "T5"]
    r1 = world.lead.milestones.get(template__code="R1")
    assert (r1.anchor_change, r1.starts_on, r1.assignee) == (change, timezone.localdate(), world.a)
    assert r1.status == Milestone.Status.OPEN
    assert r1.due_on > timezone.localdate()
    t5 = world.lead.milestones.get(template__code="T5")
    assert t5.due_on is None  # "calendar": dated by the funding work, not the move
    assert world.lead.milestones.get(template__code="T1").due_on == timezone.localdate()  # offset 0
    assert all(m.history.count() == 1 for m in world.lead.milestones.all())


def test_re_entering_a_stage_creates_nothing_twice(world):
    services.lead_advance(
        lead=world.lead, to_stage=Stage.NEGOTIATING, actor=world.a, evidence=NEGOTIATING_EVIDENCE
    )
    services.lead_advance(lead=world.lead, to_stage=Stage.QUALIFIED, actor=world.manager_a, note="需补充材料")
    services.lead_advance(
        lead=world.lead, to_stage=Stage.NEGOTIATING, actor=world.a, evidence=NEGOTIATING_EVIDENCE
    )
    assert world.lead.milestones.count() == 5
    assert world.lead.stage_changes.count() == 4


def test_only_templates_of_the_leads_track_are_created(world):
    talent = make_lead(owner=world.a, unit=world.unit_a, lead_type=LeadType.TALENT, occurred_at=ago(days=3))
    offer = upload(talent, world.a, "聘用意向书.pdf")
    services.lead_advance(
        lead=talent, to_stage=Stage.T_OFFERED, actor=world.a, evidence={"document_ids": [offer.pk]}
    )
    assert codes(talent) == ["T1", "T2"]


def test_a_template_limited_to_some_lead_types_skips_the_others(world):
    MilestoneTemplate.objects.filter(code="G1").update(lead_types=[LeadType.COMPANY])
    services.lead_advance(
        lead=world.lead, to_stage=Stage.NEGOTIATING, actor=world.a, evidence=NEGOTIATING_EVIDENCE
    )
    assert world.lead.lead_type != LeadType.COMPANY
    assert "G1" not in codes(world.lead)


def test_imported_moves_create_none_and_later_live_moves_only_templates_anchored_after_them(world):
    lead = world.lead
    # An import's commit step writes the old ledger's history as it was: LEAD → SIGNED, flagged imported.
    imported = StageChange.objects.create(
        lead=lead,
        from_stage=Stage.LEAD,
        to_stage=Stage.SIGNED,
        actor=world.a,
        occurred_at=ago(days=2),
        imported=True,
    )
    Lead.objects.filter(pk=lead.pk).update(stage=Stage.SIGNED, stage_entered_at=imported.occurred_at)
    assert services.milestones_for_move(change=imported) == []
    licence = upload(lead, world.a, "营业执照.pdf")

    services.lead_advance(
        lead=lead,
        to_stage=Stage.REGISTERED,
        actor=world.a,
        evidence={
            "uscc": VALID_USCC,
            "registration_date": timezone.localdate().isoformat(),
            "document_ids": [licence.pk],
        },
    )
    # Only REGISTERED's templates: NEGOTIATING's and SIGNED's were the old ledger's business.
    assert codes(lead) == ["C6", "C7", "G3", "G4", "G5", "R3", "R8", "T2", "T4"]


# --- Working days -----------------------------------------------------------------------------------------------


@pytest.fixture
def one_day_template():
    return MilestoneTemplate.objects.create(
        lead_pass=Pass.objects.get(code="resources"),
        code="X1",
        name="次个工作日回访",
        org_anchor=Stage.QUALIFIED,
        offset_unit=OffsetUnit.WORKING_DAYS,
        offset=1,
    )


def test_a_working_day_offset_counts_a_make_up_saturday_and_skips_golden_week(world, one_day_template):
    directory_services.holiday_year_load(region=Region.MAINLAND, year=2026)
    early = make_lead(owner=world.a, unit=world.unit_a, occurred_at=at("2026-09-01"))
    services.lead_advance(
        lead=early,
        to_stage=Stage.QUALIFIED,
        actor=world.a,
        occurred_at=at("2026-09-30"),
        evidence=QUALIFIED_EVIDENCE,
    )
    late = make_lead(owner=world.a, unit=world.unit_a, occurred_at=at("2026-09-01"))
    services.lead_advance(
        lead=late,
        to_stage=Stage.QUALIFIED,
        actor=world.a,
        occurred_at=at("2026-10-09"),
        evidence=QUALIFIED_EVIDENCE,
    )
    # Wednesday 30 September + 1 working day: the National Day week off, then Thursday 8 October.
    assert early.milestones.get(template=one_day_template).due_on == dt.date(2026, 10, 8)
    # Friday 9 October + 1: Saturday 10 October is a 调休 make-up workday.
    made_up = late.milestones.get(template=one_day_template)
    assert (made_up.due_on, made_up.due_provisional) == (dt.date(2026, 10, 10), False)


def test_a_due_date_in_a_year_without_calendar_is_provisional_until_the_year_is_added(world):
    directory_services.holiday_year_load(region=Region.MAINLAND, year=2026)
    lead = make_lead(owner=world.a, unit=world.unit_a, occurred_at=at("2026-11-02"))
    services.lead_advance(
        lead=lead,
        to_stage=Stage.NEGOTIATING,
        actor=world.a,
        occurred_at=at("2026-11-26"),
        evidence=NEGOTIATING_EVIDENCE,
    )
    r1 = lead.milestones.get(template__code="R1")  # 30 working days from Thursday 26 November 2026
    # Counted with weekends only in 2027, Friday 1 January counts as a working day.
    assert (r1.due_on, r1.due_provisional) == (dt.date(2027, 1, 7), True)
    g1 = lead.milestones.get(template__code="G1")  # 20 working days: still inside 2026
    assert (g1.due_on, g1.due_provisional) == (dt.date(2026, 12, 24), False)

    directory_services.holiday_set(
        region=Region.MAINLAND, date=dt.date(2027, 1, 1), kind=Holiday.Kind.DAY_OFF, name="元旦"
    )
    # The signal is sent on commit: inside this test's transaction nothing has been recomputed yet.
    directory_services.holiday_year_mark_complete(region=Region.MAINLAND, year=2027)
    r1.refresh_from_db()
    assert r1.due_provisional is True
    services.milestones_recompute_provisional(region=Region.MAINLAND, year=2027)
    r1.refresh_from_db()
    assert (r1.due_on, r1.due_provisional) == (dt.date(2027, 1, 8), False)
    assert r1.history.first().history_type == "~"


def test_completing_a_calendar_year_recomputes_through_the_signal(world, django_capture_on_commit_callbacks):
    directory_services.holiday_year_load(region=Region.MAINLAND, year=2026)
    lead = make_lead(owner=world.a, unit=world.unit_a, occurred_at=at("2026-11-02"))
    services.lead_advance(
        lead=lead,
        to_stage=Stage.NEGOTIATING,
        actor=world.a,
        occurred_at=at("2026-11-26"),
        evidence=NEGOTIATING_EVIDENCE,
    )
    with django_capture_on_commit_callbacks(execute=True):
        directory_services.holiday_set(
            region=Region.MAINLAND, date=dt.date(2027, 1, 1), kind=Holiday.Kind.DAY_OFF, name="元旦"
        )
        directory_services.holiday_year_mark_complete(region=Region.MAINLAND, year=2027)
    r1 = lead.milestones.get(template__code="R1")
    assert (r1.due_on, r1.due_provisional) == (dt.date(2027, 1, 8), False)


# --- Completion -------------------------------------------------------------------------------------------------


@pytest.fixture
def r1(world) -> Milestone:
    services.lead_advance(
        lead=world.lead, to_stage=Stage.NEGOTIATING, actor=world.a, evidence=NEGOTIATING_EVIDENCE
    )
    return world.lead.milestones.get(template__code="R1")


def test_completing_with_a_document_attaches_it_and_records_who_and_when(world, r1):
    lease = upload(world.lead, world.a, "租赁协议.pdf")
    done = milestone_complete(milestone=r1, actor=world.a, document=lease)
    lease.refresh_from_db()
    assert (done.status, done.completed_by, lease.milestone, lease.attached) == (
        Milestone.Status.DONE,
        world.a,
        done,
        True,
    )
    latest = done.history.first()
    assert (latest.status, latest.history_user) == ("done", world.a)


def test_completing_without_evidence_names_what_is_needed_and_changes_nothing(world, r1, english):
    with pytest.raises(ApplicationError) as error:
        milestone_complete(milestone=r1, actor=world.a)
    assert error.value.message == "Give the evidence (租赁或入驻协议): a note, a document or both."
    r1.refresh_from_db()
    assert (r1.status, r1.history.count()) == (Milestone.Status.OPEN, 1)


def test_a_document_of_another_lead_is_refused(world, r1, english):
    other = make_lead(owner=world.a, unit=world.unit_a)
    with pytest.raises(ApplicationError) as error:
        milestone_complete(milestone=r1, actor=world.a, document=upload(other, world.a, "别家协议.pdf"))
    assert error.value.message == "Only documents uploaded to this lead can be cited."
    assert Milestone.objects.get(pk=r1.pk).status == Milestone.Status.OPEN


def test_not_applicable_needs_a_reason_and_a_closed_milestone_cannot_close_again(world, r1, english):
    with pytest.raises(ApplicationError) as error:
        milestone_complete(milestone=r1, actor=world.a, not_applicable=True)
    assert error.value.message == "Say why this milestone does not apply."
    milestone_complete(milestone=r1, actor=world.a, not_applicable=True, evidence_note="园区提供现成实验室")
    with pytest.raises(IllegalStateError) as again:
        milestone_complete(milestone=r1, actor=world.a, evidence_note="再次提交")
    assert again.value.message == "This milestone is already “Not applicable”."


def test_block_then_reopen_then_complete_each_leave_a_history_row(world, r1, english):
    with pytest.raises(ApplicationError):
        milestone_block(milestone=r1, actor=world.a, note="  ")
    milestone_block(milestone=r1, actor=world.a, note="等待园区会议")
    milestone_reopen(milestone=r1, actor=world.a)
    milestone_complete(milestone=r1, actor=world.a, evidence_note="协议已签")
    assert list(r1.history.order_by("history_id").values_list("status", flat=True)) == [
        "open",
        "blocked",
        "open",
        "done",
    ]


def test_rescheduling_sets_a_firm_date_with_history(world, r1):
    milestone_reschedule(milestone=r1, actor=world.a, due_on=dt.date(2027, 3, 1), assignee=world.manager_a)
    r1.refresh_from_db()
    assert (r1.due_on, r1.due_provisional, r1.assignee) == (dt.date(2027, 3, 1), False, world.manager_a)
    assert r1.history.first().history_user == world.a


def test_an_ad_hoc_milestone_needs_a_title(world, english):
    with pytest.raises(ApplicationError) as error:
        milestone_add(actor=world.a, lead=world.lead, lead_pass=Pass.objects.get(code="rules"), title=" ")
    assert error.value.message == "Give the milestone a title."
    added = milestone_add(
        actor=world.a, lead=world.lead, lead_pass=Pass.objects.get(code="rules"), title="核对出口管制"
    )
    assert (added.template, added.assignee, added.history.count()) == (None, world.a, 1)


# --- Pass status ------------------------------------------------------------------------------------------------


def test_pass_status_runs_from_not_started_to_in_progress_to_cleared_or_blocked(world, settings):
    settings.PASS_BLOCKED_AFTER_OVERDUE_DAYS = 30

    def status_of(code: str) -> tuple[str, int, int]:
        progress = {p.lead_pass.code: p for p in pass_progress([world.lead])[world.lead.pk]}
        return progress[code].status, progress[code].closed, progress[code].total

    assert status_of("rules") == (PassStatus.NOT_STARTED, 0, 6)
    services.lead_advance(
        lead=world.lead, to_stage=Stage.NEGOTIATING, actor=world.a, evidence=NEGOTIATING_EVIDENCE
    )
    assert status_of("rules") == (PassStatus.IN_PROGRESS, 0, 6)
    g1 = world.lead.milestones.get(template__code="G1")
    milestone_block(milestone=g1, actor=world.a, note="标准未定")
    assert status_of("rules")[0] == PassStatus.BLOCKED
    milestone_reopen(milestone=g1, actor=world.a)
    # Overdue by more than the threshold also blocks the pass.
    milestone_reschedule(milestone=g1, actor=world.a, due_on=timezone.localdate() - dt.timedelta(days=31))
    assert status_of("rules")[0] == PassStatus.BLOCKED
    milestone_reschedule(milestone=g1, actor=world.a, due_on=timezone.localdate() - dt.timedelta(days=29))
    assert status_of("rules")[0] == PassStatus.IN_PROGRESS
    # A pass with only an ad-hoc line, closed: cleared.
    adhoc = milestone_add(
        actor=world.a, lead=world.lead, lead_pass=Pass.objects.get(code="resources"), title="临时事项"
    )
    MilestoneTemplate.objects.filter(lead_pass__code="resources").update(is_active=False)
    Milestone.objects.filter(lead=world.lead, template__lead_pass__code="resources").delete()
    assert status_of("resources") == (PassStatus.IN_PROGRESS, 0, 1)
    milestone_complete(milestone=adhoc, actor=world.a, evidence_note="已办")
    assert status_of("resources") == (PassStatus.CLEARED, 1, 1)


# --- Aftercare --------------------------------------------------------------------------------------------------


def test_arriving_plans_aftercare_at_1_3_6_and_12_months_once(world):
    talent = make_lead(
        owner=world.a, unit=world.unit_a, lead_type=LeadType.TALENT, occurred_at=at("2026-01-02")
    )
    arrival = {"start_date": "2026-01-31", "employer": "自主创办企业", "employment": "full_time"}
    services.lead_advance(
        lead=talent, to_stage=Stage.T_ARRIVED, actor=world.a, occurred_at=at("2026-01-31"), evidence=arrival
    )
    planned = list(talent.aftercare_touchpoints.values_list("months", "due_on"))
    assert planned == [
        (1, dt.date(2026, 2, 28)),  # 31 January + 1 month: the end of February
        (3, dt.date(2026, 4, 30)),
        (6, dt.date(2026, 7, 31)),
        (12, dt.date(2027, 1, 31)),
    ]
    services.lead_advance(
        lead=talent,
        to_stage=Stage.T_OFFERED,
        actor=world.manager_a,
        note="入职推迟",
        occurred_at=at("2026-02-02"),
    )
    services.lead_advance(
        lead=talent, to_stage=Stage.T_ARRIVED, actor=world.a, occurred_at=at("2026-02-03"), evidence=arrival
    )
    assert talent.aftercare_touchpoints.count() == 4


def test_an_activity_citing_a_touchpoint_marks_it_done(world):
    touchpoint = AftercareTouchpoint.objects.create(lead=world.lead, months=1, due_on=timezone.localdate())
    visit = services.activity_log(
        actor=world.a,
        lead=world.lead,
        kind="visit",
        occurred_at=ago(hours=1),
        summary="入驻一个月回访",
        aftercare=touchpoint,
    )
    touchpoint.refresh_from_db()
    assert (touchpoint.activity, touchpoint.done_at) == (visit, visit.occurred_at)
    assert touchpoint.history.first().history_user == world.a
