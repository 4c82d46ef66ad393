from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Run the web server and one Celery worker with embedded beat; Ctrl-C stops both."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--addr", default="127.0.0.1:8000")

    def handle(self, *args, addr: str, **options) -> None:
        if str(settings.CELERY_BROKER_URL).startswith("filesystem://"):
            for folder in ("data_folder_out", "control_folder"):
                os.makedirs(settings.CELERY_BROKER_TRANSPORT_OPTIONS[folder], exist_ok=True)
        python = sys.executable
        children = [
            subprocess.Popen([python, "manage.py", "runserver", addr, "--noreload"]),
            subprocess.Popen(
                [
                    python,
                    "-m",
                    "celery",
                    "-A",
                    "config",
                    "worker",
                    "-B",
                    "--pool=threads",
                    "--concurrency=2",
                    "--loglevel=INFO",
                ]
            ),
        ]
        stopping = False

        def stop(signum, frame) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        self.stdout.write(f"Serving on http://{addr}/ — press Ctrl-C to stop the web server and the worker.")
        while not stopping and all(child.poll() is None for child in children):
            time.sleep(0.5)
        self._stop(children)

    def _stop(self, children: list[subprocess.Popen]) -> None:
        # A terminal's Ctrl-C reaches the whole process group already. SIGTERM covers the other cases: a
        # `kill` of this process alone, a child that exited by itself, and a run started in the background by a
        # script, where every child inherits "ignore SIGINT" and only this process listens for it.
        for child in children:
            if child.poll() is None:
                child.terminate()
        deadline = time.monotonic() + 10
        for child in children:
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        self.stdout.write("Stopped.")
