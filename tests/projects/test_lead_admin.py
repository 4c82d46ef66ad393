"""The scoped lead admin: every view answers 404 outside the scope, beside a positive control."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from accounts.models import Unit
from accounts.roles import Role
from projects.models import Lead
from tests.factories import join, make_lead, make_unit, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_units():
    bureau = make_unit("市投资促进局", kind=Unit.Kind.BUREAU)
    unit_a = make_unit("香港合作处", parent=bureau)
    unit_b = make_unit("产业招商一处", parent=bureau)
    officer_a = join(make_user(Role.OFFICER, username="officer_a"), unit_a)
    officer_b = join(make_user(Role.OFFICER, username="officer_b"), unit_b)
    lead = make_lead(owner=officer_a, unit=unit_a, name="港科大 量子计算研发团队")
    return {"unit_a": unit_a, "unit_b": unit_b, "a": officer_a, "b": officer_b, "lead": lead}


def admin_url(name: str, *args) -> str:
    return reverse(f"admin:projects_lead_{name}", args=args)


@pytest.mark.parametrize("view", ["change", "history"])
def test_object_views_answer_the_owning_units_officer_and_404_to_another_units(client, two_units, view):
    lead = two_units["lead"]
    client.force_login(two_units["a"])
    assert client.get(admin_url(view, lead.pk)).status_code == 200
    client.force_login(two_units["b"])
    assert client.get(admin_url(view, lead.pk)).status_code == 404


def test_delete_view_is_scoped_for_users_who_may_delete(client, two_units):
    delete_lead = Permission.objects.get(codename="delete_lead")
    for key in ("a", "b"):
        two_units[key].user_permissions.add(delete_lead)
    client.force_login(two_units["a"])
    assert client.get(admin_url("delete", two_units["lead"].pk)).status_code == 200
    client.force_login(two_units["b"])
    assert client.get(admin_url("delete", two_units["lead"].pk)).status_code == 404


def test_delete_view_without_the_permission_is_403_whether_or_not_the_lead_exists(client, two_units):
    client.force_login(two_units["b"])
    assert client.get(admin_url("delete", two_units["lead"].pk)).status_code == 403
    assert client.get(admin_url("delete", 999999)).status_code == 403


def test_history_form_view_is_scoped_too(client, two_units):
    lead = two_units["lead"]
    history_id = lead.history.latest().history_id
    client.force_login(two_units["a"])
    assert client.get(admin_url("simple_history", lead.pk, history_id)).status_code == 200
    client.force_login(two_units["b"])
    assert client.get(admin_url("simple_history", lead.pk, history_id)).status_code == 404


def test_changelist_lists_only_visible_leads(client, two_units):
    make_lead(owner=two_units["b"], unit=two_units["unit_b"], name="城大 光子芯片联合实验室")
    client.force_login(two_units["a"])
    response = client.get(admin_url("changelist"))
    assert [lead.name for lead in response.context["cl"].result_list] == ["港科大 量子计算研发团队"]


def test_owning_unit_autocomplete_offers_only_units_in_reach(client, two_units):
    # Leads are not yet the target of any autocomplete field; the owning-unit autocomplete is, and it is scoped.
    client.force_login(two_units["b"])
    url = reverse("admin:autocomplete") + "?app_label=projects&model_name=lead&field_name=owning_unit&term="
    body = client.get(url).json()
    assert [row["text"] for row in body["results"]] == ["产业招商一处"]
    client.force_login(two_units["a"])
    body = client.get(url).json()
    assert [row["text"] for row in body["results"]] == ["香港合作处"]


def test_a_recorder_has_no_access_to_leads(client, two_units):
    recorder = join(make_user(Role.RECORDER, username="rec"), two_units["unit_a"])
    client.force_login(recorder)
    assert client.get(admin_url("changelist")).status_code == 403
    assert client.get(admin_url("change", two_units["lead"].pk)).status_code == 403


def test_adding_a_lead_in_admin_goes_through_the_service_and_records_history(client, two_units):
    client.force_login(two_units["a"])
    response = client.post(
        admin_url("add"),
        {
            "name": "浸大 体外诊断初创企业",
            "owning_unit": two_units["unit_a"].pk,
            "co_owners": [two_units["b"].pk],
        },
    )
    assert response.status_code == 302
    lead = Lead.objects.get(name="浸大 体外诊断初创企业")
    assert lead.owner == two_units["a"]
    assert list(lead.co_owners.all()) == [two_units["b"]]
    # Creation, then the co-owners set right after it in the same transaction.
    assert [h.history_type for h in lead.history.order_by("history_id")] == ["+", "~"]


def test_adding_a_lead_for_a_unit_out_of_reach_is_refused_with_a_message(client, two_units):
    client.force_login(two_units["a"])
    response = client.post(admin_url("add"), {"name": "越权线索", "owning_unit": two_units["unit_b"].pk})
    assert response.status_code == 200
    assert not Lead.objects.filter(name="越权线索").exists()
    assert response.context["adminform"].form.errors


def test_owner_and_status_are_read_only_in_the_change_form(client, two_units):
    client.force_login(two_units["a"])
    response = client.get(admin_url("change", two_units["lead"].pk))
    form = response.context["adminform"].form
    assert "owner" not in form.fields
    assert "status" not in form.fields
    assert "owning_unit" not in form.fields


def _seed_leads(count: int, owner, unit, others) -> None:
    for i in range(count):
        make_lead(owner=owner, unit=unit, name=f"线索{i:03d}", co_owners=others)


@pytest.mark.parametrize("rows", [2, 20])
def test_changelist_query_count_does_not_grow_with_rows(client, django_assert_num_queries, two_units, rows):
    Lead.objects.all().delete()
    others = [make_user(username=f"co{i}") for i in range(2)]
    _seed_leads(rows, two_units["a"], two_units["unit_a"], others)
    client.force_login(two_units["a"])
    # 1 session, 2 user, 3 user permissions, 4 group permissions, 5 administrator-group check,
    # 6 memberships (scope), 7 units for the owning-unit filter, 8 filtered count, 9 total count,
    # 10 page of leads joined with owner and unit.
    with django_assert_num_queries(10):
        response = client.get(admin_url("changelist"))
    assert len(response.context["cl"].result_list) == rows


@pytest.mark.parametrize("co_owner_count", [2, 20])
def test_change_form_query_count_does_not_grow_with_co_owners(
    client, django_assert_num_queries, two_units, co_owner_count
):
    others = [make_user(username=f"co{i}") for i in range(co_owner_count)]
    two_units["lead"].co_owners.set(others)
    client.force_login(two_units["a"])
    # 1 session, 2 user, 3 savepoint, 4 administrator-group check, 5 memberships (scope), 6 the lead,
    # 7 user permissions, 8 group permissions, 9 owner (read-only field), 10 content type (history link),
    # 11 release savepoint, 12 owning unit (read-only field), 13 the selected co-owners of the autocomplete.
    with django_assert_num_queries(13):
        response = client.get(admin_url("change", two_units["lead"].pk))
    assert response.status_code == 200
