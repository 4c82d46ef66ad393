"""Issuing and revoking API tokens."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import permissions, status
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from accounts import services
from accounts.api.serializers import CredentialsSerializer, TokenSerializer
from accounts.models import ApiToken
from core.api import error_responses
from core.errors import ApplicationError


class TokenView(APIView):
    # Password guessing is slowed per client address (POST) and per user (DELETE) in the shared cache.
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth"

    def get_authenticators(self):
        # Asking for a token proves who you are with the password in the body; a session or a token the
        # client already holds plays no part, and a session must not make the POST need a CSRF token.
        # (drf-spectacular asks before it has given the view a request.)
        if self.request is not None and self.request.method == "POST":
            return []
        return super().get_authenticators()

    def get_permissions(self):
        if self.request.method == "POST":
            return [permissions.AllowAny()]
        return [permissions.IsAuthenticated()]

    @extend_schema(
        summary=gettext_lazy("Get an API token"),
        description=gettext_lazy(
            "Exchanges a username and password (and a one-time code, for accounts with a second factor) for a "
            "token to send as `Authorization: Token <token>`. The token is shown in this response only. "
            "Every refusal reads the same, whichever part was wrong."
        ),
        request=CredentialsSerializer,
        responses={
            201: OpenApiResponse(TokenSerializer, description=gettext_lazy("The new token.")),
            400: OpenApiResponse(
                error_responses(400)[400].response,
                description=gettext_lazy(
                    "Missing, unknown or invalid fields, or the credentials were refused."
                ),
            ),
        },
    )
    def post(self, request, *args, **kwargs) -> Response:
        serializer = CredentialsSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        token, secret = services.api_token_issue(
            user=serializer.validated_data["user"], label=serializer.validated_data["label"]
        )
        body = TokenSerializer(
            {"token": secret, "prefix": token.prefix, "label": token.label, "created_at": token.created_at}
        ).data
        # A secret must not stay in a browser's or a proxy's cache.
        return Response(body, status=status.HTTP_201_CREATED, headers={"Cache-Control": "no-store"})

    @extend_schema(
        summary=gettext_lazy("Revoke the API token of this request"),
        description=gettext_lazy(
            "Deletes the token sent in the `Authorization` header; requests sending it are refused from now on."
        ),
        request=None,
        responses={
            204: OpenApiResponse(description=gettext_lazy("The token is revoked.")),
            400: OpenApiResponse(
                error_responses(400)[400].response,
                description=gettext_lazy("The request was authenticated by a session, not by a token."),
            ),
        },
    )
    def delete(self, request, *args, **kwargs) -> Response:
        if not isinstance(request.auth, ApiToken):
            raise ApplicationError(
                _(
                    "Only a request authenticated with a token can revoke it: send the token to revoke as “Authorization: Token <token>”."
                )
            )
        services.api_token_revoke(token=request.auth)
        return Response(status=status.HTTP_204_NO_CONTENT)
