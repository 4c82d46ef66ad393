"""The session engine (settings.SESSION_ENGINE): Django's database sessions, stored in accounts.UserSession with
the signed-in user's id in an indexed column, so a user's sessions can be found and deleted at once
(accounts.services.user_credentials_revoke)."""

from __future__ import annotations

from typing import Any, cast

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore as DBStore

from accounts.models import UserSession


def _user_id(data: dict[str, Any]) -> int | None:
    try:
        return int(data.get(SESSION_KEY))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


class SessionStore(DBStore):
    @classmethod
    def get_model_class(cls) -> type[UserSession]:
        return UserSession

    def create_model_instance(self, data: dict[str, Any]) -> UserSession:
        session = cast(UserSession, super().create_model_instance(data))
        session.user_id = _user_id(data)
        return session

    async def acreate_model_instance(self, data: dict[str, Any]) -> UserSession:
        session = cast(UserSession, await super().acreate_model_instance(data))
        session.user_id = _user_id(data)
        return session
