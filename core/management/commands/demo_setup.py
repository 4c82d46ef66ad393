from __future__ import annotations

from django.core.management import call_command
from django.core.management.base import BaseCommand

from core.management.commands.seed_demo import print_logins


class Command(BaseCommand):
    help = "For `make run`: load reference data, seed the demo the first time, print the demo logins."

    def handle(self, *args, **options) -> None:
        from accounts import demo as accounts_demo
        from accounts.models import User

        call_command("load_reference", verbosity=0)
        call_command("sync_periodic_tasks", stdout=self.stdout)
        if User.objects.exists():
            self.stdout.write("Demo data already present; not seeding again.")
            print_logins(self.stdout, accounts_demo.logins())
        else:
            call_command("seed_demo", stdout=self.stdout)
