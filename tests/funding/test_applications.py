"""Applications through their statuses, each move a history row; caps, windows and tranches enforced with
clear messages; Hong Kong grants held by a lead, and the matching computed from them across currencies."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from core.errors import ApplicationError, IllegalStateError
from directory.models import Organization
from funding import services
from funding.models import FundingApplication, ProgramType
from projects import services as lead_services
from projects.models import Document
from tests.factories import make_organization
from tests.funding.conftest import (
    CLOSES,
    DECIDED,
    OPENS,
    SUBMITTED,
    M,
    approved_application,
    first_window,
    make_program,
)

pytestmark = pytest.mark.django_db
Status = FundingApplication.Status


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def statuses(application: FundingApplication) -> list[str]:
    """The status of each history row, oldest first."""
    return [row.status for row in application.history.order_by("history_date", "history_id")]


def upload(lead, actor) -> Document:
    pdf = SimpleUploadedFile("批复.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")
    return lead_services.document_upload(actor=actor, lead=lead, file=pdf, title="批复")


# --- Drafts and submission -----------------------------------------------------------------------------------


def test_a_draft_is_in_the_versions_currency_and_attaches_its_document(world, talent_plan):
    document = upload(world.lead_a, world.officer_a)
    application = services.application_create(
        actor=world.officer_a,
        lead=world.lead_a,
        version=talent_plan,
        requested_amount=20 * M,
        document=document,
    )

    assert (application.status, application.currency, application.created_by) == (
        Status.DRAFT,
        "CNY",
        world.officer_a,
    )
    document.refresh_from_db()
    assert document.attached
    assert statuses(application) == [Status.DRAFT]
    assert application.history.first().history_user == world.officer_a


def test_a_document_of_another_lead_cannot_be_cited(world, talent_plan):
    other = upload(world.lead_b, world.officer_b)
    with pytest.raises(ApplicationError) as error:
        services.application_create(
            actor=world.officer_a, lead=world.lead_a, version=talent_plan, document=other
        )
    assert error.value.message == "Only documents uploaded to this lead can be cited."
    assert error.value.field == "document"
    assert not FundingApplication.objects.exists()


def test_a_request_above_the_cap_is_refused(world, talent_plan):
    with pytest.raises(ApplicationError) as error:
        services.application_create(
            actor=world.officer_a, lead=world.lead_a, version=talent_plan, requested_amount=60 * M
        )
    assert (
        error.value.message == "The requested amount 60,000,000.00 CNY is above the cap of 50,000,000.00 CNY."
    )


def test_a_hong_kong_grant_is_recorded_not_applied_for(world, raise_plus):
    with pytest.raises(ApplicationError) as error:
        services.application_create(actor=world.officer_a, lead=world.lead_a, version=raise_plus)
    assert error.value.message == "A Hong Kong grant the lead holds is recorded as a grant, not applied for."


def test_submission_takes_the_batch_open_that_day(world, talent_plan):
    application = services.application_create(
        actor=world.officer_a, lead=world.lead_a, version=talent_plan, requested_amount=20 * M
    )
    services.application_submit(actor=world.officer_a, application=application, submitted_on=SUBMITTED)

    application.refresh_from_db()
    assert (application.status, application.submitted_on) == (Status.SUBMITTED, SUBMITTED)
    assert application.window == first_window(talent_plan)
    assert statuses(application) == [Status.DRAFT, Status.SUBMITTED]


def test_a_version_outside_its_window_takes_no_submission(world, talent_plan):
    application = services.application_create(
        actor=world.officer_a, lead=world.lead_a, version=talent_plan, requested_amount=20 * M
    )
    with pytest.raises(ApplicationError) as error:
        services.application_submit(
            actor=world.officer_a, application=application, submitted_on=dt.date(2026, 6, 1)
        )
    assert error.value.message == (
        "Suzhou Leading Talent Plan 2026 takes no applications on 2026-06-01. "
        "Its batches: 第一批 2026-03-01 – 2026-04-30; 第二批 2026-09-01 – 2026-10-31."
    )
    assert error.value.field == "submitted_on"
    application.refresh_from_db()
    assert application.status == Status.DRAFT
    assert application.history.count() == 1


def test_a_chosen_batch_must_be_open_on_the_day(world, talent_plan):
    second = talent_plan.windows.get(batch="第二批")
    application = services.application_create(
        actor=world.officer_a, lead=world.lead_a, version=talent_plan, window=second, requested_amount=20 * M
    )
    with pytest.raises(ApplicationError) as error:
        services.application_submit(actor=world.officer_a, application=application, submitted_on=SUBMITTED)
    assert error.value.message == (
        "Suzhou Leading Talent Plan 2026 takes no applications on 2026-03-10. "
        "Its batches: 第二批 2026-09-01 – 2026-10-31."
    )


def test_a_version_without_batches_takes_no_submission(world):
    program = make_program(world.admin, "t-rent", ProgramType.RENT_EQUIPMENT, name_en="Rent subsidy")
    version = services.version_create(actor=world.admin, program=program, year=2026, currency="CNY")
    application = services.application_create(
        actor=world.officer_a, lead=world.lead_a, version=version, requested_amount=M
    )
    with pytest.raises(ApplicationError) as error:
        services.application_submit(actor=world.officer_a, application=application, submitted_on=SUBMITTED)
    assert error.value.message == (
        "Rent subsidy 2026 has no application window: add its batches before submitting."
    )


def test_only_a_draft_is_submitted_or_changes_its_amount(world, talent_plan):
    application = approved_application(world, talent_plan)
    with pytest.raises(IllegalStateError) as error:
        services.application_submit(actor=world.officer_a, application=application, submitted_on=SUBMITTED)
    assert error.value.message == "Only a draft can be submitted; this application is Approved."
    with pytest.raises(IllegalStateError) as error:
        services.application_update(actor=world.officer_a, application=application, requested_amount=M)
    assert error.value.message == (
        "The amount and batch change only while the application is a draft; it is Approved."
    )
    # Clawback conditions are written after approval.
    services.application_update(
        actor=world.officer_a, application=application, clawback_note="三年内迁出须退回"
    )
    application.refresh_from_db()
    assert application.clawback_note == "三年内迁出须退回"


# --- Decisions -----------------------------------------------------------------------------------------------


def submitted(world, version, amount=60 * M) -> FundingApplication:
    application = services.application_create(
        actor=world.officer_a, lead=world.lead_a, version=version, requested_amount=min(amount, 50 * M)
    )
    return services.application_submit(actor=world.officer_a, application=application, submitted_on=SUBMITTED)


def test_an_approval_above_the_cap_is_refused(world, talent_plan):
    application = submitted(world, talent_plan)
    with pytest.raises(ApplicationError) as error:
        services.application_approve(
            actor=world.manager_a, application=application, approved_amount=60 * M, decision_date=DECIDED
        )
    assert (
        error.value.message == "The approved amount 60,000,000.00 CNY is above the cap of 50,000,000.00 CNY."
    )
    assert error.value.field == "approved_amount"
    application.refresh_from_db()
    assert (application.status, application.approved_amount) == (Status.SUBMITTED, None)


def test_an_approval_within_the_cap_is_recorded_with_its_history(world, talent_plan):
    application = submitted(world, talent_plan)
    services.application_approve(
        actor=world.manager_a, application=application, approved_amount=50 * M, decision_date=DECIDED
    )
    application.refresh_from_db()
    assert (application.status, application.approved_amount, application.decision_date) == (
        Status.APPROVED,
        50 * M,
        DECIDED,
    )
    assert application.history.count() == 3
    latest = application.history.first()
    assert (latest.status, latest.history_user) == (Status.APPROVED, world.manager_a)


@pytest.mark.parametrize(
    ("decision_date", "message"),
    [
        (dt.date(2026, 3, 9), "The decision date cannot be before the submission on 2026-03-10."),
        (dt.date(2099, 1, 1), "This date cannot be in the future."),
    ],
)
def test_a_decision_date_out_of_order_is_refused(world, talent_plan, decision_date, message):
    application = submitted(world, talent_plan)
    with pytest.raises(ApplicationError) as error:
        services.application_approve(
            actor=world.manager_a, application=application, approved_amount=M, decision_date=decision_date
        )
    assert error.value.message == message


def test_a_rejection_keeps_its_reason_in_history(world, talent_plan):
    application = submitted(world, talent_plan)
    services.application_reject(
        actor=world.manager_a, application=application, decision_date=DECIDED, note="实缴资本不足"
    )
    application.refresh_from_db()
    assert application.status == Status.REJECTED
    assert statuses(application) == [Status.DRAFT, Status.SUBMITTED, Status.REJECTED]
    assert application.history.first().history_change_reason == "实缴资本不足"
    with pytest.raises(IllegalStateError) as error:
        services.application_approve(
            actor=world.manager_a, application=application, approved_amount=M, decision_date=DECIDED
        )
    assert error.value.message == "Only a submitted application can be approved; this one is Rejected."


# --- Tranches ------------------------------------------------------------------------------------------------


def test_a_tranche_before_approval_is_refused(world, talent_plan):
    application = submitted(world, talent_plan)
    with pytest.raises(IllegalStateError) as error:
        services.tranche_plan(actor=world.manager_a, application=application, planned_on=DECIDED, amount=M)
    assert (
        error.value.message == "Tranches can be planned only after approval; this application is Submitted."
    )
    assert not application.tranches.exists()


def test_tranches_never_total_more_than_approved(world, talent_plan):
    application = approved_application(world, talent_plan, amount=5 * M)
    services.tranche_plan(actor=world.manager_a, application=application, planned_on=DECIDED, amount=3 * M)
    with pytest.raises(ApplicationError) as error:
        services.tranche_plan(
            actor=world.manager_a, application=application, planned_on=dt.date(2026, 6, 1), amount=3 * M
        )
    assert (
        error.value.message
        == "The tranches would total 6,000,000.00 CNY, above the approved 5,000,000.00 CNY."
    )
    with pytest.raises(ApplicationError) as error:
        services.tranche_plan(
            actor=world.manager_a, application=application, planned_on=dt.date(2026, 3, 19), amount=M
        )
    assert error.value.message == "A tranche cannot fall before the decision on 2026-03-20."
    assert application.tranches.count() == 1


def test_a_disbursement_above_the_approval_is_refused(world, talent_plan):
    application = approved_application(world, talent_plan, amount=5 * M)
    first = services.tranche_plan(
        actor=world.manager_a, application=application, planned_on=DECIDED, amount=3 * M
    )
    services.tranche_plan(
        actor=world.manager_a, application=application, planned_on=dt.date(2026, 6, 1), amount=2 * M
    )

    # The bank paid more than planned: refused, since the payments would pass the approved amount.
    with pytest.raises(ApplicationError) as error:
        services.tranche_pay(actor=world.manager_a, tranche=first, paid_on=DECIDED, amount=Decimal("5500000"))
    assert error.value.message == (
        "The disbursed total would be 5,500,000.00 CNY, above the approved 5,000,000.00 CNY."
    )
    first.refresh_from_db()
    assert (first.paid_on, first.amount) == (None, 3 * M)
    application.refresh_from_db()
    assert application.status == Status.APPROVED


def test_paying_a_tranche_starts_disbursing_and_closing_needs_every_tranche_settled(world, talent_plan):
    application = approved_application(world, talent_plan, amount=5 * M)
    first = services.tranche_plan(
        actor=world.manager_a, application=application, planned_on=DECIDED, amount=3 * M
    )
    second = services.tranche_plan(
        actor=world.manager_a, application=application, planned_on=dt.date(2026, 6, 1), amount=2 * M
    )
    services.tranche_pay(actor=world.manager_a, tranche=first, paid_on=dt.date(2026, 4, 1))

    application.refresh_from_db()
    assert application.status == Status.DISBURSING
    assert statuses(application) == [Status.DRAFT, Status.SUBMITTED, Status.APPROVED, Status.DISBURSING]
    assert [row.paid_on for row in first.history.order_by("history_date")] == [None, dt.date(2026, 4, 1)]
    with pytest.raises(IllegalStateError) as error:
        services.tranche_pay(actor=world.manager_a, tranche=first, paid_on=dt.date(2026, 4, 2))
    assert error.value.message == "This tranche was paid on 2026-04-01."

    with pytest.raises(IllegalStateError) as error:
        services.application_close(
            actor=world.manager_a, application=application, closed_on=dt.date(2026, 7, 1)
        )
    assert error.value.message == (
        "1 planned tranche(s) are not paid: record their payment or cancel them before closing."
    )
    services.tranche_cancel(actor=world.manager_a, tranche=second)
    services.application_close(actor=world.manager_a, application=application, closed_on=dt.date(2026, 7, 1))
    application.refresh_from_db()
    assert (application.status, application.closed_on) == (Status.CLOSED, dt.date(2026, 7, 1))
    assert application.history.count() == 5
    assert application.history.first().status == Status.CLOSED


# --- Hong Kong grants and matching ---------------------------------------------------------------------------


def test_a_hong_kong_grant_is_recorded_approved(world, raise_plus, talent_plan):
    grant = services.hk_grant_record(
        actor=world.officer_a,
        lead=world.lead_a,
        version=raise_plus,
        approved_amount=20 * M,
        decision_date=dt.date(2025, 11, 3),
    )
    assert (grant.status, grant.currency, grant.approved_amount) == (Status.APPROVED, "HKD", 20 * M)
    assert statuses(grant) == [Status.APPROVED]
    with pytest.raises(ApplicationError) as error:
        services.hk_grant_record(
            actor=world.officer_a,
            lead=world.lead_a,
            version=talent_plan,
            approved_amount=M,
            decision_date=DECIDED,
        )
    assert error.value.message == "Suzhou Leading Talent Plan is not a Hong Kong grant programme."


def test_matching_converts_hong_kong_grants_at_the_decision_dates_rate(world, raise_plus, matching, rates):
    services.hk_grant_record(
        actor=world.officer_a,
        lead=world.lead_a,
        version=raise_plus,
        approved_amount=10 * M,
        decision_date=dt.date(2025, 11, 3),
    )
    result = services.matching_amount(lead=world.lead_a, version=matching, on=DECIDED)

    assert (result.amount, result.currency) == (Decimal("9200000.00"), "CNY")
    assert result.basis == (
        "RAISe+ 2024 (2025-11-03): 10,000,000.00 HKD = 9,200,000.00 CNY at 1 HKD = 0.92 CNY (2026-03-02); "
        "Matching 1 × 9,200,000.00 CNY = 9,200,000.00 CNY; within the cap of 50,000,000.00 CNY."
    )

    application = submitted(world, matching, amount=10 * M)
    with pytest.raises(ApplicationError) as error:
        services.application_approve(
            actor=world.manager_a, application=application, approved_amount=10 * M, decision_date=DECIDED
        )
    assert error.value.message == (
        "The approved amount 10,000,000.00 CNY is above the matching amount of 9,200,000.00 CNY. "
        + result.basis
    )
    services.application_approve(
        actor=world.manager_a,
        application=application,
        approved_amount=Decimal("9200000"),
        decision_date=DECIDED,
        matching_basis="经专题会研究",
    )
    application.refresh_from_db()
    assert application.matching_basis == "经专题会研究\n" + result.basis


def test_matching_is_capped(world, raise_plus, matching, rates):
    services.hk_grant_record(
        actor=world.officer_a,
        lead=world.lead_a,
        version=raise_plus,
        approved_amount=100 * M,
        decision_date=dt.date(2025, 11, 3),
    )
    services.hk_grant_record(
        actor=world.officer_a,
        lead=world.lead_a,
        version=services.version_create(
            actor=world.admin, program=raise_plus.program, year=2025, currency="HKD", max_amount=100 * M
        ),
        approved_amount=20 * M,
        decision_date=dt.date(2026, 1, 5),
    )
    result = services.matching_amount(lead=world.lead_a, version=matching, on=DECIDED)
    assert result.amount == 50 * M
    assert result.basis == (
        "RAISe+ 2024 (2025-11-03): 100,000,000.00 HKD = 92,000,000.00 CNY at 1 HKD = 0.92 CNY (2026-03-02); "
        "RAISe+ 2025 (2026-01-05): 20,000,000.00 HKD = 18,400,000.00 CNY at 1 HKD = 0.92 CNY (2026-03-02); "
        "Matching 1 × 110,400,000.00 CNY = 110,400,000.00 CNY; capped at 50,000,000.00 CNY."
    )
    # A grant decided after the date does not count yet; each date converts at its own rate.
    services.exchange_rate_set(currency="HKD", date=dt.date(2025, 11, 28), rate_to_cny=Decimal("0.4"))
    early = services.matching_amount(lead=world.lead_a, version=matching, on=dt.date(2025, 12, 1))
    assert early.amount == 40 * M
    assert "RAISe+ 2025" not in early.basis
    assert "1 HKD = 0.4 CNY (2025-11-28)" in early.basis


def test_matching_without_a_rate_is_an_error(world, raise_plus, matching):
    services.hk_grant_record(
        actor=world.officer_a,
        lead=world.lead_a,
        version=raise_plus,
        approved_amount=10 * M,
        decision_date=dt.date(2025, 11, 3),
    )
    application = submitted(world, matching, amount=5 * M)
    with pytest.raises(ApplicationError) as error:
        services.application_approve(
            actor=world.manager_a, application=application, approved_amount=5 * M, decision_date=DECIDED
        )
    assert error.value.message == "No HKD rate on or before 2026-03-20: add it under Exchange rates."
    application.refresh_from_db()
    assert application.status == Status.SUBMITTED


def test_no_grant_no_matching(world, matching):
    result = services.matching_amount(lead=world.lead_a, version=matching, on=DECIDED)
    assert result.amount == 0
    assert result.basis == "No Hong Kong grant of this lead was approved by 2026-03-20."


# --- Programmes, versions and rules --------------------------------------------------------------------------


def test_a_rule_naming_a_field_off_the_whitelist_is_refused(world, talent_plan):
    with pytest.raises(ApplicationError) as error:
        services.rule_create(
            actor=world.admin, version=talent_plan, field="owner__password", operator="filled"
        )
    assert error.value.message == (
        "“owner__password” is not a lead field rules may use. Use one of: paid_in_cash, registered_capital, "
        "expected_investment, founder_equity_percent, headcount_now, rnd_staff_count, hk_staff_count, trl, "
        "registered_on."
    )
    assert error.value.field == "field"
    assert talent_plan.rules.count() == 3


@pytest.mark.parametrize(
    ("fields", "message", "field"),
    [
        (
            {"field": "paid_in_cash", "operator": "in_window"},
            "“within the application window” does not fit paid-in cash. "
            "Use one of: at least, more than, at most, less than, is recorded.",
            "operator",
        ),
        (
            {"field": "paid_in_cash", "operator": "gte", "threshold": M},
            "A rule on paid-in cash needs the threshold's currency.",
            "threshold_currency",
        ),
        (
            {"field": "founder_equity_percent", "operator": "gte"},
            "A rule “at least” needs a threshold.",
            "threshold",
        ),
        (
            {"field": "founder_equity_percent", "operator": "gte", "threshold": Decimal(120)},
            "120 is not a possible value of founder equity.",
            "threshold",
        ),
        (
            {"field": "trl", "operator": "gte", "threshold": Decimal(6), "threshold_currency": "CNY"},
            "Only a money threshold takes a currency; leave it empty for TRL.",
            "threshold_currency",
        ),
    ],
)
def test_a_rule_that_cannot_be_evaluated_is_refused(world, talent_plan, fields, message, field):
    with pytest.raises(ApplicationError) as error:
        services.rule_create(actor=world.admin, version=talent_plan, **fields)
    assert (error.value.message, error.value.field) == (message, field)


def test_versions_check_their_amounts_and_windows_their_dates(world, talent_plan):
    program = talent_plan.program
    with pytest.raises(ApplicationError) as error:
        services.version_create(actor=world.admin, program=program, year=2027, min_amount=5 * M, max_amount=M)
    assert error.value.message == "The minimum amount 5,000,000.00 CNY is above the cap of 1,000,000.00 CNY."
    with pytest.raises(ApplicationError) as error:
        services.version_create(actor=world.admin, program=program, year=2026)
    assert error.value.message == "Suzhou Leading Talent Plan already has a version for 2026."
    with pytest.raises(ApplicationError) as error:
        services.version_create(actor=world.admin, program=program, year=2027, matching_ratio=Decimal(1))
    assert error.value.message == "Only a matching programme takes a matching ratio and cap."
    with pytest.raises(ApplicationError) as error:
        services.window_create(
            actor=world.admin, version=talent_plan, batch="第三批", opens_on=CLOSES, closes_on=OPENS
        )
    assert error.value.message == "The batch closes on 2026-03-01, before it opens on 2026-04-30."
    with pytest.raises(ApplicationError) as error:
        services.window_create(
            actor=world.admin, version=talent_plan, batch="第一批", opens_on=OPENS, closes_on=CLOSES
        )
    assert error.value.message == "This version already has a batch “第一批”."


def test_a_matching_programme_needs_its_ratio(world):
    program = make_program(world.admin, "t-m2", ProgramType.MATCHING)
    with pytest.raises(ApplicationError) as error:
        services.version_create(actor=world.admin, program=program, year=2026)
    assert error.value.message == "A matching programme needs its matching ratio (1 for 1:1)."


def test_the_type_of_a_programme_with_applications_is_fixed(world, talent_plan):
    approved_application(world, talent_plan)
    with pytest.raises(IllegalStateError):
        services.program_update(
            actor=world.admin, program=talent_plan.program, program_type=ProgramType.AWARD
        )
    services.program_update(actor=world.admin, program=talent_plan.program, name_en="Leading Talent")
    talent_plan.program.refresh_from_db()
    assert talent_plan.program.name_en == "Leading Talent"


# --- The fund ------------------------------------------------------------------------------------------------


def test_capital_calls_never_pass_the_commitment(world):
    fund = make_program(world.admin, "t-fund", ProgramType.FUND_INVESTMENT, funder="fund")
    investor = make_organization("HKSTP", "香港科技园公司")
    commitment = services.commitment_create(
        actor=world.admin,
        fund=fund,
        investor=investor,
        committed_on=dt.date(2026, 1, 10),
        amount=100 * M,
        currency="HKD",
    )
    services.capital_call(
        actor=world.admin, commitment=commitment, called_on=dt.date(2026, 2, 1), amount=60 * M
    )
    with pytest.raises(ApplicationError) as error:
        services.capital_call(
            actor=world.admin, commitment=commitment, called_on=dt.date(2026, 3, 1), amount=50 * M
        )
    assert error.value.message == (
        "The calls would total 110,000,000.00 HKD, above the commitment of 100,000,000.00 HKD."
    )
    investment = services.investment_create(
        actor=world.admin,
        fund=fund,
        lead=world.lead_a,
        invested_on=dt.date(2026, 4, 1),
        amount=20 * M,
        currency="CNY",
    )
    assert investment.history.count() == 1
    with pytest.raises(ApplicationError) as error:
        services.commitment_create(
            actor=world.admin,
            fund=make_program(world.admin, "t-award", ProgramType.AWARD, name_en="Referral award"),
            investor=Organization.objects.get(abbreviation="HKSTP"),
            committed_on=dt.date(2026, 1, 10),
            amount=M,
            currency="CNY",
        )
    assert error.value.message == "Referral award is not a fund."
