"""Admins of a lead's records, for finding them across leads. Each is scoped through its lead: a record is
visible exactly when its lead is. New rows go through the services; rows no service changes are view-only."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import Http404
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from core.admin import ScopedAdmin
from projects import services
from projects.admin.inlines import document_links, evidence_summary
from projects.models import (
    Activity,
    CapitalInjection,
    CoordinationNeed,
    Document,
    LeadContact,
    Signing,
    StageChange,
)
from projects.selectors import leads_changeable_by, leads_visible_to
from talent.selectors import contacts_visible_to


def adopt(obj, saved) -> None:
    """Make the admin's unsaved object the row the service saved, for the redirect and the change message."""
    for field in type(saved)._meta.concrete_fields:
        setattr(obj, field.attname, getattr(saved, field.attname))
    obj._state.adding = False


class LeadRecordAdmin(ScopedAdmin):
    """A record of a lead: seen by whoever sees the lead, changed by no one unless a subclass says how."""

    # The scoped COUNT is enough; a second one over all visible rows adds nothing to these lists.
    show_full_result_count = False

    def scope(self, user, queryset: QuerySet) -> QuerySet:
        return queryset.filter(lead__in=leads_visible_to(user).values("pk"))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # The lead chosen in a form is checked against the same scope as the lists, not just offered from it.
        if db_field.name == "lead":
            # Visible is not enough: a lead only offered to the user's unit is read-only for them.
            kwargs["queryset"] = leads_changeable_by(request.user)
        elif db_field.name == "contact":
            kwargs["queryset"] = contacts_visible_to(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_change_permission(self, request, obj=None) -> bool:
        # No service edits these rows: an existing one opens as a read-only page.
        return obj is None and super().has_change_permission(request)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Signing)
class SigningAdmin(LeadRecordAdmin):
    list_display = [
        "signed_on",
        "lead",
        "kind",
        "investor",
        "amount",
        "currency",
        "credited_event",
        "created_by",
    ]
    list_filter = ["kind", "currency"]
    search_fields = ["lead__code", "lead__name", "investor__name", "investor__abbreviation"]
    list_select_related = ["lead", "investor", "credited_event", "created_by"]
    autocomplete_fields = ["lead", "investor", "event"]
    date_hierarchy = "signed_on"

    def has_add_permission(self, request) -> bool:
        # Recorded from the lead's page ("Record a signing"), where the agreement is uploaded with it.
        return False


@admin.register(CapitalInjection)
class CapitalInjectionAdmin(LeadRecordAdmin):
    list_display = ["received_on", "lead", "amount", "currency", "created_by"]
    list_filter = ["currency"]
    search_fields = ["lead__code", "lead__name", "note"]
    list_select_related = ["lead", "created_by"]
    autocomplete_fields = ["lead"]
    date_hierarchy = "received_on"

    def has_add_permission(self, request) -> bool:
        return False  # recorded from the lead's page, like signings


@admin.register(Document)
class DocumentAdmin(LeadRecordAdmin):
    list_display = [
        "download",
        "lead",
        "kind",
        "original_name",
        "size",
        "attached",
        "uploaded_by",
        "uploaded_at",
    ]
    list_filter = ["kind", "attached"]
    search_fields = ["title", "original_name", "lead__code", "lead__name"]
    list_select_related = ["lead", "uploaded_by"]
    autocomplete_fields = ["lead"]
    date_hierarchy = "uploaded_at"
    fields = ["lead", "kind", "title", "file"]

    @admin.display(description=_("title"), ordering="title")
    def download(self, obj: Document) -> str:
        return document_links([obj])

    def get_fields(self, request, obj=None):
        if obj is None:
            return self.fields
        return [
            "lead",
            "kind",
            "download",
            "original_name",
            "content_type",
            "size",
            "attached",
            "uploaded_by",
        ]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "title":
            field.required = False
            field.help_text = _("Defaults to the file name.")
        return field

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj) if obj else []

    def save_model(self, request, obj: Document, form, change: bool) -> None:
        data = form.cleaned_data
        # Uploaded to the lead's own document list, the file belongs to the lead itself: it is attached
        # (Document.attached), so the purge of abandoned evidence uploads leaves it alone.
        saved = services.document_upload(
            actor=request.user,
            lead=data["lead"],
            file=data["file"],
            title=data["title"],
            kind=data["kind"],
            attached=True,
        )
        adopt(obj, saved)


