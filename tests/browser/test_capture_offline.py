"""Quick capture survives a dead connection and a closed tab; the QR form works in all three scripts."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from accounts.roles import Role
from talent.models import Attendance, Consent, Contact
from talent.services.events import event_create
from tests.factories import make_user

# The live server needs committed rows: these tests commit, and the tables are emptied after each.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _logged_in(context, user, live_server) -> None:
    """The recorder's session, made the way a login makes it, handed to the browser as its cookie."""
    client = Client()
    client.force_login(user)
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )


def _unsent(page, count: int) -> None:
    """Waits for the queue's counter. Not wait_for_function: Playwright evaluates its expression with eval, which
    the Content-Security-Policy (no 'unsafe-eval') refuses on our pages."""
    from playwright.sync_api import expect

    expect(page.locator("#unsent-count")).to_have_text(str(count), timeout=15000)


def _capture(page, name: str, phone: str, grade: str) -> None:
    page.fill("input[name=name]", name)
    page.fill("input[name=phone]", phone)
    page.click(f"label.tile:has(input[name=grade][value={grade}])")
    page.click("label.tile:has(input[name=purposes][value=follow_up])")
    page.click("button.save")


def test_offline_captures_wait_on_the_phone_and_are_saved_exactly_once(phone, live_server):
    recorder = make_user(Role.RECORDER, username="recorder")
    today = timezone.localdate()
    fair = event_create(
        actor=None, name="港科大创科人才交流会", starts_on=today, ends_on=today, assigned_staff=[recorder]
    )
    _logged_in(phone, recorder, live_server)
    url = f"/m/capture/{fair.pk}/"

    page = phone.new_page()
    page.goto(url)
    page.wait_for_selector("form.capture")
    phone.set_offline(True)
    _capture(page, "陳大文", "9123 4567", "A")
    _unsent(page, 1)
    _capture(page, "黃嘉欣", "6123 4567", "B")
    _unsent(page, 2)
    assert page.is_visible("#queue")
    assert page.input_value("input[name=name]") == ""  # ready for the next person at once
    page.close()  # the tab is closed while still offline
    assert Contact.objects.count() == 0

    phone.set_offline(False)
    page = phone.new_page()
    page.goto(url)
    _unsent(page, 0)
    page.wait_for_selector("#queue", state="hidden")
    assert sorted(Contact.objects.values_list("name", flat=True)) == ["陳大文", "黃嘉欣"]
    assert sorted(Attendance.objects.values_list("grade", flat=True)) == ["A", "B"]
    assert Consent.objects.filter(follow_up=True).count() == 2

    # Reopening again sends nothing more: the queue is empty and the keys were used once.
    page.close()
    page = phone.new_page()
    page.goto(url)
    page.wait_for_selector("form.capture")
    page.wait_for_timeout(500)
    assert Contact.objects.count() == 2
    assert page.locator("#recent-list li").count() == 2


def test_a_capture_with_a_bad_phone_waits_for_a_fix_and_loses_nothing(phone, live_server):
    recorder = make_user(Role.RECORDER, username="recorder")
    today = timezone.localdate()
    fair = event_create(actor=None, name="路演", starts_on=today, ends_on=today, assigned_staff=[recorder])
    _logged_in(phone, recorder, live_server)
    page = phone.new_page()
    page.goto(f"/m/capture/{fair.pk}/")
    page.wait_for_selector("form.capture")
    _capture(page, "李志明", "12345", "C")
    page.wait_for_selector("#needs-fix-list li")
    assert "李志明" in page.inner_text("#needs-fix-list")
    page.click("#needs-fix-list li button.edit")
    assert page.input_value("input[name=name]") == "李志明"
    page.fill("input[name=phone]", "9876 5432")
    page.click("button.save")
    page.wait_for_selector("#capture-status .saved")
    assert list(Contact.objects.values_list("name", flat=True)) == ["李志明"]


@pytest.mark.parametrize(
    ("language", "heading", "thanks"),
    [
        ("zh-hant", "個人資料收集聲明", "多謝"),
        ("en", "Personal information collection statement", "Thank you"),
        ("zh-hans", "个人信息收集声明", "谢谢"),
    ],
)
def test_the_qr_form_in_each_script(phone, live_server, language, heading, thanks):
    today = timezone.localdate()
    fair = event_create(actor=None, name="香港科學園人才交流日", starts_on=today, ends_on=today)
    page = phone.new_page()
    page.goto(f"/r/{fair.registration_key}/?lang={language}")
    assert page.get_attribute("html", "lang") == language
    assert heading in page.inner_text("main")
    page.fill("input[name=name]", "陳大文")
    page.fill("input[name=email]", "tm.chan@example.hk")
    page.check("input[name=statement_read]")
    page.click("label.tile:has(input[name=purposes][value=follow_up])")
    page.click("button.save")
    page.wait_for_url("**/done/**")
    assert thanks in page.inner_text("main")
    consent = Consent.objects.get()
    assert (consent.language, consent.channel, consent.follow_up) == (language, Consent.Channel.QR_FORM, True)
