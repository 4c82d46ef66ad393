"""Reference data of funding: programmes, their yearly versions with batches and eligibility rules, and exchange
rates. Every role that may view them sees them all; saves go through funding.services."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import admin
from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.admin import ReferenceAdmin
from core.admin_tables import ReadOnlyInline
from core.imports.services import import_may_use
from core.money import Currency
from funding import services
from funding.admin.base import adopt, lead_field_label, money
from funding.admin.forms import RULE_FIELDS_LIST, AmountFieldsMixin, RuleFieldInput, rule_field_suggestions
from funding.eligibility import FIELDS, PERCENT
from funding.models import (
    ApplicationWindow,
    EligibilityRule,
    ExchangeRate,
    FundingProgram,
    ProgramType,
    ProgramVersion,
)

PROGRAM_FIELDS = [
    "code",
    "name",
    "name_zh_hant",
    "name_en",
    "program_type",
    "funder",
    "funder_name",
    "lead_pass",
    "milestone_template",
    "description",
    "active",
]
VERSION_FIELDS = ["currency", "min_amount", "max_amount", "matching_ratio", "matching_cap", "notes"]
WINDOW_FIELDS = ["batch", "opens_on", "closes_on"]
RULE_FIELDS = ["field", "operator", "threshold", "threshold_currency", "note"]


def values(obj, names) -> dict:
    """The named fields of a row the form filled in (and did not save), as a service's keyword arguments."""
    return {name: getattr(obj, name) for name in names}


def amount_range(low, high, currency: str) -> str:
    if low is not None and high is not None:
        return f"{money(low, currency)} – {money(high, currency)}"
    if high is not None:
        return gettext("up to %(amount)s") % {"amount": money(high, currency)}
    if low is not None:
        return gettext("from %(amount)s") % {"amount": money(low, currency)}
    return "—"


def matching_text(version: ProgramVersion) -> str:
    if version.matching_ratio is None:
        return "—"
    return gettext("%(ratio)s : 1, capped at %(cap)s") % {
        "ratio": f"{version.matching_ratio.normalize():f}",
        "cap": money(version.matching_cap, version.currency),
    }


def rule_threshold(rule: EligibilityRule) -> str:
    if rule.threshold is None:
        return "—"
    if rule.threshold_currency:
        return money(rule.threshold, rule.threshold_currency)
    spec = FIELDS.get(rule.field)
    return f"{rule.threshold.normalize():f}" + ("%" if spec is not None and spec.kind == PERCENT else "")


class RuleFieldsMixin:
    """Pages with a rule form carry the whitelist once, as the suggestions of every rule's field input."""

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context["rule_fields_list"] = RULE_FIELDS_LIST
        context["rule_fields"] = rule_field_suggestions()
        return super().render_change_form(request, context, add, change, form_url, obj)  # type: ignore[misc]


# --- Programmes -----------------------------------------------------------------------------------------------


class VersionInline(ReadOnlyInline):
    """A programme's versions; each opens its own page, where its batches and rules are kept."""

    model = ProgramVersion
    columns = ["year", "currency", "amounts", "matching", "windows_count", "rules_count"]
    link_column = "year"
    verbose_name_plural = _("programme versions")

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                windows_count=Count("windows", distinct=True),
                rules_count=Count("rules", distinct=True),
            )
            .order_by("-year")
        )

    @admin.display(description=_("amounts"))
    def amounts(self, obj: ProgramVersion) -> str:
        return amount_range(obj.min_amount, obj.max_amount, obj.currency)

    @admin.display(description=_("matching ratio"))
    def matching(self, obj: ProgramVersion) -> str:
        return matching_text(obj)

    @admin.display(description=_("batches"))
    def windows_count(self, obj) -> str:
        return str(obj.windows_count)

    @admin.display(description=_("eligibility rules"))
    def rules_count(self, obj) -> str:
        return str(obj.rules_count)


