"""The lead admin: the list staff work from and the lead page.

Stage, status and owner never change in the form: they change through the actions (lead_actions.py) that call
lead_advance, lead_pause, lead_resume, lead_mark_lost and lead_reopen. Saving the form calls lead_create or
lead_update, and the inlines add records through their services.
"""

from __future__ import annotations

import re
from typing import Any

from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.text import smart_split, unescape_string_literal
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import UnitMembership, User
from accounts.visibility import any_of, units_filter, visible_units
from core.admin import ScopedAdmin
from directory.models import OrganizationAlias
from directory.services import name_key
from projects import services
from projects.admin.forms import LeadForm, stage_label
from projects.admin.handover import HandOverActionsMixin
from projects.admin.inlines import (
    ActivityInline,
    AftercareInline,
    CapitalInjectionInline,
    CoordinationNeedInline,
    DocumentInline,
    LeadContactInline,
    MilestoneInline,
    SigningInline,
    StageChangeInline,
)
from projects.admin.lead_actions import LeadActionsMixin
from projects.admin.merge import MergeActionsMixin
from projects.admin.paginator import EstimatedCountPaginator
from projects.models import CoordinationNeed, Lead, LeadContact
from projects.selectors import (
    PassStatus,
    lead_scope_branches,
    leads_visible_to,
    milestones_overdue_filter,
    pass_progress,
)
from projects.services.leads import EDITABLE_FIELDS
from projects.stages import Phase, stages_of_phase
from talent.selectors import contacts_visible_to, events_visible_to

# The text columns a search term is looked for in; the Hong Kong organization is found by any of its aliases.
LEAD_SEARCH_FIELDS = ["code", "name", "name_zh_hant", "name_en", "uscc", "hk_company_number"]
LEAD_CODE = re.compile(r"HK-\d{4}-\d{4,}", re.IGNORECASE)
USCC_LIKE = re.compile(r"[0-9A-Za-z]{18}")
HK_CR_LIKE = re.compile(r"\d{7,8}")


# The owner and unit filters offer what the user's scope reaches, read from the memberships. A "related only"
# filter would instead scan the whole lead table for distinct values on every page of a bureau-level list.
class VisibleUnitFilter(admin.RelatedFieldListFilter):
    def field_choices(self, field, request, model_admin):
        return field.get_choices(
            include_blank=False, limit_choices_to=units_filter(request.user), ordering=("path",)
        )


class UnitStaffFilter(admin.RelatedFieldListFilter):
    def field_choices(self, field, request, model_admin):
        staff = UnitMembership.objects.filter(unit__in=visible_units(request.user)).values("user_id")
        return field.get_choices(
            include_blank=False, limit_choices_to=Q(pk__in=staff), ordering=("username",)
        )


class PhaseFilter(admin.SimpleListFilter):
    title = _("phase")
    parameter_name = "phase"

    def lookups(self, request, model_admin):
        return Phase.choices

    def queryset(self, request, queryset):
        if self.value() in Phase.values:
            return queryset.filter(stage__in=stages_of_phase(self.value()))
        return queryset


class OverdueFilter(admin.SimpleListFilter):
    title = _("milestones")
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", _("Some overdue")), ("no", _("None overdue"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(milestones_overdue_filter())
        if self.value() == "no":
            return queryset.exclude(milestones_overdue_filter())
        return queryset


class LeadChangeList(ChangeList):
    """Reads the page's pass progress with one aggregate query once the page's leads are known, and builds
    each row's link once: the admin's own row links resolve their URL again per link whenever filters are
    preserved (a filtered list or any page past the first), which cost more than the page's queries."""

    def get_queryset(self, request, exclude_parameters=None):
        """Filters and search run on the unscoped leads and the user's scope is applied last — the same rows as
        filtering the scoped leads — so the list also holds, per branch of the scope, the filtered rows that
        branch reaches: the paginator counts their UNION, each branch through its own index, where counting
        through the scope's OR scans the whole table."""
        scoped_root = self.root_queryset
        self.root_queryset = self.model_admin.unscoped_queryset(request)
        try:
            filtered = super().get_queryset(request, exclude_parameters)
        finally:
            self.root_queryset = scoped_root
        branches = lead_scope_branches(request.user)
        queryset = filtered.filter(any_of(branches))
        if branches is not None and len(branches) > 1:
            queryset.count_parts = [filtered.filter(branch) for branch in branches]  # type: ignore[attr-defined]
        return queryset

    def get_results(self, request) -> None:
        super().get_results(request)
        self.result_list = list(self.result_list)
        progress = pass_progress(self.result_list)
        template = reverse("admin:projects_lead_change", args=[0])
        # preserved_filters is already the encoded "_changelist_filters=…" pair.
        query = f"?{self.preserved_filters}" if self.preserved_filters else ""
        for lead in self.result_list:
            lead.pass_progress = progress.get(lead.pk, [])
            lead.change_url = template.replace("/0/", f"/{lead.pk}/", 1) + query


