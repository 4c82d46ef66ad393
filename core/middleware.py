"""The internet-facing setting (DESIGN §7): the same code, serving only the submission pages."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse


class InternetFacingMiddleware:
    """With INTERNET_FACING on, every path outside INTERNET_FACING_PATHS answers 404, as if it did not exist:
    people in Hong Kong reach the QR form and quick capture, never the admin, the API or the staff pages."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if settings.INTERNET_FACING and not request.path.startswith(tuple(settings.INTERNET_FACING_PATHS)):
            raise Http404
        return self.get_response(request)
