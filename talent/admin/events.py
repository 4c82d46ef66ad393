"""Recruitment events and the attendances recorded at them.

Events are saved through event_create / event_update (assigned staff included); the change page lists the Hong
Kong public holidays in and around the event's dates, and warns when the event falls on one. Attendances are added
through attendance_record and changed through attendance_update; who captured the person and the consent given at
capture are never edited.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import ValidationError
from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.admin import ScopedAdmin
from talent.admin.base import adopt
from talent.admin.display import purposes_text
from talent.models import Attendance, Contact, RecruitmentEvent
from talent.selectors import (
    attendances_visible_to,
    contacts_visible_to,
    events_visible_to,
    hk_holidays_between,
)
from talent.services.events import (
    ATTENDANCE_FIELDS,
    EVENT_FIELDS,
    attendance_record,
    attendance_update,
    event_create,
    event_update,
)
from talent.views import LANGUAGES, qr_svg, registration_url

# Holidays this many days either side of an event are shown with it: people are away around them too.
HOLIDAY_MARGIN = dt.timedelta(days=7)


def holiday_warning(event: RecruitmentEvent) -> str | None:
    during = hk_holidays_between(event.starts_on, event.ends_on)
    if not during:
        return None
    days = ", ".join(f"{day.date:%Y-%m-%d} {day.name}".strip() for day in during)
    return gettext("The event falls on a Hong Kong public holiday: %(days)s.") % {"days": days}


def _add_once(request, level: int, text: str) -> None:
    """Add a message unless the same one is already waiting (a save's warning, then the page it leads to)."""
    if any(str(message) == text for message in messages.get_messages(request)):
        return
    messages.add_message(request, level, text)


class EventChangeList(ChangeList):
    def get_queryset(self, request, exclude_parameters=None):
        # Counted in the page's own query (no query per row), as a subquery rather than a join and GROUP BY, so
        # the list's COUNT and the date hierarchy's queries, which do not use it, leave it out.
        attendances = (
            Attendance.objects.filter(event=OuterRef("pk"))
            .order_by()
            .values("event")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return (
            super()
            .get_queryset(request, exclude_parameters)
            .annotate(attendance_total=Coalesce(Subquery(attendances), 0))
        )


@admin.register(RecruitmentEvent)
class RecruitmentEventAdmin(ScopedAdmin):
    list_display = ["name", "kind", "city", "starts_on", "ends_on", "carrier", "attendance_count"]
    list_select_related = ["carrier"]
    list_filter = ["kind", "city", "starts_on"]
    date_hierarchy = "starts_on"
    search_fields = ["name", "venue", "organizer"]
    autocomplete_fields = ["assigned_staff", "carrier"]
    show_full_result_count = False
    fieldsets_base = [
        (
            None,
            {"fields": ["name", "kind", ("city", "venue"), ("starts_on", "ends_on"), "organizer", "carrier"]},
        ),
        (_("Staff"), {"fields": ["assigned_staff"]}),
        (_("Self-registration by QR code"), {"fields": ["registration_open"]}),
        (_("Notes"), {"fields": ["notes"]}),
    ]

    def scope(self, user, queryset: QuerySet) -> QuerySet:
        return events_visible_to(user, queryset)

    def get_changelist(self, request, **kwargs):
        return EventChangeList

    @admin.display(description=_("attendances"), ordering="attendance_total")
    def attendance_count(self, event: RecruitmentEvent) -> int:
        return event.attendance_total

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return self.fieldsets_base
        staff, registration, notes = self.fieldsets_base[1:]
        return [
            self.fieldsets_base[0],
            (_("Hong Kong public holidays around the event"), {"fields": ["hk_holidays"]}),
            staff,
            (registration[0], {"fields": ["registration_open", "registration_links"]}),
            notes,
        ]

    def get_readonly_fields(self, request, obj=None):
        return ["hk_holidays", "registration_links"] if obj else []

    @admin.display(description=_("links"))
    def registration_links(self, event: RecruitmentEvent) -> str:
        return format_html(
            '<a href="{}" target="_blank" rel="noopener">{}</a> · <a href="{}" target="_blank">{}</a> · '
            '<a href="{}">{}</a>',
            reverse("talent:register", args=[event.registration_key]),
            gettext("Open the form"),
            reverse("admin:talent_recruitmentevent_qr", args=[event.pk]),
            gettext("Print the QR code"),
            f"{reverse('admin:core_importjob_add')}?kind=talent.signin&options-event={event.pk}",
            gettext("Import a paper sign-in sheet"),
        )

    def get_urls(self):
        return [
            path(
                "<path:object_id>/qr/",
                self.admin_site.admin_view(self.qr_view),
                name="talent_recruitmentevent_qr",
            ),
            *super().get_urls(),
        ]

    def qr_view(self, request, object_id: str):
        """A page to print and put up at the venue: the event, the code, the address under it."""
        event = self.get_object(request, object_id)
        if event is None or not self.has_view_permission(request, event):
            raise Http404
        url = registration_url(request, event)
        context = {
            **self.admin_site.each_context(request),
            "event": event,
            "url": url,
            "qr": qr_svg(url),
            "languages": LANGUAGES,
            "title": gettext("QR code for self-registration"),
        }
        return TemplateResponse(request, "talent/event_qr.html", context)

    @admin.display(description=_("holidays"))
    def hk_holidays(self, event: RecruitmentEvent) -> str:
        days = hk_holidays_between(event.starts_on - HOLIDAY_MARGIN, event.ends_on + HOLIDAY_MARGIN)
        if not days:
            return gettext("None within 7 days of the event.")
        during = gettext("during the event")
        return format_html_join(
            mark_safe("<br>"),
            "{}",
            (
                (
                    format_html("<strong>{} {} ({})</strong>", day.date.isoformat(), day.name, during)
                    if event.starts_on <= day.date <= event.ends_on
                    else format_html("{} {}", day.date.isoformat(), day.name),
                )
                for day in days
            ),
        )

    def save_model(self, request, obj: RecruitmentEvent, form, change: bool) -> None:
        data = {name: form.cleaned_data[name] for name in EVENT_FIELDS if name in form.cleaned_data}
        staff = form.cleaned_data.get("assigned_staff")
        if change:
            event_update(actor=request.user, event=obj, assigned_staff=staff, **data)
        else:
            adopt(obj, event_create(actor=request.user, assigned_staff=staff or (), **data))

    def save_related(self, request, form, formsets, change: bool) -> None:
        """Nothing left to save: the services set the assigned staff, and form.save_m2m() would write them a
        second time, outside the service."""

    def _warn_about_holidays(self, request, event: RecruitmentEvent) -> None:
        warning = holiday_warning(event)
        if warning:
            _add_once(request, messages.WARNING, warning)

    def response_add(self, request, obj, post_url_continue=None):
        self._warn_about_holidays(request, obj)
        return super().response_add(request, obj, post_url_continue)

    def response_change(self, request, obj):
        self._warn_about_holidays(request, obj)
        return super().response_change(request, obj)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and request.method == "GET":
            self._warn_about_holidays(request, obj)
        return super().render_change_form(request, context, add, change, form_url, obj)


class VisibleEventFilter(admin.RelatedFieldListFilter):
    """Offers the events the user can see, not every event."""

    def field_choices(self, field, request, model_admin):
        visible = events_visible_to(request.user).values("pk")
        return field.get_choices(
            include_blank=False, limit_choices_to={"pk__in": visible}, ordering=("-starts_on",)
        )


ATTENDANCE_ADD_FIELDS = [
    "event",
    "contact",
    "session",
    "method",
    "grade",
    "next_action",
    "next_action_on",
    "notes",
]
ATTENDANCE_CHANGE_FIELDS = [
    "event",
    "contact",
    "captured_by",
    "created_at",
    "consent_snapshot",
    "session",
    "method",
    "grade",
    "next_action",
    "next_action_on",
    "notes",
]


@admin.register(Attendance)
class AttendanceAdmin(ScopedAdmin):
    list_display = [
        "contact",
        "event",
        "method",
        "grade",
        "next_action",
        "next_action_on",
        "captured_by",
        "consent_snapshot",
        "created_at",
    ]
    list_filter = [("event", VisibleEventFilter), "grade", "method"]
    search_fields = ["contact__name", "contact__name_simplified", "contact__english_name", "event__name"]
    list_select_related = ["contact", "event", "captured_by", "consent__text"]
    autocomplete_fields = ["contact", "event"]
    show_full_result_count = False

    def scope(self, user, queryset: QuerySet) -> QuerySet:
        return attendances_visible_to(user, queryset)

    def get_object(self, request, object_id, from_field=None):
        queryset = self.get_queryset(request).select_related(
            "contact", "event", "captured_by", "consent__text"
        )
        try:
            return queryset.get(pk=Attendance._meta.pk.to_python(object_id))
        except (Attendance.DoesNotExist, ValidationError, ValueError):
            return None

    def get_fields(self, request, obj=None):
        return ATTENDANCE_CHANGE_FIELDS if obj else ATTENDANCE_ADD_FIELDS

    def get_readonly_fields(self, request, obj=None):
        return ["event", "contact", "captured_by", "created_at", "consent_snapshot"] if obj else []

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # What a form accepts is checked against the scope, not only what its autocomplete offers.
        if db_field.name == "contact":
            kwargs["queryset"] = contacts_visible_to(request.user).filter(status=Contact.Status.ACTIVE)
        elif db_field.name == "event":
            kwargs["queryset"] = events_visible_to(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description=_("consent given at capture"))
    def consent_snapshot(self, attendance: Attendance) -> str:
        consent = attendance.consent
        if consent is None:
            return "—"
        return format_html(
            "{} <span class='quiet'>({} · {})</span>",
            purposes_text(consent),
            consent.text.version,
            consent.get_kind_display(),
        )

    def has_delete_permission(self, request, obj=None) -> bool:
        # An attendance is a fact of the event; a mistaken one is corrected, not removed (statistics count it).
        return False

    def save_model(self, request, obj: Attendance, form, change: bool) -> None:
        data = form.cleaned_data
        fields = {name: data[name] for name in ATTENDANCE_FIELDS - {"consent"} if name in data}
        if change:
            attendance_update(actor=request.user, attendance=obj, **fields)
            return
        saved = attendance_record(actor=request.user, event=data["event"], contact=data["contact"], **fields)
        adopt(obj, saved)
