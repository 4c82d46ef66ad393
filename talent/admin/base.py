"""Pieces the talent admins share: admins of models without history, links, and the small pages of one-object
actions (export, erase, consent withdrawal). Read-only tables come from core.admin_tables."""

from __future__ import annotations

from django.contrib import admin
from django.db import models
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from core.admin import ScopedAdmin
from core.admin_tables import ReadOnlyInline, change_url, local_time, yes_no


def adopt(obj, saved) -> None:
    """Make the admin's unsaved object the row the service saved, for the redirect and the change message."""
    for field in type(saved)._meta.concrete_fields:
        setattr(obj, field.attname, getattr(saved, field.attname))
    obj._state.adding = False


class NoHistoryAdmin(ScopedAdmin):
    """For models that keep no simple-history table (append-only logs, the review queue): the admin's own log is
    their history, still behind the scope."""

    object_history_template = None

    def history_view(self, request, object_id, extra_context=None):
        self._scoped_object_or_404(request, object_id)
        return admin.ModelAdmin.history_view(self, request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        from django.http import Http404

        raise Http404


class DefaultStatusFilter(admin.SimpleListFilter):
    """A status filter that starts on one status (`default`) and offers the others and "All"."""

    title = _("status")
    parameter_name = "status"
    ALL = "all"
    statuses: type[models.TextChoices]
    default: str

    def lookups(self, request, model_admin):
        return [*self.statuses.choices, (self.ALL, _("All"))]

    def value(self):
        return super().value() or self.default

    def queryset(self, request, queryset):
        if self.value() in self.statuses.values:
            return queryset.filter(status=self.value())
        return queryset

    def choices(self, changelist):
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == str(lookup),
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }


def link(url: str, text) -> str:
    return format_html('<a href="{}">{}</a>', url, text)


__all__ = [
    "DefaultStatusFilter",
    "NoHistoryAdmin",
    "ReadOnlyInline",
    "adopt",
    "change_url",
    "link",
    "local_time",
    "yes_no",
]
