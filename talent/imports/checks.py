"""Checking sign-in rows: each row's cells parsed, and the organizations and contacts a chunk of rows names looked
up in one query each."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Prefetch
from django.utils.translation import gettext as _

from core.errors import ApplicationError
from core.imports import values
from core.imports.reading import SourceRow
from directory.models import Organization, OrganizationAlias
from directory.services import name_key as organization_key
from talent.imports.columns import COLUMNS, GRADE, INTERESTS, LABELS, MAX_LENGTHS, NO, SEPARATORS, YES
from talent.models import Affiliation, Contact, ContactChannel, RecruitmentEvent
from talent.names import simplified
from talent.phones import phone_e164
from talent.services.contacts import channel_normalize
from talent.validators import refuse_id_numbers


def _word(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKC", text).casefold() if ch.isalnum())


def person_key(name: str) -> str:
    """A name as the natural key compares it: script, width, case, spaces and punctuation do not count."""
    return _word(simplified(name))


def _split(text: str) -> list[str]:
    return [part.strip() for part in SEPARATORS.split(text) if part.strip()]


class _Manager:
    """Just enough of a related manager for talent.identity to read a person not yet saved."""

    def __init__(self, items: Iterable[Any]) -> None:
        self._items = list(items)

    def all(self) -> list[Any]:
        return self._items


@dataclass
class _Person:
    """A row as talent.identity reads a contact: the fields matching compares, no primary key."""

    name: str
    name_romanized: str
    english_name: str
    organization: Organization | None
    channels: _Manager
    affiliations: _Manager
    pk: None = None

    @property
    def organization_id(self) -> int | None:
        return self.organization.pk if self.organization else None


@dataclass
class Row:
    number: int
    errors: list[str] = field(default_factory=list)
    name: str = ""
    fields: dict[str, Any] = field(default_factory=dict)
    channels: list[tuple[str, str, str]] = field(default_factory=list)  # (kind, raw, normalized)
    organization_text: str = ""
    organization: Organization | None = None
    grade: str = ""
    notes: str = ""
    interests_text: str = ""
    unknown_interests: str = ""
    consents: bool = False

    def person(self) -> _Person:
        return _Person(
            name=self.name,
            name_romanized=self.fields.get("name_romanized", ""),
            english_name=self.fields.get("english_name", ""),
            organization=self.organization,
            channels=_Manager(ContactChannel(kind=kind, value=value) for kind, _raw, value in self.channels),
            affiliations=_Manager([Affiliation(organization=self.organization)] if self.organization else []),
        )


def parse_row(source: SourceRow, purposes: list[str]) -> Row:
    row = Row(number=source.number)
    cells = {column.key: values.text(source.values.get(column.key)) for column in COLUMNS}
    _parse_name(row, cells)
    _parse_channels(row, cells)
    row.organization_text = cells["organization"]
    for key in ("title", "position", "research_field"):
        if cells[key]:
            row.fields[key] = cells[key]
    grade = unicodedata.normalize("NFKC", cells["grade"]).upper()
    if grade:
        match = GRADE.match(grade)
        if match:
            row.grade = match.group(1)
        else:
            row.errors.append(
                _("The grade “%(grade)s” is not A, B or C (leave it blank when there is none).")
                % {"grade": cells["grade"]}
            )
    _parse_interests(row, cells["interests"])
    row.notes = cells["notes"]
    if purposes:
        _parse_consent(row, cells["consent"])
    for key, limit in MAX_LENGTHS.items():
        value = row.name if key == "name" else row.fields.get(key, "")
        if limit and len(value) > limit:
            label = LABELS.get(key, LABELS["english_name"])
            row.errors.append(
                _("%(column)s is longer than %(limit)s characters.") % {"column": label, "limit": limit}
            )
    texts = {"name": row.name, **{k: v for k, v in row.fields.items() if isinstance(v, str)}}
    texts.update(notes=row.notes, interests=cells["interests"])
    for key, text in texts.items():
        try:
            refuse_id_numbers(**{key: text})
        except ApplicationError as exc:
            label = LABELS.get(key, LABELS["english_name"])
            row.errors.append(_("%(column)s: %(message)s") % {"column": label, "message": exc.message})
    return row


def _parse_name(row: Row, cells: dict[str, str]) -> None:
    name = cells["name"]
    if not any(ch.isalnum() for ch in name):
        row.errors.append(_("Missing name."))
        return
    if name.startswith("="):
        # A spreadsheet formula copied as text (=A2&B2): whatever it computed, it is not what the person wrote.
        row.errors.append(_("A formula is not a name: “%(value)s”.") % {"value": name})
        return
    row.name = name
    english = cells["english_name"]
    if english:
        # A single word is an English given name (Peter); more words are the name romanized (CHAN Tai Man,
        # Peter Chan), which matching reads together with the given name.
        row.fields["name_romanized" if len(english.split()) > 1 else "english_name"] = english


def _parse_channels(row: Row, cells: dict[str, str]) -> None:
    for raw in _split(cells["phone"]):
        try:
            row.channels.append((ContactChannel.Kind.PHONE, raw, phone_e164(raw)))
        except ApplicationError as exc:
            row.errors.append(exc.message)
    for raw in _split(cells["email"]):
        local, _at, domain = raw.rpartition("@")
        if not local or "." not in domain.strip(".") or domain.startswith(".") or domain.endswith("."):
            row.errors.append(
                _("E-mail without a domain: “%(value)s” (write it as name@example.com).") % {"value": raw}
            )
            continue
        try:
            row.channels.append(
                (ContactChannel.Kind.EMAIL, raw, channel_normalize(ContactChannel.Kind.EMAIL, raw))
            )
        except ApplicationError as exc:
            row.errors.append(exc.message)
    wechat = cells["wechat"]
    if wechat:
        try:
            row.channels.append(
                (
                    ContactChannel.Kind.WECHAT,
                    wechat,
                    channel_normalize(ContactChannel.Kind.WECHAT, wechat),
                )
            )
        except ApplicationError as exc:
            row.errors.append(
                _("WeChat ID “%(value)s”: %(message)s") % {"value": wechat, "message": exc.message}
            )


def _parse_interests(row: Row, text: str) -> None:
    row.interests_text = text
    known: list[str] = []
    unknown: list[str] = []
    for part in _split(text):
        interest = INTERESTS.get(_word(part))
        if interest is None:
            unknown.append(part)
        elif interest not in known:
            known.append(interest)
    if known:
        row.fields["interests"] = known
    row.unknown_interests = "、".join(unknown)


def _parse_consent(row: Row, text: str) -> None:
    word = unicodedata.normalize("NFKC", text).strip().casefold()
    if word in YES:
        row.consents = True
    elif word and word not in NO:
        row.errors.append(
            _("The consent cell “%(value)s” is neither yes (是, Y, ✓) nor no (否, N, blank).")
            % {"value": text}
        )


def resolve_organizations(rows: list[Row]) -> None:
    """Every organization of the chunk in one query, through the directory's aliases (港科大 = HKUST)."""
    keys = {organization_key(row.organization_text) for row in rows if row.organization_text}
    keys.discard("")
    found = {
        alias.key: alias.organization
        for alias in OrganizationAlias.objects.filter(key__in=keys).select_related("organization")
    }
    for row in rows:
        if not row.organization_text:
            continue
        row.organization = found.get(organization_key(row.organization_text))
        if row.organization is None:
            row.errors.append(
                _(
                    "Unknown organization “%(value)s”: add it to the directory, or add this name as an alias "
                    "of the organization it means, then check the file again."
                )
                % {"value": row.organization_text}
            )


