"""Funding applications and their tranches, seen by whoever sees the lead (funding.selectors).

An application's status never changes in its form: it moves through the actions and buttons of
application_actions.py, each calling one service. The form registers a draft (application_create) and changes
what application_update allows (the amount and batch of a draft, the document and clawback conditions)."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import DecimalField, OuterRef, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join, linebreaks
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.admin import ScopedAdmin
from core.admin_tables import ReadOnlyInline, change_url
from core.errors import ApplicationError
from funding import services
from funding.admin.application_actions import ApplicationActionsMixin, TrancheActionsMixin
from funding.admin.base import adopt, money, yes
from funding.admin.forms import AmountFieldsMixin
from funding.admin.pages import FundingPagesMixin
from funding.eligibility import evaluate
from funding.models import FundingApplication, ProgramType, ProgramVersion, Tranche
from funding.selectors import applications_visible_to
from projects.admin.leads import VisibleUnitFilter
from projects.selectors import lead_is_read_only_for, leads_changeable_by

Status = FundingApplication.Status
# What application_update takes; the amount and batch only while the application is a draft.
UPDATABLE = ("window", "requested_amount", "document", "clawback_note")
DRAFT_ONLY = ("window", "requested_amount")


def paid_total() -> Coalesce:
    """The paid tranches of each application, summed inside the page query (one query for any number of rows)."""
    paid = (
        Tranche.objects.filter(application=OuterRef("pk"), paid_on__isnull=False)
        .order_by()
        .values("application")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    return Coalesce(Subquery(paid), Decimal(0), output_field=DecimalField(max_digits=18, decimal_places=2))


class ApplicationForm(AmountFieldsMixin, forms.ModelForm):
    """Registers a draft (lead, version, batch, amount) or changes what application_update allows."""

    amount_fields = ("requested_amount",)

    class Meta:
        model = FundingApplication
        fields = ["lead", "version", *UPDATABLE]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if "document" in self.fields:
            # Only the lead's own documents can be cited (application_update checks it too).
            lead_id = self.instance.lead_id if self.instance.pk else None
            self.fields["document"].queryset = self.fields["document"].queryset.filter(lead_id=lead_id)
        if "version" in self.fields:
            # HK grants are recorded as held ("Record a Hong Kong grant"); fund money goes under the fund.
            self.fields["version"].queryset = ProgramVersion.objects.exclude(
                program__program_type__in=[ProgramType.HK_GRANT, ProgramType.FUND_INVESTMENT]
            )

    def form_currency(self) -> str:
        if self.instance.pk:
            return self.instance.currency
        version_id = (self.data or {}).get(self.add_prefix("version"))
        version = (
            ProgramVersion.objects.filter(pk=version_id).only("currency").first() if version_id else None
        )
        return version.currency if version else ""

    def amount_currency(self, cleaned: dict) -> str:
        # An application's currency is its version's: a typed HK$ figure for a CNY programme is refused here.
        version = self.instance.version if self.instance.pk else cleaned.get("version")
        return version.currency if version is not None else ""

    def _post_clean(self) -> None:
        # The instance is written by the services, which check it whole; the model's own validation here
        # would run before the status and currency are set.
        pass


class TrancheInline(ReadOnlyInline):
    """The application's instalments; an unpaid one carries the link to record its payment."""

    model = Tranche
    columns = ["planned_on", "amount_shown", "paid_on", "note", "pay"]
    can_pay = False

    def get_formset(self, request, obj=None, **kwargs):
        # One inline instance per request: the link is shown to those who may record a payment on this one.
        self.can_pay = bool(
            obj is not None
            and obj.status in (Status.APPROVED, Status.DISBURSING)
            and request.user.has_perm("funding.change_tranche")
            and not lead_is_read_only_for(request.user, obj.lead)
        )
        return super().get_formset(request, obj, **kwargs)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("application").order_by("planned_on", "pk")

    @admin.display(description=_("amount"))
    def amount_shown(self, obj: Tranche) -> str:
        return money(obj.amount, obj.application.currency)

    @admin.display(description=_("payment"))
    def pay(self, obj: Tranche) -> str:
        if obj.paid_on is not None or not self.can_pay:
            return "—"
        url = reverse("admin:funding_fundingapplication_pay_tranche", args=[obj.application_id, obj.pk])
        return format_html('<a href="{}">{}</a>', url, gettext("Record payment"))


class ApplicationTypeFilter(admin.SimpleListFilter):
    title = _("type")
    parameter_name = "type"

    def lookups(self, request, model_admin):
        return ProgramType.choices

    def queryset(self, request, queryset):
        if self.value() in ProgramType.values:
            return queryset.filter(version__program__program_type=self.value())
        return queryset


