"""The application's moves: submit, approve, reject, plan and pay a tranche, close — and recording a Hong Kong
grant a lead already holds.

Each is a small page (templates/admin/object_action_form.html) reached from a button on the application or a
changelist action on exactly one row; a valid POST calls one service in one transaction, and a refusal is shown
above the same form with what was typed kept. A role without the right answers 403 before the lookup, so ids
reveal nothing; an application outside the user's scope answers 404.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.errors import ApplicationError
from funding import services
from funding.admin.base import error_text, may_approve, money
from funding.admin.forms import (
    ApproveForm,
    CloseForm,
    HongKongGrantForm,
    RejectForm,
    SubmitForm,
    TranchePayForm,
    TranchePlanForm,
)
from funding.models import FundingApplication, ProgramType, Tranche
from projects.selectors import lead_is_read_only_for

Status = FundingApplication.Status
CHANGE = "funding.change_fundingapplication"
PLAN_TRANCHE = "funding.add_tranche"
PAY_TRANCHE = "funding.change_tranche"


def _one(model_admin, request: HttpRequest, queryset: QuerySet, route: str) -> HttpResponse | None:
    ids = list(queryset.values_list("pk", flat=True)[:2])
    if len(ids) != 1:
        model_admin.message_user(
            request, gettext("Choose exactly one application for this action."), messages.WARNING
        )
        return None
    return HttpResponseRedirect(reverse(f"admin:funding_fundingapplication_{route}", args=[ids[0]]))


class ApplicationActionsMixin:
    """Mixed into FundingApplicationAdmin (a ScopedAdmin): its scope finds the application, or answers 404."""

    admin_site: Any
    opts: Any
    media: Any
    message_user: Any
    _scoped_object_or_404: Any
    has_add_permission: Any

    application_actions = [
        "submit_application",
        "approve_application",
        "reject_application",
        "plan_tranche",
        "close_application",
    ]

    def has_approve_permission(self, request: HttpRequest) -> bool:
        return may_approve(request.user)

    def has_plan_tranche_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(PLAN_TRANCHE)

    @admin.action(description=_("Submit…"), permissions=["change"])
    def submit_application(self, request, queryset):
        return _one(self, request, queryset, "submit")

    @admin.action(description=_("Approve…"), permissions=["approve"])
    def approve_application(self, request, queryset):
        return _one(self, request, queryset, "approve")

    @admin.action(description=_("Reject…"), permissions=["change"])
    def reject_application(self, request, queryset):
        return _one(self, request, queryset, "reject")

    @admin.action(description=_("Plan a tranche…"), permissions=["plan_tranche"])
    def plan_tranche(self, request, queryset):
        return _one(self, request, queryset, "plan_tranche")

    @admin.action(description=_("Close…"), permissions=["change"])
    def close_application(self, request, queryset):
        return _one(self, request, queryset, "close")

    def get_urls(self):
        def url(route: str, view: Callable, name: str):
            return path(route, self.admin_site.admin_view(view), name=f"funding_fundingapplication_{name}")

        return [
            # Before the object routes, which would take "hk-grant" for an id.
            url("hk-grant/", self.hk_grant_view, "hk_grant"),
            url("<path:object_id>/submit/", self.submit_view, "submit"),
            url("<path:object_id>/approve/", self.approve_view, "approve"),
            url("<path:object_id>/reject/", self.reject_view, "reject"),
            url("<path:object_id>/close/", self.close_view, "close"),
            url("<path:object_id>/tranches/plan/", self.plan_tranche_view, "plan_tranche"),
            url("<path:object_id>/tranches/<int:tranche_id>/pay/", self.pay_tranche_view, "pay_tranche"),
            *super().get_urls(),  # type: ignore[misc]
        ]

    # --- The buttons on the application's page --------------------------------------------------------------

    def application_tools(
        self, request: HttpRequest, application: FundingApplication
    ) -> list[tuple[str, str]]:
        user, status = request.user, application.status
        if lead_is_read_only_for(user, application.lead):
            return []
        can_change = user.has_perm(CHANGE)
        payable = status in (Status.APPROVED, Status.DISBURSING)
        hk_grant = application.version.program.program_type == ProgramType.HK_GRANT
        tools = [
            ("submit", gettext("Submit"), can_change and status == Status.DRAFT),
            ("approve", gettext("Approve"), status == Status.SUBMITTED and may_approve(user)),
            ("reject", gettext("Reject"), can_change and status == Status.SUBMITTED),
            # The Hong Kong side pays its own grants: the bureau plans no tranches of them.
            (
                "plan_tranche",
                gettext("Plan a tranche"),
                payable and not hk_grant and user.has_perm(PLAN_TRANCHE),
            ),
            ("close", gettext("Close"), can_change and payable),
        ]
        return [
            (reverse(f"admin:funding_fundingapplication_{name}", args=[application.pk]), label)
            for name, label, shown in tools
            if shown
        ]

    # --- Pages ----------------------------------------------------------------------------------------------

    def _application_for(self, request: HttpRequest, object_id: str, allowed: bool) -> FundingApplication:
        if not allowed:
            raise PermissionDenied
        application = self._scoped_object_or_404(request, object_id)
        if lead_is_read_only_for(request.user, application.lead):
            raise PermissionDenied
        return application

    def _form(self, form_class, request: HttpRequest, application: FundingApplication) -> forms.Form:
        data = (request.POST,) if request.method == "POST" else ()
        return form_class(*data, application=application)

    def _action_page(
        self,
        request: HttpRequest,
        application: FundingApplication,
        *,
        form: forms.Form,
        title: str,
        perform: Callable[[], Any],
        done: Callable[[Any], str],
        intro: str = "",
    ) -> HttpResponse:
        if request.method == "POST" and form.is_valid():
            try:
                with transaction.atomic():
                    result = perform()
            except (ApplicationError, ValidationError) as error:
                self.message_user(request, error_text(error), messages.ERROR)
            else:
                self.message_user(request, done(result), messages.SUCCESS)
                return HttpResponseRedirect(
                    reverse("admin:funding_fundingapplication_change", args=[application.pk])
                )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": application,
            "title": title,
            "subtitle": str(application),
            "form": form,
            "intro": intro,
            "media": self.media + form.media,
        }
        return TemplateResponse(request, "admin/object_action_form.html", context)

    def submit_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        application = self._application_for(request, object_id, request.user.has_perm(CHANGE))
        form = self._form(SubmitForm, request, application)
        return self._action_page(
            request,
            application,
            form=form,
            title=gettext("Submit the application"),
            perform=lambda: services.application_submit(
                actor=request.user, application=application, submitted_on=form.cleaned_data["submitted_on"]
            ),
            done=lambda saved: (
                gettext("%(application)s is submitted (batch: %(batch)s).")
                % {"application": saved, "batch": saved.window.batch if saved.window else "—"}
            ),
        )

    def approve_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        application = self._application_for(request, object_id, may_approve(request.user))
        form = self._form(ApproveForm, request, application)

        def perform():
            data = form.cleaned_data
            return services.application_approve(
                actor=request.user,
                application=application,
                approved_amount=data["approved_amount"],
                decision_date=data["decision_date"],
                matching_basis=data["matching_basis"],
            )

        return self._action_page(
            request,
            application,
            form=form,
            title=gettext("Approve the application"),
            perform=perform,
            done=lambda saved: (
                gettext("%(application)s is approved: %(amount)s.")
                % {"application": saved, "amount": money(saved.approved_amount, saved.currency)}
            ),
            intro=self._approval_intro(application),
        )

    @staticmethod
    def _approval_intro(application: FundingApplication) -> str:
        """What the approver weighs: the request, the cap and, for matching, the matching amount today."""
        version = application.version
        parts = [
            gettext("Requested: %(requested)s. Cap of %(version)s: %(cap)s.")
            % {
                "requested": money(application.requested_amount, application.currency),
                "version": version,
                "cap": money(version.max_amount, version.currency),
            }
        ]
        if version.program.program_type == ProgramType.MATCHING:
            today = timezone.localdate()
            try:
                matching = services.matching_amount(lead=application.lead, version=version, on=today)
            except ApplicationError as error:
                parts.append(error.message)
            else:
                parts.append(
                    gettext("Matching on %(date)s: %(amount)s (%(basis)s)")
                    % {
                        "date": today,
                        "amount": money(matching.amount, matching.currency),
                        "basis": matching.basis,
                    }
                )
        return " ".join(parts)

    def reject_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        application = self._application_for(request, object_id, request.user.has_perm(CHANGE))
        form = self._form(RejectForm, request, application)
        return self._action_page(
            request,
            application,
            form=form,
            title=gettext("Reject the application"),
            perform=lambda: services.application_reject(
                actor=request.user,
                application=application,
                decision_date=form.cleaned_data["decision_date"],
                note=form.cleaned_data["note"],
            ),
            done=lambda saved: gettext("%(application)s is rejected.") % {"application": saved},
        )

    def close_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        application = self._application_for(request, object_id, request.user.has_perm(CHANGE))
        form = self._form(CloseForm, request, application)
        return self._action_page(
            request,
            application,
            form=form,
            title=gettext("Close the application"),
            perform=lambda: services.application_close(
                actor=request.user, application=application, closed_on=form.cleaned_data["closed_on"]
            ),
            done=lambda saved: gettext("%(application)s is closed.") % {"application": saved},
        )

    def plan_tranche_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        application = self._application_for(request, object_id, request.user.has_perm(PLAN_TRANCHE))
        form = self._form(TranchePlanForm, request, application)
        return self._action_page(
            request,
            application,
            form=form,
            title=gettext("Plan a tranche"),
            perform=lambda: services.tranche_plan(
                actor=request.user, application=application, **form.cleaned_data
            ),
            done=lambda tranche: (
                gettext("Tranche planned on %(date)s: %(amount)s.")
                % {"date": tranche.planned_on, "amount": money(tranche.amount, application.currency)}
            ),
            intro=gettext("Approved: %(approved)s.")
            % {"approved": money(application.approved_amount, application.currency)},
        )

    def pay_tranche_view(self, request: HttpRequest, object_id: str, tranche_id: int) -> HttpResponse:
        application = self._application_for(request, object_id, request.user.has_perm(PAY_TRANCHE))
        tranche = Tranche.objects.filter(application=application, pk=tranche_id).first()
        if tranche is None:
            raise Http404
        form = self._form(TranchePayForm, request, application)
        return self._action_page(
            request,
            application,
            form=form,
            title=gettext("Record a tranche's payment"),
            perform=lambda: services.tranche_pay(
                actor=request.user, tranche=tranche, paid_on=form.cleaned_data["paid_on"]
            ),
            done=lambda paid: (
                gettext("Tranche of %(amount)s paid on %(date)s.")
                % {"amount": money(paid.amount, application.currency), "date": paid.paid_on}
            ),
            intro=gettext("Planned on %(date)s: %(amount)s.")
            % {"date": tranche.planned_on, "amount": money(tranche.amount, application.currency)},
        )

    def hk_grant_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        data = (request.POST,) if request.method == "POST" else ()
        form = HongKongGrantForm(*data, actor=request.user, admin_site=self.admin_site)
        if request.method == "POST" and form.is_valid():
            cleaned = form.cleaned_data
            try:
                with transaction.atomic():
                    grant = services.hk_grant_record(
                        actor=request.user,
                        lead=cleaned["lead"],
                        version=cleaned["version"],
                        approved_amount=cleaned["approved_amount"],
                        decision_date=cleaned["decision_date"],
                    )
            except (ApplicationError, ValidationError) as error:
                self.message_user(request, error_text(error), messages.ERROR)
            else:
                self.message_user(
                    request,
                    gettext("Hong Kong grant recorded: %(grant)s, %(amount)s.")
                    % {"grant": grant, "amount": money(grant.approved_amount, grant.currency)},
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(
                    reverse("admin:funding_fundingapplication_change", args=[grant.pk])
                )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Record a Hong Kong grant"),
            "form": form,
            "intro": gettext(
                "A grant the lead already holds from Hong Kong (RAISe+, ITF), recorded as approved so that "
                "matching programmes count it."
            ),
            "media": self.media + form.media,
        }
        return TemplateResponse(request, "admin/funding/fundingapplication/hk_grant_form.html", context)


class TrancheActionsMixin:
    """Mixed into TrancheAdmin: the payment of one tranche is recorded on its application's page."""

    message_user: Any
    tranche_actions = ["record_payment"]

    def has_pay_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(PAY_TRANCHE)

    @admin.action(description=_("Record payment…"), permissions=["pay"])
    def record_payment(self, request, queryset):
        tranches = list(queryset.values_list("application_id", "pk")[:2])
        if len(tranches) != 1:
            self.message_user(
                request, gettext("Choose exactly one tranche for this action."), messages.WARNING
            )
            return None
        application_id, tranche_id = tranches[0]
        return HttpResponseRedirect(
            reverse("admin:funding_fundingapplication_pay_tranche", args=[application_id, tranche_id])
        )
