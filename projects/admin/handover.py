"""Hand-overs in admin: the hand-over list with its accept / decline / withdraw actions, and the lead list's
"hand over" and "reassign" actions (HandOverActionsMixin, mixed into LeadAdmin).

Importing this module registers HandOverAdmin. Every action works on the rows ticked in a list: a first POST
shows a page with the selection and a form; confirming it calls the service once per row inside one
transaction, so a refusal on any row writes nothing and shows the service's message above the same form.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.text import capfirst
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from accounts.models import Unit, User
from accounts.visibility import is_bureau_level, scope_filter
from core.admin import ScopedAdmin
from core.errors import ApplicationError
from projects.admin.forms import service_error_text
from projects.models import HandOver, Lead
from projects.selectors import lead_is_read_only_for, leads_visible_to
from projects.services.handover import (
    handover_accept,
    handover_decline,
    handover_request,
    handover_withdraw,
    leads_reassign,
)

# Posted back by the action page's form: without it, the POST is the changelist's and the page is shown.
CONFIRM = "confirm"
ACTION_PAGE = "admin/projects/selected_action_form.html"


# --- Forms ----------------------------------------------------------------------------------------------------


class ActionPageForm(forms.Form):
    """Labels reuse the models' lower-case msgids and are capitalized the way model forms capitalize theirs."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.label = capfirst(field.label)


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Unit) -> str:
        # The tree's shape in a flat list: units are listed by path, indented by depth.
        return f"{'— ' * obj.depth}{obj}"


class HandOverRequestForm(ActionPageForm):
    to_unit = UnitChoiceField(
        label=_("to unit"), queryset=Unit.objects.filter(is_active=True).order_by("path")
    )
    note = forms.CharField(label=_("why it is handed over"), widget=forms.Textarea(attrs={"rows": 3}))


