from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.visibility import is_administrator
from core.admin import ReferenceAdmin, ScopedAdmin
from core.errors import ApplicationError
from reminders.models import Reminder, ReminderRule
from reminders.services import reminder_retry


@admin.register(ReminderRule)
class ReminderRuleAdmin(ReferenceAdmin):
    list_display = ["name", "kind", "days", "day_unit", "stage", "repeat", "is_active"]
    list_filter = ["kind", "repeat", "is_active"]
    search_fields = ["code", "name", "name_zh_hant", "name_en"]
    fields = [
        "code",
        "name",
        "name_zh_hant",
        "name_en",
        "kind",
        ("days", "day_unit"),
        "stage",
        "repeat",
        "is_active",
    ]

    def get_readonly_fields(self, request, obj=None):
        # The kind decides what the sweep reads; a rule of another kind is a new rule.
        return ["kind"] if obj else []


class ChannelFilter(admin.SimpleListFilter):
    title = _("channel delivered")
    parameter_name = "channel"

    def lookups(self, request, model_admin):
        return [
            ("inapp", _("In-app")),
            ("email", _("Email")),
            ("wecom", "WeCom"),
            ("webhook", _("Group webhook")),
        ]

    def queryset(self, request, queryset):
        # channels_done reads "inapp,email!,…": match whole entries, never "email!" (a failure) for "email".
        value = self.value()
        if value in {"inapp", "email", "wecom", "webhook"}:
            return queryset.filter(
                Q(channels_done=value)
                | Q(channels_done__startswith=f"{value},")
                | Q(channels_done__endswith=f",{value}")
                | Q(channels_done__contains=f",{value},")
            )
        return queryset


@admin.register(Reminder)
class ReminderAdmin(ScopedAdmin):
    """Delivery records for administrators: what went out, to whom, on which channels, and what failed."""

    list_display = [
        "occurs_on",
        "rule",
        "recipient",
        "subject",
        "status",
        "attempts",
        "channels_done",
        "sent_at",
    ]
    list_filter = ["status", "rule", ChannelFilter, "occurs_on"]
    list_select_related = ["rule", "recipient"]
    search_fields = ["recipient__username", "recipient__last_name", "last_error"]
    # The table grows by thousands of rows a day: no date hierarchy (a DISTINCT over every row) and no second
    # count of the whole table for "n of m selected".
    show_full_result_count = False
    actions = ["retry"]
    readonly_fields = [
        "rule",
        "subject_type",
        "subject_id",
        "lead",
        "recipient",
        "occurs_on",
        "status",
        "not_before",
        "claimed_until",
        "attempts",
        "channels_done",
        "last_error",
        "sent_at",
        "cancelled_reason",
        "created_at",
    ]
    fields = readonly_fields

    def scope(self, user, queryset: QuerySet) -> QuerySet:
        return queryset if is_administrator(user) else queryset.none()

    @admin.display(description=_("subject"))
    def subject(self, obj: Reminder) -> str:
        return f"{obj.subject_type} {obj.subject_id}"

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description=_("Send the selected failed reminders again"))
    def retry(self, request, queryset: QuerySet[Reminder]) -> None:
        done = 0
        for reminder in queryset.filter(status=Reminder.Status.FAILED):
            try:
                reminder_retry(reminder=reminder)
            except ApplicationError as error:
                self.message_user(request, error.message, level=messages.ERROR)
            else:
                done += 1
        self.message_user(
            request,
            ngettext(
                "%(count)s reminder will be sent again.", "%(count)s reminders will be sent again.", done
            )
            % {"count": done},
        )
