"""Merge and undo through every contact-reference handler (DESIGN §4)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import models
from django.utils import timezone

from accounts.roles import Role
from core.errors import ApplicationError, IllegalStateError
from projects.models import Activity, LeadContact, LeadType
from projects.services.records import activity_log, lead_contact_add
from talent import references
from talent.models import Attendance, Contact, ContactChannel, ContactMatchKey, ContactMerge, DuplicatePair
from talent.services.consent import consent_record, consent_withdraw
from talent.services.events import attendance_record, event_create
from talent.services.merge import contact_merge, contact_merge_undo
from tests.factories import join, make_lead, make_unit, make_user
from tests.talent.conftest import hk_phone, person

pytestmark = pytest.mark.django_db


def test_every_foreign_key_to_contact_has_a_handler():
    walked = list(references.contact_foreign_keys())
    missing = [
        f"{model._meta.label}.{field}"
        for model, field in walked
        if references.handler_for(model, field) is None
    ]
    assert missing == []
    labels = {f"{model._meta.label}.{field}" for model, field in walked}
    # The walk reaches history tables and many-to-many tables, not only the plain models.
    assert {"projects.HistoricalLead.subject_contact", "projects.Activity_contacts.contact"} <= labels
    assert "talent.HistoricalAttendance.contact" in labels


def test_a_foreign_key_without_a_handler_is_caught(monkeypatch):
    registry = dict(references._registry)
    registry.pop((LeadContact, "contact"))
    monkeypatch.setattr(references, "_registry", registry)
    assert references.handler_for(LeadContact, "contact") is None
    assert references.handler_for(LeadContact.history.model, "contact") is None


def _state(*contacts: Contact) -> list:
    """Every row that points at these people (through the handlers) and the people themselves, minus clocks."""
    ids = [c.pk for c in contacts]
    rows = []
    for handler in references.handlers():
        if handler.model is ContactMerge:
            continue  # the log of merges only grows; checked on its own
        found = handler.model._default_manager.filter(**{f"{handler.field}__in": ids})
        derived = handler.model is ContactMatchKey  # rewritten from the record on every save: ids change
        values = [_fields(row, drop_id=derived) for row in found]
        rows += [(handler.key, row) for row in sorted(values, key=repr)]
    for contact in Contact.objects.filter(pk__in=ids).order_by("pk"):
        rows.append(("contact", _fields(contact)))
    return rows


def _fields(row: models.Model, *, drop_id: bool = False) -> dict:
    skip = {"updated_at", "id"} if drop_id else {"updated_at"}
    return {f.attname: f.value_from_object(row) for f in row._meta.concrete_fields if f.name not in skip}


@pytest.fixture
def world(orgs):
    unit = make_unit("招商一处")
    officer = join(make_user(Role.OFFICER, username="officer1"), unit)
    shared_phone = hk_phone()
    source = person(
        "Chan Tai Man", phones=[shared_phone, hk_phone()], emails=["tm.chan@example.com"], org=orgs["HKU"]
    )
    target = person("陳大文", phones=[shared_phone], org=orgs["HKUST"], title="Prof")
    both_met = event_create(
        actor=officer, name="推介会 A", starts_on=dt.date(2026, 3, 1), ends_on=dt.date(2026, 3, 1)
    )
    only_source = event_create(
        actor=officer, name="推介会 B", starts_on=dt.date(2026, 4, 1), ends_on=dt.date(2026, 4, 1)
    )
    attendance_record(actor=officer, event=both_met, contact=source, grade="A", notes="来自名片")
    attendance_record(actor=officer, event=both_met, contact=target, grade="B")
    attendance_record(actor=officer, event=only_source, contact=source, grade="C")
    consent_record(actor=officer, contact=source, purposes=["follow_up", "mailings"], channel="qr_form")
    talent_lead = make_lead(
        owner=officer, unit=unit, lead_type=LeadType.TALENT, subject_contact=source, name="陈大文人才"
    )
    team = make_lead(owner=officer, unit=unit)
    lead_contact_add(actor=officer, lead=team, contact=source, role="pi")
    lead_contact_add(actor=officer, lead=team, contact=target, role="pi")
    lead_contact_add(actor=officer, lead=talent_lead, contact=source, role="founder")
    met = timezone.now() - dt.timedelta(days=2)
    activity_log(
        actor=officer, lead=team, kind="meeting", occurred_at=met, summary="见面", contacts=[source, target]
    )
    activity_log(actor=officer, lead=team, kind="call", occurred_at=met, summary="电话", contacts=[source])
    earlier = person("陳大文 (舊記錄)", phones=[hk_phone()])
    contact_merge(actor=officer, source=earlier, target=source)
    return officer, source, target, earlier, talent_lead


def test_merge_moves_every_reference_and_undo_puts_everything_back(world):
    officer, source, target, earlier, talent_lead = world
    before = _state(source, target, earlier)
    pair = DuplicatePair.objects.get(first=min(source.pk, target.pk), second=max(source.pk, target.pk))
    assert pair.level == "certain"

    merge = contact_merge(actor=officer, source=source, target=target)

    source.refresh_from_db()
    target.refresh_from_db()
    assert (source.status, source.merged_into) == ("merged", target)
    # The shared phone is kept once; the other phones (one from the earlier merge) and the e-mail moved.
    assert ContactChannel.objects.filter(contact=source).count() == 0
    assert ContactChannel.objects.filter(contact=target).count() == 4
    # One attendance per event: the kept record's own row at the shared event stays, the other moved.
    assert Attendance.objects.filter(contact=target).count() == 2
    assert not Attendance.objects.filter(contact=source).exists()
    assert LeadContact.objects.filter(contact=target).count() == 2
    assert Activity.contacts.through.objects.filter(contact=target).count() == 2
    talent_lead.refresh_from_db()
    assert talent_lead.subject_contact == target
    assert Contact.objects.get(pk=earlier.pk).merged_into == target
    # Blank fields filled from the merged record; the consent goes with the person.
    assert (target.consent_follow_up, target.consent_mailings) == (True, True)
    pair.refresh_from_db()
    assert pair.status == "merged"
    assert merge.changes["target_before"]["consent_follow_up"] is False

    contact_merge_undo(actor=officer, merge=merge)

    assert _state(source, target, earlier) == before
    pair.refresh_from_db()
    assert pair.status == "open"
    merge.refresh_from_db()
    assert merge.undone_by == officer


def test_merge_refuses_what_cannot_be_merged(world):
    officer, source, target, earlier, _ = world
    with pytest.raises(ApplicationError, match="cannot be merged into itself"):
        contact_merge(actor=officer, source=target, target=target)
    with pytest.raises(IllegalStateError, match="merged into another contact"):
        contact_merge(actor=officer, source=earlier, target=target)
    merge = contact_merge(actor=officer, source=source, target=target)
    contact_merge_undo(actor=officer, merge=merge)
    with pytest.raises(IllegalStateError, match="already been undone"):
        contact_merge_undo(actor=officer, merge=merge)


def test_an_earlier_merge_is_undone_only_after_the_later_one(world):
    officer, source, target, earlier, _ = world
    first = ContactMerge.objects.get(source=earlier)
    second = contact_merge(actor=officer, source=source, target=target)
    with pytest.raises(IllegalStateError, match="undo that one first"):
        contact_merge_undo(actor=officer, merge=first)
    contact_merge_undo(actor=officer, merge=second)
    contact_merge_undo(actor=officer, merge=first)
    assert Contact.objects.get(pk=earlier.pk).status == "active"


def test_the_merge_takes_the_latest_consent_of_either_record(world):
    officer, source, target, *_ = world
    consent_record(actor=officer, contact=target, purposes=["follow_up", "sharing"], channel="paper")
    consent_withdraw(actor=officer, contact=source, purposes=["follow_up"], channel="email")
    contact_merge(actor=officer, source=source, target=target)
    target.refresh_from_db()
    assert (target.consent_follow_up, target.consent_mailings, target.consent_sharing) == (False, True, False)
