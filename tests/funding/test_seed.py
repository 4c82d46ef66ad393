"""The programmes seeded by funding 0002 on a freshly migrated database: names in three scripts, versions with
their amounts, batches and rules — rules the whitelist accepts, although the migration writes them directly."""

from __future__ import annotations

import datetime as dt
import importlib
from decimal import Decimal
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command

from funding.eligibility import check_rule, evaluate
from funding.models import (
    CapitalCall,
    EligibilityRule,
    ExchangeRate,
    FundCommitment,
    Funder,
    FundingApplication,
    FundingProgram,
    FundInvestment,
    ProgramType,
    ProgramVersion,
)
from tests.factories import join, make_lead, make_unit, make_user

pytestmark = pytest.mark.django_db
Status = FundingApplication.Status
M = Decimal(1_000_000)
SUZHOU_TIERS = [
    # code, type, min, max
    ("sz-leader-entrepreneur", ProgramType.PROJECT_GRANT, 1 * M, 5 * M),
    ("sz-leader-innovation", ProgramType.PROJECT_GRANT, 1 * M, 2 * M),
    ("sz-major-innovation-team", ProgramType.PROJECT_GRANT, 10 * M, 50 * M),
    ("sz-young-talent", ProgramType.PROJECT_GRANT, M / 2, 2 * M),
    ("sz-leader-settlement", ProgramType.TALENT_SUBSIDY, 1 * M, 3 * M),
]


def test_every_seeded_programme_is_named_in_three_scripts():
    programs = list(FundingProgram.objects.all())
    assert {p.code for p in programs} == {
        "raise-plus",
        *(code for code, *_ in SUZHOU_TIERS),
        "sz-hk-matching-frontier",
        "sz-hk-matching-platform",
        "sz-hk-crossborder-fund",
    }
    for program in programs:
        assert all([program.name, program.name_zh_hant, program.name_en]), program.code
        assert program.active, program.code
        assert program.description, program.code


def test_raise_plus_is_a_hong_kong_grant_in_hkd():
    program = FundingProgram.objects.get(code="raise-plus")
    assert (program.program_type, program.funder) == (ProgramType.HK_GRANT, Funder.HK_GOVERNMENT)
    assert "Innovation and Technology Commission" in program.funder_name
    [version] = program.versions.all()
    assert (version.currency, version.min_amount, version.max_amount) == ("HKD", 10 * M, 100 * M)
    # Held, never applied for here: no batches, no rules.
    assert not version.windows.exists()
    assert not version.rules.exists()


@pytest.mark.parametrize(("code", "program_type", "minimum", "maximum"), SUZHOU_TIERS)
def test_each_suzhou_tier_has_a_2026_version_with_its_batch(code, program_type, minimum, maximum):
    program = FundingProgram.objects.select_related("lead_pass", "milestone_template").get(code=code)
    assert (program.program_type, program.funder, program.lead_pass.code) == (
        program_type,
        Funder.CITY,
        "talent",
    )
    assert program.name.startswith("苏州创新创业领军人才计划")
    # An application completes the talent pass's programme line; the subsidy its disbursement line.
    assert program.milestone_template.code == ("T6" if program_type == ProgramType.TALENT_SUBSIDY else "T5")
    version = program.versions.get(year=2026)
    assert (version.currency, version.min_amount, version.max_amount) == ("CNY", minimum, maximum)
    [window] = version.windows.all()
    assert (window.opens_on, window.closes_on) == (dt.date(2026, 3, 1), dt.date(2026, 4, 30))


@pytest.mark.parametrize("code", ["sz-leader-entrepreneur", "sz-major-innovation-team"])
def test_the_founder_tiers_carry_the_three_rules_of_the_plan(code):
    version = ProgramVersion.objects.get(program__code=code, year=2026)
    rules = {(r.field, r.operator, r.threshold, r.threshold_currency) for r in version.rules.all()}
    assert rules == {
        ("founder_equity_percent", "gte", Decimal(20), ""),
        ("paid_in_cash", "gte", 1 * M, "CNY"),
        ("registered_on", "in_window", None, ""),
    }


