"""GET /api/v1/funnel/: the dashboard's funnel, same selector, same numbers."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, permissions
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import error_responses
from projects.models import LeadType
from projects.stages import Track
from reporting.api.serializers import FunnelSerializer
from reporting.filters import filters_from
from reporting.funnel import funnel
from reporting.views.common import DASHBOARD_PERMISSION


class CanViewDashboard(permissions.BasePermission):
    def has_permission(self, request, view) -> bool:
        return bool(
            request.user and request.user.is_authenticated and request.user.has_perm(DASHBOARD_PERMISSION)
        )


def _id(name: str, description: str) -> OpenApiParameter:
    return OpenApiParameter(name, OpenApiTypes.INT, description=description)


class FunnelView(APIView):
    permission_classes = [CanViewDashboard]

    @extend_schema(
        summary=_("The funnel of a cohort of leads"),
        parameters=[
            OpenApiParameter(
                "from",
                OpenApiTypes.DATE,
                description=_("Cohort start (inclusive); default a year before `to`."),
            ),
            OpenApiParameter(
                "to", OpenApiTypes.DATE, description=_("Cohort end (inclusive); default today.")
            ),
            OpenApiParameter("track", OpenApiTypes.STR, enum=Track.values),
            OpenApiParameter("lead_type", OpenApiTypes.STR, enum=LeadType.values),
            _id("carrier", _("A carrier id: leads targeting it or a carrier inside it.")),
            _id("sector", _("A sector id: leads in it or its sub-sectors.")),
            _id("unit", _("A unit id: leads owned by it or a unit below it.")),
            _id("owner", _("A user id: leads that user owns.")),
            _id("event", _("A recruitment event id: leads found there.")),
            _id("organization", _("A Hong Kong organization id.")),
        ],
        responses={200: FunnelSerializer, **error_responses(400, 403)},
    )
    def get(self, request):
        filters, form = filters_from(request.query_params)
        if filters is None:
            errors = form.errors.get_json_data()
            raise exceptions.ValidationError(
                {field: [error["message"] for error in messages] for field, messages in errors.items()}
            )
        return Response(funnel(request.user, filters))
