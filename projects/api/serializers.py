"""Request and response shapes of the lead API. Serializers validate shapes; services decide what is allowed."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api import ScopedPrimaryKeyRelatedField, VisibleObjectField
from projects.evidence import STAGE_NEEDS
from projects.models import (
    Activity,
    AftercareTouchpoint,
    Document,
    Lead,
    LostReason,
    Milestone,
    Pass,
    PauseReason,
    Signing,
    StageChange,
)
from projects.selectors import leads_visible_to
from projects.stages import Phase, Stage, stage_phase
from talent.models import Contact, RecruitmentEvent
from talent.selectors import contacts_visible_to, events_visible_to

User = get_user_model()


class LeadSerializer(serializers.ModelSerializer):
    """A lead as the API shows it and as POST creates it. Stage, status and owner change through their own
    operations (the actor owns a lead they register)."""

    subject_contact = ScopedPrimaryKeyRelatedField(
        scope=contacts_visible_to, queryset=Contact.objects.all(), required=False, allow_null=True
    )
    source_event = ScopedPrimaryKeyRelatedField(
        scope=events_visible_to, queryset=RecruitmentEvent.objects.all(), required=False, allow_null=True
    )
    co_owners = serializers.PrimaryKeyRelatedField(
        many=True, queryset=User.objects.filter(is_active=True), required=False
    )
    phase = serializers.SerializerMethodField()
    # Declared, not generated: DRF drops allow_blank from read-only model fields, and the schema would then refuse
    # the "" of a lead that is neither paused nor lost.
    pause_reason = serializers.ChoiceField(choices=PauseReason.choices, allow_blank=True, read_only=True)
    lost_reason = serializers.ChoiceField(choices=LostReason.choices, allow_blank=True, read_only=True)

    class Meta:
        model = Lead
        fields = [
            "id",
            "code",
            "name",
            "name_zh_hant",
            "name_en",
            "lead_type",
            "track",
            "subject_contact",
            "founded_from",
            "hk_organization",
            "sector",
            "source_channel",
            "introducer",
            "source_event",
            "target_carrier",
            "owner",
            "co_owners",
            "owning_unit",
            "stage",
            "phase",
            "stage_entered_at",
            "status",
            "pause_reason",
            "resume_review_on",
            "lost_reason",
            "lost_to",
            "status_note",
            "merged_into",
            "priority",
            "confidential",
            "last_activity_at",
            "expected_investment",
            "expected_investment_currency",
            "registered_capital",
            "registered_capital_currency",
            "paid_in_cash",
            "paid_in_technology",
            "paid_in_currency",
            "founder_equity_percent",
            "landing_entity_name",
            "uscc",
            "registered_on",
            "hk_company_number",
            "headcount_now",
            "headcount_planned",
            "hk_staff_count",
            "rnd_staff_count",
            "space_office_m2",
            "space_lab_m2",
            "space_cleanroom_m2",
            "space_plant_m2",
            "ip_summary",
            "trl",
            "description",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "code",
            "track",
            "founded_from",
            "owner",
            "stage",
            "stage_entered_at",
            "status",
            "pause_reason",
            "resume_review_on",
            "lost_reason",
            "lost_to",
            "status_note",
            "merged_into",
            "last_activity_at",
            "created_at",
            "updated_at",
        ]

    @extend_schema_field(serializers.ChoiceField(choices=Phase.choices))
    def get_phase(self, lead: Lead) -> str:
        return stage_phase(lead.stage)


class LeadUpdateSerializer(LeadSerializer):
    """PATCH: the lead type (hence the track) never changes; the owning unit changes through a hand-over."""

    class Meta(LeadSerializer.Meta):
        read_only_fields = [*LeadSerializer.Meta.read_only_fields, "lead_type", "owning_unit"]


class StageChangeSerializer(serializers.ModelSerializer):
    document_ids = serializers.PrimaryKeyRelatedField(source="documents", many=True, read_only=True)
    # Declared, not generated: DRF drops allow_blank from read-only model fields; a lead's first move comes from "".
    from_stage = serializers.ChoiceField(choices=Stage.choices, allow_blank=True, read_only=True)

    class Meta:
        model = StageChange
        fields = [
            "id",
            "from_stage",
            "to_stage",
            "actor",
            "occurred_at",
            "recorded_at",
            "note",
            "evidence",
            "document_ids",
            "imported",
        ]
        read_only_fields = fields


def _evidence_keys() -> str:
    """One line per stage: the evidence keys it needs (a lead's own fields are not sent as evidence)."""
    return "\n".join(
        f"- `{stage}`: " + (", ".join(f"`{need.key}`" for need in needs if need.kind != "lead_field") or "—")
        for stage, needs in STAGE_NEEDS.items()
    )


EVIDENCE_HELP = format_lazy(
    "{intro}\n\n{keys}",
    intro=gettext_lazy(
        "What the target stage needs, by key; a backward move needs none. Alternatives of one stage "
        "(needs_list or document_ids for NEGOTIATING) need only one. document_ids cite documents uploaded "
        "to this lead."
    ),
    keys=_evidence_keys(),
)


class TransitionSerializer(serializers.Serializer):
    to_stage = serializers.ChoiceField(choices=Stage.choices)
    occurred_at = serializers.DateTimeField(
        required=False,
        help_text=gettext_lazy("When the move happened; now when omitted. Never in the future."),
    )
    note = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text=gettext_lazy("Required for a backward move: why it moves back."),
    )
    evidence = serializers.DictField(required=False, default=dict, help_text=EVIDENCE_HELP)


