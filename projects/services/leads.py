"""Creating leads, changing their descriptive fields and their status."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Unit, UnitMembership, User
from accounts.visibility import visible_units
from core.errors import ApplicationError, IllegalStateError, full_clean_or_error
from directory.models import Organization
from projects.models import Lead, LeadCodeSequence, LeadType, StageChange
from projects.services.merge import NAME_FIELDS, lead_check_duplicates, lead_fill_name_keys
from projects.services.milestones import milestones_for_move
from projects.stages import FIRST_STAGE

# Fields an officer may change directly; stage, status, owner and unit change through their own services.
EDITABLE_FIELDS = {
    "name",
    "name_zh_hant",
    "name_en",
    "subject_contact",
    "hk_organization",
    "sector",
    "source_channel",
    "introducer",
    "source_event",
    "target_carrier",
    "priority",
    "confidential",
    "expected_investment",
    "expected_investment_currency",
    "registered_capital",
    "registered_capital_currency",
    "paid_in_cash",
    "paid_in_technology",
    "paid_in_currency",
    "founder_equity_percent",
    "landing_entity_name",
    "uscc",
    "registered_on",
    "hk_company_number",
    "headcount_now",
    "headcount_planned",
    "hk_staff_count",
    "rnd_staff_count",
    "space_office_m2",
    "space_lab_m2",
    "space_cleanroom_m2",
    "space_plant_m2",
    "ip_summary",
    "trl",
    "description",
}


def lead_check_ownership(*, actor: User, owner: User, owning_unit: Unit) -> None:
    """Refuse an owning unit outside the actor's reach, or an owner who does not sit in that unit."""
    if not visible_units(actor).filter(pk=owning_unit.pk).exists():
        raise ApplicationError(
            _("You can only register leads for units you belong to or manage."), field="owning_unit"
        )
    owner_in_unit = UnitMembership.objects.filter(
        user=owner, unit__path__in=owning_unit.ancestor_paths()
    ).exists()
    if not owner_in_unit:
        raise ApplicationError(
            _("%(owner)s is not a member of %(unit)s. Choose an owner from the owning unit.")
            % {"owner": owner, "unit": owning_unit},
            field="owner",
        )


def lead_next_code(*, year: int) -> str:
    """Hand out the next HK-<year>-<sequence> code. The year's row is locked until the caller commits."""
    sequence, _created = LeadCodeSequence.objects.select_for_update().get_or_create(year=year)
    sequence.last += 1
    sequence.save(update_fields=["last"])
    return f"HK-{year}-{sequence.last:04d}"


def _refuse_unknown_fields(fields: dict[str, Any]) -> None:
    unknown = set(fields) - EDITABLE_FIELDS
    if unknown:
        raise ApplicationError(
            _("These fields cannot be set here: %(fields)s.") % {"fields": ", ".join(sorted(unknown))}
        )


@transaction.atomic
def lead_create(
    *,
    actor: User,
    name: str,
    lead_type: str,
    owning_unit: Unit,
    source_channel: str,
    owner: User | None = None,
    co_owners: Iterable[User] = (),
    competing_locations: Iterable[Organization] = (),
    occurred_at: dt.datetime | None = None,
    allow_duplicate: bool = False,
    imported: bool = False,
    **fields: Any,
) -> Lead:
    """Register a lead at the first stage of its track; the actor owns it unless another owner is named.
    A lead already registered (same credit code, HK company number, or organization and name) is refused,
    unless a manager passes `allow_duplicate`. `imported` (the ledger import) flags the registration as imported
    history: like every imported move it creates no milestones."""
    _refuse_unknown_fields(fields)
    owner = owner or actor
    lead_check_ownership(actor=actor, owner=owner, owning_unit=owning_unit)
    occurred_at = occurred_at or timezone.now()
    if occurred_at > timezone.now():
        raise ApplicationError(_("A lead cannot be registered with a future date."), field="occurred_at")
    track = LeadType.track_of(lead_type)
    lead = Lead(
        name=name,
        lead_type=lead_type,
        track=track,
        owner=owner,
        owning_unit=owning_unit,
        source_channel=source_channel,
        stage=FIRST_STAGE[track],
        stage_entered_at=occurred_at,
        **fields,
    )
    lead.code = "pending"
    lead_fill_name_keys(lead)
    full_clean_or_error(lead, exclude=["code"])
    # Evidence of the first stage is the lead's own fields; check them before a code is spent.
    from projects.evidence import evidence_check

    evidence_check(lead=lead, stage=lead.stage, evidence={}, occurred_on=occurred_at.date(), actor=actor)
    lead_check_duplicates(
        actor=actor,
        uscc=lead.uscc,
        hk_company_number=lead.hk_company_number,
        hk_organization=lead.hk_organization,
        names=[lead.name, lead.name_zh_hant, lead.name_en],
        allow_duplicate=allow_duplicate,
    )
    lead.code = lead_next_code(year=timezone.localdate(occurred_at).year)
    lead.save()
    lead.co_owners.set([u for u in co_owners if u.pk != owner.pk])
    _set_competing_locations(lead, competing_locations)
    change = StageChange.objects.create(
        lead=lead, from_stage="", to_stage=lead.stage, actor=actor, occurred_at=occurred_at, imported=imported
    )
    milestones_for_move(change=change)
    return lead


