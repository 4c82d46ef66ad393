"""Query filters of the lead list (django-filter). Every filter narrows a queryset already scoped to the user."""

from __future__ import annotations

import django_filters
from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field

from accounts.models import Unit
from directory.models import Carrier, Sector
from projects.models import Lead, LeadType
from projects.stages import Phase, Stage, Track, stages_of_phase


class LeadFilter(django_filters.FilterSet):
    stage = django_filters.MultipleChoiceFilter(
        choices=Stage.choices, help_text=_("Repeat for several stages.")
    )
    phase = django_filters.ChoiceFilter(choices=Phase.choices, method="filter_phase")
    track = django_filters.ChoiceFilter(choices=Track.choices)
    status = django_filters.MultipleChoiceFilter(choices=Lead.Status.choices)
    lead_type = django_filters.MultipleChoiceFilter(choices=LeadType.choices)
    owning_unit = django_filters.ModelChoiceFilter(queryset=Unit.objects.all())
    owner = django_filters.ModelChoiceFilter(queryset=get_user_model().objects.all())
    target_carrier = django_filters.ModelChoiceFilter(queryset=Carrier.objects.all(), method="filter_carrier")
    sector = django_filters.ModelChoiceFilter(queryset=Sector.objects.all(), method="filter_sector")
    confidential = django_filters.BooleanFilter()

    class Meta:
        model = Lead
        fields = [
            "stage",
            "phase",
            "track",
            "status",
            "lead_type",
            "owning_unit",
            "owner",
            "target_carrier",
            "sector",
            "confidential",
        ]

    def filter_phase(self, queryset: QuerySet[Lead], name: str, value: str) -> QuerySet[Lead]:
        return queryset.filter(stage__in=stages_of_phase(value))

    @extend_schema_field(
        {
            "type": "integer",
            "description": "A carrier id: leads targeting it or any carrier inside it (a district's parks, "
            "a park's buildings).",
        }
    )
    def filter_carrier(self, queryset: QuerySet[Lead], name: str, value: Carrier) -> QuerySet[Lead]:
        return queryset.filter(target_carrier__path__startswith=value.path)

    @extend_schema_field({"type": "integer", "description": "A sector id: leads in it or its sub-sectors."})
    def filter_sector(self, queryset: QuerySet[Lead], name: str, value: Sector) -> QuerySet[Lead]:
        return queryset.filter(Q(sector=value) | Q(sector__parent=value))
