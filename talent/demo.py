"""Demo events and the people met there: clearly fictional Hong Kong names (陳大文 is the customary placeholder)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

from core.seeding import DemoContext
from directory.models import Organization
from talent.models import Attendance, Contact, RecruitmentEvent

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


def seed(ctx: DemoContext) -> None:
    universities = list(Organization.objects.filter(kind=Organization.Kind.UNIVERSITY).order_by("name"))
    events = []
    for name, days_ago, length, staff in EVENTS:
        starts = ctx.today - timedelta(days=days_ago)
        event = RecruitmentEvent.objects.create(
            name=name, starts_on=starts, ends_on=starts + timedelta(days=length - 1)
        )
        event.assigned_staff.set([ctx.users[u] for u in staff])
        events.append(event)
    contacts = [Contact(name="陳大文", organization=universities[0] if universities else None)]
    for _ in range(max(10, ctx.leads // 4)):
        contacts.append(
            Contact(
                name=ctx.rng.choice(SURNAMES) + ctx.rng.choice(GIVEN),
                organization=ctx.rng.choice(universities) if universities else None,
            )
        )
    captured_by = {event.pk: event.assigned_staff.first() for event in events}
    attendances = [
        (contact, event) for contact in contacts for event in ctx.rng.sample(events, k=ctx.rng.randint(1, 2))
    ]
    if len(contacts) <= BULK_CONTACTS:
        for contact in contacts:
            contact.save()
        for contact, event in attendances:
            Attendance.objects.create(contact=contact, event=event, captured_by=captured_by[event.pk])
    else:
        # The benchmark's 25,000 contacts one save at a time took minutes; the rows are the same.
        Contact.objects.bulk_create(contacts, batch_size=1000)
        Contact.history.bulk_history_create(contacts, batch_size=1000)
        rows = [Attendance(contact=c, event=e, captured_by=captured_by[e.pk]) for c, e in attendances]
        Attendance.objects.bulk_create(rows, batch_size=1000)
        Attendance.history.bulk_history_create(rows, batch_size=1000)
    ctx.shared["contacts"] = contacts
    ctx.shared["events"] = events


def clear() -> None:
    """Remove the events, the contacts and their attendances, one DELETE per table.

    Each removed row still gets the "-" history row that deleting it through Django writes, only in bulk: those
    history rows are what made `.delete()` go row by row, a post_delete signal per row, each answered by
    simple_history with an INSERT of its own."""
    deleted_at = timezone.now()
    # The order Django's delete took (and within a table, its descending ids), so the history rows keep theirs.
    tables = (Attendance, Contact, RecruitmentEvent)
    for model in tables:
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
