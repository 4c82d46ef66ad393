from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.contrib.auth import authenticate
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import serializers

from accounts.services import second_factor_required


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
        user = authenticate(
            self.context.get("request"), username=attrs["username"], password=attrs["password"]
        )
        if user is None:
            raise refused
        if second_factor_required(user):
            # Fails closed until issue 11 verifies attrs.get("otp") against the user's TOTP device here.
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
