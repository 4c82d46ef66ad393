"""Forms of the lead admin: the lead itself, and the pages of its actions (advance, status, records).

The forms check shapes (a date is a date, a document belongs to the lead); the rules are the services' own, and
their refusals reach the user as admin messages.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib.admin.widgets import (
    AdminDateWidget,
    AdminSplitDateTime,
    AutocompleteSelect,
    AutocompleteSelectMultiple,
)
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.errors import ApplicationError
from core.money import AMOUNT_DIGITS, AMOUNT_PLACES, Currency
from directory.models import Carrier, Organization
from projects import services
from projects.admin.merge import LeadDuplicateFormMixin
from projects.evidence import STAGE_NEEDS, Need
from projects.models import Activity, Document, Lead, LeadType, LostReason, PauseReason, Signing
from projects.selectors import leads_visible_to
from projects.services.leads import EDITABLE_FIELDS
from projects.stages import FIRST_STAGE, STAGES, TRACK_STAGES, Phase, Stage, Track, stage_order
from talent.models import RecruitmentEvent
from talent.selectors import events_visible_to


class LeadForm(LeadDuplicateFormMixin, forms.ModelForm):
    """The lead's descriptive fields. ScopedAdmin.get_form puts the acting user on the class as `actor`."""

    actor: Any = None

    class Meta:
        model = Lead
        # What lead_update may change, plus what only registering a lead sets.
        fields = sorted(EDITABLE_FIELDS | {"lead_type", "owning_unit", "co_owners", "competing_locations"})

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk:
            return cleaned
        unit = cleaned.get("owning_unit")
        if unit is not None:
            try:
                services.lead_check_ownership(actor=self.actor, owner=self.actor, owning_unit=unit)
            except ApplicationError as error:
                field = error.field if error.field in self.fields else None
                self.add_error(field, error.message)
        return cleaned

    def _post_clean(self) -> None:
        super()._post_clean()  # the model's own checks first, so a field is never told twice
        lead_type = self.cleaned_data.get("lead_type")
        if self.instance.pk or not lead_type:
            return
        # The first stage's evidence is the lead's own fields: say which are missing beside them, before
        # lead_create refuses the whole form with one message.
        for need in STAGE_NEEDS[FIRST_STAGE[LeadType.track_of(lead_type)]]:
            if (
                need.key in self.fields
                and not self.cleaned_data.get(need.key)
                and need.key not in self.errors
            ):
                self.add_error(need.key, gettext("A new lead needs %(what)s.") % {"what": need.label})


def autocomplete(field: forms.ModelChoiceField, source, admin_site) -> None:
    """Give a form field the admin's autocomplete widget; `source` is a model field pointing at the same model,
    which the autocomplete view uses to find the target admin (and its scope and search)."""
    field.widget = AutocompleteSelect(source, admin_site)
    field.widget.choices = field.choices


def service_error_text(error: ApplicationError | ValidationError) -> str:
    if isinstance(error, ApplicationError):
        return error.message
    return " ".join(error.messages)


