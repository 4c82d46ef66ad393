"""Pass milestones: made when a lead reaches their anchor stage, completed with evidence, re-dated when a
calendar year is added; and the aftercare plan of a landed lead."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from accounts.models import UnitMembership, User
from core.dates import add_months
from core.errors import ApplicationError, IllegalStateError, full_clean_or_error
from directory.models import Region
from directory.services import WorkingCalendar
from projects.events import milestones_resolved
from projects.models import (
    AftercareTouchpoint,
    AssigneeRole,
    Document,
    Lead,
    Milestone,
    MilestoneTemplate,
    OffsetUnit,
    Pass,
    StageChange,
)
from projects.stages import Stage, stage_order

AFTERCARE_STAGES = (Stage.REGISTERED, Stage.T_ARRIVED)


def milestone_due(
    template: MilestoneTemplate, start: dt.date, calendar: WorkingCalendar
) -> tuple[dt.date | None, bool]:
    """A template's due date counted from `start`, and whether it is provisional."""
    if template.offset_unit == OffsetUnit.NONE or template.offset is None:
        return None, False
    if template.offset_unit == OffsetUnit.CALENDAR_DAYS:
        return start + dt.timedelta(days=template.offset), False
    reached = calendar.add(start, template.offset)
    return reached.date, reached.provisional


def active_templates() -> list[MilestoneTemplate]:
    return list(MilestoneTemplate.objects.filter(is_active=True).select_related("lead_pass"))


def templates_due_for(
    *,
    lead: Lead,
    to_stage: str,
    after_stage: str | None = None,
    templates: list[MilestoneTemplate] | None = None,
) -> list[MilestoneTemplate]:
    """Active templates of the lead's track and type anchored at or before `to_stage` (and after
    `after_stage` when given)."""
    reached = stage_order(to_stage)
    floor = stage_order(after_stage) if after_stage else -1
    return [
        template
        for template in (active_templates() if templates is None else templates)
        if (anchor := template.anchor_for(lead.track))
        and floor < stage_order(anchor) <= reached
        and template.applies_to(lead.lead_type)
    ]


def _unit_head(lead: Lead) -> User | None:
    membership = (
        UnitMembership.objects.filter(unit_id=lead.owning_unit_id, role=UnitMembership.Role.HEAD)
        .select_related("user")
        .order_by("pk")
        .first()
    )
    return membership.user if membership else None


def milestones_planned(
    *,
    lead: Lead,
    to_stage: str,
    start: dt.date,
    had: set[int],
    calendar: WorkingCalendar,
    after_stage: str | None = None,
    templates: list[MilestoneTemplate] | None = None,
    head: User | None = None,
) -> list[Milestone]:
    """The unsaved milestones a live move to `to_stage` on `start` makes for a lead that already has the
    templates in `had`. The service saves them; the demo's bulk writer inserts them with its other rows."""
    due = [
        t
        for t in templates_due_for(lead=lead, to_stage=to_stage, after_stage=after_stage, templates=templates)
        if t.pk not in had
    ]
    milestones = []
    for template in due:
        due_on, provisional = milestone_due(template, start, calendar)
        by_head = template.default_assignee == AssigneeRole.UNIT_HEAD and head is not None
        milestones.append(
            Milestone(
                lead=lead,
                lead_pass=template.lead_pass,
                template=template,
                starts_on=start,
                due_on=due_on,
                due_provisional=provisional,
                assignee=head if by_head else lead.owner,
            )
        )
    return milestones


def milestones_for_move(*, change: StageChange, calendar: WorkingCalendar | None = None) -> list[Milestone]:
    """The milestones a move creates: every template anchored at or before the new stage that the lead does
    not have yet, due from the move's date. Imported moves create none; after imported history only templates
    anchored beyond the last imported stage are created (the ledger already covered the earlier ones)."""
    if change.imported:
        return []
    lead = change.lead
    last_imported = (
        lead.stage_changes.filter(imported=True)
        .order_by("-occurred_at", "-pk")
        .values_list("to_stage", flat=True)
        .first()
    )
    templates = active_templates()
    milestones = milestones_planned(
        lead=lead,
        to_stage=change.to_stage,
        start=timezone.localdate(change.occurred_at),
        had=set(lead.milestones.filter(template__isnull=False).values_list("template_id", flat=True)),
        calendar=calendar or WorkingCalendar(Region.MAINLAND),
        after_stage=last_imported,
        templates=templates,
        head=_unit_head(lead)
        if any(t.default_assignee == AssigneeRole.UNIT_HEAD for t in templates)
        else None,
    )
    for milestone in milestones:
        milestone.anchor_change = change
    return bulk_create_with_history(milestones, Milestone, default_user=change.actor) if milestones else []


