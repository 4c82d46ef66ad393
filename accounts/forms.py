"""The admin's login form, with the one-time code administrators need when settings.OTP_REQUIRED_FOR_ADMINS."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.utils.translation import gettext_lazy as _

from accounts import services


class AdminLoginForm(AdminAuthenticationForm):
    otp_token = forms.CharField(
        label=_("One-time code"),
        required=False,
        max_length=16,
        strip=True,
        help_text=_("Administrators: the 6-digit code your authenticator app shows now."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Without the requirement (the embedded demo, development) the page asks for a password only.
        if not settings.OTP_REQUIRED_FOR_ADMINS:
            del self.fields["otp_token"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        user = self.user_cache
        if user is not None and services.second_factor_required(user):
            device = services.second_factor_verify(user=user, code=cleaned.get("otp_token") or "")
            if device is None:
                services.second_factor_refused(request=self.request, user=user)
                self.user_cache = None
                # The same message as a wrong password: the page must not tell which part was wrong.
                raise self.get_invalid_login_error()
            # django-otp stores the device in the session when the login view signs the user in.
            user.otp_device = device  # type: ignore[attr-defined]
        return cleaned
