"""The dashboard's monthly trend and breakdowns on a hand-built cohort where every number is known in advance, and
the dashboard's shared cohort (reporting.funnel.SharedCohort): one statement whose groupings give the very
figures the separate grouped queries give, for the funnel, the trend and every breakdown dimension.
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import UnitMembership, User
from accounts.roles import Role
from directory.models import Carrier, Sector
from directory.services import carrier_create, sector_create
from projects.models import LeadType
from projects.stages import Track
from reporting.breakdowns import DIMENSIONS, breakdown, cohort_trend, shared_cohort
from reporting.filters import ReportFilters
from reporting.funnel import SharedCohort, funnel
from talent.services.events import event_create
from tests.factories import join, make_organization, make_user
from tests.reporting.test_funnel import LOST, MARCH_FUNNEL, MERGED, history, march, march_cohort

pytestmark = pytest.mark.django_db

WINTER = {"date_from": dt.date(2025, 2, 1), "date_to": dt.date(2025, 3, 31)}


@pytest.fixture(autouse=True)
def _no_report_cache(settings):
    settings.REPORT_CACHE_SECONDS = 0


def winter(**narrowing) -> ReportFilters:
    return ReportFilters(**{**WINTER, **narrowing})


def tally(leads: int, signed: int, landed: int, signed_rate: float | None, landed_rate: float | None) -> dict:
    return {
        "leads": leads,
        "signed": signed,
        "landed": landed,
        "signed_rate": signed_rate,
        "landed_rate": landed_rate,
    }


def winter_cohort(world) -> SimpleNamespace:
    """Six leads of unit A registered in February and March 2025, spread over carriers, sectors, an event and
    two organizations, plus two that no figure counts. Signed: reached SIGNED or T_OFFERED; landed: REGISTERED
    or T_ARRIVED."""
    district = carrier_create(name="苏州工业园区", kind=Carrier.Kind.DISTRICT)
    park = carrier_create(name="生物医药产业园", kind=Carrier.Kind.PARK, parent=district)
    biomed = sector_create(code="biomed", name="生物医药", group=Sector.Group.PILLAR)
    devices = sector_create(code="devices", name="医疗器械", parent=biomed)
    chips = sector_create(code="chips", name="集成电路", group=Sector.Group.PILLAR)
    fair = event_create(
        actor=None, name="香港创科人才招聘会", starts_on=dt.date(2025, 2, 1), ends_on=dt.date(2025, 2, 2)
    )
    cuhk, hku = make_organization("CUHK", "香港中文大学"), make_organization("HKU", "香港大学")
    own = {"owner": world.a, "unit": world.unit_a}
    world_ = SimpleNamespace(district=district, park=park, biomed=biomed, devices=devices, chips=chips)
    world_.fair, world_.cuhk, world_.hku = fair, cuhk, hku
    # 23:30 on 28 February in Suzhou: February. Signed and landed.
    world_.landed = history(
        ("LEAD", "2025-02-28 23:30"),
        ("NEGOTIATING", "2025-03-02 09:00"),
        ("SIGNED", "2025-03-10 09:00"),
        ("REGISTERED", "2025-03-20 09:00"),
        target_carrier=park,
        sector=devices,
        hk_organization=cuhk,
        source_event=fair,
        **own,
    )
    # 00:30 on 1 March in Suzhou (still February in UTC): March. Signed, then moved back: still signed.
    world_.signed_back = history(
        ("LEAD", "2025-03-01 00:30"),
        ("SIGNED", "2025-03-05 09:00"),
        ("NEGOTIATING", "2025-03-08 09:00"),
        target_carrier=park,
        sector=biomed,
        hk_organization=cuhk,
        **own,
    )
    world_.lost = history(
        ("LEAD", "2025-03-03 09:00"),
        ("QUALIFIED", "2025-03-04 09:00"),
        state=LOST,
        target_carrier=district,
        sector=chips,
        hk_organization=hku,
        source_event=fair,
        **own,
    )
    world_.bare = history(("LEAD", "2025-02-10 09:00"), hk_organization=hku, **own)
    world_.talent_arrived = history(
        ("T_LEAD", "2025-03-05 09:00"),
        ("T_OFFERED", "2025-03-09 09:00"),
        ("T_ARRIVED", "2025-03-20 09:00"),
        hk_organization=hku,
        source_event=fair,
        **own,
    )
    world_.talent_engaged = history(
        ("T_LEAD", "2025-02-20 09:00"), ("T_ENGAGED", "2025-02-22 09:00"), source_event=fair, **own
    )
    # Counted nowhere: registered a minute before the period, and merged into another lead.
    history(("LEAD", "2025-01-31 23:59"), ("SIGNED", "2025-02-03 09:00"), target_carrier=park, **own)
    history(
        ("LEAD", "2025-03-06 09:00"), ("SIGNED", "2025-03-07 09:00"), state=MERGED, target_carrier=park, **own
    )
    return world_


def test_the_trend_counts_each_lead_in_the_month_of_its_first_contact_in_suzhou(world):
    winter_cohort(world)
    assert cohort_trend(world.manager_a, winter()) == [
        # the landed lead, the bare lead, the engaged talent
        {"month": "2025-02", **tally(3, 1, 1, 0.3333, 0.3333)},
        # the lead signed then moved back, the lost lead, the arrived talent
        {"month": "2025-03", **tally(3, 2, 1, 0.6667, 0.3333)},
    ]
    assert cohort_trend(world.manager_a, winter(track=Track.TALENT)) == [
        {"month": "2025-02", **tally(1, 0, 0, 0.0, 0.0)},
        {"month": "2025-03", **tally(1, 1, 1, 1.0, 1.0)},
    ]


def test_each_breakdown_groups_by_its_own_column_largest_first_then_the_leads_without_one(world):
    w = winter_cohort(world)
    user, filters = world.manager_a, winter()
    # By the carrier the lead names itself (the park is not counted in its district), ties by id.
    assert breakdown(user, filters, "carrier") == [
        {"id": w.park.pk, "name": str(w.park), **tally(2, 2, 1, 1.0, 0.5)},
        {"id": w.district.pk, "name": str(w.district), **tally(1, 0, 0, 0.0, 0.0)},
        {"id": None, "name": "", **tally(3, 1, 1, 0.3333, 0.3333)},
    ]
    # Equal groups in id order; a sub-sector is named after its parent.
    assert breakdown(user, filters, "sector") == [
        {"id": w.biomed.pk, "name": "生物医药", **tally(1, 1, 0, 1.0, 0.0)},
        {"id": w.devices.pk, "name": "生物医药 / 医疗器械", **tally(1, 1, 1, 1.0, 1.0)},
        {"id": w.chips.pk, "name": "集成电路", **tally(1, 0, 0, 0.0, 0.0)},
        {"id": None, "name": "", **tally(3, 1, 1, 0.3333, 0.3333)},
    ]
    assert breakdown(user, filters, "event") == [
        {"id": w.fair.pk, "name": str(w.fair), **tally(4, 2, 2, 0.5, 0.5)},
        {"id": None, "name": "", **tally(2, 1, 0, 0.5, 0.0)},
    ]
    assert breakdown(user, filters, "organization") == [
        {"id": w.hku.pk, "name": str(w.hku), **tally(3, 1, 1, 0.3333, 0.3333)},
        {"id": w.cuhk.pk, "name": str(w.cuhk), **tally(2, 2, 1, 1.0, 0.5)},
        {"id": None, "name": "", **tally(1, 0, 0, 0.0, 0.0)},
    ]
    # `limit` keeps the largest groups; the group without a value stays.
    assert breakdown(user, filters, "organization", limit=1) == [
        {"id": w.hku.pk, "name": str(w.hku), **tally(3, 1, 1, 0.3333, 0.3333)},
        {"id": None, "name": "", **tally(1, 0, 0, 0.0, 0.0)},
    ]


def test_every_dimension_has_a_case_above():
    # The test above writes out one breakdown per dimension: a new dimension must bring its own numbers.
    assert sorted(DIMENSIONS) == ["carrier", "event", "organization", "sector"]


# --- The shared cohort ------------------------------------------------------------------------------------------


def figures(user: User, filters: ReportFilters, shared: SharedCohort | None) -> dict:
    """Everything the dashboard groups from the cohort, computed with `shared` or by the separate queries."""
    return {
        "funnel": funnel(user, filters, shared=shared),
        "trend": cohort_trend(user, filters, shared=shared),
        **{
            dimension: breakdown(user, filters, dimension, shared=shared)
            for dimension in DIMENSIONS  # from the registry: a new dimension is compared too
        },
    }


def test_the_shared_cohort_gives_the_hand_built_funnel_with_its_medians(world):
    march_cohort(world)
    assert funnel(world.manager_a, march(), shared=shared_cohort(world.manager_a, march())) == MARCH_FUNNEL


@pytest.mark.parametrize(
    "narrowing",
    [
        {},
        {"track": Track.TALENT},
        {"lead_type": LeadType.UNIVERSITY_TEAM},
        {"date_from": dt.date(2025, 3, 1)},
        {"date_from": dt.date(2024, 1, 1), "date_to": dt.date(2024, 12, 31)},  # an empty cohort
    ],
)
def test_the_shared_cohort_gives_every_figure_the_separate_queries_give(world, narrowing):
    march_cohort(world)  # March, with the funnel's medians
    winter_cohort(world)  # February and March, with every dimension set
    filters = winter(**narrowing)
    for user in (world.manager_a, world.director):
        separate = figures(user, filters, None)
        assert figures(user, filters, shared_cohort(user, filters)) == separate
    # Positive control: the comparison has figures to compare (none for the empty cohort only).
    assert bool(separate["trend"]) is (narrowing.get("date_to") != dt.date(2024, 12, 31))


def test_the_shared_cohort_respects_the_scope_of_its_user(world):
    head_b = join(make_user(Role.MANAGER, username="head_b"), world.unit_b, UnitMembership.Role.HEAD)
    winter_cohort(world)
    assert figures(head_b, winter(), shared_cohort(head_b, winter()))["trend"] == []
    assert len(figures(world.manager_a, winter(), shared_cohort(world.manager_a, winter()))["trend"]) == 2


def test_a_shared_cohort_of_another_user_or_other_filters_is_refused(world):
    winter_cohort(world)
    mine = shared_cohort(world.manager_a, winter())
    with pytest.raises(ValueError, match="another user or other filters"):
        funnel(world.director, winter(), shared=mine)
    with pytest.raises(ValueError, match="another user or other filters"):
        cohort_trend(world.manager_a, winter(track=Track.TALENT), shared=mine)
    with pytest.raises(ValueError, match="another user or other filters"):
        breakdown(world.manager_a, march(), "carrier", shared=mine)
    # Positive control: the same user (another object for them, as the next request has) and equal filters.
    same_user = User.objects.get(pk=world.manager_a.pk)
    assert breakdown(same_user, winter(), "carrier", shared=mine)[0]["leads"] == 2


def test_the_shared_cohort_is_one_query_for_every_grouping(world, django_assert_num_queries):
    w = winter_cohort(world)
    manager = User.objects.get(pk=world.manager_a.pk)  # no visibility scope cached on it yet
    # 1. whether the manager is an administrator, 2. the manager's unit memberships (the visibility scope),
    # 3. the cohort grouped for the funnel, the months and each dimension, with the medians; then the names of
    # the rows shown: 4. carriers, 5. sectors with their parents, 6. events, 7. organizations.
    with django_assert_num_queries(7):
        result = figures(manager, winter(), shared_cohort(manager, winter()))
    assert result["carrier"][0]["id"] == w.park.pk
    assert result["funnel"]["stages"][0]["reached"] == 4


def test_a_shared_cohort_whose_figures_are_all_cached_runs_nothing(world, settings):
    settings.REPORT_CACHE_SECONDS = 60
    cache.clear()  # Redis outlives the test's transaction
    winter_cohort(world)
    first = figures(world.manager_a, winter(), shared_cohort(world.manager_a, winter()))
    with CaptureQueriesContext(connection) as queries:
        again = figures(world.manager_a, winter(), shared_cohort(world.manager_a, winter()))
    assert again == first
    assert [query["sql"] for query in queries.captured_queries if "WITH cohort" in query["sql"]] == []
    # Positive control: after a new generation the statement runs, once for all the figures.
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        assert figures(world.manager_a, winter(), shared_cohort(world.manager_a, winter())) == first
    assert len([query for query in queries.captured_queries if "WITH cohort" in query["sql"]]) == 1


def test_the_dashboard_shows_the_trend_and_breakdowns_the_separate_queries_give(world, client_as):
    winter_cohort(world)
    response = client_as(world.manager_a).get("/reports/", {"from": "2025-02-01", "to": "2025-03-31"})
    assert response.status_code == 200
    separate = figures(world.manager_a, winter(), None)
    assert response.context["funnel"] == separate["funnel"]
    assert response.context["chart_data"]["trend"] == separate["trend"]
    assert {dimension: rows for dimension, _title, rows in response.context["breakdowns"]} == {
        dimension: separate[dimension] for dimension in DIMENSIONS
    }
    assert len(separate["trend"]) == 2  # positive control: there are figures to compare