def aftercare_planned(*, lead: Lead, start: dt.date, had: set[int]) -> list[AftercareTouchpoint]:
    """The unsaved aftercare touch-points of a lead landing on `start`, for the months it does not have yet."""
    return [
        AftercareTouchpoint(lead=lead, months=months, due_on=add_months(start, months))
        for months in AftercareTouchpoint.MONTHS
        if months not in had
    ]


def aftercare_for_move(*, change: StageChange) -> list[AftercareTouchpoint]:
    """Landing (a company registered, a talent arrived) plans aftercare 1, 3, 6 and 12 months on, once."""
    if change.imported or change.to_stage not in AFTERCARE_STAGES:
        return []
    lead = change.lead
    touchpoints = aftercare_planned(
        lead=lead,
        start=timezone.localdate(change.occurred_at),
        had=set(lead.aftercare_touchpoints.values_list("months", flat=True)),
    )
    return bulk_create_with_history(touchpoints, AftercareTouchpoint, default_user=change.actor)


def _refuse_merged(milestone: Milestone) -> None:
    if milestone.lead.status == Lead.Status.MERGED:
        raise IllegalStateError(_("This lead was merged into another lead and can no longer be changed."))


@transaction.atomic
def milestone_complete(
    *,
    milestone: Milestone,
    actor: User,
    evidence_note: str = "",
    document: Document | None = None,
    not_applicable: bool = False,
    completed_at: dt.datetime | None = None,
) -> Milestone:
    """Mark a milestone done (with its evidence: a note, a document of the same lead, or both) or not
    applicable (with the reason); `completed_at` back-dates it (never into the future)."""
    milestone = (
        Milestone.objects.select_for_update(of=("self",))
        .select_related("lead", "template")
        .get(pk=milestone.pk)
    )
    _refuse_merged(milestone)
    if milestone.status in Milestone.CLOSED:
        raise IllegalStateError(
            _("This milestone is already “%(status)s”.") % {"status": milestone.get_status_display()}
        )
    evidence_note = evidence_note.strip()
    if document is not None and document.lead_id != milestone.lead_id:
        raise ApplicationError(_("Only documents uploaded to this lead can be cited."), field="document")
    if not_applicable and not evidence_note:
        raise ApplicationError(_("Say why this milestone does not apply."), field="evidence_note")
    if not not_applicable and not evidence_note and document is None:
        needed = milestone.template.evidence_needed if milestone.template is not None else ""
        message = (
            _("Give the evidence (%(needed)s): a note, a document or both.") % {"needed": needed}
            if needed
            else _("Give the evidence: a note, a document or both.")
        )
        raise ApplicationError(message, field="evidence_note")
    milestone.status = Milestone.Status.NOT_APPLICABLE if not_applicable else Milestone.Status.DONE
    milestone.evidence_note = evidence_note
    now = timezone.now()
    if completed_at is not None and completed_at > now:
        raise ApplicationError(_("A milestone cannot be completed in the future."), field="completed_at")
    milestone.completed_at = completed_at or now
    milestone.completed_by = actor
    milestone._history_user = actor  # type: ignore[attr-defined]
    full_clean_or_error(milestone)
    milestone.save()
    if document is not None:
        Document.objects.filter(pk=document.pk).update(milestone=milestone, attached=True)
    milestones_resolved.send(sender=Milestone, milestone_ids=[milestone.pk])
    return milestone