class ActionForm(forms.Form):
    """The form of an action page on one lead. Labels reuse the models' lower-case msgids and are capitalized
    the way model forms capitalize theirs."""

    def __init__(self, *args, lead: Lead, actor, admin_site, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.lead = lead
        self.add_fields(lead=lead, actor=actor, admin_site=admin_site)
        for field in self.fields.values():
            field.label = capfirst(field.label)

    def add_fields(self, *, lead: Lead, actor, admin_site) -> None:
        """Fields that depend on the lead, the user or the admin site (autocomplete widgets)."""


# --- Advancing a stage --------------------------------------------------------------------------------------


def stage_label(stage: str) -> str:
    return f"{Phase(STAGES[stage].phase).label} · {Stage(stage).label}"


def stage_choices(lead: Lead) -> list[tuple[str, str]]:
    """The other stages of the lead's track, in order; earlier ones are marked as moves back."""
    choices = []
    for stage in TRACK_STAGES[lead.track]:
        if stage == lead.stage:
            continue
        label = stage_label(stage)
        if stage_order(stage) < stage_order(lead.stage):
            label = gettext("%(stage)s (back)") % {"stage": label}
        choices.append((stage, label))
    return choices


def default_target(lead: Lead) -> str | None:
    stages = TRACK_STAGES[lead.track]
    following = stages[stages.index(lead.stage) + 1 :]
    return following[0] if following else None


class AdvanceForm(ActionForm):
    """The move's date and note, plus one input per piece of evidence the target stage needs."""

    to_stage = forms.ChoiceField(widget=forms.HiddenInput)
    occurred_at = forms.SplitDateTimeField(label=_("when it happened"), widget=AdminSplitDateTime)
    note = forms.CharField(
        label=_("note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Needed when a manager moves the lead back: say why."),
    )

    def __init__(self, *args, to_stage: str, **kwargs) -> None:
        self.to_stage = to_stage
        kwargs.setdefault("initial", {"to_stage": to_stage, "occurred_at": timezone.localtime()})
        super().__init__(*args, **kwargs)

    def add_fields(self, *, lead: Lead, actor, admin_site) -> None:
        self.fields["to_stage"].choices = stage_choices(lead)
        to_stage = self.to_stage
        backward = stage_order(to_stage) < stage_order(lead.stage)
        # A move back needs no evidence (lead_advance checks evidence only going forward).
        self.needs = [] if backward else [n for n in STAGE_NEEDS[to_stage] if n.kind != "lead_field"]
        for need in self.needs:
            self.fields[need.key] = self._field_for(need, lead=lead, actor=actor, admin_site=admin_site)
            alternatives = [
                str(n.label) for n in self.needs if n.group and n.group == need.group and n != need
            ]
            if alternatives:
                self.fields[need.key].help_text = gettext("Or instead: %(others)s.") % {
                    "others": gettext("; ").join(alternatives)
                }

    @staticmethod
    def _field_for(need: Need, *, lead: Lead, actor, admin_site) -> forms.Field:
        # Every input is optional here: evidence_check names all that is missing in one message.
        label, kind = need.label, need.kind
        if kind == "text":
            return forms.CharField(label=label, required=False, widget=forms.Textarea(attrs={"rows": 3}))
        if kind == "uscc":
            return forms.CharField(label=label, required=False, max_length=18)
        if kind == "date":
            return forms.DateField(label=label, required=False, widget=AdminDateWidget)
        if kind == "positive_int":
            return forms.IntegerField(label=label, required=False, min_value=1)
        if kind == "positive_number":
            return forms.DecimalField(label=label, required=False, min_value=Decimal("0.01"))
        if kind == "choice":
            return forms.ChoiceField(label=label, required=False, choices=[("", "---------"), *need.choices])
        if kind == "documents":
            return forms.ModelMultipleChoiceField(
                label=label,
                required=False,
                queryset=lead.documents.order_by("-uploaded_at", "-pk"),
                widget=forms.CheckboxSelectMultiple,
                help_text=_(
                    "Documents uploaded to this lead. Upload a missing one from the lead's page first."
                ),
            )
        carrier_source = Lead._meta.get_field("target_carrier")
        if kind == "carriers":
            return forms.ModelMultipleChoiceField(
                label=label,
                required=False,
                queryset=Carrier.objects.all(),
                widget=AutocompleteSelectMultiple(carrier_source, admin_site),
            )
        if kind == "carrier":
            return forms.ModelChoiceField(
                label=label,
                required=False,
                queryset=Carrier.objects.all(),
                widget=AutocompleteSelect(carrier_source, admin_site),
            )
        if kind == "activity":
            return forms.ModelChoiceField(
                label=label, required=False, queryset=lead.activities.filter(kind__in=Activity.TWO_WAY)
            )
        if kind == "signing":
            return forms.ModelChoiceField(label=label, required=False, queryset=lead.signings.all())
        if kind == "org_lead":
            return forms.ModelChoiceField(
                label=label,
                required=False,
                queryset=leads_visible_to(actor).filter(track=Track.ORGANIZATION),
                widget=AutocompleteSelect(Lead._meta.get_field("founded_from"), admin_site),
            )
        raise AssertionError(f"no admin input for evidence kind {kind}")

    def evidence(self) -> dict[str, Any]:
        """The cleaned inputs in the JSON shape evidence_check reads: ids for records, ISO dates."""
        evidence: dict[str, Any] = {}
        for need in self.needs:
            value = self.cleaned_data.get(need.key)
            if value in (None, ""):
                continue
            if need.kind in {"documents", "carriers"}:
                ids = [row.pk for row in value]
                if ids:
                    evidence[need.key] = ids
            elif need.kind in {"carrier", "activity", "signing", "org_lead"}:
                evidence[need.key] = value.pk
            elif isinstance(value, dt.date):
                evidence[need.key] = value.isoformat()
            elif isinstance(value, Decimal):
                evidence[need.key] = str(value)
            else:
                evidence[need.key] = value
        return evidence


# --- Status changes -----------------------------------------------------------------------------------------


class PauseForm(ActionForm):
    reason = forms.ChoiceField(label=_("pause reason"), choices=PauseReason.choices)
    resume_review_on = forms.DateField(label=_("review resumption on"), widget=AdminDateWidget)
    note = forms.CharField(label=_("note"), required=False, widget=forms.Textarea(attrs={"rows": 3}))


class ResumeForm(ActionForm):
    note = forms.CharField(label=_("note"), required=False, widget=forms.Textarea(attrs={"rows": 3}))


class LostForm(ActionForm):
    reason = forms.ChoiceField(label=_("lost reason"), choices=LostReason.choices)
    lost_to = forms.ModelChoiceField(
        label=_("lost to"),
        required=False,
        queryset=Organization.objects.filter(kind=Organization.Kind.COMPETING_LOCATION),
        help_text=_("The competing location that won the lead, when there is one."),
    )
    note = forms.CharField(label=_("note"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def add_fields(self, *, lead: Lead, actor, admin_site) -> None:
        # competing_locations carries the "competing location" limit the autocomplete should apply.
        autocomplete(self.fields["lost_to"], Lead._meta.get_field("competing_locations"), admin_site)


class ReopenForm(ActionForm):
    note = forms.CharField(
        label=_("why the lead is reopened"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


# --- Signings and capital injections -------------------------------------------------------------------------


class RecordForm(ActionForm):
    """Shared by signings and capital injections: the documents to cite, or a new file to upload and cite."""

    upload_kind: str = Document.Kind.OTHER
    # Documents already attached to another record of the same kind are not offered again.
    unattached_filter: dict[str, Any] = {}

    documents = forms.ModelMultipleChoiceField(
        label=_("documents already uploaded"),
        required=False,
        queryset=Document.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )
    file = forms.FileField(
        label=_("upload a document"), required=False, help_text=_("PDF, JPG, PNG, Word or Excel.")
    )
    file_title = forms.CharField(
        label=_("title of the uploaded document"),
        required=False,
        max_length=200,
        help_text=_("Defaults to the file name."),
    )
    note = forms.CharField(label=_("note"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def add_fields(self, *, lead: Lead, actor, admin_site) -> None:
        self.fields["documents"].queryset = lead.documents.filter(**self.unattached_filter).order_by(
            "-uploaded_at", "-pk"
        )


class SigningForm(RecordForm):
    upload_kind = Document.Kind.AGREEMENT
    unattached_filter = {"signing__isnull": True}

    signed_on = forms.DateField(label=_("signing date"), widget=AdminDateWidget)
    kind = forms.ChoiceField(label=_("kind"), choices=Signing.Kind.choices, initial=Signing.Kind.NEW)
    investor = forms.ModelChoiceField(label=_("investor"), queryset=Organization.objects.all())
    event = forms.ModelChoiceField(
        label=_("signed at event"), required=False, queryset=RecruitmentEvent.objects.none()
    )
    amount = forms.DecimalField(
        label=_("contracted amount"), max_digits=AMOUNT_DIGITS, decimal_places=AMOUNT_PLACES, min_value=0
    )
    currency = forms.ChoiceField(label=_("currency"), choices=Currency.choices, initial=Currency.CNY)

    field_order = ["signed_on", "kind", "investor", "event", "amount", "currency", "documents", "file"]

    def add_fields(self, *, lead: Lead, actor, admin_site) -> None:
        super().add_fields(lead=lead, actor=actor, admin_site=admin_site)
        self.fields["event"].queryset = events_visible_to(actor)
        autocomplete(self.fields["investor"], Signing._meta.get_field("investor"), admin_site)
        autocomplete(self.fields["event"], Signing._meta.get_field("event"), admin_site)


class CapitalInjectionForm(RecordForm):
    upload_kind = Document.Kind.INVOICE
    unattached_filter = {"capital_injection__isnull": True}

    received_on = forms.DateField(label=_("date received"), widget=AdminDateWidget)
    amount = forms.DecimalField(
        label=_("amount"), max_digits=AMOUNT_DIGITS, decimal_places=AMOUNT_PLACES, min_value=Decimal("0.01")
    )
    currency = forms.ChoiceField(label=_("currency"), choices=Currency.choices, initial=Currency.CNY)

    field_order = ["received_on", "amount", "currency", "documents", "file"]
