"""Password rules (AUTH_PASSWORD_VALIDATORS): at least 12 characters, not like the user's name or address, not a
common password, not digits only. They apply where a password is chosen (the admin's password forms)."""

from __future__ import annotations

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.utils import translation

from accounts.demo import LOGINS
from accounts.models import User


def messages_for(password: str, user: User | None = None) -> list[str]:
    try:
        validate_password(password, user)
    except ValidationError as error:
        return list(error.messages)
    return []


def test_a_long_uncommon_passphrase_passes():
    assert messages_for("harbour-lantern-sampan-42") == []


@pytest.mark.parametrize(
    ("password", "expected"),
    [
        ("Short-pass1", "This password is too short. It must contain at least 12 characters."),
        ("123456789012", "This password is entirely numeric."),
        ("password1234", "This password is too common."),
    ],
)
def test_each_rule_refuses_its_case(password, expected):
    with translation.override("en"):
        assert expected in messages_for(password)


def test_a_password_like_the_users_name_is_refused():
    user = User(username="linjiayan", email="linjiayan@bureau.invalid", first_name="Jiayan", last_name="Lin")
    with translation.override("en"):
        assert messages_for("linjiayan2026", user) == ["The password is too similar to the username."]
        assert messages_for("harbour-lantern-sampan-42", user) == []


def test_the_messages_are_translated():
    with translation.override("zh-hans"):
        assert messages_for("123456789012") != []
        assert all("password" not in message for message in messages_for("123456789012"))


@pytest.mark.parametrize(("username", "password"), [(row[0], row[1]) for row in LOGINS])
def test_the_demos_printed_passwords_would_pass_the_rules(username, password):
    # They are shown to people trying the demo: they should look like passwords the product accepts.
    user = User(username=username, email=f"{username}@demo.invalid")
    assert messages_for(password, user) == []
