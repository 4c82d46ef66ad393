from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import translation

from directory import services
from directory.models import Organization, Region
from directory.signals import calendar_year_completed


@pytest.fixture
def english():
    """Messages are asserted in English, the msgid language, whatever catalogs exist later."""
    with translation.override("en"):
        yield


@pytest.fixture
def reference_data(db) -> str:
    """The seed data as `manage.py load_reference` loads it; returns what the command printed."""
    out = StringIO()
    call_command("load_reference", stdout=out)
    return out.getvalue()


@pytest.fixture
def mainland_2026(db) -> None:
    services.holiday_year_load(region=Region.MAINLAND, year=2026)


@pytest.fixture
def hkust(db) -> Organization:
    return services.organization_create(
        kind=Organization.Kind.UNIVERSITY,
        name="香港科技大学",
        name_zh_hant="香港科技大學",
        name_en="The Hong Kong University of Science and Technology",
        abbreviation="HKUST",
        aliases=["港科大", "科大"],
    )


@pytest.fixture
def completed_years():
    """Every calendar_year_completed signal received during the test, as (region, year)."""
    received: list[tuple[str, int]] = []

    def receiver(sender, region, year, **kwargs):
        received.append((region, year))

    calendar_year_completed.connect(receiver)
    yield received
    calendar_year_completed.disconnect(receiver)
