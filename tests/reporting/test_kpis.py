"""The KPI cards on a hand-built dataset where every figure is known: signings and their tiers, amounts converted
at each row's dated rate (or listed as unconverted), capital in place, talent arrived, funding, landing and overdue
milestones — within the period, the filters and the user's scope, in a fixed number of queries."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from accounts.models import User
from funding import services as funding
from funding.models import Funder, FundingApplication, ProgramType, ProgramVersion
from projects import services
from projects.models import Lead, LeadType, Milestone, Pass, Signing
from projects.services.ledger import lead_import_history
from projects.services.merge import lead_merge
from projects.stages import Stage
from reporting.filters import ReportFilters
from reporting.funnel import funnel
from reporting.kpis import kpis
from tests.factories import make_lead, make_organization

pytestmark = pytest.mark.django_db

PERIOD = ReportFilters(date_from=dt.date(2026, 1, 1), date_to=dt.date(2026, 6, 30))
BEFORE_PERIOD = dt.date(2025, 10, 1)
TODAY = timezone.localdate()
YI = Decimal(10) ** 8


def at(day: dt.date, hour: int = 12, minute: int = 0) -> dt.datetime:
    """A moment on the wall clock in Suzhou (Asia/Shanghai)."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def registered(owner, unit, *, talent: bool = False, on: dt.date = BEFORE_PERIOD) -> Lead:
    """A lead taken over from the ledger, registered on `on` (outside the period's cohort by default)."""
    lead_type = LeadType.TALENT if talent else LeadType.UNIVERSITY_TEAM
    return make_lead(owner=owner, unit=unit, lead_type=lead_type, occurred_at=at(on), imported=True)


def moved(lead: Lead, *moves: tuple[str, dt.datetime]) -> Lead:
    lead_import_history(lead=lead, moves=list(moves), actor=lead.owner)
    return lead


def sign(lead: Lead, on: dt.date, amount: str, currency: str = "CNY", *, investor: str = "HKIC", kind=None):
    return services.signing_create(
        actor=lead.owner,
        lead=lead,
        signed_on=on,
        investor=make_organization(investor, f"{investor} 投资方"),
        amount=Decimal(amount),
        currency=currency,
        kind=kind or Signing.Kind.NEW,
    )


def inject(lead: Lead, on: dt.date, amount: str, currency: str = "CNY"):
    return services.capital_injection_create(
        actor=lead.owner, lead=lead, received_on=on, amount=Decimal(amount), currency=currency
    )


def overdue(lead: Lead, code: str, due_on: dt.date) -> Milestone:
    return services.milestone_add(
        actor=lead.owner,
        lead=lead,
        lead_pass=Pass.objects.get(code=code),
        title=f"{code} 待办",
        due_on=due_on,
    )


def programme(actor: User, code: str, currency: str) -> ProgramVersion:
    program = funding.program_create(
        actor=actor, code=code, name=code, program_type=ProgramType.PROJECT_GRANT, funder=Funder.CITY
    )
    version = funding.version_create(actor=actor, program=program, year=2026, currency=currency)
    funding.window_create(
        actor=actor,
        version=version,
        batch="2026",
        opens_on=dt.date(2025, 12, 1),
        closes_on=dt.date(2026, 12, 31),
    )
    return version


def approved(
    lead: Lead, version: ProgramVersion, on: dt.date, amount: str, approver: User
) -> FundingApplication:
    application = funding.application_create(
        actor=lead.owner, lead=lead, version=version, requested_amount=Decimal(amount)
    )
    funding.application_submit(actor=lead.owner, application=application, submitted_on=on)
    return funding.application_approve(
        actor=approver, application=application, approved_amount=Decimal(amount), decision_date=on
    )


def paid(application: FundingApplication, on: dt.date, amount: str, approver: User):
    tranche = funding.tranche_plan(
        actor=approver, application=application, planned_on=on, amount=Decimal(amount)
    )
    return funding.tranche_pay(actor=approver, tranche=tranche, paid_on=on)


