"""Demo events and the people met there: clearly fictional Hong Kong names (陳大文 is the customary placeholder)."""

from __future__ import annotations

import random
import string
from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

from core.seeding import DemoContext
from directory.models import Organization
from talent.models import (
    Affiliation,
    Attendance,
    Consent,
    Contact,
    ContactChannel,
    ContactMatchKey,
    ContactMerge,
    DuplicatePair,
    PersonalDataLog,
    RecruitmentEvent,
    Submission,
)

SURNAMES = ["陳", "黃", "李", "張", "梁", "何", "劉", "曾", "葉", "區", "吳", "麥"]
GIVEN = ["大文", "嘉欣", "志明", "詠詩", "家豪", "偉強", "美玲", "俊傑", "凱琳", "子軒", "曉晴", "浩賢"]

# Above this many contacts the demo inserts them in batches.
BULK_CONTACTS = 1000

EVENTS = [
    # (name, days before today, length in days, staff usernames)
    ("苏港创新合作交流会（香港科学园）", 120, 1, ["recorder", "officer"]),
    ("香港高校科研成果对接会（苏州工业园区）", 60, 2, ["officer"]),
    ("招才引智香港专场（香港会议展览中心）", 20, 1, ["recorder"]),
]


# Fictional people written the ways the same person turns up in the ledgers: the review queue shows them.
SAME_PEOPLE = [
    # (as first met, as met again, same phone?, same organization?)
    ("陳大文", "CHAN Tai Man", True, True),
    ("黃嘉欣", "Wong Ka Yan, Karen", False, True),
    ("區志明", "Au Chi Ming", True, False),
    ("張偉", "Zhang Wei", False, False),
]


def _phone(rng) -> str:
    """A Hong Kong mobile number as people write it (libphonenumber's allocations decide which blocks exist)."""
    import phonenumbers

    while True:
        number = f"+852 {rng.choice('69')}{rng.randint(100, 999)} {rng.randint(1000, 9999)}"
        if phonenumbers.is_valid_number(phonenumbers.parse(number)):
            return number


def _demo_key(ctx: DemoContext, name: str) -> str:
    generator = random.Random(f"{name}:{ctx.today.isoformat()}")
    return "".join(generator.choice(string.ascii_letters + string.digits) for _ in range(16))


