"""What each rule kind finds due: (subject id, lead id, recipient id, occurrence date) per reminder to write.

The database narrows each kind with a calendar-day bound that is never tighter than the rule (N working days
span at least N calendar days); the exact working-day test runs on the streamed rows. Rows arrive in chunks, so
memory stays flat however many are due. The same code answers "is this one still due?" at delivery, with
`subject_ids` narrowed to the one subject.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property

from django.conf import settings
from django.db.models import Case, Exists, F, OuterRef, Q, QuerySet, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import Unit, UnitMembership
from directory.services import WorkingCalendar
from funding.models import FundingApplication, Tranche
from projects.models import Lead, Milestone
from projects.stages import Stage
from reminders.models import Reminder, ReminderRule

Kind = ReminderRule.Kind
CHUNK = 2000
UNRESOLVED = [Milestone.Status.OPEN, Milestone.Status.BLOCKED]
FIRST_STAGES = [Stage.LEAD, Stage.T_LEAD]
# Funding work goes on while a lead is paused; a lost, transferred or merged lead's applications wait for whoever
# takes them on.
FOLLOWED_LEADS = [Lead.Status.ACTIVE, Lead.Status.PAUSED]
PAYABLE = [FundingApplication.Status.APPROVED, FundingApplication.Status.DISBURSING]


@dataclass(frozen=True)
class Due:
    subject_id: int
    lead_id: int | None
    recipient_id: int | None
    occurs_on: dt.date


@dataclass
class SweepClock:
    """The sweep's one notion of now: local dates in Asia/Shanghai whatever the process time zone."""

    now: dt.datetime

    @cached_property
    def calendar(self) -> WorkingCalendar:
        # Loaded on first use: most deliveries re-check a rule that counts no working days.
        return WorkingCalendar()

    @property
    def today(self) -> dt.date:
        return timezone.localdate(self.now)

    def local_date(self, moment: dt.datetime) -> dt.date:
        return timezone.localdate(moment)

    def shift(self, rule: ReminderRule, start: dt.date, days: int | None = None) -> dt.date:
        days = rule.days if days is None else days
        if rule.day_unit == ReminderRule.DayUnit.CALENDAR:
            return start + dt.timedelta(days=days)
        return self.calendar.add(start, days).date


def _stale_before(rule: ReminderRule, clock: SweepClock) -> dt.date:
    """A once reminder whose trigger lies further back than the look-back is not written: on the day reminders
    are switched on, or a rule is added, nobody wants hundreds of alerts about last year. The overdue-daily
    rule and the managers' digest still show those items."""
    return clock.today - dt.timedelta(days=settings.REMINDER_ONCE_LOOKBACK_DAYS)


def _coarse_days(rule: ReminderRule) -> int:
    """Calendar days that surely cover N of the rule's days plus the look-back (holidays included)."""
    return 2 * rule.days + settings.REMINDER_ONCE_LOOKBACK_DAYS + 14


def _fresh(rule: ReminderRule, clock: SweepClock, trigger: dt.date) -> bool:
    return rule.repeat == ReminderRule.Repeat.DAILY or trigger >= _stale_before(rule, clock)


def _occurrence(rule: ReminderRule, clock: SweepClock, trigger: dt.date) -> dt.date:
    # A once rule is keyed by the date its subject triggered it, so a new due date or a re-entry is a new
    # occurrence; a daily rule by the sweep's local date.
    return clock.today if rule.repeat == ReminderRule.Repeat.DAILY else trigger


def _written(rule: ReminderRule, clock: SweepClock, recipient, **occurrence) -> Exists:
    """Rows this rule already wrote for the outer subject: a sweep skips those subjects, so a sweep every
    minute does not re-offer every due subject to the unique constraint. A cancelled row counts only for the
    recipient it was cancelled for: a reassigned lead's reminder is written again for the new owner, and a
    cancelled one is not offered again every minute."""
    if rule.repeat == ReminderRule.Repeat.DAILY:
        occurrence = {"occurs_on": clock.today}
    rows = Reminder.objects.filter(
        rule=rule, subject_type=rule.subject_type, subject_id=OuterRef("pk"), **occurrence
    )
    if recipient is not None:
        rows = rows.filter(~Q(status=Reminder.Status.CANCELLED) | Q(recipient_id=recipient))
    return Exists(rows)


