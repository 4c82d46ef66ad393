"""Claiming and delivering reminder rows: exactly one in-app notification per reminder, mail through Django's
outbox, retries with back-off, permanent failures, cancelling (by signal, at delivery), quiet hours, and the
group webhook's configuration check."""

from __future__ import annotations

import datetime as dt
import io
import json
import smtplib
from unittest import mock

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation

from accounts.roles import Role
from core.errors import ApplicationError
from projects.models import Milestone
from projects.models.leads import PauseReason
from projects.services.handover import leads_reassign
from projects.services.milestones import milestone_complete, milestone_reschedule
from reminders import channels
from reminders.checks import webhook_url_check
from reminders.models import Notification, Reminder, ReminderRule
from reminders.services import (
    notifications_mark_read,
    preference_update,
    reminder_deliver,
    reminder_retry,
    reminders_claim,
    reminders_deliver,
    reminders_sweep,
)
from tests.factories import join, make_lead, make_user
from tests.reminders.conftest import add_milestone, at, day, only, rows, set_lead

pytestmark = pytest.mark.django_db

Status = Reminder.Status
CLAIM = dt.timedelta(seconds=django_settings.REMINDER_CLAIM_SECONDS)
SEND = "reminders.channels.EmailMessage.send"


@pytest.fixture
def english_a(team):
    """Officer A reads reminders in English, so texts and errors are asserted in the msgid language."""
    preference_update(user=team.a, language="en")
    return team


@pytest.fixture
def due_today(english_a):
    """A due-today reminder for officer A, written at 09:00 on Friday 14 March."""
    only("milestone-due-today")
    english_a.milestone = add_milestone(english_a, "2025-03-14")
    reminders_sweep(now=at("2025-03-14"))
    return Reminder.objects.get()


@pytest.fixture
def overdue(english_a):
    """A daily overdue reminder for officer A, written on Monday 17 March. Overdue rows stay due however late
    they are delivered, so this one also serves services that read the real clock."""
    only("milestone-overdue")
    english_a.milestone = add_milestone(english_a, "2025-03-14")
    reminders_sweep(now=at("2025-03-17"))
    return Reminder.objects.get()


def claim_and_deliver(now: dt.datetime) -> tuple[list[int], list[str]]:
    claim, ids = reminders_claim(now=now)
    return ids, [reminder_deliver(reminder_id=pk, claim=claim, now=now) for pk in ids]


def fresh(reminder: Reminder) -> Reminder:
    reminder.refresh_from_db()
    return reminder


# --- Claiming ---------------------------------------------------------------------------------------------------


def test_a_claim_takes_the_rows_once(due_today):
    claim, ids = reminders_claim(now=at("2025-03-14", 9, 1))
    assert ids == [due_today.pk]
    assert len(claim) == 32
    again, none = reminders_claim(now=at("2025-03-14", 9, 2))
    assert none == []
    assert again != claim
    assert fresh(due_today).claim == claim
    assert fresh(due_today).claimed_until == at("2025-03-14", 9, 1) + CLAIM


def test_an_expired_claim_is_taken_over_and_the_old_one_delivers_nothing(due_today):
    first, _ids = reminders_claim(now=at("2025-03-14", 9, 1))
    later = at("2025-03-14", 9, 1) + CLAIM + dt.timedelta(seconds=1)
    second, ids = reminders_claim(now=later)
    assert ids == [due_today.pk]
    assert second != first
    assert reminder_deliver(reminder_id=due_today.pk, claim=first, now=later) == "not ours"
    assert Notification.objects.count() == 0
    assert len(mail.outbox) == 0
    assert reminder_deliver(reminder_id=due_today.pk, claim=second, now=later) == Status.SENT
    reminder = fresh(due_today)
    assert (reminder.status, reminder.sent_at, reminder.attempts, reminder.claimed_until) == (
        Status.SENT,
        later,
        1,
        None,
    )
    assert reminder.channels_done == "inapp,email"
    # Sent is final: no later claim takes it, the same claim cannot send it twice.
    assert reminders_claim(now=later + 2 * CLAIM)[1] == []
    assert reminder_deliver(reminder_id=due_today.pk, claim=second, now=later) == "not ours"
    assert Notification.objects.count() == 1
    assert len(mail.outbox) == 1