@transaction.atomic
def milestone_block(*, milestone: Milestone, actor: User, note: str) -> Milestone:
    """Flag an open milestone as blocked, saying what blocks it; its pass shows as blocked."""
    milestone = Milestone.objects.select_for_update(of=("self",)).select_related("lead").get(pk=milestone.pk)
    _refuse_merged(milestone)
    if milestone.status != Milestone.Status.OPEN:
        raise IllegalStateError(_("Only an open milestone can be marked blocked."))
    if not note.strip():
        raise ApplicationError(_("Say what blocks this milestone."), field="blocker_note")
    milestone.status = Milestone.Status.BLOCKED
    milestone.blocker_note = note.strip()
    milestone._history_user = actor  # type: ignore[attr-defined]
    full_clean_or_error(milestone)
    milestone.save()
    return milestone


@transaction.atomic
def milestone_reopen(*, milestone: Milestone, actor: User, note: str = "") -> Milestone:
    """Open a done, not-applicable or blocked milestone again; the history keeps what it was."""
    milestone = Milestone.objects.select_for_update(of=("self",)).select_related("lead").get(pk=milestone.pk)
    _refuse_merged(milestone)
    if milestone.status == Milestone.Status.OPEN:
        raise IllegalStateError(_("This milestone is already open."))
    milestone.status = Milestone.Status.OPEN
    milestone.completed_at = None
    milestone.completed_by = None
    if note.strip():
        milestone.blocker_note = note.strip()
    milestone._history_user = actor  # type: ignore[attr-defined]
    full_clean_or_error(milestone)
    milestone.save()
    return milestone


@transaction.atomic
def milestone_add(
    *,
    actor: User,
    lead: Lead,
    lead_pass: Pass,
    title: str,
    due_on: dt.date | None = None,
    assignee: User | None = None,
) -> Milestone:
    """An ad-hoc milestone an officer adds to one of the lead's passes."""
    if lead.status == Lead.Status.MERGED:
        raise IllegalStateError(_("This lead was merged into another lead and can no longer be changed."))
    if not title.strip():
        raise ApplicationError(_("Give the milestone a title."), field="title")
    milestone = Milestone(
        lead=lead,
        lead_pass=lead_pass,
        title=title.strip(),
        due_on=due_on,
        assignee=assignee or lead.owner,
        starts_on=timezone.localdate(),
    )
    milestone._history_user = actor  # type: ignore[attr-defined]
    full_clean_or_error(milestone)
    milestone.save()
    return milestone


@transaction.atomic
def milestone_reschedule(
    *, milestone: Milestone, actor: User, due_on: dt.date | None, assignee: User | None = None
) -> Milestone:
    """Set a milestone's due date (e.g. a programme's window) or assignee; a set date is no longer provisional."""
    milestone = Milestone.objects.select_for_update(of=("self",)).select_related("lead").get(pk=milestone.pk)
    _refuse_merged(milestone)
    milestone.due_on = due_on
    milestone.due_provisional = False
    if assignee is not None:
        milestone.assignee = assignee
    milestone._history_user = actor  # type: ignore[attr-defined]
    full_clean_or_error(milestone)
    milestone.save()
    return milestone


def milestones_recompute_provisional(*, region: str, year: int) -> int:
    """A calendar year was added: re-count the provisional working-day due dates that may cross it."""
    if region != Region.MAINLAND:
        return 0  # due dates count on the mainland calendar; HK holidays are shown for information only
    calendar = WorkingCalendar(Region.MAINLAND)
    changed = []
    candidates = Milestone.objects.filter(
        due_provisional=True,
        status__in=[Milestone.Status.OPEN, Milestone.Status.BLOCKED],
        template__offset_unit=OffsetUnit.WORKING_DAYS,
        starts_on__isnull=False,
        starts_on__year__lte=year,
    ).select_related("template")
    for milestone in candidates.iterator(chunk_size=2000):
        if milestone.template is None or milestone.starts_on is None:
            continue  # excluded by the filter; the check narrows the types
        due_on, provisional = milestone_due(milestone.template, milestone.starts_on, calendar)
        if (due_on, provisional) != (milestone.due_on, milestone.due_provisional):
            milestone.due_on, milestone.due_provisional = due_on, provisional
            changed.append(milestone)
    if changed:
        bulk_update_with_history(
            changed, Milestone, ["due_on", "due_provisional"], batch_size=1000, manager=Milestone.objects
        )
    return len(changed)
