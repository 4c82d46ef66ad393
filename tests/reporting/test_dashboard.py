"""The dashboard page and the lead lists its numbers open: who may open them, what they show, how many queries."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from accounts.roles import Role
from projects.models import Lead, StageChange
from reporting.filters import ReportFilters
from reporting.funnel import funnel
from tests.factories import join, make_lead, make_user
from tests.projects.conftest import english_client


@pytest.fixture(autouse=True)
def _no_cache(settings):
    settings.REPORT_CACHE_SECONDS = 0


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def _advance(lead: Lead, *stages: str, days_apart: int = 5) -> None:
    """Write the moves straight into the stage history (the funnel reads nothing else) and end the lead there."""
    at = lead.stage_entered_at
    previous = lead.stage
    for stage in stages:
        at += dt.timedelta(days=days_apart)
        StageChange.objects.create(
            lead=lead, from_stage=previous, to_stage=stage, actor=lead.owner, occurred_at=at
        )
        previous = stage
    Lead.objects.filter(pk=lead.pk).update(stage=previous, stage_entered_at=at)


_names = itertools.count()


def _leads(world, count: int) -> list[Lead]:
    start = timezone.now() - dt.timedelta(days=90)
    leads = []
    for _ in range(count):
        lead = make_lead(owner=world.a, unit=world.unit_a, name=f"看板线索{next(_names)}", occurred_at=start)
        _advance(lead, "QUALIFIED", "ENGAGED")
        leads.append(lead)
    return leads


def _client(user):
    client = english_client()
    client.force_login(user)
    return client


def test_a_manager_and_a_report_viewer_open_the_dashboard(world):
    viewer = join(make_user(Role.REPORT_VIEWER, username="viewer"), world.unit_a)
    for user in (world.manager_a, viewer):
        response = _client(user).get("/reports/")
        assert response.status_code == 200
        assert response.context["funnel"] == funnel(user, ReportFilters.default())


def test_an_officer_and_a_recorder_may_not_open_the_dashboard(world):
    assert _client(world.a).get("/reports/").status_code == 403
    assert _client(world.recorder).get("/reports/").status_code == 403
    assert _client(world.manager_a).get("/reports/").status_code == 200  # positive control


def test_an_anonymous_visitor_is_sent_to_the_login_page(world):
    response = english_client().get("/reports/")
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_bad_filters_answer_400_with_the_reason(world):
    response = _client(world.manager_a).get("/reports/?from=2026-13-01")
    assert response.status_code == 400
    assert "Enter a valid date." in response.content.decode()
    response = _client(world.manager_a).get("/reports/?from=2026-06-01&to=2026-01-01")
    assert response.status_code == 400
    assert "The end of the period must not be before its start." in response.content.decode()


def test_the_charts_data_is_the_funnel_of_the_same_filters(world):
    _leads(world, 3)
    response = _client(world.manager_a).get("/reports/?track=org")
    filters = ReportFilters.default(track="org")
    assert response.context["chart_data"]["funnel"] == funnel(world.manager_a, filters)
    assert response.context["chart_data"]["lead_list_url"] == "/reports/leads/"


def test_a_report_viewers_bars_open_nothing(world):
    viewer = join(make_user(Role.REPORT_VIEWER, username="viewer"), world.unit_a)
    response = _client(viewer).get("/reports/")
    assert response.context["chart_data"]["lead_list_url"] is None
    assert _client(viewer).get("/reports/leads/").status_code == 403
    assert _client(world.a).get("/reports/leads/").status_code == 200  # positive control


def test_each_number_of_the_funnel_opens_a_list_of_that_many_leads(world):
    leads = _leads(world, 4)
    _advance(leads[0], "VISITED")
    Lead.objects.filter(pk=leads[1].pk).update(status=Lead.Status.LOST, lost_reason="no_progress")
    client = _client(world.manager_a)
    numbers = {row["stage"]: row for row in funnel(world.manager_a, ReportFilters.default())["stages"]}
    for measure, stage, expected in [
        ("reached", "ENGAGED", 4),
        ("reached", "VISITED", 1),
        ("current", "ENGAGED", 2),
        ("lost", "ENGAGED", 1),
    ]:
        response = client.get(f"/reports/leads/?measure={measure}&stage={stage}")
        assert response.context["page"].paginator.count == numbers[stage][measure] == expected


def test_a_lead_list_of_another_units_manager_leaves_out_unit_as_leads(world):
    _leads(world, 2)
    head_b = join(make_user(Role.MANAGER, username="head_b"), world.unit_b, "head")
    response = _client(head_b).get("/reports/leads/?measure=reached&stage=ENGAGED")
    assert response.context["page"].paginator.count == 0
    response = _client(world.manager_a).get("/reports/leads/?measure=reached&stage=ENGAGED")
    assert response.context["page"].paginator.count == 2  # positive control


def test_an_unknown_stage_or_measure_is_a_400(world):
    client = _client(world.manager_a)
    assert client.get("/reports/leads/?measure=reached&stage=NOPE").status_code == 400
    assert client.get("/reports/leads/?measure=sideways&stage=LEAD").status_code == 400


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries.captured_queries)


def test_the_dashboard_takes_the_same_number_of_queries_for_2_and_20_leads(world):
    client = _client(world.manager_a)
    _leads(world, 1)  # with world.lead: 2
    small = _queries(client, "/reports/")
    _leads(world, 18)
    large = _queries(client, "/reports/")
    # 6 for the request (session, user, the user's permissions twice, administrator check, scope), 1 for the
    # cohort grouped every way the page shows it (funnel counts and medians, monthly cohorts, the 4 breakdowns:
    # reporting.funnel.SharedCohort; it was 7 queries, each computing the cohort again), 8 for the KPI cards
    # (signings, rates, large new signings, approvals, tranches, capital, talent arrived, the passes with their
    # overdue counts), 1 for the targets, 1 for the names of the breakdowns' organization rows (no carrier,
    # sector or event is set here), 3 for the stalled leads and overdue milestones (rules, leads, milestones),
    # 6 for the filter form's choices (carriers, sectors with their parents, units, owners, events,
    # organizations).
    assert small == large == 26


def test_the_lead_list_takes_the_same_number_of_queries_for_2_and_20_rows(world):
    client = _client(world.manager_a)
    _leads(world, 2)
    # session, user, the user's permissions (twice: user and group), administrator check, scope
    # (memberships), the count, the page of leads with owner, unit and organization joined.
    small = _queries(client, "/reports/leads/?measure=reached&stage=ENGAGED")
    _leads(world, 18)
    large = _queries(client, "/reports/leads/?measure=reached&stage=ENGAGED")
    assert small == large == 8