def contacts_sharing_channels(rows: list[Row]) -> list[Contact]:
    """The active contacts holding any phone, e-mail or WeChat ID of the chunk, with what matching reads:
    one query for the chunk instead of one per row."""
    wanted: dict[str, set[str]] = {}
    for row in rows:
        for kind, _raw, value in row.channels:
            wanted.setdefault(kind, set()).add(value)
    if not wanted:
        return []
    ids: set[int] = set()
    for kind, kind_values in wanted.items():
        ids.update(
            ContactChannel.objects.filter(kind=kind, value__in=kind_values)
            .order_by()
            .values_list("contact_id", flat=True)
        )
    return list(
        Contact.objects.filter(pk__in=ids, status=Contact.Status.ACTIVE)
        .select_related("organization")
        .prefetch_related(
            Prefetch("channels", queryset=ContactChannel.objects.only("pk", "contact_id", "kind", "value")),
            Prefetch("affiliations", queryset=Affiliation.objects.select_related("organization")),
        )
    )


def event_attendees(event: RecruitmentEvent) -> dict[tuple[str, int | None], Contact]:
    people = Contact.objects.filter(attendances__event=event, status=Contact.Status.ACTIVE).only(
        "pk", "name", "english_name", "organization_id", "status"
    )
    return {(person_key(person.name), person.organization_id): person for person in people}
