"""The lead page's inlines. Each one reads its rows with one query (plus one per prefetched relation), however
many rows there are; rows are written only through the services (see LeadAdmin.save_formset)."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.admin_tables import ReadOnlyInline, ReadOnlyTableFormSet, change_url
from directory.models import Carrier
from projects.evidence import STAGE_NEEDS
from projects.models import (
    Activity,
    AftercareTouchpoint,
    CapitalInjection,
    CoordinationNeed,
    Document,
    LeadContact,
    Milestone,
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


# --- Stage history ------------------------------------------------------------------------------------------


class StageChangeFormSet(ReadOnlyTableFormSet):
    """Names the carriers cited in all rows' evidence with one query, whatever the number of rows."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        changes = list(self.get_queryset())  # fills the queryset's cache: the table reuses these objects
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
    columns = ["move", "occurred_at", "actor", "note", "evidence_shown", "imported"]
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
    columns = ["signed_on", "kind", "investor", "amount", "currency", "credited_event", "documents_shown"]
    link_column = "signed_on"

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
    columns = ["received_on", "amount", "currency", "note", "documents_shown"]
    link_column = "received_on"

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("documents")

    @admin.display(description=_("documents"))
    def documents_shown(self, obj: CapitalInjection) -> str:
        return document_links(obj.documents.all())


class DocumentInline(ReadOnlyInline):
    model = Document
    columns = ["download", "kind", "original_name", "size", "attached", "uploaded_by", "uploaded_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("uploaded_by")

    @admin.display(description=_("title"))
    def download(self, obj: Document) -> str:
        return document_links([obj])


class ActivityInline(ReadOnlyInline):
    model = Activity
    columns = ["occurred_at", "kind", "summary", "next_step", "next_step_on", "created_by"]
    link_column = "occurred_at"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("created_by")


# --- Passes -------------------------------------------------------------------------------------------------


class MilestoneInline(ReadOnlyInline):
    """The lead's checklist, pass by pass; each title opens the milestone's page, where it is completed."""

    model = Milestone
    fk_name = "lead"
    columns = ["lead_pass", "title_shown", "due_shown", "status", "assignee", "completed_at"]
    verbose_name_plural = _("pass milestones")

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("lead_pass", "template", "assignee")
            .order_by("lead_pass__order", "due_on", "pk")
        )

    @admin.display(description=_("title"))
    def title_shown(self, obj: Milestone) -> str:
        return format_html('<a href="{}">{}</a>', change_url(obj), obj.display_title)

    @admin.display(description=_("due date"))
    def due_shown(self, obj: Milestone) -> str:
        if obj.due_on is None:
            return "—"
        overdue = obj.status == Milestone.Status.OPEN and obj.due_on < timezone.localdate()
        label = obj.due_on.isoformat() + (f" ({gettext('provisional')})" if obj.due_provisional else "")
        return format_html('<span class="overdue-marker">⚠ {}</span>', label) if overdue else label


class AftercareInline(ReadOnlyInline):
    model = AftercareTouchpoint
    columns = ["months", "due_on", "done_at", "activity"]
    verbose_name_plural = _("aftercare plan")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("activity")


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
