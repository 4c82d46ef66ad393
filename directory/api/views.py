"""Read-only reference lists. Every role that may view a kind of reference data sees all of it."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import filters, generics
from rest_framework.settings import api_settings

from core.api import error_responses
from directory.api.serializers import CarrierSerializer, OrganizationSerializer, SectorSerializer
from directory.models import Carrier, Organization, Sector
from directory.selectors import organizations_matching

SEARCH_ANY_ALIAS = OpenApiParameter(
    "search",
    str,
    description=_(
        "Any name the organization goes by, in any script or spelling: 港科大, hkust and 香港科技大學 "
        "all find HKUST. Exact matches come first, then prefixes."
    ),
)


@extend_schema_view(
    get=extend_schema(
        summary=_("Organizations"),
        parameters=[SEARCH_ANY_ALIAS],
        responses={200: OrganizationSerializer(many=True), **error_responses(400, 403, 404)},
    )
)
class OrganizationList(generics.ListAPIView):
    serializer_class = OrganizationSerializer
    filterset_fields = ["kind", "region", "is_channel", "parent"]

    def get_queryset(self) -> QuerySet[Organization]:
        search = self.request.query_params.get("search", "").strip()
        # The selector orders by how well the name matched; without a search, by name.
        queryset = organizations_matching(search) if search else Organization.objects.order_by("name", "pk")
        return queryset.prefetch_related("aliases")


@extend_schema_view(
    get=extend_schema(
        summary=_("Carriers (districts, parks, platforms, buildings), in tree order"),
        responses={200: CarrierSerializer(many=True), **error_responses(400, 403, 404)},
    )
)
class CarrierList(generics.ListAPIView):
    serializer_class = CarrierSerializer
    queryset = Carrier.objects.order_by("path")
    filter_backends = [*api_settings.DEFAULT_FILTER_BACKENDS, filters.SearchFilter]
    filterset_fields = ["kind", "is_active", "parent"]
    search_fields = ["name", "name_zh_hant", "name_en", "abbreviation"]


@extend_schema_view(
    get=extend_schema(
        summary=_("Sectors and their sub-sectors"),
        responses={200: SectorSerializer(many=True), **error_responses(400, 403, 404)},
    )
)
class SectorList(generics.ListAPIView):
    serializer_class = SectorSerializer
    queryset = Sector.objects.order_by("code")
    filterset_fields = ["group", "parent"]
