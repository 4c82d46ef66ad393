"""All writes of the reminders app: the sweep, claiming, delivery, cancelling, and each user's inbox and choices.

Exactly once rests on three conditional writes: inserting a reminder row is unique per occurrence (a second
sweep's insert is ignored), claiming rows is an UPDATE that only takes unclaimed or expired rows, and the
in-app notification is unique per reminder. A message on the broker is only a hint: "deliver these ids under
this claim"; a stale hint finds the claim gone and does nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import secrets
from collections.abc import Iterable
from contextlib import nullcontext

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone, translation

from accounts.models import User
from core.errors import ApplicationError, full_clean_or_error
from reminders import channels
from reminders.content import message_for
from reminders.models import Notification, NotificationPreference, Reminder, ReminderRule, new_calendar_token
from reminders.sweep import SweepClock, due_for

log = logging.getLogger(__name__)
INSERT_BATCH = 1000


# --- Sweep ----------------------------------------------------------------------------------------------------


def _quiet_end(preference: NotificationPreference | None, now: dt.datetime) -> dt.datetime:
    """When a reminder may go out to this user: now, or the end of their quiet hours if now is inside them."""
    if preference is None or preference.quiet_from is None or preference.quiet_until is None:
        return now
    local = timezone.localtime(now)
    start, end, moment = preference.quiet_from, preference.quiet_until, local.time()
    inside = (start <= moment < end) if start < end else (moment >= start or moment < end)
    if not inside:
        return now
    day = local.date() if moment < end else local.date() + dt.timedelta(days=1)
    return timezone.make_aware(dt.datetime.combine(day, end), timezone.get_current_timezone())


def reminders_sweep(*, now: dt.datetime | None = None) -> int:
    """Write a reminder row for every occurrence due now and not written yet; returns how many it offered
    (rows a concurrent sweep wrote first are among them, and ignored by the database)."""
    now = now or timezone.now()
    clock = SweepClock(now=now)
    active_users = set(User.objects.filter(is_active=True).values_list("pk", flat=True))
    preferences = {p.user_id: p for p in NotificationPreference.objects.all()}
    created = 0
    for rule in ReminderRule.objects.filter(is_active=True):
        batch: list[Reminder] = []
        for due in due_for(rule, clock):
            if due.recipient_id is not None and due.recipient_id not in active_users:
                continue
            batch.append(
                Reminder(
                    rule=rule,
                    subject_type=rule.subject_type,
                    subject_id=due.subject_id,
                    recipient_id=due.recipient_id,
                    occurs_on=due.occurs_on,
                    lead_id=due.lead_id,
                    not_before=_quiet_end(
                        preferences.get(due.recipient_id) if due.recipient_id is not None else None, now
                    ),
                )
            )
            if len(batch) >= INSERT_BATCH:
                created += _insert(batch)
                batch = []
        created += _insert(batch)
    return created


def _insert(batch: list[Reminder]) -> int:
    # Another sweep may have written some of these a moment ago: the unique constraint keeps one of each.
    Reminder.objects.bulk_create(batch, ignore_conflicts=True)
    return len(batch)


def reminders_claim(*, now: dt.datetime | None = None, limit: int | None = None) -> tuple[str, list[int]]:
    """Claim up to `limit` deliverable rows (pending, not before now, unclaimed or claim expired) for one
    delivery run; returns the claim and the ids it got. Two sweeps at once never get the same row."""
    now = now or timezone.now()
    limit = limit or settings.REMINDER_DISPATCH_LIMIT
    claim = secrets.token_hex(16)
    deliverable = Q(status=Reminder.Status.PENDING, not_before__lte=now) & (
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    )
    candidates = list(
        Reminder.objects.filter(deliverable).order_by("not_before", "pk").values_list("pk", flat=True)[:limit]
    )
    if not candidates:
        return claim, []
    Reminder.objects.filter(deliverable, pk__in=candidates).update(
        claim=claim, claimed_until=now + dt.timedelta(seconds=settings.REMINDER_CLAIM_SECONDS)
    )
    return claim, list(Reminder.objects.filter(claim=claim).order_by("pk").values_list("pk", flat=True))


# --- Delivery -------------------------------------------------------------------------------------------------


def _still_due(reminder: Reminder, now: dt.datetime) -> bool:
    rule = reminder.rule
    if not rule.is_active:
        return False
    clock = SweepClock(now=now)
    for due in due_for(rule, clock, subject_ids=[reminder.subject_id]):
        same_occurrence = rule.repeat == ReminderRule.Repeat.DAILY or due.occurs_on == reminder.occurs_on
        if due.recipient_id == reminder.recipient_id and same_occurrence:
            return True
    return False


def _done(reminder: Reminder, claim: str, /, **fields) -> bool:
    return bool(Reminder.objects.filter(pk=reminder.pk, claim=claim).update(**fields))


def _backoff(attempts: int) -> dt.timedelta:
    # Exponential with full jitter, so a mail server coming back is not hit by every reminder at once.
    ceiling = min(
        settings.REMINDER_RETRY_MAX_SECONDS, settings.REMINDER_RETRY_BASE_SECONDS * 2 ** (attempts - 1)
    )
    return dt.timedelta(seconds=random.uniform(ceiling / 2, ceiling))  # noqa: S311 - jitter, not a secret


def reminder_deliver(*, reminder_id: int, claim: str, now: dt.datetime | None = None) -> str:
    """Deliver one claimed reminder on every channel not yet done; returns what happened (for logs and tests)."""
    now = now or timezone.now()
    # Renew the claim and count the attempt in one conditional write: if the claim moved on (expired and taken
    # by a later sweep) or the row is no longer pending, this run stops here.
    renewed = Reminder.objects.filter(pk=reminder_id, claim=claim, status=Reminder.Status.PENDING).update(
        claimed_until=now + dt.timedelta(seconds=settings.REMINDER_CLAIM_SECONDS), attempts=F("attempts") + 1
    )
    if not renewed:
        return "not ours"
    reminder = Reminder.objects.select_related("rule", "recipient").get(pk=reminder_id)
    if reminder.recipient is not None and not reminder.recipient.is_active:
        _done(
            reminder,
            claim,
            status=Reminder.Status.CANCELLED,
            cancelled_reason="recipient inactive",
            claimed_until=None,
        )
        return "cancelled"
    if not _still_due(reminder, now):
        _done(
            reminder,
            claim,
            status=Reminder.Status.CANCELLED,
            cancelled_reason="no longer due",
            claimed_until=None,
        )
        return "cancelled"
    preference = (
        NotificationPreference.objects.filter(user_id=reminder.recipient_id).first()
        if reminder.recipient_id
        else None
    )
    language = preference.language if preference else settings.LANGUAGE_CODE
    with translation.override(language):
        message = message_for(reminder)
    if message is None:
        _done(
            reminder,
            claim,
            status=Reminder.Status.CANCELLED,
            cancelled_reason="nothing to report",
            claimed_until=None,
        )
        return "cancelled"
    done = [c for c in reminder.channels_done.split(",") if c]
    # A channel done, or failed for good on an earlier attempt ("email!"), is not tried again.
    todo = [
        (channel, send)
        for channel, send in _channels(reminder, preference, message)
        if channel not in done and f"{channel}!" not in done
    ]
    # Permanent failures of earlier attempts ("email: …" for "email!") stay on record until the end.
    failures = [line for line in reminder.last_error.splitlines() if f"{line.split(':', 1)[0]}!" in done]
    for index, (channel, send) in enumerate(todo):
        # Each channel's success is recorded before the next one goes, so a crash repeats at most the channel it
        # was on; the last one's record rides on the final status update. The in-app row and its record commit
        # together, so it is never written twice.
        record = index < len(todo) - 1
        try:
            with (
                translation.override(language),
                transaction.atomic() if channel == "inapp" else nullcontext(),
            ):
                send()
                if record and channel == "inapp":
                    _done(reminder, claim, channels_done=",".join([*done, channel]))
                    record = False
        except SoftTimeLimitExceeded:
            raise
        except channels.TransientError as exc:
            return _retry_later(reminder, claim, done, "\n".join([*failures, str(exc)]), now)
        except channels.PermanentError as exc:
            failures.append(str(exc))
            done.append(f"{channel}!")
        except Exception as exc:
            # Anything unforeseen (a header the mail library refuses, a broken answer) is retried like a
            # transient failure, so the attempt cap still ends it.
            log.exception("Reminder %s: %s failed", reminder.pk, channel)
            return _retry_later(reminder, claim, done, "\n".join([*failures, f"{channel}: {exc!r}"]), now)
        else:
            done.append(channel)
        if record:
            _done(reminder, claim, channels_done=",".join(done))
    finished = {"channels_done": ",".join(done), "claimed_until": None}
    if failures:
        _done(reminder, claim, status=Reminder.Status.FAILED, last_error="\n".join(failures), **finished)
        return Reminder.Status.FAILED
    _done(reminder, claim, status=Reminder.Status.SENT, sent_at=now, last_error="", **finished)
    return Reminder.Status.SENT


def _channels(reminder: Reminder, preference: NotificationPreference | None, message):
    user = reminder.recipient
    if user is None:
        yield "webhook", lambda: channels.send_webhook(message=message)
        return
    yield "inapp", lambda: _notify_in_app(reminder, message)
    if user.email and (preference is None or preference.by_email):
        yield "email", lambda: channels.send_email(address=user.email, message=message)
    if user.wecom_userid and channels.wecom_configured() and (preference is None or preference.by_wecom):
        yield "wecom", lambda: channels.send_wecom(wecom_userid=user.wecom_userid, message=message)


def _notify_in_app(reminder: Reminder, message) -> None:
    Notification.objects.get_or_create(
        reminder=reminder,
        defaults={
            "recipient_id": reminder.recipient_id,
            "title": message.title[:300],
            "body": message.body,
            "url": message.url,
        },
    )


def _retry_later(reminder: Reminder, claim: str, done: list[str], error: str, now: dt.datetime) -> str:
    attempts = Reminder.objects.values_list("attempts", flat=True).get(pk=reminder.pk)
    if attempts >= settings.REMINDER_MAX_ATTEMPTS:
        _done(reminder, claim, status=Reminder.Status.FAILED, last_error=error, claimed_until=None)
        return Reminder.Status.FAILED
    _done(
        reminder,
        claim,
        channels_done=",".join(done),
        last_error=error,
        not_before=now + _backoff(attempts),
        claimed_until=None,
        claim="",
    )
    return "retry"


def reminders_deliver(*, ids: Iterable[int], claim: str) -> dict[str, int]:
    outcome: dict[str, int] = {}
    for reminder_id in ids:
        try:
            result = reminder_deliver(reminder_id=reminder_id, claim=claim)
        except SoftTimeLimitExceeded:
            # Out of time: stop here; the rows not reached keep their claim and a later sweep takes them again.
            raise
        except Exception as exc:
            # One broken subject must not hold up the batch: the error is logged and kept on the row, the claim
            # expires and a later sweep retries it — until the attempt cap marks it failed.
            log.exception("Delivering reminder %s failed", reminder_id)
            result = _record_crash(reminder_id, claim, exc)
        outcome[result] = outcome.get(result, 0) + 1
    return outcome


def _record_crash(reminder_id: int, claim: str, exc: Exception) -> str:
    error = f"{type(exc).__name__}: {exc}"[:2000]
    ours = Reminder.objects.filter(pk=reminder_id, claim=claim, status=Reminder.Status.PENDING)
    if ours.filter(attempts__gte=settings.REMINDER_MAX_ATTEMPTS).update(
        status=Reminder.Status.FAILED, last_error=error, claimed_until=None
    ):
        return Reminder.Status.FAILED
    ours.update(last_error=error)
    return "error"


# --- Cancelling -----------------------------------------------------------------------------------------------


def reminders_cancel(*, subject_type: str, subject_ids: Iterable[int], reason: str) -> int:
    """Cancel the pending rows of these subjects (a completed milestone, a reassigned lead)."""
    return Reminder.objects.filter(
        subject_type=subject_type, subject_id__in=list(subject_ids), status=Reminder.Status.PENDING
    ).update(status=Reminder.Status.CANCELLED, cancelled_reason=reason[:200], claimed_until=None)


def reminders_cancel_for_leads(*, previous_owners: dict[int, int], reason: str) -> int:
    """Cancel the pending rows addressed to the previous owners of reassigned leads ({lead id: previous owner
    id}); rows for others (a unit head's escalation, a milestone's assignee) still stand. The next sweep
    writes the new owner's rows."""
    cancelled = 0
    for lead_id, owner_id in previous_owners.items():
        cancelled += Reminder.objects.filter(
            lead_id=lead_id, recipient_id=owner_id, status=Reminder.Status.PENDING
        ).update(status=Reminder.Status.CANCELLED, cancelled_reason=reason[:200], claimed_until=None)
    return cancelled