def _live_milestones(rule, clock, subject_ids: Iterable[int] | None, **occurrence) -> QuerySet[Milestone]:
    # The assignee hears of the milestone while active; the lead's owner otherwise.
    qs = Milestone.objects.filter(
        status__in=UNRESOLVED, due_on__isnull=False, lead__status__in=[Lead.Status.ACTIVE, Lead.Status.PAUSED]
    ).annotate(
        recipient=Case(
            When(assignee__isnull=False, assignee__is_active=True, then=F("assignee_id")),
            default=F("lead__owner_id"),
        )
    )
    qs = qs.exclude(**_NO_FOLLOW_UP_LEAD)
    if subject_ids is not None:
        return qs.filter(pk__in=list(subject_ids))
    recipient = None if rule.kind == Kind.MILESTONE_ESCALATION else OuterRef("recipient")
    return qs.exclude(_written(rule, clock, recipient, **(occurrence or {"occurs_on": OuterRef("due_on")})))


def _milestone_rows(qs: QuerySet[Milestone]) -> Iterator[tuple[int, int, int, dt.date, int]]:
    rows = qs.values_list("pk", "lead_id", "recipient", "due_on", "lead__owning_unit_id")
    return rows.iterator(chunk_size=CHUNK)


def milestones_due_in(rule, clock, subject_ids=None) -> Iterator[Due]:
    """Due within N days and not within the next shorter "due in" rule's window: a milestone due in two days
    hears "due within 3 days" once, not also "due within 7 days"."""
    horizon = clock.shift(rule, clock.today)
    shorter = (
        ReminderRule.objects.filter(kind=Kind.MILESTONE_DUE_IN, is_active=True, days__lt=rule.days)
        .order_by("-days")
        .first()
    )
    after = clock.shift(shorter, clock.today) if shorter else clock.today
    qs = _live_milestones(rule, clock, subject_ids).filter(due_on__gt=after, due_on__lte=horizon)
    for pk, lead_id, recipient, due_on, _unit in _milestone_rows(qs):
        yield Due(pk, lead_id, recipient, _occurrence(rule, clock, due_on))


def milestones_due_today(rule, clock, subject_ids=None) -> Iterator[Due]:
    qs = _live_milestones(rule, clock, subject_ids).filter(due_on=clock.today)
    for pk, lead_id, recipient, due_on, _unit in _milestone_rows(qs):
        yield Due(pk, lead_id, recipient, _occurrence(rule, clock, due_on))


def milestones_overdue(rule, clock, subject_ids=None) -> Iterator[Due]:
    qs = _live_milestones(rule, clock, subject_ids).filter(due_on__lt=clock.today)
    for pk, lead_id, recipient, due_on, _unit in _milestone_rows(qs):
        yield Due(pk, lead_id, recipient, _occurrence(rule, clock, due_on))


def unit_heads() -> dict[int, list[int]]:
    """Each unit's escalation recipients: its heads, or the nearest ancestor's when it has none."""
    heads: dict[int, list[int]] = defaultdict(list)
    for unit_id, user_id in UnitMembership.objects.filter(
        role=UnitMembership.Role.HEAD, user__is_active=True, unit__is_active=True
    ).values_list("unit_id", "user_id"):
        heads[unit_id].append(user_id)
    units = dict(Unit.objects.values_list("pk", "parent_id"))
    resolved: dict[int, list[int]] = {}
    for unit_id in units:
        current: int | None = unit_id
        while current is not None and not heads.get(current):
            current = units.get(current)
        resolved[unit_id] = sorted(heads[current]) if current is not None else []
    return resolved


