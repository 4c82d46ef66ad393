"""What every API view shares: the error mapping of DESIGN §6, pagination, ordering, permissions, scoped ids.

Errors: ApplicationError → 400 and IllegalStateError → 409, both in DRF's field shape
(`{"<field>" or "non_field_errors": ["message"]}`); Django's ValidationError → 400 in the same shape; anything
outside the user's scope → 404 (`{"detail": ...}`), a role without rights on the resource → 403.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Model, QuerySet
from django.http import Http404
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, filters, pagination, permissions, serializers, status, throttling
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.settings import api_settings

from core.errors import ApplicationError, IdempotencyMismatchError, IllegalStateError

# --- Errors ---------------------------------------------------------------------------------------------------


def _field_errors(errors: dict[str, Any]) -> dict[str, Any]:
    """Django names non-field errors "__all__"; DRF clients expect NON_FIELD_ERRORS_KEY."""
    return {
        (api_settings.NON_FIELD_ERRORS_KEY if key == NON_FIELD_ERRORS else key): value
        for key, value in errors.items()
    }


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DESIGN §6 error codes. A view may rename service arguments to its own field names through
    `service_field_names` (e.g. a service's `documents` is the API's `document_ids`)."""
    # Imported here: the settings name this module's permission class, which rest_framework.views imports.
    from rest_framework.views import exception_handler as drf_exception_handler
    from rest_framework.views import set_rollback

    if isinstance(exc, ApplicationError):
        renamed = getattr(context.get("view"), "service_field_names", {})
        field = renamed.get(exc.field, exc.field) or api_settings.NON_FIELD_ERRORS_KEY
        code = status.HTTP_409_CONFLICT if isinstance(exc, IllegalStateError) else status.HTTP_400_BAD_REQUEST
        if isinstance(exc, IdempotencyMismatchError):
            code = status.HTTP_422_UNPROCESSABLE_ENTITY
        set_rollback()
        return Response({field: [exc.message]}, status=code)
    if isinstance(exc, DjangoValidationError):
        # full_clean() inside a service: the same 400 as a serializer's own validation.
        exc = exceptions.ValidationError(_field_errors(as_serializer_error(exc)))
    elif isinstance(exc, exceptions.ParseError):
        # A body that is not JSON at all: the same field shape as any other invalid input.
        exc = exceptions.ValidationError({api_settings.NON_FIELD_ERRORS_KEY: [exc.detail]})
    elif isinstance(exc, Http404):
        # get_object_or_404 names the model in English whatever the language; one translated message for all.
        exc = exceptions.NotFound()
    return drf_exception_handler(exc, context)


# Error bodies as the schema declares them. Every operation lists the codes it can answer.
_FIELD_ERRORS_SCHEMA = {
    "type": "object",
    "description": _("Messages per field; `non_field_errors` for the request as a whole."),
    # A list of messages; for a nested field, the same shape per item or per sub-field.
    "additionalProperties": {
        "oneOf": [
            {"type": "array", "items": {"oneOf": [{"type": "string"}, {"type": "object"}]}},
            {"type": "object"},
        ]
    },
}


class ErrorDetailSerializer(serializers.Serializer):
    detail = serializers.CharField()


_ERROR_RESPONSES = {
    400: OpenApiResponse(_FIELD_ERRORS_SCHEMA, description=_("Missing or invalid fields.")),
    403: OpenApiResponse(
        ErrorDetailSerializer, description=_("Not signed in, or the role has no rights on this resource.")
    ),
    404: OpenApiResponse(ErrorDetailSerializer, description=_("Does not exist or is outside your scope.")),
    409: OpenApiResponse(
        _FIELD_ERRORS_SCHEMA, description=_("The object's state does not allow the change.")
    ),
    422: OpenApiResponse(
        _FIELD_ERRORS_SCHEMA, description=_("The Idempotency-Key was already used with a different body.")
    ),
    401: OpenApiResponse(
        ErrorDetailSerializer, description=_("No credentials, or a token that is unknown or revoked.")
    ),
    429: OpenApiResponse(
        ErrorDetailSerializer,
        description=_("Too many requests: wait the seconds the Retry-After header gives."),
    ),
    503: OpenApiResponse(
        ErrorDetailSerializer,
        description=_(
            "The database cannot be reached for a moment: try again after the Retry-After header's seconds."
        ),
    ),
}