def reminders_cancel_for_talent(*, contact_id: int, reason: str) -> int:
    """Cancel the pending rows about the talent-track leads of one person (their leads and those leads'
    milestones): the person withdrew consent to follow-up. The sweep does not write them again."""
    return Reminder.objects.filter(
        lead__subject_contact_id=contact_id, status=Reminder.Status.PENDING
    ).update(status=Reminder.Status.CANCELLED, cancelled_reason=reason[:200], claimed_until=None)


def reminder_retry(*, reminder: Reminder, now: dt.datetime | None = None) -> Reminder:
    """An administrator sends a failed reminder again (after fixing the mail server or an address)."""
    if reminder.status != Reminder.Status.FAILED:
        raise ApplicationError(translation.gettext("Only a failed reminder can be sent again."))
    Reminder.objects.filter(pk=reminder.pk, status=Reminder.Status.FAILED).update(
        status=Reminder.Status.PENDING,
        not_before=timezone.now(),
        claimed_until=None,
        claim="",
        attempts=0,
        channels_done=",".join(c for c in reminder.channels_done.split(",") if c and not c.endswith("!")),
    )
    reminder.refresh_from_db()
    return reminder


# --- The user's side ------------------------------------------------------------------------------------------


def preference_for(user: User) -> NotificationPreference:
    preference, _created = NotificationPreference.objects.get_or_create(user=user)
    return preference


@transaction.atomic
def preference_update(*, user: User, **fields) -> NotificationPreference:
    preference = preference_for(user)
    for name, value in fields.items():
        setattr(preference, name, value)
    full_clean_or_error(preference)
    preference.save()
    return preference


@transaction.atomic
def calendar_token_rotate(*, user: User) -> NotificationPreference:
    """A new secret feed address; the old one stops working at once."""
    preference = preference_for(user)
    preference.calendar_token = new_calendar_token()
    preference.save(update_fields=["calendar_token"])
    return preference


def notifications_mark_read(*, user: User, ids: Iterable[int] | None = None) -> int:
    """Mark the user's own notifications read (all unread ones when no ids are given)."""
    rows = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if ids is not None:
        rows = rows.filter(pk__in=list(ids))
    return rows.update(read_at=timezone.now())
