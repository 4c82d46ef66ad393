"""Creating and editing contacts, their channels and affiliations; every save re-reads the person's identity."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from core.errors import ApplicationError, IllegalStateError, full_clean_or_error
from directory.models import Organization
from talent import identity
from talent.models import Affiliation, Contact, ContactChannel, DuplicatePair, Interest
from talent.names import simplified
from talent.validators import refuse_id_numbers

EDITABLE_FIELDS = {
    "name",
    "name_romanized",
    "english_name",
    "title",
    "organization",
    "position",
    "highest_degree",
    "research_field",
    "interests",
    "residency",
    "linkedin_url",
    "wecom_user_id",
    "preferred_language",
    "preferred_script",
    "notes",
}


_FREE_TEXT = (
    "name",
    "name_romanized",
    "english_name",
    "title",
    "position",
    "highest_degree",
    "research_field",
    "notes",
)


@dataclass(frozen=True)
class ChannelInput:
    kind: str
    raw: str
    label: str = ""


def channel_normalize(kind: str, raw: str) -> str:
    """The value matching compares; ApplicationError naming the field when the input cannot be one."""
    from talent.phones import phone_e164

    text = (raw or "").strip()
    if kind == ContactChannel.Kind.PHONE:
        return phone_e164(text)
    if kind == ContactChannel.Kind.EMAIL:
        try:
            validate_email(text)
        except ValidationError:
            raise ApplicationError(
                _("“%(raw)s” is not an e-mail address.") % {"raw": text}, field="email"
            ) from None
        return text.lower()
    if kind == ContactChannel.Kind.WECHAT:
        if not text or len(text) > 64 or any(ch.isspace() for ch in text):
            raise ApplicationError(_("A WeChat ID is one word of at most 64 characters."), field="wechat")
        return text.lower()
    raise ApplicationError(_("Unknown kind of channel: %(kind)s.") % {"kind": kind}, field="kind")


def _refuse_unknown(fields: dict[str, Any]) -> None:
    unknown = set(fields) - EDITABLE_FIELDS
    if unknown:
        raise TypeError(f"not editable through the contact services: {sorted(unknown)}")


def _check_interests(interests: Any) -> None:
    if not isinstance(interests, list) or any(i not in Interest.values for i in interests):
        raise ApplicationError(
            _("Choose interests from: %(choices)s.") % {"choices": ", ".join(str(i.label) for i in Interest)},
            field="interests",
        )


def _refuse_inactive(contact: Contact) -> None:
    if contact.status != Contact.Status.ACTIVE:
        raise IllegalStateError(
            _("%(contact)s is %(status)s and cannot be changed.")
            % {"contact": contact, "status": contact.get_status_display().lower()}
        )


def _save(contact: Contact) -> None:
    contact.name = (contact.name or "").strip()
    contact.name_simplified = simplified(contact.name)[:100]
    _check_interests(contact.interests)
    refuse_id_numbers(**{name: getattr(contact, name) for name in _FREE_TEXT})
    full_clean_or_error(contact)
    contact.save()


def _add_channels(contact: Contact, channels: Iterable[ChannelInput]) -> list[ContactChannel]:
    added = []
    held = set(contact.channels.values_list("kind", "value")) if contact.pk else set()
    for channel in channels:
        value = channel_normalize(channel.kind, channel.raw)
        if (channel.kind, value) in held:
            continue  # the same number typed twice, or once as 9123 4567 and once as +852 91234567
        held.add((channel.kind, value))
        row = ContactChannel(
            contact=contact,
            kind=channel.kind,
            value=value,
            raw=channel.raw.strip()[:254],
            label=channel.label,
        )
        full_clean_or_error(row)
        row.save()
        added.append(row)
    return added


@transaction.atomic
def contact_create(
    *,
    actor: User | None,
    name: str,
    channels: Sequence[ChannelInput] = (),
    affiliations: Sequence[dict[str, Any]] = (),
    **fields: Any,
) -> Contact:
    """Register a person. Possible duplicates go to the review queue; nothing is merged."""
    _refuse_unknown(fields)
    contact = Contact(name=name, created_by=actor, **fields)
    _save(contact)
    _add_channels(contact, channels)
    for affiliation in affiliations:
        affiliation_add(actor=actor, contact=contact, **affiliation, refresh=False)
    identity_refresh(contact=contact)
    return contact


@transaction.atomic
def contact_update(*, actor: User | None, contact: Contact, **fields: Any) -> Contact:
    _refuse_unknown(fields)
    _refuse_inactive(contact)
    for name, value in fields.items():
        setattr(contact, name, value)
    _save(contact)
    identity_refresh(contact=contact)
    return contact


@transaction.atomic
def channel_add(
    *, actor: User | None, contact: Contact, kind: str, raw: str, label: str = ""
) -> ContactChannel | None:
    """The new channel, or None when the person already had it."""
    _refuse_inactive(contact)
    added = _add_channels(contact, [ChannelInput(kind, raw, label)])
    identity_refresh(contact=contact)
    return added[0] if added else None


@transaction.atomic
def channel_remove(*, actor: User | None, channel: ContactChannel) -> None:
    contact = channel.contact
    _refuse_inactive(contact)
    channel.delete()
    identity_refresh(contact=contact)


@transaction.atomic
def affiliation_add(
    *,
    actor: User | None,
    contact: Contact,
    organization: Organization,
    department: str = "",
    position: str = "",
    started_on: dt.date | None = None,
    ended_on: dt.date | None = None,
    refresh: bool = True,
) -> Affiliation:
    _refuse_inactive(contact)
    affiliation = Affiliation(
        contact=contact,
        organization=organization,
        department=department,
        position=position,
        started_on=started_on,
        ended_on=ended_on,
    )
    full_clean_or_error(affiliation)
    affiliation.save()
    if refresh:
        identity_refresh(contact=contact)
    return affiliation


@transaction.atomic
def affiliation_end(*, actor: User | None, affiliation: Affiliation, ended_on: dt.date) -> Affiliation:
    affiliation.ended_on = ended_on
    full_clean_or_error(affiliation)
    affiliation.save()
    return affiliation


# --- The review queue ----------------------------------------------------------------------------------------------


def _pair_ids(a: int, b: int) -> tuple[int, int]:
    return (a, b) if a < b else (b, a)


def identity_refresh(*, contact: Contact) -> list[identity.Candidate]:
    """Rewrite the person's match keys and put every candidate in the review queue (open pairs are updated,
    decided ones left as decided); open pairs that no longer match are withdrawn."""
    identity.keys_refresh(contact)
    if contact.status != Contact.Status.ACTIVE:
        DuplicatePair.objects.filter(
            Q(first=contact) | Q(second=contact), status=DuplicatePair.Status.OPEN
        ).delete()
        return []
    candidates = identity.find_candidates(identity.with_details(contact))
    existing = {
        (pair.first_id, pair.second_id): pair
        for pair in DuplicatePair.objects.filter(Q(first=contact) | Q(second=contact))
    }
    seen = set()
    for candidate in candidates:
        first, second = _pair_ids(contact.pk, candidate.contact.pk)
        seen.add((first, second))
        pair = existing.get((first, second))
        if pair is None:
            try:
                with transaction.atomic():  # the other person's save may be queueing the same pair right now
                    DuplicatePair.objects.create(
                        first_id=first,
                        second_id=second,
                        level=candidate.level,
                        score=candidate.score,
                        reasons=list(candidate.reasons),
                    )
            except IntegrityError:
                pass
        elif pair.status == DuplicatePair.Status.OPEN and (
            pair.level != candidate.level
            or pair.score != candidate.score
            or pair.reasons != list(candidate.reasons)
        ):
            pair.level, pair.score, pair.reasons = candidate.level, candidate.score, list(candidate.reasons)
            pair.save(update_fields=["level", "score", "reasons"])
    stale = [
        pair.pk
        for ids, pair in existing.items()
        if ids not in seen and pair.status == DuplicatePair.Status.OPEN
    ]
    if stale:
        DuplicatePair.objects.filter(pk__in=stale).delete()
    return candidates


def identity_rescan(*, since: dt.datetime) -> int:
    """Match again everyone saved since a moment. Two people registered at the same instant do not see each other
    (neither save is committed when the other matches); the nightly pass finds such pairs."""
    count = 0
    ids = Contact.objects.filter(status=Contact.Status.ACTIVE, updated_at__gte=since).values_list(
        "pk", flat=True
    )
    for pk in ids.order_by("pk").iterator(chunk_size=500):
        with transaction.atomic():
            identity_refresh(contact=Contact.objects.get(pk=pk))
        count += 1
    return count


@transaction.atomic
def pair_dismiss(*, actor: User, pair: DuplicatePair) -> DuplicatePair:
    """Two people after all: the pair stays in the queue's history and is not offered again."""
    if pair.status != DuplicatePair.Status.OPEN:
        raise IllegalStateError(_("This pair has already been decided."))
    pair.status = DuplicatePair.Status.DISMISSED
    pair.decided_by = actor
    pair.decided_at = timezone.now()
    pair.save(update_fields=["status", "decided_by", "decided_at"])
    return pair
