"""Consent statements and the personal-data log.

A consent statement is versioned: administrators add a new version, and a published one (dated today or earlier)
is never edited, so every consent row says exactly what the person read. The personal-data log is read-only.
"""

from __future__ import annotations

import json

from django.contrib import admin
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from talent.admin.base import NoHistoryAdmin
from talent.models import ConsentText, PersonalDataLog
from talent.services.consent import consent_text_save


@admin.register(ConsentText)
class ConsentTextAdmin(NoHistoryAdmin):
    list_display = ["version", "published_on", "is_published", "created_at"]
    search_fields = ["version"]
    fields = ["version", "published_on", "body_zh_hans", "body_zh_hant", "body_en"]
    actions = None

    def scope(self, user, queryset: QuerySet) -> QuerySet:
        return queryset  # reference text: the model permissions decide who sees it

    @admin.display(description=_("published"), boolean=True)
    def is_published(self, text: ConsentText) -> bool:
        return _published(text)

    def has_change_permission(self, request, obj=None) -> bool:
        # A published version is what people have read: it opens read-only. Change it by adding a version.
        return (obj is None or not _published(obj)) and super().has_change_permission(request, obj)

    def save_model(self, request, obj: ConsentText, form, change: bool) -> None:
        consent_text_save(actor=request.user, text=obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        if obj is not None and (_published(obj) or obj.consents.exists()):
            return False
        return super().has_delete_permission(request, obj)


def _published(text: ConsentText) -> bool:
    return text.published_on is not None and text.published_on <= timezone.localdate()


@admin.register(PersonalDataLog)
class PersonalDataLogAdmin(NoHistoryAdmin):
    list_display = ["at", "kind", "contact_id_value", "actor", "reason"]
    list_filter = ["kind"]
    list_select_related = ["actor"]
    search_fields = ["=contact_id_value", "reason"]
    date_hierarchy = "at"
    fields = ["at", "kind", "contact_id_value", "actor", "reason", "details_shown"]
    readonly_fields = fields
    actions = None
    show_full_result_count = False

    def scope(self, user, queryset: QuerySet) -> QuerySet:
        return queryset  # the log names no one; `view_personaldatalog` decides who reads it

    @admin.display(description=_("details"))
    def details_shown(self, entry: PersonalDataLog) -> str:
        return format_html("<pre>{}</pre>", json.dumps(entry.details, ensure_ascii=False, indent=2))

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
