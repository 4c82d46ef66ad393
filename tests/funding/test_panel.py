"""The lead's funding panel (applications with approved and paid totals per currency, programmes it is
eligible for now or could be with what is missing, deadlines within 90 days), converted totals per lead,
carrier and programme, and the visibility of applications — each read in a fixed number of queries."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import translation

from accounts.models import User
from core.errors import ApplicationError
from directory import services as directory_services
from directory.models import Carrier
from funding import services
from funding.models import FundingApplication, ProgramVersion
from funding.selectors import applications_visible_to, lead_funding_panel, programs_active, totals
from projects import services as lead_services
from tests.funding.conftest import DECIDED, M, approved_application

pytestmark = pytest.mark.django_db
ON = dt.date(2026, 3, 25)
Status = FundingApplication.Status


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def mine(options, *versions: ProgramVersion) -> list:
    """The options of the test's own versions (the seeded reference programmes are offered too)."""
    wanted = {v.pk for v in versions}
    return [o for o in options if o.version.pk in wanted]


def with_tranches(world, application, paid: bool = True) -> None:
    first = services.tranche_plan(
        actor=world.manager_a, application=application, planned_on=DECIDED, amount=M
    )
    services.tranche_plan(
        actor=world.manager_a, application=application, planned_on=dt.date(2026, 9, 1), amount=M
    )
    if paid:
        services.tranche_pay(actor=world.manager_a, tranche=first, paid_on=dt.date(2026, 3, 22))


@pytest.fixture
def grant(world, raise_plus):
    return services.hk_grant_record(
        actor=world.officer_a,
        lead=world.lead_a,
        version=raise_plus,
        approved_amount=10 * M,
        decision_date=dt.date(2025, 11, 3),
    )


def test_the_panel_shows_money_per_currency_and_what_the_lead_could_apply_for(
    world, talent_plan, matching, grant, rates
):
    application = approved_application(world, talent_plan, amount=5 * M)
    with_tranches(world, application)

    panel = lead_funding_panel(user=world.officer_a, lead=world.lead_a, on=ON)

    assert [(line.application, line.planned, line.paid) for line in panel.applications] == [
        (application, 2 * M, M),
        (grant, Decimal(0), Decimal(0)),
    ]
    assert panel.applications[0].remaining == 4 * M
    # Never summed across currencies.
    assert panel.approved_totals == {"CNY": 5 * M, "HKD": 10 * M}
    assert panel.paid_totals == {"CNY": M, "HKD": Decimal(0)}

    # The talent plan is applied for, so not offered again; the matching package has no rules: eligible now,
    # with the amount its rule gives.
    assert mine(panel.could_be_eligible, talent_plan, matching) == []
    [offer] = mine(panel.eligible_now, talent_plan, matching)
    assert offer.version == matching
    assert offer.window == matching.windows.get()
    assert offer.matching.amount == Decimal("9200000.00")
    assert "1 HKD = 0.92 CNY (2026-03-02)" in offer.matching.basis

    assert [(w.version, w.batch) for w in panel.upcoming_windows if w.version_id == matching.pk] == [
        (matching, "2026")
    ]


def test_the_panel_says_what_is_missing(world, talent_plan):
    panel = lead_funding_panel(user=world.officer_a, lead=world.lead_a, on=ON)

    [option] = mine(panel.could_be_eligible, talent_plan)
    assert [r.text for r in option.eligibility.missing] == ["paid-in cash 600,000.00 of 1,000,000.00 CNY"]
    assert option.window.batch == "第一批"
    # Within 90 days of 2026-03-25: the first batch (closing 2026-04-30), not the second (2026-10-31).
    assert [w.batch for w in panel.upcoming_windows if w.version_id == talent_plan.pk] == ["第一批"]
    # A draft keeps its batch's deadline on the panel, though the programme is no longer offered.
    services.application_create(
        actor=world.officer_a, lead=world.lead_a, version=talent_plan, requested_amount=M
    )
    drafting = lead_funding_panel(user=world.officer_a, lead=world.lead_a, on=ON)
    assert mine(drafting.could_be_eligible + drafting.eligible_now, talent_plan) == []
    assert [w.batch for w in drafting.upcoming_windows if w.version_id == talent_plan.pk] == ["第一批"]
    # After the first batch the plan is still open, for the second batch.
    FundingApplication.objects.filter(lead=world.lead_a).delete()
    later = lead_funding_panel(user=world.officer_a, lead=world.lead_a, on=dt.date(2026, 8, 20))
    [option] = mine(later.could_be_eligible, talent_plan)
    assert option.window.batch == "第二批"


def test_a_missing_rate_shows_as_a_reason_not_a_number(world, matching, grant):
    panel = lead_funding_panel(user=world.officer_a, lead=world.lead_a, on=ON)
    [offer] = mine(panel.eligible_now, matching)
    assert offer.matching is None
    assert offer.matching_error == "No HKD rate on or before 2026-03-25: add it under Exchange rates."


