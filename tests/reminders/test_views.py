"""The user's side: the inbox and its bell, notification settings, the private calendar feed, and the
administrators' delivery records. Each rule is checked from the wrong user beside a positive control."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.roles import Role
from reminders.models import Notification, NotificationPreference, Reminder, ReminderRule
from reminders.services import preference_for
from tests.factories import make_user
from tests.reminders.conftest import add_milestone

pytestmark = pytest.mark.django_db


def notify(user, n: int = 1, *, url: str = "/admin/") -> list[Notification]:
    return [
        Notification.objects.create(recipient=user, title=f"提醒 {i}", body="正文", url=url) for i in range(n)
    ]


def test_the_inbox_lists_the_users_own_notifications_only(client_as, world):
    notify(world.a, 2)
    notify(world.b, 1)
    response = client_as(world.a).get(reverse("reminders:inbox"))
    assert response.status_code == 200
    assert [n.recipient_id for n in response.context["page"].object_list] == [world.a.pk, world.a.pk]
    other = client_as(world.b).get(reverse("reminders:inbox"))
    assert [n.recipient_id for n in other.context["page"].object_list] == [world.b.pk]


def test_an_empty_inbox_says_what_will_arrive(client_as, world):
    response = client_as(world.a).get(reverse("reminders:inbox"))
    assert "No reminders yet" in response.content.decode()


def test_the_inbox_needs_a_login(client):
    response = client.get(reverse("reminders:inbox"))
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]


@pytest.mark.parametrize("rows", [2, 20])
def test_the_inbox_runs_the_same_queries_for_2_and_20_notifications(client_as, world, rows):
    notify(world.a, rows)
    client = client_as(world.a)
    client.get(reverse("reminders:inbox"))  # warm the session and the admin's per-user caches
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("reminders:inbox"))
    assert len(response.context["page"].object_list) == rows
    # session, user, the admin frame's app list (user permissions, group permissions), page count, page rows,
    # unread count
    assert len(captured) == 7, [q["sql"] for q in captured]


def test_the_bell_counts_unread_notifications_of_the_user(client_as, world):
    first, _second = notify(world.a, 2)
    notify(world.b, 3)
    client = client_as(world.a)
    assert client.get(reverse("reminders:unread")).json() == {"unread": 2}
    client.post(reverse("reminders:mark-read"), {"notification": first.pk})
    assert client.get(reverse("reminders:unread")).json() == {"unread": 1}
    assert client_as(world.b).get(reverse("reminders:unread")).json() == {"unread": 3}


def test_the_admin_header_carries_the_bell(client_as, world):
    page = client_as(world.a).get(reverse("admin:index")).content.decode()
    assert f'data-unread-url="{reverse("reminders:unread")}"' in page
    assert "js/bell.js" in page


def test_opening_a_notification_marks_it_read_and_follows_its_link(client_as, world):
    lead_url = reverse("admin:projects_lead_change", args=[world.lead.pk])
    [mine] = notify(world.a, url=lead_url)
    response = client_as(world.a).post(reverse("reminders:mark-read"), {"notification": mine.pk})
    assert response.status_code == 302
    assert response["Location"] == lead_url
    mine.refresh_from_db()
    assert mine.read_at is not None


def test_nobody_marks_another_users_notification_read(client_as, world):
    [theirs] = notify(world.b, url="/admin/projects/lead/1/change/")
    response = client_as(world.a).post(reverse("reminders:mark-read"), {"notification": theirs.pk})
    assert response["Location"] == reverse("reminders:inbox")  # not their link
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_a_link_to_another_site_is_never_followed(client_as, world):
    [odd] = notify(world.a, url="https://evil.example/")
    response = client_as(world.a).post(reverse("reminders:mark-read"), {"notification": odd.pk})
    assert response["Location"] == reverse("reminders:inbox")


def test_mark_all_read_touches_only_the_users_rows(client_as, world):
    notify(world.a, 3)
    notify(world.b, 2)
    client_as(world.a).post(reverse("reminders:mark-read"))
    assert Notification.objects.filter(recipient=world.a, read_at__isnull=True).count() == 0
    assert Notification.objects.filter(recipient=world.b, read_at__isnull=True).count() == 2


def test_mark_read_only_takes_post(client_as, world):
    assert client_as(world.a).get(reverse("reminders:mark-read")).status_code == 405


# --- Settings -------------------------------------------------------------------------------------------------


def test_settings_refuse_half_a_quiet_window(client_as, world):
    response = client_as(world.a).post(
        reverse("reminders:preferences"), {"by_email": "on", "language": "en", "quiet_from": "22:00"}
    )
    assert response.status_code == 200
    assert "Give both ends of the quiet hours, or neither." in response.content.decode()
    assert not NotificationPreference.objects.filter(user=world.a, quiet_from__isnull=False).exists()


def test_settings_are_saved_with_a_history_row(client_as, world):
    response = client_as(world.a).post(
        reverse("reminders:preferences"),
        {
            "by_email": "",
            "by_wecom": "on",
            "language": "zh-hant",
            "quiet_from": "22:00",
            "quiet_until": "07:30",
        },
    )
    assert response.status_code == 302
    preference = NotificationPreference.objects.get(user=world.a)
    assert (preference.by_email, preference.by_wecom, preference.language) == (False, True, "zh-hant")
    assert str(preference.quiet_until) == "07:30:00"
    assert preference.history.count() == 2  # created on the first visit, then changed


# --- Calendar feed --------------------------------------------------------------------------------------------


def test_the_feed_lists_the_users_due_dates_and_nobody_elses(client, world):
    mine = add_milestone(world, "2025-03-20", title="场地协议签署")
    token = preference_for(world.a).calendar_token
    response = client.get(reverse("reminders:calendar", args=[token]))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Cache-Control"] == "private, no-store"
    body = response.content.decode()
    assert body.startswith("BEGIN:VCALENDAR\r\n")
    assert body.endswith("END:VCALENDAR\r\n")
    assert f"UID:milestone-{mine.pk}@suzhou-hk" in body
    assert "DTSTART;VALUE=DATE:20250320" in body
    others = client.get(reverse("reminders:calendar", args=[preference_for(world.b).calendar_token]))
    assert f"milestone-{mine.pk}@" not in others.content.decode()


def test_every_feed_line_is_folded_to_75_octets(client, world):
    add_milestone(world, "2025-03-20", title="香港科技大学与苏州工业园区联合实验室场地协议及设备清单确认" * 2)
    body = client.get(reverse("reminders:calendar", args=[preference_for(world.a).calendar_token])).content
    assert max(len(line) for line in body.split(b"\r\n")) <= 75


def test_a_rotated_feed_address_stops_working_at_once(client, client_as, world):
    old = preference_for(world.a).calendar_token
    response = client_as(world.a).post(reverse("reminders:rotate-calendar"))
    assert response.status_code == 302
    new = NotificationPreference.objects.get(user=world.a).calendar_token
    assert new != old
    assert client.get(reverse("reminders:calendar", args=[old])).status_code == 404
    assert client.get(reverse("reminders:calendar", args=[new])).status_code == 200


def test_a_deactivated_users_feed_answers_404(client, world):
    token = preference_for(world.a).calendar_token
    assert client.get(reverse("reminders:calendar", args=[token])).status_code == 200
    world.a.is_active = False
    world.a.save()
    assert client.get(reverse("reminders:calendar", args=[token])).status_code == 404


# --- Administrators' delivery records ---------------------------------------------------------------------------


def make_reminders(user, n: int) -> None:
    rule = ReminderRule.objects.get(code="milestone-overdue")
    for i in range(n):
        Reminder.objects.create(
            rule=rule,
            subject_type="milestone",
            subject_id=1000 + i,
            recipient=user,
            occurs_on="2025-03-10",
            not_before="2025-03-10T09:00:00+08:00",
            status=Reminder.Status.FAILED,
            last_error="email: the mail server cannot be reached",
        )


def test_only_administrators_see_delivery_records(client_as, world):
    make_reminders(world.a, 2)
    admin_user = make_user(Role.ADMINISTRATOR, username="root_admin")
    assert client_as(admin_user).get(reverse("admin:reminders_reminder_changelist")).status_code == 200
    assert client_as(world.a).get(reverse("admin:reminders_reminder_changelist")).status_code == 403
    assert client_as(world.manager_a).get(reverse("admin:reminders_reminder_changelist")).status_code == 403


@pytest.mark.parametrize("rows", [2, 20])
def test_the_delivery_records_list_runs_the_same_queries_for_2_and_20_rows(client_as, world, rows):
    make_reminders(world.a, rows)
    admin_user = make_user(Role.ADMINISTRATOR, username="root_admin")
    client = client_as(admin_user)
    client.get(reverse("admin:reminders_reminder_changelist"))
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("admin:reminders_reminder_changelist"))
    assert response.context["cl"].result_count == rows
    # session, user, user permissions, group permissions, administrator check, the rule filter's choices,
    # count, page rows (rule and recipient joined)
    assert len(captured) == 8, [q["sql"] for q in captured]


def test_retrying_a_failed_reminder_puts_it_back_in_the_queue(client_as, world):
    make_reminders(world.a, 1)
    reminder = Reminder.objects.get()
    admin_user = make_user(Role.ADMINISTRATOR, username="root_admin")
    response = client_as(admin_user).post(
        reverse("admin:reminders_reminder_changelist"),
        {"action": "retry", "_selected_action": [reminder.pk]},
    )
    assert response.status_code == 302
    reminder.refresh_from_db()
    assert (reminder.status, reminder.attempts, reminder.claim) == (Reminder.Status.PENDING, 0, "")


def extra_rules(n: int) -> None:
    for i in range(n):
        ReminderRule.objects.create(
            code=f"extra-{i}", name=f"额外规则{i}", kind=ReminderRule.Kind.NO_ACTIVITY, days=10 + i
        )


def test_only_administrators_edit_reminder_rules(client_as, world):
    admin_user = make_user(Role.ADMINISTRATOR, username="root_admin")
    rule = ReminderRule.objects.get(code="no-activity-30")
    url = reverse("admin:reminders_reminderrule_change", args=[rule.pk])
    assert client_as(admin_user).get(url).status_code == 200
    assert client_as(world.a).get(url).status_code == 403
    assert (
        client_as(world.manager_a).get(reverse("admin:reminders_reminderrule_changelist")).status_code == 403
    )


def test_an_absurd_offset_is_refused_in_the_rule_form_and_changes_nothing(client_as, world):
    admin_user = make_user(Role.ADMINISTRATOR, username="root_admin")
    rule = ReminderRule.objects.get(code="no-activity-30")
    url = reverse("admin:reminders_reminderrule_change", args=[rule.pk])
    response = client_as(admin_user).post(
        url,
        {
            "code": rule.code,
            "name": rule.name,
            "name_zh_hant": "",
            "name_en": "",
            "days": 5000,
            "day_unit": "calendar",
            "stage": "",
            "repeat": "once",
            "is_active": "on",
        },
    )
    assert response.status_code == 200
    assert "At most 366 days" in response.content.decode()
    rule.refresh_from_db()
    assert rule.days == 30
    assert rule.history.count() == 0  # seeded by a migration, never changed


@pytest.mark.parametrize("extra", [0, 18])
def test_the_rule_list_runs_the_same_queries_however_many_rules(client_as, world, extra):
    extra_rules(extra)
    admin_user = make_user(Role.ADMINISTRATOR, username="root_admin")
    client = client_as(admin_user)
    client.get(reverse("admin:reminders_reminderrule_changelist"))
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("admin:reminders_reminderrule_changelist"))
    assert response.context["cl"].result_count == 21 + extra
    # session, user, user permissions, group permissions, count, full count, page rows
    assert len(captured) == 7, [q["sql"] for q in captured]