@admin.register(FundingProgram)
class FundingProgramAdmin(ReferenceAdmin):
    list_display = [
        "code",
        "name",
        "name_en",
        "program_type",
        "funder",
        "funder_name",
        "lead_pass",
        "latest_terms",
        "versions_count",
        "active",
    ]
    list_display_links = ["code", "name"]
    list_filter = ["program_type", "funder", "active", "lead_pass"]
    list_select_related = ["lead_pass"]
    search_fields = ["code", "name", "name_zh_hant", "name_en", "funder_name"]
    inlines = [VersionInline]
    fieldsets = [
        (_("Identity and names"), {"fields": ["code", ("name", "name_zh_hant", "name_en")]}),
        (_("Type and funder"), {"fields": ["program_type", ("funder", "funder_name"), "active"]}),
        (_("Checklist"), {"fields": ["lead_pass", "milestone_template"]}),
        (_("Description"), {"fields": ["description"]}),
    ]

    def get_queryset(self, request) -> QuerySet[FundingProgram]:
        latest = ProgramVersion.objects.filter(program=OuterRef("pk")).order_by("-year")
        # Each a correlated subquery of the page query: the list costs the same however many rows it shows.
        return (
            super()
            .get_queryset(request)
            .annotate(
                versions_count=Count("versions"),
                latest_year=Subquery(latest.values("year")[:1]),
                latest_currency=Subquery(latest.values("currency")[:1]),
                latest_min=Subquery(latest.values("min_amount")[:1]),
                latest_max=Subquery(latest.values("max_amount")[:1]),
            )
            # The Count makes it a GROUP BY, which drops Meta.ordering: the autocomplete pages it unordered.
            .order_by(*FundingProgram._meta.ordering)
        )

    @admin.display(description=_("programme versions"), ordering="versions_count")
    def versions_count(self, obj) -> int:
        return obj.versions_count

    @admin.display(description=_("latest terms"))
    def latest_terms(self, obj) -> str:
        if obj.latest_year is None:
            return "—"
        return f"{obj.latest_year}: {amount_range(obj.latest_min, obj.latest_max, obj.latest_currency)}"

    def get_readonly_fields(self, request, obj=None):
        # Code is how imports and the API name a programme.
        return ["code"] if obj else []

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # applications cite their programme; retire one by unticking "active"

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and self.has_add_permission(request):
            context["add_version_url"] = f"{reverse('admin:funding_programversion_add')}?program={obj.pk}"
        return super().render_change_form(request, context, add, change, form_url, obj)

    def save_model(self, request, obj: FundingProgram, form, change: bool) -> None:
        data = form.cleaned_data
        if change:
            fields = {name: data[name] for name in form.changed_data if name in PROGRAM_FIELDS}
            stored = FundingProgram.objects.get(pk=obj.pk)
            saved = services.program_update(actor=request.user, program=stored, **fields)
        else:
            fields = {name: data[name] for name in PROGRAM_FIELDS if name in data}
            saved = services.program_create(actor=request.user, **fields)
        adopt(obj, saved)


# --- Versions, with their batches and rules -------------------------------------------------------------------


class VersionForm(AmountFieldsMixin, forms.ModelForm):
    amount_fields = ("min_amount", "max_amount", "matching_cap")

    class Meta:
        model = ProgramVersion
        fields = ["program", "year", *VERSION_FIELDS]


class WindowInline(admin.TabularInline):
    """Batches are added, moved and removed through window_create, window_update and window_delete."""

    model = ApplicationWindow
    fields = ["batch", "opens_on", "closes_on"]
    extra = 0


class RuleInlineForm(forms.ModelForm):
    class Meta:
        model = EligibilityRule
        fields = ["field", "operator", "threshold", "threshold_currency", "note"]
        widgets = {"field": RuleFieldInput}


class RuleInline(admin.TabularInline):
    """Rules go through rule_create and rule_update, which hold the whitelist, and rule_delete."""

    model = EligibilityRule
    form = RuleInlineForm
    fields = ["field", "operator", "threshold", "threshold_currency", "note"]
    extra = 0


