"""Deactivation signs the user out everywhere, whichever way it happens: the service, the admin's user form, or
any other save of the user."""

from __future__ import annotations

from typing import Any

from accounts import services
from accounts.models import User


def revoke_credentials_of_inactive_user(
    sender: type[User], instance: User, raw: bool = False, **kwargs: Any
) -> None:
    # Fixture loading (raw) writes rows as they are; there is nothing of theirs to revoke yet.
    if raw or instance.is_active:
        return
    services.user_credentials_revoke(user=instance)
