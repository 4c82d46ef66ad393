"""A talent who withdraws consent to follow-up is no longer chased: pending reminders about their talent lead are
cancelled in the withdrawing transaction, and later sweeps write none."""

from __future__ import annotations

import pytest

from projects.models import LeadType
from reminders.models import Reminder
from reminders.services import reminders_sweep
from talent.services.consent import consent_record, consent_withdraw
from tests.factories import make_lead
from tests.reminders.conftest import (
    add_milestone,
    at,
    only,
    rows,
    world,  # noqa: F401 - the shared units, officers and lead
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def talent(world):  # noqa: F811
    lead = make_lead(owner=world.a, unit=world.unit_a, lead_type=LeadType.TALENT, name="陈大文（人才）")
    consent_record(actor=world.a, contact=lead.subject_contact, purposes=["follow_up"], channel="qr_form")
    return lead


def test_withdrawing_follow_up_cancels_the_talents_reminders_and_later_sweeps_write_none(world, talent):  # noqa: F811
    only("milestone-due-7", "milestone-due-3")
    add_milestone(world, "2025-03-14", lead=talent)
    add_milestone(world, "2025-03-14")  # the team lead's milestone: not the person's business
    assert reminders_sweep(now=at("2025-03-05")) == 2

    consent_withdraw(actor=world.a, contact=talent.subject_contact, purposes=["follow_up"], channel="email")

    talent_rows = Reminder.objects.filter(lead=talent)
    assert list(talent_rows.values_list("status", "cancelled_reason")) == [
        ("cancelled", "follow-up consent withdrawn")
    ]
    assert list(Reminder.objects.filter(lead=world.lead).values_list("status", flat=True)) == ["pending"]
    reminders_sweep(now=at("2025-03-11"))
    assert rows(lead=talent) == {("milestone-due-7", "officer_a", at("2025-03-14").date())}
    assert {r[0] for r in rows(lead=world.lead)} == {"milestone-due-7", "milestone-due-3"}


def test_withdrawing_only_mailings_keeps_the_follow_up(world, talent):  # noqa: F811
    only("milestone-due-7")
    add_milestone(world, "2025-03-14", lead=talent)
    reminders_sweep(now=at("2025-03-05"))
    consent_withdraw(actor=world.a, contact=talent.subject_contact, purposes=["mailings"], channel="email")
    assert list(Reminder.objects.filter(lead=talent).values_list("status", flat=True)) == ["pending"]


def test_a_person_without_any_consent_on_record_is_still_followed_up(world):  # noqa: F811
    # Records from before consent was kept: nothing says no, so the officer is still reminded.
    only("milestone-due-7")
    lead = make_lead(owner=world.a, unit=world.unit_a, lead_type=LeadType.TALENT, name="陈小明（人才）")
    add_milestone(world, "2025-03-14", lead=lead)
    assert reminders_sweep(now=at("2025-03-05")) == 1


def test_erasing_the_person_rewrites_the_inbox_copies_that_quote_their_name(world, talent):  # noqa: F811
    from reminders.models import Notification
    from talent.services.rights import contact_erase

    only("milestone-due-7")
    add_milestone(world, "2025-03-14", lead=talent)
    reminders_sweep(now=at("2025-03-05"))
    reminder = Reminder.objects.get(lead=talent)
    Notification.objects.create(
        recipient=world.a, reminder=reminder, title=f"到期：{talent.name}", body=f"{talent.name} 的里程碑"
    )
    other = Notification.objects.create(recipient=world.a, title=f"到期：{world.lead.name}")

    contact_erase(actor=world.a, contact=talent.subject_contact, reason="the person asked")

    label = f"#{talent.subject_contact_id}"
    notification = Notification.objects.get(reminder=reminder)
    assert "陈大文" not in notification.title + notification.body
    assert notification.title.startswith("到期：")
    assert notification.title.endswith(label)
    other.refresh_from_db()
    assert other.title == f"到期：{world.lead.name}"
