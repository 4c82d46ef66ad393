"""The one visibility rule (DESIGN §2) on the minimal Lead, each case beside its positive control."""

from __future__ import annotations

import pytest

from accounts.models import Unit, UnitMembership
from accounts.roles import Role
from accounts.visibility import is_bureau_level, visible_units
from projects.models import Lead
from projects.selectors import leads_visible_to
from tests.factories import join, make_lead, make_unit, make_user

pytestmark = pytest.mark.django_db

HEAD = UnitMembership.Role.HEAD
MANAGER = UnitMembership.Role.MANAGER


@pytest.fixture
def org():
    """bureau ─┬─ hk ── hk_office
    └─ industry"""
    bureau = make_unit("市投资促进局", kind=Unit.Kind.BUREAU)
    hk = make_unit("香港合作处", parent=bureau)
    hk_office = make_unit("驻港联络组", parent=hk, kind=Unit.Kind.OFFICE)
    industry = make_unit("产业招商一处", parent=bureau)
    people = {
        "alice": join(make_user(username="alice"), hk),
        "gina": join(make_user(username="gina"), hk),
        "frank": join(make_user(username="frank"), hk_office),
        "bob": join(make_user(username="bob"), industry),
        "carol": join(make_user(Role.MANAGER, username="carol"), hk, HEAD),
        "dave": join(make_user(Role.MANAGER, username="dave"), bureau, MANAGER),
        "erin": make_user(Role.ADMINISTRATOR, username="erin"),
        "nobody": make_user(username="nobody"),
    }
    leads = {
        "hk": make_lead(owner=people["alice"], unit=hk, name="港科大 量子计算研发团队"),
        "office": make_lead(owner=people["frank"], unit=hk_office, name="理大 医疗机器人初创企业"),
        "industry": make_lead(
            owner=people["bob"], unit=industry, name="城大 光子芯片联合实验室", co_owners=[people["alice"]]
        ),
        "secret": make_lead(owner=people["alice"], unit=hk, name="中大 创新抗体药项目", confidential=True),
    }
    return people, leads


def visible_names(user) -> set[str]:
    return set(leads_visible_to(user).values_list("name", flat=True))


def names(leads, *keys) -> set[str]:
    return {leads[k].name for k in keys}


def test_a_member_sees_the_leads_of_their_unit_and_those_they_co_own(org):
    people, leads = org
    assert visible_names(people["alice"]) == names(leads, "hk", "industry", "secret")


def test_a_member_of_another_unit_sees_only_their_own_units_leads(org):
    people, leads = org
    assert visible_names(people["bob"]) == names(leads, "industry")


def test_a_member_of_a_sub_unit_does_not_see_the_parent_units_leads(org):
    people, leads = org
    assert visible_names(people["frank"]) == names(leads, "office")


def test_a_confidential_lead_is_hidden_from_plain_members_of_its_unit(org):
    people, leads = org
    assert visible_names(people["gina"]) == names(leads, "hk")


def test_the_head_of_a_unit_sees_its_whole_subtree_confidential_included(org):
    people, leads = org
    assert visible_names(people["carol"]) == names(leads, "hk", "office", "secret")


def test_a_bureau_level_manager_sees_every_lead(org):
    people, leads = org
    assert is_bureau_level(people["dave"])
    assert visible_names(people["dave"]) == names(leads, "hk", "office", "industry", "secret")


def test_an_administrator_sees_every_lead(org):
    people, leads = org
    assert is_bureau_level(people["erin"])
    assert visible_names(people["erin"]) == names(leads, "hk", "office", "industry", "secret")


def test_a_user_without_units_sees_nothing(org):
    people, _ = org
    assert visible_names(people["nobody"]) == set()
    assert not is_bureau_level(people["nobody"])


def test_a_head_of_a_section_is_not_bureau_level(org):
    people, _ = org
    assert not is_bureau_level(people["carol"])


def test_visible_units_are_own_units_plus_managed_subtrees(org):
    people, _ = org
    assert set(visible_units(people["carol"]).values_list("name", flat=True)) == {"香港合作处", "驻港联络组"}
    assert set(visible_units(people["alice"]).values_list("name", flat=True)) == {"香港合作处"}
    assert visible_units(people["dave"]).count() == Unit.objects.count()


def test_co_owners_do_not_multiply_rows(org):
    people, leads = org
    extra = make_user(username="extra")
    join(extra, leads["industry"].owning_unit)
    leads["industry"].co_owners.add(extra, people["frank"])
    assert leads_visible_to(people["dave"]).count() == Lead.objects.count() == 4


def test_an_inactive_user_sees_nothing(org):
    people, _ = org
    people["alice"].is_active = False
    assert visible_names(people["alice"]) == set()