def milestones_escalated(rule, clock, subject_ids=None) -> Iterator[Due]:
    bound = clock.today - dt.timedelta(days=rule.days)
    qs = _live_milestones(rule, clock, subject_ids, occurs_on__gte=OuterRef("due_on")).filter(
        due_on__lt=bound, due_on__gte=clock.today - dt.timedelta(days=_coarse_days(rule))
    )
    heads = unit_heads()
    for pk, lead_id, _owner, due_on, unit_id in _milestone_rows(qs):
        trigger = clock.shift(rule, due_on)
        if trigger < clock.today and _fresh(rule, clock, trigger):
            for head in heads.get(unit_id, []):
                yield Due(pk, lead_id, head, _occurrence(rule, clock, trigger))


# A talent who said no to follow-up (a consent on record without it) is not chased: PIPL and PDPO.
_NO_FOLLOW_UP = {
    "subject_contact__consent_recorded_at__isnull": False,
    "subject_contact__consent_follow_up": False,
}
_NO_FOLLOW_UP_LEAD = {f"lead__{key}": value for key, value in _NO_FOLLOW_UP.items()}


def _leads(subject_ids: Iterable[int] | None, *statuses: str) -> QuerySet[Lead]:
    qs = Lead.objects.filter(status__in=statuses).exclude(**_NO_FOLLOW_UP)
    return qs if subject_ids is None else qs.filter(pk__in=list(subject_ids))


def _lead_since(rule, clock, qs: QuerySet[Lead], moment: str, subject_ids) -> Iterator[Due]:
    """Leads whose `moment` lies N days (by the rule's unit) or more before today."""
    # Whole local days: a lead that entered its stage at 20:00 is due from the first sweep of its trigger day.
    day_after = clock.today - dt.timedelta(days=rule.days - 1)
    cutoff = timezone.make_aware(dt.datetime.combine(day_after, dt.time.min), timezone.get_default_timezone())
    # A lead never followed up counts from its creation.
    qs = qs.annotate(since=Coalesce(moment, "created_at"))
    if subject_ids is None:
        # A row written after the moment answers this occurrence; a later moment (a re-entry, a new activity)
        # is a new one.
        qs = qs.exclude(_written(rule, clock, OuterRef("owner_id"), created_at__gte=OuterRef("since")))
    qs = qs.filter(since__lt=cutoff)
    if rule.repeat == ReminderRule.Repeat.ONCE:
        qs = qs.filter(since__gte=clock.now - dt.timedelta(days=_coarse_days(rule)))
    for pk, owner_id, since in qs.values_list("pk", "owner_id", "since").iterator(chunk_size=CHUNK):
        trigger = clock.shift(rule, clock.local_date(since))
        if trigger <= clock.today and _fresh(rule, clock, trigger):
            yield Due(pk, pk, owner_id, _occurrence(rule, clock, trigger))


def stage_stuck(rule, clock, subject_ids=None) -> Iterator[Due]:
    qs = _leads(subject_ids, Lead.Status.ACTIVE).filter(stage=rule.stage)
    return _lead_since(rule, clock, qs, "stage_entered_at", subject_ids)


def no_activity(rule, clock, subject_ids=None) -> Iterator[Due]:
    return _lead_since(rule, clock, _leads(subject_ids, Lead.Status.ACTIVE), "last_activity_at", subject_ids)


def intake_sla(rule, clock, subject_ids=None) -> Iterator[Due]:
    qs = _leads(subject_ids, Lead.Status.ACTIVE).filter(stage__in=FIRST_STAGES)
    return _lead_since(rule, clock, qs, "stage_entered_at", subject_ids)


