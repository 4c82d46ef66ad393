"""Sign-in events on the "accounts.auth" logger (beside the token and deactivation events of accounts.services):
who, from which address, with what outcome. Never a password or a one-time code."""

from __future__ import annotations

import logging
from typing import Any

from core.throttle import client_ip

auth_logger = logging.getLogger("accounts.auth")


def log_event(level: int, event: str, *, username: str, request: Any, outcome: str) -> None:
    ip = client_ip(request) if request is not None else ""
    # The fields go into the message too: a plain log line must say who and from where.
    auth_logger.log(
        level,
        "%s username=%r ip=%s outcome=%s",
        event,
        username,
        ip,
        outcome,
        extra={"event": event, "username": username, "ip": ip, "outcome": outcome},
    )


def logged_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    log_event(logging.INFO, "login", username=user.get_username(), request=request, outcome="success")


def logged_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    # A session whose user was already gone has no user here.
    username = user.get_username() if user is not None else ""
    log_event(logging.INFO, "logout", username=username, request=request, outcome="success")


def login_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
    # Django has already masked the password in `credentials`; only the username is taken from it anyway.
    username = str(credentials.get("username") or "")
    log_event(logging.WARNING, "login", username=username, request=request, outcome="failure")


def locked_out(
    sender: Any, request: Any, username: str | None, ip_address: str | None, **kwargs: Any
) -> None:
    """django-axes' user_locked_out: sent when the limit is reached, and for each attempt during the lockout."""
    log_event(logging.WARNING, "login", username=str(username or ""), request=request, outcome="locked_out")
