from __future__ import annotations

import pytest
from django.urls import reverse

from accounts import services
from accounts.models import Unit, UnitMembership
from accounts.roles import Role
from core.errors import ApplicationError
from tests.factories import join, make_unit, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree():
    bureau = make_unit("局", kind=Unit.Kind.BUREAU)
    hk = make_unit("香港合作处", parent=bureau)
    office = make_unit("驻港联络组", parent=hk)
    industry = make_unit("产业招商一处", parent=bureau)
    return bureau, hk, office, industry


def test_paths_nest_so_a_subtree_is_one_prefix_filter(tree):
    bureau, hk, office, _ = tree
    subtree = Unit.objects.filter(path__startswith=hk.path)
    assert set(subtree.values_list("name", flat=True)) == {"香港合作处", "驻港联络组"}
    assert (bureau.depth, hk.depth, office.depth) == (0, 1, 2)
    assert office.path == f"{bureau.pk:06d}/{hk.pk:06d}/{office.pk:06d}/"


def test_moving_a_unit_rewrites_its_subtree_and_records_history(tree):
    bureau, hk, office, industry = tree
    services.unit_update(unit=hk, parent=industry)
    office.refresh_from_db()
    assert office.path == f"{bureau.pk:06d}/{industry.pk:06d}/{hk.pk:06d}/{office.pk:06d}/"
    assert office.depth == 3
    latest = hk.history.latest()
    assert (latest.history_type, latest.parent_id) == ("~", industry.pk)


def test_a_unit_cannot_move_under_its_own_subtree(tree):
    _, hk, office, _ = tree
    with pytest.raises(ApplicationError, match="节点不能移动到其自身或其下级之下。"):
        services.unit_update(unit=hk, parent=office)
    hk.refresh_from_db()
    assert hk.parent.name == "局"


def test_a_unit_has_at_most_one_head(tree):
    _, hk, _, _ = tree
    first = make_user(Role.MANAGER, username="first_head")
    services.membership_set(user=first, unit=hk, role=UnitMembership.Role.HEAD)
    with pytest.raises(ApplicationError, match="已有负责人（first_head）。请先修改该成员关系。"):
        services.membership_set(user=make_user(username="second"), unit=hk, role=UnitMembership.Role.HEAD)
    assert UnitMembership.objects.filter(unit=hk, role="head").count() == 1


def test_membership_changes_are_in_history(tree):
    _, hk, _, _ = tree
    user = make_user(username="m")
    membership = services.membership_set(user=user, unit=hk)
    services.membership_set(user=user, unit=hk, role=UnitMembership.Role.MANAGER)
    assert [h.role for h in membership.history.order_by("history_id")] == ["member", "manager"]


def test_unknown_roles_are_refused():
    with pytest.raises(ApplicationError, match="未知角色：chief_of_everything"):
        make_user("chief_of_everything")


def test_staff_flag_follows_roles():
    assert make_user(Role.OFFICER).is_staff
    assert not make_user(Role.REPORT_VIEWER).is_staff


def test_unit_admin_lists_the_units_in_reach_and_404s_others(client, tree):
    _, hk, office, industry = tree
    head = join(make_user(Role.MANAGER, username="head"), hk, UnitMembership.Role.HEAD)
    client.force_login(head)
    response = client.get(reverse("admin:accounts_unit_changelist"))
    assert {u.name for u in response.context["cl"].result_list} == {"香港合作处", "驻港联络组"}
    assert client.get(reverse("admin:accounts_unit_change", args=[office.pk])).status_code == 200
    assert client.get(reverse("admin:accounts_unit_change", args=[industry.pk])).status_code == 404


def test_unit_admin_moves_a_unit_through_the_service(admin_client, tree):
    _, hk, office, industry = tree
    response = admin_client.post(
        reverse("admin:accounts_unit_change", args=[hk.pk]),
        {
            "name": "香港合作处",
            "kind": "section",
            "parent": industry.pk,
            "is_active": "on",
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302
    office.refresh_from_db()
    assert office.path.startswith(industry.path)


def test_unit_admin_refuses_a_move_under_its_own_subtree_with_a_form_error(admin_client, tree):
    _, hk, office, _ = tree
    response = admin_client.post(
        reverse("admin:accounts_unit_change", args=[hk.pk]),
        {
            "name": "香港合作处",
            "kind": "section",
            "parent": office.pk,
            "is_active": "on",
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["parent"]


@pytest.mark.parametrize("rows", [2, 20])
def test_unit_changelist_query_count_is_flat(admin_client, django_assert_num_queries, rows):
    root = make_unit("局", kind=Unit.Kind.BUREAU)
    for i in range(rows - 1):
        unit = make_unit(f"处{i:02d}", parent=root)
        join(make_user(username=f"u{i}a"), unit, UnitMembership.Role.HEAD)
        join(make_user(username=f"u{i}b"), unit)
    # 1 session, 2 user, 3 count, 4 total count, 5 page of units, 6 their memberships, 7 the members.
    with django_assert_num_queries(7):
        response = admin_client.get(reverse("admin:accounts_unit_changelist"))
    assert len(response.context["cl"].result_list) == rows


@pytest.mark.parametrize("rows", [2, 20])
def test_user_changelist_query_count_is_flat(admin_client, django_assert_num_queries, rows):
    unit = make_unit("局", kind=Unit.Kind.BUREAU)
    for i in range(rows - 1):
        join(make_user(Role.OFFICER, Role.MANAGER, username=f"u{i:02d}"), unit)
    # 1 session, 2 user, 3 groups for the filter, 4 units for the filter, 5 count, 6 total count,
    # 7 page of users, 8 their groups.
    with django_assert_num_queries(8):
        response = admin_client.get(reverse("admin:accounts_user_changelist"))
    assert len(response.context["cl"].result_list) == rows
