"""Consent statements, the personal-data log and its access log.

A consent statement is versioned: administrators add a new version, and a published one (dated today or earlier)
is never edited, so every consent row says exactly what the person read. The personal-data log (exports, erasures,
withdrawals, retention runs: managers handle those) and the access log (views and exports: administrators only,
`talent.view_personaldataaccess`) are read-only.
"""

from __future__ import annotations

import json

from django.contrib import admin
from django.db.models import Q, QuerySet, TextField
from django.db.models.functions import Cast
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from talent.admin.base import NoHistoryAdmin
from talent.models import ConsentText, PersonalDataAccess, PersonalDataLog
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


class _ReadOnlyLogAdmin(NoHistoryAdmin):
    """The personal-data logs are written by services only: the admin reads them."""

    @admin.display(description=_("details"))
    def details_shown(self, entry: PersonalDataLog) -> str:
        return _details(entry)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(PersonalDataLog)
class PersonalDataLogAdmin(_ReadOnlyLogAdmin):
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
        # The log names no one; `view_personaldatalog` decides who reads it. Views are the access log's, which
        # only administrators read (PersonalDataAccessAdmin).
        return queryset.exclude(kind=PersonalDataLog.Kind.VIEW)


@admin.register(PersonalDataAccess)
class PersonalDataAccessAdmin(_ReadOnlyLogAdmin):
    """Who viewed or exported which contacts, when and how many rows. Read-only; rows past PERSONAL_DATA_LOG_DAYS
    are deleted by the daily purge."""

    list_display = ["at", "actor", "kind", "channel", "row_count", "contacts_shown", "reason"]
    list_filter = ["kind", "channel", "at"]
    list_select_related = ["actor"]
    search_fields = ["actor__username"]
    search_help_text = _("A username, or a contact's id.")
    date_hierarchy = "at"
    fields = ["at", "actor", "kind", "channel", "row_count", "contacts_shown", "reason", "details_shown"]
    readonly_fields = fields
    actions = None
    show_full_result_count = False

    def scope(self, user, queryset: QuerySet) -> QuerySet:
        return queryset  # `view_personaldataaccess`, held by administrators alone, decides who reads it

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term.isdigit():
            return super().get_search_results(request, queryset, search_term)
        # A contact id: the rows about that contact alone, or listing it among others (the JSON list as text,
        # the id between non-digits, so 42 does not find 142).
        listed = queryset.alias(ids_text=Cast("contact_ids", TextField())).filter(
            ids_text__regex=rf"(^|[^0-9]){int(term)}([^0-9]|$)"
        )
        return queryset.filter(Q(contact_id_value=int(term)) | Q(pk__in=listed.values("pk"))), False

    @admin.display(description=_("contacts"))
    def contacts_shown(self, entry: PersonalDataLog) -> str:
        ids = entry.contact_ids or ([entry.contact_id_value] if entry.contact_id_value else [])
        shown, rest = ids[:_CONTACTS_SHOWN], len(ids) - _CONTACTS_SHOWN
        links = format_html_join(
            ", ",
            '<a href="{}">#{}</a>',
            ((reverse("admin:talent_contact_change", args=[pk]), pk) for pk in shown),
        )
        if rest > 0:
            return format_html("{} {}", links, gettext("and %(count)s more") % {"count": rest})
        return links or "—"


# A list page's entry names up to a hundred contacts: the first ones are links, the rest a number.
_CONTACTS_SHOWN = 20


def _details(entry: PersonalDataLog) -> str:
    return format_html("<pre>{}</pre>", json.dumps(entry.details, ensure_ascii=False, indent=2))