@admin.register(ProgramVersion)
class ProgramVersionAdmin(RuleFieldsMixin, ReferenceAdmin):
    form = VersionForm
    change_form_template = "admin/funding/rule_fields_change_form.html"
    list_display = [
        "program",
        "year",
        "currency",
        "min_shown",
        "max_shown",
        "matching_shown",
        "windows_count",
        "rules_count",
    ]
    list_display_links = ["program", "year"]
    list_filter = ["program__program_type", "year", "currency", "program"]
    list_select_related = ["program"]
    search_fields = ["program__code", "program__name", "program__name_zh_hant", "program__name_en", "=year"]
    autocomplete_fields = ["program"]
    inlines = [WindowInline, RuleInline]
    fieldsets = [
        (None, {"fields": [("program", "year"), "currency"]}),
        (_("Amounts"), {"fields": [("min_amount", "max_amount")]}),
        (_("Matching"), {"fields": [("matching_ratio", "matching_cap")]}),
        (_("Notes"), {"fields": ["notes"]}),
    ]

    def get_queryset(self, request) -> QuerySet[ProgramVersion]:
        queryset = super().get_queryset(request).select_related("program")
        if getattr(request.resolver_match, "url_name", "") == "funding_programversion_changelist":
            # Counted on the list only; autocomplete and the change page need no counts.
            queryset = queryset.annotate(
                windows_count=Count("windows", distinct=True), rules_count=Count("rules", distinct=True)
            )
        return queryset

    @admin.display(description=_("minimum amount"), ordering="min_amount")
    def min_shown(self, obj: ProgramVersion) -> str:
        return money(obj.min_amount, obj.currency)

    @admin.display(description=_("maximum amount (cap)"), ordering="max_amount")
    def max_shown(self, obj: ProgramVersion) -> str:
        return money(obj.max_amount, obj.currency)

    @admin.display(description=_("matching ratio"))
    def matching_shown(self, obj: ProgramVersion) -> str:
        return matching_text(obj)

    @admin.display(description=_("batches"))
    def windows_count(self, obj) -> int:
        return obj.windows_count

    @admin.display(description=_("eligibility rules"))
    def rules_count(self, obj) -> int:
        return obj.rules_count

    def get_search_results(self, request, queryset, search_term):
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if (request.GET.get("model_name"), request.GET.get("field_name")) == (
            "fundingapplication",
            "version",
        ):
            # The application form's autocomplete offers what can be applied for (its field refuses the rest).
            queryset = queryset.exclude(
                program__program_type__in=[ProgramType.HK_GRANT, ProgramType.FUND_INVESTMENT]
            )
        return queryset, may_have_duplicates

    def get_readonly_fields(self, request, obj=None):
        # Applications cite a version: it stays the same programme's same year.
        return ["program", "year"] if obj else []

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        initial.setdefault("year", timezone.localdate().year)
        return initial

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj: ProgramVersion, form, change: bool) -> None:
        data = form.cleaned_data
        if change:
            fields = {name: data[name] for name in form.changed_data if name in VERSION_FIELDS}
            stored = ProgramVersion.objects.get(pk=obj.pk)
            saved = services.version_update(actor=request.user, version=stored, **fields)
        else:
            fields = {name: data[name] for name in VERSION_FIELDS if name in data}
            saved = services.version_create(
                actor=request.user, program=data["program"], year=data["year"], **fields
            )
        adopt(obj, saved)

    def save_formset(self, request, form, formset, change: bool) -> None:
        formset.save(commit=False)  # fills new, changed and deleted objects without writing
        version = form.instance
        if formset.model is ApplicationWindow:
            for window in formset.deleted_objects:
                services.window_delete(actor=request.user, window=window)
            for window, changed in formset.changed_objects:
                services.window_update(actor=request.user, window=window, **values(window, changed))
            for window in formset.new_objects:
                services.window_create(actor=request.user, version=version, **values(window, WINDOW_FIELDS))
        elif formset.model is EligibilityRule:
            for rule in formset.deleted_objects:
                services.rule_delete(actor=request.user, rule=rule)
            for rule, changed in formset.changed_objects:
                services.rule_update(actor=request.user, rule=rule, **values(rule, changed))
            for rule in formset.new_objects:
                services.rule_create(actor=request.user, version=version, **values(rule, RULE_FIELDS))


class ClosingFilter(admin.SimpleListFilter):
    title = _("deadline")
    parameter_name = "closing"

    def lookups(self, request, model_admin):
        return [
            ("open", _("Open today")),
            ("90", _("Closing within 90 days")),
            ("past", _("Closed")),
        ]

    def queryset(self, request, queryset):
        today = timezone.localdate()
        if self.value() == "open":
            return queryset.filter(opens_on__lte=today, closes_on__gte=today)
        if self.value() == "90":
            return queryset.filter(closes_on__gte=today, closes_on__lte=today + dt.timedelta(days=90))
        if self.value() == "past":
            return queryset.filter(closes_on__lt=today)
        return queryset


@admin.register(ApplicationWindow)
class ApplicationWindowAdmin(ReferenceAdmin):
    list_display = ["batch", "program", "year", "opens_on", "closes_on"]
    list_filter = [ClosingFilter, "version__program__program_type", "version__year", "version__program"]
    search_fields = ["batch", "version__program__code", "version__program__name", "version__program__name_en"]
    autocomplete_fields = ["version"]
    date_hierarchy = "closes_on"
    ordering = ["closes_on", "pk"]
    fields = ["version", "batch", "opens_on", "closes_on"]

    def get_queryset(self, request) -> QuerySet[ApplicationWindow]:
        # str() names the version and its programme, so the autocomplete reads them with the windows.
        return super().get_queryset(request).select_related("version__program")

    @admin.display(description=_("programme"), ordering="version__program__code")
    def program(self, obj: ApplicationWindow) -> str:
        return str(obj.version.program)

    @admin.display(description=_("year"), ordering="version__year")
    def year(self, obj: ApplicationWindow) -> int:
        return obj.version.year

    def get_readonly_fields(self, request, obj=None):
        return ["version"] if obj else []

    def save_model(self, request, obj: ApplicationWindow, form, change: bool) -> None:
        data = form.cleaned_data
        if change:
            stored = ApplicationWindow.objects.get(pk=obj.pk)
            fields = {name: data[name] for name in form.changed_data if name in WINDOW_FIELDS}
            saved = services.window_update(actor=request.user, window=stored, **fields)
        else:
            saved = services.window_create(
                actor=request.user, version=data["version"], **{name: data[name] for name in WINDOW_FIELDS}
            )
        adopt(obj, saved)

    def delete_model(self, request, obj: ApplicationWindow) -> None:
        services.window_delete(actor=request.user, window=obj)

    def delete_queryset(self, request, queryset) -> None:
        for window in queryset:
            services.window_delete(actor=request.user, window=window)


