"""Annual targets in the admin: managers set them for the units they head or manage and those units' officers
(reporting.targets), through reporting.services; the list shows each target's progress."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.admin import ScopedAdmin
from core.errors import ApplicationError
from reporting import services
from reporting.models import Target
from reporting.targets import AMOUNT_METRICS, percent, target_actuals, targets_manageable_filter

# What names a target: set when it is added, fixed afterwards (another year or metric is another target).
IDENTITY = ["year", "metric", "unit", "officer"]


class TargetForm(forms.ModelForm):
    class Meta:
        model = Target
        fields = [*IDENTITY, "value", "note"]

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk is None:
            try:
                services.target_check_scope(
                    actor=self.actor,  # type: ignore[attr-defined]  # set by ScopedAdmin.get_form
                    unit=cleaned.get("unit"),
                    officer=cleaned.get("officer"),
                )
            except ApplicationError as error:
                self.add_error(error.field, error.message)
        return cleaned


class TargetChangeList(ChangeList):
    def get_results(self, request) -> None:
        super().get_results(request)
        # The page's actuals in one batch (a fixed few queries), not per row.
        actuals = target_actuals(request.user, self.result_list)
        for target in self.result_list:
            target.progress = actuals[target.pk]


def _figure(value: int | Decimal) -> str:
    return f"{value:,.2f}" if isinstance(value, Decimal) else f"{value:,}"


@admin.register(Target)
class TargetAdmin(ScopedAdmin):
    form = TargetForm
    list_display = ["year", "whose", "metric", "value_shown", "progress"]
    list_display_links = ["year", "whose"]
    list_filter = ["year", "metric", ("unit", admin.RelatedOnlyFieldListFilter)]
    search_fields = [
        "unit__name",
        "unit__name_en",
        "officer__username",
        "officer__first_name",
        "officer__last_name",
    ]
    autocomplete_fields = ["unit", "officer"]
    list_select_related = ["unit", "officer"]
    fields = [*IDENTITY, "value", "note"]
    # The scoped COUNT is enough; a second one over every visible target adds nothing here.
    show_full_result_count = False

    def scope(self, user, queryset: QuerySet) -> QuerySet:
        return queryset.filter(targets_manageable_filter(user))

    def get_changelist(self, request, **kwargs):
        return TargetChangeList

    def get_readonly_fields(self, request, obj=None):
        return IDENTITY if obj is not None else []

    def get_changeform_initial_data(self, request):
        return {"year": timezone.localdate().year, **super().get_changeform_initial_data(request)}

    @admin.display(description=_("unit or officer"))
    def whose(self, obj: Target) -> str:
        return obj.whose

    @admin.display(description=_("target"), ordering="value")
    def value_shown(self, obj: Target) -> str:
        return _figure(obj.value if obj.metric in AMOUNT_METRICS else int(obj.value))

    @admin.display(description=_("progress"))
    def progress(self, obj: Target) -> str:
        progress = getattr(obj, "progress", None)
        if progress is None:
            return "—"
        shown = _figure(progress["actual"])
        share = percent(progress["actual"], obj.value)
        if share is not None:
            shown = f"{shown} ({share:.1f}%)"
        if progress["unconverted"]:
            missing = ", ".join(f"{row['amount']:,.2f} {row['currency']}" for row in progress["unconverted"])
            shown += " · " + gettext("not converted, no rate: %(amounts)s") % {"amounts": missing}
        return shown

    def save_model(self, request, obj: Target, form, change: bool) -> None:
        data = form.cleaned_data
        identity = (
            {name: getattr(obj, name) for name in IDENTITY} if change else {n: data[n] for n in IDENTITY}
        )
        saved = services.target_set(actor=request.user, value=data["value"], note=data["note"], **identity)
        for field in Target._meta.concrete_fields:
            setattr(obj, field.attname, getattr(saved, field.attname))
        obj._state.adding = False

    def delete_model(self, request, obj: Target) -> None:
        services.target_delete(actor=request.user, target=obj)

    def delete_queryset(self, request, queryset: QuerySet) -> None:
        for target in queryset.select_related("unit", "officer"):
            services.target_delete(actor=request.user, target=target)
