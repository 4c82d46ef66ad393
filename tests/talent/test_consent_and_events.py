"""Consent (versioned statements, purposes ticked separately, withdrawal) and event attendance rules."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from core.errors import ApplicationError, IllegalStateError
from directory.models import Holiday
from talent.models import Consent, ConsentText, PersonalDataLog
from talent.selectors import hk_holidays_between
from talent.services.consent import consent_record, consent_text_current, consent_withdraw
from talent.services.contacts import ChannelInput, channel_add, contact_create, contact_update
from talent.services.events import attendance_record, event_create
from talent.services.merge import contact_merge
from tests.talent.conftest import person

pytestmark = pytest.mark.django_db


def test_the_first_statement_is_published_in_three_scripts():
    text = consent_text_current()
    assert text.version == "1"
    assert "個人資料收集聲明" in text.body("zh-hant")
    assert "个人资料收集声明" in text.body("zh-hans")
    assert "Personal Information Collection Statement" in text.body("en")


def test_each_purpose_is_recorded_separately_and_the_latest_row_is_current():
    contact = person("陳大文")
    consent_record(
        actor=None, contact=contact, purposes=["follow_up", "sharing"], channel="qr_form", language="zh-hant"
    )
    contact.refresh_from_db()
    assert [contact.consents_to(p) for p in ("follow_up", "mailings", "sharing", "mainland")] == [
        True,
        False,
        True,
        False,
    ]
    consent_withdraw(
        actor=None, contact=contact, purposes=["sharing"], channel="email", evidence="2026-05-01 邮件"
    )
    contact.refresh_from_db()
    assert (contact.consent_follow_up, contact.consent_sharing) == (True, False)
    assert list(Consent.objects.filter(contact=contact).values_list("kind", flat=True)) == [
        "withdrawal",
        "grant",
    ]
    assert PersonalDataLog.objects.get(kind="withdrawal").reason == "sharing"


def test_withdrawing_without_naming_purposes_withdraws_all():
    contact = person("陳大文")
    consent_record(
        actor=None, contact=contact, purposes=["follow_up", "mailings", "mainland"], channel="paper"
    )
    consent_withdraw(actor=None, contact=contact, purposes=[], channel="email")
    contact.refresh_from_db()
    assert not any(contact.consents_to(p) for p in ("follow_up", "mailings", "sharing", "mainland"))


def test_bad_consent_input_is_refused_with_a_message():
    contact = person("陳大文")
    with pytest.raises(ApplicationError, match="Unknown purposes: marketing"):
        consent_record(actor=None, contact=contact, purposes=["marketing"], channel="paper")
    with pytest.raises(ApplicationError, match="future"):
        consent_record(
            actor=None,
            contact=contact,
            purposes=["follow_up"],
            channel="paper",
            recorded_at=timezone.now() + dt.timedelta(hours=1),
        )
    ConsentText.objects.all().delete()
    with pytest.raises(ApplicationError, match="No consent statement"):
        consent_record(actor=None, contact=contact, purposes=["follow_up"], channel="paper")
    assert not Consent.objects.exists()


def test_channels_are_normalized_and_bad_ones_refused():
    contact = contact_create(
        actor=None,
        name="陳大文",
        channels=[
            ChannelInput("phone", "9123 4567"),
            ChannelInput("phone", "+852 9123-4567"),
            ChannelInput("email", "Peter.Chan@HKU.hk"),
            ChannelInput("phone", "138 1234 5678"),
        ],
    )
    assert sorted(contact.channels.values_list("value", flat=True), key=str) == sorted(
        [
            "+8613812345678",
            "+85291234567",
            "peter.chan@hku.hk",
        ]
    )
    assert contact.channels.get(value="+85291234567").raw == "9123 4567"
    with pytest.raises(ApplicationError, match="not a valid phone number") as phone:
        channel_add(actor=None, contact=contact, kind="phone", raw="12345")
    assert phone.value.field == "phone"
    with pytest.raises(ApplicationError, match="not an e-mail address") as email:
        channel_add(actor=None, contact=contact, kind="email", raw="peter@")
    assert email.value.field == "email"
    assert contact.channels.count() == 3


def test_a_merged_contact_cannot_be_edited_or_recorded_at_events():
    a, b = person("陳大文"), person("陳大文")
    contact_merge(actor=None, source=a, target=b)
    a.refresh_from_db()
    with pytest.raises(IllegalStateError):
        contact_update(actor=None, contact=a, notes="x")
    event = event_create(
        actor=None, name="推介会", starts_on=dt.date(2026, 3, 1), ends_on=dt.date(2026, 3, 1)
    )
    with pytest.raises(IllegalStateError):
        attendance_record(actor=None, event=event, contact=a)


def test_one_attendance_per_person_and_event_with_a_clear_message():
    event = event_create(
        actor=None, name="推介会", starts_on=dt.date(2026, 3, 1), ends_on=dt.date(2026, 3, 2)
    )
    contact = person("陳大文")
    attendance_record(actor=None, event=event, contact=contact, grade="A", method="card")
    with pytest.raises(ApplicationError, match="already recorded at this event"):
        attendance_record(actor=None, event=event, contact=contact)
    with pytest.raises(ApplicationError, match="before the event"):
        attendance_record(
            actor=None, event=event, contact=person("黃嘉欣"), next_action_on=dt.date(2026, 2, 1)
        )


def test_an_event_ending_before_it_starts_is_refused():
    with pytest.raises(ApplicationError):
        event_create(actor=None, name="推介会", starts_on=dt.date(2026, 3, 2), ends_on=dt.date(2026, 3, 1))


def test_hong_kong_holidays_in_an_events_range():
    Holiday.objects.create(region="HK", date=dt.date(2026, 4, 3), kind="day_off", name="耶穌受難節")
    Holiday.objects.create(region="CN", date=dt.date(2026, 4, 4), kind="day_off", name="清明节")
    Holiday.objects.create(region="HK", date=dt.date(2026, 5, 1), kind="day_off", name="勞動節")
    assert [h.name for h in hk_holidays_between(dt.date(2026, 4, 1), dt.date(2026, 4, 30))] == ["耶穌受難節"]


@pytest.mark.parametrize(
    "text",
    ["HKID A123456(7)", "證件號 AB987654（A）", "身份证 11010519491231002X", "回乡证 H12345678", "z6543210"],
)
def test_identity_document_numbers_are_refused(text):
    with pytest.raises(ApplicationError, match="identity document number") as refused:
        person("陳大文", notes=text)
    assert refused.value.field == "notes"
    contact = person("陳大文", notes="电话 9123 4567，房间 A1234")
    event = event_create(
        actor=None, name="推介会", starts_on=dt.date(2026, 3, 1), ends_on=dt.date(2026, 3, 1)
    )
    with pytest.raises(ApplicationError, match="identity document number"):
        attendance_record(actor=None, event=event, contact=contact, notes=text)


def test_a_published_statement_is_never_changed_a_new_version_is_added():
    from talent.services.consent import consent_text_save

    published = consent_text_current()
    published.body_en = "Something else"
    with pytest.raises(IllegalStateError, match="cannot be changed"):
        consent_text_save(actor=None, text=published)
    draft = ConsentText(
        version="2",
        body_zh_hans="二",
        body_zh_hant="二",
        body_en="two",
        published_on=timezone.localdate() + dt.timedelta(days=30),
    )
    consent_text_save(actor=None, text=draft)
    draft.body_en = "two, corrected"
    consent_text_save(actor=None, text=draft)
    assert ConsentText.objects.get(version="1").body_en.startswith(
        "Personal Information Collection Statement"
    )
    assert consent_text_current().version == "1"  # the draft is not in force before its date
