"""Hand-overs of a lead between units (移交), and a manager's bulk reassignment of leads to another officer.

While a hand-over is pending the lead is *transferred*: the receiving unit's heads and managers see it read-only
and accept or decline it. Accepting moves the lead to the receiving unit under a new owner; the previous owner
stays on as a co-owner, which is the only way the sending unit keeps access (DESIGN §2).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Unit, UnitMembership, User
from accounts.visibility import user_scope
from core.errors import ApplicationError, IllegalStateError, full_clean_or_error
from projects.events import leads_reassigned
from projects.models import HandOver, Lead, Milestone
from projects.selectors import leads_visible_to

# simple-history's change reason column is a varchar(100).
CHANGE_REASON_LENGTH = 100


def _manages(user: User, unit: Unit) -> bool:
    """Head or manager of `unit` or of a unit above it, or bureau-level."""
    scope = user_scope(user)
    return scope.sees_everything or any(unit.path.startswith(path) for path in scope.managed_unit_paths)


def _is_staff_of(user: User, unit: Unit) -> bool:
    """An active user with a membership (member, head or manager) in `unit` itself."""
    return user.is_active and UnitMembership.objects.filter(user=user, unit=unit).exists()


def _lock_lead(pk: int) -> Lead:
    # Two people deciding on one lead queue up here; `of` keeps the joined unit and owner rows unlocked.
    return Lead.objects.select_for_update(of=("self",)).select_related("owning_unit", "owner").get(pk=pk)


def _lock_handover(handover: HandOver) -> HandOver:
    return (
        HandOver.objects.select_for_update(of=("self",))
        .select_related("from_unit", "to_unit")
        .get(pk=handover.pk)
    )


@contextmanager
def _no_history_row(lead: Lead) -> Iterator[None]:
    """Change the lead's co-owners without a history row of their own: the save that follows writes one row
    showing the new owner, unit, status and co-owners together."""
    lead.skip_history_when_saving = True  # type: ignore[attr-defined]
    try:
        yield
    finally:
        del lead.skip_history_when_saving  # type: ignore[attr-defined]


def _save_lead(lead: Lead, *, actor: User, reason: str = "") -> None:
    lead._history_user = actor  # type: ignore[attr-defined]
    if reason:
        lead._change_reason = reason[:CHANGE_REASON_LENGTH]  # type: ignore[attr-defined]
    full_clean_or_error(lead)
    lead.save()


def _save_handover(handover: HandOver, *, actor: User) -> None:
    handover._history_user = actor  # type: ignore[attr-defined]
    full_clean_or_error(handover)
    handover.save()


def _back_to_active(lead: Lead, *, actor: User, note: str) -> None:
    """A transferred lead is active again. A lead that was paused before the request comes back active too:
    nothing records the status it had, and its review date may have passed while it waited."""
    lead.status = Lead.Status.ACTIVE
    lead.pause_reason = ""
    lead.resume_review_on = None
    lead.status_note = note
    _save_lead(lead, actor=actor)


def _refuse_decided(handover: HandOver) -> None:
    if handover.status != HandOver.Status.PENDING:
        raise IllegalStateError(
            _("This hand-over is no longer pending: it is “%(status)s”.")
            % {"status": handover.get_status_display()}
        )


def _check_decider(actor: User, handover: HandOver) -> None:
    if not actor.has_perm("projects.change_handover") or not _manages(actor, handover.to_unit):
        raise ApplicationError(
            _(
                "Only a head or manager of %(unit)s (or of a unit above it) can accept or decline this hand-over."
            )
            % {"unit": handover.to_unit}
        )


@transaction.atomic
def handover_request(*, actor: User, lead: Lead, to_unit: Unit, note: str) -> HandOver:
    """Offer a lead to another unit; it waits, transferred, for the receiving unit's decision."""
    lead = _lock_lead(lead.pk)
    if not leads_visible_to(actor).filter(pk=lead.pk).exists():
        raise ApplicationError(_("This lead does not exist or you cannot see it."))
    is_owner = lead.owner_id == actor.pk or lead.co_owners.filter(pk=actor.pk).exists()
    if not actor.has_perm("projects.add_handover") or not (is_owner or _manages(actor, lead.owning_unit)):
        raise ApplicationError(
            _("Only the lead's owner, a co-owner, or a head or manager of %(unit)s can hand it over.")
            % {"unit": lead.owning_unit}
        )
    pending = lead.handovers.filter(status=HandOver.Status.PENDING).select_related("to_unit").first()
    if pending is not None:
        raise IllegalStateError(
            _("This lead is already offered to %(unit)s. Withdraw that hand-over before making another.")
            % {"unit": pending.to_unit}
        )
    if lead.status not in (Lead.Status.ACTIVE, Lead.Status.PAUSED):
        raise IllegalStateError(
            _("Only an active or paused lead can be handed over; this one is “%(status)s”.")
            % {"status": lead.get_status_display()}
        )
    if to_unit.pk == lead.owning_unit_id:
        raise ApplicationError(
            _("The lead already belongs to %(unit)s. Choose another unit.") % {"unit": to_unit},
            field="to_unit",
        )
    if not to_unit.is_active:
        raise ApplicationError(
            _("%(unit)s is no longer active. Choose an active unit.") % {"unit": to_unit}, field="to_unit"
        )
    note = note.strip()
    if not note:
        raise ApplicationError(_("Say why the lead is handed over."), field="note")
    handover = HandOver(lead=lead, from_unit=lead.owning_unit, to_unit=to_unit, note=note, requested_by=actor)
    _save_handover(handover, actor=actor)
    lead.status = Lead.Status.TRANSFERRED
    lead.status_note = note
    _save_lead(lead, actor=actor)
    return handover


