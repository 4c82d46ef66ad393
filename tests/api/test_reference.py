"""Reference lists: organizations found by any alias, carriers, sectors."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from accounts.roles import Role
from directory.models import Carrier, Sector
from tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def reference(db):
    call_command("load_reference", verbosity=0)


@pytest.fixture
def officer(db):
    return make_user(Role.OFFICER, username="officer")


@pytest.mark.parametrize("term", ["港科大", "hkust", "香港科技大學"])
def test_organizations_are_found_by_any_alias_with_the_exact_match_first(api, reference, officer, term):
    api.force_login(officer)
    response = api.get("/api/v1/organizations/", {"search": term})
    assert response.status_code == 200
    first = response.json()["results"][0]
    assert (first["abbreviation"], first["name"], first["name_en"]) == (
        "HKUST",
        "香港科技大学",
        "The Hong Kong University of Science and Technology",
    )
    # 香港科技大學 shares its lookup key with 香港科技大学, so it is no alias of its own.
    assert sorted(first["aliases"]) == sorted(
        ["HKUST", "The Hong Kong University of Science and Technology", "香港科技大学", "港科大", "科大"]
    )


def test_a_search_matching_nothing_is_an_empty_page(api, reference, officer):
    api.force_login(officer)
    assert api.get("/api/v1/organizations/", {"search": "不存在的大学"}).json()["count"] == 0


def test_carriers_and_sectors_list_the_reference_data(api, reference, officer):
    api.force_login(officer)
    assert api.get("/api/v1/carriers/", {"page_size": 1}).json()["count"] == Carrier.objects.count()
    assert api.get("/api/v1/sectors/", {"page_size": 1}).json()["count"] == Sector.objects.count()


def test_the_event_recorder_sees_organizations_but_not_carriers_or_sectors(api, reference):
    api.force_login(make_user(Role.RECORDER, username="recorder"))
    assert api.get("/api/v1/organizations/").status_code == 200
    assert api.get("/api/v1/carriers/").status_code == 403
    assert api.get("/api/v1/sectors/").status_code == 403


def test_a_report_viewer_has_no_rights_on_organizations(api, reference):
    api.force_login(make_user(Role.REPORT_VIEWER, username="viewer"))
    assert api.get("/api/v1/organizations/").status_code == 403


def test_reference_lists_cannot_be_reordered_by_fields_not_whitelisted(api, reference, officer):
    api.force_login(officer)
    plain = api.get("/api/v1/organizations/", {"page_size": 100}).json()
    reordered = api.get("/api/v1/organizations/", {"page_size": 100, "ordering": "aliases"}).json()
    assert reordered == plain
