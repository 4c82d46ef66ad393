"""The funnel's short cache: a repeated read is served from the shared cache until a stage change starts a
new generation, and no two users (nor one user's old and new scope) share an entry.

With the database cache backend a cache read is itself a query, so a read "served from the cache" is checked
by what it returns after a change that sends no signal (QuerySet.update), and by the queries it did not run.
"""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import UnitMembership, User
from accounts.roles import Role
from accounts.services import membership_set
from projects.models import Lead, StageChange
from projects.stages import Stage
from reporting.funnel import funnel
from tests.factories import join, make_user
from tests.reporting.test_funnel import LOST, at, history, march

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _report_cache(settings):
    settings.REPORT_CACHE_SECONDS = 60
    cache.clear()  # Redis outlives the test's transaction


def stage_row(result: dict, stage: str) -> dict:
    [row] = [row for row in result["stages"] if row["stage"] == stage]
    return row


def test_a_repeated_read_is_served_from_the_cache_until_a_stage_change(world):
    qualified = history(
        ("LEAD", "2025-03-02 09:00"), ("QUALIFIED", "2025-03-04 09:00"), owner=world.a, unit=world.unit_a
    )
    waiting = history(("LEAD", "2025-03-05 09:00"), owner=world.a, unit=world.unit_a)
    first = funnel(world.manager_a, march())
    assert (stage_row(first, Stage.QUALIFIED)["current"], stage_row(first, Stage.QUALIFIED)["lost"]) == (1, 0)

    Lead.objects.filter(pk=qualified.pk).update(**LOST)  # update() sends no signal: the cache cannot know
    with CaptureQueriesContext(connection) as queries:
        second = funnel(world.manager_a, march())
    assert second == first
    assert [query["sql"] for query in queries.captured_queries if "shp_cache" not in query["sql"]] == []

    Lead.objects.filter(pk=waiting.pk).update(stage=Stage.ENGAGED)
    StageChange.objects.create(
        lead=waiting,
        from_stage=Stage.LEAD,
        to_stage=Stage.ENGAGED,
        actor=world.a,
        occurred_at=at("2025-03-06 09:00"),
    )
    third = funnel(world.manager_a, march())
    assert {stage: stage_row(third, stage)["reached"] for stage in ("LEAD", "QUALIFIED", "ENGAGED")} == {
        "LEAD": 2,
        "QUALIFIED": 2,
        "ENGAGED": 1,
    }
    assert (stage_row(third, Stage.QUALIFIED)["current"], stage_row(third, Stage.QUALIFIED)["lost"]) == (0, 1)
    assert stage_row(third, Stage.ENGAGED)["current"] == 1


def test_without_cache_seconds_every_read_is_computed(world, settings):
    settings.REPORT_CACHE_SECONDS = 0
    lead = history(("LEAD", "2025-03-02 09:00"), owner=world.a, unit=world.unit_a)
    assert stage_row(funnel(world.manager_a, march()), Stage.LEAD)["lost"] == 0
    Lead.objects.filter(pk=lead.pk).update(**LOST)
    assert stage_row(funnel(world.manager_a, march()), Stage.LEAD)["lost"] == 1


def test_managers_of_different_units_never_share_an_entry(world):
    head_b = join(make_user(Role.MANAGER, username="head_b"), world.unit_b, UnitMembership.Role.HEAD)
    history(("LEAD", "2025-03-02 09:00"), owner=world.a, unit=world.unit_a)
    history(("LEAD", "2025-03-02 09:00"), owner=world.b, unit=world.unit_b)
    history(("LEAD", "2025-03-03 09:00"), owner=world.b, unit=world.unit_b)
    assert stage_row(funnel(world.manager_a, march()), Stage.LEAD)["reached"] == 1
    assert stage_row(funnel(head_b, march()), Stage.LEAD)["reached"] == 2
    assert stage_row(funnel(world.manager_a, march()), Stage.LEAD)["reached"] == 1


def test_two_users_of_the_same_scope_keep_entries_of_their_own(world):
    first_viewer = join(make_user(Role.REPORT_VIEWER, username="viewer_1"), world.unit_a)
    second_viewer = join(make_user(Role.REPORT_VIEWER, username="viewer_2"), world.unit_a)
    lead = history(("LEAD", "2025-03-02 09:00"), owner=world.a, unit=world.unit_a)
    assert stage_row(funnel(first_viewer, march()), Stage.LEAD)["lost"] == 0
    Lead.objects.filter(pk=lead.pk).update(**LOST)  # no signal, same generation
    assert stage_row(funnel(second_viewer, march()), Stage.LEAD)["lost"] == 1
    assert stage_row(funnel(first_viewer, march()), Stage.LEAD)["lost"] == 0


def test_a_user_whose_scope_changed_gets_a_fresh_entry(world):
    viewer = join(make_user(Role.REPORT_VIEWER, username="viewer"), world.unit_a)
    history(("LEAD", "2025-03-02 09:00"), owner=world.a, unit=world.unit_a)
    history(("LEAD", "2025-03-03 09:00"), owner=world.a, unit=world.unit_a, confidential=True)
    assert stage_row(funnel(viewer, march()), Stage.LEAD)["reached"] == 1
    # Now managing unit A, the viewer sees its confidential lead; a membership change sends no report signal.
    membership_set(user=viewer, unit=world.unit_a, role=UnitMembership.Role.MANAGER)
    as_manager = User.objects.get(pk=viewer.pk)  # the next request's user, scope computed afresh
    assert stage_row(funnel(as_manager, march()), Stage.LEAD)["reached"] == 2
