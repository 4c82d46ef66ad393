"""Thin views over the contact and event services and selectors: parse, call one service, answer.

Every contact queryset starts from `contacts_visible_to` and every event queryset from `events_visible_to`, so
anything outside the user's scope (an event recorder asking for a person met at another event) is 404.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import generics, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from core.api import PersonalDataThrottle, error_responses
from directory.models import Organization
from talent import identity
from talent.api.idempotency import IdempotentPost
from talent.api.serializers import (
    AttendanceCreatedSerializer,
    AttendanceCreateSerializer,
    CandidateSerializer,
    ContactCreatedSerializer,
    ContactCreateSerializer,
    ContactMergeSerializer,
    ContactSerializer,
    EventSerializer,
    MergeRequestSerializer,
)
from talent.models import Affiliation, Attendance, Contact, ContactChannel, PersonalDataLog, RecruitmentEvent
from talent.names import simplified
from talent.selectors import (
    ALL_CONTACTS_PERMISSION,
    DUPLICATE_HINT,
    contacts_visible_to,
    events_visible_to,
    open_duplicate_pairs,
)
from talent.services import contacts as contact_services
from talent.services import events as event_services
from talent.services.merge import contact_merge
from talent.services.rights import personal_data_viewed

CONTACT_ID = OpenApiParameter("id", int, OpenApiParameter.PATH, description=_("The contact's id."))


# Channels and affiliations are shown without their history or joined rows: fetch only what is shown. New
# Prefetch objects per queryset, because Django may rewrite a Prefetch while it runs.
def _contact_details(queryset: QuerySet[Contact]) -> QuerySet[Contact]:
    return queryset.prefetch_related(
        Prefetch(
            "channels",
            queryset=ContactChannel.objects.only("pk", "contact_id", "kind", "value", "raw", "label"),
        ),
        Prefetch(
            "affiliations",
            queryset=Affiliation.objects.only(
                "pk", "contact_id", "organization_id", "department", "position", "started_on", "ended_on"
            ),
        ),
    )


def _visible_events(request) -> QuerySet[RecruitmentEvent]:
    if request is None:
        return RecruitmentEvent.objects.none()
    return events_visible_to(request.user)


class ContactFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        method="filter_q",
        help_text=_(
            "Part of the name as written, its simplified form, the romanized name or the English name."
        ),
    )
    organization = django_filters.ModelChoiceFilter(
        queryset=Organization.objects.all(),
        method="filter_organization",
        help_text=_("An organization id: people working there now or affiliated with it at any time."),
    )
    event = django_filters.ModelChoiceFilter(
        queryset=_visible_events,
        method="filter_event",
        help_text=_("An event id: the people met there."),
    )
    status = django_filters.MultipleChoiceFilter(
        choices=Contact.Status.choices,
        help_text=_(
            "Repeat for several; active contacts only when omitted (merged and erased ones are left out)."
        ),
    )

    class Meta:
        model = Contact
        fields = ["q", "organization", "event", "status"]

    def filter_queryset(self, queryset: QuerySet[Contact]) -> QuerySet[Contact]:
        if not self.form.cleaned_data.get("status"):
            queryset = queryset.filter(status=Contact.Status.ACTIVE)
        return super().filter_queryset(queryset)

    def filter_q(self, queryset: QuerySet[Contact], name: str, value: str) -> QuerySet[Contact]:
        text = value.strip()
        if not text:
            return queryset
        return queryset.filter(
            Q(name__icontains=text)
            | Q(name_simplified__icontains=simplified(text))
            | Q(name_romanized__icontains=text)
            | Q(english_name__icontains=text)
        )

    def filter_organization(
        self, queryset: QuerySet[Contact], name: str, value: Organization
    ) -> QuerySet[Contact]:
        affiliated = Affiliation.objects.filter(organization=value).values("contact_id")
        return queryset.filter(Q(organization=value) | Q(pk__in=affiliated))

    def filter_event(
        self, queryset: QuerySet[Contact], name: str, value: RecruitmentEvent
    ) -> QuerySet[Contact]:
        return queryset.filter(pk__in=Attendance.objects.filter(event=value).values("contact_id"))


def _possible_duplicates(user, contact: Contact) -> dict[str, Any]:
    """What the review queue now holds about a newly registered person, as much as the user may know."""
    pairs = open_duplicate_pairs(contact)
    others = [pair.second_id if pair.first_id == contact.pk else pair.first_id for pair in pairs]
    answer: dict[str, Any] = {
        "hint": bool(others),
        "message": str(DUPLICATE_HINT) if others else "",
    }
    if user.has_perm(ALL_CONTACTS_PERMISSION):
        visible = set(contacts_visible_to(user).filter(pk__in=others).values_list("pk", flat=True))
        ids = [pk for pk in others if pk in visible]
        answer.update(count=len(ids), ids=ids)
    return answer


@extend_schema_view(
    get=extend_schema(
        summary=_("List the contacts you can see"),
        description=_(
            "Officers and managers see every contact; event recorders only the people met at the events they "
            "staff. Phones and e-mails are masked without the right to see personal data."
        ),
        responses={200: ContactSerializer(many=True), **error_responses(400, 403, 404)},
    ),
    post=extend_schema(
        summary=_("Register a contact"),
        description=_(
            "Possible duplicates go to the review queue; nothing is merged. `possible_duplicates` says "
            "whether the queue now holds a match for this person: with the count and ids for users who may see "
            "every contact, as a hint only for everyone else."
        ),
        request=ContactCreateSerializer,
        # 404: an `event` the user cannot see (VisibleObjectField).
        responses={201: ContactCreatedSerializer, **error_responses(400, 403, 404)},
    ),
)
class ContactListCreate(IdempotentPost, generics.ListCreateAPIView):
    serializer_class = ContactSerializer
    throttle_classes = [PersonalDataThrottle]
    filterset_class = ContactFilter
    ordering_fields = ["name", "created_at", "updated_at"]
    ordering = ["name"]
    # The service names the channel it could not read; the request gave it in these lists.
    service_field_names = {"phone": "phones", "email": "emails"}

    def get_queryset(self) -> QuerySet[Contact]:
        return _contact_details(contacts_visible_to(self.request.user))

    def get_serializer_class(self):
        if self.request is not None and self.request.method == "POST":
            return ContactCreateSerializer
        return ContactSerializer

    def list(self, request, *args, **kwargs) -> Response:
        response = super().list(request, *args, **kwargs)
        rows = response.data["results"] if isinstance(response.data, dict) else response.data
        personal_data_viewed(
            user=request.user, channel=PersonalDataLog.Channel.API, contact_ids=[row["id"] for row in rows]
        )
        return response

    def create(self, request, *args, **kwargs) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        channels = _channels_from(fields)
        affiliations = [dict(affiliation) for affiliation in fields.pop("affiliations", [])]
        event = fields.pop("event", None)
        if event is None and not request.user.has_perm(ALL_CONTACTS_PERMISSION):
            # Staff who see only their events' people would lose sight of a person registered nowhere.
            raise ValidationError({"event": [gettext("Choose the event where you met the person.")]})
        with transaction.atomic():
            contact = contact_services.contact_create(
                actor=request.user, channels=channels, affiliations=affiliations, **fields
            )
            if event is not None:
                event_services.attendance_record(actor=request.user, event=event, contact=contact)
        contact = _contact_details(Contact.objects.filter(pk=contact.pk)).get()
        context = {
            **self.get_serializer_context(),
            "possible_duplicates": _possible_duplicates(request.user, contact),
        }
        return Response(
            ContactCreatedSerializer(contact, context=context).data, status=status.HTTP_201_CREATED
        )


@extend_schema_view(
    get=extend_schema(
        summary=_("A contact"),
        parameters=[CONTACT_ID],
        responses={200: ContactSerializer, **error_responses(403, 404)},
    ),
    patch=extend_schema(
        summary=_("Change a contact's descriptive fields"),
        description=_("A merged or erased contact cannot be changed (409)."),
        parameters=[CONTACT_ID],
        request=ContactSerializer,
        responses={200: ContactSerializer, **error_responses(400, 403, 404, 409)},
    ),
)
class ContactDetail(generics.RetrieveUpdateAPIView):
    http_method_names = ["get", "patch", "head", "options"]
    throttle_classes = [PersonalDataThrottle]
    lookup_url_kwarg = "id"
    serializer_class = ContactSerializer
    filter_backends: list = []

    def get_queryset(self) -> QuerySet[Contact]:
        return _contact_details(contacts_visible_to(self.request.user))

    def retrieve(self, request, *args, **kwargs) -> Response:
        response = super().retrieve(request, *args, **kwargs)
        personal_data_viewed(
            user=request.user, channel=PersonalDataLog.Channel.API, contact_ids=[response.data["id"]]
        )
        return response

    def partial_update(self, request, *args, **kwargs) -> Response:
        contact = self.get_object()
        serializer = self.get_serializer(contact, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        contact = contact_services.contact_update(
            actor=request.user, contact=contact, **serializer.validated_data
        )
        return Response(self.get_serializer(contact).data)


class _OneContact(generics.GenericAPIView):
    """An operation on one contact: the contact comes through the user's scope (404 outside it)."""

    lookup_url_kwarg = "id"
    filter_backends: list = []
    pagination_class = None

    def get_queryset(self) -> QuerySet[Contact]:
        if getattr(self, "swagger_fake_view", False):
            return Contact.objects.none()
        return contacts_visible_to(self.request.user)


