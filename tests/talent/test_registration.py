"""Self-registration by QR code: the attendee's own form in three scripts, throttled, and the internet-facing
setting that serves nothing else."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from talent.models import Attendance, Consent, Contact
from talent.services.events import event_create, event_update
from tests.factories import make_user


@pytest.fixture(autouse=True)
def _fresh_throttle(db):
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def fair(db):
    today = timezone.localdate()
    return event_create(
        actor=None, name="香港科學園人才交流日", starts_on=today, ends_on=today, venue="科學園"
    )


def _url(event, **query) -> str:
    url = reverse("talent:register", args=[event.registration_key])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def _form(**fields) -> dict:
    return {
        "key": "qr-1",
        "lang": "zh-hant",
        "name": "陳大文",
        "phone": "9123 4567",
        "statement_read": "on",
        "purposes": ["follow_up", "mainland"],
        **fields,
    }


@pytest.mark.parametrize(
    ("language", "title", "statement_word", "button"),
    [
        ("zh-hant", "個人資料收集聲明", "個人資料", "登記"),
        ("zh-hans", "个人信息收集声明", "个人信息", "登记"),
        ("en", "Personal information collection statement", "personal", "Register"),
    ],
)
def test_the_form_speaks_each_script(fair, language, title, statement_word, button):
    page = Client().get(_url(fair, lang=language))
    assert page.status_code == 200
    text = page.content.decode()
    assert f'<html lang="{language}">' in text
    assert title in text
    assert statement_word in text  # the statement itself, in that script
    assert f">{button}</button>" in text
    assert page["Cache-Control"] == "private, no-store"


def test_without_a_choice_the_browser_language_decides_and_traditional_is_the_fallback(fair):
    assert 'lang="en"' in Client(HTTP_ACCEPT_LANGUAGE="en-GB").get(_url(fair)).content.decode()
    assert 'lang="zh-hant"' in Client(HTTP_ACCEPT_LANGUAGE="zh-HK").get(_url(fair)).content.decode()


def test_a_registration_saves_the_person_consent_and_attendance_once(fair):
    client = Client()
    first = client.post(_url(fair), data=_form())
    assert first.status_code == 302
    assert (
        first["Location"] == reverse("talent:register-done", args=[fair.registration_key]) + "?lang=zh-hant"
    )
    assert (
        "多謝" in client.get(first["Location"]).content.decode()
        or "謝謝" in client.get(first["Location"]).content.decode()
    )
    again = client.post(_url(fair), data=_form())  # the Back button and Send again
    assert again.status_code == 302
    attendance = Attendance.objects.get()
    assert (attendance.method, attendance.captured_by, attendance.event) == (Attendance.Method.QR, None, fair)
    consent = attendance.consent
    assert (consent.channel, consent.language, consent.recorded_by) == (
        Consent.Channel.QR_FORM,
        "zh-hant",
        None,
    )
    assert (consent.follow_up, consent.mailings, consent.sharing, consent.mainland) == (
        True,
        False,
        False,
        True,
    )
    assert Contact.objects.get().preferred_script == Contact.Script.TRADITIONAL


def test_consent_boxes_are_optional_but_reading_the_statement_is_not(fair):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    unread = client.post(_url(fair, lang="en"), data=_form(lang="en", statement_read=""))
    assert unread.status_code == 400
    assert "Please confirm that you have read the statement." in unread.content.decode()
    no_way_to_reach = client.post(_url(fair, lang="en"), data=_form(lang="en", phone="", key="qr-2"))
    assert "Please give a phone number, an e-mail address or a WeChat ID." in no_way_to_reach.content.decode()
    bad_phone = client.post(_url(fair, lang="en"), data=_form(lang="en", phone="12345", key="qr-3"))
    assert bad_phone.status_code == 400
    assert Contact.objects.count() == 0
    no_consent = client.post(_url(fair, lang="en"), data=_form(lang="en", purposes=[], key="qr-4"))
    assert no_consent.status_code == 302
    assert Attendance.objects.get().consent is None


def test_a_robot_filling_the_hidden_field_is_thanked_and_nothing_is_saved(fair):
    response = Client().post(_url(fair), data=_form(website="http://spam.example"))
    assert response.status_code == 302
    assert Contact.objects.count() == 0


def test_registration_opens_a_month_before_and_closes_three_days_after(fair):
    today = timezone.localdate()
    event_update(
        actor=None, event=fair, starts_on=today - dt.timedelta(days=10), ends_on=today - dt.timedelta(days=4)
    )
    closed = Client(HTTP_ACCEPT_LANGUAGE="en").post(_url(fair, lang="en"), data=_form(lang="en"))
    assert closed.status_code == 410
    assert "Registration for this event is closed." in closed.content.decode()
    event_update(
        actor=None, event=fair, starts_on=today - dt.timedelta(days=5), ends_on=today - dt.timedelta(days=3)
    )
    assert Client().get(_url(fair)).status_code == 200
    event_update(actor=None, event=fair, registration_open=False)
    assert Client().get(_url(fair)).status_code == 410
    assert Contact.objects.count() == 0


def test_unknown_keys_and_event_numbers_find_nothing(fair):
    assert Client().get(reverse("talent:register", args=["not-a-key"])).status_code == 404
    assert Client().get(reverse("talent:register", args=[str(fair.pk)])).status_code == 404


def test_posts_are_throttled_per_client_address(fair, settings):
    settings.REGISTRATION_THROTTLE = (3, 600)
    client = Client(REMOTE_ADDR="203.0.113.9")
    codes = [client.post(_url(fair), data=_form(key=f"k{n}", name=f"人{n}")).status_code for n in range(4)]
    assert codes == [302, 302, 302, 429]
    assert Contact.objects.count() == 3
    # Another address is not held up by the first one.
    assert Client(REMOTE_ADDR="198.51.100.7").post(_url(fair), data=_form(key="k9")).status_code == 302


def test_behind_a_proxy_the_forwarded_address_is_counted(fair, settings):
    settings.REGISTRATION_THROTTLE = (1, 600)
    settings.NUM_PROXIES = 1
    proxy = Client(REMOTE_ADDR="10.0.0.2")
    first = proxy.post(_url(fair), data=_form(key="a"), HTTP_X_FORWARDED_FOR="203.0.113.9")
    second = proxy.post(_url(fair), data=_form(key="b", name="黃嘉欣"), HTTP_X_FORWARDED_FOR="198.51.100.7")
    third = proxy.post(_url(fair), data=_form(key="c", name="李志明"), HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert (first.status_code, second.status_code, third.status_code) == (302, 302, 429)


def test_the_internet_facing_setting_serves_only_the_submission_pages(fair, settings):
    settings.INTERNET_FACING = True
    client = Client()
    assert client.get(_url(fair)).status_code == 200
    assert client.get("/healthz").status_code in {200, 503}
    for path in ("/admin/", "/api/v1/leads/", "/m/log/", "/inbox/", "/api/schema/"):
        assert client.get(path).status_code == 404, path
    assert client.get("/admin/login/").status_code == 200
    settings.INTERNET_FACING = False
    assert client.get("/admin/").status_code == 302


def test_the_printable_qr_page_is_for_those_who_see_the_event(fair):
    officer = make_user(Role.OFFICER, username="officer")
    recorder = make_user(Role.RECORDER, username="recorder")
    url = reverse("admin:talent_recruitmentevent_qr", args=[fair.pk])
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(officer)
    page = client.get(url)
    assert page.status_code == 200
    text = page.content.decode()
    assert "<svg" in text
    assert "viewBox" in text
    assert f"http://testserver/r/{fair.registration_key}/" in text
    for phrase in ("掃描登記", "扫码登记", "Scan to register"):
        assert phrase in text
    client.force_login(recorder)
    assert client.get(url).status_code == 404  # not on this event's staff
    fair.assigned_staff.add(recorder)
    assert client.get(url).status_code == 200


def test_the_qr_code_carries_the_public_address_when_one_is_set(fair, settings):
    settings.PUBLIC_BASE_URL = "https://hk.example.gov.cn"
    officer = make_user(Role.OFFICER, username="officer")
    client = Client()
    client.force_login(officer)
    text = client.get(reverse("admin:talent_recruitmentevent_qr", args=[fair.pk])).content.decode()
    assert f"https://hk.example.gov.cn/r/{fair.registration_key}/" in text


def test_every_event_gets_its_own_unguessable_key(db):
    today = timezone.localdate()
    keys = {
        event_create(actor=None, name=f"活动{n}", starts_on=today, ends_on=today).registration_key
        for n in range(5)
    }
    assert len(keys) == 5
    assert all(len(key) >= 16 for key in keys)


def test_the_event_page_links_to_its_form_poster_and_sign_in_import(fair):
    officer = make_user(Role.OFFICER, username="officer")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(officer)
    page = client.get(reverse("admin:talent_recruitmentevent_change", args=[fair.pk])).content.decode()
    assert reverse("talent:register", args=[fair.registration_key]) in page
    assert reverse("admin:talent_recruitmentevent_qr", args=[fair.pk]) in page
    link = f"{reverse('admin:core_importjob_add')}?kind=talent.signin&options-event={fair.pk}"
    assert link.replace("&", "&amp;") in page
    upload = client.get(link).content.decode()
    assert f'<option value="{fair.pk}" selected>' in upload
