"""Pieces the talent admins share: read-only tables on a change page, admins of models without history, and the
small pages of one-object actions (export, erase, consent withdrawal)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django import forms
from django.contrib import admin
from django.forms.models import BaseInlineFormSet
from django.urls import reverse
from django.utils import timezone
from django.utils.html import conditional_escape, format_html
from django.utils.translation import gettext

from core.admin import ScopedAdmin


def adopt(obj, saved) -> None:
    """Make the admin's unsaved object the row the service saved, for the redirect and the change message."""
    for field in type(saved)._meta.concrete_fields:
        setattr(obj, field.attname, getattr(saved, field.attname))
    obj._state.adding = False


def change_url(obj) -> str:
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


def yes_no(value: bool) -> str:
    return gettext("Yes") if value else gettext("No")


def local_time(value: dt.datetime | None) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else "—"


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


class ReadOnlyTableFormSet(BaseInlineFormSet):
    """A formset with no forms: its rows are shown as a plain table (see ReadOnlyTableInline). Posting the change
    page validates it, and with no forms it has nothing to check or save."""

    columns: list[tuple[str, Callable]] = []
    # Set by an inline whose rows are not simply those pointing at the instance (a pair has two sides).
    row_source: Callable | None = None

    def initial_form_count(self) -> int:
        return 0

    def total_form_count(self) -> int:
        return 0

    @property
    def table_rows(self) -> list[list[str]]:
        rows = self.row_source(self.instance) if self.row_source else self.get_queryset()
        return [[conditional_escape(cell(obj)) for _label, cell in self.columns] for obj in rows]

    @property
    def table_labels(self) -> list[str]:
        return [label for label, _cell in self.columns]

    @property
    def media(self) -> forms.Media:
        return forms.Media()


class ReadOnlyTableInline(admin.TabularInline):
    """Rows created elsewhere (their own services and pages), listed as a table on the change page.

    `columns` names model fields or methods of the inline; each becomes a column."""

    template = "admin/talent/readonly_table_inline.html"
    formset = ReadOnlyTableFormSet
    extra = 0
    max_num = 0
    can_delete = False
    columns: list[str] = []

    def get_fields(self, request, obj=None):
        return []

    @property
    def media(self) -> forms.Media:
        return forms.Media()

    def get_formset(self, request, obj=None, **kwargs):
        kwargs["fields"] = []
        formset = super().get_formset(request, obj, **kwargs)
        formset.columns = [self._column(name, request) for name in self.columns]
        return formset

    def _column(self, name: str, request):
        attr = getattr(self, name, None)
        if callable(attr):
            return getattr(attr, "short_description", name), lambda obj, attr=attr: attr(obj, request)
        field = self.model._meta.get_field(name)
        labels = dict(field.flatchoices) if field.choices else None

        def cell(obj, field=field):
            value = getattr(obj, field.name)
            if labels is not None:
                value = labels.get(value, value)
            if value is None or value == "":
                return "—"
            if isinstance(value, bool):
                return yes_no(value)
            if isinstance(value, dt.datetime):
                return local_time(value)
            return str(value)

        return field.verbose_name, cell

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


def link(url: str, text) -> str:
    return format_html('<a href="{}">{}</a>', url, text)