@transaction.atomic
def handover_accept(
    *, actor: User, handover: HandOver, owner: User | None = None, note: str = ""
) -> HandOver:
    """Take the lead into the receiving unit under a new owner (the actor unless named); the previous owner
    becomes a co-owner."""
    handover = _lock_handover(handover)
    _check_decider(actor, handover)
    _refuse_decided(handover)
    to_unit = handover.to_unit
    if not to_unit.is_active:
        raise IllegalStateError(
            _("%(unit)s is no longer active and cannot take the lead. Decline the hand-over instead.")
            % {"unit": to_unit}
        )
    owner = owner or actor
    if not _is_staff_of(owner, to_unit):
        raise ApplicationError(
            _("%(owner)s is not an active member of %(unit)s. Choose the new owner from its staff.")
            % {"owner": owner, "unit": to_unit},
            field="owner",
        )
    lead = _lock_lead(handover.lead_id)
    note = note.strip()
    handover.status = HandOver.Status.ACCEPTED
    handover.decided_by = actor
    handover.decided_at = timezone.now()
    handover.decision_note = note
    _save_handover(handover, actor=actor)
    previous_owner = lead.owner
    with _no_history_row(lead):
        lead.co_owners.remove(owner)
        if previous_owner.pk != owner.pk:
            lead.co_owners.add(previous_owner)
    lead.owning_unit = to_unit
    lead.owner = owner
    lead.status = Lead.Status.ACTIVE
    lead.pause_reason = ""
    lead.resume_review_on = None
    lead.status_note = note
    _save_lead(lead, actor=actor)
    if previous_owner.pk != owner.pk:
        _owner_changed(previous_owners={lead.pk: previous_owner.pk}, actor=actor)
    return handover


@transaction.atomic
def handover_decline(*, actor: User, handover: HandOver, note: str) -> HandOver:
    """Refuse the lead; it stays with the sending unit and is active again (a lead paused before the request
    comes back active too: the hand-over does not record the status it had)."""
    handover = _lock_handover(handover)
    _check_decider(actor, handover)
    _refuse_decided(handover)
    note = note.strip()
    if not note:
        raise ApplicationError(_("Say why the hand-over is declined."), field="note")
    lead = _lock_lead(handover.lead_id)
    handover.status = HandOver.Status.DECLINED
    handover.decided_by = actor
    handover.decided_at = timezone.now()
    handover.decision_note = note
    _save_handover(handover, actor=actor)
    _back_to_active(lead, actor=actor, note=note)
    return handover


