"""Shared set-up for the funding tests: two sibling units under a bureau, a lead in each, a leading-talent
plan (CNY, with batches and eligibility rules), RAISe+ as a Hong Kong grant (HKD), a 1:1 matching package and
the HKD and USD rates of early March 2026. Dates are in the past, since decisions and payments cannot be in the
future."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest

from accounts.models import Unit, UnitMembership, User
from accounts.roles import Role
from funding import services
from funding.models import ApplicationWindow, Funder, FundingProgram, ProgramType, ProgramVersion
from projects.models import Lead
from tests.factories import join, make_lead, make_unit, make_user

M = Decimal(1_000_000)
RATE_DAY = dt.date(2026, 3, 2)
HKD_RATE = Decimal("0.92")
USD_RATE = Decimal("7.1")
# The first batch of the 2026 plan: submissions and decisions in the tests happen inside or just after it.
OPENS, CLOSES = dt.date(2026, 3, 1), dt.date(2026, 4, 30)
SUBMITTED, DECIDED = dt.date(2026, 3, 10), dt.date(2026, 3, 20)


@dataclass
class World:
    unit_a: Unit
    unit_b: Unit
    officer_a: User
    officer_b: User
    manager_a: User
    admin: User
    lead_a: Lead
    lead_b: Lead


@pytest.fixture
def world(db) -> World:
    bureau = make_unit("市投资促进局", kind=Unit.Kind.BUREAU)
    unit_a = make_unit("香港合作处", parent=bureau)
    unit_b = make_unit("产业招商一处", parent=bureau)
    officer_a = join(make_user(Role.OFFICER, username="officer_a"), unit_a)
    officer_b = join(make_user(Role.OFFICER, username="officer_b"), unit_b)
    return World(
        unit_a=unit_a,
        unit_b=unit_b,
        officer_a=officer_a,
        officer_b=officer_b,
        manager_a=join(make_user(Role.MANAGER, username="manager_a"), unit_a, UnitMembership.Role.MANAGER),
        admin=join(make_user(Role.ADMINISTRATOR, username="admin"), bureau, UnitMembership.Role.HEAD),
        lead_a=make_lead(
            owner=officer_a,
            unit=unit_a,
            name="港科大 量子计算研发团队",
            paid_in_cash=Decimal("600000"),
            paid_in_currency="CNY",
            founder_equity_percent=Decimal("35"),
            registered_on=dt.date(2026, 3, 5),
        ),
        lead_b=make_lead(owner=officer_b, unit=unit_b, name="港大 生物医药团队"),
    )


@pytest.fixture
def rates(db) -> dict[str, Decimal]:
    services.exchange_rate_set(currency="HKD", date=RATE_DAY, rate_to_cny=HKD_RATE, source="PBOC")
    services.exchange_rate_set(currency="USD", date=RATE_DAY, rate_to_cny=USD_RATE, source="PBOC")
    return {"HKD": HKD_RATE, "USD": USD_RATE}


def make_program(actor: User, code: str, program_type: str, **fields) -> FundingProgram:
    fields.setdefault("funder", Funder.CITY)
    return services.program_create(
        actor=actor, code=code, name=fields.pop("name", code), program_type=program_type, **fields
    )


@pytest.fixture
def talent_plan(world) -> ProgramVersion:
    """苏州创新创业领军人才计划 2026: 10–50m CNY, two batches, the three rules of the 2023 text."""
    program = make_program(
        world.admin,
        "t-leading-talent",
        ProgramType.PROJECT_GRANT,
        name="苏州创新创业领军人才计划",
        name_en="Suzhou Leading Talent Plan",
    )
    version = services.version_create(
        actor=world.admin, program=program, year=2026, currency="CNY", min_amount=M, max_amount=50 * M
    )
    services.window_create(
        actor=world.admin, version=version, batch="第一批", opens_on=OPENS, closes_on=CLOSES
    )
    services.window_create(
        actor=world.admin,
        version=version,
        batch="第二批",
        opens_on=dt.date(2026, 9, 1),
        closes_on=dt.date(2026, 10, 31),
    )
    services.rule_create(
        actor=world.admin,
        version=version,
        field="paid_in_cash",
        operator="gte",
        threshold=M,
        threshold_currency="CNY",
    )
    services.rule_create(
        actor=world.admin,
        version=version,
        field="founder_equity_percent",
        operator="gte",
        threshold=Decimal(20),
    )
    services.rule_create(actor=world.admin, version=version, field="registered_on", operator="in_window")
    return version


@pytest.fixture
def raise_plus(world) -> ProgramVersion:
    program = make_program(
        world.admin,
        "t-raise-plus",
        ProgramType.HK_GRANT,
        funder=Funder.HK_GOVERNMENT,
        name="产学研1+计划",
        name_en="RAISe+",
    )
    return services.version_create(
        actor=world.admin, program=program, year=2024, currency="HKD", min_amount=10 * M, max_amount=100 * M
    )


@pytest.fixture
def matching(world) -> ProgramVersion:
    """A 1:1 matching package for teams funded in Hong Kong, capped at 5000万."""
    program = make_program(
        world.admin, "t-hk-matching", ProgramType.MATCHING, name="港资项目配套资助", name_en="HK matching"
    )
    version = services.version_create(
        actor=world.admin,
        program=program,
        year=2026,
        currency="CNY",
        max_amount=100 * M,
        matching_ratio=Decimal(1),
        matching_cap=50 * M,
    )
    services.window_create(actor=world.admin, version=version, batch="2026", opens_on=OPENS, closes_on=CLOSES)
    return version


def first_window(version: ProgramVersion) -> ApplicationWindow:
    return version.windows.order_by("opens_on").first()


def approved_application(
    world: World, version: ProgramVersion, amount: Decimal = 20 * M, lead: Lead | None = None
):
    """An application taken through draft → submitted → approved in the first batch."""
    lead = lead or world.lead_a
    application = services.application_create(
        actor=world.officer_a, lead=lead, version=version, requested_amount=amount
    )
    services.application_submit(actor=world.officer_a, application=application, submitted_on=SUBMITTED)
    return services.application_approve(
        actor=world.manager_a, application=application, approved_amount=amount, decision_date=DECIDED
    )
