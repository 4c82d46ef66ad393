"""The contact list's filters, and the list that reads each row's first phone and e-mail in its own query."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.db.models import OuterRef, Subquery
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from talent.admin.base import DefaultStatusFilter
from talent.admin.display import PURPOSE_SHORT
from talent.admin.masking import shown
from talent.models import Attendance, Contact, ContactChannel, Purpose
from talent.selectors import events_visible_to


class ContactStatusFilter(DefaultStatusFilter):
    """Active contacts unless asked otherwise: merged and erased records are kept, not worked with."""

    statuses = Contact.Status
    default = Contact.Status.ACTIVE


class ConsentFilter(admin.SimpleListFilter):
    title = _("consent")
    parameter_name = "consent"
    NONE = "none"

    def lookups(self, request, model_admin):
        return [
            *(
                (purpose, gettext("consents to %(purpose)s") % {"purpose": label})
                for purpose, label in PURPOSE_SHORT.items()
            ),
            (self.NONE, _("no consent recorded")),
        ]

    def queryset(self, request, queryset):
        if self.value() in Purpose.values:
            return queryset.filter(**{f"consent_{self.value()}": True})
        if self.value() == self.NONE:
            return queryset.filter(consent_recorded_at__isnull=True)
        return queryset


class AttendedEventFilter(admin.SimpleListFilter):
    """The events the user can see; a recorder is offered only their own."""

    title = _("event attended")
    parameter_name = "event"

    def lookups(self, request, model_admin):
        events = events_visible_to(request.user).order_by("-starts_on", "pk")
        return [(str(event.pk), str(event)) for event in events]

    def queryset(self, request, queryset):
        if self.value() and self.value().isdigit():
            visible = events_visible_to(request.user).filter(pk=int(self.value()))
            return queryset.filter(pk__in=Attendance.objects.filter(event__in=visible).values("contact_id"))
        return queryset


class ContactChangeList(ChangeList):
    """Reads each row's first phone and e-mail in the page's own query, and masks them once per page."""

    def get_queryset(self, request, exclude_parameters=None):
        queryset = super().get_queryset(request, exclude_parameters)

        def first(kind: str) -> Subquery:
            return Subquery(
                ContactChannel.objects.filter(contact=OuterRef("pk"), kind=kind)
                .order_by("pk")
                .values("value")[:1]
            )

        return queryset.annotate(primary_phone=first("phone"), primary_email=first("email"))

    def get_results(self, request) -> None:
        super().get_results(request)
        self.result_list = list(self.result_list)
        user = request.user
        for contact in self.result_list:
            contact.phone_shown = shown(user, "phone", contact.primary_phone or "")
            contact.email_shown = shown(user, "email", contact.primary_email or "")
