"""Signings, capital injections, activities, contacts and coordination needs of a lead."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from core.errors import ApplicationError, IllegalStateError, full_clean_or_error
from directory.models import Organization
from projects.models import (
    Activity,
    AftercareTouchpoint,
    CapitalInjection,
    CoordinationNeed,
    Document,
    Lead,
    LeadContact,
    Signing,
)
from talent.models import Contact, RecruitmentEvent


def _refuse_closed(lead: Lead) -> None:
    if lead.status == Lead.Status.MERGED:
        raise IllegalStateError(_("This lead was merged into another lead and can no longer be changed."))


def _refuse_future(day: dt.date, field: str) -> None:
    if day > timezone.localdate():
        raise ApplicationError(_("This date cannot be in the future."), field=field)


def _attach(documents: Iterable[Document], *, lead: Lead, **link: object) -> None:
    documents = list(documents)
    if any(d.lead_id != lead.pk for d in documents):
        raise ApplicationError(_("Only documents uploaded to this lead can be cited."), field="documents")
    Document.objects.filter(pk__in=[d.pk for d in documents]).update(attached=True, **link)


@transaction.atomic
def signing_create(
    *,
    actor: User,
    lead: Lead,
    signed_on: dt.date,
    investor: Organization,
    amount: Decimal,
    currency: str,
    kind: str = Signing.Kind.NEW,
    event: RecruitmentEvent | None = None,
    documents: Iterable[Document] = (),
    note: str = "",
) -> Signing:
    """Record a signing. A project counts once: only the lead's first new signing credits its event."""
    _refuse_closed(lead)
    _refuse_future(signed_on, "signed_on")
    if kind == Signing.Kind.NEW and Signing.objects.filter(lead=lead, investor=investor, kind=kind).exists():
        raise IllegalStateError(
            _(
                "%(investor)s already has a new signing on this lead. Record a capital increase or a re-signing instead."
            )
            % {"investor": investor},
            field="investor",
        )
    earlier_new = Signing.objects.filter(lead=lead, kind=Signing.Kind.NEW, signed_on__lte=signed_on).exists()
    credited = {
        Signing.Kind.NEW: None if earlier_new else event,
        Signing.Kind.RESIGN: event,
        Signing.Kind.CAPITAL_INCREASE: None,
    }[Signing.Kind(kind)]
    signing = Signing(
        lead=lead,
        signed_on=signed_on,
        kind=kind,
        investor=investor,
        event=event,
        credited_event=credited,
        amount=amount,
        currency=currency,
        note=note,
        created_by=actor,
    )
    # The duplicate check above gives the readable message; constraints still catch a negative amount.
    full_clean_or_error(signing, validate_constraints=False)
    if amount < 0:
        raise ApplicationError(_("The amount cannot be negative."), field="amount")
    try:
        with transaction.atomic():
            signing.save()
    except IntegrityError:
        # Two officers recorded the same new signing at once; the constraint kept one.
        raise IllegalStateError(
            _("%(investor)s already has a new signing on this lead.") % {"investor": investor},
            field="investor",
        ) from None
    _attach(documents, lead=lead, signing=signing)
    return signing


@transaction.atomic
def capital_injection_create(
    *,
    actor: User,
    lead: Lead,
    received_on: dt.date,
    amount: Decimal,
    currency: str,
    documents: Iterable[Document] = (),
    note: str = "",
) -> CapitalInjection:
    """Record capital actually in place (到资)."""
    _refuse_closed(lead)
    _refuse_future(received_on, "received_on")
    injection = CapitalInjection(
        lead=lead, received_on=received_on, amount=amount, currency=currency, note=note, created_by=actor
    )
    full_clean_or_error(injection)
    injection.save()
    _attach(documents, lead=lead, capital_injection=injection)
    return injection


@transaction.atomic
def activity_log(
    *,
    actor: User,
    lead: Lead,
    kind: str,
    occurred_at: dt.datetime,
    summary: str,
    participants: Iterable[User] = (),
    contacts: Iterable[Contact] = (),
    next_step: str = "",
    next_step_on: dt.date | None = None,
    aftercare: AftercareTouchpoint | None = None,
) -> Activity:
    """Log a follow-up; the lead's last activity moves forward with it. Citing one of the lead's aftercare
    touch-points marks it done."""
    _refuse_closed(lead)
    if occurred_at > timezone.now():
        raise ApplicationError(_("An activity cannot be dated in the future."), field="occurred_at")
    next_step = next_step.strip()
    if next_step_on and not next_step:
        raise ApplicationError(_("Say what the next step is."), field="next_step")
    if next_step_on and next_step_on < timezone.localdate(occurred_at):
        raise ApplicationError(
            _("The next step cannot be dated before the activity itself."), field="next_step_on"
        )
    if aftercare is not None and aftercare.lead_id != lead.pk:
        raise ApplicationError(_("This aftercare touch-point belongs to another lead."), field="aftercare")
    activity = Activity(
        lead=lead,
        kind=kind,
        occurred_at=occurred_at,
        summary=summary.strip(),
        next_step=next_step,
        next_step_on=next_step_on,
        created_by=actor,
    )
    full_clean_or_error(activity)
    activity._history_user = actor  # type: ignore[attr-defined]
    activity.save()
    if participants:
        activity.participants.set(participants)
    if contacts:
        activity.contacts.set(contacts)
    # A conditional update: a late entry for an older date never moves last_activity_at backwards.
    Lead.objects.filter(pk=lead.pk).exclude(last_activity_at__gte=occurred_at).update(
        last_activity_at=occurred_at
    )
    if aftercare is not None and aftercare.done_at is None:
        aftercare.activity, aftercare.done_at = activity, occurred_at
        aftercare._history_user = actor  # type: ignore[attr-defined]
        aftercare.save(update_fields=["activity", "done_at"])
    return activity


@transaction.atomic
def lead_contact_add(*, actor: User, lead: Lead, contact: Contact, role: str) -> LeadContact:
    """Link a contact to a lead in a role (PI, founder, team member, advisor)."""
    _refuse_closed(lead)
    link = LeadContact(lead=lead, contact=contact, role=role)
    full_clean_or_error(link)
    link.save()
    return link


@transaction.atomic
def coordination_need_add(
    *, actor: User, lead: Lead, request: str, department: str, due_on: dt.date | None = None
) -> CoordinationNeed:
    """Record something a government department must unblock (需政府协调事项)."""
    _refuse_closed(lead)
    need = CoordinationNeed(lead=lead, request=request, department=department, due_on=due_on)
    full_clean_or_error(need)
    need.save()
    return need


@transaction.atomic
def coordination_need_resolve(
    *, actor: User, need: CoordinationNeed, resolution: str, resolved_on: dt.date | None = None
) -> CoordinationNeed:
    """Close a coordination need with what was done."""
    if not resolution.strip():
        raise ApplicationError(_("Say how the need was resolved."), field="resolution")
    need.resolution = resolution
    need.resolved_on = resolved_on or timezone.localdate()
    full_clean_or_error(need)
    need.save()
    return need
