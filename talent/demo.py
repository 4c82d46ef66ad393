"""Demo events and the people met there: clearly fictional Hong Kong names (陳大文 is the customary placeholder)."""

from __future__ import annotations

from datetime import timedelta

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
    Attendance.objects.all().delete()
    Contact.objects.all().delete()
    RecruitmentEvent.objects.all().delete()
