from __future__ import annotations

import secrets
import time

from django.core.cache import cache
from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.tasks import HEARTBEAT_KEY, record_heartbeat


class Command(BaseCommand):
    help = "Send a heartbeat task and wait until a worker has run it (exit 1 when none does in time)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--timeout", type=float, default=30.0)

    def handle(self, *args, timeout: float, **options) -> None:
        token = secrets.token_hex(8)
        record_heartbeat.delay(token)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            beat = cache.get(HEARTBEAT_KEY)
            if beat and beat["token"] == token:
                self.stdout.write(f"A worker ran the heartbeat at {beat['at']}.")
                return
            time.sleep(0.2)
        raise CommandError(f"No worker ran the heartbeat within {timeout:g} s.")