class SigningSerializer(serializers.ModelSerializer):
    event = ScopedPrimaryKeyRelatedField(
        scope=events_visible_to, queryset=RecruitmentEvent.objects.all(), required=False, allow_null=True
    )
    amount = serializers.DecimalField(max_digits=18, decimal_places=2, min_value=0, coerce_to_string=False)
    document_ids = serializers.PrimaryKeyRelatedField(
        source="documents",
        many=True,
        queryset=Document.objects.all(),
        required=False,
        help_text=gettext_lazy("Documents of this lead to attach, e.g. the signed agreement."),
    )

    class Meta:
        model = Signing
        fields = [
            "id",
            "signed_on",
            "kind",
            "investor",
            "event",
            "credited_event",
            "amount",
            "currency",
            "note",
            "document_ids",
            "created_by",
            "created_at",
        ]
        read_only_fields = ["credited_event", "created_by", "created_at"]
        # The model's default currency is not the API's to assume: an amount comes with its currency.
        extra_kwargs = {"currency": {"required": True}}

    def validate_document_ids(self, documents: list[Document]) -> list[Document]:
        lead = self.context["lead"]
        if any(document.lead_id != lead.pk for document in documents):
            raise serializers.ValidationError(_("Only documents uploaded to this lead can be cited."))
        return documents


class DocumentSerializer(serializers.ModelSerializer):
    lead = VisibleObjectField(scope=leads_visible_to, queryset=Lead.objects.all())

    class Meta:
        model = Document
        fields = [
            "id",
            "lead",
            "file",
            "title",
            "kind",
            "original_name",
            "content_type",
            "size",
            "attached",
            "uploaded_at",
        ]
        read_only_fields = ["original_name", "content_type", "size", "attached", "uploaded_at"]
        extra_kwargs = {
            # Files are served only by a view that applies the visibility rule, never by their storage URL.
            "file": {"write_only": True},
            "title": {"required": False, "help_text": gettext_lazy("The file's name when omitted.")},
        }


class _LeadAftercareField(serializers.PrimaryKeyRelatedField):
    """One of the lead's own aftercare touch-points: another lead's id reads like one that does not exist."""

    def get_queryset(self) -> QuerySet[AftercareTouchpoint]:
        return super().get_queryset().filter(lead=self.context["lead"])


