"""Funding programmes and applications as the API shows them. Amounts are JSON numbers, always beside their
currency; nothing here converts or sums across currencies."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api import ScopedPrimaryKeyRelatedField, VisibleObjectField
from core.imports.values import CellError, parse_amount
from core.money import AMOUNT_DIGITS, AMOUNT_PLACES, format_amount
from funding.eligibility import FIELDS, PERCENT
from funding.models import (
    ApplicationWindow,
    EligibilityRule,
    FundingApplication,
    FundingProgram,
    ProgramVersion,
    Tranche,
)
from projects.models import Document, Lead
from projects.selectors import leads_visible_to

# --- Programmes -----------------------------------------------------------------------------------------------


class ApplicationWindowSerializer(serializers.ModelSerializer):
    class Meta:
        model = ApplicationWindow
        fields = ["id", "batch", "opens_on", "closes_on"]
        read_only_fields = fields


def rule_text(rule: EligibilityRule) -> str:
    """The rule in the reader's language: "paid-in cash at least CNY 1 million", "实缴货币资本不少于100万元"."""
    spec = FIELDS.get(rule.field)
    parts = [str(spec.label) if spec else rule.field, str(rule.get_operator_display())]
    if rule.threshold is not None:
        number = f"{rule.threshold.normalize():f}"  # 20.00 → "20", as people write thresholds
        if rule.threshold_currency:
            parts.append(format_amount(rule.threshold, rule.threshold_currency))
        elif spec and spec.kind == PERCENT:
            parts.append(f"{number}%")
        else:
            parts.append(number)
    # Chinese runs the words together; English needs the spaces.
    return ("" if (get_language() or "").startswith("zh") else " ").join(parts)


class EligibilityRuleSerializer(serializers.ModelSerializer):
    currency = serializers.CharField(
        source="threshold_currency",
        read_only=True,
        help_text=_("The threshold's currency for a money field; empty otherwise."),
    )
    text = serializers.SerializerMethodField(help_text=_("The rule in a sentence of the reader's language."))

    class Meta:
        model = EligibilityRule
        fields = ["id", "field", "operator", "threshold", "currency", "note", "text"]
        read_only_fields = fields
        extra_kwargs = {
            "field": {"help_text": _("The lead field the rule reads (a whitelisted field).")},
            "threshold": {"coerce_to_string": False},
        }

    def get_text(self, rule: EligibilityRule) -> str:
        return rule_text(rule)


class ProgramVersionSerializer(serializers.ModelSerializer):
    windows = ApplicationWindowSerializer(many=True, read_only=True)
    rules = EligibilityRuleSerializer(many=True, read_only=True)

    class Meta:
        model = ProgramVersion
        fields = [
            "id",
            "year",
            "currency",
            "min_amount",
            "max_amount",
            "matching_ratio",
            "matching_cap",
            "notes",
            "windows",
            "rules",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "currency": {"help_text": _("The currency of every amount of this version.")},
            "matching_cap": {
                "help_text": _("The most matching one lead may receive, in the version's currency.")
            },
            # Ratios are numbers like the amounts (0.5 for 1:2), whatever the decimal setting says.
            "matching_ratio": {"coerce_to_string": False},
            "min_amount": {"coerce_to_string": False},
            "max_amount": {"coerce_to_string": False},
        }


class FundingProgramSerializer(serializers.ModelSerializer):
    pass_code = serializers.SlugRelatedField(
        source="lead_pass",
        slug_field="code",
        read_only=True,
        allow_null=True,
        help_text=_("The pass (关卡) the programme belongs to."),
    )
    versions = ProgramVersionSerializer(
        many=True, read_only=True, help_text=_("One per year, newest first: applications cite one.")
    )

    class Meta:
        model = FundingProgram
        fields = [
            "id",
            "code",
            "name",
            "name_zh_hant",
            "name_en",
            "program_type",
            "funder",
            "funder_name",
            "pass_code",
            "description",
            "active",
            "versions",
        ]
        read_only_fields = fields


# --- Applications ---------------------------------------------------------------------------------------------


class LeadRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Lead
        fields = ["id", "code", "name"]
        read_only_fields = fields


class FundingProgramRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = FundingProgram
        fields = ["id", "code", "name"]
        read_only_fields = fields


class ProgramVersionRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProgramVersion
        fields = ["id", "year"]
        read_only_fields = fields


class ApplicationWindowRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = ApplicationWindow
        fields = ["id", "batch"]
        read_only_fields = fields