def _identity_fields(obj: Lead | None) -> list[Any]:
    fields: list[Any] = ["name", "name_zh_hant", "name_en"]
    fields += [("code", "track", "lead_type")] if obj else ["lead_type"]
    if obj is None or obj.track == "talent":
        fields.append("subject_contact")
    if obj is not None and obj.founded_from_id:
        fields.append("founded_from")
    return [*fields, ("priority", "confidential")]


SOURCE_FIELDS = [
    "hk_organization",
    "sector",
    "source_channel",
    "introducer",
    "source_event",
    "target_carrier",
]
COMPANY_FIELDS = [
    ("expected_investment", "expected_investment_currency"),
    ("registered_capital", "registered_capital_currency"),
    ("paid_in_cash", "paid_in_technology", "paid_in_currency"),
    "founder_equity_percent",
    "landing_entity_name",
    ("uscc", "registered_on"),
    "hk_company_number",
]
PEOPLE_FIELDS = [
    ("headcount_now", "headcount_planned"),
    ("hk_staff_count", "rnd_staff_count"),
    ("space_office_m2", "space_lab_m2"),
    ("space_cleanroom_m2", "space_plant_m2"),
    "ip_summary",
    "trl",
]
# Shown on an existing lead, never edited in its form.
CHANGE_READONLY = [
    "code",
    "track",
    "lead_type",
    "founded_from",
    "stage_shown",
    "stage_entered_at",
    "status",
    "status_details",
    "last_activity_at",
    "owner",
    "owning_unit",
    "created_at",
    "updated_at",
    "possible_duplicates",
]


