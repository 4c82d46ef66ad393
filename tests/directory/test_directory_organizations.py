from __future__ import annotations

import pytest
from django.db import IntegrityError

from core.errors import ApplicationError
from directory import services
from directory.models import Organization, OrganizationAlias
from directory.selectors import organization_lookup, organizations_matching

pytestmark = pytest.mark.django_db

OF_HKUST = "is already an alias of 香港科技大学 (HKUST). Use that organization, or remove the alias there."


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("HKUST", "hkust"),
        ("hkust", "hkust"),
        ("H.K.U.S.T.", "hkust"),
        (" H K U S T ", "hkust"),
        ("ＨＫＵＳＴ", "hkust"),
        ("香港科技大學", "香港科技大学"),
        ("香港科技大学", "香港科技大学"),
        ("陳大文", "陈大文"),
        ("陈 大文", "陈大文"),
        ("The Hong Kong University of Science and Technology", "hongkonguniversityofscienceandtechnology"),
        ("Hong Kong University of Science & Technology", "hongkonguniversityofscienceandtechnology"),
        ("Theatre Company", "theatrecompany"),
        ("蘇州工業園區（SIP）", "苏州工业园区sip"),
    ],
)
def test_name_key_ignores_case_spaces_punctuation_and_script(text, key):
    assert services.name_key(text) == key


def test_creating_an_organization_registers_its_names_abbreviation_and_aliases_once_per_key(hkust):
    # 香港科技大學 has the key of 香港科技大学, so the Traditional name needs no row of its own.
    assert sorted(hkust.aliases.values_list("alias", flat=True)) == sorted(
        ["香港科技大学", "The Hong Kong University of Science and Technology", "HKUST", "港科大", "科大"]
    )


def test_aliases_with_the_same_key_are_registered_once(db):
    organization = services.organization_create(
        kind=Organization.Kind.ASSOCIATION,
        name="香港苏州商会",
        name_zh_hant="香港蘇州商會",
        aliases=["香港苏州 商会"],
    )

    assert list(organization.aliases.values_list("alias", flat=True)) == ["香港苏州商会"]


@pytest.mark.parametrize(
    "text",
    [
        "hkust",
        "H.K.U.S.T.",
        "港科大",
        "科大",
        "香港科技大學",
        "the hong kong university of science & technology",
    ],
)
def test_lookup_finds_the_organization_by_any_spelling_of_any_alias(hkust, text):
    assert organization_lookup(text) == hkust


def test_lookup_of_an_unknown_name_or_of_punctuation_finds_nothing(hkust):
    assert organization_lookup("香港大学") is None
    assert organization_lookup("—") is None


def test_an_alias_of_another_organization_is_refused_with_its_owner_named(hkust, english):
    cuhk = services.organization_create(
        kind=Organization.Kind.UNIVERSITY, name="香港中文大学", abbreviation="CUHK"
    )

    with pytest.raises(ApplicationError) as refused:
        services.organization_add_alias(organization=cuhk, alias="h.k.u.s.t.")

    assert refused.value.message == "“h.k.u.s.t.” " + OF_HKUST
    assert refused.value.field == "alias"
    assert list(cuhk.aliases.values_list("alias", flat=True).order_by("alias")) == ["CUHK", "香港中文大学"]


def test_a_new_organization_named_like_another_ones_alias_is_refused_and_not_created(hkust, english):
    with pytest.raises(ApplicationError) as refused:
        services.organization_create(kind=Organization.Kind.COMPANY, name="科大")

    assert refused.value.message == "“科大” " + OF_HKUST
    assert Organization.objects.count() == 1


def test_adding_an_alias_the_organization_already_has_returns_the_existing_one(hkust):
    existing = hkust.aliases.get(alias="港科大")

    assert services.organization_add_alias(organization=hkust, alias="港 科 大") == existing
    assert hkust.aliases.count() == 5


def test_renaming_replaces_the_old_name_alias_and_keeps_the_added_aliases(hkust):
    services.organization_update(
        organization=hkust, name_en="Hong Kong University of Science and Technology (HKUST)"
    )

    assert organization_lookup("Hong Kong University of Science and Technology (HKUST)") == hkust
    assert organization_lookup("The Hong Kong University of Science and Technology") is None
    assert organization_lookup("港科大") == hkust
    assert hkust.aliases.count() == 5


def test_renaming_to_another_organizations_alias_is_refused_and_changes_nothing(hkust, english):
    hku = services.organization_create(kind=Organization.Kind.UNIVERSITY, name="香港大学", abbreviation="HKU")

    with pytest.raises(ApplicationError) as refused:
        services.organization_update(organization=hku, abbreviation="港科大")

    assert refused.value.message == "“港科大” " + OF_HKUST
    hku.refresh_from_db()
    assert hku.abbreviation == "HKU"
    assert organization_lookup("HKU") == hku


def test_a_name_cannot_be_removed_from_the_aliases_but_an_extra_alias_can(hkust, english):
    with pytest.raises(ApplicationError) as refused:
        services.organization_remove_alias(alias=hkust.aliases.get(alias="HKUST"))

    assert refused.value.message == (
        "“HKUST” is a name of 香港科技大学 (HKUST). Change the name instead of removing the alias."
    )
    services.organization_remove_alias(alias=hkust.aliases.get(alias="科大"))

    assert organization_lookup("科大") is None
    assert organization_lookup("HKUST") == hkust


def test_an_organization_cannot_become_its_own_grandparent(hkust, english):
    centre = services.organization_create(
        kind=Organization.Kind.UNIVERSITY_UNIT, name="示例研究中心", parent=hkust
    )

    with pytest.raises(ApplicationError) as refused:
        services.organization_update(organization=hkust, parent=centre)

    assert refused.value.message == "An organization cannot be placed under itself or one of its own units."


def test_the_database_refuses_one_key_for_two_organizations_even_past_the_service(hkust):
    other = services.organization_create(kind=Organization.Kind.COMPANY, name="示例公司")

    with pytest.raises(IntegrityError):
        OrganizationAlias.objects.create(organization=other, alias="HKUST", key="hkust")


def test_matching_lists_exact_matches_then_prefixes_then_other_containing_keys(db):
    contains = services.organization_create(kind=Organization.Kind.ASSOCIATION, name="港湾科大校友会")
    prefix = services.organization_create(kind=Organization.Kind.COMPANY, name="科大未来实验室")
    exact = services.organization_create(kind=Organization.Kind.UNIVERSITY, name="示例大学", aliases=["科大"])
    services.organization_create(kind=Organization.Kind.COMPANY, name="无关公司")

    assert list(organizations_matching("科 大")) == [exact, prefix, contains]


def test_matching_lists_an_organization_once_however_many_aliases_match(hkust):
    assert list(organizations_matching("科")) == [hkust]


def test_matching_punctuation_alone_finds_nothing(hkust):
    assert list(organizations_matching("...")) == []