def test_a_claim_leaves_rows_not_due_yet_and_respects_the_limit(english_a):
    only("milestone-overdue")
    add_milestone(english_a, "2025-03-13", title="甲")
    add_milestone(english_a, "2025-03-14", title="乙")
    reminders_sweep(now=at("2025-03-17"))
    assert reminders_claim(now=at("2025-03-17", 8, 59))[1] == []
    _claim, first = reminders_claim(now=at("2025-03-17", 9), limit=1)
    _claim, second = reminders_claim(now=at("2025-03-17", 9), limit=1)
    assert len(first) == len(second) == 1
    assert set(first + second) == set(Reminder.objects.values_list("pk", flat=True))


# --- Delivering -------------------------------------------------------------------------------------------------


def test_delivery_writes_the_inbox_entry_and_one_email(due_today):
    _ids, outcome = claim_and_deliver(at("2025-03-14", 9, 1))
    assert outcome == [Status.SENT]
    notification = Notification.objects.get()
    lead = due_today.lead
    assert (notification.recipient, notification.reminder) == (lead.owner, due_today)
    assert notification.title == f"Due today: {lead.code} {lead.name} · 场地协议签署"
    assert notification.url == reverse("admin:projects_lead_change", args=[lead.pk])
    [message] = mail.outbox
    assert message.to == ["officer.a@example.org"]
    assert message.subject == notification.title
    assert notification.url in message.body
    assert django_settings.SITE_URL.rstrip("/") in message.body


def test_a_redelivery_after_a_crash_does_not_write_a_second_notification(due_today):
    now = at("2025-03-14", 9, 1)
    claim, ids = reminders_claim(now=now)
    # The worker dies while sending the email, after the inbox entry was written (SystemExit, like a killed
    # process, is no Exception: nothing catches it) …
    with (
        mock.patch.object(channels, "send_email", side_effect=SystemExit("worker killed")),
        pytest.raises(SystemExit),
    ):
        reminder_deliver(reminder_id=due_today.pk, claim=claim, now=now)
    assert Notification.objects.count() == 1
    # … and, in the worst case, before it could note that the inbox entry was done.
    Reminder.objects.filter(pk=due_today.pk).update(channels_done="")

    later = now + CLAIM + dt.timedelta(seconds=1)
    ids, outcome = claim_and_deliver(later)
    assert (ids, outcome) == ([due_today.pk], [Status.SENT])
    assert Notification.objects.filter(reminder=due_today).count() == 1
    assert len(mail.outbox) == 1
    assert fresh(due_today).attempts == 2


def test_the_batch_delivery_counts_outcomes_and_survives_a_stale_claim(overdue):
    claim, ids = reminders_claim(now=timezone.now())
    assert reminders_deliver(ids=ids, claim="a-stale-claim") == {"not ours": 1}
    assert reminders_deliver(ids=ids, claim=claim) == {"sent": 1}
    assert Notification.objects.count() == 1
    assert len(mail.outbox) == 1


def test_a_user_who_declined_email_gets_the_inbox_entry_only(due_today):
    preference_update(user=due_today.recipient, by_email=False)
    assert claim_and_deliver(at("2025-03-14", 9, 1))[1] == [Status.SENT]
    assert (Notification.objects.count(), len(mail.outbox)) == (1, 0)
    assert fresh(due_today).channels_done == "inapp"


def test_notifications_are_marked_read_only_for_their_recipient(due_today, team):
    claim_and_deliver(at("2025-03-14", 9, 1))
    assert notifications_mark_read(user=team.b) == 0
    assert notifications_mark_read(user=team.a) == 1
    assert Notification.objects.get().read_at is not None
    assert notifications_mark_read(user=team.a) == 0


# --- Cancelling -------------------------------------------------------------------------------------------------


def test_completing_a_milestone_cancels_its_pending_rows(english_a):
    only("milestone-overdue", "milestone-escalation")
    done = add_milestone(english_a, "2025-03-14", title="甲")
    other = add_milestone(english_a, "2025-03-14", title="乙")
    reminders_sweep(now=at("2025-03-24"))
    assert Reminder.objects.filter(subject_id=done.pk).count() == 2  # overdue + escalation
    milestone_complete(milestone=done, actor=english_a.a, evidence_note="租赁协议已签")
    assert set(Reminder.objects.filter(subject_id=done.pk).values_list("status", "cancelled_reason")) == {
        (Status.CANCELLED, "milestone resolved")
    }
    assert set(Reminder.objects.filter(subject_id=other.pk).values_list("status", flat=True)) == {
        Status.PENDING
    }
    assert claim_and_deliver(at("2025-03-24", 9, 1))[1] == [Status.SENT, Status.SENT]