@pytest.fixture
def data(world, settings):
    """Unit A's rows (officer A's leads) and unit B's, in and around the first half of 2026."""
    settings.REPORT_CACHE_SECONDS = 0
    a, unit_a, director = world.a, world.unit_a, world.director
    # HKD: a December rate (still fresh in early January), March's, June's; no USD rate at all.
    funding.exchange_rate_set(currency="HKD", date=dt.date(2025, 12, 20), rate_to_cny=Decimal("0.91"))
    funding.exchange_rate_set(currency="HKD", date=dt.date(2026, 3, 2), rate_to_cny=Decimal("0.92"))
    funding.exchange_rate_set(currency="HKD", date=dt.date(2026, 6, 15), rate_to_cny=Decimal("0.93"))

    # Signings: tiers at exactly 1亿, 3亿, 10亿 and 20亿; one fen under 1亿; HKD either side of 1亿.
    s1, s2, s3, s4, s5, s6, s7, s8 = (registered(a, unit_a) for _ in range(8))
    sign(s1, dt.date(2026, 1, 1), "100000000.00")  # first day of the period
    sign(s1, dt.date(2026, 3, 10), "5000000.00", kind=Signing.Kind.CAPITAL_INCREASE)
    sign(s2, dt.date(2026, 3, 5), "300000000.00")
    sign(s2, dt.date(2026, 2, 15), "20000000.00", investor="SIP", kind=Signing.Kind.RESIGN)
    sign(s3, dt.date(2026, 6, 30), "1000000000.00")  # last day of the period
    sign(s4, dt.date(2026, 4, 1), "2000000000.00")
    sign(s5, dt.date(2026, 2, 1), "99999999.99")
    sign(s5, dt.date(2026, 1, 5), "10000000.00", "HKD", investor="SIP")  # at December's 0.91
    sign(s5, dt.date(2026, 3, 6), "20000000.00", "HKD", investor="SND")  # at March's 0.92
    sign(s6, dt.date(2026, 2, 20), "1000000.00", "USD")  # no USD rate
    sign(s6, dt.date(2026, 5, 20), "2000000.00", "HKD", investor="SIP")  # March's rate is 79 days old
    sign(s6, dt.date(2026, 5, 21), "3000000.00", "HKD", investor="SND")
    sign(s7, dt.date(2025, 12, 31), "50000000.00")  # the day before the period
    sign(s7, dt.date(2026, 7, 1), "60000000.00", investor="SIP")  # the day after
    sign(s8, dt.date(2026, 3, 20), "108695652.18", "HKD")  # 100,000,000.0056 yuan: 1亿
    sign(s8, dt.date(2026, 3, 20), "108695652.16", "HKD", investor="SIP")  # 99,999,999.9872 yuan: under

    inject(s1, dt.date(2026, 1, 1), "1000000.00")
    inject(s1, dt.date(2026, 3, 2), "1000000.00", "HKD")
    inject(s1, dt.date(2026, 6, 30), "500000.00", "USD")
    inject(s2, dt.date(2025, 12, 31), "7000000.00")
    inject(s2, dt.date(2026, 7, 1), "8000000.00")

    # The funnel's cohort (registered in the period): two org leads signed, one registered; a talent arrived.
    moved(
        registered(a, unit_a, on=dt.date(2026, 2, 1)),
        (Stage.SIGNED, at(dt.date(2026, 2, 10))),
        (Stage.REGISTERED, at(dt.date(2026, 3, 1))),
    )
    moved(registered(a, unit_a, on=dt.date(2026, 2, 1)), (Stage.SIGNED, at(dt.date(2026, 2, 10))))
    moved(
        registered(a, unit_a, talent=True, on=dt.date(2026, 2, 1)),
        (Stage.T_OFFERED, at(dt.date(2026, 2, 5))),
        (Stage.T_ARRIVED, at(dt.date(2026, 3, 15))),
    )
    # Arrivals either side of the period's edges, at Suzhou's midnight.
    kept = moved(registered(a, unit_a, talent=True), (Stage.T_ARRIVED, at(dt.date(2026, 6, 30), 23, 30)))
    moved(registered(a, unit_a, talent=True), (Stage.T_ARRIVED, at(dt.date(2025, 12, 31), 23, 30)))
    moved(registered(a, unit_a, talent=True), (Stage.T_ARRIVED, at(dt.date(2026, 7, 1), 0, 10)))

    # A duplicate arrived too and was granted funding; merged, it leaves every figure.
    duplicate = moved(registered(a, unit_a, talent=True), (Stage.T_ARRIVED, at(dt.date(2026, 4, 1))))

    grants = programme(director, "k-grant", "CNY")
    hk_side = programme(director, "k-hk", "HKD")
    first = approved(s1, grants, dt.date(2026, 3, 20), "2000000.00", director)
    paid(first, dt.date(2026, 4, 1), "1000000.00", director)
    paid(first, dt.date(2026, 7, 15), "500000.00", director)  # after the period
    second = approved(s2, hk_side, dt.date(2026, 3, 25), "1000000.00", director)
    paid(second, dt.date(2026, 6, 30), "400000.00", director)  # at June's 0.93
    approved(s3, grants, dt.date(2026, 7, 2), "3000000.00", director)  # after the period
    rejected = funding.application_create(actor=a, lead=s4, version=grants, requested_amount=Decimal(900000))
    funding.application_submit(actor=a, application=rejected, submitted_on=dt.date(2026, 3, 1))
    funding.application_reject(actor=director, application=rejected, decision_date=dt.date(2026, 3, 5))
    raise_plus = funding.program_create(
        actor=director,
        code="k-raise",
        name="RAISe+",
        program_type=ProgramType.HK_GRANT,
        funder=Funder.HK_GOVERNMENT,
    )
    funding.hk_grant_record(
        actor=director,
        lead=s4,
        version=funding.version_create(actor=director, program=raise_plus, year=2025, currency="HKD"),
        approved_amount=Decimal(10_000_000),
        decision_date=dt.date(2026, 3, 5),
    )
    approved(duplicate, grants, dt.date(2026, 4, 2), "5000000.00", director)
    lead_merge(actor=world.manager_a, source=duplicate, target=kept)

    overdue(s1, "resources", TODAY - dt.timedelta(days=30))
    overdue(s1, "resources", TODAY - dt.timedelta(days=1))
    overdue(s2, "talent", TODAY - dt.timedelta(days=1))
    overdue(s2, "resources", TODAY)  # due today: not overdue yet
    done = overdue(s3, "rules", TODAY - dt.timedelta(days=10))
    services.milestone_complete(milestone=done, actor=a, evidence_note="已完成")

    # Unit B: seen by the director, never by unit A's head.
    b = registered(world.b, world.unit_b)
    sign(b, dt.date(2026, 3, 1), "400000000.00")
    inject(b, dt.date(2026, 4, 1), "3000000.00")
    approved(b, grants, dt.date(2026, 3, 20), "3000000.00", director)
    overdue(b, "resources", TODAY - dt.timedelta(days=2))
    moved(registered(world.b, world.unit_b, talent=True), (Stage.T_ARRIVED, at(dt.date(2026, 4, 1))))
    return SimpleNamespace(duplicate=duplicate, kept=kept)


