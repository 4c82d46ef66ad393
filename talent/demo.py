"""Demo events and the people met there: clearly fictional Hong Kong names (陳大文 is the customary placeholder)."""

from __future__ import annotations

from datetime import timedelta

from core.seeding import DemoContext
from directory.models import Organization
from talent.models import Attendance, Contact, RecruitmentEvent

SURNAMES = ["陳", "黃", "李", "張", "梁", "何", "劉", "曾", "葉", "區", "吳", "麥"]
GIVEN = ["大文", "嘉欣", "志明", "詠詩", "家豪", "偉強", "美玲", "俊傑", "凱琳", "子軒", "曉晴", "浩賢"]

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
    contacts = [Contact.objects.create(name="陳大文", organization=universities[0] if universities else None)]
    for _ in range(max(10, ctx.leads // 4)):
        contacts.append(
            Contact.objects.create(
                name=ctx.rng.choice(SURNAMES) + ctx.rng.choice(GIVEN),
                organization=ctx.rng.choice(universities) if universities else None,
            )
        )
    for contact in contacts:
        for event in ctx.rng.sample(events, k=ctx.rng.randint(1, 2)):
            Attendance.objects.create(contact=contact, event=event, captured_by=event.assigned_staff.first())
    ctx.shared["contacts"] = contacts
    ctx.shared["events"] = events


def clear() -> None:
    Attendance.objects.all().delete()
    Contact.objects.all().delete()
    RecruitmentEvent.objects.all().delete()