def test_the_cancellation_is_part_of_the_completions_transaction(due_today, english_a):
    seen = []

    def complete_then_fail() -> None:
        with transaction.atomic():
            milestone_complete(milestone=english_a.milestone, actor=english_a.a, evidence_note="已完成")
            seen.append(fresh(due_today).status)
            raise RuntimeError("the request failed after the completion")

    with pytest.raises(RuntimeError):
        complete_then_fail()
    assert seen == [Status.CANCELLED]
    assert fresh(due_today).status == Status.PENDING
    assert Milestone.objects.get(pk=english_a.milestone.pk).status == Milestone.Status.OPEN


def test_a_sent_reminder_stays_sent_when_the_milestone_is_completed(due_today, english_a):
    claim_and_deliver(at("2025-03-14", 9, 1))
    milestone_complete(milestone=english_a.milestone, actor=english_a.a, evidence_note="已完成")
    assert fresh(due_today).status == Status.SENT


@pytest.fixture
def other_a(team):
    return join(make_user(Role.OFFICER, username="other_a"), team.unit_a)


def test_reassigning_a_lead_cancels_its_pending_rows(english_a, other_a):
    only("milestone-overdue", "no-activity-30")
    add_milestone(english_a, "2025-03-14")
    set_lead(english_a.lead, last_activity_at=at("2025-02-01", 8))
    kept = make_lead(owner=english_a.a, unit=english_a.unit_a, name="不移交线索")
    set_lead(kept, last_activity_at=at("2025-02-01", 8))
    reminders_sweep(now=at("2025-03-17"))
    assert Reminder.objects.filter(lead=english_a.lead).count() == 2

    assert leads_reassign(actor=english_a.manager_a, leads=[english_a.lead], to_owner=other_a) == 1
    assert set(Reminder.objects.filter(lead=english_a.lead).values_list("status", "cancelled_reason")) == {
        (Status.CANCELLED, "lead reassigned")
    }
    assert Reminder.objects.get(lead=kept).status == Status.PENDING


def test_after_a_reassignment_the_new_owner_hears_of_the_lead(english_a, other_a):
    only("no-activity-30")
    set_lead(english_a.lead, last_activity_at=at("2025-02-01", 8))
    reminders_sweep(now=at("2025-03-03"))
    leads_reassign(actor=english_a.manager_a, leads=[english_a.lead], to_owner=other_a)
    reminders_sweep(now=at("2025-03-03", 10))
    assert ("no-activity-30", "other_a", day("2025-03-03")) in rows(status=Status.PENDING)


def test_a_reassignment_within_the_unit_leaves_the_heads_escalation_pending(english_a, other_a):
    only("milestone-escalation")
    add_milestone(english_a, "2025-03-14")
    reminders_sweep(now=at("2025-03-24"))
    leads_reassign(actor=english_a.manager_a, leads=[english_a.lead], to_owner=other_a)
    reminders_sweep(now=at("2025-03-24", 10))
    assert ("milestone-escalation", "manager_a", day("2025-03-21")) in rows(status=Status.PENDING)


def test_a_milestone_moved_to_another_date_is_cancelled_at_delivery(due_today, english_a):
    milestone_reschedule(milestone=english_a.milestone, actor=english_a.a, due_on=day("2025-03-20"))
    assert claim_and_deliver(at("2025-03-14", 9, 1))[1] == ["cancelled"]
    reminder = fresh(due_today)
    assert (reminder.status, reminder.cancelled_reason, reminder.claimed_until) == (
        Status.CANCELLED,
        "no longer due",
        None,
    )
    assert (Notification.objects.count(), len(mail.outbox)) == (0, 0)


