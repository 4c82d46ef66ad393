"""One-time codes (TOTP, django-otp) for administrators on the admin's login form while OTP_REQUIRED_FOR_ADMINS
(on by default in production); off, as in the embedded demo, the password alone signs everyone in."""

from __future__ import annotations

import re
from base64 import b32decode
from io import StringIO
from urllib.parse import parse_qs, unquote, urlparse

import pytest
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.roles import Role
from tests.factories import make_user

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"  # tests.factories.make_user
LOGIN = reverse("admin:login")
REFUSED = "Please enter the correct username and password for a staff account."


def code_for(key: bytes, device: TOTPDevice) -> str:
    return f"{TOTP(key, device.step, device.t0, device.digits, device.drift).token():0{device.digits}d}"


def current_code(device: TOTPDevice) -> str:
    return code_for(device.bin_key, device)


def sign_in(client: Client, username: str, otp: str | None = None):
    data = {"username": username, "password": PASSWORD, "next": "/admin/"}
    if otp is not None:
        data["otp_token"] = otp
    return client.post(LOGIN, data)


@pytest.fixture
def required(settings):
    settings.OTP_REQUIRED_FOR_ADMINS = True
    # Each test starts with a device that has never failed: django-otp slows a device down after a failure.
    settings.OTP_TOTP_THROTTLE_FACTOR = 0


@pytest.fixture
def administrator(db):
    admin = make_user(Role.ADMINISTRATOR, username="admin1")
    return admin, TOTPDevice.objects.create(user=admin, name="phone", confirmed=True)


def test_without_the_requirement_the_login_page_asks_for_no_code_and_the_password_suffices(administrator):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    assert b'name="otp_token"' not in client.get(LOGIN).content
    assert sign_in(client, "admin1").status_code == 302
    assert client.get("/admin/").status_code == 200


def test_an_administrator_needs_the_current_code(required, administrator):
    _admin, device = administrator
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    page = client.get(LOGIN).content.decode()
    assert 'name="otp_token"' in page
    assert 'autocomplete="one-time-code"' in page
    for otp in (None, "", "000000" if current_code(device) != "000000" else "111111"):
        response = sign_in(client, "admin1", otp)
        assert response.status_code == 200
        # The same message as a wrong password: the page does not tell which part was wrong.
        assert REFUSED in response.content.decode()
    assert client.get("/admin/").status_code == 302
    signed_in = sign_in(client, "admin1", current_code(device))
    assert signed_in.status_code == 302
    # Verified, so the session check lets the administrator stay.
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/").status_code == 200


def test_a_code_signs_in_once(required, administrator):
    _admin, device = administrator
    code = current_code(device)
    assert sign_in(Client(), "admin1", code).status_code == 302
    assert sign_in(Client(), "admin1", code).status_code == 200


def test_an_administrator_without_a_device_cannot_sign_in(required):
    make_user(Role.ADMINISTRATOR, username="admin1")
    assert sign_in(Client(), "admin1", "123456").status_code == 200


def test_a_superuser_outside_the_role_needs_a_code_too(required):
    boss = make_user(Role.MANAGER, username="boss")
    boss.is_superuser = True
    boss.save()
    device = TOTPDevice.objects.create(user=boss, name="phone", confirmed=True)
    assert sign_in(Client(), "boss").status_code == 200
    assert sign_in(Client(), "boss", current_code(device)).status_code == 302


def test_other_staff_sign_in_with_the_password_alone(required):
    make_user(Role.OFFICER, username="officer")
    client = Client()
    assert sign_in(client, "officer").status_code == 302
    assert client.get("/admin/").status_code == 200


def test_an_unconfirmed_device_does_not_count(required):
    admin = make_user(Role.ADMINISTRATOR, username="admin1")
    device = TOTPDevice.objects.create(user=admin, name="phone", confirmed=False)
    assert sign_in(Client(), "admin1", current_code(device)).status_code == 200


def test_a_wrong_code_counts_as_a_failed_sign_in_for_the_lockout(required, administrator, settings):
    settings.AXES_FAILURE_LIMIT = 3
    _admin, device = administrator
    for _ in range(2):
        assert sign_in(Client(), "admin1", "").status_code == 200
    # The third failure with the right password but no code locks the username.
    assert sign_in(Client(), "admin1", "").status_code == 429
    assert sign_in(Client(), "admin1", current_code(device)).status_code == 429


def test_an_administrators_session_without_a_verified_code_is_signed_out(required, administrator):
    admin, _device = administrator
    officer = make_user(Role.OFFICER, username="officer")
    unverified, colleague = Client(), Client()
    # A session from before the requirement was switched on (force_login verifies no code).
    unverified.force_login(admin)
    colleague.force_login(officer)
    assert unverified.get("/admin/").status_code == 302
    assert unverified.get("/admin/").status_code == 302
    # Positive control: other staff keep their sessions.
    assert colleague.get("/admin/").status_code == 200


def test_a_user_made_administrator_during_a_session_is_signed_out(required):
    user = make_user(Role.OFFICER, username="promoted")
    client = Client()
    assert sign_in(client, "promoted").status_code == 302
    assert client.get("/admin/").status_code == 200
    user.groups.add(Group.objects.get(name=Role.ADMINISTRATOR))
    assert client.get("/admin/").status_code == 302


# --- manage.py otp_add_device --------------------------------------------------------------------------------------


def test_the_command_registers_a_device_whose_address_signs_the_administrator_in(required):
    admin = make_user(Role.ADMINISTRATOR, username="admin1")
    out = StringIO()
    call_command("otp_add_device", "admin1", stdout=out)
    printed = out.getvalue()
    url = re.search(r"otpauth://\S+", printed).group(0)
    parsed = urlparse(url)
    assert parsed.netloc == "totp"
    assert unquote(parsed.path) == "/苏港通:admin1"
    query = parse_qs(parsed.query)
    assert query["issuer"] == ["苏港通"]
    # A QR code is printed below the address.
    assert printed.count("\n") > 10
    device = TOTPDevice.objects.get(user=admin)
    assert device.confirmed
    # What the authenticator app computes from the printed secret is accepted.
    key = b32decode(query["secret"][0])
    assert key == device.bin_key
    assert sign_in(Client(), "admin1", code_for(key, device)).status_code == 302


def test_the_command_keeps_an_existing_device_unless_told_to_replace_it():
    admin = make_user(Role.ADMINISTRATOR, username="admin1")
    call_command("otp_add_device", "admin1", "--no-qr", stdout=StringIO())
    first = TOTPDevice.objects.get(user=admin)
    with pytest.raises(CommandError, match="already has a TOTP device"):
        call_command("otp_add_device", "admin1", stdout=StringIO())
    call_command("otp_add_device", "admin1", "--replace", "--no-qr", stdout=StringIO())
    assert list(TOTPDevice.objects.filter(user=admin)) != [first]
    assert TOTPDevice.objects.filter(user=admin).count() == 1


def test_the_command_refuses_an_unknown_user():
    with pytest.raises(CommandError, match="No user named 'nobody'"):
        call_command("otp_add_device", "nobody", stdout=StringIO())
