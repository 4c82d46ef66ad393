from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet

from core.admin import ScopedAdmin
from talent.models import Attendance, Contact, RecruitmentEvent
from talent.selectors import attendances_visible_to, contacts_visible_to, events_visible_to


@admin.register(Contact)
class ContactAdmin(ScopedAdmin):
    list_display = ["name", "organization", "created_at"]
    search_fields = ["name", "organization__name", "organization__name_en", "organization__abbreviation"]
    list_select_related = ["organization"]
    autocomplete_fields = ["organization"]

    def scope(self, user, queryset: QuerySet) -> QuerySet:
        return contacts_visible_to(user, queryset)


@admin.register(RecruitmentEvent)
class RecruitmentEventAdmin(ScopedAdmin):
    list_display = ["name", "starts_on", "ends_on"]
    date_hierarchy = "starts_on"
    search_fields = ["name"]
    autocomplete_fields = ["assigned_staff"]

    def scope(self, user, queryset: QuerySet) -> QuerySet:
        return events_visible_to(user, queryset)


@admin.register(Attendance)
class AttendanceAdmin(ScopedAdmin):
    list_display = ["contact", "event", "captured_by", "created_at"]
    list_filter = ["event"]
    search_fields = ["contact__name", "event__name"]
    list_select_related = ["contact", "event", "captured_by"]
    autocomplete_fields = ["contact", "event"]

    def scope(self, user, queryset: QuerySet) -> QuerySet:
        return attendances_visible_to(user, queryset)
