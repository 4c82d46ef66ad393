"""Recruitment events and the attendances recorded at them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.models import User
from core.errors import ApplicationError, IllegalStateError, full_clean_or_error
from talent.models import Attendance, Consent, Contact, RecruitmentEvent
from talent.validators import refuse_id_numbers

EVENT_FIELDS = {
    "name",
    "kind",
    "city",
    "venue",
    "starts_on",
    "ends_on",
    "organizer",
    "carrier",
    "notes",
    "registration_open",
}
ATTENDANCE_FIELDS = {"session", "method", "grade", "next_action", "next_action_on", "notes", "consent"}


def _refuse_unknown(fields: dict[str, Any], allowed: set[str]) -> None:
    unknown = set(fields) - allowed
    if unknown:
        raise TypeError(f"not editable through this service: {sorted(unknown)}")


@transaction.atomic
def event_create(
    *, actor: User | None, assigned_staff: Iterable[User] = (), **fields: Any
) -> RecruitmentEvent:
    _refuse_unknown(fields, EVENT_FIELDS)
    event = RecruitmentEvent(**fields)
    full_clean_or_error(event)
    event.save()
    event.assigned_staff.set(list(assigned_staff))
    return event


@transaction.atomic
def event_update(
    *,
    actor: User | None,
    event: RecruitmentEvent,
    assigned_staff: Iterable[User] | None = None,
    **fields: Any,
) -> RecruitmentEvent:
    _refuse_unknown(fields, EVENT_FIELDS)
    for name, value in fields.items():
        setattr(event, name, value)
    full_clean_or_error(event)
    event.save()
    if assigned_staff is not None:
        event.assigned_staff.set(list(assigned_staff))
    return event


@transaction.atomic
def attendance_record(
    *, actor: User | None, event: RecruitmentEvent, contact: Contact, **fields: Any
) -> Attendance:
    """Log that the person was met at the event (once per event: a second capture is refused with a message)."""
    _refuse_unknown(fields, ATTENDANCE_FIELDS)
    if contact.status != Contact.Status.ACTIVE:
        raise IllegalStateError(_("%(contact)s can no longer be recorded at events.") % {"contact": contact})
    consent: Consent | None = fields.get("consent")
    if consent is not None and consent.contact_id != contact.pk:
        raise ApplicationError(_("The consent record belongs to another person."), field="consent")
    next_on: dt.date | None = fields.get("next_action_on")
    if next_on is not None and next_on < event.starts_on:
        raise ApplicationError(_("The next action cannot be dated before the event."), field="next_action_on")
    if Attendance.objects.filter(event=event, contact=contact).exists():
        raise ApplicationError(
            _("%(contact)s is already recorded at this event.") % {"contact": contact}, field="contact"
        )
    refuse_id_numbers(notes=fields.get("notes", ""), next_action=fields.get("next_action", ""))
    attendance = Attendance(event=event, contact=contact, captured_by=actor, **fields)
    full_clean_or_error(attendance, exclude=["contact", "event"])
    try:
        with transaction.atomic():
            attendance.save()
    except IntegrityError:  # two captures of one person at once
        raise ApplicationError(
            _("%(contact)s is already recorded at this event.") % {"contact": contact}, field="contact"
        ) from None
    return attendance


@transaction.atomic
def attendance_update(*, actor: User | None, attendance: Attendance, **fields: Any) -> Attendance:
    _refuse_unknown(fields, ATTENDANCE_FIELDS - {"consent"})
    refuse_id_numbers(notes=fields.get("notes", ""), next_action=fields.get("next_action", ""))
    for name, value in fields.items():
        setattr(attendance, name, value)
    full_clean_or_error(attendance, exclude=["contact", "event"])
    attendance.save()
    return attendance