@admin.register(StageChange)
class StageChangeAdmin(LeadRecordAdmin):
    """Append-only: the funnel is computed from these rows, so they are never added, changed or deleted here."""

    list_display = ["occurred_at", "lead", "move", "actor", "imported"]
    list_filter = ["to_stage", "imported"]
    search_fields = ["lead__code", "lead__name", "note"]
    list_select_related = ["lead", "actor"]
    date_hierarchy = "occurred_at"
    fields = ["lead", "move", "occurred_at", "recorded_at", "actor", "note", "evidence_shown", "imported"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("documents")

    def history_view(self, request, object_id, extra_context=None):
        # Append-only rows keep no simple-history table: the admin's own log is their history.
        self._scoped_object_or_404(request, object_id)
        return admin.ModelAdmin.history_view(self, request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        raise Http404

    @admin.display(description=_("move"))
    def move(self, obj: StageChange) -> str:
        return str(obj)

    @admin.display(description=_("evidence"))
    def evidence_shown(self, obj: StageChange) -> str:
        return evidence_summary(obj)

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(Activity)
class ActivityAdmin(LeadRecordAdmin):
    list_display = ["occurred_at", "lead", "kind", "summary_start", "next_step", "next_step_on", "created_by"]
    list_filter = ["kind"]
    search_fields = ["summary", "next_step", "lead__code", "lead__name"]
    list_select_related = ["lead", "created_by"]
    autocomplete_fields = ["lead", "participants", "contacts"]
    date_hierarchy = "occurred_at"
    fields = [
        "lead",
        "kind",
        "occurred_at",
        "summary",
        "participants",
        "contacts",
        "next_step",
        "next_step_on",
    ]

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "contacts":
            kwargs["queryset"] = contacts_visible_to(request.user)
        elif db_field.name == "participants":
            kwargs["queryset"] = User.objects.filter(is_active=True)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    @admin.display(description=_("summary"))
    def summary_start(self, obj: Activity) -> str:
        return Truncator(obj.summary).chars(60)

    def save_model(self, request, obj: Activity, form, change: bool) -> None:
        data = form.cleaned_data
        saved = services.activity_log(
            actor=request.user,
            lead=data["lead"],
            kind=data["kind"],
            occurred_at=data["occurred_at"],
            summary=data["summary"],
            participants=data["participants"],
            contacts=data["contacts"],
            next_step=data["next_step"],
            next_step_on=data["next_step_on"],
        )
        adopt(obj, saved)

    def save_related(self, request, form, formsets, change: bool) -> None:
        """Nothing left to save: activity_log set the participants and contacts, and form.save_m2m() would
        write them a second time, outside the service."""


class OpenFilter(admin.SimpleListFilter):
    title = _("resolution")
    parameter_name = "resolved"

    def lookups(self, request, model_admin):
        return [("no", _("Open")), ("yes", _("Resolved"))]

    def queryset(self, request, queryset):
        if self.value() in {"no", "yes"}:
            return queryset.filter(resolved_on__isnull=self.value() == "no")
        return queryset


@admin.register(CoordinationNeed)
class CoordinationNeedAdmin(LeadRecordAdmin):
    list_display = ["lead", "department", "request_start", "due_on", "resolved_on"]
    list_filter = [OpenFilter, "department"]
    search_fields = ["request", "department", "resolution", "lead__code", "lead__name"]
    list_select_related = ["lead"]
    autocomplete_fields = ["lead"]
    date_hierarchy = "due_on"

    @admin.display(description=_("request"))
    def request_start(self, obj: CoordinationNeed) -> str:
        return Truncator(obj.request).chars(60)

    def has_change_permission(self, request, obj=None) -> bool:
        # Resolving goes through coordination_need_resolve; everything else about a need stays as recorded.
        return ScopedAdmin.has_change_permission(self, request, obj)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["lead", "request", "department", "due_on"]
        return ["lead", "request", "department", "due_on", "resolution", "resolved_on"]

    def get_readonly_fields(self, request, obj=None):
        return ["lead", "request", "department", "due_on"] if obj else []

    def save_model(self, request, obj: CoordinationNeed, form, change: bool) -> None:
        data = form.cleaned_data
        if change:
            if form.has_changed():
                services.coordination_need_resolve(
                    actor=request.user,
                    need=obj,
                    resolution=data["resolution"],
                    resolved_on=data["resolved_on"],
                )
            return
        saved = services.coordination_need_add(
            actor=request.user,
            lead=data["lead"],
            request=data["request"],
            department=data["department"],
            due_on=data["due_on"],
        )
        adopt(obj, saved)


@admin.register(LeadContact)
class LeadContactAdmin(LeadRecordAdmin):
    list_display = ["contact", "role", "lead"]
    list_filter = ["role"]
    search_fields = ["contact__name", "lead__code", "lead__name"]
    list_select_related = ["contact", "lead"]
    autocomplete_fields = ["lead", "contact"]
    fields = ["lead", "contact", "role"]

    def save_model(self, request, obj: LeadContact, form, change: bool) -> None:
        data = form.cleaned_data
        saved = services.lead_contact_add(
            actor=request.user, lead=data["lead"], contact=data["contact"], role=data["role"]
        )
        adopt(obj, saved)
