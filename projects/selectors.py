"""Reads of leads, always through the visibility rule (DESIGN §2)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, TextChoices
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.visibility import any_of, scope_branches, scope_filter, user_scope
from projects.models import Document, HandOver, Lead, Milestone, MilestoneTemplate, Pass


def leads_visible_to(user, queryset: QuerySet[Lead] | None = None) -> QuerySet[Lead]:
    """The leads `user` may see; narrow `queryset` when given (the admin passes its own)."""
    queryset = Lead.objects.all() if queryset is None else queryset
    return queryset.filter(any_of(lead_scope_branches(user)))


def lead_scope_branches(user) -> list[Q] | None:
    """The alternatives of leads_visible_to (None: everything). Counting a scoped list as a UNION of these,
    each served by its own index, beats counting through the OR, which PostgreSQL can only scan."""
    branches = scope_branches(
        user, Lead, unit="owning_unit", owners=("owner", "co_owners"), confidential="confidential"
    )
    offered = _offered_to_units_managed_by(user)
    if branches is not None and offered is not None:
        branches.append(offered)
    return branches


def leads_changeable_by(user, queryset: QuerySet[Lead] | None = None) -> QuerySet[Lead]:
    """The leads `user` may add records to or change: those visible, less the ones only offered to them."""
    queryset = Lead.objects.all() if queryset is None else queryset
    return queryset.filter(_lead_scope(user))


def _lead_scope(user) -> Q:
    return scope_filter(
        user, Lead, unit="owning_unit", owners=("owner", "co_owners"), confidential="confidential"
    )


def _offered_to_units_managed_by(user) -> Q | None:
    """A Q on Lead: a pending hand-over offers the lead to a unit the user heads or manages (or to one below
    it). None when it could add nothing — the user manages no unit, or already sees everything — so the lists
    of everyone else keep their query shape."""
    scope = user_scope(user)
    if scope.sees_everything or not scope.managed_unit_paths:
        return None
    to_units = Q.create(
        [("to_unit__path__startswith", path) for path in scope.managed_unit_paths], connector=Q.OR
    )
    # A subquery on hand-overs (served by handover_pending_to_idx), so the OR never multiplies lead rows.
    pending = HandOver.objects.filter(to_units, status=HandOver.Status.PENDING).values("lead_id")
    return Q(pk__in=pending)


def lead_is_read_only_for(user, lead: Lead) -> bool:
    """True when the user sees the lead only because it is offered to a unit they head or manage: they read
    it and decide on the hand-over, but do not change it."""
    offered = _offered_to_units_managed_by(user)
    if offered is None or lead.status != Lead.Status.TRANSFERRED or lead.owner_id == user.pk:
        return False
    # The admin asks several times per page about the same lead object.
    cache: dict[int, bool] = lead.__dict__.setdefault("_read_only_for", {})
    if user.pk not in cache:
        cache[user.pk] = Lead.objects.filter(offered, pk=lead.pk).exclude(_lead_scope(user)).exists()
    return cache[user.pk]


def lead_get(user, *, pk: int) -> Lead | None:
    """One lead by id, or None when it does not exist or the user may not see it."""
    return leads_visible_to(user).filter(pk=pk).first()


def document_get(user, *, pk: int) -> Document | None:
    """One document, when the user can see the lead it belongs to."""
    return Document.objects.filter(pk=pk, lead__in=leads_visible_to(user).values("pk")).first()


# --- Passes ---------------------------------------------------------------------------------------------------


class PassStatus(TextChoices):
    NOT_STARTED = "not_started", _("Not started")
    IN_PROGRESS = "in_progress", _("In progress")
    CLEARED = "cleared", _("Cleared")
    BLOCKED = "blocked", _("Blocked")


@dataclass(frozen=True)
class PassProgress:
    lead_pass: Pass
    closed: int  # done or not applicable
    total: int  # the applicable templates of the pass, plus ad-hoc milestones
    status: str
    overdue: int

    def __str__(self) -> str:
        return f"{self.lead_pass.short_name or self.lead_pass.localized_name} {self.closed}/{self.total}"


def pass_status(*, created: int, closed: int, total: int, blocked: int) -> str:
    """Blocked when a milestone is blocked or long overdue; cleared when every line is closed; in progress
    once the lead has reached the anchor of any of its milestones."""
    if blocked:
        return PassStatus.BLOCKED
    if total and closed >= total:
        return PassStatus.CLEARED
    return PassStatus.IN_PROGRESS if created else PassStatus.NOT_STARTED


def pass_progress(leads: Iterable[Lead]) -> dict[int, list[PassProgress]]:
    """Each lead's progress through every pass, for a page of leads: two queries, whatever the number of leads."""
    leads = list(leads)
    if not leads:
        return {}
    today = timezone.localdate()
    long_overdue = today - dt.timedelta(days=settings.PASS_BLOCKED_AFTER_OVERDUE_DAYS)
    passes = list(Pass.objects.all())
    templates = list(
        MilestoneTemplate.objects.filter(is_active=True).only(
            "lead_pass", "lead_types", "org_anchor", "talent_anchor"
        )
    )
    rows = (
        Milestone.objects.filter(lead__in=[lead.pk for lead in leads])
        .values("lead_id", "lead_pass_id")
        .annotate(
            created=Count("pk"),
            closed=Count("pk", filter=Q(status__in=Milestone.CLOSED)),
            adhoc=Count("pk", filter=Q(template__isnull=True)),
            blocked=Count(
                "pk",
                filter=Q(status=Milestone.Status.BLOCKED)
                | Q(status=Milestone.Status.OPEN, due_on__lt=long_overdue),
            ),
            overdue=Count("pk", filter=Q(status=Milestone.Status.OPEN, due_on__lt=today)),
        )
        .order_by()
    )
    counts = {(row["lead_id"], row["lead_pass_id"]): row for row in rows}
    applicable: dict[tuple[str, str, int], int] = {}
    progress: dict[int, list[PassProgress]] = {}
    for lead in leads:
        progress[lead.pk] = []
        for lead_pass in passes:
            key = (lead.track, lead.lead_type, lead_pass.pk)
            if key not in applicable:
                applicable[key] = sum(
                    1
                    for t in templates
                    if t.lead_pass_id == lead_pass.pk
                    and t.anchor_for(lead.track)
                    and t.applies_to(lead.lead_type)
                )
            row = counts.get((lead.pk, lead_pass.pk), {})
            total = applicable[key] + row.get("adhoc", 0)
            closed = row.get("closed", 0)
            progress[lead.pk].append(
                PassProgress(
                    lead_pass=lead_pass,
                    closed=closed,
                    total=total,
                    overdue=row.get("overdue", 0),
                    status=pass_status(
                        created=row.get("created", 0),
                        closed=closed,
                        total=total,
                        blocked=row.get("blocked", 0),
                    ),
                )
            )
    return progress


def milestones_overdue_filter(today: dt.date | None = None) -> Q:
    """A Q on Lead: the lead has an open milestone past its due date."""
    today = today or timezone.localdate()
    return Q(
        Exists(Milestone.objects.filter(lead=OuterRef("pk"), status=Milestone.Status.OPEN, due_on__lt=today))
    )
