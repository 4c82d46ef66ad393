from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Runs the real settings in a fresh process, so DATABASE_URL / broker URLs take effect as in production.
PROBE = (
    "import time, django; django.setup();"
    "from django.test import Client;"
    "t = time.monotonic(); r = Client().get('/healthz');"
    "print(r.status_code, round(time.monotonic() - t, 2), r.content.decode())"
)


def probe(**env: str) -> tuple[int, float, str]:
    clean = {
        k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL"}
    }
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    status, seconds, body = result.stdout.strip().splitlines()[-1].split(" ", 2)
    return int(status), float(seconds), body


@pytest.mark.django_db
def test_healthz_answers_200_when_database_and_broker_answer(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_healthz_answers_503_quickly_when_the_database_is_unreachable(tmp_path):
    status, seconds, body = probe(
        DATABASE_URL="postgres://nobody@127.0.0.1:9/nowhere", CELERY_BROKER_URL="memory://"
    )
    assert status == 503
    assert seconds < 2
    assert body == '{"status": "unavailable"}'


def test_healthz_answers_503_quickly_when_the_broker_is_unreachable(tmp_path):
    status, seconds, body = probe(
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}", CELERY_BROKER_URL="redis://127.0.0.1:9/0"
    )
    assert status == 503
    assert seconds < 2
    assert "127.0.0.1" not in body


@pytest.mark.django_db
def test_healthz_fails_the_filesystem_broker_when_its_folder_is_missing(client, settings, tmp_path):
    settings.CELERY_BROKER_URL = "filesystem://"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"data_folder_out": str(tmp_path / "queue")}
    assert client.get("/healthz").status_code == 503
    (tmp_path / "queue").mkdir()
    assert client.get("/healthz").status_code == 200
