"""The lead list never counts the whole table for a bureau-level user on PostgreSQL: it reads the planner's
estimate. Here (SQLite) the exact count is the fallback; the estimate's branch selection is unit-tested, and the
PostgreSQL query itself runs in the benchmark."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from projects.admin import paginator
from projects.admin.paginator import ESTIMATE_FROM_ROWS, estimate_applies, estimated_count
from projects.models import Lead
from tests.factories import make_lead

pytestmark = pytest.mark.django_db


def count_queries(captured) -> list[str]:
    return [q["sql"] for q in captured if q["sql"].startswith("SELECT COUNT(*)")]


def test_a_bureau_level_users_unfiltered_list_qualifies_for_the_estimate(client_as, world):
    response = client_as(world.director).get(reverse("admin:projects_lead_changelist"))
    assert estimate_applies(response.context["cl"].queryset, "postgresql") is True


def test_on_sqlite_the_bureau_level_list_falls_back_to_one_exact_count(client_as, world):
    make_lead(owner=world.b, unit=world.unit_b)
    client = client_as(world.director)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("admin:projects_lead_changelist"))
    cl = response.context["cl"]
    assert (cl.result_count, cl.full_result_count) == (2, None)
    assert count_queries(captured) == ['SELECT COUNT(*) AS "__count" FROM "projects_lead"']


def test_a_scoped_users_list_always_counts_exactly(client_as, world):
    response = client_as(world.a).get(reverse("admin:projects_lead_changelist"))
    assert estimate_applies(response.context["cl"].queryset, "postgresql") is False


@pytest.mark.parametrize("query", [{"q": "港科大"}, {"status__exact": "active"}, {"phase": "landing"}])
def test_a_filtered_or_searched_list_always_counts_exactly(client_as, world, query):
    response = client_as(world.director).get(reverse("admin:projects_lead_changelist"), query)
    assert estimate_applies(response.context["cl"].queryset, "postgresql") is False


def test_sqlite_never_uses_the_estimate():
    assert estimate_applies(Lead.objects.all(), "sqlite") is False


def test_a_large_estimate_replaces_the_count(world, monkeypatch):
    monkeypatch.setattr(paginator, "planner_estimate", lambda queryset: 250_000)
    assert estimated_count(Lead.objects.all(), vendor="postgresql") == 250_000


@pytest.mark.parametrize("estimate", [-1, 0, ESTIMATE_FROM_ROWS - 1])
def test_a_small_or_missing_estimate_falls_back_to_the_exact_count(world, monkeypatch, estimate):
    # -1 is what PostgreSQL reports for a table never analyzed.
    monkeypatch.setattr(paginator, "planner_estimate", lambda queryset: estimate)
    assert estimated_count(Lead.objects.all(), vendor="postgresql") == 1


def test_a_filtered_queryset_is_counted_without_asking_the_planner(world, monkeypatch):
    monkeypatch.setattr(paginator, "planner_estimate", lambda queryset: pytest.fail("planner asked"))
    assert estimated_count(Lead.objects.filter(status="active"), vendor="postgresql") == 1


def test_a_scoped_list_counts_each_branch_of_the_scope_once(client_as, world):
    """The officer's count goes through a UNION of their scope's branches over the filtered leads; a lead
    reached by two branches (owned by them in their own unit) counts once, leads outside every branch not at
    all, and the rows listed are exactly the scoped ones."""
    make_lead(owner=world.b, unit=world.unit_b, name="Co-owned elsewhere", co_owners=[world.a])
    make_lead(owner=world.b, unit=world.unit_b, name="Not theirs")
    make_lead(owner=world.manager_a, unit=world.unit_a, name="Their unit, confidential", confidential=True)
    client = client_as(world.a)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("admin:projects_lead_changelist"))
    cl = response.context["cl"]
    assert cl.result_count == 2
    assert sorted(lead.name for lead in cl.result_list) == sorted(["Co-owned elsewhere", world.lead.name])
    assert len(cl.queryset.count_parts) == 3  # member of unit A, owner, co-owner
    [count] = [q["sql"] for q in captured if "COUNT(*)" in q["sql"]]
    assert "UNION" in count

    searched = client.get(reverse("admin:projects_lead_changelist"), {"q": "Co-owned"}).context["cl"]
    assert searched.result_count == 1
    assert [lead.name for lead in searched.result_list] == ["Co-owned elsewhere"]
    assert (
        client.get(reverse("admin:projects_lead_changelist"), {"q": "Not theirs"}).context["cl"].result_count
        == 0
    )


def test_a_bureau_level_users_list_has_no_parts_to_union(client_as, world):
    response = client_as(world.director).get(reverse("admin:projects_lead_changelist"))
    assert getattr(response.context["cl"].queryset, "count_parts", None) is None