def test_applications_are_visible_through_their_lead(world, talent_plan):
    application = approved_application(world, talent_plan)

    # Positive control first: the owning unit's officer sees it.
    assert list(applications_visible_to(world.officer_a)) == [application]
    assert list(applications_visible_to(world.manager_a)) == [application]
    assert list(applications_visible_to(world.admin)) == [application]
    assert list(applications_visible_to(world.officer_b)) == []
    assert lead_funding_panel(user=world.officer_b, lead=world.lead_a, on=ON).applications == []


def test_active_programmes(world, talent_plan):
    services.program_update(actor=world.admin, program=talent_plan.program, active=False)
    assert talent_plan.program not in programs_active()
    assert programs_active().exists()


# --- Query counts --------------------------------------------------------------------------------------------


def build(world, talent_plan, count: int) -> None:
    """`count` applications of the lead, each with two tranches (one paid), besides one HK grant."""
    for _ in range(count):
        with_tranches(world, approved_application(world, talent_plan, amount=5 * M))


@pytest.mark.parametrize("count", [2, 20])
def test_the_panel_takes_the_same_queries_for_2_and_20_applications(
    world, talent_plan, matching, grant, rates, count, django_assert_num_queries
):
    build(world, talent_plan, count)
    user = User.objects.get(pk=world.officer_a.pk)  # a fresh user: its scope is read inside the count
    # 1-2 the user's scope (administrator? then unit memberships), 3 applications with version, programme and
    # batch (visibility as a subquery), 4 their tranches, 5 versions open for applications with programme,
    # 6 their windows, 7 their rules, 8 the rates of the day (the matching option converts the HK grant).
    with django_assert_num_queries(8):
        panel = lead_funding_panel(user=user, lead=world.lead_a, on=ON)
        assert len(panel.applications) == count + 1
        assert panel.approved_totals["CNY"] == count * 5 * M
        assert panel.paid_totals["CNY"] == count * M
        assert mine(panel.eligible_now, matching)[0].matching.amount == Decimal("9200000.00")


def test_totals_convert_at_the_stated_date_and_say_the_rate(world, talent_plan, grant, rates):
    carrier = directory_services.carrier_create(
        name="苏州工业园区", name_en="SIP", kind=Carrier.Kind.DISTRICT
    )
    lead_services.lead_update(actor=world.officer_b, lead=world.lead_b, target_carrier=carrier)
    application = approved_application(world, talent_plan, amount=5 * M)
    with_tranches(world, application)
    approved_application(world, talent_plan, amount=30 * M, lead=world.lead_b)
    queryset = FundingApplication.objects.all()

    by_lead = totals(queryset=queryset, to="CNY", on=ON, group_by="lead")
    assert [(t.label, t.count, t.approved, t.paid, t.currency, t.rates) for t in by_lead] == [
        (f"{world.lead_b.code} 港大 生物医药团队", 1, 30 * M, Decimal(0), "CNY", ""),
        (
            f"{world.lead_a.code} 港科大 量子计算研发团队",
            2,
            Decimal("14200000.00"),
            M,
            "CNY",
            "1 HKD = 0.92 CNY (2026-03-02)",
        ),
    ]
    by_program = totals(queryset=queryset, to="HKD", on=ON, group_by="program")
    assert [(t.label, t.approved, t.rates) for t in by_program] == [
        ("Suzhou Leading Talent Plan", Decimal("38043478.26"), "1 HKD = 0.92 CNY (2026-03-02)"),
        ("RAISe+", 10 * M, ""),
    ]
    by_carrier = totals(queryset=queryset, to="CNY", on=ON, group_by="carrier")
    assert [(t.label, t.approved) for t in by_carrier] == [
        ("SIP", 30 * M),
        ("No carrier", Decimal("14200000.00")),
    ]


def test_totals_without_a_rate_are_an_error(world, talent_plan, grant):
    approved_application(world, talent_plan)
    with pytest.raises(ApplicationError) as error:
        totals(queryset=FundingApplication.objects.all(), to="CNY", on=ON, group_by="lead")
    assert error.value.message == "No HKD rate on or before 2026-03-25: add it under Exchange rates."


@pytest.mark.parametrize("count", [2, 20])
def test_totals_take_the_same_queries_for_2_and_20_applications(
    world, talent_plan, grant, rates, count, django_assert_num_queries
):
    build(world, talent_plan, count)
    queryset = applications_visible_to(User.objects.get(pk=world.admin.pk))
    # The user's scope was read when the queryset was built. 1 approved sums per lead and currency, 2 paid sums
    # per lead and currency (the scoped applications as a subquery), 3 the rates of the day.
    with django_assert_num_queries(3):
        [total] = totals(queryset=queryset, to="CNY", on=ON, group_by="lead")
    assert total.approved == count * 5 * M + Decimal("9200000.00")
    assert total.paid == count * M
