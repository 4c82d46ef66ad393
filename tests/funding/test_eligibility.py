"""Eligibility rules evaluated against a lead, each with its reason in words: what is met, what is missing,
and what cannot be decided (a missing rate is never a "no")."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import translation

from funding import services
from funding.eligibility import FIELDS, evaluate
from funding.models import EligibilityRule
from tests.factories import make_lead
from tests.funding.conftest import SUBMITTED, M

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def texts(result) -> list[tuple[bool | None, str]]:
    return [(r.met, r.text) for r in result.results]


def test_the_whitelist_names_each_field_with_its_kind():
    assert {name: (f.kind, f.currency_field) for name, f in FIELDS.items()} == {
        "paid_in_cash": ("money", "paid_in_currency"),
        "registered_capital": ("money", "registered_capital_currency"),
        "expected_investment": ("money", "expected_investment_currency"),
        "founder_equity_percent": ("percent", ""),
        "headcount_now": ("count", ""),
        "rnd_staff_count": ("count", ""),
        "hk_staff_count": ("count", ""),
        "trl": ("number", ""),
        "registered_on": ("date", ""),
    }


def test_a_lead_short_of_paid_in_cash_is_told_by_how_much(world, talent_plan):
    result = evaluate(lead=world.lead_a, version=talent_plan, on=SUBMITTED)

    assert not result.eligible
    assert texts(result) == [
        (False, "paid-in cash 600,000.00 of 1,000,000.00 CNY"),
        (True, "founder equity 35% of 20%"),
        (True, "registered on 2026-03-05, within the batch 2026-03-01 – 2026-04-30"),
    ]
    assert [r.text for r in result.missing] == ["paid-in cash 600,000.00 of 1,000,000.00 CNY"]


def test_nothing_recorded_is_said_so(world, talent_plan):
    result = evaluate(lead=world.lead_b, version=talent_plan, on=SUBMITTED)
    assert texts(result) == [
        (False, "paid-in cash not recorded"),
        (False, "founder equity not recorded"),
        (False, "registered on not recorded"),
    ]


def test_a_registration_outside_the_batch(world, talent_plan):
    lead = make_lead(
        owner=world.officer_a,
        unit=world.unit_a,
        paid_in_cash=2 * M,
        founder_equity_percent=Decimal("20"),
        registered_on=dt.date(2025, 5, 1),
    )
    result = evaluate(lead=lead, version=talent_plan, on=SUBMITTED)
    assert texts(result)[2] == (False, "registered on 2025-05-01, outside the batch 2026-03-01 – 2026-04-30")
    # Between batches, the next batch is the one to register within; a given batch wins.
    second = talent_plan.windows.get(batch="第二批")
    later = evaluate(lead=lead, version=talent_plan, on=dt.date(2026, 6, 1))
    assert later.results[2].text == "registered on 2025-05-01, outside the batch 2026-09-01 – 2026-10-31"
    assert evaluate(lead=lead, version=talent_plan, on=SUBMITTED, window=second).results[2].text == (
        "registered on 2025-05-01, outside the batch 2026-09-01 – 2026-10-31"
    )


def test_a_lead_meeting_every_rule_is_eligible(world, talent_plan):
    lead = make_lead(
        owner=world.officer_a,
        unit=world.unit_a,
        paid_in_cash=M,
        founder_equity_percent=Decimal("20"),
        registered_on=dt.date(2026, 4, 30),
    )
    result = evaluate(lead=lead, version=talent_plan, on=SUBMITTED)
    assert result.eligible
    assert result.missing == []


def test_money_in_another_currency_converts_at_the_days_rate(world, talent_plan, rates):
    lead = make_lead(
        owner=world.officer_a,
        unit=world.unit_a,
        paid_in_cash=Decimal("1000000"),
        paid_in_currency="HKD",
        founder_equity_percent=Decimal("51"),
        registered_on=dt.date(2026, 3, 2),
    )
    result = evaluate(lead=lead, version=talent_plan, on=SUBMITTED)
    assert result.results[0].met is False
    assert result.results[0].text == (
        "paid-in cash 1,000,000.00 HKD (920,000.00 CNY at 1 HKD = 0.92 CNY (2026-03-02)) of 1,000,000.00 CNY"
    )


def test_a_missing_rate_leaves_the_rule_undecided_with_the_reason(world, talent_plan):
    lead = make_lead(
        owner=world.officer_a,
        unit=world.unit_a,
        paid_in_cash=Decimal("5000000"),
        paid_in_currency="HKD",
        founder_equity_percent=Decimal("51"),
        registered_on=dt.date(2026, 3, 2),
    )
    result = evaluate(lead=lead, version=talent_plan, on=SUBMITTED)
    assert not result.eligible
    assert texts(result)[0] == (
        None,
        "paid-in cash 5,000,000.00 HKD cannot be compared with 1,000,000.00 CNY: "
        "No HKD rate on or before 2026-03-10: add it under Exchange rates.",
    )


def test_each_operator_reads_as_it_compares(world, talent_plan):
    lead = make_lead(
        owner=world.officer_a, unit=world.unit_a, headcount_now=12, rnd_staff_count=3, trl=6, hk_staff_count=2
    )
    version = services.version_create(
        actor=world.admin, program=talent_plan.program, year=2027, currency="CNY"
    )
    for field, operator, threshold in [
        ("headcount_now", "lte", 10),
        ("rnd_staff_count", "gt", 2),
        ("trl", "lt", 7),
        ("hk_staff_count", "filled", None),
        ("registered_capital", "filled", None),
    ]:
        services.rule_create(
            actor=world.admin, version=version, field=field, operator=operator, threshold=threshold
        )

    assert texts(evaluate(lead=lead, version=version, on=SUBMITTED)) == [
        (False, "headcount 12 (at most 10)"),
        (True, "R&D staff 3 (more than 2)"),
        (True, "TRL 6 (less than 7)"),
        (True, "Hong Kong staff recorded"),
        (False, "registered capital not recorded"),
    ]


def test_a_stored_rule_off_the_whitelist_is_undecided_never_run(world, talent_plan):
    # Written around the services, as an old row or a direct database edit would be.
    EligibilityRule.objects.create(version=talent_plan, field="owner__is_superuser", operator="filled")
    result = evaluate(lead=world.lead_a, version=talent_plan, on=SUBMITTED)
    assert texts(result)[-1] == (None, "“owner__is_superuser” is not a lead field rules may use.")
    assert not result.eligible


def test_a_date_rule_without_any_batch_is_undecided(world, talent_plan):
    version = services.version_create(
        actor=world.admin, program=talent_plan.program, year=2027, currency="CNY"
    )
    services.rule_create(actor=world.admin, version=version, field="registered_on", operator="in_window")
    assert texts(evaluate(lead=world.lead_a, version=version, on=SUBMITTED)) == [
        (None, "registered on 2026-03-05: the programme has no batch to compare with")
    ]


def test_rules_change_through_the_services_with_history(world, talent_plan):
    rule = talent_plan.rules.get(field="paid_in_cash")
    services.rule_update(actor=world.admin, rule=rule, threshold=Decimal("500000"))
    assert evaluate(lead=world.lead_a, version=talent_plan, on=SUBMITTED).results[0].text == (
        "paid-in cash 600,000.00 of 500,000.00 CNY"
    )
    assert rule.history.count() == 2
    services.rule_delete(actor=world.admin, rule=rule)
    assert talent_plan.rules.count() == 2