@transaction.atomic
def handover_withdraw(*, actor: User, handover: HandOver) -> HandOver:
    """The requester (or a head or manager of the sending unit) takes the offer back; the lead is active
    again, as after a decline."""
    handover = _lock_handover(handover)
    if handover.requested_by_id != actor.pk and not _manages(actor, handover.from_unit):
        raise ApplicationError(
            _(
                "Only the person who asked for this hand-over, or a head or manager of %(unit)s, can withdraw it."
            )
            % {"unit": handover.from_unit}
        )
    _refuse_decided(handover)
    lead = _lock_lead(handover.lead_id)
    handover.status = HandOver.Status.WITHDRAWN
    handover.decided_by = actor
    handover.decided_at = timezone.now()
    _save_handover(handover, actor=actor)
    _back_to_active(lead, actor=actor, note="")
    return handover


def _codes(leads: Iterable[Lead]) -> str:
    return ", ".join(lead.code for lead in leads)


@transaction.atomic
def _owner_changed(*, previous_owners: dict[int, int], actor: User) -> None:
    """What follows a new owner: the open milestones the previous owner held move to the new one (with a
    history row each), and apps above hear of it (reminders cancel what was queued for the previous owner)."""
    for milestone in (
        Milestone.objects.select_related("lead")
        .filter(lead_id__in=previous_owners, status__in=[Milestone.Status.OPEN, Milestone.Status.BLOCKED])
        .order_by("pk")
    ):
        if milestone.assignee_id == previous_owners[milestone.lead_id]:
            milestone.assignee_id = milestone.lead.owner_id
            milestone._history_user = actor  # type: ignore[attr-defined]
            milestone.save(update_fields=["assignee"])
    leads_reassigned.send(sender=Lead, previous_owners=previous_owners)


def leads_reassign(*, actor: User, leads: Iterable[Lead], to_owner: User, note: str = "") -> int:
    """Give leads to another officer, all or none; returns how many changed owner (leads the officer already
    owns are skipped). The note goes into each lead's history as the change reason."""
    if not actor.has_perm("projects.reassign_lead"):
        raise ApplicationError(_("Only a manager can reassign leads."))
    if not to_owner.is_active:
        raise ApplicationError(
            _("%(owner)s is no longer active. Choose an active officer.") % {"owner": to_owner},
            field="to_owner",
        )
    # Locked in id order, so two managers reassigning overlapping sets cannot deadlock.
    locked = list(
        Lead.objects.select_for_update(of=("self",))
        .select_related("owning_unit")
        .filter(pk__in={lead.pk for lead in leads})
        .order_by("pk")
    )
    outside = [lead for lead in locked if not _manages(actor, lead.owning_unit)]
    if outside:
        raise ApplicationError(
            _("You do not head or manage the owning unit of %(leads)s. Nothing was reassigned.")
            % {"leads": _codes(outside)}
        )
    merged = [lead for lead in locked if lead.status == Lead.Status.MERGED]
    if merged:
        raise IllegalStateError(
            _("%(leads)s were merged into other leads and cannot be reassigned. Nothing was reassigned.")
            % {"leads": _codes(merged)}
        )
    staff_of = set(
        UnitMembership.objects.filter(
            user=to_owner, unit__in={lead.owning_unit_id for lead in locked}
        ).values_list("unit_id", flat=True)
    )
    foreign = [lead for lead in locked if lead.owning_unit_id not in staff_of]
    if foreign:
        raise ApplicationError(
            _("%(owner)s is not a member of the owning unit of %(leads)s. Nothing was reassigned.")
            % {"owner": to_owner, "leads": _codes(foreign)},
            field="to_owner",
        )
    changed = [lead for lead in locked if lead.owner_id != to_owner.pk]
    previous_owners = {lead.pk: lead.owner_id for lead in changed}
    for lead in changed:
        with _no_history_row(lead):
            lead.co_owners.remove(to_owner)  # owning a lead includes co-owning it
        lead.owner = to_owner
        _save_lead(lead, actor=actor, reason=note.strip())
    _owner_changed(previous_owners=previous_owners, actor=actor)
    return len(changed)
