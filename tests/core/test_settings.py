from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SERVICE_VARS = {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "SECRET_KEY", "DEBUG", "ALLOWED_HOSTS"}


def run_django(code: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in SERVICE_VARS | {"DJANGO_ENV"}}
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); " + code],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


PRODUCTION = {
    "DJANGO_ENV": "production",
    "SECRET_KEY": "k" * 50,
    "DATABASE_URL": "postgres://app@db.internal:5432/pipeline",
    "REDIS_URL": "redis://cache.internal:6379/0",
    "ALLOWED_HOSTS": "pipeline.example.gov.cn",
}


def test_production_refuses_to_start_on_local_defaults():
    result = run_django("", DJANGO_ENV="production")
    assert result.returncode != 0
    for problem in ("SECRET_KEY", "DATABASE_URL", "CELERY_BROKER_URL", "REDIS_URL", "ALLOWED_HOSTS"):
        assert problem in result.stderr


def test_production_refuses_debug():
    result = run_django("", **PRODUCTION, DEBUG="true")
    assert result.returncode != 0
    assert "DEBUG is on" in result.stderr


def test_production_starts_with_production_values():
    result = run_django(
        "from django.conf import settings; print(settings.DEBUG, settings.SECURE_HSTS_SECONDS)", **PRODUCTION
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "31536000"]


def test_debug_is_off_unless_asked_for():
    result = run_django("from django.conf import settings; print(settings.DEBUG)")
    assert result.stdout.strip() == "False"


def test_sqlite_runs_in_wal_mode_with_immediate_transactions_and_a_20s_timeout(tmp_path):
    code = (
        "from django.db import connection; from django.conf import settings;"
        "c = connection.cursor(); c.execute('PRAGMA journal_mode'); print(c.fetchone()[0]);"
        "o = settings.DATABASES['default']['OPTIONS']; print(o['transaction_mode'], o['timeout'])"
    )
    result = run_django(code, DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["wal", "IMMEDIATE", "20"]


def test_redis_url_makes_redis_the_cache_and_the_broker():
    code = "from django.conf import settings; print(settings.CACHES['default']['BACKEND'], settings.CELERY_BROKER_URL)"
    result = run_django(code, REDIS_URL="redis://127.0.0.1:6379/3")
    assert result.stdout.split() == ["django_redis.cache.RedisCache", "redis://127.0.0.1:6379/3"]


def test_without_services_the_broker_is_the_filesystem_and_the_cache_the_database():
    code = "from django.conf import settings; print(settings.CACHES['default']['BACKEND'], settings.CELERY_BROKER_URL)"
    result = run_django(code)
    assert result.stdout.split() == ["django.core.cache.backends.db.DatabaseCache", "filesystem://"]
