"""Thin views over the lead services and selectors: parse, call one service, answer.

Every queryset starts from `leads_visible_to`, so a lead outside the user's scope (or a record under it) is 404.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import F, Prefetch, QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import filters, generics, status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import SAFE_METHODS
from rest_framework.response import Response
from rest_framework.settings import api_settings

from core.api import error_responses
from projects import services
from projects.api.filters import LeadFilter
from projects.api.serializers import (
    ActivitySerializer,
    DocumentSerializer,
    LeadSerializer,
    LeadUpdateSerializer,
    MilestoneAddSerializer,
    MilestoneCompleteSerializer,
    MilestoneSerializer,
    SigningSerializer,
    StageChangeSerializer,
    TransitionSerializer,
)
from projects.models import Activity, Document, Lead, Milestone, Signing, StageChange
from projects.selectors import lead_get, lead_is_read_only_for, leads_changeable_by, leads_visible_to
from talent.api.idempotency import IdempotentPost
from talent.models import Contact


# Related rows are shown as ids: fetch nothing else (no password hashes, no file metadata). New Prefetch objects
# per queryset, because Django may rewrite a Prefetch while it runs.
def _co_owner_ids() -> Prefetch:
    return Prefetch("co_owners", queryset=get_user_model().objects.only("pk"))


def _document_ids() -> Prefetch:
    return Prefetch("documents", queryset=Document.objects.only("pk", "stage_change", "signing"))


def _milestone_document_ids() -> Prefetch:
    return Prefetch("documents", queryset=Document.objects.only("pk", "milestone"))


def _activity_people_ids() -> list[Prefetch]:
    return [
        Prefetch("participants", queryset=get_user_model().objects.only("pk")),
        Prefetch("contacts", queryset=Contact.objects.only("pk")),
    ]


LEAD_ID = OpenApiParameter("id", int, OpenApiParameter.PATH, description=_("The lead's id."))
MILESTONE_ID = OpenApiParameter("id", int, OpenApiParameter.PATH, description=_("The milestone's id."))


@extend_schema_view(
    get=extend_schema(
        summary=_("List the leads you can see"),
        responses={200: LeadSerializer(many=True), **error_responses(400, 403, 404)},
    ),
    post=extend_schema(
        summary=_("Register a lead at the first stage of its track"),
        responses={201: LeadSerializer, **error_responses(400, 403)},
    ),
)
class LeadListCreate(IdempotentPost, generics.ListCreateAPIView):
    serializer_class = LeadSerializer
    filterset_class = LeadFilter
    filter_backends = [*api_settings.DEFAULT_FILTER_BACKENDS, filters.SearchFilter]
    search_fields = ["code", "name", "name_zh_hant", "name_en"]
    ordering_fields = ["created_at", "updated_at", "code", "name", "stage_entered_at", "last_activity_at"]
    ordering = ["-created_at"]

    def get_queryset(self) -> QuerySet[Lead]:
        # Foreign keys answer as ids (no joins); the one extra query is the co-owners of the whole page.
        return leads_visible_to(self.request.user).prefetch_related(_co_owner_ids())

    def create(self, request, *args, **kwargs) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        lead = services.lead_create(actor=request.user, **serializer.validated_data)
        return Response(self.get_serializer(lead).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    get=extend_schema(summary=_("A lead"), responses={200: LeadSerializer, **error_responses(403, 404)}),
    patch=extend_schema(
        summary=_("Change a lead's descriptive fields"),
        request=LeadUpdateSerializer,
        responses={200: LeadSerializer, **error_responses(400, 403, 404, 409)},
    ),
)
class LeadDetail(generics.RetrieveUpdateAPIView):
    http_method_names = ["get", "patch", "head", "options"]
    lookup_url_kwarg = "id"
    serializer_class = LeadSerializer
    filter_backends: list = []

    def get_queryset(self) -> QuerySet[Lead]:
        return leads_visible_to(self.request.user).prefetch_related(_co_owner_ids())

    def partial_update(self, request, *args, **kwargs) -> Response:
        lead = self.get_object()
        if lead_is_read_only_for(request.user, lead):
            raise PermissionDenied(
                _("This lead is offered to your unit: it is read-only until you accept it.")
            )
        serializer = LeadUpdateSerializer(
            lead, data=request.data, partial=True, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        lead = services.lead_update(
            actor=request.user, lead=lead, co_owners=fields.pop("co_owners", None), **fields
        )
        lead._prefetched_objects_cache = {}  # the service may have replaced the co-owners
        return Response(self.get_serializer(lead).data)


# A route under /leads/{id}/: the lead comes through the scope first, so another unit's lead is 404 before
# anything else (permissions aside) is looked at.
class _UnderALead:
    kwargs: dict
    request: object
    filter_backends: list = []

    @cached_property
    def lead(self) -> Lead:
        lead = lead_get(self.request.user, pk=self.kwargs["id"])
        if lead is None:
            raise NotFound()
        if self.request.method not in SAFE_METHODS and lead_is_read_only_for(self.request.user, lead):
            raise PermissionDenied(
                _("This lead is offered to your unit: it is read-only until you accept it.")
            )
        return lead


@extend_schema_view(
    get=extend_schema(
        summary=_("A lead's stage history"),
        parameters=[LEAD_ID],
        responses={200: StageChangeSerializer(many=True), **error_responses(403, 404)},
    ),
    post=extend_schema(
        summary=_("Move a lead to another stage of its track"),
        description=_(
            "Forward moves may skip stages and need only the target stage's evidence; backward moves "
            "need the right to move leads back and a note. A lead that is lost, transferred or merged cannot move "
            "(409)."
        ),
        parameters=[LEAD_ID],
        request=TransitionSerializer,
        responses={201: StageChangeSerializer, **error_responses(400, 403, 404, 409)},
    ),
)
class LeadTransitions(IdempotentPost, _UnderALead, generics.ListCreateAPIView):
    serializer_class = StageChangeSerializer
    required_permissions = {
        "GET": ["projects.view_lead", "projects.view_stagechange"],
        "POST": ["projects.view_lead", "projects.change_lead"],
    }

    def get_queryset(self) -> QuerySet[StageChange]:
        if getattr(self, "swagger_fake_view", False):
            return StageChange.objects.none()
        return self.lead.stage_changes.prefetch_related(_document_ids()).order_by("occurred_at", "pk")

    def create(self, request, *args, **kwargs) -> Response:
        lead = self.lead
        serializer = TransitionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        change = services.lead_advance(lead=lead, actor=request.user, **serializer.validated_data)
        return Response(StageChangeSerializer(change).data, status=status.HTTP_201_CREATED)


class _LeadRecords(IdempotentPost, _UnderALead, generics.ListCreateAPIView):
    """One lead's records of a kind: listed, and added through `record` (a service taking actor, lead and the
    serializer's validated data); the serializer sees the lead in its context."""

    record: Callable[..., Any]

    def get_serializer_context(self) -> dict:
        context = super().get_serializer_context()
        if not getattr(self, "swagger_fake_view", False):
            context["lead"] = self.lead
        return context

    def create(self, request, *args, **kwargs) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        row = self.record(actor=request.user, lead=self.lead, **serializer.validated_data)
        return Response(self.get_serializer(row).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    get=extend_schema(
        summary=_("A lead's signings"),
        parameters=[LEAD_ID],
        responses={200: SigningSerializer(many=True), **error_responses(403, 404)},
    ),
    post=extend_schema(
        summary=_("Record a signing"),
        description=_(
            "One new signing per lead and investor (409 for a second one): record a capital increase "
            "or a re-signing instead."
        ),
        parameters=[LEAD_ID],
        responses={201: SigningSerializer, **error_responses(400, 403, 404, 409)},
    ),
)
class LeadSignings(_LeadRecords):
    serializer_class = SigningSerializer
    required_permissions = {
        "GET": ["projects.view_lead", "projects.view_signing"],
        "POST": ["projects.view_lead", "projects.add_signing"],
    }
    service_field_names = {"documents": "document_ids"}

    def get_queryset(self) -> QuerySet[Signing]:
        if getattr(self, "swagger_fake_view", False):
            return Signing.objects.none()
        return self.lead.signings.prefetch_related(_document_ids()).order_by("signed_on", "pk")

    record = staticmethod(services.signing_create)


