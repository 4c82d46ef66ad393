"""Capturing a person at an event: the recorder's quick-capture page and the attendee's own QR form share this.

A capture always registers a new contact. Whether the person is already known is for an officer to decide in the
review queue: the recorder (or the anonymous attendee) learns only that a possible match exists, never whose."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from core.errors import ApplicationError
from directory.models import Organization
from directory.selectors import organization_lookup
from talent.models import Attendance, Consent, Contact, ContactChannel, RecruitmentEvent
from talent.selectors import has_open_duplicate
from talent.services.consent import consent_record
from talent.services.contacts import ChannelInput, contact_create
from talent.services.events import attendance_record

# The page's language tells which script the person reads: what later letters and mailings use.
SCRIPTS = {
    "zh-hans": Contact.Script.SIMPLIFIED,
    "zh-hant": Contact.Script.TRADITIONAL,
    "en": Contact.Script.LATIN,
}


@dataclass(frozen=True)
class CaptureInput:
    name: str
    organization: Organization | None = None
    # What the person wrote when it names no organization in the directory: kept in the notes, not lost.
    organization_text: str = ""
    position: str = ""
    phone: str = ""
    email: str = ""
    wechat: str = ""
    interests: Sequence[str] = ()
    grade: str = ""
    notes: str = ""
    purposes: Sequence[str] = field(default_factory=tuple)
    # The language the person read the collection statement in (zh-hans, zh-hant or en).
    language: str = ""


@dataclass(frozen=True)
class CaptureResult:
    attendance: Attendance
    possible_match: bool


def _organization(person: CaptureInput) -> tuple[Organization | None, str]:
    if person.organization is not None:
        return person.organization, ""
    text = person.organization_text.strip()
    if not text:
        return None, ""
    found = organization_lookup(text)
    return (found, "") if found else (None, text)


@transaction.atomic
def capture_person(
    *,
    actor: User | None,
    event: RecruitmentEvent,
    person: CaptureInput,
    method: str,
    consent_channel: str,
) -> CaptureResult:
    """Register the person, record what they consented to, and log their attendance — all or nothing."""
    name = person.name.strip()
    if not name:
        raise ApplicationError(_("Enter the person's name."), field="name")
    organization, unlisted = _organization(person)
    contact_notes = _("Organization as written: %(name)s") % {"name": unlisted} if unlisted else ""
    channels = [
        ChannelInput(kind, raw.strip())
        for kind, raw in (
            (ContactChannel.Kind.PHONE, person.phone),
            (ContactChannel.Kind.EMAIL, person.email),
            (ContactChannel.Kind.WECHAT, person.wechat),
        )
        if raw.strip()
    ]
    contact = contact_create(
        actor=actor,
        name=name,
        channels=channels,
        organization=organization,
        position=person.position.strip(),
        interests=list(dict.fromkeys(person.interests)),
        preferred_script=SCRIPTS.get(person.language, ""),
        notes=contact_notes,
    )
    consent: Consent | None = None
    if person.purposes:
        consent = consent_record(
            actor=actor,
            contact=contact,
            purposes=person.purposes,
            channel=consent_channel,
            language=person.language,
            evidence=_("Ticked on the form at %(event)s") % {"event": event.name},
        )
    attendance = attendance_record(
        actor=actor,
        event=event,
        contact=contact,
        method=method,
        grade=person.grade,
        notes=person.notes.strip(),
        consent=consent,
    )
    return CaptureResult(attendance=attendance, possible_match=has_open_duplicate(contact))