@extend_schema_view(
    get=extend_schema(
        summary=_("Possible duplicates of a contact"),
        description=_(
            "Every contact you can see that may be the same person, best first: a shared phone, e-mail or "
            "WeChat ID, a shared organization, agreeing names. For the review queue: event recorders get 403."
        ),
        parameters=[CONTACT_ID],
        responses={200: CandidateSerializer(many=True), **error_responses(403, 404)},
    )
)
class ContactDuplicates(_OneContact):
    serializer_class = CandidateSerializer
    throttle_classes = [PersonalDataThrottle]
    required_permissions = {"GET": ["talent.view_contact", "talent.view_duplicatepair"]}

    def get(self, request, *args, **kwargs) -> Response:
        contact = identity.with_details(self.get_object())
        candidates = identity.find_candidates(contact, within=contacts_visible_to(request.user))
        data = self.get_serializer(candidates, many=True).data
        # The reasons quote the contact's own phone or e-mail beside each candidate's: both are logged.
        shown = [contact.pk, *(candidate.contact.pk for candidate in candidates)] if candidates else []
        personal_data_viewed(
            user=request.user, channel=PersonalDataLog.Channel.API, contact_ids=shown, count=len(data)
        )
        return Response(data)


@extend_schema_view(
    post=extend_schema(
        summary=_("Merge this contact into another"),
        description=_(
            "The contact in the path is merged INTO the contact named by `into`: `into` is kept and takes "
            "every reference (attendances, consent, leads, activities …) and the blank fields it lacks; the one "
            "in the path becomes a pointer to it. Both must be visible to you (404), different (400) and "
            "active (409). Undoable from the merge record."
        ),
        parameters=[CONTACT_ID],
        request=MergeRequestSerializer,
        responses={201: ContactMergeSerializer, **error_responses(400, 403, 404, 409)},
    )
)
class ContactMergeInto(IdempotentPost, _OneContact):
    serializer_class = MergeRequestSerializer
    required_permissions = {"POST": ["talent.view_contact", "talent.merge_contact"]}
    service_field_names = {"source": "into"}

    def create(self, request, *args, **kwargs) -> Response:
        source = self.get_object()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        merge = contact_merge(actor=request.user, source=source, target=serializer.validated_data["into"])
        return Response(ContactMergeSerializer(merge).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    get=extend_schema(
        summary=_("List the recruitment events you can see"),
        description=_(
            "Officers and managers see every event; event recorders the events they staff. Each event lists "
            "the Hong Kong public holidays it overlaps."
        ),
        responses={200: EventSerializer(many=True), **error_responses(400, 403, 404)},
    ),
    post=extend_schema(
        summary=_("Create a recruitment event"),
        responses={201: EventSerializer, **error_responses(400, 403)},
    ),
)
class EventListCreate(IdempotentPost, generics.ListCreateAPIView):
    serializer_class = EventSerializer
    ordering_fields = ["starts_on", "name"]
    ordering = ["-starts_on"]

    def get_queryset(self) -> QuerySet[RecruitmentEvent]:
        # The count is part of the page's query; staff ids come in one query for the whole page.
        return (
            events_visible_to(self.request.user)
            .annotate(attendance_total=Count("attendances"))
            .prefetch_related(Prefetch("assigned_staff", queryset=_staff_ids()))
        )

    def create(self, request, *args, **kwargs) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        event = event_services.event_create(actor=request.user, **serializer.validated_data)
        return Response(self.get_serializer(event).data, status=status.HTTP_201_CREATED)