def test_a_lead_paused_since_the_sweep_is_cancelled_at_delivery(english_a):
    only("no-activity-30")
    set_lead(english_a.lead, last_activity_at=at("2025-02-01", 8))
    reminders_sweep(now=at("2025-03-03"))
    set_lead(
        english_a.lead,
        status="paused",
        pause_reason=PauseReason.FUNDING_DECISION,
        resume_review_on=day("2025-04-01"),
    )
    assert claim_and_deliver(at("2025-03-03", 9, 5))[1] == ["cancelled"]
    assert Notification.objects.count() == 0


def test_a_reminder_of_a_switched_off_rule_is_cancelled_at_delivery(due_today):
    ReminderRule.objects.filter(pk=due_today.rule_id).update(is_active=False)
    assert claim_and_deliver(at("2025-03-14", 9, 1))[1] == ["cancelled"]


def test_an_empty_managers_digest_is_cancelled_with_nothing_to_report(team):
    only("manager-digest")
    reminders_sweep(now=at("2025-03-17"))
    assert {r[1] for r in rows()} == {"manager_a", "director"}
    assert claim_and_deliver(at("2025-03-17", 9, 1))[1] == ["cancelled", "cancelled"]
    assert set(Reminder.objects.values_list("cancelled_reason", flat=True)) == {"nothing to report"}


def test_a_managers_digest_lists_the_overdue_milestones_of_the_unit(team):
    only("manager-digest")
    add_milestone(team, "2025-03-14", title="场地协议签署")
    reminders_sweep(now=at("2025-03-17"))
    preference_update(user=team.manager_a, language="en")
    claim, _ids = reminders_claim(now=at("2025-03-17", 9, 1))
    mine = Reminder.objects.get(recipient=team.manager_a)
    assert reminder_deliver(reminder_id=mine.pk, claim=claim, now=at("2025-03-17", 9, 1)) == Status.SENT
    notification = Notification.objects.get(recipient=team.manager_a)
    assert notification.title == "Daily digest for 2025-03-17"
    assert f"{team.lead.code} {team.lead.name} · 场地协议签署" in notification.body


# --- Quiet hours ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("quiet", "swept", "not_before"),
    [
        ((22, 8), at("2025-03-17", 23), at("2025-03-18", 8)),  # across midnight, evening side
        ((22, 8), at("2025-03-18", 7), at("2025-03-18", 8)),  # across midnight, morning side
        ((22, 8), at("2025-03-18", 8), at("2025-03-18", 8)),  # the end is not quiet
        ((22, 8), at("2025-03-18", 12), at("2025-03-18", 12)),
        ((12, 14), at("2025-03-18", 13), at("2025-03-18", 14)),  # a lunch break
        ((12, 14), at("2025-03-18", 11, 59), at("2025-03-18", 11, 59)),
    ],
)
def test_quiet_hours_hold_a_reminder_until_they_end(english_a, quiet, swept, not_before):
    only("milestone-overdue")
    add_milestone(english_a, "2025-03-14")
    preference_update(user=english_a.a, quiet_from=dt.time(quiet[0]), quiet_until=dt.time(quiet[1]))
    reminders_sweep(now=swept)
    assert Reminder.objects.get().not_before == not_before


def test_a_reminder_in_quiet_hours_is_claimed_only_when_they_end(english_a):
    only("milestone-overdue")
    add_milestone(english_a, "2025-03-14")
    preference_update(user=english_a.a, quiet_from=dt.time(22), quiet_until=dt.time(8))
    reminders_sweep(now=at("2025-03-17", 23))
    assert reminders_claim(now=at("2025-03-18", 7, 59))[1] == []
    ids, outcome = claim_and_deliver(at("2025-03-18", 8))
    assert outcome == [Status.SENT]
    assert Reminder.objects.get(pk=ids[0]).occurs_on == day("2025-03-17")


# --- Failures and retries ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "failure",
    [
        smtplib.SMTPServerDisconnected("Connection unexpectedly closed"),
        ConnectionRefusedError(111, "refused"),
    ],
)
def test_a_mail_server_outage_is_retried_later_without_a_second_inbox_entry(due_today, failure, settings):
    now = at("2025-03-14", 9, 1)
    with mock.patch(SEND, side_effect=failure):
        assert claim_and_deliver(now)[1] == ["retry"]
    reminder = fresh(due_today)
    assert (reminder.status, reminder.attempts, reminder.channels_done) == (Status.PENDING, 1, "inapp")
    assert reminder.last_error.startswith("email: the mail server cannot be reached")
    assert (reminder.claim, reminder.claimed_until) == ("", None)
    base = dt.timedelta(seconds=settings.REMINDER_RETRY_BASE_SECONDS)
    assert now + base / 2 <= reminder.not_before <= now + base
    assert Notification.objects.count() == 1
    assert len(mail.outbox) == 0
    assert reminders_claim(now=now + base / 4)[1] == []

    # The server is back: the next run sends the email only.
    _ids, outcome = claim_and_deliver(reminder.not_before)
    assert outcome == [Status.SENT]
    reminder = fresh(due_today)
    assert (reminder.attempts, reminder.channels_done, reminder.last_error) == (2, "inapp,email", "")
    assert Notification.objects.count() == 1
    assert len(mail.outbox) == 1