def pause_expired(rule, clock, subject_ids=None) -> Iterator[Due]:
    qs = _leads(subject_ids, Lead.Status.PAUSED).filter(resume_review_on__lte=clock.today)
    if rule.repeat == ReminderRule.Repeat.ONCE:
        qs = qs.filter(resume_review_on__gte=_stale_before(rule, clock))
    if subject_ids is None:
        qs = qs.exclude(_written(rule, clock, OuterRef("owner_id"), occurs_on=OuterRef("resume_review_on")))
    for pk, owner_id, resume_on in qs.values_list("pk", "owner_id", "resume_review_on").iterator(
        chunk_size=CHUNK
    ):
        yield Due(pk, pk, owner_id, _occurrence(rule, clock, resume_on))


def _digest_time(clock: SweepClock) -> bool:
    return timezone.localtime(clock.now).hour >= settings.REMINDER_DIGEST_HOUR


def manager_digest(rule, clock, subject_ids=None) -> Iterator[Due]:
    if not _digest_time(clock):
        return
    managers = UnitMembership.objects.filter(
        role__in=[UnitMembership.Role.HEAD, UnitMembership.Role.MANAGER],
        user__is_active=True,
        unit__is_active=True,
    )
    if subject_ids is not None:
        managers = managers.filter(user_id__in=list(subject_ids))
    written: set[int] = set()
    if subject_ids is None:  # at delivery the row itself exists
        written = set(
            Reminder.objects.filter(rule=rule, occurs_on=clock.today).values_list("subject_id", flat=True)
        )
    for user_id in sorted(set(managers.values_list("user_id", flat=True)) - written):
        yield Due(user_id, None, user_id, clock.today)


def unit_digest(rule, clock, subject_ids=None) -> Iterator[Due]:
    if not settings.WECOM_WEBHOOK_URL or not _digest_time(clock):
        return
    # One message per top-level unit: the group robot posts to one bureau chat.
    units = Unit.objects.filter(parent__isnull=True, is_active=True)
    if subject_ids is not None:
        units = units.filter(pk__in=list(subject_ids))
    for unit_id in units.values_list("pk", flat=True):
        yield Due(unit_id, None, None, clock.today)


# --- Funding deadlines -----------------------------------------------------------------------------------------


def _upcoming_after(rule: ReminderRule, clock: SweepClock) -> dt.date:
    """The day before the first date a "closes / due within N days" rule covers: a deadline inside a shorter
    active rule of the same kind is that rule's to announce, so an admin who adds a 3-day reminder beside the
    10-day one makes two nudges, not two at once. Without a shorter rule the window starts today: these kinds
    have no separate "today" rule."""
    shorter = (
        ReminderRule.objects.filter(kind=rule.kind, is_active=True, days__lt=rule.days)
        .order_by("-days")
        .first()
    )
    return clock.shift(shorter, clock.today) if shorter else clock.today - dt.timedelta(days=1)


def windows_closing(rule, clock, subject_ids=None) -> Iterator[Due]:
    """Batches closing within N days, to the owner of each lead with a draft application in the batch: one row
    per owner and batch, keyed by the closing date, so a moved deadline is a new occurrence. The row names a lead
    only when the owner has a single draft there (a reassignment then cancels it like a milestone's)."""
    horizon = clock.shift(rule, clock.today)
    after = _upcoming_after(rule, clock)
    drafts = FundingApplication.objects.filter(
        status=FundingApplication.Status.DRAFT,
        window__isnull=False,
        window__closes_on__gt=after,
        window__closes_on__lte=horizon,
        lead__status__in=FOLLOWED_LEADS,
    ).exclude(**_NO_FOLLOW_UP_LEAD)
    if subject_ids is not None:
        drafts = drafts.filter(window_id__in=list(subject_ids))
    else:
        occurrence = {"occurs_on": OuterRef("window__closes_on")}
        if rule.repeat == ReminderRule.Repeat.DAILY:
            occurrence = {"occurs_on": clock.today}
        # Per recipient, unlike `_written`: a batch has as many recipients as owners with drafts in it.
        written = Reminder.objects.filter(
            rule=rule,
            subject_type=rule.subject_type,
            subject_id=OuterRef("window_id"),
            recipient_id=OuterRef("lead__owner_id"),
            **occurrence,
        )
        drafts = drafts.exclude(Exists(written))
    rows = (
        drafts.values_list("window_id", "lead__owner_id", "window__closes_on", "lead_id")
        .order_by("window_id", "lead__owner_id", "lead_id")
        .distinct()
    )
    current: tuple[int, int, dt.date] | None = None
    leads: set[int] = set()
    for window_id, owner_id, closes_on, lead_id in rows.iterator(chunk_size=CHUNK):
        if current is not None and current[:2] != (window_id, owner_id):
            yield _window_due(rule, clock, current, leads)
            leads = set()
        current = (window_id, owner_id, closes_on)
        leads.add(lead_id)
    if current is not None:
        yield _window_due(rule, clock, current, leads)