def test_every_kpi_of_a_unit_head_is_counted_exactly(world, data):
    with translation.override("en"):
        figures = kpis(world.manager_a, PERIOD, today=TODAY)

    assert figures == {
        # New and re-sign rows in the period: s1, s2 ×2, s3, s4, s5 ×3, s6 ×3, s8 ×2.
        "signings": 13,
        "contracted_amount": {
            # 3,425,000,000 in CNY + 99,999,999.99 + 10m HKD × 0.91 + 20m HKD × 0.92 + 217,391,304.34 HKD × 0.92
            "cny": Decimal("3752499999.98"),
            "unconverted": [
                {"currency": "HKD", "amount": Decimal("5000000.00"), "count": 2},
                {"currency": "USD", "amount": Decimal("1000000.00"), "count": 1},
            ],
        },
        "capital_increases": 1,
        "projects_100m": {"1-3": 2, "3-10": 1, "10-20": 1, "20+": 1},
        "landing_rate": 0.6667,
        "landing": {"landed": 2, "signed": 3},
        "capital_in_place": {
            "cny": Decimal("1920000.00"),
            "unconverted": [{"currency": "USD", "amount": Decimal("500000.00"), "count": 1}],
        },
        "talent_arrived": 2,
        "funding_approved": {"count": 2, "cny": Decimal("2920000.00"), "unconverted": []},
        "funding_disbursed": {"count": 2, "cny": Decimal("1372000.00"), "unconverted": []},
        "overdue_milestones": [
            {"pass_id": Pass.objects.get(code="resources").pk, "pass": "Resources pass", "count": 2},
            {"pass_id": Pass.objects.get(code="talent").pk, "pass": "Talent-attraction pass", "count": 1},
            {"pass_id": Pass.objects.get(code="conversion").pk, "pass": "Conversion pass", "count": 0},
            {"pass_id": Pass.objects.get(code="rules").pk, "pass": "Rules and standards pass", "count": 0},
        ],
    }


