"""What is stuck: leads past their stage's time limit and milestones past their due date, for the dashboard's
lists and the monthly brief. Each list is read in a fixed number of queries, whatever its length.

Items are plain dicts (templates and JSON read them alike); lead names are the Simplified Chinese ones, as on
every report.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django.conf import settings
from django.db.models import (
    Case,
    Count,
    DateTimeField,
    DurationField,
    ExpressionWrapper,
    F,
    IntegerField,
    Min,
    QuerySet,
    Value,
    When,
    Window,
)
from django.db.models.functions import RowNumber
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from projects.models import Lead, Milestone, Pass
from projects.stages import Stage
from reminders.models import ReminderRule
from reporting.filters import ReportFilters

DEFAULT_STALLED_AFTER_DAYS = 60


def stage_thresholds() -> dict[str, int]:
    """{stage: days} from the active "stage unchanged" reminder rules: the limit staff are already reminded
    about. Two rules on one stage: the shorter one, since its reminder is the first to go out. One query."""
    return dict(
        ReminderRule.objects.filter(kind=ReminderRule.Kind.STAGE_STUCK, is_active=True)
        .exclude(stage="")
        .values("stage")
        .annotate(days=Min("days"))
        .values_list("stage", "days")
        .order_by()
    )


def default_threshold() -> int:
    """Days allowed in a stage that no rule watches."""
    return int(getattr(settings, "STALLED_AFTER_DAYS", DEFAULT_STALLED_AFTER_DAYS))


def _local_midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min), timezone.get_default_timezone())


def admin_url(name: str, pk: int) -> str:
    """A link into the admin's change page, or "" if that model is not registered there."""
    try:
        return reverse(f"admin:{name}_change", args=[pk])
    except NoReverseMatch:
        return ""


