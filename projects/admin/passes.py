"""Passes, their milestone templates, and the milestones officers work through.

A milestone's page is where it is completed: its form records the outcome (done with evidence, not applicable,
blocked, reopened) and the due date or assignee, each through its service."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from core.admin import ReferenceAdmin, ScopedAdmin
from projects import services
from projects.admin.inlines import document_links
from projects.admin.records import LeadRecordAdmin, adopt
from projects.models import AftercareTouchpoint, Document, Milestone, MilestoneTemplate, Pass
from projects.services import milestones as milestone_services


@admin.register(Pass)
class PassAdmin(ReferenceAdmin):
    list_display = ["order", "name", "name_zh_hant", "name_en", "short_name", "code"]
    list_display_links = ["name"]
    fields = ["code", "name", "name_zh_hant", "name_en", "short_name", "order"]

    def get_readonly_fields(self, request, obj=None):
        return ["code"] if obj else []

    def has_add_permission(self, request) -> bool:
        return False  # four passes, as the brief has them; their names are editable

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(MilestoneTemplate)
class MilestoneTemplateAdmin(ReferenceAdmin):
    list_display = [
        "code",
        "name",
        "lead_pass",
        "org_anchor",
        "talent_anchor",
        "offset",
        "offset_unit",
        "default_assignee",
        "is_active",
    ]
    list_filter = ["lead_pass", "offset_unit", "default_assignee", "is_active"]
    search_fields = ["code", "name", "name_zh_hant", "name_en"]
    list_select_related = ["lead_pass"]
    fields = [
        "lead_pass",
        "code",
        ("name", "name_zh_hant", "name_en"),
        ("org_anchor", "talent_anchor"),
        "lead_types",
        ("offset", "offset_unit"),
        "evidence_needed",
        "default_assignee",
        "is_active",
    ]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # milestones cite their template; retire one by unticking "active"


class OverdueMilestoneFilter(admin.SimpleListFilter):
    title = _("due")
    parameter_name = "due"

    def lookups(self, request, model_admin):
        return [("overdue", _("Overdue")), ("week", _("Due within 7 days")), ("none", _("No due date"))]

    def queryset(self, request, queryset):
        today = timezone.localdate()
        if self.value() == "overdue":
            return queryset.filter(status=Milestone.Status.OPEN, due_on__lt=today)
        if self.value() == "week":
            return queryset.filter(
                status=Milestone.Status.OPEN, due_on__gte=today, due_on__lte=today + dt.timedelta(days=7)
            )
        if self.value() == "none":
            return queryset.filter(due_on__isnull=True)
        return queryset


class MineFilter(admin.SimpleListFilter):
    title = _("assignee")
    parameter_name = "mine"

    def lookups(self, request, model_admin):
        return [("yes", _("Assigned to me"))]

    def queryset(self, request, queryset):
        return queryset.filter(assignee=request.user) if self.value() == "yes" else queryset


class Outcome:
    KEEP = ""
    DONE = "done"
    NOT_APPLICABLE = "na"
    BLOCKED = "blocked"
    REOPEN = "reopen"

    CHOICES = [
        (KEEP, _("No change")),
        (DONE, _("Done")),
        (NOT_APPLICABLE, _("Not applicable")),
        (BLOCKED, _("Blocked")),
        (REOPEN, _("Reopen")),
    ]


class MilestoneForm(forms.ModelForm):
    outcome = forms.ChoiceField(label=_("outcome"), choices=Outcome.CHOICES, required=False)
    document = forms.ModelChoiceField(
        label=_("evidence document"),
        queryset=Document.objects.none(),
        required=False,
        help_text=_("A document already uploaded to this lead."),
    )
    upload = forms.FileField(label=_("or upload the evidence"), required=False)

    class Meta:
        model = Milestone
        fields = ["due_on", "assignee", "evidence_note", "blocker_note"]
        widgets = {
            "evidence_note": forms.Textarea(attrs={"rows": 3}),
            "blocker_note": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["document"].queryset = Document.objects.filter(lead_id=self.instance.lead_id)
        if "assignee" in self.fields:
            self.fields["assignee"].queryset = User.objects.filter(is_active=True)


class MilestoneAddForm(forms.ModelForm):
    class Meta:
        model = Milestone
        fields = ["lead", "lead_pass", "title", "due_on", "assignee"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["title"].required = True


@admin.register(Milestone)
class MilestoneAdmin(LeadRecordAdmin):
    list_display = [
        "title_shown",
        "lead",
        "lead_pass",
        "due_shown",
        "status",
        "assignee",
        "completed_at",
    ]
    list_filter = [OverdueMilestoneFilter, MineFilter, "status", "lead_pass", "due_provisional"]
    search_fields = ["title", "template__name", "template__code", "lead__code", "lead__name"]
    list_select_related = ["lead", "lead_pass", "template", "assignee"]
    autocomplete_fields = ["lead", "assignee"]
    ordering = ["due_on", "pk"]
    date_hierarchy = "due_on"

    def has_change_permission(self, request, obj=None) -> bool:
        return ScopedAdmin.has_change_permission(self, request, obj)

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["form"] = MilestoneForm if obj else MilestoneAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [(None, {"fields": ["lead", "lead_pass", "title", "due_on", "assignee"]})]
        return [
            (
                None,
                {
                    "fields": [
                        "lead",
                        "lead_pass",
                        "title_shown",
                        "evidence_needed",
                        "status",
                        ("completed_at", "completed_by"),
                        "documents_shown",
                    ]
                },
            ),
            (_("Schedule"), {"fields": [("due_on", "due_provisional"), "assignee"]}),
            (_("Outcome"), {"fields": ["outcome", "evidence_note", "document", "upload", "blocker_note"]}),
        ]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return [
            "lead",
            "lead_pass",
            "title_shown",
            "evidence_needed",
            "status",
            "completed_at",
            "completed_by",
            "documents_shown",
            "due_provisional",
        ]

    def get_queryset(self, request) -> QuerySet:
        return super().get_queryset(request).select_related("template", "lead_pass", "lead", "assignee")

    @admin.display(description=_("title"), ordering="template__code")
    def title_shown(self, obj: Milestone) -> str:
        return obj.display_title

    @admin.display(description=_("due date"), ordering="due_on")
    def due_shown(self, obj: Milestone) -> str:
        if obj.due_on is None:
            return "—"
        shown = obj.due_on.isoformat()
        return f"{shown} ({_('provisional')})" if obj.due_provisional else shown

    @admin.display(description=_("evidence needed"))
    def evidence_needed(self, obj: Milestone) -> str:
        return obj.template.evidence_needed if obj.template_id and obj.template.evidence_needed else "—"

    @admin.display(description=_("documents"))
    def documents_shown(self, obj: Milestone) -> str:
        return document_links(obj.documents.all())

    def save_model(self, request, obj: Milestone, form, change: bool) -> None:
        data = form.cleaned_data
        if not change:
            saved = milestone_services.milestone_add(
                actor=request.user,
                lead=data["lead"],
                lead_pass=data["lead_pass"],
                title=data["title"],
                due_on=data["due_on"],
                assignee=data["assignee"],
            )
            adopt(obj, saved)
            return
        stored = Milestone.objects.select_related("lead").get(pk=obj.pk)
        if "due_on" in form.changed_data or "assignee" in form.changed_data:
            milestone_services.milestone_reschedule(
                milestone=stored, actor=request.user, due_on=data["due_on"], assignee=data["assignee"]
            )
        outcome = data.get("outcome") or Outcome.KEEP
        document = data.get("document")
        if data.get("upload"):
            document = services.document_upload(
                actor=request.user, lead=stored.lead, file=data["upload"], title="", kind=Document.Kind.OTHER
            )
        if outcome in {Outcome.DONE, Outcome.NOT_APPLICABLE}:
            milestone_services.milestone_complete(
                milestone=stored,
                actor=request.user,
                evidence_note=data.get("evidence_note", ""),
                document=document,
                not_applicable=outcome == Outcome.NOT_APPLICABLE,
            )
        elif outcome == Outcome.BLOCKED:
            milestone_services.milestone_block(
                milestone=stored, actor=request.user, note=data.get("blocker_note", "")
            )
        elif outcome == Outcome.REOPEN:
            milestone_services.milestone_reopen(
                milestone=stored, actor=request.user, note=data.get("blocker_note", "")
            )
        adopt(obj, Milestone.objects.get(pk=obj.pk))

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(AftercareTouchpoint)
class AftercareTouchpointAdmin(LeadRecordAdmin):
    list_display = ["lead", "months", "due_on", "done_at", "activity"]
    list_filter = ["months"]
    search_fields = ["lead__code", "lead__name"]
    list_select_related = ["lead", "activity"]
    date_hierarchy = "due_on"

    def has_add_permission(self, request) -> bool:
        return False  # planned by the move that lands the lead