@extend_schema_view(
    post=extend_schema(
        summary=_("Upload a document to a lead"),
        description=_(
            "PDF, JPG, PNG, Word or Excel; the contents must match the file's extension. The id it "
            "returns is what evidence and signings cite (`document_ids`). Uploads cited by nothing are removed "
            "after a day."
        ),
        responses={201: DocumentSerializer, **error_responses(400, 403, 404)},
    )
)
class DocumentUpload(IdempotentPost, generics.CreateAPIView):
    queryset = Document.objects.none()
    serializer_class = DocumentSerializer
    parser_classes = [MultiPartParser]
    filter_backends: list = []

    def create(self, request, *args, **kwargs) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        document = services.document_upload(
            actor=request.user,
            lead=data["lead"],
            file=data["file"],
            title=data.get("title", ""),
            kind=data.get("kind", Document.Kind.OTHER),
        )
        return Response(self.get_serializer(document).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    get=extend_schema(
        summary=_("A lead's activities, newest first"),
        parameters=[LEAD_ID],
        responses={200: ActivitySerializer(many=True), **error_responses(403, 404)},
    ),
    post=extend_schema(
        summary=_("Log an activity"),
        description=_(
            "A call, meeting, visit, message or encounter with the lead's people. The lead's last activity "
            "moves forward to it (never backward, for a late entry). A merged lead takes no new activity (409)."
        ),
        parameters=[LEAD_ID],
        responses={201: ActivitySerializer, **error_responses(400, 403, 404, 409)},
    ),
)
class LeadActivities(_LeadRecords):
    serializer_class = ActivitySerializer
    required_permissions = {
        "GET": ["projects.view_lead", "projects.view_activity"],
        "POST": ["projects.view_lead", "projects.add_activity"],
    }

    def get_queryset(self) -> QuerySet[Activity]:
        if getattr(self, "swagger_fake_view", False):
            return Activity.objects.none()
        return self.lead.activities.prefetch_related(*_activity_people_ids()).order_by("-occurred_at", "-pk")

    record = staticmethod(services.activity_log)


