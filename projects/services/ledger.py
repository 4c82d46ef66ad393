"""Stage history taken over from the lead ledger (台账): back-dated moves flagged as imported."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from core.dates import add_months
from core.errors import ApplicationError, IllegalStateError, full_clean_or_error
from projects.models import Lead, StageChange
from projects.services.stages import BLOCKED_STATUSES, RETENTION_MONTHS
from projects.stages import STAGES, Stage, stage_order


def _check_moves(lead: Lead, moves: Sequence[tuple[str, dt.datetime]], previous: dt.datetime) -> None:
    now = timezone.now()
    stage, arrived = lead.stage, None
    if lead.stage == Stage.T_ARRIVED:
        arrived = lead.stage_entered_at
    for to_stage, occurred_at in moves:
        if to_stage not in STAGES or STAGES[to_stage].track != lead.track:
            raise ApplicationError(
                _("“%(stage)s” is not a stage of this lead's track.") % {"stage": to_stage}, field="to_stage"
            )
        # The ledger records where a lead got to, never a step back: backward moves need a manager's reason.
        if stage_order(to_stage) <= stage_order(stage):
            raise ApplicationError(
                _("Imported history only moves forward: “%(to)s” does not come after “%(from)s”.")
                % {"to": Stage(to_stage).label, "from": Stage(stage).label},
                field="to_stage",
            )
        if occurred_at > now:
            raise ApplicationError(_("A stage change cannot be dated in the future."), field="occurred_at")
        if occurred_at < previous:
            raise ApplicationError(
                _("A stage change cannot be dated before the previous one (%(when)s).")
                % {"when": timezone.localtime(previous).strftime("%Y-%m-%d %H:%M")},
                field="occurred_at",
            )
        if to_stage == Stage.T_RETAINED and (
            arrived is None or occurred_at < add_months(arrived, RETENTION_MONTHS)
        ):
            raise ApplicationError(
                _("A talent can be counted as retained only 12 months or more after arriving."),
                field="to_stage",
            )
        if to_stage == Stage.T_ARRIVED:
            arrived = occurred_at
        stage, previous = to_stage, occurred_at


@transaction.atomic
def lead_import_history(
    *, lead: Lead, moves: Sequence[tuple[str, dt.datetime]], actor: User, note: str = ""
) -> list[StageChange]:
    """Record moves a lead made before it was tracked here (the ledger's history), oldest first, flagged as
    imported: forward along its track, back-dated, never in the future. No evidence is asked (the ledger has no
    documents) and no milestones are made; the lead's first live move afterwards makes only the milestones
    anchored beyond the last imported stage."""
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    if lead.status in BLOCKED_STATUSES:
        raise IllegalStateError(
            _("A lead that is “%(status)s” cannot change stage.") % {"status": lead.get_status_display()}
        )
    changes = list(lead.stage_changes.order_by("occurred_at", "pk").values_list("occurred_at", "imported"))
    # History goes before the live record: once staff moved the lead here, its stages are theirs to move.
    if any(not imported for _when, imported in changes[1:]):
        raise IllegalStateError(
            _("This lead has been moved since it was registered; move it on the lead's page instead.")
        )
    previous = changes[-1][0] if changes else lead.stage_entered_at
    _check_moves(lead, moves, previous)
    written = []
    for to_stage, occurred_at in moves:
        change = StageChange(
            lead=lead,
            from_stage=lead.stage,
            to_stage=to_stage,
            actor=actor,
            occurred_at=occurred_at,
            note=note.strip(),
            imported=True,
        )
        full_clean_or_error(change)
        change.save()
        written.append(change)
        lead.stage = to_stage
        lead.stage_entered_at = occurred_at
    if written:
        full_clean_or_error(lead)
        lead.save()
    return written
