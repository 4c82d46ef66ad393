"""The sign-in sheet importer: check a chunk of rows against the contacts and the event, commit what was checked."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from core.errors import ApplicationError
from core.imports.base import Importer, Outcome, RowCheck
from core.imports.reading import SourceRow
from directory.models import Organization
from talent import identity
from talent.imports.checks import (
    Row,
    contacts_sharing_channels,
    event_attendees,
    parse_row,
    person_key,
    resolve_organizations,
)
from talent.imports.columns import COLUMNS, COUNT_KEYS, LABELS
from talent.imports.options import SignInOptionsForm, consent_text, consent_time
from talent.models import (
    Attendance,
    Consent,
    ConsentText,
    Contact,
    ContactChannel,
    Level,
    Purpose,
    RecruitmentEvent,
)
from talent.selectors import contacts_visible_to, events_visible_to
from talent.services.consent import consent_record
from talent.services.contacts import ChannelInput, contact_create
from talent.services.events import attendance_record


class SignInSheetImporter(Importer):
    kind = "talent.signin"
    title = gettext_lazy("Event sign-in sheet (contacts and attendances)")
    permission = "talent.add_attendance"
    columns = COLUMNS
    options_form = SignInOptionsForm
    actor: User
    result_labels = {
        "contacts_created": gettext_lazy("Contacts created"),
        "contacts_matched": gettext_lazy("Existing contacts recorded"),
        "attendances_created": gettext_lazy("Attendances recorded"),
        "consents_recorded": gettext_lazy("Paper consents recorded"),
    }

    def __init__(self, *, actor: Any, options: dict[str, Any]) -> None:
        super().__init__(actor=actor, options=options)
        self._event: RecruitmentEvent | None = None
        self._text: ConsentText | None = None
        purposes = options.get("consent_purposes") or []
        self.purposes = [p for p in Purpose.values if p in purposes]
        self.reference = str(options.get("consent_reference") or "").strip()

    @property
    def event(self) -> RecruitmentEvent:
        """The chosen event, looked up in the actor's scope every time the importer is built: an assignment
        removed between upload and commit stops the import."""
        if self._event is None:
            chosen = self.options.get("event")
            visible = events_visible_to(self.actor)
            self._event = visible.filter(pk=chosen).first() if isinstance(chosen, int) else None
            if self._event is None:
                raise ApplicationError(
                    _("The event of this import no longer exists or is not one you are assigned to."),
                    field="event",
                )
        return self._event

    def consent_statement(self) -> ConsentText | None:
        """The statement the paper consents are recorded against; None when the sheet records no consent."""
        if self.purposes and self._text is None:
            self._text = consent_text(self.event)
            if self._text is None:
                raise ApplicationError(
                    _(
                        "No consent statement had been published by %(date)s, the event's last day: the sheet's "
                        "consent cannot be recorded."
                    )
                    % {"date": self.event.ends_on.isoformat()},
                    field="consent_purposes",
                )
        return self._text

    # --- check ----------------------------------------------------------------------------------------------

    def check(self, rows: Sequence[SourceRow]) -> list[RowCheck]:
        event = self.event
        self.consent_statement()  # a sheet whose consent cannot be recorded is refused before any row
        parsed = [parse_row(row, self.purposes) for row in rows]
        resolve_organizations(parsed)
        valid = [row for row in parsed if not row.errors]
        sharing = contacts_sharing_channels(valid)
        holders = _holders(sharing)
        attending = set(
            Attendance.objects.filter(event=event, contact_id__in=[c.pk for c in sharing]).values_list(
                "contact_id", flat=True
            )
        )
        attendees_by_name = event_attendees(event) if any(not r.channels for r in valid) else {}
        checks: list[RowCheck] = []
        verdicts: list[tuple[Row, RowCheck, list[identity.Candidate]]] = []
        for row in parsed:
            if row.errors:
                checks.append(RowCheck(number=row.number, outcome=Outcome.ERROR, messages=row.errors))
                continue
            person = row.person()
            shared = [
                candidate
                for other in _holding(holders, row.channels)
                if (candidate := identity.assess(person, other)) is not None  # type: ignore[arg-type]
            ]
            check = RowCheck(number=row.number, outcome=Outcome.NEW, key=self._key(row), data=self._data(row))
            checks.append(check)
            recorded = next(
                (
                    c.contact
                    for c in _best_first(shared)
                    if c.level == Level.CERTAIN and c.contact.pk in attending
                ),
                None,
            )
            if recorded is None and not row.channels:
                # Without a phone or e-mail the name and organization are all that says who signed: the same
                # pair already at this event is the person imported before.
                recorded = attendees_by_name.get(
                    (person_key(row.name), row.organization.pk if row.organization else None)
                )
            if recorded is not None:
                check.outcome = Outcome.UNCHANGED
                check.messages = [_("Already recorded at this event as %(contact)s.") % {"contact": recorded}]
                continue
            certain = [c for c in _best_first(shared) if c.level == Level.CERTAIN]
            candidates = certain or identity.find_candidates(person)  # type: ignore[arg-type]
            verdicts.append((row, check, candidates))
        self._decide(verdicts)
        return checks

    def _decide(self, verdicts: list[tuple[Row, RowCheck, list[identity.Candidate]]]) -> None:
        """MATCH, REVIEW or NEW from the candidates. Whom the actor may not see is never named (an event recorder
        hears only that an officer will review), and never linked to: a new contact is made and queued instead."""
        ids = {c.contact.pk for _row, _check, candidates in verdicts for c in candidates}
        visible = (
            set(contacts_visible_to(self.actor).filter(pk__in=ids).values_list("pk", flat=True))
            if ids
            else set()
        )
        for _row, check, candidates in verdicts:
            if not candidates:
                continue
            best = candidates[0]
            if best.level == Level.CERTAIN and best.contact.pk in visible:
                check.outcome = Outcome.MATCH
                check.messages = [_("Matches %(contact)s.") % {"contact": best.contact}]
                check.data["contact"] = best.contact.pk
                continue
            check.outcome = Outcome.REVIEW
            shown = [str(c.contact) for c in candidates if c.contact.pk in visible][:3]
            if shown:
                check.messages = [
                    _(
                        "May be the same person as %(names)s: a new contact will be created and the pair put in "
                        "the review queue."
                    )
                    % {"names": ", ".join(shown)}
                ]
            else:
                check.messages = [_("Possible match, an officer will review: a new contact will be created.")]

    def _key(self, row: Row) -> str:
        event = self.event.pk
        for kind in (ContactChannel.Kind.PHONE, ContactChannel.Kind.EMAIL):
            for channel_kind, _raw, value in row.channels:
                if channel_kind == kind:
                    return f"{event}:{kind}:{value}"
        organization = row.organization.pk if row.organization else ""
        return f"{event}:name:{person_key(row.name)}:{organization}"

    def _data(self, row: Row) -> dict[str, Any]:
        return {
            "name": row.name,
            "fields": row.fields,
            "organization": row.organization.pk if row.organization else None,
            "channels": [[kind, raw] for kind, raw, _value in row.channels],
            "grade": row.grade,
            "notes": row.notes,
            "interests_text": row.interests_text,
            "unknown_interests": row.unknown_interests,
            "consents": row.consents,
        }

    # --- commit ---------------------------------------------------------------------------------------------

    def commit(self, checks: Sequence[RowCheck]) -> dict[str, int]:
        event = self.event
        counts = dict.fromkeys(COUNT_KEYS, 0)
        rows = [c for c in checks if c.outcome in (Outcome.NEW, Outcome.MATCH, Outcome.REVIEW)]
        organizations = Organization.objects.in_bulk(
            {c.data["organization"] for c in rows if c.data.get("organization")}
        )
        attended = set(Attendance.objects.filter(event=event).values_list("contact_id", flat=True))
        text = self.consent_statement()
        for check in rows:
            try:
                self._commit_row(check, event, organizations, attended, text, counts)
            except ApplicationError as exc:
                raise ApplicationError(
                    _("Row %(number)s: %(message)s") % {"number": check.number, "message": exc.message},
                    field=exc.field,
                ) from exc
        return counts

    def _commit_row(
        self,
        check: RowCheck,
        event: RecruitmentEvent,
        organizations: dict[int, Organization],
        attended: set[int],
        text: ConsentText | None,
        counts: dict[str, int],
    ) -> None:
        data = check.data
        notes = data["notes"]
        if check.outcome == Outcome.MATCH:
            contact = Contact.objects.filter(pk=data["contact"], status=Contact.Status.ACTIVE).first()
            if contact is None:
                raise ApplicationError(
                    _("The matching contact was merged or erased since the file was checked: check it again.")
                )
            if contact.pk in attended:
                return  # recorded meanwhile, or by an earlier row of this file under another phone or e-mail
            extra = data["interests_text"]
            counts["contacts_matched"] += 1
        else:
            organization = organizations.get(data["organization"]) if data["organization"] else None
            if data["organization"] and organization is None:
                raise ApplicationError(
                    _("The organization was removed from the directory: check the file again.")
                )
            contact = contact_create(
                actor=self.actor,
                name=data["name"],
                channels=[ChannelInput(kind, raw) for kind, raw in data["channels"]],
                affiliations=[{"organization": organization, "position": data["fields"].get("position", "")}]
                if organization
                else [],
                organization=organization,
                **data["fields"],
            )
            extra = data["unknown_interests"]
            counts["contacts_created"] += 1
        if extra:
            notes = "\n".join(part for part in (notes, f"{LABELS['interests']}: {extra}") if part)
        consent = self._consent(contact, check, event, text) if data["consents"] and text else None
        if consent is not None:
            counts["consents_recorded"] += 1
        attendance_record(
            actor=self.actor,
            event=event,
            contact=contact,
            method=Attendance.Method.IMPORT,
            grade=data["grade"],
            notes=notes,
            consent=consent,
        )
        attended.add(contact.pk)
        counts["attendances_created"] += 1

    def _consent(
        self, contact: Contact, check: RowCheck, event: RecruitmentEvent, text: ConsentText
    ) -> Consent | None:
        held = {purpose for purpose in Purpose.values if contact.consents_to(purpose)}
        if set(self.purposes) <= held:
            return None
        evidence = _("%(event)s, sign-in sheet row %(number)s") % {
            "event": event.name,
            "number": check.number,
        }
        if self.reference:
            evidence = f"{self.reference} · {evidence}"
        # A grant replaces the person's current consent: purposes given before (on a QR form, say) are kept, or
        # signing a sheet would read as withdrawing them.
        return consent_record(
            actor=self.actor,
            contact=contact,
            purposes=held | set(self.purposes),
            channel=Consent.Channel.PAPER,
            text=text,
            evidence=evidence[:200],
            recorded_at=consent_time(event),
        )


def _holders(contacts: list[Contact]) -> dict[tuple[str, str], list[Contact]]:
    """Who holds each channel, built once per chunk: scanning every contact for every row was quadratic."""
    holders: dict[tuple[str, str], list[Contact]] = {}
    for contact in contacts:
        for channel in contact.channels.all():
            holders.setdefault((channel.kind, channel.value), []).append(contact)
    return holders


def _holding(
    holders: dict[tuple[str, str], list[Contact]], channels: list[tuple[str, str, str]]
) -> list[Contact]:
    """The contacts holding any of the row's channels, each once, in the order they were found."""
    found: dict[int, Contact] = {}
    for kind, _raw, value in channels:
        for contact in holders.get((kind, value), ()):
            found.setdefault(contact.pk, contact)
    return list(found.values())


def _best_first(candidates: list[identity.Candidate]) -> list[identity.Candidate]:
    order: dict[str, int] = {Level.CERTAIN: 0, Level.LIKELY: 1, Level.POSSIBLE: 2}
    return sorted(candidates, key=lambda c: (order[c.level], -c.score, c.contact.pk))
