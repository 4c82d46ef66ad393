"""What django-axes needs from us: the client's address as core.throttle reads it, and the lockout answer."""

from __future__ import annotations

import ipaddress
import math
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext, ngettext

from core.throttle import client_ip


def client_address(request: HttpRequest) -> str | None:
    """The address axes counts failures for (settings.AXES_CLIENT_IP_CALLABLE): the same NUM_PROXIES rule as the
    throttles. None when it is not an address at all (a forged X-Forwarded-For, a request built in code), which
    PostgreSQL's inet column would refuse."""
    address = client_ip(request)
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None


def cool_off_minutes() -> int:
    return max(1, math.ceil(float(settings.AXES_COOLOFF_TIME) * 60))


def lockout_message() -> str:
    minutes = cool_off_minutes()
    return ngettext(
        "Too many failed sign-in attempts for this username from your network address. "
        "Try again in %(minutes)d minute.",
        "Too many failed sign-in attempts for this username from your network address. "
        "Try again in %(minutes)d minutes.",
        minutes,
    ) % {"minutes": minutes}


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    """settings.AXES_LOCKOUT_CALLABLE: a page for the admin's login form, JSON for the API."""
    status = settings.AXES_HTTP_RESPONSE_CODE
    retry_after = str(cool_off_minutes() * 60)
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse({"detail": lockout_message()}, status=status)
    else:
        # Imported here: the admin site is built after the apps are ready, and this module is named in settings.
        from django.contrib import admin

        response = render(
            request,
            "admin/locked_out.html",
            {
                **admin.site.each_context(request),
                "title": gettext("Sign-in locked"),
                "message": lockout_message(),
            },
            status=status,
        )
    response["Retry-After"] = retry_after
    return response