def _person(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


def stalled_leads_queryset(user, filters: ReportFilters, *, today: dt.date | None = None) -> QuerySet[Lead]:
    """Active leads of the report's scope that have spent more whole days in their current stage than the
    stage allows, annotated `threshold` (days allowed) and ordered longest past the limit first.

    Days count by the calendar in Asia/Shanghai, as the reminders do: a lead that entered its stage on 1 March
    has spent 30 days in it on 31 March, and is stalled on a 30-day limit from 1 April. The period of the
    filters plays no part: being stuck is a fact about today."""
    today = today or timezone.localdate()
    thresholds = stage_thresholds()
    default = default_threshold()
    # Entered before 00:00 of (today − N) means more than N whole days in the stage. One CASE on the stage gives
    # each row its own limit, so the database filters and orders and Python never loops over leads.
    cutoff = Case(
        *[
            When(stage=stage, then=Value(_local_midnight(today - dt.timedelta(days=days))))
            for stage, days in thresholds.items()
        ],
        default=Value(_local_midnight(today - dt.timedelta(days=default))),
        output_field=DateTimeField(),
    )
    threshold = Case(
        *[When(stage=stage, then=Value(days)) for stage, days in thresholds.items()],
        default=Value(default),
        output_field=IntegerField(),
    )
    return (
        filters.leads(user)
        .filter(status=Lead.Status.ACTIVE)
        .annotate(threshold=threshold, cutoff=cutoff)
        .filter(stage_entered_at__lt=F("cutoff"))
        # How far past its own limit the lead is: the earlier it entered relative to its cutoff, the longer.
        .annotate(margin=ExpressionWrapper(F("stage_entered_at") - F("cutoff"), output_field=DurationField()))
        .order_by("margin", "pk")
    )


def stalled_leads(
    user, filters: ReportFilters, *, today: dt.date | None = None, limit: int = 20
) -> list[dict[str, Any]]:
    """The longest-stalled leads (see stalled_leads_queryset), at most `limit`. Two queries: the rules, then
    the leads with their owner and unit (after the user's scope, loaded once per user object).

    Each item: lead_id, code, name, stage, stage_label, owner, unit, days_in_stage, threshold, days_over, url
    (the lead's admin page)."""
    today = today or timezone.localdate()
    return stalled_items(stalled_leads_queryset(user, filters, today=today), today=today, limit=limit)


def stalled_items(stalled: QuerySet[Lead], *, today: dt.date, limit: int) -> list[dict[str, Any]]:
    """The first `limit` leads of a stalled_leads_queryset as items, in one query."""
    items = []
    for lead in stalled.select_related("owner", "owning_unit")[:limit]:
        days_in_stage = (today - timezone.localdate(lead.stage_entered_at)).days
        threshold: int = lead.threshold  # type: ignore[attr-defined]  # annotated by the queryset
        items.append(
            {
                "lead_id": lead.pk,
                "code": lead.code,
                "name": lead.name,
                "stage": lead.stage,
                "stage_label": str(Stage(lead.stage).label),
                "owner": _person(lead.owner),
                "unit": lead.owning_unit.name,
                "days_in_stage": days_in_stage,
                "threshold": threshold,
                "days_over": days_in_stage - threshold,
                "url": admin_url("projects_lead", lead.pk),
            }
        )
    return items


# --- Overdue milestones ----------------------------------------------------------------------------------------


def overdue_milestones_queryset(
    user, filters: ReportFilters, *, today: dt.date | None = None
) -> QuerySet[Milestone]:
    """Open milestones due before `today` on the leads of the report's scope, most overdue first. Like the
    dashboard's "overdue by pass" figure, the period of the filters plays no part."""
    today = today or timezone.localdate()
    return Milestone.objects.filter(
        status=Milestone.Status.OPEN,
        due_on__lt=today,
        lead__in=filters.leads(user).values("pk"),
    ).order_by("due_on", "pk")


def _milestone_item(milestone: Milestone, today: dt.date) -> dict[str, Any]:
    lead = milestone.lead
    due_on = cast(dt.date, milestone.due_on)  # the queryset keeps dated milestones only
    return {
        "milestone_id": milestone.pk,
        "lead_id": lead.pk,
        "code": lead.code,
        "name": lead.name,
        "pass_id": milestone.lead_pass_id,
        "pass": milestone.lead_pass.localized_name,
        "title": milestone.display_title,
        "due_on": due_on,
        "days_overdue": (today - due_on).days,
        "assignee": _person(milestone.assignee),
        "url": admin_url("projects_milestone", milestone.pk),
        "lead_url": admin_url("projects_lead", lead.pk),
    }


_MILESTONE_JOINS = ("lead", "lead_pass", "template", "assignee")


def overdue_milestones(
    user, filters: ReportFilters, *, today: dt.date | None = None, limit: int = 20
) -> list[dict[str, Any]]:
    """The most overdue open milestones, at most `limit`: one query (after the user's scope).

    Each item: milestone_id, lead_id, code, name (the lead's), pass_id, pass, title, due_on, days_overdue,
    assignee, url (the milestone's admin page), lead_url."""
    today = today or timezone.localdate()
    rows = overdue_milestones_queryset(user, filters, today=today).select_related(*_MILESTONE_JOINS)[:limit]
    return [_milestone_item(milestone, today) for milestone in rows]


def overdue_by_pass(
    user, filters: ReportFilters, *, today: dt.date | None = None, per_pass: int = 5
) -> list[dict[str, Any]]:
    """Every pass in order, with its number of overdue milestones and its `per_pass` most overdue ones:
    [{"pass": Pass, "count": int, "items": [milestone items as overdue_milestones gives them]}].

    Two queries: the passes, and one windowed query that numbers each pass's overdue milestones and counts them,
    keeping the first `per_pass` of each."""
    today = today or timezone.localdate()
    by_pass = [F("lead_pass_id")]
    rows = (
        overdue_milestones_queryset(user, filters, today=today)
        .select_related(*_MILESTONE_JOINS)
        .annotate(
            position=Window(RowNumber(), partition_by=by_pass, order_by=[F("due_on").asc(), F("pk").asc()]),
            overdue_in_pass=Window(Count("pk"), partition_by=by_pass),
        )
        .filter(position__lte=per_pass)
        .order_by("lead_pass_id", "position")
    )
    counts: dict[int, int] = {}
    items: dict[int, list[dict[str, Any]]] = {}
    for milestone in rows:
        counts[milestone.lead_pass_id] = milestone.overdue_in_pass
        items.setdefault(milestone.lead_pass_id, []).append(_milestone_item(milestone, today))
    return [
        {"pass": lead_pass, "count": counts.get(lead_pass.pk, 0), "items": items.get(lead_pass.pk, [])}
        for lead_pass in Pass.objects.order_by("order", "pk")
    ]
