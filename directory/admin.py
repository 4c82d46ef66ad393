"""Admin for reference data. Saves go through directory.services; refusals become messages, never a 500."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import FileExtensionValidator
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.dates import WEEKDAYS_ABBR
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.admin import ReferenceAdmin
from core.errors import ApplicationError
from directory import services
from directory.models import Carrier, Holiday, HolidayYear, Organization, OrganizationAlias, Region, Sector

# --- Organizations ------------------------------------------------------------------------------------------

ORGANIZATION_FIELDS = [
    "kind",
    "region",
    "name",
    "name_zh_hant",
    "name_en",
    "abbreviation",
    "parent",
    "is_channel",
    "website",
]


def _https_formfield(db_field, **kwargs):
    # Django 6 makes https the default scheme for URL fields; say so now rather than warn on every form.
    if isinstance(db_field, models.URLField):
        kwargs.setdefault("assume_scheme", "https")
    return db_field.formfield(**kwargs)


class OrganizationForm(forms.ModelForm):
    class Meta:
        model = Organization
        fields = ORGANIZATION_FIELDS
        formfield_callback = _https_formfield

    def clean(self):
        cleaned = super().clean()
        names = [cleaned.get(field) or "" for field in ("name", "name_zh_hant", "name_en", "abbreviation")]
        try:
            services.organization_check_aliases(
                organization=self.instance if self.instance.pk else None,
                aliases=[n for n in names if n.strip()],
            )
        except ApplicationError as error:
            raise ValidationError(error.message) from error
        parent = cleaned.get("parent")
        if parent is not None and self.instance.pk and parent.pk == self.instance.pk:
            self.add_error("parent", _("An organization cannot be its own parent."))
        return cleaned


class AliasFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        organization = self.instance if self.instance.pk else None
        for form in self.forms:
            if not hasattr(form, "cleaned_data") or not form.cleaned_data.get("alias"):
                continue
            if form.instance.pk is None and not form.cleaned_data.get("DELETE"):
                try:
                    services.organization_check_aliases(
                        organization=organization, aliases=[form.cleaned_data["alias"]]
                    )
                except ApplicationError as error:
                    form.add_error("alias", error.message)


class OrganizationAliasInline(admin.TabularInline):
    model = OrganizationAlias
    formset = AliasFormSet
    fields = ["alias", "key"]
    readonly_fields = ["key"]
    extra = 1
    verbose_name = _("alias")
    verbose_name_plural = _("aliases (every name the organization goes by; its own names are added for you)")

    def has_change_permission(self, request, obj=None) -> bool:
        # An alias is replaced, not edited: delete it and add the new spelling (both go through the services).
        return False


@admin.register(Organization)
class OrganizationAdmin(ReferenceAdmin):
    form = OrganizationForm
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = ["name", "abbreviation", "name_en", "kind", "region", "parent", "is_channel"]
    list_filter = ["kind", "region", "is_channel"]
    # Only for Django's checks and the autocomplete widget: get_search_results searches the alias keys.
    search_fields = ["name", "name_en", "abbreviation"]
    list_select_related = ["parent"]
    autocomplete_fields = ["parent"]
    inlines = [OrganizationAliasInline]

    def get_search_results(self, request, queryset, search_term):
        key = services.name_key(search_term)
        if not key:
            return super().get_search_results(request, queryset, search_term)
        # The same rule as organizations_matching (any alias key containing the term's key), kept on the
        # admin's own queryset so its ordering and filters still apply. A subquery, not a join: no DISTINCT.
        matching = OrganizationAlias.objects.filter(key__contains=key).values("organization_id")
        return queryset.filter(pk__in=matching), False

    def save_model(self, request, obj: Organization, form, change: bool) -> None:
        data = {field: form.cleaned_data[field] for field in ORGANIZATION_FIELDS}
        if change:
            services.organization_update(organization=obj, **data)
        else:
            created = services.organization_create(**data)
            obj.pk = created.pk
            obj._state.adding = False

    def save_formset(self, request, form, formset, change: bool) -> None:
        if formset.model is not OrganizationAlias:
            return super().save_formset(request, form, formset, change)
        formset.save(commit=False)  # fills new_objects and deleted_objects without saving
        for alias in formset.deleted_objects:
            services.organization_remove_alias(alias=alias)
        for alias in formset.new_objects:
            services.organization_add_alias(organization=form.instance, alias=alias.alias)
        return None


@admin.register(OrganizationAlias)
class OrganizationAliasAdmin(ReferenceAdmin):
    list_display = ["alias", "organization", "key"]
    search_fields = ["alias", "key", "organization__name", "organization__name_en"]
    list_filter = ["organization__kind"]
    list_select_related = ["organization"]
    autocomplete_fields = ["organization"]
    fields = ["organization", "alias", "key"]
    readonly_fields = ["key"]

    def get_readonly_fields(self, request, obj=None):
        return ["organization", "alias", "key"] if obj else ["key"]

    def save_model(self, request, obj: OrganizationAlias, form, change: bool) -> None:
        if change:
            return  # nothing is editable on an existing alias
        created = services.organization_add_alias(organization=obj.organization, alias=obj.alias)
        obj.pk, obj.key = created.pk, created.key
        obj._state.adding = False

    def delete_model(self, request, obj: OrganizationAlias) -> None:
        services.organization_remove_alias(alias=obj)

    def delete_queryset(self, request, queryset: QuerySet) -> None:
        for alias in queryset:
            services.organization_remove_alias(alias=alias)


# --- Carriers -----------------------------------------------------------------------------------------------

CARRIER_FIELDS = ["name", "name_zh_hant", "name_en", "abbreviation", "kind", "is_active"]


class CarrierForm(forms.ModelForm):
    class Meta:
        model = Carrier
        fields = [*CARRIER_FIELDS, "parent"]

    def clean_parent(self):
        parent = self.cleaned_data.get("parent")
        if parent and self.instance.pk and parent.path.startswith(self.instance.path):
            raise ValidationError(_("A carrier cannot be placed under itself or one of its own parts."))
        return parent


@admin.register(Carrier)
class CarrierAdmin(ReferenceAdmin):
    form = CarrierForm
    list_display = ["indented_name", "abbreviation", "name_en", "kind", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "name_zh_hant", "name_en", "abbreviation"]
    # Tree order and indentation come from path and depth on the row itself: no parent join is needed.
    list_select_related = []
    autocomplete_fields = ["parent"]

    @admin.display(description=_("name"), ordering="path")
    def indented_name(self, obj: Carrier) -> str:
        return format_html('<span style="padding-left:{}em">{}</span>', obj.depth * 1.5, obj.name)

    def save_model(self, request, obj: Carrier, form, change: bool) -> None:
        data = {field: form.cleaned_data[field] for field in CARRIER_FIELDS}
        if change:
            services.carrier_update(carrier=obj, parent=form.cleaned_data["parent"], **data)
        else:
            created = services.carrier_create(parent=form.cleaned_data["parent"], **data)
            obj.pk, obj.path, obj.depth = created.pk, created.path, created.depth
            obj._state.adding = False


# --- Sectors ------------------------------------------------------------------------------------------------

SECTOR_FIELDS = ["code", "group", "name", "name_zh_hant", "name_en", "parent"]


class SectorForm(forms.ModelForm):
    class Meta:
        model = Sector
        fields = SECTOR_FIELDS

    def clean_parent(self):
        parent = self.cleaned_data.get("parent")
        if parent is not None and (parent.parent_id is not None or parent.pk == self.instance.pk):
            raise ValidationError(_("A sub-sector must be placed under a top-level sector."))
        if parent is not None and self.instance.pk and self.instance.children.exists():
            raise ValidationError(_("This sector has sub-sectors, so it must stay a top-level sector."))
        return parent


class TopLevelFilter(admin.SimpleListFilter):
    title = _("level")
    parameter_name = "level"

    def lookups(self, request, model_admin):
        return [("1", _("Sectors")), ("2", _("Sub-sectors"))]

    def queryset(self, request, queryset):
        if self.value() == "1":
            return queryset.filter(parent__isnull=True)
        if self.value() == "2":
            return queryset.filter(parent__isnull=False)
        return queryset


@admin.register(Sector)
class SectorAdmin(ReferenceAdmin):
    form = SectorForm
    list_display = ["code", "name", "name_en", "parent", "group"]
    list_filter = ["group", TopLevelFilter]
    search_fields = ["code", "name", "name_zh_hant", "name_en"]
    list_select_related = ["parent"]
    autocomplete_fields = ["parent"]

    def save_model(self, request, obj: Sector, form, change: bool) -> None:
        data = {field: form.cleaned_data[field] for field in SECTOR_FIELDS}
        if change:
            services.sector_update(sector=obj, **data)
        else:
            created = services.sector_create(**data)
            obj.pk = created.pk
            obj._state.adding = False


# --- Holiday calendar ---------------------------------------------------------------------------------------


class YearFilter(admin.SimpleListFilter):
    title = _("year")
    parameter_name = "year"

    def lookups(self, request, model_admin):
        years = Holiday.objects.dates("date", "year", order="DESC")
        return [(str(day.year), str(day.year)) for day in years]

    def queryset(self, request, queryset):
        if self.value() and self.value().isdigit():
            year = int(self.value())
            return queryset.filter(date__range=(dt.date(year, 1, 1), dt.date(year, 12, 31)))
        return queryset


class HolidayImportForm(forms.Form):
    MAX_BYTES = 1024 * 1024

    file = forms.FileField(
        label=_("CSV file"),
        # Django's own message, translated by Django: "File extension “exe” is not allowed. ..."
        validators=[FileExtensionValidator(["csv"])],
        help_text=_(
            "Columns date, region, kind, name, with a header row. Region CN or HK; kind day_off (休) or "
            "workday (班). UTF-8 or GBK."
        ),
    )
    region = forms.ChoiceField(
        label=_("region"),
        required=False,
        choices=[("", _("as each row says")), *Region.choices[:2]],
        help_text=_("When set, rows may leave the region empty, and rows for the other region are refused."),
    )
    mark_complete = forms.BooleanField(
        label=_("The file is the complete calendar of its years"),
        required=False,
        help_text=_(
            "Dates in those years stop being provisional, and due dates counted across them are recomputed."
        ),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > self.MAX_BYTES:
            raise ValidationError(_("The file is larger than 1 MB; a holiday calendar is much smaller."))
        return upload


@admin.register(Holiday)
class HolidayAdmin(ReferenceAdmin):
    list_display = ["date", "weekday", "region", "kind", "name"]
    list_filter = ["region", "kind", YearFilter]
    search_fields = ["name"]
    list_select_related = []  # no foreign keys
    fields = ["region", "date", "kind", "name"]
    change_list_template = "admin/directory/holiday/change_list.html"

    @admin.display(description=_("weekday"))
    def weekday(self, obj: Holiday) -> str:
        return WEEKDAYS_ABBR[obj.date.weekday()]

    def get_readonly_fields(self, request, obj=None):
        # Region and date are the day's identity; to move a day, delete it and add the other one.
        return ["region", "date"] if obj else []

    def save_model(self, request, obj: Holiday, form, change: bool) -> None:
        saved = services.holiday_set(region=obj.region, date=obj.date, kind=obj.kind, name=obj.name)
        obj.pk = saved.pk
        obj._state.adding = False

    def get_urls(self):
        view = self.admin_site.admin_view(self.import_view)
        return [path("import/", view, name="directory_holiday_import"), *super().get_urls()]

    def import_view(self, request: HttpRequest) -> HttpResponse:
        if not (self.has_add_permission(request) and self.has_change_permission(request)):
            raise PermissionDenied
        form = HolidayImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            try:
                result = services.holiday_import_csv(
                    file=form.cleaned_data["file"],
                    region=form.cleaned_data["region"] or None,
                    mark_complete=form.cleaned_data["mark_complete"],
                )
            except ApplicationError as error:
                self.message_user(request, error.message, messages.ERROR)
            else:
                self.message_user(
                    request,
                    gettext("Imported: %(created)d new days, %(updated)d changed, %(unchanged)d unchanged.")
                    % {"created": result.created, "updated": result.updated, "unchanged": result.unchanged},
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(reverse("admin:directory_holiday_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Import holiday calendar days"),
            "form": form,
            "submit_label": _("Import"),
        }
        return TemplateResponse(request, "admin/directory/form_page.html", context)


class HolidayYearLoadForm(forms.Form):
    region = forms.ChoiceField(label=_("region"), choices=Region.choices[:2])
    year = forms.IntegerField(label=_("year"), min_value=2000, max_value=2100)


@admin.register(HolidayYear)
class HolidayYearAdmin(ReferenceAdmin):
    list_display = ["year", "region", "source"]
    list_filter = ["region"]
    search_fields = ["=year", "source"]
    list_select_related = []  # no foreign keys
    fields = ["region", "year", "source"]
    actions = ["reload_from_packages"]
    change_list_template = "admin/directory/holidayyear/change_list.html"

    def get_readonly_fields(self, request, obj=None):
        return ["region", "year"] if obj else []

    def save_model(self, request, obj: HolidayYear, form, change: bool) -> None:
        saved = services.holiday_year_mark_complete(region=obj.region, year=obj.year, source=obj.source)
        obj.pk = saved.pk
        obj._state.adding = False

    @admin.action(
        description=_("Reload the selected years from the calendar packages"), permissions=["change"]
    )
    def reload_from_packages(self, request: HttpRequest, queryset: QuerySet) -> None:
        # Load every year before reporting any: a refusal rolls all of them back (see changelist_view).
        results = [(row, services.holiday_year_load(region=row.region, year=row.year)) for row in queryset]
        for row, changed in results:
            self.message_user(
                request,
                gettext("%(year)d %(region)s: %(count)d days added or changed.")
                % {"year": row.year, "region": row.get_region_display(), "count": changed},
                messages.SUCCESS,
            )

    def get_urls(self):
        view = self.admin_site.admin_view(self.load_view)
        return [path("load/", view, name="directory_holidayyear_load"), *super().get_urls()]

    def load_view(self, request: HttpRequest) -> HttpResponse:
        if not (self.has_add_permission(request) and self.has_change_permission(request)):
            raise PermissionDenied
        form = HolidayYearLoadForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            region, year = form.cleaned_data["region"], form.cleaned_data["year"]
            try:
                changed = services.holiday_year_load(region=region, year=year)
            except ApplicationError as error:
                self.message_user(request, error.message, messages.ERROR)
            else:
                self.message_user(
                    request,
                    gettext("%(year)d %(region)s: %(count)d days added or changed.")
                    % {"year": year, "region": Region(region).label, "count": changed},
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(reverse("admin:directory_holidayyear_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Load a calendar year from the packages"),
            "form": form,
            "submit_label": _("Load"),
        }
        return TemplateResponse(request, "admin/directory/form_page.html", context)
