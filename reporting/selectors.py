"""Reads for reports. Reporting owns no facts: every figure here is computed from the other apps' rows, through
their visibility selectors (DESIGN §2), in a fixed number of grouped queries."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.utils import timezone

from projects.models import Activity, Lead, Signing
from projects.selectors import leads_visible_to
from talent.models import Attendance, Contact, RecruitmentEvent
from talent.selectors import events_visible_to

# The grades dict's key for attendances nobody graded (the model stores a blank).
UNGRADED = "ungraded"
GRADE_KEYS = (*Attendance.Grade.values, UNGRADED)


@dataclass(frozen=True)
class EventOutcome:
    """What one recruitment event led to. Amounts are per currency: they are never summed across currencies."""

    event_id: int
    name: str
    starts_on: dt.date
    attendees: int
    grades: dict[str, int]  # every key of GRADE_KEYS, in that order
    leads_created: int
    signings: int
    signed_amounts: dict[str, Decimal]  # currency code → amount, only the currencies signed in
    overdue_follow_ups: int


def event_outcomes(
    user, *, events: QuerySet[RecruitmentEvent] | None = None, today: dt.date | None = None
) -> list[EventOutcome]:
    """The outcomes of the events `user` may see (narrowed to `events`, a filtered, unsliced queryset, when
    given), in the queryset's order. Four queries whatever the number of events, after the user's scope and
    permissions are loaded (once per user object).

    - attendees: Attendance rows of the event; grades splits them into A, B, C and UNGRADED.
    - leads_created: leads whose source event it is, less those merged into another lead (a merged lead is a
      duplicate of one still counted), and only among the leads the user can see (leads_visible_to): a count is
      no detail, but a confidential lead of another unit must not show even as a number.
    - signings, signed_amounts: signings credited to the event (Signing.credited_event: a project's first new
      signing made there, or a re-signing), on leads the user can see; their number, and their amounts summed
      per currency.
    - overdue_follow_ups: attendances whose next action was due before `today` (default: today in
      Asia/Shanghai) and whose contact has had no two-way activity (a call, meeting, visit, message or event
      encounter; an internal note is not a follow-up) on or after that date, on any lead: the follow-up is a
      fact about the person, not about a lead the user happens to see. Only dates at or after the due date
      clear it, so an officer who reschedules the next action gets a fresh deadline; one who follows up early
      clears or moves the date on the attendance. Not counted: people erased or merged away, and people who
      refused follow-up in their consent (they must not be chased, as in the reminder sweep).

    Only scoping happens here: whether the user may see reports at all (reporting.view_dashboard) is the
    view's check.
    """
    today = today or timezone.localdate()
    visible = events_visible_to(user, events)
    rows = list(visible.values_list("pk", "name", "starts_on"))
    if not rows:
        return []
    event_ids = visible.values("pk")

    attendance = {row["event_id"]: row for row in _attendance_figures(event_ids, today=today)}
    leads_created = dict(
        leads_visible_to(user)
        .filter(source_event__in=event_ids)
        .exclude(status=Lead.Status.MERGED)
        .values("source_event_id")
        .annotate(created=Count("pk"))
        .values_list("source_event_id", "created")
        .order_by()
    )
    signings: dict[int, int] = {}
    signed_amounts: dict[int, dict[str, Decimal]] = {}
    for event_id, currency, signed, amount in (
        Signing.objects.filter(credited_event__in=event_ids, lead__in=leads_visible_to(user).values("pk"))
        .values("credited_event_id", "currency")
        .annotate(signed=Count("pk"), amount=Sum("amount"))
        .values_list("credited_event_id", "currency", "signed", "amount")
        .order_by("credited_event_id", "currency")
    ):
        signings[event_id] = signings.get(event_id, 0) + signed
        signed_amounts.setdefault(event_id, {})[currency] = amount

    outcomes = []
    for pk, name, starts_on in rows:
        figures = attendance.get(pk, {})
        outcomes.append(
            EventOutcome(
                event_id=pk,
                name=name,
                starts_on=starts_on,
                attendees=figures.get("attendees", 0),
                grades={key: figures.get(f"grade_{key}", 0) for key in GRADE_KEYS},
                leads_created=leads_created.get(pk, 0),
                signings=signings.get(pk, 0),
                signed_amounts=signed_amounts.get(pk, {}),
                overdue_follow_ups=figures.get("overdue", 0),
            )
        )
    return outcomes


def _attendance_figures(event_ids: QuerySet, *, today: dt.date) -> QuerySet:
    """One row per event with attendances: headcount, grade split and overdue follow-ups."""
    # `__date` reads occurred_at in the current time zone (Asia/Shanghai), the zone `today` is taken in.
    followed_up = Activity.objects.filter(
        contacts=OuterRef("contact_id"),
        kind__in=Activity.TWO_WAY,
        occurred_at__date__gte=OuterRef("next_action_on"),
    )
    refused_follow_up = Q(contact__consent_recorded_at__isnull=False, contact__consent_follow_up=False)
    overdue = (
        Q(next_action_on__lt=today, contact__status=Contact.Status.ACTIVE)
        & ~refused_follow_up
        & ~Exists(followed_up)
    )
    grades = {
        f"grade_{key}": Count("pk", filter=Q(grade="" if key == UNGRADED else key)) for key in GRADE_KEYS
    }
    return (
        Attendance.objects.filter(event__in=event_ids)
        .values("event_id")
        .annotate(attendees=Count("pk"), overdue=Count("pk", filter=overdue), **grades)
        .order_by()
    )
