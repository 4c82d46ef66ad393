"""Duplicate leads in the lead admin: the "merge into" action, the possible-duplicates line of the lead page, and
the "register anyway" box a manager sees when registering a lead that duplicates another.

Wiring (LeadAdmin and LeadForm are in leads.py and forms.py):
- ``class LeadAdmin(MergeActionsMixin, LeadActionsMixin, ScopedAdmin)``, ``actions = [..., *merge_actions]`` and
  ``"possible_duplicates"`` among the change page's read-only fields (and in a fieldset);
- ``class LeadForm(LeadDuplicateFormMixin, forms.ModelForm)``, ``"allow_duplicate"`` in the add page's fieldsets
  for users with ``projects.merge_lead`` only, and ``allow_duplicate=data.get("allow_duplicate", False)`` passed
  to ``lead_create`` by ``save_model``.
"""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html_join
from django.utils.text import capfirst
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from core.errors import ApplicationError
from projects.models import Lead
from projects.selectors import leads_visible_to
from projects.services.merge import lead_check_duplicates, lead_duplicates, lead_merge

# A merge is a decision about a few duplicates, taken lead by lead; a page of hundreds is a mistaken selection.
MAX_MERGED_AT_ONCE = 20


class MergeForm(forms.Form):
    """The target, typed as its code and looked up among the leads the user can see, and a note."""

    target = forms.CharField(
        label=_("merge into the lead"),
        max_length=20,
        help_text=_("The code of the lead that stays, e.g. HK-2025-0012."),
    )
    note = forms.CharField(label=_("note"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, visible: QuerySet[Lead], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.visible = visible
        for field in self.fields.values():
            field.label = capfirst(field.label)  # the msgids are lower case, as model field names are

    def clean_target(self) -> Lead:
        code = self.cleaned_data["target"].strip().upper()
        target = self.visible.filter(code=code).first()
        if target is None:
            raise ValidationError(gettext("No lead %(code)s among the leads you can see.") % {"code": code})
        return target


class MergeActionsMixin:
    """Mixed into LeadAdmin (a ScopedAdmin): the selected leads come through its scope, and so does the target."""

    merge_actions = ["merge_into"]

    # Provided by ModelAdmin.
    admin_site: Any
    opts: Any
    get_queryset: Any
    message_user: Any

    def has_merge_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("projects.merge_lead")

    @admin.action(description=_("Merge into another lead…"), permissions=["merge"])
    def merge_into(self, request: HttpRequest, queryset: QuerySet[Lead]) -> HttpResponse | None:
        """Ask for the target and a note; on confirmation merge every selected lead into it, all or nothing."""
        sources = list(queryset.select_related("owning_unit").order_by("code")[: MAX_MERGED_AT_ONCE + 1])
        if len(sources) > MAX_MERGED_AT_ONCE:
            self.message_user(
                request,
                gettext("Choose at most %(count)s leads to merge at once.") % {"count": MAX_MERGED_AT_ONCE},
                messages.WARNING,
            )
            return None
        confirmed = "apply" in request.POST
        form = MergeForm(request.POST if confirmed else None, visible=self.get_queryset(request))
        if confirmed and form.is_valid():
            target = form.cleaned_data["target"]
            merged = [source for source in sources if source.pk != target.pk]
            if not merged:
                form.add_error(None, gettext("Choose the leads to merge besides the lead that stays."))
            else:
                try:
                    with transaction.atomic():
                        for source in merged:
                            lead_merge(
                                actor=cast(User, request.user),  # the admin serves logged-in staff only
                                source=source,
                                target=target,
                                note=form.cleaned_data["note"],
                            )
                except ApplicationError as error:
                    self.message_user(request, error.message, messages.ERROR)
                else:
                    self.message_user(
                        request,
                        ngettext(
                            "%(count)s lead merged into %(target)s.",
                            "%(count)s leads merged into %(target)s.",
                            len(merged),
                        )
                        % {"count": len(merged), "target": target},
                        messages.SUCCESS,
                    )
                    return None  # back to the list
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Merge leads"),
            "form": form,
            "sources": sources,
            "action": "merge_into",
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
            "media": form.media,
        }
        return TemplateResponse(request, "admin/projects/lead_merge_form.html", context)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            # possible_duplicates() is called without the request: the viewer rides on this request's lead.
            obj._duplicates_viewer = request.user
        return super().render_change_form(  # type: ignore[misc]
            request, context, add=add, change=change, form_url=form_url, obj=obj
        )

    @admin.display(description=_("possible duplicates"))
    def possible_duplicates(self, obj: Lead) -> str:
        """Other leads with the same credit code, HK company number, or organization and name, that the
        viewer can see."""
        viewer = getattr(obj, "_duplicates_viewer", None)
        if viewer is None or obj.pk is None:
            return "—"
        duplicates = leads_visible_to(
            viewer,
            lead_duplicates(
                uscc=obj.uscc,
                hk_company_number=obj.hk_company_number,
                hk_organization=obj.hk_organization,
                names=[obj.name, obj.name_zh_hant, obj.name_en],
                exclude=obj,
            ),
        ).select_related("owning_unit")[:10]
        line = format_html_join(
            " · ",
            '<a href="{}">{}</a> {} ({})',
            (
                (reverse("admin:projects_lead_change", args=[d.pk]), d.code, d.name, d.owning_unit)
                for d in duplicates
            ),
        )
        return line or "—"


class LeadDuplicateFormMixin(forms.Form):
    """For LeadForm: on the add page, a duplicate is refused beside the fields with what was typed kept, and a
    manager gets a "register anyway" box. `actor` is put on the form class by ScopedAdmin.get_form."""

    allow_duplicate = forms.BooleanField(
        label=_("register anyway"),
        required=False,
        help_text=_("A lead with the same credit code, company number, or organization and name exists."),
    )
    actor: Any = None
    instance: Any

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk or self.actor is None or not self.actor.has_perm("projects.merge_lead"):
            del self.fields["allow_duplicate"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or self.cleaned_data
        if self.instance.pk or self.actor is None:
            return cleaned
        try:
            lead_check_duplicates(
                actor=self.actor,
                uscc=cleaned.get("uscc") or "",
                hk_company_number=cleaned.get("hk_company_number") or "",
                hk_organization=cleaned.get("hk_organization"),
                names=[cleaned.get(name) or "" for name in ("name", "name_zh_hant", "name_en")],
                allow_duplicate=cleaned.get("allow_duplicate", False),
            )
        except ApplicationError as error:
            self.add_error(error.field if error.field in self.fields else None, error.message)
        return cleaned
