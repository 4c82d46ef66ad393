"""Read-only tables on an admin change page: rows made elsewhere (services, their own pages) listed under the
object they belong to, never edited there. Shared by every app's admin (a lead's stage history, a person's
attendances)."""

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


def change_url(obj) -> str:
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


def yes_no(value: bool) -> str:
    return gettext("Yes") if value else gettext("No")


def local_time(value: dt.datetime | None) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else "—"


class ReadOnlyTableFormSet(BaseInlineFormSet):
    """A formset with no forms: the rows are shown as a plain table (see ReadOnlyInline).

    Building a form and an AdminReadonlyField per cell costs far more than the rows' queries on a page with a long
    history; posting the page still validates this formset, and with no forms it has nothing to check.
    """

    columns: list[tuple[str, Callable]] = []
    # Set by an inline whose rows are not simply those pointing at the instance (a pair has two sides).
    row_source: Callable | None = None

    def initial_form_count(self) -> int:
        return 0

    def total_form_count(self) -> int:
        return 0

    @property
    def table_rows(self) -> list[list[str]]:
        return [[conditional_escape(cell(obj)) for _label, cell in self.columns] for obj in self.rows()]

    @property
    def table_labels(self) -> list[str]:
        return [label for label, _cell in self.columns]

    def rows(self):
        return self.row_source(self.instance) if self.row_source else self.get_queryset()

    @property
    def media(self) -> forms.Media:
        # The formset's own media would build an empty form to ask it; a plain table needs none.
        return forms.Media()


class ReadOnlyInline(admin.TabularInline):
    """`columns` names model fields or one-argument methods of the inline, as `fields` would; each becomes a
    column. `link_column` links its cell to the row's own admin page."""

    template = "admin/readonly_table_inline.html"
    formset = ReadOnlyTableFormSet
    extra = 0
    max_num = 0
    can_delete = False
    columns: list[str] = []
    link_column: str | None = None

    def get_fields(self, request, obj=None):
        return []

    @property
    def media(self) -> forms.Media:
        # The inline scripts add and remove form rows; a plain table has none, and merging their media into the
        # page's once per table is a measurable part of rendering a long page.
        return forms.Media()

    def get_formset(self, request, obj=None, **kwargs):
        kwargs["fields"] = []
        formset = super().get_formset(request, obj, **kwargs)
        formset.columns = [self._column(name) for name in self.columns]
        return formset

    def _column(self, name: str):
        attr = getattr(self, name, None)
        if callable(attr):
            return getattr(attr, "short_description", name), attr
        field = self.model._meta.get_field(name)
        # Looked up here once: get_FOO_display() rebuilds (and hashes) the field's whole choice list per call.
        labels = dict(field.flatchoices) if field.choices else None

        def cell(obj, field=field, link=name == self.link_column):
            value = getattr(obj, field.name)
            if labels is not None:
                value = labels.get(value, value)
            if value is None or value == "":
                shown = "—"
            elif isinstance(value, bool):
                shown = yes_no(value)
            elif isinstance(value, dt.datetime):
                shown = local_time(value)
            else:
                shown = str(value)
            return format_html('<a href="{}">{}</a>', change_url(obj), shown) if link else shown

        return field.verbose_name, cell

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
