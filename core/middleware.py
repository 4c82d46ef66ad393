"""Request-wide rules: the internet-facing setting (DESIGN §7), the Content-Security-Policy and no-store."""

from __future__ import annotations

from collections.abc import Callable

from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.urls import get_script_prefix, reverse
from django.utils.cache import patch_cache_control


class InternetFacingMiddleware:
    """With INTERNET_FACING on, every path outside INTERNET_FACING_PATHS answers 404, as if it did not exist:
    people in Hong Kong reach the QR form and quick capture, never the admin, the API or the staff pages."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if settings.INTERNET_FACING and not request.path.startswith(tuple(settings.INTERNET_FACING_PATHS)):
            raise Http404
        return self.get_response(request)


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """settings.CONTENT_SECURITY_POLICY everywhere but the Django admin, which writes inline styles we do not
    control: a <style> block on change lists without actions, style attributes from its widgets' scripts and from
    admin columns (the indented unit and building trees). Under /admin/ the enforced policy therefore also allows
    inline styles, never inline scripts, and the strict policy goes beside it as Content-Security-Policy-Report-Only,
    so whatever the admin still needs shows in the browser console (and at CSP_REPORT_URI) instead of breaking it."""

    def get_policy_parts(
        self, request: HttpRequest, response: HttpResponseBase, report_only: bool = False
    ) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        if not request.path.startswith(reverse("admin:index")):
            return parts
        if report_only:
            parts.config = parts.config or settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]
        else:
            update = dict(parts.update or {})
            update["style-src"] = [*update.get("style-src", []), "'unsafe-inline'"]
            parts.update = update
        return parts


class NoStoreMiddleware:
    """Cache-Control: no-store on every response to a browser holding a session and on every API response (tokens
    included): those are the ones that carry personal data, and neither the browser (the
    back button on a shared office computer) nor a proxy may keep a copy. Static files stay cacheable (WhiteNoise
    answers most of them before this middleware); a response that already says no-store (the health check, the
    QR form, downloads) keeps its own header."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "no-store" in response.get("Cache-Control", ""):
            return response
        if request.path.startswith(settings.STATIC_URL):
            return response
        # Decided from the session cookie, not request.user: asking the user loads the session, a query on every
        # response even where the view never looked, and a second failure on an error page while the database is down.
        signed_in = settings.SESSION_COOKIE_NAME in request.COOKIES
        if request.path.startswith(f"{get_script_prefix()}api/") or signed_in:
            patch_cache_control(response, private=True, no_store=True)
        return response
