"""Duplicate leads are refused at registration: same credit code, same HK company number, or same HK organization
and a name equal in any script. The refusal names the existing lead only to someone who can see it; a manager may
register the lead anyway."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.utils import translation

from core.errors import ApplicationError
from projects import services
from projects.models import Lead
from projects.services.merge import lead_duplicates
from tests.factories import VALID_USCC, make_lead, make_organization

pytestmark = pytest.mark.django_db

HK_CR_NO = "2345678"


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def register(world, actor, unit, **fields) -> Lead:
    fields.setdefault("name", "另一个团队")
    fields.setdefault("hk_organization", make_organization())
    return make_lead(owner=actor, unit=unit, **fields)


def refusal(world, actor, unit, **fields) -> str:
    before = Lead.objects.count()
    with pytest.raises(ApplicationError) as caught:
        register(world, actor, unit, **fields)
    assert Lead.objects.count() == before
    return caught.value.message


@pytest.fixture
def cuhk():
    return make_organization("CUHK", "香港中文大学")


@pytest.fixture
def registered(world):
    """The world's lead, with registration numbers and names in three scripts."""
    return services.lead_update(
        actor=world.a,
        lead=world.lead,
        uscc=VALID_USCC,
        hk_company_number=HK_CR_NO,
        name_zh_hant="港科大 量子計算研發團隊",
        name_en="HKUST Quantum Computing Team",
    )


# --- What counts as a duplicate -------------------------------------------------------------------------------


def test_the_same_credit_code_is_a_duplicate_whatever_the_organization_and_name(world, registered, cuhk):
    found = lead_duplicates(uscc=VALID_USCC, hk_organization=cuhk, names=["别的名字"])
    assert list(found) == [registered]


def test_the_same_hk_company_number_is_a_duplicate(world, registered, cuhk):
    assert list(lead_duplicates(hk_company_number=HK_CR_NO, hk_organization=cuhk)) == [registered]


def test_a_traditional_name_meets_the_simplified_name_of_the_same_organization(world, registered):
    found = lead_duplicates(hk_organization=registered.hk_organization, names=["港科大量子計算研發團隊"])
    assert list(found) == [registered]


def test_an_english_name_meets_whatever_its_case_and_spacing(world, registered):
    found = lead_duplicates(
        hk_organization=registered.hk_organization, names=["", "hkust  quantum-computing team"]
    )
    assert list(found) == [registered]


def test_a_simplified_name_meets_a_stored_traditional_name(world, registered):
    # The stored Traditional name is compared too, not only the stored name of the same script.
    lead = services.lead_update(actor=world.a, lead=registered, name="港科大 量子团队")
    found = lead_duplicates(hk_organization=lead.hk_organization, names=["港科大量子计算研发团队"])
    assert list(found) == [lead]


def test_the_same_name_at_another_organization_is_not_a_duplicate(world, registered, cuhk):
    assert list(lead_duplicates(hk_organization=cuhk, names=[registered.name, registered.name_en])) == []
    other = register(world, world.a, world.unit_a, name=registered.name, hk_organization=cuhk)
    assert other.hk_organization == cuhk


def test_names_without_an_organization_or_empty_values_match_nothing(world, registered):
    assert list(lead_duplicates(names=[registered.name])) == []
    assert list(lead_duplicates(uscc="", hk_company_number="", hk_organization=None, names=["", " "])) == []


def test_a_merged_lead_and_the_excluded_lead_are_not_duplicates(world, registered):
    assert list(lead_duplicates(uscc=VALID_USCC, exclude=registered)) == []
    Lead.objects.filter(pk=registered.pk).update(status=Lead.Status.MERGED)
    assert list(lead_duplicates(uscc=VALID_USCC)) == []


def test_renaming_a_lead_recomputes_its_keys(world, registered):
    assert (registered.name_key, registered.name_zh_hant_key, registered.name_en_key) == (
        "港科大量子计算研发团队",
        "港科大量子计算研发团队",
        "hkustquantumcomputingteam",
    )
    renamed = services.lead_update(actor=world.a, lead=registered, name_en="HKUST Qubit Lab")
    renamed.refresh_from_db()
    assert renamed.name_en_key == "hkustqubitlab"


def test_the_migration_fills_the_keys_of_leads_already_there(world, registered):
    Lead.objects.update(name_key="", name_zh_hant_key="", name_en_key="")
    migration = importlib.import_module("projects.migrations.0006_lead_name_keys")
    migration.fill_name_keys(apps, None)
    registered.refresh_from_db()
    assert (registered.name_key, registered.name_zh_hant_key, registered.name_en_key) == (
        "港科大量子计算研发团队",
        "港科大量子计算研发团队",
        "hkustquantumcomputingteam",
    )


# --- Registering one ---------------------------------------------------------------------------------------------


def test_the_refusal_names_the_existing_lead_to_someone_who_can_see_it(world, registered):
    message = refusal(world, world.manager_a, world.unit_a, uscc=VALID_USCC)
    assert message == (
        f"A lead with the same unified social credit code is already registered: {registered.code} (香港合作处). "
        "Follow it up there, or ask a manager to register this one anyway."
    )


def test_the_refusal_reveals_nothing_to_another_unit(world, registered):
    message = refusal(world, world.b, world.unit_b, hk_company_number=HK_CR_NO)
    assert message == (
        "A lead with the same Hong Kong company registration number is already registered by another unit. "
        "A manager can decide whether to register this one anyway."
    )
    assert registered.code not in message


def test_the_refusal_for_a_name_says_organization_and_name(world, registered):
    message = refusal(world, world.b, world.unit_b, name="HKUST quantum computing team")
    assert message == (
        "A lead with the same Hong Kong organization and name is already registered by another unit. "
        "A manager can decide whether to register this one anyway."
    )


def test_a_manager_may_register_a_duplicate_anyway(world, registered):
    lead = register(world, world.director, world.unit_b, uscc=VALID_USCC, allow_duplicate=True)
    assert lead.uscc == registered.uscc
    assert Lead.objects.filter(uscc=VALID_USCC).count() == 2


def test_an_officer_asking_to_register_a_duplicate_anyway_is_refused(world, registered):
    message = refusal(world, world.b, world.unit_b, uscc=VALID_USCC, allow_duplicate=True)
    assert message == (
        "Only a manager can register a duplicate lead. "
        "A lead with the same unified social credit code is already registered by another unit. "
        "A manager can decide whether to register this one anyway."
    )


def test_allow_duplicate_changes_nothing_when_there_is_no_duplicate(world):
    lead = register(world, world.b, world.unit_b, uscc=VALID_USCC, allow_duplicate=True)
    assert lead.pk is not None
