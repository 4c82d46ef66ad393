from __future__ import annotations

from datetime import date

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from core.seeding import demo_modules, fingerprint, seed_all


class Command(BaseCommand):
    help = "Fill an empty database with a realistic, deterministic demo dataset (same seed, same data)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--leads", type=int, default=200, help="How many leads to create (default 200).")
        parser.add_argument("--seed", type=int, default=2026, help="Random seed (default 2026).")
        parser.add_argument(
            "--today",
            type=date.fromisoformat,
            default=None,
            help="Date the data is relative to (YYYY-MM-DD).",
        )
        parser.add_argument("--reset", action="store_true", help="Delete existing business data first.")

    def handle(self, *args, leads: int, seed: int, today: date | None, reset: bool, **options) -> None:
        if settings.PRODUCTION:
            raise CommandError(
                "seed_demo writes fictional data and refuses to run with DJANGO_ENV=production."
            )
        if leads < 0:
            raise CommandError("--leads must be 0 or more.")
        call_command("load_reference", verbosity=0)
        with transaction.atomic():
            if reset:
                for module in reversed(demo_modules()):
                    if hasattr(module, "clear"):
                        module.clear()
            from accounts.models import User

            if User.objects.exists():
                raise CommandError("The database already has users; run with --reset to replace them.")
            ctx = seed_all(seed=seed, leads=leads, today=today or timezone.localdate())
        # The fingerprint reads every row back: worth it for demo sizes, not for benchmark volumes.
        print_ = f", fingerprint {fingerprint()[:16]}" if leads <= 2000 else ""
        self.stdout.write(f"Demo data seeded: {leads} leads, seed {seed}{print_}")
        print_logins(self.stdout, ctx.printed_logins)


def print_logins(out, logins: list[tuple[str, str, str]]) -> None:
    out.write("Demo logins (username / password / role):")
    for username, password, role in logins:
        out.write(f"  {username:<10} {password:<22} {role}")