def test_the_director_also_counts_the_other_units_rows(world, data):
    figures = kpis(world.director, PERIOD, today=TODAY)

    assert figures["signings"] == 14
    assert figures["contracted_amount"]["cny"] == Decimal("4152499999.98")
    assert figures["projects_100m"] == {"1-3": 2, "3-10": 2, "10-20": 1, "20+": 1}
    assert figures["capital_in_place"]["cny"] == Decimal("4920000.00")
    assert figures["talent_arrived"] == 3
    assert figures["funding_approved"] == {"count": 3, "cny": Decimal("5920000.00"), "unconverted": []}
    assert [row["count"] for row in figures["overdue_milestones"]] == [3, 1, 0, 0]


def test_a_unit_filter_narrows_the_director_to_that_unit(world, data):
    assert kpis(world.director, PERIOD.replace(unit=world.unit_a), today=TODAY) == kpis(
        world.manager_a, PERIOD, today=TODAY
    )


def test_the_landing_numbers_are_the_funnels(world, data):
    stages = {row["stage"]: row["reached"] for row in funnel(world.manager_a, PERIOD)["stages"]}

    figures = kpis(world.manager_a, PERIOD, today=TODAY)

    assert figures["landing"] == {
        "landed": stages[Stage.REGISTERED] + stages[Stage.T_ARRIVED],
        "signed": stages[Stage.SIGNED] + stages[Stage.T_OFFERED],
    }


def test_a_merged_leads_arrival_and_funding_leave_the_figures(world, data):
    data.duplicate.refresh_from_db()
    assert data.duplicate.status == Lead.Status.MERGED
    assert data.duplicate.stage_changes.filter(to_stage=Stage.T_ARRIVED).exists()
    assert data.duplicate.funding_applications.filter(status=FundingApplication.Status.APPROVED).exists()

    figures = kpis(world.manager_a, PERIOD, today=TODAY)

    assert figures["talent_arrived"] == 2
    assert figures["funding_approved"]["count"] == 2


def test_a_capital_increase_adds_its_amount_but_no_signing_or_tier(world, settings):
    settings.REPORT_CACHE_SECONDS = 0
    lead = registered(world.a, world.unit_a)
    sign(lead, dt.date(2026, 2, 1), "500000000.00", kind=Signing.Kind.CAPITAL_INCREASE)

    figures = kpis(world.manager_a, PERIOD, today=TODAY)

    assert figures["signings"] == 0
    assert figures["capital_increases"] == 1
    assert figures["contracted_amount"]["cny"] == Decimal("500000000.00")
    assert figures["projects_100m"] == {"1-3": 0, "3-10": 0, "10-20": 0, "20+": 0}


def test_an_amount_with_no_rate_is_listed_never_dropped_nor_guessed(world, settings):
    settings.REPORT_CACHE_SECONDS = 0
    lead = registered(world.a, world.unit_a)
    sign(lead, dt.date(2026, 2, 1), "300000000.00", "USD")

    figures = kpis(world.manager_a, PERIOD, today=TODAY)

    assert figures["contracted_amount"] == {
        "cny": Decimal("0.00"),
        "unconverted": [{"currency": "USD", "amount": Decimal("300000000.00"), "count": 1}],
    }
    assert figures["projects_100m"]["3-10"] == 0