@extend_schema_view(
    get=extend_schema(
        summary=_("A lead's milestones, by pass and due date"),
        parameters=[LEAD_ID],
        responses={200: MilestoneSerializer(many=True), **error_responses(403, 404)},
    ),
    post=extend_schema(
        summary=_("Add an ad-hoc milestone to one of the lead's passes"),
        description=_(
            "Assigned to the lead's owner unless an assignee is given. A merged lead takes none (409)."
        ),
        parameters=[LEAD_ID],
        request=MilestoneAddSerializer,
        responses={201: MilestoneSerializer, **error_responses(400, 403, 404, 409)},
    ),
)
class LeadMilestones(_LeadRecords):
    serializer_class = MilestoneSerializer
    required_permissions = {
        "GET": ["projects.view_lead", "projects.view_milestone"],
        "POST": ["projects.view_lead", "projects.add_milestone"],
    }
    service_field_names = {"lead_pass": "pass_code"}

    def get_queryset(self) -> QuerySet[Milestone]:
        if getattr(self, "swagger_fake_view", False):
            return Milestone.objects.none()
        # Undated milestones last within their pass on every database: PostgreSQL sorts NULL last, SQLite first.
        return (
            self.lead.milestones.select_related("lead_pass", "template")
            .prefetch_related(_milestone_document_ids())
            .order_by("lead_pass__order", "lead_pass_id", F("due_on").asc(nulls_last=True), "pk")
        )

    def create(self, request, *args, **kwargs) -> Response:
        lead = self.lead
        serializer = MilestoneAddSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        milestone = services.milestone_add(actor=request.user, lead=lead, **serializer.validated_data)
        return Response(MilestoneSerializer(milestone).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    post=extend_schema(
        summary=_("Complete a milestone"),
        description=_(
            "Done with its evidence (a note, a document of the same lead, or both), or not applicable with "
            "the reason. A milestone already done or not applicable answers 409."
        ),
        parameters=[MILESTONE_ID],
        request=MilestoneCompleteSerializer,
        responses={200: MilestoneSerializer, **error_responses(400, 403, 404, 409)},
    )
)
class MilestoneComplete(IdempotentPost, generics.GenericAPIView):
    lookup_url_kwarg = "id"
    serializer_class = MilestoneCompleteSerializer
    filter_backends: list = []
    required_permissions = {
        "POST": ["projects.view_lead", "projects.view_milestone", "projects.change_milestone"]
    }

    def get_queryset(self) -> QuerySet[Milestone]:
        if getattr(self, "swagger_fake_view", False):
            return Milestone.objects.none()
        # Completing changes the lead's checklist: a lead only offered to the user's unit stays read-only.
        return Milestone.objects.filter(lead__in=leads_changeable_by(self.request.user).values("pk"))

    def create(self, request, *args, **kwargs) -> Response:
        milestone = self.get_object()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        milestone = services.milestone_complete(
            milestone=milestone, actor=request.user, **serializer.validated_data
        )
        return Response(MilestoneSerializer(milestone).data)
