"""Contacts and recruitment events as the API shows them.

Phones, e-mails and WeChat IDs are shown in full to users holding `talent.view_personal_data` and to event staff
(who see only the people met at their events, DESIGN §2); everyone else sees them masked by `talent.masking.mask`, value
and input alike.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Manager
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api import VisibleObjectField
from directory.models import Holiday, Organization
from talent.masking import mask, may_see_personal_data, reasons_text
from talent.models import (
    Affiliation,
    Attendance,
    Contact,
    ContactChannel,
    ContactMerge,
    Interest,
    Level,
    RecruitmentEvent,
)
from talent.selectors import contacts_visible_to, events_visible_to, hk_holidays_between

User = get_user_model()


def shows_personal_data(context: dict[str, Any]) -> bool:
    request = context.get("request")
    return bool(request and may_see_personal_data(request.user))


# --- Contacts ---------------------------------------------------------------------------------------------------


class ChannelSerializer(serializers.ModelSerializer):
    class Meta:
        model = ContactChannel
        fields = ["id", "kind", "value", "raw", "label"]
        read_only_fields = fields
        extra_kwargs = {
            "value": {
                "help_text": _(
                    "Phones in E.164, e-mails in lower case; masked without the right to see personal data."
                )
            },
            "raw": {
                "help_text": _("As entered; masked like the value without the right to see personal data.")
            },
        }

    def to_representation(self, channel: ContactChannel) -> dict[str, Any]:
        data = super().to_representation(channel)
        if not shows_personal_data(self.context):
            data["value"] = data["raw"] = mask(channel.kind, channel.value)
        return data


class AffiliationSerializer(serializers.ModelSerializer):
    organization = serializers.PrimaryKeyRelatedField(queryset=Organization.objects.all())

    class Meta:
        model = Affiliation
        fields = ["id", "organization", "department", "position", "started_on", "ended_on"]
        read_only_fields = ["id"]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        started, ended = attrs.get("started_on"), attrs.get("ended_on")
        if started and ended and ended < started:
            raise serializers.ValidationError({"ended_on": _("An affiliation cannot end before it starts.")})
        return attrs


CONTACT_FIELDS = [
    "id",
    "name",
    "name_simplified",
    "name_romanized",
    "english_name",
    "title",
    "organization",
    "position",
    "highest_degree",
    "research_field",
    "interests",
    "residency",
    "linkedin_url",
    "wecom_user_id",
    "preferred_language",
    "preferred_script",
    "notes",
    "channels",
    "affiliations",
    "consent_follow_up",
    "consent_mailings",
    "consent_sharing",
    "consent_mainland",
    "consent_recorded_at",
    "status",
    "merged_into",
    "created_at",
    "updated_at",
]

CONTACT_READ_ONLY_FIELDS = [
    "name_simplified",
    "channels",
    "affiliations",
    "consent_follow_up",
    "consent_mailings",
    "consent_sharing",
    "consent_mainland",
    "consent_recorded_at",
    "status",
    "merged_into",
    "created_at",
    "updated_at",
]


class ContactSerializer(serializers.ModelSerializer):
    """A contact as the API shows it, and as PATCH changes its descriptive fields. Channels and affiliations are
    read here; consent, status and merges change through their own operations."""

    organization = serializers.PrimaryKeyRelatedField(
        queryset=Organization.objects.all(),
        required=False,
        allow_null=True,
        help_text=_("Where the person works now, as an organization id."),
    )
    interests = serializers.ListField(
        child=serializers.ChoiceField(choices=Interest.choices), required=False, allow_empty=True
    )
    channels = ChannelSerializer(many=True, read_only=True)
    affiliations = AffiliationSerializer(many=True, read_only=True)

    class Meta:
        model = Contact
        fields = CONTACT_FIELDS
        read_only_fields = CONTACT_READ_ONLY_FIELDS


class ContactCreateSerializer(ContactSerializer):
    """POST: the person, how to reach them (raw input, normalized by the service) and where they work."""

    phones = serializers.ListField(
        child=serializers.CharField(max_length=254),
        required=False,
        write_only=True,
        help_text=_(
            "As written: 8 digits read as Hong Kong, 11 digits starting with 1 as a mainland mobile, anything "
            "else with its country code (+852 …, +86 …)."
        ),
    )
    emails = serializers.ListField(
        child=serializers.CharField(max_length=254), required=False, write_only=True
    )
    wechat = serializers.CharField(max_length=64, required=False, allow_blank=True, write_only=True)
    affiliations = AffiliationSerializer(many=True, required=False)
    event = VisibleObjectField(
        scope=events_visible_to,
        queryset=RecruitmentEvent.objects.all(),
        required=False,
        allow_null=True,
        write_only=True,
        help_text=_(
            "The event where the person was met: their attendance is recorded with them. Required for event "
            "staff, who see only the people met at their events."
        ),
    )

    class Meta(ContactSerializer.Meta):
        fields = [*CONTACT_FIELDS, "phones", "emails", "wechat", "event"]
        read_only_fields = [name for name in CONTACT_READ_ONLY_FIELDS if name != "affiliations"]


class PossibleDuplicatesSerializer(serializers.Serializer):
    hint = serializers.BooleanField(help_text=_("Whether the review queue holds a possible match."))
    message = serializers.CharField(allow_blank=True)
    count = serializers.IntegerField(required=False, help_text=_("Only for users who may see every contact."))
    ids = serializers.ListField(
        child=serializers.IntegerField(),
        required=False,
        help_text=_("The possible matches' contact ids; only for users who may see every contact."),
    )


class ContactCreatedSerializer(ContactSerializer):
    """The registered contact, and whether it may be someone already known (DESIGN §2: a user who may not see
    every contact learns only that an officer will review a possible match)."""

    possible_duplicates = serializers.SerializerMethodField()
    # A new contact is always active. A plain string here keeps the status choices to one schema component
    # (ContactStatusEnum) instead of two that would collide with the lead's StatusEnum.
    status = serializers.CharField(read_only=True, help_text=_("Always “active” for a new contact."))

    class Meta(ContactSerializer.Meta):
        fields = [*CONTACT_FIELDS, "possible_duplicates"]

    @extend_schema_field(PossibleDuplicatesSerializer)
    def get_possible_duplicates(self, contact: Contact) -> dict[str, Any]:
        return self.context["possible_duplicates"]


class CandidateContactSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    organization = serializers.IntegerField(source="organization_id", allow_null=True)


class CandidateSerializer(serializers.Serializer):
    """One possible duplicate found by identity matching."""

    contact = CandidateContactSerializer()
    level = serializers.ChoiceField(choices=Level.choices)
    score = serializers.FloatField(help_text=_("0 to 1: how sure the matcher is."))
    reasons = serializers.SerializerMethodField(
        help_text=_(
            "Why, in the reader's language; phones and e-mails masked without the personal-data right."
        )
    )

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_reasons(self, candidate) -> list[str]:
        return reasons_text(self.context["request"].user, candidate.reasons)


class MergeRequestSerializer(serializers.Serializer):
    into = VisibleObjectField(
        scope=contacts_visible_to,
        queryset=Contact.objects.all(),
        help_text=_(
            "The contact that is kept: the one in the path is merged into it and becomes a pointer to it."
        ),
    )


class ContactMergeSerializer(serializers.ModelSerializer):
    class Meta:
        model = ContactMerge
        fields = ["id", "source", "target", "merged_at"]
        read_only_fields = fields
        extra_kwargs = {
            "source": {"help_text": _("The merged contact (now a pointer).")},
            "target": {"help_text": _("The kept contact.")},
        }


# --- Events -----------------------------------------------------------------------------------------------------


class HolidaySerializer(serializers.ModelSerializer):
    class Meta:
        model = Holiday
        fields = ["date", "name"]
        read_only_fields = fields


class _EventListSerializer(serializers.ListSerializer):
    """Reads the Hong Kong holidays of a whole page in one query (the span from its first day to its last)."""

    def to_representation(self, data: Any) -> list[dict[str, Any]]:
        events = list(data.all() if isinstance(data, Manager) else data)
        self.child.holidays = _holidays_covering(events)
        return super().to_representation(events)


def _holidays_covering(events: list[RecruitmentEvent]) -> list[Holiday]:
    if not events:
        return []
    return hk_holidays_between(min(e.starts_on for e in events), max(e.ends_on for e in events))


class EventSerializer(serializers.ModelSerializer):
    assigned_staff = serializers.PrimaryKeyRelatedField(
        many=True,
        queryset=User.objects.filter(is_active=True),
        required=False,
        help_text=_("Staff working the event, as user ids: event recorders see only the events they staff."),
    )
    attendance_count = serializers.SerializerMethodField()
    hk_holidays = serializers.SerializerMethodField()

    holidays: list[Holiday] | None = None

    class Meta:
        model = RecruitmentEvent
        list_serializer_class = _EventListSerializer
        fields = [
            "id",
            "name",
            "kind",
            "city",
            "venue",
            "starts_on",
            "ends_on",
            "organizer",
            "carrier",
            "assigned_staff",
            "notes",
            "attendance_count",
            "hk_holidays",
        ]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        starts, ends = attrs.get("starts_on"), attrs.get("ends_on")
        if starts and ends and ends < starts:
            raise serializers.ValidationError({"ends_on": _("An event cannot end before it starts.")})
        return attrs

    def get_attendance_count(self, event: RecruitmentEvent) -> int:
        counted = getattr(event, "attendance_total", None)
        return event.attendances.count() if counted is None else counted

    @extend_schema_field(HolidaySerializer(many=True))
    def get_hk_holidays(self, event: RecruitmentEvent) -> list[dict[str, Any]]:
        holidays = self.holidays
        if holidays is None:
            holidays = hk_holidays_between(event.starts_on, event.ends_on)
        return HolidaySerializer(
            [h for h in holidays if _within(h.date, event.starts_on, event.ends_on)], many=True
        ).data


def _within(day: dt.date, start: dt.date, end: dt.date) -> bool:
    return start <= day <= end


# --- Attendances --------------------------------------------------------------------------------------------------


class PersonInputSerializer(serializers.Serializer):
    """A person met for the first time, registered with the attendance."""

    name = serializers.CharField(max_length=100)
    name_romanized = serializers.CharField(max_length=100, required=False, allow_blank=True)
    english_name = serializers.CharField(max_length=60, required=False, allow_blank=True)
    organization = serializers.PrimaryKeyRelatedField(
        queryset=Organization.objects.all(), required=False, allow_null=True
    )
    phones = serializers.ListField(child=serializers.CharField(max_length=254), required=False)
    emails = serializers.ListField(child=serializers.CharField(max_length=254), required=False)
    wechat = serializers.CharField(max_length=64, required=False, allow_blank=True)


class AttendanceSerializer(serializers.ModelSerializer):
    # Declared, not generated: DRF drops allow_blank from read-only model fields, and the schema would then refuse
    # the "" of an attendance nobody graded.
    grade = serializers.ChoiceField(choices=Attendance.Grade.choices, allow_blank=True, read_only=True)

    class Meta:
        model = Attendance
        fields = [
            "id",
            "event",
            "contact",
            "session",
            "method",
            "grade",
            "next_action",
            "next_action_on",
            "notes",
            "captured_by",
            "created_at",
        ]
        read_only_fields = fields


class AttendanceCreateSerializer(serializers.ModelSerializer):
    """Who was met (a known contact, or a new person) and what came of it."""

    contact = VisibleObjectField(
        scope=contacts_visible_to,
        queryset=Contact.objects.all(),
        required=False,
        allow_null=True,
        help_text=_("A contact you can see; or describe a new person in `person`."),
    )
    person = PersonInputSerializer(required=False, write_only=True)

    class Meta:
        model = Attendance
        fields = ["contact", "person", "session", "method", "grade", "next_action", "next_action_on", "notes"]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if bool(attrs.get("contact")) == bool(attrs.get("person")):
            raise serializers.ValidationError(
                {"contact": [_("Name a known contact or describe a new person in `person`, one of the two.")]}
            )
        return attrs


class AttendanceCreatedSerializer(AttendanceSerializer):
    possible_duplicates = serializers.SerializerMethodField()

    class Meta(AttendanceSerializer.Meta):
        fields = [*AttendanceSerializer.Meta.fields, "possible_duplicates"]
        read_only_fields = fields

    @extend_schema_field(PossibleDuplicatesSerializer)
    def get_possible_duplicates(self, attendance: Attendance) -> dict[str, Any]:
        return self.context["possible_duplicates"]
