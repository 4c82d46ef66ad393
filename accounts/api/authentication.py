"""`Authorization: Token <key>` for the API, with keys issued by POST /api/v1/auth/token/."""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from accounts import services
from accounts.models import ApiToken, User


class TokenAuthentication(BaseAuthentication):
    """Listed first among the authenticators: an unauthenticated request is then answered 401 with a
    `WWW-Authenticate: Token` challenge (DRF answers 403 when the first authenticator has no challenge)."""

    keyword = "Token"

    def authenticate(self, request) -> tuple[User, ApiToken] | None:
        # Without the header this answers from the request alone: session requests cost no extra query.
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            return None
        # DRF's own messages, already translated in DRF's catalogues.
        if len(parts) == 1:
            raise exceptions.AuthenticationFailed(_("Invalid token header. No credentials provided."))
        if len(parts) > 2:
            raise exceptions.AuthenticationFailed(
                _("Invalid token header. Token string should not contain spaces.")
            )
        try:
            key = parts[1].decode("ascii")
        except UnicodeError:
            raise exceptions.AuthenticationFailed(
                _("Invalid token header. Token string should not contain invalid characters.")
            ) from None
        token = services.api_token_authenticate(key=key)
        if token is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        return token.user, token

    def authenticate_header(self, request) -> str:
        return self.keyword
