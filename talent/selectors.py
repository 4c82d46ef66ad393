"""Reads of contacts and events. Event recorders see only the events they staff and the people met there."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy

from directory.models import Holiday, Region
from talent.models import Attendance, Contact, DuplicatePair, RecruitmentEvent

ALL_CONTACTS_PERMISSION = "talent.view_all_contacts"
PERSONAL_DATA_PERMISSION = "talent.view_personal_data"


def shows_personal_data(user) -> bool:
    """Whether phones, e-mails and WeChat IDs are shown in full (else masked). Holders of the personal-data
    permission see them; so do event staff, who only ever see the people met at their own events (DESIGN §2:
    recorders see the details of the people they captured, never of anyone else)."""
    if not user.is_authenticated:
        return False
    return user.has_perm(PERSONAL_DATA_PERMISSION) or not user.has_perm(ALL_CONTACTS_PERMISSION)


def events_visible_to(user, queryset: QuerySet[RecruitmentEvent] | None = None) -> QuerySet[RecruitmentEvent]:
    """All events for officers and managers; the assigned ones for everyone else."""
    queryset = RecruitmentEvent.objects.all() if queryset is None else queryset
    if not user.is_authenticated:
        return queryset.none()
    if user.has_perm(ALL_CONTACTS_PERMISSION):
        return queryset
    assigned = RecruitmentEvent.assigned_staff.through.objects.filter(user_id=user.pk).values(
        "recruitmentevent_id"
    )
    return queryset.filter(pk__in=assigned)


def contacts_visible_to(user, queryset: QuerySet[Contact] | None = None) -> QuerySet[Contact]:
    """All contacts for officers and managers; for recorders, the people who attended their events."""
    queryset = Contact.objects.all() if queryset is None else queryset
    if not user.is_authenticated:
        return queryset.none()
    if user.has_perm(ALL_CONTACTS_PERMISSION):
        return queryset
    met = Attendance.objects.filter(event__in=events_visible_to(user)).values("contact_id")
    return queryset.filter(pk__in=met)


# What a recorder (or any user who may not see every contact) is told of a possible duplicate: nothing more.
DUPLICATE_HINT = gettext_lazy("Possible match — an officer will review.")


def open_duplicate_pairs(contact: Contact) -> QuerySet[DuplicatePair]:
    """The review queue's open pairs with this person, strongest first."""
    return DuplicatePair.objects.filter(
        Q(first=contact) | Q(second=contact), status=DuplicatePair.Status.OPEN
    ).order_by("-score", "pk")


def has_open_duplicate(contact: Contact) -> bool:
    """Whether the review queue holds an open pair with this person: all a capture may tell its recorder."""
    return open_duplicate_pairs(contact).exists()


def attendances_visible_to(user, queryset: QuerySet[Attendance] | None = None) -> QuerySet[Attendance]:
    queryset = Attendance.objects.all() if queryset is None else queryset
    return queryset.filter(event__in=events_visible_to(user))


def hk_holidays_between(start: dt.date, end: dt.date) -> list[Holiday]:
    """Hong Kong public holidays in a date range, shown when an event is scheduled (people in Hong Kong are away
    or busy those days)."""
    return list(
        Holiday.objects.filter(
            region=Region.HONG_KONG, date__range=(start, end), kind=Holiday.Kind.DAY_OFF
        ).order_by("date")
    )


def contacts_reachable_for(purpose: str, queryset: QuerySet[Contact] | None = None) -> QuerySet[Contact]:
    """People who may be contacted for a purpose today (mailing lists, sharing with a carrier): active, and their
    current consent includes it. Withdrawal takes a person off at once; nobody is on without a consent."""
    from talent.models import Purpose

    if purpose not in Purpose.values:
        raise ValueError(f"unknown purpose {purpose!r}")
    queryset = Contact.objects.all() if queryset is None else queryset
    return queryset.filter(status=Contact.Status.ACTIVE, **{f"consent_{purpose}": True})