class RuleForm(forms.ModelForm):
    class Meta:
        model = EligibilityRule
        fields = ["version", "field", "operator", "threshold", "threshold_currency", "note"]
        widgets = {"field": RuleFieldInput}


@admin.register(EligibilityRule)
class EligibilityRuleAdmin(RuleFieldsMixin, ReferenceAdmin):
    form = RuleForm
    change_form_template = "admin/funding/rule_fields_change_form.html"
    list_display = ["version", "field_shown", "operator", "threshold_shown", "note"]
    list_filter = ["field", "operator", "version__program__program_type", "version__year"]
    search_fields = ["field", "note", "version__program__code", "version__program__name"]
    list_select_related = ["version__program"]
    autocomplete_fields = ["version"]

    @admin.display(description=_("lead field"), ordering="field")
    def field_shown(self, obj: EligibilityRule) -> str:
        return lead_field_label(obj.field)

    @admin.display(description=_("threshold"), ordering="threshold")
    def threshold_shown(self, obj: EligibilityRule) -> str:
        return rule_threshold(obj)

    def get_readonly_fields(self, request, obj=None):
        return ["version"] if obj else []

    def save_model(self, request, obj: EligibilityRule, form, change: bool) -> None:
        data = form.cleaned_data
        if change:
            stored = EligibilityRule.objects.get(pk=obj.pk)
            fields = {name: data[name] for name in form.changed_data if name in RULE_FIELDS}
            saved = services.rule_update(actor=request.user, rule=stored, **fields)
        else:
            saved = services.rule_create(
                actor=request.user, version=data["version"], **{name: data[name] for name in RULE_FIELDS}
            )
        adopt(obj, saved)

    def delete_model(self, request, obj: EligibilityRule) -> None:
        services.rule_delete(actor=request.user, rule=obj)

    def delete_queryset(self, request, queryset) -> None:
        for rule in queryset:
            services.rule_delete(actor=request.user, rule=rule)


# --- Exchange rates -------------------------------------------------------------------------------------------


class ExchangeRateForm(forms.ModelForm):
    class Meta:
        model = ExchangeRate
        fields = ["currency", "date", "rate_to_cny", "source"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if "currency" in self.fields:
            # A rate says what a foreign currency is worth in yuan; the yuan itself has none.
            self.fields["currency"].choices = [c for c in Currency.choices if c[0] != Currency.CNY]


@admin.register(ExchangeRate)
class ExchangeRateAdmin(ReferenceAdmin):
    form = ExchangeRateForm
    list_display = ["date", "currency", "rate_to_cny", "source"]
    list_display_links = ["date"]
    list_filter = ["currency"]
    search_fields = ["source"]
    date_hierarchy = "date"
    ordering = ["-date", "currency"]

    def get_readonly_fields(self, request, obj=None):
        # A rate is the rate of one currency on one day: correcting it keeps the day (exchange_rate_set).
        return ["currency", "date"] if obj else []

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # conversions already shown cite the rate they used

    def changelist_view(self, request, extra_context=None):
        extra_context = extra_context or {}
        if import_may_use(request.user, "funding.rates"):
            extra_context["rates_import_url"] = reverse("admin:core_importjob_add") + "?kind=funding.rates"
        return super().changelist_view(request, extra_context)

    def save_model(self, request, obj: ExchangeRate, form, change: bool) -> None:
        data = form.cleaned_data
        saved = services.exchange_rate_set(
            actor=request.user,
            currency=obj.currency if change else data["currency"],
            date=obj.date if change else data["date"],
            rate_to_cny=data["rate_to_cny"],
            source=data["source"],
        )
        adopt(obj, saved)


__all__ = [
    "ApplicationWindowAdmin",
    "EligibilityRuleAdmin",
    "ExchangeRateAdmin",
    "FundingProgramAdmin",
    "ProgramVersionAdmin",
]