def _staff_ids() -> QuerySet:
    return get_user_model().objects.only("pk").order_by("pk")  # the same list on every database


EVENT_ID = OpenApiParameter("id", int, OpenApiParameter.PATH, description=_("The event's id."))


@extend_schema_view(
    post=extend_schema(
        summary=_("Record a person met at an event"),
        description=_(
            "A known contact (`contact`) or a new person (`person`, registered with the attendance; possible "
            "duplicates go to the review queue and are only hinted to event staff). One attendance per person and "
            "event (409 for a merged or erased contact, 400 when already recorded)."
        ),
        parameters=[EVENT_ID],
        request=AttendanceCreateSerializer,
        responses={201: AttendanceCreatedSerializer, **error_responses(400, 403, 404, 409)},
    )
)
class EventAttendances(IdempotentPost, generics.GenericAPIView):
    lookup_url_kwarg = "id"
    filter_backends: list = []
    pagination_class = None
    serializer_class = AttendanceCreateSerializer
    required_permissions = {"POST": ["talent.add_attendance"]}
    service_field_names = {"phone": "person", "email": "person", "wechat": "person"}

    def get_queryset(self) -> QuerySet[RecruitmentEvent]:
        if getattr(self, "swagger_fake_view", False):
            return RecruitmentEvent.objects.none()
        return events_visible_to(self.request.user)

    def create(self, request, *args, **kwargs) -> Response:
        event = self.get_object()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        with transaction.atomic():
            contact = fields.pop("contact", None) or _register_person(request.user, fields.pop("person"))
            fields.pop("person", None)
            attendance = event_services.attendance_record(
                actor=request.user, event=event, contact=contact, **fields
            )
        context = {
            **self.get_serializer_context(),
            "possible_duplicates": _possible_duplicates(request.user, contact),
        }
        return Response(
            AttendanceCreatedSerializer(attendance, context=context).data, status=status.HTTP_201_CREATED
        )


def _channels_from(fields: dict[str, Any]) -> list[contact_services.ChannelInput]:
    """Take the request's `phones`, `emails` and `wechat` out of the fields, as the services' channel inputs."""
    channels = [
        *(contact_services.ChannelInput(ContactChannel.Kind.PHONE, raw) for raw in fields.pop("phones", [])),
        *(contact_services.ChannelInput(ContactChannel.Kind.EMAIL, raw) for raw in fields.pop("emails", [])),
    ]
    wechat = fields.pop("wechat", "").strip()
    if wechat:
        channels.append(contact_services.ChannelInput(ContactChannel.Kind.WECHAT, wechat))
    return channels


def _register_person(user, person: dict[str, Any]) -> Contact:
    channels = _channels_from(person)
    return contact_services.contact_create(actor=user, channels=channels, **person)