def test_after_the_last_attempt_the_reminder_fails(due_today, settings):
    settings.REMINDER_MAX_ATTEMPTS = 3
    moment = at("2025-03-14", 9, 1)
    outcomes = []
    with mock.patch(SEND, side_effect=smtplib.SMTPConnectError(421, b"try later")):
        for _attempt in range(3):
            outcomes += claim_and_deliver(moment)[1]
            moment = max(moment, fresh(due_today).not_before)
    assert outcomes == ["retry", "retry", Status.FAILED]
    reminder = fresh(due_today)
    assert (reminder.status, reminder.attempts, reminder.claimed_until) == (Status.FAILED, 3, None)
    assert "mail server" in reminder.last_error
    assert Notification.objects.count() == 1
    assert len(mail.outbox) == 0
    assert reminders_claim(now=moment + dt.timedelta(days=1))[1] == []


@pytest.mark.parametrize(
    ("failure", "outcome"),
    [
        pytest.param(smtplib.SMTPDataError(451, b"4.3.0 mailbox busy"), "retry"),
        (smtplib.SMTPDataError(554, b"5.7.1 rejected"), Status.FAILED),
    ],
)
def test_a_4xx_answer_is_retried_and_a_5xx_answer_is_final(due_today, failure, outcome):
    with mock.patch(SEND, side_effect=failure):
        assert claim_and_deliver(at("2025-03-14", 9, 1))[1] == [outcome]
    assert str(failure.smtp_code) in fresh(due_today).last_error


def test_a_refused_address_fails_at_once_and_an_administrator_can_retry(overdue):
    refused = smtplib.SMTPRecipientsRefused({"officer.a@example.org": (550, b"5.1.1 no such user")})
    with mock.patch(SEND, side_effect=refused):
        assert claim_and_deliver(at("2025-03-17", 9, 1))[1] == [Status.FAILED]
    reminder = fresh(overdue)
    assert reminder.status == Status.FAILED
    assert reminder.last_error.startswith("email: the mail server refused the address")
    assert "no such user" in reminder.last_error
    assert reminder.channels_done == "inapp,email!"
    assert Notification.objects.count() == 1
    assert reminders_claim(now=at("2025-03-18"))[1] == []

    retried = reminder_retry(reminder=reminder)
    assert (retried.status, retried.attempts, retried.channels_done, retried.claim) == (
        Status.PENDING,
        0,
        "inapp",
        "",
    )
    # The retry is for now: the real clock, so deliver by it.
    now = timezone.now() + dt.timedelta(seconds=1)
    ids, outcome = claim_and_deliver(now)
    assert (ids, outcome) == ([overdue.pk], [Status.SENT])
    assert Notification.objects.count() == 1
    assert len(mail.outbox) == 1


def test_only_a_failed_reminder_can_be_retried(due_today):
    with translation.override("en"), pytest.raises(ApplicationError) as caught:
        reminder_retry(reminder=due_today)
    assert caught.value.message == "Only a failed reminder can be sent again."
    assert fresh(due_today).status == Status.PENDING


# --- The group webhook ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "ids"),
    [
        ("", []),
        ("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc", []),
        ("http://intranet-proxy:8080/hook", []),
        ("ftp://x", ["reminders.E001"]),
        ("qyapi.weixin.qq.com/cgi-bin/webhook/send", ["reminders.E001"]),
    ],
)
def test_the_system_check_refuses_a_webhook_that_is_not_http(settings, url, ids):
    settings.WECOM_WEBHOOK_URL = url
    with translation.override("en"):
        errors = webhook_url_check()
    assert [e.id for e in errors] == ids
    if ids:
        assert errors[0].msg == (
            f"WECOM_WEBHOOK_URL: the webhook address must start with http:// or https:// (it is “{url}”)"
        )


