"""The lead page's inlines. Each one reads its rows with one query (plus one per prefetched relation), however
many rows there are; rows are written only through the services (see LeadAdmin.save_formset)."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.forms.models import BaseInlineFormSet
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from directory.models import Carrier
from projects.evidence import STAGE_NEEDS
from projects.models import (
    Activity,
    CapitalInjection,
    CoordinationNeed,
    Document,
    LeadContact,
    Signing,
    StageChange,
)
from talent.selectors import contacts_visible_to


def document_links(documents) -> str:
    return (
        format_html_join(
            ", ",
            '<a href="{}">{}</a>',
            ((reverse("projects:document-download", kwargs={"pk": d.pk}), d.title) for d in documents),
        )
        or "—"
    )


class ReadOnlyInline(admin.TabularInline):
    """Rows created elsewhere (actions, record pages, other services): listed, never edited here."""

    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


# --- Stage history ------------------------------------------------------------------------------------------


class StageChangeFormSet(BaseInlineFormSet):
    """Names the carriers cited in all rows' evidence with one query, whatever the number of rows."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        changes = list(self.get_queryset())  # fills the queryset's cache: the forms reuse these objects
        carrier_ids = {
            carrier_id
            for change in changes
            for key in ("carrier_ids", "carrier_id")
            for carrier_id in _as_list(change.evidence.get(key))
        }
        names = (
            dict(Carrier.objects.filter(pk__in=carrier_ids).values_list("pk", "name")) if carrier_ids else {}
        )
        for change in changes:
            change.carrier_names = names


def _as_list(value) -> list:
    if value in (None, ""):
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _admin_link(model: str, pk) -> str:
    return format_html('<a href="{}">#{}</a>', reverse(f"admin:projects_{model}_change", args=[pk]), pk)


def evidence_summary(change: StageChange) -> str:
    """The evidence as 'label: value' lines, in the order the stage lists its needs."""
    evidence = dict(change.evidence or {})
    lines = []
    for need in STAGE_NEEDS.get(change.to_stage, []):
        if need.key not in evidence:
            continue
        value = evidence.pop(need.key)
        if need.kind == "documents":
            shown = document_links(change.documents.all())
        elif need.kind in {"carriers", "carrier"}:
            names = getattr(change, "carrier_names", {})
            shown = ", ".join(names.get(pk, f"#{pk}") for pk in _as_list(value))
        elif need.kind == "activity":
            shown = _admin_link("activity", value)
        elif need.kind == "signing":
            shown = _admin_link("signing", value)
        elif need.kind == "org_lead":
            shown = _admin_link("lead", value)
        elif need.kind == "choice":
            shown = str(dict(need.choices).get(value, value))
        else:
            shown = str(value)
        lines.append(format_html("{}: {}", need.label, shown))
    # Imported history may carry keys no stage lists; show them as they are.
    lines.extend(format_html("{}: {}", key, value) for key, value in evidence.items())
    # One line each; <br>, not <div>: the inline table puts read-only values inside a <p>.
    return format_html_join(mark_safe("<br>"), "{}", ((line,) for line in lines)) or "—"


class StageChangeInline(ReadOnlyInline):
    model = StageChange
    formset = StageChangeFormSet
    fields = ["move", "occurred_at", "actor", "note", "evidence_shown", "imported"]
    readonly_fields = fields
    show_change_link = False
    verbose_name_plural = _("stage history")

    def get_queryset(self, request):
        # Oldest first, newest last: the history reads down like the ledger it replaces.
        return (
            super()
            .get_queryset(request)
            .select_related("actor")
            .prefetch_related("documents")
            .order_by("occurred_at", "pk")
        )

    @admin.display(description=_("move"))
    def move(self, obj: StageChange) -> str:
        return str(obj)

    @admin.display(description=_("evidence"))
    def evidence_shown(self, obj: StageChange) -> str:
        return evidence_summary(obj)


# --- Records ------------------------------------------------------------------------------------------------


class SigningInline(ReadOnlyInline):
    model = Signing
    fields = ["signed_on", "kind", "investor", "amount", "currency", "credited_event", "documents_shown"]
    readonly_fields = fields

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("investor", "credited_event")
            .prefetch_related("documents")
        )

    @admin.display(description=_("documents"))
    def documents_shown(self, obj: Signing) -> str:
        return document_links(obj.documents.all())


class CapitalInjectionInline(ReadOnlyInline):
    model = CapitalInjection
    fields = ["received_on", "amount", "currency", "note", "documents_shown"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("documents")

    @admin.display(description=_("documents"))
    def documents_shown(self, obj: CapitalInjection) -> str:
        return document_links(obj.documents.all())


class DocumentInline(ReadOnlyInline):
    model = Document
    fields = ["download", "kind", "original_name", "size", "attached", "uploaded_by", "uploaded_at"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("uploaded_by")

    @admin.display(description=_("title"))
    def download(self, obj: Document) -> str:
        return document_links([obj])


class ActivityInline(ReadOnlyInline):
    model = Activity
    fields = ["occurred_at", "kind", "summary", "created_by"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("created_by")


# --- Rows added here through the services ---------------------------------------------------------------------


class LeadContactInline(admin.TabularInline):
    """New rows go through lead_contact_add; a link is never edited in place (no service changes one)."""

    model = LeadContact
    fields = ["contact", "role"]
    autocomplete_fields = ["contact"]
    extra = 0
    can_delete = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("contact")

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "contact":
            kwargs["queryset"] = contacts_visible_to(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class CoordinationNeedForm(forms.ModelForm):
    """A new need takes its request, department and due date; a recorded one only its resolution."""

    class Meta:
        model = CoordinationNeed
        fields = ["request", "department", "due_on", "resolution", "resolved_on"]
        widgets = {
            "request": forms.Textarea(attrs={"rows": 2, "cols": 40}),
            "resolution": forms.Textarea(attrs={"rows": 2, "cols": 40}),
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        recorded = ("request", "department", "due_on")
        for name in recorded if self.instance.pk else ("resolution", "resolved_on"):
            self.fields[name].disabled = True


class CoordinationNeedInline(admin.TabularInline):
    """New needs go through coordination_need_add; resolving one goes through coordination_need_resolve."""

    model = CoordinationNeed
    form = CoordinationNeedForm
    extra = 0
    can_delete = False
