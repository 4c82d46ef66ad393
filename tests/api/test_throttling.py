"""Reads that hand out personal data are throttled per user in the shared cache; writes and other lists are not."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import override_settings

from talent.models import Contact

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def two_reads_a_minute(settings):
    cache.clear()
    rest = {**settings.REST_FRAMEWORK}
    rest["DEFAULT_THROTTLE_RATES"] = {**rest["DEFAULT_THROTTLE_RATES"], "personal_data": "2/min"}
    with override_settings(REST_FRAMEWORK=rest):
        yield
    cache.clear()


def test_the_third_contact_read_in_a_minute_is_429_with_retry_after(api, world):
    contact = Contact.objects.create(name="陳大文")
    api.force_login(world.officer_a)
    assert api.get("/api/v1/contacts/").status_code == 200
    assert api.get(f"/api/v1/contacts/{contact.pk}/").status_code == 200
    refused = api.get(f"/api/v1/contacts/{contact.pk}/duplicates/")
    assert refused.status_code == 429
    assert refused.json()["detail"].startswith("Request was throttled.")
    assert 0 < int(refused["Retry-After"]) <= 60


def test_the_count_is_per_user_and_leaves_writes_and_other_lists_alone(api, world):
    api.force_login(world.officer_a)
    for _ in range(2):
        assert api.get("/api/v1/contacts/").status_code == 200
    assert api.get("/api/v1/contacts/").status_code == 429
    # Lists without personal data, and writes to contacts, are not counted.
    assert api.get("/api/v1/leads/").status_code == 200
    created = api.post("/api/v1/contacts/", {"name": "李美玲", "phones": ["+852 9123 4567"]}, format="json")
    assert created.status_code == 201
    # Another user has a count of their own.
    api.force_login(world.manager_a)
    assert api.get("/api/v1/contacts/").status_code == 200


def test_the_message_comes_in_the_requests_language(api, world):
    api.force_login(world.officer_a)
    for _ in range(2):
        api.get("/api/v1/contacts/")
    assert (
        api.get("/api/v1/contacts/", HTTP_ACCEPT_LANGUAGE="zh-hans")
        .json()["detail"]
        .startswith("请求已被限流。")
    )