def _set_competing_locations(lead: Lead, locations: Iterable[Organization]) -> None:
    locations = list(locations)
    if any(o.kind != Organization.Kind.COMPETING_LOCATION for o in locations):
        raise ApplicationError(
            _("Competing locations are places like Hetao or Qianhai: choose organizations of that kind."),
            field="competing_locations",
        )
    lead.competing_locations.set(locations)


def _refuse_merged(lead: Lead) -> None:
    if lead.status == Lead.Status.MERGED:
        raise IllegalStateError(_("This lead was merged into another lead and can no longer be changed."))


@transaction.atomic
def lead_update(
    *,
    actor: User,
    lead: Lead,
    co_owners: Iterable[User] | None = None,
    competing_locations: Iterable[Organization] | None = None,
    **fields: Any,
) -> Lead:
    """Change a lead's descriptive fields. Owner, unit, stage and status change through their own services."""
    _refuse_unknown_fields(fields)
    _refuse_merged(lead)
    replacing_talent = "subject_contact" in fields and fields["subject_contact"] != lead.subject_contact
    if replacing_talent and lead.track == "talent" and lead.stage_changes.count() > 1:
        raise ApplicationError(_("The talent of a lead that has moved on cannot be replaced."))
    for name, value in fields.items():
        setattr(lead, name, value)
    if fields.keys() & set(NAME_FIELDS):
        lead_fill_name_keys(lead)
    full_clean_or_error(lead)
    lead.save()
    if co_owners is not None:
        lead.co_owners.set([u for u in co_owners if u.pk != lead.owner_id])
    if competing_locations is not None:
        _set_competing_locations(lead, competing_locations)
    return lead


def _set_status(lead: Lead, status: str, **fields: Any) -> Lead:
    lead.status = status
    for name, value in fields.items():
        setattr(lead, name, value)
    full_clean_or_error(lead)
    lead.save()
    return lead


@transaction.atomic
def lead_pause(*, actor: User, lead: Lead, reason: str, resume_review_on: dt.date, note: str = "") -> Lead:
    """Pause an active lead until a review date."""
    _refuse_merged(lead)
    if lead.status != Lead.Status.ACTIVE:
        raise IllegalStateError(
            _("Only an active lead can be paused; this one is “%(status)s”.")
            % {"status": lead.get_status_display()}
        )
    if resume_review_on <= timezone.localdate():
        raise ApplicationError(_("The review date must be in the future."), field="resume_review_on")
    return _set_status(
        lead, Lead.Status.PAUSED, pause_reason=reason, resume_review_on=resume_review_on, status_note=note
    )


@transaction.atomic
def lead_resume(*, actor: User, lead: Lead, note: str = "") -> Lead:
    """Make a paused lead active again."""
    if lead.status != Lead.Status.PAUSED:
        raise IllegalStateError(
            _("Only a paused lead can be resumed; this one is “%(status)s”.")
            % {"status": lead.get_status_display()}
        )
    return _set_status(lead, Lead.Status.ACTIVE, pause_reason="", resume_review_on=None, status_note=note)


@transaction.atomic
def lead_mark_lost(*, actor: User, lead: Lead, reason: str, lost_to: Any = None, note: str = "") -> Lead:
    """Record that the lead was lost, with a reason from the controlled list."""
    if lead.status not in (Lead.Status.ACTIVE, Lead.Status.PAUSED):
        raise IllegalStateError(
            _("Only an active or paused lead can be marked lost; this one is “%(status)s”.")
            % {"status": lead.get_status_display()}
        )
    if not reason:
        raise ApplicationError(_("Choose why the lead was lost."), field="reason")
    return _set_status(
        lead,
        Lead.Status.LOST,
        lost_reason=reason,
        lost_to=lost_to,
        status_note=note,
        pause_reason="",
        resume_review_on=None,
    )


@transaction.atomic
def lead_reopen(*, actor: User, lead: Lead, note: str) -> Lead:
    """Bring a lost lead back to active (a manager's decision, with a reason)."""
    if lead.status != Lead.Status.LOST:
        raise IllegalStateError(_("Only a lost lead can be reopened."))
    if not actor.has_perm("projects.move_lead_backward"):
        raise ApplicationError(_("Only a manager can reopen a lost lead."))
    if not note.strip():
        raise ApplicationError(_("Say why the lead is reopened."), field="note")
    return _set_status(lead, Lead.Status.ACTIVE, lost_reason="", lost_to=None, status_note=note)
