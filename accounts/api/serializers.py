from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.contrib.auth import authenticate
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import exceptions, serializers, status

from accounts.lockout import cool_off_minutes, lockout_message
from accounts.services import second_factor_refused, second_factor_required, second_factor_verify


class LockedOut(exceptions.APIException):
    """Too many failed sign-ins of this username from this address (django-axes): refused until the cool-off
    has passed, whatever the password."""

    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "locked_out"

    def __init__(self) -> None:
        super().__init__(lockout_message())
        # DRF's exception handler sends it as Retry-After.
        self.wait = cool_off_minutes() * 60


class CredentialsSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(write_only=True, trim_whitespace=False, style={"input_type": "password"})
    otp = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=16,
        write_only=True,
        help_text=gettext_lazy(
            "The current one-time code from the authenticator app, for accounts with a second factor."
        ),
    )
    label = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=100,
        default="",
        help_text=gettext_lazy("What the token is for, e.g. the script using it; shown in the admin."),
    )

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        # A misspelt field (`pasword`, `one_time_code`) must not be ignored silently.
        if isinstance(data, Mapping):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({name: [_("Unknown field.")] for name in unknown})
        return super().to_internal_value(data)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # One message for every refusal (unknown user, wrong password, inactive user, missing or wrong code):
        # the answer must not tell which part was wrong. DRF's own message, translated in its catalogues.
        refused = serializers.ValidationError(
            _("Unable to log in with provided credentials."), code="authorization"
        )
        # The request lets the lockout (django-axes) count this attempt by username and client address.
        request = self.context.get("request")
        user = authenticate(request, username=attrs["username"], password=attrs["password"])
        if user is None:
            if getattr(request, "axes_locked_out", False):
                raise LockedOut()
            raise refused
        if (
            second_factor_required(user)
            and second_factor_verify(user=user, code=attrs.get("otp", "")) is None
        ):
            second_factor_refused(request=request, user=user)
            # This failure may be the one that locks the username out.
            if getattr(request, "axes_locked_out", False):
                raise LockedOut()
            raise refused
        attrs["user"] = user
        return attrs


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(
        help_text=gettext_lazy("Send it as `Authorization: Token <token>`. It is shown this once only.")
    )
    prefix = serializers.CharField(
        help_text=gettext_lazy("The token's first characters, as the admin lists it.")
    )
    label = serializers.CharField()
    created_at = serializers.DateTimeField()
