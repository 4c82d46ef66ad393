"""The buttons of a contact's page: export of the person's data (JSON or XLSX), erasure, consent withdrawal.

Each opens a small page; its POST calls one service (contact_export, contact_erase, consent_withdraw) in one
transaction. A role without the right answers 403 before the contact is looked up; a contact outside the user's
scope answers 404.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.errors import ApplicationError
from talent.models import Consent, Contact, Purpose
from talent.services.consent import consent_withdraw
from talent.services.rights import contact_erase, contact_export, export_workbook

MANAGE_PERSONAL_DATA = "talent.manage_personal_data"
RECORD_CONSENT = "talent.add_consent"


class EraseForm(forms.Form):
    reason = forms.CharField(
        label=_("reason"),
        max_length=200,
        help_text=_(
            "The person's request and its date, or the rule that applies. Kept in the personal-data log."
        ),
    )
    confirm = forms.BooleanField(
        label=_("I understand that the name, phones, e-mails and notes are removed for good"), required=True
    )


class WithdrawalForm(forms.Form):
    purposes = forms.MultipleChoiceField(
        label=_("purposes withdrawn"), choices=Purpose.choices, widget=forms.CheckboxSelectMultiple
    )
    channel = forms.ChoiceField(label=_("how the person told us"), choices=Consent.Channel.choices)
    evidence = forms.CharField(
        label=_("evidence"),
        max_length=200,
        required=False,
        help_text=_("The e-mail's date, a note of the call, a form id."),
    )

    def __init__(self, *args, contact: Contact, **kwargs) -> None:
        kwargs.setdefault("initial", {"channel": Consent.Channel.EMAIL})
        super().__init__(*args, **kwargs)
        given = {purpose for purpose in Purpose.values if contact.consents_to(purpose)}
        # What the person consents to now comes first, marked; the rest can be withdrawn all the same (a record).
        self.fields["purposes"].choices = [
            (value, gettext("%(purpose)s (given)") % {"purpose": label} if value in given else label)
            for value, label in Purpose.choices
        ]


class ContactActionsMixin:
    """Mixed into ContactAdmin (a ScopedAdmin): the scope finds the contact, or answers 404."""

    admin_site: Any
    opts: Any
    message_user: Any
    _scoped_object_or_404: Any

    def get_urls(self):
        def url(route: str, view: Callable, name: str):
            return path(
                f"<path:object_id>/{route}/", self.admin_site.admin_view(view), name=f"talent_contact_{name}"
            )

        return [
            url("export", self.export_view, "export"),
            url("erase", self.erase_view, "erase"),
            url("withdraw-consent", self.withdraw_view, "withdraw_consent"),
            *super().get_urls(),
        ]

    def contact_tools(self, request: HttpRequest, contact: Contact) -> list[tuple[str, str]]:
        user = request.user
        active = contact.status == Contact.Status.ACTIVE
        tools = [
            ("export", gettext("Export personal data"), user.has_perm(MANAGE_PERSONAL_DATA)),
            (
                "withdraw_consent",
                gettext("Record consent withdrawal"),
                active and user.has_perm(RECORD_CONSENT),
            ),
            (
                "erase",
                gettext("Erase"),
                contact.status != Contact.Status.ERASED and user.has_perm(MANAGE_PERSONAL_DATA),
            ),
        ]
        return [
            (reverse(f"admin:talent_contact_{name}", args=[contact.pk]), label)
            for name, label, shown in tools
            if shown
        ]

    def _contact_for(self, request: HttpRequest, object_id: str, permission: str) -> Contact:
        if not request.user.has_perm(permission):
            raise PermissionDenied
        return self._scoped_object_or_404(request, object_id)

    def _back(self, contact: Contact) -> HttpResponseRedirect:
        return HttpResponseRedirect(reverse("admin:talent_contact_change", args=[contact.pk]))

    def _page(
        self, request: HttpRequest, contact: Contact, *, title: str, form=None, **extra
    ) -> HttpResponse:
        if form is not None:
            for field in form.fields.values():
                field.label = capfirst(field.label)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": contact,
            "title": title,
            "subtitle": str(contact),
            "form": form,
            "media": form.media if form is not None else forms.Media(),
            **extra,
        }
        return TemplateResponse(request, "admin/object_action_form.html", context)

    def _perform(self, request: HttpRequest, perform: Callable[[], Any]) -> bool:
        try:
            with transaction.atomic():
                perform()
        except ApplicationError as error:
            self.message_user(request, error.message, messages.ERROR)
            return False
        return True

    def export_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        contact = self._contact_for(request, object_id, MANAGE_PERSONAL_DATA)
        chosen = request.POST.get("format")
        if request.method == "POST" and chosen in {"json", "xlsx"}:
            # The export is logged (PersonalDataLog), so it is made by a POST, never by following a link.
            with transaction.atomic():
                data = contact_export(actor=request.user, contact=contact)
            stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
            filename = f"contact-{contact.pk}-{stamp}.{chosen}"
            if chosen == "json":
                response = HttpResponse(
                    json.dumps(data, ensure_ascii=False, indent=2),
                    content_type="application/json; charset=utf-8",
                )
            else:
                response = HttpResponse(
                    export_workbook(data),
                    content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                )
            response["Content-Disposition"] = f'attachment; filename="{filename}"'
            return response
        return self._page(
            request,
            contact,
            title=gettext("Export personal data"),
            intro=gettext(
                "Everything held on this person: the record, its changes, and the rows of every part of the "
                "system that refers to the person. The export is logged."
            ),
            buttons=[("json", gettext("Download JSON")), ("xlsx", gettext("Download Excel workbook"))],
        )

    def erase_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        contact = self._contact_for(request, object_id, MANAGE_PERSONAL_DATA)
        if contact.status == Contact.Status.ERASED:
            self.message_user(request, gettext("This person has already been erased."), messages.WARNING)
            return self._back(contact)
        form = EraseForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            reason = form.cleaned_data["reason"]
            if self._perform(
                request, lambda: contact_erase(actor=request.user, contact=contact, reason=reason)
            ):
                self.message_user(
                    request,
                    gettext("The person's data has been erased; the record remains as #%(pk)s.")
                    % {"pk": contact.pk},
                    messages.SUCCESS,
                )
                return self._back(contact)
        return self._page(
            request,
            contact,
            title=gettext("Erase the person's data"),
            form=form,
            intro=gettext(
                "The name, phones, e-mails, WeChat ID and notes are removed from the record and from its history. "
                "Attendances, leads and activities stay for the statistics, without the person. This cannot be "
                "undone."
            ),
            danger=True,
        )

    def withdraw_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        contact = self._contact_for(request, object_id, RECORD_CONSENT)
        if contact.status != Contact.Status.ACTIVE:
            self.message_user(
                request, gettext("Consent can be recorded for active contacts only."), messages.WARNING
            )
            return self._back(contact)
        form = WithdrawalForm(request.POST if request.method == "POST" else None, contact=contact)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            if self._perform(
                request,
                lambda: consent_withdraw(
                    actor=request.user,
                    contact=contact,
                    purposes=data["purposes"],
                    channel=data["channel"],
                    evidence=data["evidence"],
                ),
            ):
                self.message_user(request, gettext("The withdrawal has been recorded."), messages.SUCCESS)
                return self._back(contact)
        return self._page(request, contact, title=gettext("Record consent withdrawal"), form=form)