def test_a_rate_is_taken_on_each_rows_own_date(world, settings):
    settings.REPORT_CACHE_SECONDS = 0
    funding.exchange_rate_set(currency="USD", date=dt.date(2026, 1, 2), rate_to_cny=Decimal("7.1"))
    funding.exchange_rate_set(currency="USD", date=dt.date(2026, 1, 20), rate_to_cny=Decimal("7.2"))
    lead = registered(world.a, world.unit_a)
    inject(lead, dt.date(2026, 1, 19), "100.00", "USD")
    inject(lead, dt.date(2026, 1, 20), "100.00", "USD")

    assert kpis(world.manager_a, PERIOD, today=TODAY)["capital_in_place"] == {
        "cny": Decimal("1430.00"),
        "unconverted": [],
    }


def test_an_officer_sees_nothing_of_another_units_rows(world, data):
    figures = kpis(world.b, PERIOD, today=TODAY)

    assert figures["signings"] == 1
    assert figures["contracted_amount"] == {"cny": Decimal("400000000.00"), "unconverted": []}
    assert figures["talent_arrived"] == 1
    assert [row["count"] for row in figures["overdue_milestones"]] == [1, 0, 0, 0]


def test_the_kpis_are_cached_until_a_signing_is_recorded(world, settings):
    settings.REPORT_CACHE_SECONDS = 60
    lead = registered(world.a, world.unit_a)
    sign(lead, dt.date(2026, 2, 1), "1000000.00")
    assert kpis(world.manager_a, PERIOD, today=TODAY)["signings"] == 1

    with CaptureQueriesContext(connection) as queries:
        again = kpis(world.manager_a, PERIOD, today=TODAY)
    sign(lead, dt.date(2026, 2, 2), "1000000.00", investor="SIP")

    assert again["signings"] == 1
    assert not [q for q in queries.captured_queries if "projects_signing" in q["sql"]]
    assert kpis(world.manager_a, PERIOD, today=TODAY)["signings"] == 2


def rows_of_each_kind(world, count: int) -> None:
    """`count` leads of unit A, each with two signings (CNY and HKD), two capital injections, an arrival, an
    approved application with two paid tranches and two overdue milestones."""
    funding.exchange_rate_set(currency="HKD", date=dt.date(2026, 1, 1), rate_to_cny=Decimal("0.92"))
    version = programme(world.director, "k-count", "CNY")
    for index in range(count):
        day = dt.date(2026, 1, 1) + dt.timedelta(days=index)
        lead = registered(world.a, world.unit_a)
        sign(lead, day, f"{100 + index}000000.00")
        sign(lead, day, f"{200 + index}000000.00", "HKD", investor="SIP")
        inject(lead, day, "1000000.00")
        inject(lead, day, "2000000.00", "HKD")
        talent = moved(registered(world.a, world.unit_a, talent=True), (Stage.T_ARRIVED, at(day)))
        application = approved(lead, version, day, "3000000.00", world.director)
        paid(application, day, "1000000.00", world.director)
        paid(application, day, "1000000.00", world.director)
        overdue(talent, "talent", TODAY - dt.timedelta(days=3))
        overdue(lead, "resources", TODAY - dt.timedelta(days=3))


@pytest.mark.parametrize("count", [2, 20])
def test_the_kpis_take_the_same_queries_whatever_the_rows(world, settings, count):
    settings.REPORT_CACHE_SECONDS = 0
    rows_of_each_kind(world, count)
    manager = User.objects.get(pk=world.manager_a.pk)  # no scope cached yet

    with CaptureQueriesContext(connection) as queries:
        figures = kpis(manager, PERIOD, today=TODAY)

    assert figures["signings"] == 2 * count
    assert figures["talent_arrived"] == count
    # 1 administrator check and 2 memberships (the user's scope, once per user object), 3 signings grouped,
    # 4 the period's rates, 5 new signings that may reach 1亿, 6 approvals grouped, 7 tranches grouped,
    # 8-9 the funnel (stage counts, median days in stage), 10 capital grouped, 11 arrivals, 12 overdue
    # milestones per pass.
    assert len(queries) == 12, "\n".join(q["sql"] for q in queries.captured_queries)