def _window_due(rule, clock, key: tuple[int, int, dt.date], leads: set[int]) -> Due:
    window_id, owner_id, closes_on = key
    lead_id = next(iter(leads)) if len(leads) == 1 else None
    return Due(window_id, lead_id, owner_id, _occurrence(rule, clock, closes_on))


def tranches_due(rule, clock, subject_ids=None) -> Iterator[Due]:
    """Unpaid tranches of approved or disbursing applications planned within N days (today included), to the
    lead's owner, keyed by the planned date so a rescheduled tranche is a new occurrence."""
    horizon = clock.shift(rule, clock.today)
    after = _upcoming_after(rule, clock)
    qs = Tranche.objects.filter(
        paid_on__isnull=True,
        planned_on__gt=after,
        planned_on__lte=horizon,
        application__status__in=PAYABLE,
        application__lead__status__in=FOLLOWED_LEADS,
    ).exclude(**{f"application__{key}": value for key, value in _NO_FOLLOW_UP_LEAD.items()})
    qs = qs.annotate(recipient=F("application__lead__owner_id"))
    if subject_ids is not None:
        qs = qs.filter(pk__in=list(subject_ids))
    else:
        qs = qs.exclude(_written(rule, clock, OuterRef("recipient"), occurs_on=OuterRef("planned_on")))
    rows = qs.values_list("pk", "application__lead_id", "recipient", "planned_on")
    for pk, lead_id, owner_id, planned_on in rows.iterator(chunk_size=CHUNK):
        yield Due(pk, lead_id, owner_id, _occurrence(rule, clock, planned_on))


FINDERS: dict[str, Callable[..., Iterable[Due]]] = {
    Kind.MILESTONE_DUE_IN: milestones_due_in,
    Kind.MILESTONE_DUE_TODAY: milestones_due_today,
    Kind.MILESTONE_OVERDUE: milestones_overdue,
    Kind.MILESTONE_ESCALATION: milestones_escalated,
    Kind.STAGE_STUCK: stage_stuck,
    Kind.NO_ACTIVITY: no_activity,
    Kind.PAUSE_EXPIRED: pause_expired,
    Kind.INTAKE_SLA: intake_sla,
    Kind.MANAGER_DIGEST: manager_digest,
    Kind.UNIT_DIGEST: unit_digest,
    Kind.FUNDING_WINDOW_CLOSING: windows_closing,
    Kind.TRANCHE_DUE: tranches_due,
}


def due_for(rule: ReminderRule, clock: SweepClock, subject_ids: Iterable[int] | None = None) -> Iterable[Due]:
    return FINDERS[rule.kind](rule, clock, subject_ids)


def stalled_leads_filter() -> Q:
    """Active leads past an active "stage unchanged" rule for their stage (calendar days: a digest's count)."""
    now = timezone.now()
    condition = Q(pk__in=[])
    for stage, days in ReminderRule.objects.filter(kind=Kind.STAGE_STUCK, is_active=True).values_list(
        "stage", "days"
    ):
        condition |= Q(stage=stage, stage_entered_at__lte=now - dt.timedelta(days=days))
    return Q(status=Lead.Status.ACTIVE) & condition
