"""The forms of the event pages: the recorder's quick capture and the attendee's own QR registration."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from talent.models import Attendance, Interest, Purpose
from talent.services.capture import CaptureInput


class _PersonForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "words", "enterkeyhint": "next"}
        ),
    )
    organization = forms.CharField(
        label=_("Organization"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "list": "organization-options"}),
    )
    position = forms.CharField(label=_("Position"), max_length=120, required=False)
    phone = forms.CharField(
        label=_("Phone"),
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel", "autocomplete": "off"}),
        help_text=_("8 digits are taken as a Hong Kong number; 11 digits starting with 1 as a mainland one."),
    )
    email = forms.CharField(
        label=_("E-mail"),
        max_length=254,
        required=False,
        widget=forms.TextInput(attrs={"type": "email", "inputmode": "email", "autocomplete": "off"}),
    )
    wechat = forms.CharField(label=_("WeChat ID"), max_length=64, required=False)
    interests = forms.MultipleChoiceField(
        label=_("Interested in"),
        choices=Interest.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    purposes = forms.MultipleChoiceField(
        label=_("Consent"),
        choices=Purpose.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Each purpose separately; none is required."),
    )

    def person(self, *, language: str) -> CaptureInput:
        data: dict[str, Any] = self.cleaned_data
        return CaptureInput(
            name=data["name"],
            organization_text=data["organization"],
            position=data["position"],
            phone=data["phone"],
            email=data["email"],
            wechat=data["wechat"],
            interests=data["interests"],
            grade=data.get("grade", ""),
            notes=data.get("notes", ""),
            purposes=data["purposes"],
            language=language,
        )

    def canonical(self) -> dict[str, Any]:
        """The submission as the idempotency store compares it: what was entered, in a stable form."""
        return {
            name: sorted(value) if isinstance(value, list) else value
            for name, value in self.cleaned_data.items()
        }


class CaptureForm(_PersonForm):
    """What an event recorder types in for a person met at the event."""

    grade = forms.ChoiceField(
        label=_("Grade"),
        choices=[("", _("Not graded")), *Attendance.Grade.choices],
        required=False,
        widget=forms.RadioSelect,
    )
    notes = forms.CharField(
        label=_("Notes"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class RegistrationForm(_PersonForm):
    """What attendees fill in themselves after scanning the event's QR code."""

    statement_read = forms.BooleanField(
        label=_("I have read the personal information collection statement above."),
        error_messages={"required": _("Please confirm that you have read the statement.")},
    )
    # Left empty by people; filled by form-filling robots, whose submissions are then dropped.
    website = forms.CharField(required=False, label=_("Leave this empty"))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not (data.get("phone") or data.get("email") or data.get("wechat")):
            raise forms.ValidationError(_("Please give a phone number, an e-mail address or a WeChat ID."))
        return data

    def canonical(self) -> dict[str, Any]:
        body = super().canonical()
        body.pop("website", None)
        return body
