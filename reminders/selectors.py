"""Reads of the reminders app: a user's inbox, their unread count and the due dates of their calendar feed."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from accounts.models import User
from projects.models import Lead, Milestone
from reminders.models import Notification, NotificationPreference
from reminders.sweep import UNRESOLVED


def inbox(user: User) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=user).order_by("-created_at", "-pk")


def unread_count(user: User) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def user_for_calendar_token(token: str) -> User | None:
    preference = (
        NotificationPreference.objects.select_related("user")
        .filter(calendar_token=token, user__is_active=True)
        .first()
    )
    return preference.user if preference else None


def calendar_milestones(user: User) -> QuerySet[Milestone]:
    """Open milestones with a due date that are the user's to do: assigned to them, or on their leads and
    assigned to nobody."""
    mine = Q(assignee=user) | Q(assignee__isnull=True, lead__owner=user)
    return (
        Milestone.objects.filter(mine, status__in=UNRESOLVED, due_on__isnull=False)
        .exclude(lead__status__in=[Lead.Status.LOST, Lead.Status.MERGED])
        .select_related("lead", "lead_pass", "template")
        .order_by("due_on", "pk")
    )