@pytest.fixture
def unit_digest(team, settings):
    """A unit digest for the bureau on Monday 17 March, with one overdue milestone below it."""

    def make(url: str) -> Reminder:
        settings.WECOM_WEBHOOK_URL = url
        only("unit-digest")
        add_milestone(team, "2025-03-14")
        reminders_sweep(now=at("2025-03-17"))
        return Reminder.objects.get()

    return make


def test_a_unit_digest_to_a_non_http_webhook_fails_permanently_with_the_reason(unit_digest, settings):
    reminder = unit_digest("ftp://x")
    with mock.patch("urllib.request.urlopen") as urlopen:
        assert claim_and_deliver(at("2025-03-17", 9, 1))[1] == [Status.FAILED]
    urlopen.assert_not_called()
    reminder = fresh(reminder)
    with translation.override(settings.LANGUAGE_CODE):
        reason = channels.check_webhook_url("ftp://x")
    assert reminder.last_error == f"webhook: {reason}"
    assert "ftp://x" in reminder.last_error
    assert (reminder.status, reminder.channels_done) == (Status.FAILED, "webhook!")
    assert Notification.objects.count() == 0


def test_a_unit_digest_posts_counts_and_no_names_to_the_webhook(unit_digest, team):
    reminder = unit_digest("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc")
    posted = []

    def answer(request, timeout):
        posted.append((request.full_url, json.loads(request.data)))
        return io.BytesIO(b'{"errcode": 0, "errmsg": "ok"}')

    with mock.patch("urllib.request.urlopen", side_effect=answer):
        assert claim_and_deliver(at("2025-03-17", 9, 1))[1] == [Status.SENT]
    [(url, payload)] = posted
    assert url == django_settings.WECOM_WEBHOOK_URL
    content = payload["text"]["content"]
    assert team.bureau.name in content
    assert "1" in content
    assert team.lead.name not in content
    assert team.lead.code not in content
    assert "officer_a" not in content
    assert fresh(reminder).status == Status.SENT


# --- Found in review -------------------------------------------------------------------------------------------


def test_a_managers_digest_leaves_out_confidential_leads_of_a_unit_they_only_belong_to(team):
    """A head of unit B who is a plain member of unit A sees none of A's confidential leads, in the digest
    either."""
    only("manager-digest")
    head_b = join(join(make_user(Role.MANAGER, username="head_b"), team.unit_b, "head"), team.unit_a)
    secret = make_lead(owner=team.manager_a, unit=team.unit_a, name="机密线索", confidential=True)
    add_milestone(team, "2025-03-14", lead=secret, title="机密事项")
    add_milestone(team, "2025-03-14", title="公开事项")
    reminders_sweep(now=at("2025-03-17"))
    claim, _ids = reminders_claim(now=at("2025-03-17", 9, 1))
    mine = Reminder.objects.get(recipient=head_b)
    assert reminder_deliver(reminder_id=mine.pk, claim=claim, now=at("2025-03-17", 9, 1)) == Status.SENT
    body = Notification.objects.get(recipient=head_b).body
    assert "公开事项" in body
    assert "机密" not in body


def test_after_a_reassignment_the_new_owner_gets_the_milestones_and_their_reminders(english_a, other_a):
    only("milestone-overdue")
    milestone = add_milestone(english_a, "2025-03-14")
    assert milestone.assignee == english_a.a
    reminders_sweep(now=at("2025-03-17"))
    leads_reassign(actor=english_a.manager_a, leads=[english_a.lead], to_owner=other_a)
    milestone.refresh_from_db()
    assert milestone.assignee == other_a
    assert milestone.history.first().history_user == english_a.manager_a
    reminders_sweep(now=at("2025-03-18"))
    assert rows(status=Status.PENDING) == {("milestone-overdue", "other_a", day("2025-03-18"))}


def test_a_cancelled_reminder_is_not_offered_again_to_the_same_recipient(english_a, other_a):
    only("no-activity-30")
    set_lead(english_a.lead, last_activity_at=at("2025-02-01", 8))
    reminders_sweep(now=at("2025-03-03"))
    leads_reassign(actor=english_a.manager_a, leads=[english_a.lead], to_owner=other_a)
    reminders_sweep(now=at("2025-03-03", 10))
    assert reminders_sweep(now=at("2025-03-03", 11)) == 0  # nothing offered again, cancelled or not


