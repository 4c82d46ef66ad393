"""Personal-data rights: export of everything held on one person, erasure down to history rows, retention."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from accounts.roles import Role
from core.errors import IllegalStateError
from projects.models import Lead, LeadType
from projects.services.records import lead_contact_add
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
)
from talent.services.consent import consent_record
from talent.services.contacts import affiliation_add, contact_update
from talent.services.events import attendance_record, event_create
from talent.services.merge import contact_merge
from talent.services.rights import contact_erase, contact_export, export_workbook, retention_apply
from tests.factories import join, make_lead, make_unit, make_user
from tests.talent.conftest import hk_phone, person

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer():
    return join(make_user(Role.OFFICER, username="officer1"), make_unit("香港合作处"))


@pytest.fixture
def chan(officer, orgs):
    """陳大文 with a phone, an e-mail, an affiliation, an attendance with notes, a consent, a talent lead, a team
    role, a merged older record and an open pair with another record."""
    phone = hk_phone()
    contact = person(
        "陳大文", phones=[phone], emails=["tm.chan@example.com"], org=orgs["HKUST"], title="Prof"
    )
    contact_update(actor=officer, contact=contact, notes="喜欢打网球", english_name="Peter")
    affiliation_add(
        actor=officer, contact=contact, organization=orgs["HKU"], department="电机系", position="博士后"
    )
    event = event_create(
        actor=officer, name="推介会", starts_on=dt.date(2026, 3, 1), ends_on=dt.date(2026, 3, 1)
    )
    attendance_record(actor=officer, event=event, contact=contact, grade="A", notes="=cmd|' /C calc'!A0")
    consent_record(
        actor=officer, contact=contact, purposes=["follow_up"], channel="paper", evidence="签到表第3页"
    )
    lead = make_lead(
        owner=officer,
        unit=officer.memberships.first().unit,
        lead_type=LeadType.TALENT,
        subject_contact=contact,
        name="陈大文（人才）",
    )
    lead_contact_add(
        actor=officer, lead=make_lead(owner=officer, unit=lead.owning_unit), contact=contact, role="pi"
    )
    older = person("Chan Tai Man", phones=[hk_phone()], emails=["chan.old@example.com"])
    contact_merge(actor=officer, source=older, target=contact)
    person("Chan Tai Man", phones=[phone])  # a third record: an open pair quoting the phone
    return contact


def test_the_export_holds_every_section_and_is_logged(chan, officer):
    data = contact_export(actor=officer, contact=chan)
    sections = data["sections"]
    assert sections["talent.contact"][0]["name"] == "陳大文"
    channels = sections["talent.contactchannel"]
    assert sorted(row["kind"] for row in channels) == ["email", "email", "phone", "phone"]
    assert {"tm.chan@example.com", "chan.old@example.com"} <= {row["value"] for row in channels}
    assert [row["department"] for row in sections["talent.affiliation"]] == ["电机系"]
    assert sections["talent.attendance"][0]["grade"] == "A"
    assert sections["talent.consent"][0]["evidence"] == "签到表第3页"
    assert sections["projects.lead"][0]["name"] == "陈大文（人才）"
    assert sections["projects.leadcontact"][0]["role"] == "pi"
    assert len(sections["talent.merged_records"]) == 1
    assert len(sections["talent.contact_history"]) >= 2
    assert data["titles"]["talent.contactchannel"] == str(ContactChannel._meta.verbose_name_plural)
    log = PersonalDataLog.objects.get(kind="export")
    assert (log.contact_id_value, log.actor) == (chan.pk, officer)


def test_the_workbook_has_a_sheet_per_section_and_keeps_formulas_as_text(chan, officer):
    workbook = load_workbook(io.BytesIO(export_workbook(contact_export(actor=officer, contact=chan))))
    assert len(workbook.sheetnames) == len(contact_export(actor=officer, contact=chan)["sections"]) == 10
    attendances = next(workbook[name] for name in workbook.sheetnames if name.startswith("5 "))
    header = [cell.value for cell in attendances[1]]
    notes = attendances.cell(row=2, column=header.index("notes") + 1)
    assert notes.value == "'=cmd|' /C calc'!A0"
    assert notes.data_type == "s"


def test_erasure_anonymizes_current_rows_and_history(chan, officer):
    pk = chan.pk
    log = contact_erase(actor=officer, contact=chan, reason="the person asked")
    chan.refresh_from_db()
    assert (chan.status, chan.name, chan.english_name, chan.notes, chan.title) == (
        "erased",
        f"#{pk}",
        "",
        "",
        "",
    )
    assert str(chan).endswith(f"#{pk}")
    # History: every earlier version of the record is scrubbed, channels and their history are gone.
    assert set(Contact.history.filter(id=pk).values_list("name", "notes", "english_name")) == {
        (f"#{pk}", "", "")
    }
    assert not ContactChannel.objects.filter(contact_id=pk).exists()
    assert not ContactChannel.history.filter(contact_id=pk).exists()
    assert set(Affiliation.history.filter(contact_id=pk).values_list("department", "position")) == {("", "")}
    assert set(Attendance.history.filter(contact_id=pk).values_list("notes", flat=True)) == {""}
    assert Attendance.objects.get(contact_id=pk).grade == "A"  # the fact stays for the event's figures
    assert set(Consent.objects.filter(contact_id=pk).values_list("evidence", "follow_up")) == {("", True)}
    # The talent lead is renamed, in history too; its stage history stays for the funnel.
    lead = Lead.objects.get(subject_contact_id=pk)
    assert lead.name == str(chan)
    assert set(Lead.history.filter(id=lead.pk).values_list("name", flat=True)) == {str(chan)}
    # Nothing derived from the person is left: keys, queue pairs quoting the phone, merge undo data.
    assert not ContactMatchKey.objects.filter(contact_id=pk).exists()
    assert not DuplicatePair.objects.filter(first_id=pk).exists()
    assert not DuplicatePair.objects.filter(second_id=pk).exists()
    assert ContactMerge.objects.get(target_id=pk).changes == {"erased": True}
    assert log.details["rows"]["talent.contactchannel.contact"] == 4
    with pytest.raises(IllegalStateError):
        contact_erase(actor=officer, contact=chan, reason="again")


def test_retention_erases_only_people_past_the_period_and_not_in_use(officer, settings):
    settings.CONTACT_RETENTION_DAYS = 365
    old_unused = person("黃嘉欣", phones=[hk_phone()])
    old_with_lead = person("李美玲", phones=[hk_phone()])
    recent = person("何家豪", phones=[hk_phone()])
    make_lead(
        owner=officer,
        unit=officer.memberships.first().unit,
        lead_type=LeadType.TALENT,
        subject_contact=old_with_lead,
        name="李美玲（人才）",
    )
    long_ago = timezone.now() - dt.timedelta(days=400)
    Contact.objects.filter(pk__in=[old_unused.pk, old_with_lead.pk]).update(updated_at=long_ago)

    log = retention_apply()

    statuses = dict(Contact.objects.values_list("pk", "status"))
    assert (statuses[old_unused.pk], statuses[old_with_lead.pk], statuses[recent.pk]) == (
        "erased",
        "active",
        "active",
    )
    assert log.kind == "retention"
    assert log.details["erased"] == [old_unused.pk]
    assert PersonalDataLog.objects.get(kind="erasure").reason == "retention"
    # A second run finds nothing more.
    assert retention_apply().details["erased"] == []


def test_retention_can_be_switched_off(settings):
    settings.CONTACT_RETENTION_DAYS = 0
    person("黃嘉欣")
    Contact.objects.update(updated_at=timezone.now() - dt.timedelta(days=5000))
    assert retention_apply().details["erased"] == []


def test_the_nightly_task_applies_the_rule_and_logs_the_run(settings):
    from talent.tasks import retention

    settings.CONTACT_RETENTION_DAYS = 30
    person("黃嘉欣")
    Contact.objects.update(updated_at=timezone.now() - dt.timedelta(days=31))
    assert retention() == 1
    assert list(PersonalDataLog.objects.values_list("kind", flat=True).order_by("pk")) == [
        "erasure",
        "retention",
    ]
    assert "talent-retention" in settings.CELERY_BEAT_SCHEDULE


def test_mailing_lists_take_only_people_who_consented_and_drop_them_on_withdrawal():
    from talent.selectors import contacts_reachable_for
    from talent.services.consent import consent_withdraw

    yes, no = person("黃嘉欣"), person("李美玲")
    consent_record(actor=None, contact=yes, purposes=["mailings"], channel="qr_form")
    consent_record(actor=None, contact=no, purposes=["follow_up"], channel="qr_form")
    assert list(contacts_reachable_for("mailings")) == [yes]
    consent_withdraw(actor=None, contact=yes, purposes=["mailings"], channel="email")
    assert list(contacts_reachable_for("mailings")) == []


def test_erasure_scrubs_the_admin_log_about_the_person_and_their_rows(chan, officer):
    from django.contrib.admin.models import CHANGE, LogEntry
    from django.contrib.contenttypes.models import ContentType

    attendance = Attendance.objects.get(contact=chan)
    for obj in (chan, attendance):
        LogEntry.objects.create(
            user_id=officer.pk,
            content_type_id=ContentType.objects.get_for_model(obj).pk,
            object_id=str(obj.pk),
            object_repr=str(obj),
            action_flag=CHANGE,
            change_message=f"changed {obj}",
        )
    unrelated = LogEntry.objects.create(
        user_id=officer.pk,
        content_type_id=ContentType.objects.get_for_model(officer).pk,
        object_id=str(officer.pk),
        object_repr="officer1",
        action_flag=CHANGE,
    )
    contact_erase(actor=officer, contact=chan, reason="the person asked")
    reprs = set(LogEntry.objects.exclude(pk=unrelated.pk).values_list("object_repr", "change_message"))
    assert reprs == {(str(Contact.objects.get(pk=chan.pk)), "")}
    unrelated.refresh_from_db()
    assert unrelated.object_repr == "officer1"