@admin.register(FundingApplication)
class FundingApplicationAdmin(FundingPagesMixin, ApplicationActionsMixin, ScopedAdmin):
    form = ApplicationForm
    change_list_template = "admin/funding/fundingapplication/change_list.html"
    change_form_template = "admin/funding/fundingapplication/change_form.html"
    show_full_result_count = False
    list_display = [
        "lead_code",
        "lead_name",
        "program_shown",
        "year",
        "batch",
        "status",
        "requested_shown",
        "approved_shown",
        "paid_shown",
        "submitted_on",
        "decision_date",
    ]
    list_display_links = ["lead_code"]
    list_select_related = ["lead", "version__program", "window"]
    list_filter = [
        "status",
        ApplicationTypeFilter,
        "version__program",
        "version__year",
        "currency",
        ("lead__owning_unit", VisibleUnitFilter),
    ]
    search_fields = [
        "lead__code",
        "lead__name",
        "lead__name_en",
        "version__program__code",
        "version__program__name",
        "version__program__name_en",
        "window__batch",
    ]
    search_help_text = _("Lead code or name, programme code or name, or batch.")
    autocomplete_fields = ["lead", "version", "window"]
    inlines = [TrancheInline]
    actions = ApplicationActionsMixin.application_actions

    def scope(self, user, queryset: QuerySet) -> QuerySet:
        return applications_visible_to(user, queryset)

    def get_queryset(self, request) -> QuerySet[FundingApplication]:
        return super().get_queryset(request).annotate(paid_total=paid_total())

    def get_object(self, request, object_id, from_field=None):
        queryset = self.get_queryset(request).select_related(
            "lead", "version__program", "window", "created_by", "document"
        )
        try:
            return queryset.get(pk=FundingApplication._meta.pk.to_python(object_id))
        except (FundingApplication.DoesNotExist, ValidationError, ValueError):
            return None

    # --- List -------------------------------------------------------------------------------------------------

    @admin.display(description=_("lead"), ordering="lead__code")
    def lead_code(self, obj: FundingApplication) -> str:
        return obj.lead.code

    @admin.display(description=_("name (Simplified Chinese)"), ordering="lead__name")
    def lead_name(self, obj: FundingApplication) -> str:
        return obj.lead.name

    @admin.display(description=_("programme"), ordering="version__program__code")
    def program_shown(self, obj: FundingApplication) -> str:
        return str(obj.version.program)

    @admin.display(description=_("year"), ordering="version__year")
    def year(self, obj: FundingApplication) -> int:
        return obj.version.year

    @admin.display(description=_("batch"), ordering="window__opens_on")
    def batch(self, obj: FundingApplication) -> str:
        return obj.window.batch if obj.window else "—"

    @admin.display(description=_("requested amount"), ordering="requested_amount")
    def requested_shown(self, obj: FundingApplication) -> str:
        return money(obj.requested_amount, obj.currency)

    @admin.display(description=_("approved amount"), ordering="approved_amount")
    def approved_shown(self, obj: FundingApplication) -> str:
        return money(obj.approved_amount, obj.currency)

    @admin.display(description=_("paid"), ordering="paid_total")
    def paid_shown(self, obj: FundingApplication) -> str:
        paid = getattr(obj, "paid_total", None)
        return money(paid, obj.currency) if paid else "—"

    # --- Page -------------------------------------------------------------------------------------------------

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [(None, {"fields": ["lead", "version", "window", "requested_amount", "clawback_note"]})]
        return [
            (None, {"fields": ["lead_link", "version", "window", "status", "currency"]}),
            (
                _("Amounts"),
                {"fields": ["requested_amount", "approved_shown", "paid_shown", "matching_basis_shown"]},
            ),
            (_("Dates"), {"fields": [("submitted_on", "decision_date", "closed_on")]}),
            (_("Eligibility"), {"fields": ["eligibility"]}),
            (_("Conditions and document"), {"fields": ["clawback_note", "document"]}),
            (_("Record"), {"fields": ["created_by", "created_at", "updated_at"], "classes": ["collapse"]}),
        ]

    def get_inlines(self, request, obj):
        # Tranches belong to an approved application: none on the page that registers a draft.
        return self.inlines if obj else []

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        readonly = [
            "lead_link",
            "version",
            "status",
            "currency",
            "approved_shown",
            "paid_shown",
            "matching_basis_shown",
            "submitted_on",
            "decision_date",
            "closed_on",
            "eligibility",
            "created_by",
            "created_at",
            "updated_at",
        ]
        if obj.status != Status.DRAFT:
            readonly += list(DRAFT_ONLY)
        return readonly

    def has_change_permission(self, request, obj=None) -> bool:
        # A lead only offered to the user's unit (a pending hand-over) is read, not changed.
        if obj is not None and lead_is_read_only_for(request.user, obj.lead):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # an application is a record: a mistaken draft is rejected or left, never removed

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "lead":
            kwargs["queryset"] = leads_changeable_by(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description=_("lead"))
    def lead_link(self, obj: FundingApplication) -> str:
        return format_html('<a href="{}">{}</a>', change_url(obj.lead), obj.lead)

    @admin.display(description=_("matching basis"))
    def matching_basis_shown(self, obj: FundingApplication) -> str:
        return linebreaks(obj.matching_basis) if obj.matching_basis else "—"

    @admin.display(description=_("eligibility"))
    def eligibility(self, obj: FundingApplication) -> str:
        if obj.version.program.program_type == ProgramType.HK_GRANT:
            return "—"
        today = timezone.localdate()
        try:
            result = evaluate(lead=obj.lead, version=obj.version, on=today, window=obj.window)
        except ApplicationError as error:
            return error.message
        if not result.results:
            return gettext("This version sets no eligibility rules.")
        summary = (
            gettext("Eligible on %(date)s.") if result.eligible else gettext("Not eligible on %(date)s.")
        )
        lines = format_html_join("", "<li>{} {}</li>", ((yes(r.met), r.text) for r in result.results))
        return format_html("<p>{}</p><ul>{}</ul>", summary % {"date": today}, lines)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context["application_tools"] = self.application_tools(request, obj)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def changelist_view(self, request, extra_context=None):
        extra_context = extra_context or {}
        if self.has_add_permission(request):
            extra_context["hk_grant_url"] = reverse("admin:funding_fundingapplication_hk_grant")
        return super().changelist_view(request, extra_context)

    def save_model(self, request, obj: FundingApplication, form, change: bool) -> None:
        data = form.cleaned_data
        if change:
            fields = {name: data[name] for name in form.changed_data if name in UPDATABLE}
            if not fields:
                return
            stored = FundingApplication.objects.get(pk=obj.pk)
            saved = services.application_update(actor=request.user, application=stored, **fields)
        else:
            saved = services.application_create(
                actor=request.user,
                lead=data["lead"],
                version=data["version"],
                window=data.get("window"),
                requested_amount=data.get("requested_amount"),
                clawback_note=data.get("clawback_note", ""),
            )
        adopt(obj, saved)


