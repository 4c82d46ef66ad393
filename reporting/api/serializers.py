"""The funnel's response shape, for the schema (the view returns reporting.funnel's plain dict as is)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from projects.stages import Phase, Stage, Track


class FunnelFiltersSerializer(serializers.Serializer):
    # "from" is a Python keyword: the field is declared under another name and renamed below.
    from_ = serializers.DateField(help_text=_("First day of the cohort period (inclusive)."))
    to = serializers.DateField(help_text=_("Last day of the cohort period (inclusive)."))
    track = serializers.ChoiceField(choices=Track.choices, allow_null=True)
    lead_type = serializers.CharField(allow_null=True)
    carrier = serializers.IntegerField(allow_null=True)
    sector = serializers.IntegerField(allow_null=True)
    unit = serializers.IntegerField(allow_null=True)
    owner = serializers.IntegerField(allow_null=True)
    event = serializers.IntegerField(allow_null=True)
    organization = serializers.IntegerField(allow_null=True)

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = fields.pop("from_")
        return fields


class FunnelStageSerializer(serializers.Serializer):
    track = serializers.ChoiceField(choices=Track.choices)
    stage = serializers.ChoiceField(choices=Stage.choices)
    phase = serializers.ChoiceField(choices=Phase.choices)
    reached = serializers.IntegerField(
        help_text=_("Cohort leads whose highest stage ever entered is this or later.")
    )
    current = serializers.IntegerField(help_text=_("Cohort leads now at this stage, active or paused."))
    lost = serializers.IntegerField(help_text=_("Lost cohort leads whose last stage is this one."))
    conversion = serializers.FloatField(
        allow_null=True,
        help_text=_("reached / reached at the previous stage, 4 decimals; null for the first."),
    )
    median_days_in_stage = serializers.FloatField(
        allow_null=True, help_text=_("Median days from entering this stage to the next change, 1 decimal.")
    )


class FunnelPhaseSerializer(serializers.Serializer):
    phase = serializers.ChoiceField(choices=Phase.choices)
    track = serializers.ChoiceField(choices=Track.choices, allow_null=True, help_text=_("Null: both tracks."))
    reached = serializers.IntegerField()
    conversion = serializers.FloatField(
        allow_null=True, help_text=_("Reached the next phase / reached this one; null for the last phase.")
    )


class FunnelOverallSerializer(serializers.Serializer):
    org = serializers.FloatField(allow_null=True, required=False)
    talent = serializers.FloatField(allow_null=True, required=False)


class FunnelSerializer(serializers.Serializer):
    filters = FunnelFiltersSerializer()
    stages = FunnelStageSerializer(many=True)
    phases = FunnelPhaseSerializer(many=True)
    overall = FunnelOverallSerializer(
        help_text=_("Per track covered: reached the last stage / reached the first; null when none started.")
    )
