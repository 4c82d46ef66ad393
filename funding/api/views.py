"""Thin views over the funding services and selectors: parse, call one service, answer.

Programmes are reference data every funding role reads; applications start from `applications_visible_to`, so
an application of a lead outside the user's scope is 404.
"""

from __future__ import annotations

import django_filters
from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import generics, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from core.api import error_responses
from funding import services
from funding.api.serializers import (
    FundingApplicationCreateSerializer,
    FundingApplicationSerializer,
    FundingProgramSerializer,
)
from funding.models import (
    Funder,
    FundingApplication,
    FundingProgram,
    ProgramType,
    ProgramVersion,
    Tranche,
)
from funding.selectors import applications_visible_to
from projects.models import Lead
from projects.selectors import lead_is_read_only_for, leads_visible_to
from talent.api.idempotency import IdempotentPost

APPLICATION_ID = OpenApiParameter(
    "id", int, OpenApiParameter.PATH, description=_("The funding application's id.")
)


# --- Programmes -----------------------------------------------------------------------------------------------


class ProgramFilter(django_filters.FilterSet):
    type = django_filters.MultipleChoiceFilter(
        field_name="program_type", choices=ProgramType.choices, help_text=_("Repeat for several types.")
    )
    funder = django_filters.MultipleChoiceFilter(choices=Funder.choices, help_text=_("Repeat for several."))
    active = django_filters.BooleanFilter(
        help_text=_("Active programmes only when omitted; false for the retired ones.")
    )

    class Meta:
        model = FundingProgram
        fields = ["type", "funder", "active"]

    def filter_queryset(self, queryset: QuerySet[FundingProgram]) -> QuerySet[FundingProgram]:
        if self.form.cleaned_data.get("active") is None:
            queryset = queryset.filter(active=True)
        return super().filter_queryset(queryset)


def _versions() -> Prefetch:
    # New Prefetch objects per queryset: Django may rewrite one while it runs.
    return Prefetch(
        "versions", queryset=ProgramVersion.objects.order_by("-year").prefetch_related("windows", "rules")
    )


@extend_schema_view(
    get=extend_schema(
        summary=_("List the funding programmes"),
        description=_(
            "Active programmes unless `active=false`, each with its yearly versions (newest first): amounts and "
            "caps in the version's currency, application windows (batches) and eligibility rules."
        ),
        responses={200: FundingProgramSerializer(many=True), **error_responses(400, 403, 404)},
    )
)
class ProgramList(generics.ListAPIView):
    serializer_class = FundingProgramSerializer
    filterset_class = ProgramFilter
    ordering_fields = ["code", "program_type", "funder"]
    ordering = ["program_type", "code"]

    def get_queryset(self) -> QuerySet[FundingProgram]:
        return FundingProgram.objects.select_related("lead_pass").prefetch_related(_versions())


# --- Applications ---------------------------------------------------------------------------------------------


def _visible_leads(request) -> QuerySet[Lead]:
    if request is None:
        return Lead.objects.none()
    return leads_visible_to(request.user)


class ApplicationFilter(django_filters.FilterSet):
    lead = django_filters.ModelChoiceFilter(queryset=_visible_leads, help_text=_("A lead id."))
    status = django_filters.MultipleChoiceFilter(
        choices=FundingApplication.Status.choices, help_text=_("Repeat for several.")
    )
    program = django_filters.ModelChoiceFilter(
        field_name="version__program", queryset=FundingProgram.objects.all(), help_text=_("A programme id.")
    )
    version = django_filters.ModelChoiceFilter(
        queryset=ProgramVersion.objects.all(), help_text=_("A programme version id.")
    )

    class Meta:
        model = FundingApplication
        fields = ["lead", "status", "program", "version"]


def _application_details(queryset: QuerySet[FundingApplication]) -> QuerySet[FundingApplication]:
    return queryset.select_related("lead", "version__program", "window").prefetch_related(
        Prefetch("tranches", queryset=Tranche.objects.order_by("planned_on", "pk"))
    )


@extend_schema_view(
    get=extend_schema(
        summary=_("List the funding applications you can see"),
        description=_(
            "Applications of the leads you can see, newest first, and the Hong Kong grants those leads hold. "
            "Every amount is in the application's `currency`; `paid_amount` sums the paid tranches."
        ),
        responses={200: FundingApplicationSerializer(many=True), **error_responses(400, 403, 404)},
    ),
    post=extend_schema(
        summary=_("Start a draft application"),
        description=_(
            "A draft of a lead you can see (404 otherwise) to a programme version, optionally in one of its "
            "batches; in the version's currency. `requested_amount` takes a number or text such as “500万”, "
            "“1.2亿” or “3,000,000”. Submission, approval and tranches follow in the admin."
        ),
        request=FundingApplicationCreateSerializer,
        responses={201: FundingApplicationSerializer, **error_responses(400, 403, 404, 409)},
    ),
)
class ApplicationListCreate(IdempotentPost, generics.ListCreateAPIView):
    serializer_class = FundingApplicationSerializer
    filterset_class = ApplicationFilter
    ordering_fields = ["created_at", "submitted_on", "decision_date"]
    ordering = ["-created_at"]

    def get_queryset(self) -> QuerySet[FundingApplication]:
        if getattr(self, "swagger_fake_view", False):
            return FundingApplication.objects.none()
        return _application_details(applications_visible_to(self.request.user))

    def create(self, request, *args, **kwargs) -> Response:
        serializer = FundingApplicationCreateSerializer(
            data=request.data, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        if lead_is_read_only_for(request.user, fields["lead"]):
            raise PermissionDenied(
                _("This lead is offered to your unit: it is read-only until you accept it.")
            )
        application = services.application_create(actor=request.user, **fields)
        shown = _application_details(FundingApplication.objects.filter(pk=application.pk)).get()
        return Response(self.get_serializer(shown).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    get=extend_schema(
        summary=_("A funding application"),
        parameters=[APPLICATION_ID],
        responses={200: FundingApplicationSerializer, **error_responses(403, 404)},
    )
)
class ApplicationDetail(generics.RetrieveAPIView):
    lookup_url_kwarg = "id"
    serializer_class = FundingApplicationSerializer
    filter_backends: list = []

    def get_queryset(self) -> QuerySet[FundingApplication]:
        if getattr(self, "swagger_fake_view", False):
            return FundingApplication.objects.none()
        return _application_details(applications_visible_to(self.request.user))
