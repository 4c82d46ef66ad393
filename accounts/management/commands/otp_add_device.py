"""Registers a TOTP authenticator for a user: how the first administrator gets into a production admin, where
administrators need a one-time code (OTP_REQUIRED_FOR_ADMINS). Later administrators can also be given devices in
the admin (TOTP devices), by an administrator who is signed in."""

from __future__ import annotations

import io

import segno
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice


class Command(BaseCommand):
    help = (
        "Create a confirmed TOTP device for USERNAME and print its otpauth:// address (and a QR code) to add to an "
        "authenticator app. Run it where no one else reads the terminal: the address holds the secret."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", default="authenticator", help="The device's name, shown in the admin.")
        parser.add_argument(
            "--replace",
            action="store_true",
            help="Delete the user's existing TOTP devices first (a lost or replaced phone).",
        )
        parser.add_argument("--no-qr", action="store_true", help="Print the address only.")

    @transaction.atomic
    def handle(self, *args, username: str, name: str, replace: bool, no_qr: bool, **options) -> None:
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        existing = TOTPDevice.objects.filter(user=user)
        if existing.exists() and not replace:
            raise CommandError(
                f"{username} already has a TOTP device. Use --replace to delete it and register a new one."
            )
        existing.delete()
        device = TOTPDevice.objects.create(user=user, name=name, confirmed=True)
        url = device.config_url
        self.stdout.write(f"TOTP device {device.name!r} registered for {username}.")
        self.stdout.write("Add this address to the authenticator app (or scan the code below):")
        self.stdout.write(url)
        if not no_qr:
            text = io.StringIO()
            segno.make(url, error="m").terminal(out=text, compact=True)
            self.stdout.write(text.getvalue())
