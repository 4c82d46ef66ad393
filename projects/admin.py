from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from core.admin import ScopedAdmin
from core.errors import ApplicationError
from projects import services
from projects.models import Lead
from projects.selectors import leads_visible_to


class LeadForm(forms.ModelForm):
    class Meta:
        model = Lead
        fields = [
            "name",
            "lead_type",
            "source_channel",
            "hk_organization",
            "subject_contact",
            "owning_unit",
            "co_owners",
            "confidential",
        ]

    def clean(self):
        cleaned = super().clean()
        unit = cleaned.get("owning_unit")
        if not self.instance.pk and unit is not None:
            try:
                services.lead_check_ownership(actor=self.actor, owner=self.actor, owning_unit=unit)
            except ApplicationError as exc:
                field = exc.field if exc.field in self.fields else None
                raise ValidationError({field: exc.message}) from exc
        return cleaned


@admin.register(Lead)
class LeadAdmin(ScopedAdmin):
    form = LeadForm
    list_display = ["name", "owner", "owning_unit", "status", "confidential", "created_at"]
    list_filter = ["status", "confidential", "owning_unit"]
    search_fields = ["name"]
    list_select_related = ["owner", "owning_unit"]
    autocomplete_fields = ["owning_unit", "co_owners", "hk_organization", "subject_contact"]
    readonly_fields = ["owner", "status", "created_at", "updated_at"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "name",
                    "lead_type",
                    "source_channel",
                    "hk_organization",
                    "subject_contact",
                    "status",
                    "confidential",
                ]
            },
        ),
        (_("Ownership"), {"fields": ["owner", "owning_unit", "co_owners"]}),
        (_("Record"), {"fields": ["created_at", "updated_at"]}),
    ]

    def scope(self, user, queryset: QuerySet) -> QuerySet:
        return leads_visible_to(user, queryset)

    def get_readonly_fields(self, request, obj=None):
        # The owning unit changes through a hand-over once the lead exists.
        return [*self.readonly_fields, "owning_unit", "lead_type"] if obj else self.readonly_fields

    def save_model(self, request, obj: Lead, form, change: bool) -> None:
        data = form.cleaned_data
        fields = {
            k: data[k] for k in ("name", "hk_organization", "subject_contact", "confidential") if k in data
        }
        if change:
            services.lead_update(actor=request.user, lead=obj, co_owners=data["co_owners"], **fields)
        else:
            created = services.lead_create(
                actor=request.user,
                lead_type=data["lead_type"],
                source_channel=data["source_channel"],
                owning_unit=data["owning_unit"],
                co_owners=data["co_owners"],
                **fields,
            )
            obj.pk = created.pk

    def save_related(self, request, form, formsets, change: bool) -> None:
        # Co-owners were saved by the service; only inline formsets remain.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)