class ActivitySerializer(serializers.ModelSerializer):
    """A follow-up as the API shows it and as POST logs it; colleagues and people met are given as ids."""

    participants = serializers.PrimaryKeyRelatedField(
        many=True,
        queryset=User.objects.filter(is_active=True),
        required=False,
        help_text=gettext_lazy("Colleagues present, as user ids."),
    )
    contacts = ScopedPrimaryKeyRelatedField(
        many=True,
        scope=contacts_visible_to,
        queryset=Contact.objects.all(),
        required=False,
        help_text=gettext_lazy("People met, as contact ids."),
    )
    aftercare = _LeadAftercareField(
        queryset=AftercareTouchpoint.objects.all(),
        write_only=True,
        required=False,
        allow_null=True,
        help_text=gettext_lazy(
            "The lead's aftercare touch-point this activity carries out; it is marked done."
        ),
    )

    class Meta:
        model = Activity
        fields = [
            "id",
            "kind",
            "occurred_at",
            "summary",
            "participants",
            "contacts",
            "next_step",
            "next_step_on",
            "aftercare",
            "created_by",
            "created_at",
        ]
        read_only_fields = ["created_by", "created_at"]
        extra_kwargs = {"occurred_at": {"help_text": gettext_lazy("When it happened; never in the future.")}}

    def validate_occurred_at(self, occurred_at: dt.datetime) -> dt.datetime:
        # Before 1901 the server's zone (Asia/Shanghai) keeps local mean time, an offset in seconds that an RFC 3339
        # time cannot carry: the answer would not read back. No activity of the bureau is that old.
        if occurred_at.year < 1901:
            raise serializers.ValidationError(_("An activity cannot be dated before 1901."))
        return occurred_at


class MilestoneSerializer(serializers.ModelSerializer):
    pass_code = serializers.CharField(source="lead_pass.code", read_only=True)
    pass_name = serializers.CharField(source="lead_pass.localized_name", read_only=True)
    title = serializers.CharField(source="display_title", read_only=True)
    template_code = serializers.CharField(
        source="template.code",
        read_only=True,
        allow_null=True,
        help_text=gettext_lazy("Empty for an ad-hoc milestone."),
    )
    document_ids = serializers.PrimaryKeyRelatedField(source="documents", many=True, read_only=True)

    class Meta:
        model = Milestone
        fields = [
            "id",
            "pass_code",
            "pass_name",
            "title",
            "template_code",
            "due_on",
            "due_provisional",
            "status",
            "assignee",
            "evidence_note",
            "completed_at",
            "document_ids",
        ]
        read_only_fields = fields


class MilestoneAddSerializer(serializers.Serializer):
    pass_code = serializers.SlugRelatedField(
        source="lead_pass",
        slug_field="code",
        queryset=Pass.objects.all(),
        help_text=gettext_lazy("The pass's code: resources, talent, conversion or rules."),
    )
    title = serializers.CharField(max_length=300)
    due_on = serializers.DateField(required=False, allow_null=True)
    assignee = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True),
        required=False,
        allow_null=True,
        help_text=gettext_lazy("A user id; the lead's owner when omitted."),
    )


def _documents_visible_to(user, queryset: QuerySet[Document]) -> QuerySet[Document]:
    return queryset.filter(lead__in=leads_visible_to(user).values("pk"))


class MilestoneCompleteSerializer(serializers.Serializer):
    evidence_note = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text=gettext_lazy("The evidence, or why the milestone does not apply."),
    )
    document = ScopedPrimaryKeyRelatedField(
        scope=_documents_visible_to,
        queryset=Document.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text=gettext_lazy("A document uploaded to this milestone's lead."),
    )
    not_applicable = serializers.BooleanField(
        required=False, default=False, help_text=gettext_lazy("Close it as not applicable instead of done.")
    )
