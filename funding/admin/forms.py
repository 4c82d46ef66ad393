"""Forms of the funding admin: amounts typed the way people write them, and the pages of the application's
actions (submit, approve, reject, plan and pay a tranche, close, record a Hong Kong grant).

The forms check shapes (a date is a date, an amount is in the right currency); the rules are the services' own,
and their refusals reach the user as admin messages above the same form."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib.admin.widgets import AdminDateWidget, AutocompleteSelect
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.money import AmountField, Currency
from funding.admin.base import lead_field_label
from funding.eligibility import FIELDS
from funding.models import FundingApplication, FundingProgram, ProgramType, ProgramVersion
from projects.models import Lead
from projects.selectors import leads_changeable_by

# The id of the one <datalist> of whitelisted lead fields a rule's page carries (see the change_form templates).
RULE_FIELDS_LIST = "eligibility-rule-fields"


def rule_field_suggestions() -> list[tuple[str, str]]:
    return [(name, lead_field_label(name)) for name in FIELDS]


class RuleFieldInput(forms.TextInput):
    """Free text with the whitelist offered as suggestions: a name off the list is refused by rule_create, with
    its message naming the allowed fields (a select would refuse it with a generic "not one of the choices")."""

    def __init__(self, attrs=None) -> None:
        super().__init__({"list": RULE_FIELDS_LIST, "autocomplete": "off", **(attrs or {})})


class AmountFieldsMixin:
    """A model form whose `amount_fields` take 500万, 1.2亿 or HK$10m, and must be in the currency the form's
    `currency` field (or the instance) names."""

    amount_fields: tuple[str, ...] = ()
    currency_source = "currency"
    # Provided by the model form this is mixed into.
    fields: dict[str, forms.Field]
    instance: Any
    data: Any
    add_prefix: Callable[[str], str]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name in self.amount_fields:
            field = self.fields.get(name)
            if field is None:
                continue  # read-only on this page
            extra = {"help_text": field.help_text} if field.help_text else {}
            self.fields[name] = AmountField(
                label=field.label,
                required=field.required,
                default_currency=self.form_currency() or Currency.CNY,
                **extra,
            )

    def form_currency(self) -> str:
        """The currency a bare figure is read in: the one chosen on the form, else the row's."""
        chosen = (self.data or {}).get(self.add_prefix(self.currency_source))
        return str(chosen or getattr(self.instance, self.currency_source, ""))

    def amount_currency(self, cleaned: dict) -> str:
        """The currency the amounts must be in."""
        return str(cleaned.get(self.currency_source) or getattr(self.instance, self.currency_source, ""))

    def clean(self):
        cleaned = super().clean()  # type: ignore[misc]
        currency = self.amount_currency(cleaned)
        for name in self.amount_fields:
            amount = cleaned.get(name)
            named = getattr(amount, "currency", None)
            if amount is not None and currency and named and named != currency:
                self.add_error(  # type: ignore[attr-defined]
                    name,
                    gettext("This amount is in %(named)s; enter it in %(currency)s.")
                    % {"named": named, "currency": currency},
                )
        return cleaned


# --- Action pages ---------------------------------------------------------------------------------------------


class ActionForm(forms.Form):
    """The form of an action page on one application. Labels reuse the models' lower-case msgids and are
    capitalized the way model forms capitalize theirs."""

    def __init__(self, *args, application: FundingApplication | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.application = application
        self.add_fields()
        for field in self.fields.values():
            field.label = capfirst(field.label)

    def add_fields(self) -> None:
        """Fields that depend on the application (amounts in its currency)."""


def _date(label) -> forms.DateField:
    return forms.DateField(label=label, widget=AdminDateWidget, initial=timezone.localdate)


class SubmitForm(ActionForm):
    submitted_on = _date(_("submitted on"))


class ApproveForm(ActionForm):
    decision_date = _date(_("decision date"))
    matching_basis = forms.CharField(
        label=_("matching basis"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Left empty for a matching programme, the computation is written here on approval."),
    )

    def add_fields(self) -> None:
        assert self.application is not None
        self.fields["approved_amount"] = AmountField(
            label=_("approved amount"), currency=self.application.currency
        )
        self.order_fields(["approved_amount", "decision_date", "matching_basis"])


class RejectForm(ActionForm):
    decision_date = _date(_("decision date"))
    note = forms.CharField(label=_("note"), required=False, widget=forms.Textarea(attrs={"rows": 3}))


class CloseForm(ActionForm):
    closed_on = _date(_("closed on"))


class TranchePlanForm(ActionForm):
    planned_on = forms.DateField(label=_("planned on"), widget=AdminDateWidget)
    note = forms.CharField(label=_("note"), required=False, max_length=200)

    def add_fields(self) -> None:
        assert self.application is not None
        self.fields["amount"] = AmountField(label=_("amount"), currency=self.application.currency)
        self.order_fields(["planned_on", "amount", "note"])


class TranchePayForm(ActionForm):
    paid_on = _date(_("paid on"))


class HongKongGrantForm(forms.Form):
    """A Hong Kong grant a lead already holds (RAISe+, ITF): recorded approved, for matching to count it."""

    lead = forms.ModelChoiceField(label=_("lead"), queryset=Lead.objects.none())
    version = forms.ModelChoiceField(label=_("programme version"), queryset=ProgramVersion.objects.none())
    approved_amount = AmountField(label=_("approved amount"), default_currency=Currency.HKD)
    decision_date = forms.DateField(label=_("decision date"), widget=AdminDateWidget)

    def __init__(self, *args, actor, admin_site, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["lead"].queryset = leads_changeable_by(actor)
        lead = self.fields["lead"]
        lead.widget = AutocompleteSelect(FundingApplication._meta.get_field("lead"), admin_site)
        lead.widget.choices = lead.choices
        self.fields["version"].queryset = ProgramVersion.objects.filter(
            program__program_type=ProgramType.HK_GRANT
        ).select_related("program")
        for field in self.fields.values():
            field.label = capfirst(field.label)

    def clean(self):
        cleaned = super().clean()
        version, amount = cleaned.get("version"), cleaned.get("approved_amount")
        if version is not None and amount is not None and amount.currency != version.currency:
            self.add_error(
                "approved_amount",
                gettext("This amount is in %(named)s; enter it in %(currency)s.")
                % {"named": amount.currency, "currency": version.currency},
            )
        return cleaned


def fund_programs():
    return FundingProgram.objects.filter(program_type=ProgramType.FUND_INVESTMENT)