@admin.register(Lead)
class LeadAdmin(HandOverActionsMixin, MergeActionsMixin, LeadActionsMixin, ScopedAdmin):
    form = LeadForm
    paginator = EstimatedCountPaginator
    # "n of m selected" would count the whole table again for a bureau-level user.
    show_full_result_count = False

    def unscoped_queryset(self, request) -> QuerySet[Lead]:
        """Every lead, for LeadChangeList alone, which applies the user's scope to what it builds from it."""
        return super(ScopedAdmin, self).get_queryset(request)

    list_display = [
        "code_link",
        "name_link",
        "lead_type",
        "stage_shown",
        "status",
        "owner",
        "owning_unit",
        "target_carrier",
        "days_in_stage",
        "passes",
        "priority",
        "confidential",
    ]
    list_display_links = None  # the code and name columns carry their own links (LeadChangeList)
    list_select_related = ["owner", "owning_unit", "target_carrier"]
    list_filter = [
        "stage",
        PhaseFilter,
        "track",
        "status",
        OverdueFilter,
        "target_carrier",
        "sector",
        ("owner", UnitStaffFilter),
        ("owning_unit", VisibleUnitFilter),
        "lead_type",
        "priority",
        "confidential",
    ]
    search_fields = LEAD_SEARCH_FIELDS
    search_help_text = _(
        "Code, name in any script, Hong Kong organization by any of its names, USCC or HK company number."
    )
    # Newest first, as the unit and owner indexes (lead_unit_recent_idx, lead_owner_recent_idx) are laid out.
    ordering = ["-created_at", "-pk"]
    autocomplete_fields = [
        "hk_organization",
        "sector",
        "introducer",
        "source_event",
        "target_carrier",
        "subject_contact",
        "owning_unit",
        "co_owners",
        "competing_locations",
    ]
    actions = [
        "advance_stage",
        "pause_lead",
        "resume_lead",
        "mark_lost",
        "reopen_lead",
        *HandOverActionsMixin.handover_actions,
        *MergeActionsMixin.merge_actions,
    ]
    inlines = [
        StageChangeInline,
        MilestoneInline,
        SigningInline,
        CapitalInjectionInline,
        DocumentInline,
        LeadContactInline,
        CoordinationNeedInline,
        ActivityInline,
        AftercareInline,
    ]

    def scope(self, user, queryset: QuerySet) -> QuerySet:
        return leads_visible_to(user, queryset)

    def get_object(self, request, object_id, from_field=None):
        # The read-only foreign keys of the lead page come in the same query as the lead.
        queryset = self.get_queryset(request).select_related(
            "owner", "owning_unit", "founded_from", "lost_to", "merged_into", "hk_organization"
        )
        try:
            return queryset.get(pk=Lead._meta.pk.to_python(object_id))
        except (Lead.DoesNotExist, ValidationError, ValueError):
            return None

    # --- List -----------------------------------------------------------------------------------------------

    def get_changelist(self, request, **kwargs):
        return LeadChangeList

    @admin.display(description=_("code"), ordering="code")
    def code_link(self, obj: Lead) -> str:
        return format_html('<a href="{}">{}</a>', obj.change_url, obj.code)

    @admin.display(description=_("name (Simplified Chinese)"), ordering="name")
    def name_link(self, obj: Lead) -> str:
        return format_html('<a href="{}">{}</a>', obj.change_url, obj.name)

    @admin.display(description=_("passes"))
    def passes(self, obj: Lead) -> str:
        shown = [p for p in getattr(obj, "pass_progress", []) if p.total]
        overdue = sum(p.overdue for p in shown)
        line = format_html_join(
            " · ",
            '<span class="pass-{}" title="{}">{}</span>',
            ((p.status, PassStatus(p.status).label, str(p)) for p in shown),
        )
        if overdue:
            marker = gettext("%(count)s overdue") % {"count": overdue}
            return format_html('{} <span class="overdue-marker">⚠ {}</span>', line, marker)
        return line or "—"

    @admin.display(description=_("stage"))
    def stage_shown(self, obj: Lead) -> str:
        return stage_label(obj.stage)

    @admin.display(description=_("days in stage"), ordering="-stage_entered_at")
    def days_in_stage(self, obj: Lead) -> int:
        # Whole days elapsed, so the figure does not jump at local midnight.
        return (timezone.now() - obj.stage_entered_at).days

    def get_search_results(self, request, queryset, search_term):
        """A code, credit code or HK company number finds its lead by index; otherwise every word must appear
        in a text column, or the whole term must name the HK organization."""
        term = search_term.strip()
        if LEAD_CODE.fullmatch(term):
            return queryset.filter(code=term.upper()), False
        if USCC_LIKE.fullmatch(term):
            return queryset.filter(uscc=term.upper()), False
        if HK_CR_LIKE.fullmatch(term):
            return queryset.filter(hk_company_number=term), False
        words = [
            unescape_string_literal(bit) if bit[:1] in {'"', "'"} and bit[0] == bit[-1] else bit
            for bit in smart_split(search_term)
        ]
        if not words:
            return queryset, False
        condition = Q()
        for word in words:
            condition &= Q.create([(f"{f}__icontains", word) for f in LEAD_SEARCH_FIELDS], connector=Q.OR)
        key = name_key(search_term)
        if key:
            # The alias table is small: resolve the organizations first, as a list, so PostgreSQL can OR the
            # leads' foreign-key index with the trigram indexes of the text columns (a subquery here would
            # force a scan of every lead).
            organizations = set(
                OrganizationAlias.objects.filter(key__contains=key).values_list("organization_id", flat=True)
            )
            if organizations:
                condition |= Q(hk_organization__in=sorted(organizations))
        return queryset.filter(condition), False

    # --- Form -----------------------------------------------------------------------------------------------

    def get_fieldsets(self, request, obj=None):
        ownership = ["owner", "owning_unit", "co_owners"] if obj else ["owning_unit", "co_owners"]
        source = [*SOURCE_FIELDS, "competing_locations"]
        identity = _identity_fields(obj) + (["possible_duplicates"] if obj else [])
        fieldsets = [
            (_("Identity and names"), {"fields": identity}),
            (_("Source"), {"fields": source}),
            (_("Ownership"), {"fields": ownership}),
            (_("Company facts"), {"fields": COMPANY_FIELDS, "classes": ["collapse"] if obj is None else []}),
            (_("People, space and technology"), {"fields": PEOPLE_FIELDS}),
            (_("Description"), {"fields": ["description"]}),
        ]
        if obj is None:
            if request.user.has_perm("projects.merge_lead"):
                # LeadDuplicateFormMixin offers managers "register anyway" on the add page.
                fieldsets[0][1]["fields"] = [*identity, "allow_duplicate"]
            return fieldsets
        status = (
            _("Stage and status"),
            {"fields": ["stage_shown", "stage_entered_at", "status", "status_details", "last_activity_at"]},
        )
        record = (_("Record"), {"fields": ["created_at", "updated_at"], "classes": ["collapse"]})
        return [fieldsets[0], status, *fieldsets[1:], record]

    def get_readonly_fields(self, request, obj=None):
        return CHANGE_READONLY if obj else []

    def get_inlines(self, request, obj):
        # Records belong to an existing lead: they are added once the lead is registered.
        return self.inlines if obj else []

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "subject_contact":
            kwargs["queryset"] = contacts_visible_to(request.user)
        elif db_field.name == "source_event":
            kwargs["queryset"] = events_visible_to(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "co_owners":
            kwargs["queryset"] = User.objects.filter(is_active=True)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    @admin.display(description=_("status details"))
    def status_details(self, obj: Lead) -> str:
        if obj.status == Lead.Status.PAUSED:
            details = [
                obj.get_pause_reason_display(),
                gettext("review on %(date)s") % {"date": obj.resume_review_on},
            ]
        elif obj.status == Lead.Status.LOST:
            details = [obj.get_lost_reason_display(), str(obj.lost_to or "")]
        elif obj.status == Lead.Status.MERGED:
            details = [str(obj.merged_into)]
        else:
            details = []
        return " · ".join(part for part in [*details, obj.status_note] if part) or "—"

    def save_model(self, request, obj: Lead, form, change: bool) -> None:
        data = form.cleaned_data
        fields = {name: data[name] for name in EDITABLE_FIELDS if name in data}
        co_owners = data.get("co_owners", [])
        fields["competing_locations"] = data.get("competing_locations", [])
        if change:
            # The form already wrote its values onto `obj`; the service compares against the stored lead.
            stored = Lead.objects.get(pk=obj.pk)
            saved = services.lead_update(actor=request.user, lead=stored, co_owners=co_owners, **fields)
        else:
            saved = services.lead_create(
                actor=request.user,
                lead_type=data["lead_type"],
                owning_unit=data["owning_unit"],
                co_owners=co_owners,
                allow_duplicate=data.get("allow_duplicate", False),
                **fields,
            )
        for field in Lead._meta.concrete_fields:
            setattr(obj, field.attname, getattr(saved, field.attname))
        obj._state.adding = False

    def save_related(self, request, form, formsets, change: bool) -> None:
        # Co-owners were set by the service (form.save_m2m() would write them a second time, outside it).
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def save_formset(self, request, form, formset, change: bool) -> None:
        formset.save(commit=False)  # fills new_objects and changed_objects without writing
        lead = form.instance
        if formset.model is LeadContact:
            for link in formset.new_objects:
                services.lead_contact_add(actor=request.user, lead=lead, contact=link.contact, role=link.role)
        elif formset.model is CoordinationNeed:
            for need in formset.new_objects:
                services.coordination_need_add(
                    actor=request.user,
                    lead=lead,
                    request=need.request,
                    department=need.department,
                    due_on=need.due_on,
                )
            for need, _changed in formset.changed_objects:
                services.coordination_need_resolve(
                    actor=request.user, need=need, resolution=need.resolution, resolved_on=need.resolved_on
                )
        # The other inlines are read-only: nothing to save.