def seed(ctx: DemoContext) -> None:
    universities = list(Organization.objects.filter(kind=Organization.Kind.UNIVERSITY).order_by("name"))
    events = []
    for name, days_ago, length, staff in EVENTS:
        starts = ctx.today - timedelta(days=days_ago)
        event = RecruitmentEvent.objects.create(
            name=name,
            kind=RecruitmentEvent.Kind.HK_PROMOTION
            if "香港" in name[-12:]
            else RecruitmentEvent.Kind.MATCHING,
            city="香港" if "苏州" not in name else "苏州",
            venue=name[name.index("（") + 1 : -1] if "（" in name else "",
            starts_on=starts,
            ends_on=starts + timedelta(days=length - 1),
            # Drawn from a generator of its own, so the dataset stays the same for a seed and the draws of
            # everything seeded after the events do not shift.
            registration_key=_demo_key(ctx, name),
        )
        event.assigned_staff.set([ctx.users[u] for u in staff])
        events.append(event)
    captured_by = {event.pk: event.assigned_staff.first() for event in events}
    count = max(10, ctx.leads // 4)
    if count > BULK_CONTACTS:
        contacts = _seed_bulk(ctx, universities, events, captured_by, count)
    else:
        contacts = _seed_through_services(ctx, universities, events, captured_by, count)
    ctx.shared["contacts"] = contacts
    ctx.shared["events"] = events


def _seed_through_services(ctx, universities, events, captured_by, count) -> list[Contact]:
    from talent.services.consent import consent_record
    from talent.services.contacts import ChannelInput, contact_create
    from talent.services.events import attendance_record

    officer = ctx.users.get("officer")
    pick = (lambda: ctx.rng.choice(universities)) if universities else (lambda: None)
    people: list[tuple[str, str, object]] = []  # (name, phone, organization)
    for first, _again, _same_phone, _same_org in SAME_PEOPLE:
        people.append((first, _phone(ctx.rng), pick()))
    for _ in range(count):
        people.append((ctx.rng.choice(SURNAMES) + ctx.rng.choice(GIVEN), _phone(ctx.rng), pick()))
    for (_first, again, same_phone, same_org), (_name, phone, organization) in zip(
        SAME_PEOPLE, people[: len(SAME_PEOPLE)], strict=True
    ):
        people.append((again, phone if same_phone else _phone(ctx.rng), organization if same_org else pick()))
    contacts = []
    for index, (name, phone, organization) in enumerate(people):
        channels = [ChannelInput("phone", phone, "mobile")]
        if index % 3 == 0:
            channels.append(ChannelInput("email", f"person{index}@example.com"))
        contact = contact_create(
            actor=officer,
            name=name,
            organization=organization,
            channels=channels,
            affiliations=[{"organization": organization}] if organization else [],
        )
        if index % 5 != 4:  # most people ticked the boxes on the sign-up form
            consent_record(
                actor=officer,
                contact=contact,
                purposes=["follow_up", "mailings"] + (["sharing", "mainland"] if index % 2 else []),
                channel="qr_form",
                evidence=f"demo-form-{index}",
            )
        contacts.append(contact)
    for contact in contacts:
        for event in ctx.rng.sample(events, k=ctx.rng.randint(1, 2)):
            attendance_record(
                actor=captured_by[event.pk],
                event=event,
                contact=contact,
                method=ctx.rng.choice(["qr", "card", "staff"]),
                grade=ctx.rng.choice(["A", "B", "B", "C"]),
                consent=contact.consents.first(),
            )
    return contacts


def _seed_bulk(ctx, universities, events, captured_by, count) -> list[Contact]:
    """The benchmark's tens of thousands of people: the same kind of rows, inserted in batches (one save at a
    time took minutes), with their match keys computed here instead of by the services."""
    from talent.identity import match_keys
    from talent.models import ContactMatchKey
    from talent.names import simplified

    contacts = []
    for _ in range(count):
        name = ctx.rng.choice(SURNAMES) + ctx.rng.choice(GIVEN)
        contacts.append(
            Contact(
                name=name,
                name_simplified=simplified(name),
                organization=ctx.rng.choice(universities) if universities else None,
            )
        )
    Contact.objects.bulk_create(contacts, batch_size=1000)
    Contact.history.bulk_history_create(contacts, batch_size=1000)
    keys = [
        ContactMatchKey(contact=c, key=key)
        for c in contacts
        for key in match_keys(c, [c.organization_id] if c.organization_id else [])
    ]
    ContactMatchKey.objects.bulk_create(keys, batch_size=5000)
    attendances = [
        (contact, event) for contact in contacts for event in ctx.rng.sample(events, k=ctx.rng.randint(1, 2))
    ]
    rows = [Attendance(contact=c, event=e, captured_by=captured_by[e.pk]) for c, e in attendances]
    Attendance.objects.bulk_create(rows, batch_size=1000)
    Attendance.history.bulk_history_create(rows, batch_size=1000)
    return contacts


def clear() -> None:
    """Remove the events, the contacts and their attendances, one DELETE per table.

    Each removed row still gets the "-" history row that deleting it through Django writes, only in bulk: those
    history rows are what made `.delete()` go row by row, a post_delete signal per row, each answered by
    simple_history with an INSERT of its own."""
    deleted_at = timezone.now()
    # The order Django's delete took (and within a table, its descending ids), so the history rows keep theirs.
    tables = (
        Attendance,
        Consent,
        ContactChannel,
        Affiliation,
        ContactMatchKey,
        DuplicatePair,
        ContactMerge,
        PersonalDataLog,
        Submission,
        Contact,
        RecruitmentEvent,
    )
    for model in tables:
        if hasattr(model, "history"):
            _record_deletions(model, deleted_at)
    # Many-to-many links to and from these rows (an event's staff, an activity's contacts) went with them under
    # Django's delete, and still do; nothing listens for deleted links, so each of these is one DELETE already.
    links = {
        relation.through
        for model in tables
        for relation in [
            *(field.remote_field for field in model._meta.many_to_many),
            *model._meta.related_objects,
        ]
        if isinstance(relation, models.ManyToManyRel)
    }
    for link in sorted(filter(None, links), key=str):
        link._default_manager.all().delete()
    for model in tables:
        # The raw DELETE skips Django's on_delete rules. Attendances and links are gone by now, and the projects
        # demo, cleared before this one, has removed the leads, signings and activities that point at contacts
        # and events; a row left pointing here anyway fails the transaction on its foreign key, never dangles.
        rows = model._default_manager.all()
        rows._raw_delete(rows.db)


def _record_deletions(model: type[models.Model], deleted_at: datetime) -> None:
    """The history rows simple_history's post_delete would write for deleting every row of `model`."""
    if not getattr(settings, "SIMPLE_HISTORY_ENABLED", True):
        return
    history = model.history.model  # type: ignore[attr-defined]
    fields = [f.attname for f in history.tracked_fields]
    history.objects.bulk_create(
        (
            history(
                history_date=deleted_at,
                history_type="-",
                history_user=None,  # no request behind a demo reset
                history_change_reason=None,
                **{name: getattr(row, name) for name in fields},
            )
            for row in model._default_manager.order_by("-pk").iterator(chunk_size=2000)
        ),
        batch_size=1000,
    )