class PaidFilter(admin.SimpleListFilter):
    title = _("payment")
    parameter_name = "paid"

    def lookups(self, request, model_admin):
        return [
            ("no", _("Not paid yet")),
            ("overdue", _("Planned date passed, not paid")),
            ("yes", _("Paid")),
        ]

    def queryset(self, request, queryset):
        if self.value() == "no":
            return queryset.filter(paid_on__isnull=True)
        if self.value() == "overdue":
            return queryset.filter(paid_on__isnull=True, planned_on__lt=timezone.localdate())
        if self.value() == "yes":
            return queryset.filter(paid_on__isnull=False)
        return queryset


@admin.register(Tranche)
class TrancheAdmin(TrancheActionsMixin, ScopedAdmin):
    """Tranches across applications, for the payments due. Planned and paid from the application's page."""

    show_full_result_count = False
    list_display = ["planned_on", "lead", "program", "amount_shown", "paid_on", "note"]
    list_display_links = ["planned_on"]
    list_select_related = ["application__lead", "application__version__program"]
    list_filter = [PaidFilter, "application__currency", "application__version__program"]
    search_fields = ["application__lead__code", "application__lead__name", "note"]
    date_hierarchy = "planned_on"
    ordering = ["planned_on", "pk"]
    fields = ["application", "planned_on", "amount_shown", "paid_on", "note"]
    readonly_fields = fields
    actions = TrancheActionsMixin.tranche_actions

    def scope(self, user, queryset: QuerySet) -> QuerySet:
        return queryset.filter(application__in=applications_visible_to(user).values("pk"))

    def get_queryset(self, request) -> QuerySet[Tranche]:
        return (
            super().get_queryset(request).select_related("application__lead", "application__version__program")
        )

    @admin.display(description=_("lead"), ordering="application__lead__code")
    def lead(self, obj: Tranche) -> str:
        return str(obj.application.lead)

    @admin.display(description=_("programme"))
    def program(self, obj: Tranche) -> str:
        return str(obj.application.version)

    @admin.display(description=_("amount"), ordering="amount")
    def amount_shown(self, obj: Tranche) -> str:
        return money(obj.amount, obj.application.currency)

    def has_add_permission(self, request) -> bool:
        return False  # planned from the application's page, against its approval

    def has_change_permission(self, request, obj=None) -> bool:
        # The page is read-only; the permission gates the "record payment" action.
        return obj is None and super().has_change_permission(request)

    def has_delete_permission(self, request, obj=None) -> bool:
        # A paid tranche is a record of money sent; an unpaid one may be cancelled (tranche_cancel).
        if obj is not None and obj.paid_on is not None:
            return False
        return super().has_delete_permission(request, obj)

    def delete_model(self, request, obj: Tranche) -> None:
        services.tranche_cancel(actor=request.user, tranche=obj)

    def delete_queryset(self, request, queryset) -> None:
        for tranche in queryset:
            services.tranche_cancel(actor=request.user, tranche=tranche)