class ReassignForm(ActionPageForm):
    to_owner = forms.ModelChoiceField(label=_("new owner"), queryset=User.objects.filter(is_active=True))
    note = forms.CharField(
        label=_("note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Kept in each lead's history as the reason for the change."),
    )

    def __init__(self, *args, admin_site, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Staff lists run to hundreds: search them as the lead's owner field would be searched.
        field = self.fields["to_owner"]
        field.widget = AutocompleteSelect(Lead._meta.get_field("owner"), admin_site)
        field.widget.choices = field.choices


class AcceptForm(ActionPageForm):
    owner = forms.ModelChoiceField(label=_("new owner"), queryset=User.objects.none())
    note = forms.CharField(label=_("decision note"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, to_unit: Unit, actor: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        staff = User.objects.filter(is_active=True, memberships__unit=to_unit).order_by("username")
        field = self.fields["owner"]
        field.queryset = staff
        field.help_text = gettext("A member, head or manager of %(unit)s.") % {"unit": to_unit}
        if staff.filter(pk=actor.pk).exists():
            field.initial = actor.pk


class DeclineForm(ActionPageForm):
    note = forms.CharField(label=_("decision note"), widget=forms.Textarea(attrs={"rows": 3}))


class WithdrawForm(ActionPageForm):
    """Nothing to fill in: the page only confirms the selection."""


# --- The action page ------------------------------------------------------------------------------------------


def action_page(
    model_admin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet,
    *,
    action: str,
    form_class: type[forms.Form],
    form_kwargs: dict[str, Any] | None = None,
    title: str,
    intro: str,
    perform: Callable[[list[Any], dict[str, Any]], Any],
    done: Callable[[list[Any], Any], str],
    objects: Sequence[Any] | None = None,
) -> HttpResponse | None:
    """Show the selection and `form_class`; on a confirmed valid POST run `perform(objects, cleaned_data)` in
    one transaction. A refusal keeps the page, with what was typed, under the service's message; success goes
    back to the list (None makes the changelist redirect to itself)."""
    objects = list(queryset) if objects is None else objects
    if not objects:
        # The ids posted were all outside the user's scope: say nothing about them.
        model_admin.message_user(
            request, gettext("None of the selected rows can be changed."), messages.WARNING
        )
        return None
    data = request.POST if CONFIRM in request.POST else None
    form = form_class(data, **(form_kwargs or {}))
    if form.is_bound and form.is_valid():
        try:
            with transaction.atomic():
                result = perform(objects, form.cleaned_data)
        except (ApplicationError, ValidationError) as error:
            model_admin.message_user(request, service_error_text(error), messages.ERROR)
        else:
            model_admin.message_user(request, done(objects, result), messages.SUCCESS)
            return None
    opts = model_admin.model._meta
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": opts,
        "title": title,
        "intro": intro,
        "objects": objects,
        "form": form,
        "action": action,
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "confirm_name": CONFIRM,
        "media": model_admin.media + form.media,
    }
    return TemplateResponse(request, ACTION_PAGE, context)


# --- On the lead list -------------------------------------------------------------------------------------------


class HandOverActionsMixin:
    """Mixed into LeadAdmin (a ScopedAdmin): the actions see only the leads its scope lets through.

    A lead offered to a unit the user heads or manages, and visible to them only for that reason, is read-only.
    """

    handover_actions = ["hand_over", "reassign"]

    def has_hand_over_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("projects.add_handover")

    def has_reassign_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("projects.reassign_lead")

    def has_change_permission(self, request: HttpRequest, obj: Lead | None = None) -> bool:
        if obj is not None and lead_is_read_only_for(request.user, obj):
            return False
        return super().has_change_permission(request, obj)  # type: ignore[misc]

    @admin.action(description=_("Hand over to another unit…"), permissions=["hand_over"])
    def hand_over(self, request: HttpRequest, queryset: QuerySet[Lead]) -> HttpResponse | None:
        def perform(leads: list[Lead], data: dict[str, Any]) -> Unit:
            for lead in leads:
                handover_request(actor=request.user, lead=lead, to_unit=data["to_unit"], note=data["note"])
            return data["to_unit"]

        return action_page(
            self,  # type: ignore[arg-type]
            request,
            queryset.select_related("owning_unit"),
            action="hand_over",
            form_class=HandOverRequestForm,
            title=gettext("Hand over to another unit"),
            intro=gettext(
                "The receiving unit's heads and managers will see these leads and accept or decline them. "
                "Until then each lead is transferred and cannot move stage."
            ),
            perform=perform,
            done=lambda leads, to_unit: (
                ngettext(
                    "%(count)d lead offered to %(unit)s; it awaits their decision.",
                    "%(count)d leads offered to %(unit)s; they await their decision.",
                    len(leads),
                )
                % {"count": len(leads), "unit": to_unit}
            ),
        )

    @admin.action(description=_("Reassign to another officer…"), permissions=["reassign"])
    def reassign(self, request: HttpRequest, queryset: QuerySet[Lead]) -> HttpResponse | None:
        def perform(leads: list[Lead], data: dict[str, Any]) -> tuple[int, User]:
            owner = data["to_owner"]
            return leads_reassign(actor=request.user, leads=leads, to_owner=owner, note=data["note"]), owner

        def done(leads: list[Lead], result: tuple[int, User]) -> str:
            changed, owner = result
            message = ngettext(
                "%(count)d lead reassigned to %(owner)s.", "%(count)d leads reassigned to %(owner)s.", changed
            ) % {"count": changed, "owner": owner}
            skipped = len(leads) - changed
            if skipped:
                message += " " + ngettext(
                    "%(count)d was already theirs.", "%(count)d were already theirs.", skipped
                ) % {"count": skipped}
            return message

        return action_page(
            self,  # type: ignore[arg-type]
            request,
            queryset,
            action="reassign",
            form_class=ReassignForm,
            form_kwargs={"admin_site": self.admin_site},  # type: ignore[attr-defined]
            title=gettext("Reassign leads"),
            intro=gettext(
                "The new owner must be a member of each lead's owning unit. If any lead cannot go to them, "
                "none is reassigned."
            ),
            perform=perform,
            done=done,
        )


# --- The hand-over list ---------------------------------------------------------------------------------------


def handovers_visible_to(user, queryset: QuerySet[HandOver]) -> QuerySet[HandOver]:
    """Hand-overs of leads the user sees, plus those to or from units the user sees, under the same rule as
    leads (DESIGN §2): plain members of either unit do not see hand-overs of confidential leads."""
    if is_bureau_level(user):
        return queryset
    condition = (
        Q(lead__in=leads_visible_to(user).values("pk"))
        | scope_filter(user, HandOver, unit="to_unit", confidential="lead__confidential")
        | scope_filter(
            user, HandOver, unit="from_unit", owners=("requested_by",), confidential="lead__confidential"
        )
    )
    return queryset.filter(condition)


@admin.register(HandOver)
class HandOverAdmin(ScopedAdmin):
    """Read-only rows: a hand-over is requested from the lead list and decided here, through actions only."""

    list_display = ["lead", "from_unit", "to_unit", "status", "requested_by", "requested_at", "decided_by"]
    list_select_related = ["lead", "from_unit", "to_unit", "requested_by", "decided_by"]
    list_filter = ["status", "to_unit", "from_unit"]
    search_fields = ["lead__code", "lead__name", "lead__name_zh_hant", "lead__name_en"]
    search_help_text = _("Lead code or name.")
    fields = [
        "lead",
        ("from_unit", "to_unit"),
        "status",
        "note",
        ("requested_by", "requested_at"),
        ("decided_by", "decided_at"),
        "decision_note",
    ]
    # Nobody changes a hand-over here (has_change_permission), so the change page shows every field read-only;
    # the history's version page asks for an editable form instead, and `status` is not editable: say it.
    readonly_fields = [
        "lead",
        "from_unit",
        "to_unit",
        "status",
        "note",
        "requested_by",
        "requested_at",
        "decided_by",
        "decided_at",
        "decision_note",
    ]
    actions = ["accept", "decline", "withdraw"]
    # "n of m selected" would count the same scoped rows a second time on every page.
    show_full_result_count = False

    def scope(self, user, queryset: QuerySet) -> QuerySet:
        return handovers_visible_to(user, queryset)

    def get_object(self, request, object_id, from_field=None):
        # The read-only page's foreign keys come in the same query as the hand-over.
        queryset = self.get_queryset(request).select_related(*self.list_select_related)
        try:
            return queryset.get(pk=HandOver._meta.pk.to_python(object_id))
        except (HandOver.DoesNotExist, ValidationError, ValueError):
            return None

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_decide_permission(self, request) -> bool:
        return request.user.has_perm("projects.change_handover")

    def has_withdraw_permission(self, request) -> bool:
        return request.user.has_perm("projects.add_handover")

    @admin.action(description=_("Accept…"), permissions=["decide"])
    def accept(self, request, queryset):
        handovers = list(queryset.select_related("lead", "to_unit"))
        to_units = {h.to_unit for h in handovers}
        if len(to_units) > 1:
            self.message_user(
                request,
                gettext("Accept hand-overs to one unit at a time: the new owner must belong to it."),
                messages.WARNING,
            )
            return None

        def perform(selected: list[HandOver], data: dict[str, Any]) -> None:
            for handover in selected:
                handover_accept(actor=request.user, handover=handover, owner=data["owner"], note=data["note"])

        return action_page(
            self,
            request,
            queryset,
            objects=handovers,
            action="accept",
            form_class=AcceptForm,
            form_kwargs={"to_unit": next(iter(to_units), None), "actor": request.user},
            title=gettext("Accept hand-overs"),
            intro=gettext(
                "Each lead moves to the receiving unit under the new owner; its previous owner stays on as a "
                "co-owner."
            ),
            perform=perform,
            done=lambda selected, _result: (
                ngettext("%(count)d hand-over accepted.", "%(count)d hand-overs accepted.", len(selected))
                % {"count": len(selected)}
            ),
        )

    @admin.action(description=_("Decline…"), permissions=["decide"])
    def decline(self, request, queryset):
        def perform(selected: list[HandOver], data: dict[str, Any]) -> None:
            for handover in selected:
                handover_decline(actor=request.user, handover=handover, note=data["note"])

        return action_page(
            self,
            request,
            queryset.select_related("lead", "to_unit"),
            action="decline",
            form_class=DeclineForm,
            title=gettext("Decline hand-overs"),
            intro=gettext("Each lead stays with the unit that offered it and becomes active again."),
            perform=perform,
            done=lambda selected, _result: (
                ngettext("%(count)d hand-over declined.", "%(count)d hand-overs declined.", len(selected))
                % {"count": len(selected)}
            ),
        )

    @admin.action(description=_("Withdraw…"), permissions=["withdraw"])
    def withdraw(self, request, queryset):
        def perform(selected: list[HandOver], data: dict[str, Any]) -> None:
            for handover in selected:
                handover_withdraw(actor=request.user, handover=handover)

        return action_page(
            self,
            request,
            queryset.select_related("lead", "to_unit"),
            action="withdraw",
            form_class=WithdrawForm,
            title=gettext("Withdraw hand-overs"),
            intro=gettext("Each lead stays with the unit that offered it and becomes active again."),
            perform=perform,
            done=lambda selected, _result: (
                ngettext("%(count)d hand-over withdrawn.", "%(count)d hand-overs withdrawn.", len(selected))
                % {"count": len(selected)}
            ),
        )
