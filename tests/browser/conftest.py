"""Browser tests: Debian's chromium driven by Playwright for Python (never a downloaded browser).

Without chromium or Playwright they skip with the reason printed, except when CI=true or REQUIRE_BROWSER=1, where
a missing browser fails the run (CI must not pass by skipping them)."""

from __future__ import annotations

import importlib
import os
import shutil

import pytest

# Playwright's sync API runs an event loop in the test thread; Django refuses ORM calls from a thread with a running
# loop unless told that this is deliberate. Only these tests need it.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
# A phone held upright (the quick-capture page is built for it).
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}


def _missing() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright for Python is not installed (requirements-dev.txt)"
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        return f"no chromium at {CHROMIUM} (Debian package: chromium)"
    return None


def pytest_collection_modifyitems(config, items):
    reason = _missing()
    if reason is None:
        return
    required = os.environ.get("CI") == "true" or os.environ.get("REQUIRE_BROWSER") == "1"
    selected = [item for item in items if "browser" in item.keywords]
    if selected and required:
        raise pytest.UsageError(f"browser tests are required here but cannot run: {reason}")
    for item in selected:
        item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(autouse=True)
def _published_statement(transactional_db):
    """The statement the migrations publish. Tests that commit empty the tables after them, which takes it away
    from whichever such test runs next; publish it again the way the migration does."""
    from django.apps import apps

    importlib.import_module("talent.migrations.0003_consent_statement_v1").publish(apps, None)


@pytest.fixture(scope="session")
def chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def phone(chromium, live_server):
    """A fresh phone-sized browser profile (its own cookies and IndexedDB) pointed at the live server."""
    context = chromium.new_context(base_url=live_server.url, locale="zh-CN", **PHONE)
    context.set_default_timeout(15000)
    yield context
    context.close()
