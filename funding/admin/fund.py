"""The cross-border fund: investors' commitments with their capital calls, and the fund's investments in leads.

Commitments and calls are the fund's own books (no lead behind them): every role that may view them sees them
all. An investment is a lead's record, seen by whoever sees the lead. No service changes a recorded row, so
existing rows are read-only; new ones go through commitment_create, capital_call and investment_create."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.contrib import admin
from django.db.models import DecimalField, OuterRef, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from core.admin import ReferenceAdmin, ScopedAdmin
from funding import services
from funding.admin.base import adopt, money
from funding.admin.forms import AmountFieldsMixin, fund_programs
from funding.models import CapitalCall, FundCommitment, FundInvestment
from projects.selectors import leads_changeable_by, leads_visible_to

COMMITMENT_FIELDS = ["fund", "investor", "committed_on", "amount", "currency", "note"]
INVESTMENT_FIELDS = ["fund", "lead", "invested_on", "amount", "currency", "note"]


def called_total() -> Coalesce:
    called = (
        CapitalCall.objects.filter(commitment=OuterRef("pk"))
        .order_by()
        .values("commitment")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    return Coalesce(Subquery(called), Decimal(0), output_field=DecimalField(max_digits=18, decimal_places=2))


class CommitmentForm(AmountFieldsMixin, forms.ModelForm):
    amount_fields = ("amount",)

    class Meta:
        model = FundCommitment
        fields = COMMITMENT_FIELDS


class CapitalCallInline(admin.TabularInline):
    """New calls go through capital_call (never more, in total, than the commitment); a recorded call stays."""

    model = CapitalCall
    fields = ["called_on", "amount", "paid_on"]
    extra = 0
    can_delete = False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(FundCommitment)
class FundCommitmentAdmin(ReferenceAdmin):
    form = CommitmentForm
    list_display = ["investor", "fund", "committed_on", "amount_shown", "called_shown", "note"]
    list_display_links = ["investor"]
    list_select_related = ["fund", "investor"]
    list_filter = ["fund", "currency"]
    search_fields = [
        "investor__name",
        "investor__name_en",
        "investor__abbreviation",
        "fund__code",
        "fund__name",
    ]
    autocomplete_fields = ["investor"]
    date_hierarchy = "committed_on"
    inlines = [CapitalCallInline]

    def get_queryset(self, request) -> QuerySet[FundCommitment]:
        return super().get_queryset(request).annotate(called_total=called_total())

    @admin.display(description=_("committed amount"), ordering="amount")
    def amount_shown(self, obj: FundCommitment) -> str:
        return money(obj.amount, obj.currency)

    @admin.display(description=_("called"), ordering="called_total")
    def called_shown(self, obj: FundCommitment) -> str:
        return money(obj.called_total, obj.currency) if obj.called_total else "—"

    def get_readonly_fields(self, request, obj=None):
        return [*COMMITMENT_FIELDS, "called_shown"] if obj else []

    def get_fields(self, request, obj=None):
        return [*COMMITMENT_FIELDS, "called_shown"] if obj else COMMITMENT_FIELDS

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "fund":
            kwargs["queryset"] = fund_programs()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj: FundCommitment, form, change: bool) -> None:
        if change:
            return  # the commitment itself is read-only; its page adds capital calls
        data = form.cleaned_data
        saved = services.commitment_create(
            actor=request.user, **{name: data[name] for name in COMMITMENT_FIELDS}
        )
        adopt(obj, saved)

    def save_formset(self, request, form, formset, change: bool) -> None:
        formset.save(commit=False)
        for call in formset.new_objects:
            services.capital_call(
                actor=request.user,
                commitment=form.instance,
                called_on=call.called_on,
                amount=call.amount,
                paid_on=call.paid_on,
            )


@admin.register(CapitalCall)
class CapitalCallAdmin(ReferenceAdmin):
    """The calls of every commitment, for the fund's cash view; calls are made on the commitment's page."""

    list_display = ["called_on", "investor", "fund", "amount_shown", "paid_on"]
    list_select_related = ["commitment__fund", "commitment__investor"]
    list_filter = ["commitment__fund", "commitment__currency"]
    search_fields = ["commitment__investor__name", "commitment__investor__abbreviation"]
    date_hierarchy = "called_on"
    fields = ["commitment", "called_on", "amount_shown", "paid_on"]
    readonly_fields = fields

    def get_queryset(self, request) -> QuerySet[CapitalCall]:
        return super().get_queryset(request).select_related("commitment__fund", "commitment__investor")

    @admin.display(description=_("investor"), ordering="commitment__investor__name")
    def investor(self, obj: CapitalCall) -> str:
        return str(obj.commitment.investor)

    @admin.display(description=_("fund"))
    def fund(self, obj: CapitalCall) -> str:
        return str(obj.commitment.fund)

    @admin.display(description=_("amount"), ordering="amount")
    def amount_shown(self, obj: CapitalCall) -> str:
        return money(obj.amount, obj.commitment.currency)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class InvestmentForm(AmountFieldsMixin, forms.ModelForm):
    amount_fields = ("amount",)

    class Meta:
        model = FundInvestment
        fields = INVESTMENT_FIELDS


@admin.register(FundInvestment)
class FundInvestmentAdmin(ScopedAdmin):
    form = InvestmentForm
    show_full_result_count = False
    list_display = ["invested_on", "lead", "fund", "amount_shown", "note"]
    list_display_links = ["invested_on"]
    list_select_related = ["fund", "lead"]
    list_filter = ["fund", "currency"]
    search_fields = ["lead__code", "lead__name", "lead__name_en", "note"]
    autocomplete_fields = ["lead"]
    date_hierarchy = "invested_on"

    def scope(self, user, queryset: QuerySet) -> QuerySet:
        return queryset.filter(lead__in=leads_visible_to(user).values("pk"))

    @admin.display(description=_("amount"), ordering="amount")
    def amount_shown(self, obj: FundInvestment) -> str:
        return money(obj.amount, obj.currency)

    def get_readonly_fields(self, request, obj=None):
        return [*INVESTMENT_FIELDS] if obj else []

    def has_change_permission(self, request, obj=None) -> bool:
        return obj is None and super().has_change_permission(request)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "fund":
            kwargs["queryset"] = fund_programs()
        elif db_field.name == "lead":
            kwargs["queryset"] = leads_changeable_by(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj: FundInvestment, form, change: bool) -> None:
        data = form.cleaned_data
        saved = services.investment_create(
            actor=request.user, **{name: data[name] for name in INVESTMENT_FIELDS}
        )
        adopt(obj, saved)
