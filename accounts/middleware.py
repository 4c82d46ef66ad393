"""Session lifetimes, and the second factor administrators need, checked on every request of a signed-in
browser. API tokens are not sessions: they live until revoked or their user is deactivated."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY, logout
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from accounts.authlog import log_event
from accounts.services import second_factor_required

# Seconds since the epoch, in the session: when the user signed in, and their last request (to the minute).
SIGNED_IN_AT = "accounts_signed_in_at"
LAST_SEEN = "accounts_last_seen"
# The last-seen stamp is written at most this often: a session write on every request would double the writes
# of a busy page, and a minute is nothing against a 30-minute idle limit.
LAST_SEEN_RESOLUTION = 60


def stamp_sign_in(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    """user_logged_in receiver: both clocks start at the sign-in."""
    if request is None or not hasattr(request, "session"):
        return
    now = time.time()
    request.session[SIGNED_IN_AT] = now
    request.session[LAST_SEEN] = now


def _expiry_reason(session: Any, now: float) -> str | None:
    signed_in_at = session.get(SIGNED_IN_AT)
    last_seen = session.get(LAST_SEEN)
    if signed_in_at is not None and now - signed_in_at > settings.SESSION_ABSOLUTE_SECONDS:
        return "absolute_timeout"
    if last_seen is not None and now - last_seen > settings.SESSION_IDLE_SECONDS:
        return "idle_timeout"
    return None


class SessionTimeoutMiddleware:
    """Signs out a session idle for SESSION_IDLE_SECONDS, or SESSION_ABSOLUTE_SECONDS after its sign-in however
    busy; and, while OTP_REQUIRED_FOR_ADMINS, an administrator's session that no one-time code verified (one from
    before the requirement, or of a user who has just been made an administrator).

    After AuthenticationMiddleware, django-otp's OTPMiddleware and MessageMiddleware."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        self._check(request)
        return self.get_response(request)

    def _check(self, request: HttpRequest) -> None:
        # Requests without a session cookie (health checks, the API's tokens) read nothing here.
        if settings.SESSION_COOKIE_NAME not in request.COOKIES:
            return
        session = request.session
        if session.get(SESSION_KEY) is None:
            return
        now = time.time()
        reason = _expiry_reason(session, now)
        if reason is None and settings.OTP_REQUIRED_FOR_ADMINS:
            user = request.user
            if user.is_authenticated and not user.is_verified() and second_factor_required(user):  # type: ignore[attr-defined]
                reason = "second_factor_missing"
        if reason is not None:
            self._sign_out(request, reason)
            return
        # Sessions from before these stamps existed start their clocks now.
        if session.get(SIGNED_IN_AT) is None:
            session[SIGNED_IN_AT] = now
        last_seen = session.get(LAST_SEEN)
        if last_seen is None or now - last_seen >= LAST_SEEN_RESOLUTION:
            session[LAST_SEEN] = now

    def _sign_out(self, request: HttpRequest, reason: str) -> None:
        username = request.user.get_username() if request.user.is_authenticated else ""
        log_event(logging.INFO, "session_ended", username=username, request=request, outcome=reason)
        logout(request)
        if not request.path.startswith("/api/"):
            messages.info(request, _("Your session has ended. Please sign in again."), fail_silently=True)