def test_a_milestone_of_an_inactive_assignee_reminds_the_owner(english_a, other_a):
    only("milestone-overdue")
    milestone = add_milestone(english_a, "2025-03-14")
    Milestone.objects.filter(pk=milestone.pk).update(assignee=other_a)
    other_a.is_active = False
    other_a.save()
    reminders_sweep(now=at("2025-03-17"))
    assert rows() == {("milestone-overdue", "officer_a", day("2025-03-17"))}


def test_a_recipient_deactivated_since_the_sweep_gets_nothing(due_today, english_a):
    english_a.a.is_active = False
    english_a.a.save()
    assert claim_and_deliver(at("2025-03-14", 9, 1))[1] == ["cancelled"]
    assert fresh(due_today).cancelled_reason == "recipient inactive"
    assert Notification.objects.count() == 0
    assert len(mail.outbox) == 0


def test_an_unforeseen_error_is_retried_and_ends_at_the_attempt_cap(due_today, settings):
    settings.REMINDER_MAX_ATTEMPTS = 2
    moment = at("2025-03-14", 9, 1)
    outcomes = []
    with mock.patch(SEND, side_effect=KeyError("surprise")):
        for _attempt in range(2):
            outcomes += claim_and_deliver(moment)[1]
            moment = max(moment, fresh(due_today).not_before)
    assert outcomes == ["retry", Status.FAILED]
    reminder = fresh(due_today)
    assert "email: KeyError" in reminder.last_error
    assert Notification.objects.count() == 1


def test_a_channel_failed_for_good_is_not_tried_again_on_a_retry(due_today, settings):
    """Email refused for good, then WeCom busy: the retry sends WeCom only and the record does not grow."""
    settings.WECOM_CORP_ID, settings.WECOM_SECRET, settings.WECOM_AGENT_ID = "corp", "secret", "1000002"
    type(english := due_today.recipient).objects.filter(pk=english.pk).update(wecom_userid="chan.taiman")
    moment = at("2025-03-14", 9, 1)
    refused = smtplib.SMTPRecipientsRefused({"a@example.org": (550, b"no such user")})
    busy = channels.TransientError("wecom", "busy")
    with (
        mock.patch(SEND, side_effect=refused) as send,
        mock.patch("reminders.channels.send_wecom", side_effect=[busy, busy, None]) as wecom,
    ):
        for _attempt in range(3):
            claim_and_deliver(moment)
            moment = max(moment, fresh(due_today).not_before)
    reminder = fresh(due_today)
    assert send.call_count == 1
    assert wecom.call_count == 3
    assert reminder.channels_done == "inapp,email!,wecom"
    assert reminder.status == Status.FAILED
    assert "refused" in reminder.last_error


def test_a_reminder_that_crashes_outside_its_channels_is_logged_kept_and_failed_at_the_cap(overdue, settings):
    """An error before any channel (here the message) is written onto the row; after the attempt cap the
    row fails instead of being retried forever."""
    settings.REMINDER_MAX_ATTEMPTS = 2
    moment = timezone.now()
    outcomes = []
    with mock.patch("reminders.services.message_for", side_effect=ValueError("broken subject")):
        for _attempt in range(2):
            claim, ids = reminders_claim(now=moment)
            outcomes.append(reminders_deliver(ids=ids, claim=claim))
            moment += CLAIM + dt.timedelta(seconds=1)
    assert outcomes == [{"error": 1}, {Status.FAILED: 1}]
    reminder = fresh(overdue)
    assert (reminder.status, reminder.attempts) == (Status.FAILED, 2)
    assert reminder.last_error == "ValueError: broken subject"
    assert Notification.objects.count() == 0


def test_a_line_break_in_a_lead_name_does_not_break_the_email_subject(due_today, english_a):
    type(english_a.lead).objects.filter(pk=english_a.lead.pk).update(name="港科大\n量子团队")
    assert claim_and_deliver(at("2025-03-14", 9, 1))[1] == [Status.SENT]
    assert "港科大 量子团队" in mail.outbox[0].subject