def error_responses(*codes: int) -> dict[int, OpenApiResponse]:
    """Schema entries for the error codes an operation can answer, to merge into `responses=`."""
    return {code: _ERROR_RESPONSES[code] for code in codes}


# --- Lists ----------------------------------------------------------------------------------------------------


class PageNumberPagination(pagination.PageNumberPagination):
    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 100


class OrderingFilter(filters.OrderingFilter):
    """Ordering by the fields a view lists in `ordering_fields` and no others, always ending with the primary
    key: rows that tie on the chosen field would otherwise repeat or vanish between pages."""

    def get_valid_fields(
        self, queryset: QuerySet, view, context: dict | None = None
    ) -> list[tuple[str, str]]:
        # DRF falls back to every serializer field when a view lists none, to-many relations included (which
        # repeat rows); a view without a list simply cannot be reordered.
        return [(field, field) for field in getattr(view, "ordering_fields", None) or ()]

    def get_ordering(self, request, queryset: QuerySet, view) -> list[str] | None:
        ordering = super().get_ordering(request, queryset, view)
        if not ordering or any(field.lstrip("-") in {"pk", "id"} for field in ordering):
            return ordering
        return [*ordering, "-pk" if ordering[0].startswith("-") else "pk"]

    def get_schema_operation_parameters(self, view) -> list[dict[str, Any]]:
        fields = getattr(view, "ordering_fields", None)
        if not fields:
            return []
        return [
            {
                "name": self.ordering_param,
                "required": False,
                "in": "query",
                "description": gettext("Comma-separated fields to order by, “-” for descending: %(fields)s.")
                % {"fields": ", ".join(fields)},
                "schema": {"type": "string"},
            }
        ]


# --- Throttles -----------------------------------------------------------------------------------------------


class PersonalDataThrottle(throttling.UserRateThrottle):
    """Reads that hand out phones and e-mails, counted per user in the shared cache (settings
    `DEFAULT_THROTTLE_RATES["personal_data"]`): a script copying the contact book runs into it, a person at work
    never does. Writes are not counted."""

    scope = "personal_data"

    def get_rate(self) -> str | None:
        # Read when counting, not when this module is imported, so a changed setting applies.
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def allow_request(self, request, view) -> bool:
        if request.method not in permissions.SAFE_METHODS:
            return True
        return super().allow_request(request, view)


# --- Permissions ----------------------------------------------------------------------------------------------


class ModelPermissions(permissions.DjangoModelPermissions):
    """Django model permissions, reads included: a role with no `view_` permission gets 403, lists too.

    A view whose operations do not map onto its queryset's model (a nested route, a move that changes the
    parent) names them in `required_permissions = {"GET": [...], "POST": [...]}`.
    """

    perms_map = {
        **permissions.DjangoModelPermissions.perms_map,
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
    }

    def has_permission(self, request, view) -> bool:
        required: dict[str, list[str]] | None = getattr(view, "required_permissions", None)
        if required is None:
            return super().has_permission(request, view)
        if not request.user or not request.user.is_authenticated:
            return False
        method = "GET" if request.method == "HEAD" else request.method
        if method == "OPTIONS":
            return True
        if method not in required:
            raise exceptions.MethodNotAllowed(request.method)
        return request.user.has_perms(required[method])


# --- Related ids ----------------------------------------------------------------------------------------------


class ScopedPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """An id chosen among the rows the acting user may see (`scope(user, queryset)` is a selector): an id
    outside the scope reads exactly like an id that does not exist."""

    def __init__(self, *, scope: Callable[[Any, QuerySet], QuerySet], **kwargs: Any) -> None:
        self.scope = scope
        super().__init__(**kwargs)

    def get_queryset(self) -> QuerySet:
        return self.scope(self.context["request"].user, self.queryset.all())


class VisibleObjectField(ScopedPrimaryKeyRelatedField):
    """Like ScopedPrimaryKeyRelatedField, but an id outside the scope answers 404, not 400: the body names the
    object the request acts on (a document's lead), and DESIGN §2 says anything not visible is 404."""

    def to_internal_value(self, data: Any) -> Model:
        try:
            return super().to_internal_value(data)
        except serializers.ValidationError as error:
            if error.detail and error.detail[0].code == "does_not_exist":
                raise exceptions.NotFound() from None
            raise