class TrancheSerializer(serializers.ModelSerializer):
    class Meta:
        model = Tranche
        fields = ["id", "planned_on", "paid_on", "amount", "note"]
        read_only_fields = fields
        extra_kwargs = {"amount": {"coerce_to_string": False}}


def _amount(**kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=AMOUNT_DIGITS, decimal_places=AMOUNT_PLACES, coerce_to_string=False, **kwargs
    )


class FundingApplicationSerializer(serializers.ModelSerializer):
    """An application as the API shows it; every amount in `currency` (the version's)."""

    lead = LeadRefSerializer(read_only=True)
    program = FundingProgramRefSerializer(source="version.program", read_only=True)
    version = ProgramVersionRefSerializer(read_only=True)
    window = ApplicationWindowRefSerializer(read_only=True, allow_null=True)
    requested_amount = _amount(read_only=True, allow_null=True)
    approved_amount = _amount(read_only=True, allow_null=True)
    paid_amount = serializers.SerializerMethodField(
        help_text=_("The sum of the paid tranches; 0 before the first payment.")
    )
    tranches = TrancheSerializer(many=True, read_only=True)

    class Meta:
        model = FundingApplication
        fields = [
            "id",
            "lead",
            "program",
            "version",
            "window",
            "status",
            "currency",
            "requested_amount",
            "approved_amount",
            "paid_amount",
            "submitted_on",
            "decision_date",
            "closed_on",
            "tranches",
            "matching_basis",
            "clawback_note",
            "document",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(_amount())
    def get_paid_amount(self, application: FundingApplication) -> Decimal:
        # From the prefetched tranches: a SUM per row would be a query per row.
        return sum(
            (tranche.amount for tranche in application.tranches.all() if tranche.paid_on is not None),
            Decimal("0.00"),
        )


@extend_schema_field(
    {
        "oneOf": [{"type": "number"}, {"type": "string"}],
        "description": "A number, or text as people write amounts: “500万”, “1.2亿”, “3,000,000”, “HK$10m”. "
        "A currency named in the text must be the version's.",
        "example": "500万",
    }
)
class AmountInputField(serializers.Field):
    """An amount greater than zero, as a number or as written ("500万", "1.2亿"); keeps the currency the text
    names ("" when it names none) so the serializer can hold it against the version's."""

    default_error_messages = {"invalid": _("Give the amount as a number or as text such as “500万”.")}

    def to_internal_value(self, data: Any) -> tuple[Decimal, str]:
        if isinstance(data, bool) or not isinstance(data, (int, float, str)):
            self.fail("invalid")
        try:
            return parse_amount(data, default_currency="")
        except CellError as error:
            raise serializers.ValidationError(error.message) from None

    def to_representation(self, value: Any) -> Any:
        return value


def _documents_visible_to(user, queryset: QuerySet[Document]) -> QuerySet[Document]:
    return queryset.filter(lead__in=leads_visible_to(user).values("pk"))


class FundingApplicationCreateSerializer(serializers.Serializer):
    """POST: a draft application of a lead to a programme version."""

    lead = VisibleObjectField(
        scope=leads_visible_to, queryset=Lead.objects.all(), help_text=_("A lead you can see.")
    )
    version = serializers.PrimaryKeyRelatedField(
        queryset=ProgramVersion.objects.select_related("program"),
        help_text=_("The programme version (one year's terms) applied to."),
    )
    window = serializers.PrimaryKeyRelatedField(
        queryset=ApplicationWindow.objects.all(),
        required=False,
        allow_null=True,
        help_text=_("The batch applied in: a window of that version (400 otherwise)."),
    )
    requested_amount = AmountInputField(required=False, allow_null=True)
    document = ScopedPrimaryKeyRelatedField(
        scope=_documents_visible_to,
        queryset=Document.objects.all(),
        required=False,
        allow_null=True,
        help_text=_("A document uploaded to this lead: the application form."),
    )
    clawback_note = serializers.CharField(required=False, allow_blank=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        version: ProgramVersion = attrs["version"]
        if attrs.get("requested_amount") is not None:
            amount, currency = attrs["requested_amount"]
            if currency and currency != version.currency:
                raise serializers.ValidationError(
                    {
                        "requested_amount": [
                            # The form field's message: one text for the admin and the API.
                            gettext("This amount is in %(named)s; enter it in %(currency)s.")
                            % {"named": currency, "currency": version.currency}
                        ]
                    }
                )
            attrs["requested_amount"] = amount
        return attrs