def test_the_matching_package_is_two_programmes_with_the_briefs_caps():
    caps = {}
    for version in ProgramVersion.objects.filter(program__program_type=ProgramType.MATCHING):
        assert (version.year, version.currency, version.matching_ratio) == (2026, "CNY", Decimal(1))
        assert version.windows.count() == 1
        caps[version.program.code] = (version.matching_cap, version.max_amount)
    assert caps == {
        "sz-hk-matching-frontier": (50 * M, 50 * M),
        "sz-hk-matching-platform": (100 * M, 100 * M),
    }


def test_the_cross_border_fund_is_a_fund_without_yearly_terms():
    fund = FundingProgram.objects.get(code="sz-hk-crossborder-fund")
    assert (fund.program_type, fund.funder) == (ProgramType.FUND_INVESTMENT, Funder.FUND)
    assert not fund.versions.exists()


def test_every_seeded_rule_is_one_the_whitelist_accepts():
    rules = list(EligibilityRule.objects.all())
    assert len(rules) == 8
    for rule in rules:
        check_rule(
            field=rule.field,
            operator=rule.operator,
            threshold=rule.threshold,
            threshold_currency=rule.threshold_currency,
        )


def test_the_seeded_rules_explain_what_a_lead_is_missing():
    officer = join(make_user(username="seed_officer"), make_unit("香港合作处"))
    lead = make_lead(
        owner=officer,
        unit=officer.memberships.get().unit,
        paid_in_cash=Decimal("600000"),
        paid_in_currency="CNY",
        founder_equity_percent=Decimal("35"),
        registered_on=dt.date(2026, 3, 5),
    )
    version = ProgramVersion.objects.get(program__code="sz-leader-entrepreneur", year=2026)
    result = evaluate(lead=lead, version=version, on=dt.date(2026, 3, 20))
    met = {r.rule.field: r.met for r in result.results}
    assert met == {"founder_equity_percent": True, "paid_in_cash": False, "registered_on": True}
    assert not result.eligible


def test_seeding_again_changes_nothing():
    migration = importlib.import_module("funding.migrations.0002_seed_programmes")
    counts = [model.objects.count() for model in (FundingProgram, ProgramVersion, EligibilityRule)]
    migration.seed(apps, None)
    assert [model.objects.count() for model in (FundingProgram, ProgramVersion, EligibilityRule)] == counts


def test_the_demo_puts_money_on_the_seeded_programmes_through_the_services(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path  # the lead demo uploads its PDFs
    call_command("seed_demo", leads=20, seed=2026, today=dt.date(2026, 11, 1), stdout=StringIO())
    statuses = set(FundingApplication.objects.values_list("status", flat=True))
    assert {Status.DRAFT, Status.SUBMITTED, Status.DISBURSING, Status.REJECTED, Status.CLOSED} <= statuses
    # The matching application counts the RAISe+ grant its lead holds.
    matching = FundingApplication.objects.get(version__program__code="sz-hk-matching-frontier")
    assert FundingApplication.objects.filter(
        lead=matching.lead, version__program__code="raise-plus", status=Status.APPROVED
    ).exists()
    assert "RAISe+" in matching.matching_basis
    # What the services allow: paid within approved, every paid tranche dated by today.
    for application in FundingApplication.objects.exclude(approved_amount=None):
        paid = [t for t in application.tranches.all() if t.paid_on]
        assert sum(t.amount for t in paid) <= application.approved_amount
        assert all(t.paid_on <= dt.date(2026, 11, 1) for t in paid)
    assert set(ExchangeRate.objects.values_list("currency", flat=True)) == {"HKD", "USD"}
    assert FundCommitment.objects.count() == 2
    assert CapitalCall.objects.filter(paid_on=None).count() == 2
    assert FundInvestment.objects.exists()
