"""The API schema's shared declarations (drf-spectacular). Apart from core.api because drf-spectacular imports
DRF's views, which read the settings that name core.api's classes."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.utils import OpenApiParameter
from rest_framework import permissions

from core.api import error_responses

IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    required=False,
    description=_(
        "A key of the client's choosing: the same key and body again returns the first answer and records nothing "
        "more; the same key with another body is 422."
    ),
)


class AutoSchema(SpectacularAutoSchema):
    """Declares on every operation the error responses the shared machinery can answer, so that no view has to
    remember them: 401 where an authenticator sends a challenge, 403 where a permission is checked, 404 where the
    path names an object or the list is paginated, 400 where a body or a filter is parsed, 422 and the
    Idempotency-Key header on idempotent POSTs (`idempotent = True`), 429 where a throttle applies, 503 everywhere
    (the database unreachable). A view's own declarations win."""

    def get_override_parameters(self) -> list:
        parameters = list(super().get_override_parameters())
        if self._is_idempotent():
            parameters.append(IDEMPOTENCY_KEY)
        return parameters

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        # The hook after `@extend_schema(responses=...)` has been applied (it replaces get_response_serializers).
        bodies = super()._get_response_bodies(direction)
        for code, response in error_responses(*self._error_codes()).items():
            if str(code) not in bodies:
                bodies[str(code)] = self._get_response_for_code(response, str(code), direction=direction)
        return bodies

    def _is_idempotent(self) -> bool:
        return self.method == "POST" and getattr(self.view, "idempotent", False)

    def _error_codes(self) -> list[int]:
        request = getattr(self.view, "request", None)
        codes = []
        if any(auth.authenticate_header(request) for auth in self.view.get_authenticators()):
            codes.append(401)
        if not all(isinstance(perm, permissions.AllowAny) for perm in self.view.get_permissions()):
            codes.append(403)
        reads_a_list = self.method == "GET" and self._is_list_view()
        if self.method in {"POST", "PUT", "PATCH"} or (
            reads_a_list and getattr(self.view, "filter_backends", None)
        ):
            codes.append(400)
        if "{" in self.path or (reads_a_list and getattr(self.view, "pagination_class", None)):
            codes.append(404)  # an object outside the scope, or a page past the last
        if self._is_idempotent():
            codes.append(422)
        if self.view.get_throttles():
            codes.append(429)
        codes.append(503)  # every operation reads the database (core.views.server_error)
        return codes
