"""Moving a lead between stages: the one way a stage changes."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from core.dates import add_months
from core.errors import ApplicationError, IllegalStateError, full_clean_or_error
from projects.evidence import CheckedEvidence, evidence_check
from projects.models import Document, Lead, LeadType, StageChange
from projects.services.milestones import aftercare_for_move, milestones_for_move
from projects.stages import STAGES, Stage, stage_order

BLOCKED_STATUSES = {Lead.Status.LOST, Lead.Status.TRANSFERRED, Lead.Status.MERGED}
RETENTION_MONTHS = 12


def _check_move(*, lead: Lead, to_stage: str, actor: User, occurred_at: dt.datetime, note: str) -> bool:
    """Refuse an illegal move; return True when the move goes backward."""
    if lead.status in BLOCKED_STATUSES:
        raise IllegalStateError(
            _("A lead that is “%(status)s” cannot change stage.") % {"status": lead.get_status_display()}
        )
    if to_stage not in STAGES or STAGES[to_stage].track != lead.track:
        raise ApplicationError(
            _("“%(stage)s” is not a stage of this lead's track.") % {"stage": to_stage}, field="to_stage"
        )
    if to_stage == lead.stage:
        raise IllegalStateError(_("The lead is already at “%(stage)s”.") % {"stage": Stage(to_stage).label})
    if occurred_at > timezone.now():
        raise ApplicationError(_("A stage change cannot be dated in the future."), field="occurred_at")
    previous = (
        lead.stage_changes.order_by("-occurred_at", "-pk").values_list("occurred_at", flat=True).first()
    )
    if previous and occurred_at < previous:
        raise ApplicationError(
            _("A stage change cannot be dated before the previous one (%(when)s).")
            % {"when": timezone.localtime(previous).strftime("%Y-%m-%d %H:%M")},
            field="occurred_at",
        )
    backward = stage_order(to_stage) < stage_order(lead.stage)
    if backward:
        if not actor.has_perm("projects.move_lead_backward"):
            raise ApplicationError(
                _("Only a manager can move a lead back to an earlier stage."), field="to_stage"
            )
        if not note.strip():
            raise ApplicationError(_("Say why the lead moves back to an earlier stage."), field="note")
    return backward


def _check_retention(lead: Lead, occurred_at: dt.datetime) -> None:
    arrived = (
        lead.stage_changes.filter(to_stage=Stage.T_ARRIVED)
        .order_by("-occurred_at")
        .values_list("occurred_at", flat=True)
        .first()
    )
    if arrived is None:
        raise ApplicationError(
            _("A talent can be counted as retained only after arriving."), field="to_stage"
        )
    earliest = add_months(arrived, RETENTION_MONTHS)
    if occurred_at < earliest:
        raise ApplicationError(
            _("Retention can be recorded from %(date)s, 12 months after arrival.")
            % {"date": timezone.localtime(earliest).date().isoformat()},
            field="to_stage",
        )


def _apply_facts(
    lead: Lead, stage: str, checked: CheckedEvidence, *, actor: User, occurred_at: dt.datetime
) -> None:
    """What the evidence proves becomes the lead's own facts."""
    data = checked.data
    if stage == Stage.REGISTERED:
        lead.uscc = data["uscc"]
        lead.registered_on = dt.date.fromisoformat(data["registration_date"])
    elif stage == Stage.MOVED_IN:
        lead.target_carrier = checked.carriers[0]
    elif stage == Stage.OPERATING:
        lead.headcount_now = data["staff_on_site"]
    elif stage == Stage.T_FOUNDED and checked.linked_lead is None and "new_company_name" in data:
        from projects.services.leads import lead_create

        if lead.hk_organization is None:
            # The new company's lead starts from the talent's Hong Kong affiliation.
            raise ApplicationError(
                _(
                    "Set the talent lead's Hong Kong organization first: the new company's lead starts from it."
                ),
                field="hk_organization",
            )
        company = lead_create(
            actor=actor,
            owner=lead.owner,
            name=data["new_company_name"],
            lead_type=LeadType.STARTUP,
            owning_unit=lead.owning_unit,
            source_channel=lead.source_channel,
            hk_organization=lead.hk_organization,
            sector=lead.sector,
            occurred_at=occurred_at,  # a back-dated founding registers the company on the same day
        )
        company.founded_from = lead
        company.save(update_fields=["founded_from"])
        data["linked_lead_id"] = company.pk
    if (
        stage == Stage.T_FOUNDED
        and checked.linked_lead is not None
        and checked.linked_lead.founded_from_id is None
    ):
        checked.linked_lead.founded_from = lead
        checked.linked_lead.save(update_fields=["founded_from"])


@transaction.atomic
def lead_advance(
    *,
    lead: Lead,
    to_stage: str,
    actor: User,
    occurred_at: dt.datetime | None = None,
    evidence: dict[str, Any] | None = None,
    note: str = "",
) -> StageChange:
    """Move a lead to another stage of its track, with the target stage's evidence, and record the move."""
    lead = Lead.objects.select_for_update().get(pk=lead.pk)  # two officers moving one lead queue up here
    occurred_at = occurred_at or timezone.now()
    evidence = evidence or {}
    backward = _check_move(lead=lead, to_stage=to_stage, actor=actor, occurred_at=occurred_at, note=note)
    if to_stage == Stage.T_RETAINED:
        _check_retention(lead, occurred_at)
    checked = CheckedEvidence()
    if not backward:
        checked = evidence_check(
            lead=lead,
            stage=to_stage,
            evidence=evidence,
            occurred_on=timezone.localdate(occurred_at),
            actor=actor,
        )
        _apply_facts(lead, to_stage, checked, actor=actor, occurred_at=occurred_at)
    change = StageChange.objects.create(
        lead=lead,
        from_stage=lead.stage,
        to_stage=to_stage,
        actor=actor,
        occurred_at=occurred_at,
        note=note.strip(),
        evidence=checked.data,
    )
    Document.objects.filter(pk__in=[d.pk for d in checked.documents]).update(
        stage_change=change, attached=True
    )
    lead.stage = to_stage
    lead.stage_entered_at = occurred_at
    full_clean_or_error(lead)
    lead.save()
    milestones_for_move(change=change)
    aftercare_for_move(change=change)
    return change
