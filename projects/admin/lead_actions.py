"""The lead's actions: the changelist actions and the pages they open, one lead at a time.

Each page shows a form and, on a valid POST, calls one service (lead_advance, lead_pause, lead_resume,
lead_mark_lost, lead_reopen, signing_create, capital_injection_create with document_upload) in one transaction.
A refusal is shown as an error message above the same form, with what was typed kept.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.errors import ApplicationError
from projects import lead_pages, services
from projects.admin.forms import (
    AdvanceForm,
    CapitalInjectionForm,
    LostForm,
    PauseForm,
    ReopenForm,
    ResumeForm,
    SigningForm,
    default_target,
    service_error_text,
    stage_choices,
    stage_label,
)
from projects.models import Document, Lead
from projects.stages import Stage


class LeadActionsMixin:
    """Mixed into LeadAdmin (a ScopedAdmin): its scope finds the lead, or answers 404."""

    def has_move_backward_permission(self, request) -> bool:
        return request.user.has_perm("projects.move_lead_backward")

    def _one_lead_to(self, request: HttpRequest, queryset: QuerySet, view: str) -> HttpResponse | None:
        ids = list(queryset.values_list("pk", flat=True)[:2])
        if len(ids) != 1:
            self.message_user(request, gettext("Choose exactly one lead for this action."), messages.WARNING)
            return None
        return HttpResponseRedirect(reverse(f"admin:projects_lead_{view}", args=[ids[0]]))

    @admin.action(description=_("Advance stage…"), permissions=["change"])
    def advance_stage(self, request, queryset):
        return self._one_lead_to(request, queryset, "advance")

    @admin.action(description=_("Pause…"), permissions=["change"])
    def pause_lead(self, request, queryset):
        return self._one_lead_to(request, queryset, "pause")

    @admin.action(description=_("Resume…"), permissions=["change"])
    def resume_lead(self, request, queryset):
        return self._one_lead_to(request, queryset, "resume")

    @admin.action(description=_("Mark lost…"), permissions=["change"])
    def mark_lost(self, request, queryset):
        return self._one_lead_to(request, queryset, "lost")

    @admin.action(description=_("Reopen…"), permissions=["move_backward"])
    def reopen_lead(self, request, queryset):
        return self._one_lead_to(request, queryset, "reopen")

    def get_urls(self):
        def url(route: str, view: Callable, name: str):
            return path(
                f"<path:object_id>/{route}/", self.admin_site.admin_view(view), name=f"projects_lead_{name}"
            )

        return [
            url("advance", self.advance_view, "advance"),
            url("pause", self.pause_view, "pause"),
            url("resume", self.resume_view, "resume"),
            url("lost", self.lost_view, "lost"),
            url("reopen", self.reopen_view, "reopen"),
            url("signings/add", self.signing_view, "add_signing"),
            url("capital-injections/add", self.capital_injection_view, "add_capital_injection"),
            *super().get_urls(),
        ]

    def _lead_for(
        self, request: HttpRequest, object_id: str, *, permission: str = "projects.change_lead"
    ) -> Lead:
        # A role without the right answers 403 before the lookup, so it learns nothing about which ids exist.
        if not request.user.has_perm(permission):
            raise PermissionDenied
        return self._scoped_object_or_404(request, object_id)

    def _action_page(
        self,
        request: HttpRequest,
        lead: Lead,
        *,
        form: forms.Form,
        title: str,
        perform: Callable[[], Any],
        done: Callable[[Any], str],
        extra: dict | None = None,
    ) -> HttpResponse:
        """Show `form`; on a valid POST run `perform` in one transaction. A refusal is shown as an error message
        above the same form, with what was typed kept; success goes back to the lead."""
        if request.method == "POST" and form.is_valid():
            try:
                with transaction.atomic():
                    result = perform()
            except (ApplicationError, ValidationError) as error:
                self.message_user(request, service_error_text(error), messages.ERROR)
            else:
                self.message_user(request, done(result), messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:projects_lead_change", args=[lead.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": lead,
            "title": title,
            "subtitle": str(lead),
            "form": form,
            "media": self.media + form.media,
            "has_file_field": any(isinstance(f, forms.FileField) for f in form.fields.values()),
            **(extra or {}),
        }
        return TemplateResponse(request, "admin/projects/lead/action_form.html", context)

    def _form(self, form_class, request: HttpRequest, lead: Lead, **kwargs) -> forms.Form:
        data = (request.POST, request.FILES) if request.method == "POST" else ()
        return form_class(*data, lead=lead, actor=request.user, admin_site=self.admin_site, **kwargs)

    def advance_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        lead = self._lead_for(request, object_id)
        choices = stage_choices(lead)
        wanted = request.POST.get("to_stage") or request.GET.get("to") or default_target(lead)
        to_stage = wanted if wanted in dict(choices) else choices[0][0]
        form = self._form(AdvanceForm, request, lead, to_stage=to_stage)

        def perform():
            data = form.cleaned_data
            return services.lead_advance(
                lead=lead,
                to_stage=data["to_stage"],
                actor=request.user,
                occurred_at=data["occurred_at"],
                evidence=form.evidence(),
                note=data["note"],
            )

        return self._action_page(
            request,
            lead,
            form=form,
            title=gettext("Advance stage"),
            perform=perform,
            done=lambda change: (
                gettext("%(lead)s moved to “%(stage)s”.")
                % {"lead": lead, "stage": Stage(change.to_stage).label}
            ),
            extra={
                "stage_choices": choices,
                "to_stage": to_stage,
                "current_stage": stage_label(lead.stage),
            },
        )

    def pause_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        lead = self._lead_for(request, object_id)
        form = self._form(PauseForm, request, lead)
        return self._action_page(
            request,
            lead,
            form=form,
            title=gettext("Pause the lead"),
            perform=lambda: services.lead_pause(actor=request.user, lead=lead, **form.cleaned_data),
            done=lambda saved: (
                gettext("%(lead)s is paused until %(date)s.")
                % {"lead": saved, "date": saved.resume_review_on}
            ),
        )

    def resume_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        lead = self._lead_for(request, object_id)
        form = self._form(ResumeForm, request, lead)
        return self._action_page(
            request,
            lead,
            form=form,
            title=gettext("Resume the lead"),
            perform=lambda: services.lead_resume(
                actor=request.user, lead=lead, note=form.cleaned_data["note"]
            ),
            done=lambda saved: gettext("%(lead)s is active again.") % {"lead": saved},
        )

    def lost_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        lead = self._lead_for(request, object_id)
        form = self._form(LostForm, request, lead)
        return self._action_page(
            request,
            lead,
            form=form,
            title=gettext("Mark the lead lost"),
            perform=lambda: services.lead_mark_lost(actor=request.user, lead=lead, **form.cleaned_data),
            done=lambda saved: gettext("%(lead)s is marked lost.") % {"lead": saved},
        )

    def reopen_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        lead = self._lead_for(request, object_id)
        form = self._form(ReopenForm, request, lead)
        return self._action_page(
            request,
            lead,
            form=form,
            title=gettext("Reopen the lead"),
            perform=lambda: services.lead_reopen(
                actor=request.user, lead=lead, note=form.cleaned_data["note"]
            ),
            done=lambda saved: gettext("%(lead)s is active again.") % {"lead": saved},
        )

    def _create_citing(self, request: HttpRequest, lead: Lead, form, create: Callable[[list[Document]], Any]):
        """Upload the form's file (if any), then create the record citing it and the chosen documents."""
        documents = list(form.cleaned_data["documents"])
        upload = form.cleaned_data["file"]
        if not upload:
            return create(documents)
        uploaded = services.document_upload(
            actor=request.user,
            lead=lead,
            file=upload,
            title=form.cleaned_data["file_title"],
            kind=form.upload_kind,
        )
        try:
            return create([*documents, uploaded])
        except (ApplicationError, ValidationError):
            # The rollback removes the new document's row but not its stored file.
            uploaded.file.delete(save=False)
            raise

    def signing_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        lead = self._lead_for(request, object_id, permission="projects.add_signing")
        form = self._form(SigningForm, request, lead)

        def perform():
            data = form.cleaned_data
            return self._create_citing(
                request,
                lead,
                form,
                lambda documents: services.signing_create(
                    actor=request.user,
                    lead=lead,
                    signed_on=data["signed_on"],
                    kind=data["kind"],
                    investor=data["investor"],
                    event=data["event"],
                    amount=data["amount"],
                    currency=data["currency"],
                    note=data["note"],
                    documents=documents,
                ),
            )

        return self._action_page(
            request,
            lead,
            form=form,
            title=gettext("Record a signing"),
            perform=perform,
            done=lambda signing: gettext("Signing recorded: %(signing)s.") % {"signing": signing},
        )

    def capital_injection_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        lead = self._lead_for(request, object_id, permission="projects.add_capitalinjection")
        form = self._form(CapitalInjectionForm, request, lead)

        def perform():
            data = form.cleaned_data
            return self._create_citing(
                request,
                lead,
                form,
                lambda documents: services.capital_injection_create(
                    actor=request.user,
                    lead=lead,
                    received_on=data["received_on"],
                    amount=data["amount"],
                    currency=data["currency"],
                    note=data["note"],
                    documents=documents,
                ),
            )

        return self._action_page(
            request,
            lead,
            form=form,
            title=gettext("Record a capital injection"),
            perform=perform,
            done=lambda injection: (
                gettext("Capital injection recorded: %(injection)s.") % {"injection": injection}
            ),
        )

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context["lead_tools"] = self._lead_tools(request, obj)
            # Pages of higher apps (funding, ...) registered with projects.lead_pages.
            context["lead_pages"] = lead_pages.links_for(request.user, obj)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def _lead_tools(self, request: HttpRequest, lead: Lead) -> list[tuple[str, str]]:
        """The buttons above the lead page: the actions its status allows and the user's rights permit."""
        user, status = request.user, lead.status
        can_change = self.has_change_permission(request, lead)
        tools = [
            (
                "advance",
                gettext("Advance stage"),
                can_change and status in {Lead.Status.ACTIVE, Lead.Status.PAUSED},
            ),
            ("pause", gettext("Pause"), can_change and status == Lead.Status.ACTIVE),
            ("resume", gettext("Resume"), can_change and status == Lead.Status.PAUSED),
            ("lost", gettext("Mark lost"), can_change and status in {Lead.Status.ACTIVE, Lead.Status.PAUSED}),
            (
                "reopen",
                gettext("Reopen"),
                status == Lead.Status.LOST and self.has_move_backward_permission(request),
            ),
            ("add_signing", gettext("Record a signing"), user.has_perm("projects.add_signing")),
            (
                "add_capital_injection",
                gettext("Record a capital injection"),
                user.has_perm("projects.add_capitalinjection"),
            ),
        ]
        links = [
            (reverse(f"admin:projects_lead_{name}", args=[lead.pk]), label)
            for name, label, shown in tools
            if shown
        ]
        for model, label, permission in (
            ("document", gettext("Upload a document"), "projects.add_document"),
            ("activity", gettext("Log an activity"), "projects.add_activity"),
        ):
            if user.has_perm(permission):
                links.append((f"{reverse(f'admin:projects_{model}_add')}?lead={lead.pk}", label))
        return links
