"""The funding admin: lists that cost the same at 2 and 20 rows, applications scoped through their leads, each
move made on its own page through its service (with its history row), approval kept to managers, rules saved
through rule_create so the whitelist's message reaches the user, rates through exchange_rate_set."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from accounts.roles import Role
from funding import services
from funding.models import (
    EligibilityRule,
    ExchangeRate,
    FundingApplication,
    FundingProgram,
    ProgramType,
    Tranche,
)
from tests.factories import join, make_lead, make_user
from tests.funding.conftest import DECIDED, SUBMITTED, M, approved_application, make_program
from tests.projects.conftest import form_data

pytestmark = pytest.mark.django_db
Status = FundingApplication.Status


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def client_as(user) -> Client:
    """Messages are asserted in English, the msgid language, whatever the catalogs say."""
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def url(model: str, name: str, *args) -> str:
    return reverse(f"admin:funding_{model}_{name}", args=args)


def app_url(name: str, *args) -> str:
    return url("fundingapplication", name, *args)


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


@pytest.fixture
def submitted(world, talent_plan) -> FundingApplication:
    application = services.application_create(
        actor=world.officer_a, lead=world.lead_a, version=talent_plan, requested_amount=20 * M
    )
    return services.application_submit(actor=world.officer_a, application=application, submitted_on=SUBMITTED)


# --- Lists that cost the same however many rows they show --------------------------------------------------------


def paid_and_planned(world, application: FundingApplication) -> None:
    """Two tranches: one paid, one still planned."""
    first = services.tranche_plan(
        actor=world.officer_a, application=application, planned_on=DECIDED + dt.timedelta(days=5), amount=M
    )
    services.tranche_plan(
        actor=world.officer_a, application=application, planned_on=DECIDED + dt.timedelta(days=40), amount=M
    )
    services.tranche_pay(actor=world.officer_a, tranche=first, paid_on=DECIDED + dt.timedelta(days=6))


@pytest.mark.parametrize("rows", [2, 20])
def test_the_application_list_costs_the_same_at_2_and_20_rows(
    django_assert_num_queries, world, talent_plan, rows
):
    for index in range(rows):
        lead = make_lead(owner=world.officer_a, unit=world.unit_a, name=f"港校团队{index:02d}")
        paid_and_planned(world, approved_application(world, talent_plan, amount=2 * M, lead=lead))
    client = client_as(world.officer_a)
    # 1 session, 2 user, 3 the user's permissions, 4 their groups' permissions, 5 the manager-role check (is
    # the approve action offered), 6 administrator-group check, 7 memberships (the scope), 8 the programmes and
    # 9 the visible units (filter choices), 10 COUNT of the scoped rows, 11 the page of applications joined
    # with lead, version, programme and batch, their paid tranches summed in a subquery, 12 the versions'
    # distinct years (filter choices). Nothing is read per row.
    with django_assert_num_queries(12):
        response = client.get(app_url("changelist"))
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == rows
    assert "CNY 2 million" in response.content.decode()  # approved, in the reader's units
    assert "CNY 1 million" in response.content.decode()  # paid so far


@pytest.mark.parametrize("rows", [2, 20])
def test_the_programme_list_costs_the_same_at_2_and_20_rows(django_assert_num_queries, world, rows):
    FundingProgram.objects.all().delete()  # the seeded programmes; this test counts its own
    for index in range(rows):
        program = make_program(world.admin, f"p{index:02d}", ProgramType.PROJECT_GRANT, name=f"计划{index}")
        for year in (2025, 2026):
            services.version_create(
                actor=world.admin, program=program, year=year, currency="CNY", min_amount=M, max_amount=5 * M
            )
    client = client_as(world.officer_a)
    # 1 session, 2 user, 3 the user's permissions, 4 their groups' permissions, 5 the passes (filter choices),
    # 6 COUNT of the filtered rows, 7 COUNT of all rows, 8 the page of programmes joined with their pass, with
    # the versions counted and the latest version's terms read in subqueries.
    with django_assert_num_queries(8):
        response = client.get(url("fundingprogram", "changelist"))
    assert len(response.context["cl"].result_list) == rows
    assert "2026: CNY 1 million – CNY 5 million" in response.content.decode()


# --- Scope and roles -----------------------------------------------------------------------------------------


def test_an_application_is_seen_by_its_leads_unit_and_is_404_to_another_unit(world, submitted):
    pages = [
        app_url("change", submitted.pk),
        app_url("history", submitted.pk),
        app_url("reject", submitted.pk),
    ]
    for page in pages:
        assert client_as(world.officer_a).get(page).status_code == 200
        assert client_as(world.officer_b).get(page).status_code == 404
    listed = client_as(world.officer_b).get(app_url("changelist")).context["cl"].result_list
    assert list(listed) == []


def test_the_tranche_list_is_scoped_through_the_application(world, talent_plan):
    paid_and_planned(world, approved_application(world, talent_plan, amount=2 * M))
    tranche = Tranche.objects.first()
    assert client_as(world.officer_a).get(url("tranche", "change", tranche.pk)).status_code == 200
    assert client_as(world.officer_b).get(url("tranche", "change", tranche.pk)).status_code == 404


def test_a_report_viewer_cannot_open_the_funding_admin(world, submitted):
    viewer = join(make_user(Role.REPORT_VIEWER, username="viewer"), world.unit_a)
    # Not staff: the admin sends them to its login page.
    response = client_as(viewer).get(app_url("changelist"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))
    # Even let into the admin, the role holds no funding permission: 403, before any lookup.
    viewer.is_staff = True
    viewer.save(update_fields=["is_staff"])
    client = client_as(viewer)
    for page in [
        app_url("changelist"),
        app_url("change", submitted.pk),
        app_url("approve", submitted.pk),
        app_url("submit", 999999),
        url("fundingprogram", "changelist"),
        url("exchangerate", "changelist"),
    ]:
        assert client.get(page).status_code == 403, page


def test_officers_read_the_reference_data_but_do_not_change_it(world):
    client = client_as(world.officer_a)
    program = FundingProgram.objects.get(code="sz-leader-entrepreneur")
    assert client.get(url("fundingprogram", "changelist")).status_code == 200
    response = client.get(url("fundingprogram", "change", program.pk))
    assert response.status_code == 200
    assert response.context["has_change_permission"] is False
    assert client.get(url("exchangerate", "add")).status_code == 403
    assert client.get(url("fundcommitment", "changelist")).status_code == 403


# --- Moves through the services -------------------------------------------------------------------------------


def test_approving_is_kept_to_managers(world, submitted):
    officer = client_as(world.officer_a)
    assert officer.get(app_url("approve", submitted.pk)).status_code == 403
    tools = [
        label for _url, label in officer.get(app_url("change", submitted.pk)).context["application_tools"]
    ]
    assert tools == ["Reject"]
    changelist = officer.get(app_url("changelist"))
    assert "approve_application" not in dict(changelist.context["action_form"].fields["action"].choices)
    manager = client_as(world.manager_a)
    tools = [
        label for _url, label in manager.get(app_url("change", submitted.pk)).context["application_tools"]
    ]
    assert tools == ["Approve", "Reject"]


def test_approving_writes_the_decision_and_a_history_row(world, submitted):
    response = client_as(world.manager_a).post(
        app_url("approve", submitted.pk),
        {"approved_amount": "1800万", "decision_date": DECIDED.isoformat(), "matching_basis": ""},
        follow=True,
    )
    assert response.redirect_chain == [(app_url("change", submitted.pk), 302)]
    submitted.refresh_from_db()
    assert (submitted.status, submitted.approved_amount, submitted.decision_date) == (
        Status.APPROVED,
        18 * M,
        DECIDED,
    )
    history = list(submitted.history.order_by("history_date", "history_id"))
    assert [(row.status, row.history_user) for row in history] == [
        (Status.DRAFT, world.officer_a),
        (Status.SUBMITTED, world.officer_a),
        (Status.APPROVED, world.manager_a),
    ]
    assert messages_of(response) == [f"{submitted} is approved: CNY 18 million."]


def test_an_approval_above_the_cap_is_refused_above_the_same_form(world, submitted):
    response = client_as(world.manager_a).post(
        app_url("approve", submitted.pk),
        {"approved_amount": "6000万", "decision_date": DECIDED.isoformat()},
    )
    assert response.status_code == 200  # the form again, with what was typed
    assert messages_of(response) == [
        "The approved amount 60,000,000.00 CNY is above the cap of 50,000,000.00 CNY."
    ]
    assert response.context["form"]["approved_amount"].value() == "6000万"
    submitted.refresh_from_db()
    assert submitted.status == Status.SUBMITTED
    assert submitted.history.count() == 2


def test_an_amount_in_another_currency_is_refused_by_the_form(world, submitted):
    response = client_as(world.manager_a).post(
        app_url("approve", submitted.pk), {"approved_amount": "HK$10m", "decision_date": DECIDED.isoformat()}
    )
    assert response.context["form"].errors == {"approved_amount": ["This amount is in HKD; enter it in CNY."]}
    submitted.refresh_from_db()
    assert submitted.status == Status.SUBMITTED


def test_a_draft_is_registered_and_submitted_from_the_admin(world, talent_plan):
    client = client_as(world.officer_a)
    response = client.post(
        app_url("add"),
        {
            "lead": world.lead_a.pk,
            "version": talent_plan.pk,
            "requested_amount": "2000万",
            "clawback_note": "",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    application = FundingApplication.objects.get(lead=world.lead_a)
    assert (application.status, application.requested_amount, application.created_by) == (
        Status.DRAFT,
        20 * M,
        world.officer_a,
    )
    response = client.post(
        app_url("submit", application.pk), {"submitted_on": SUBMITTED.isoformat()}, follow=True
    )
    application.refresh_from_db()
    assert (application.status, application.window.batch) == (Status.SUBMITTED, "第一批")
    assert messages_of(response)[-1] == f"{application} is submitted (batch: 第一批)."
    assert application.history.first().history_user == world.officer_a


def test_a_submission_outside_every_batch_names_the_batches(world, talent_plan):
    application = services.application_create(
        actor=world.officer_a, lead=world.lead_a, version=talent_plan, requested_amount=20 * M
    )
    response = client_as(world.officer_a).post(
        app_url("submit", application.pk), {"submitted_on": "2026-06-01"}
    )
    [message] = messages_of(response)
    assert "takes no applications on 2026-06-01" in message
    assert "第一批 2026-03-01 – 2026-04-30" in message
    application.refresh_from_db()
    assert application.status == Status.DRAFT


def test_tranches_are_planned_and_paid_from_the_application(world, talent_plan):
    application = approved_application(world, talent_plan, amount=2 * M)
    client = client_as(world.officer_a)
    planned_on = DECIDED + dt.timedelta(days=10)
    client.post(
        app_url("plan_tranche", application.pk),
        {"planned_on": planned_on.isoformat(), "amount": "150万", "note": ""},
    )
    tranche = Tranche.objects.get(application=application)
    assert tranche.amount == Decimal("1500000")
    page = client.get(app_url("change", application.pk))
    pay_url = app_url("pay_tranche", application.pk, tranche.pk)
    assert pay_url in page.content.decode()
    response = client.post(pay_url, {"paid_on": planned_on.isoformat()}, follow=True)
    assert messages_of(response) == [f"Tranche of CNY 1.5 million paid on {planned_on}."]
    application.refresh_from_db()
    tranche.refresh_from_db()
    assert (tranche.paid_on, application.status) == (planned_on, Status.DISBURSING)
    assert [row.history_user for row in tranche.history.all()] == [world.officer_a, world.officer_a]


def test_disbursing_above_the_approval_is_refused(world, talent_plan):
    application = approved_application(world, talent_plan, amount=2 * M)
    response = client_as(world.officer_a).post(
        app_url("plan_tranche", application.pk), {"planned_on": DECIDED.isoformat(), "amount": "300万"}
    )
    assert messages_of(response) == [
        "The tranches would total 3,000,000.00 CNY, above the approved 2,000,000.00 CNY."
    ]
    assert not Tranche.objects.exists()


def test_a_tranche_before_approval_is_refused(world, submitted):
    response = client_as(world.officer_a).post(
        app_url("plan_tranche", submitted.pk), {"planned_on": DECIDED.isoformat(), "amount": "100万"}
    )
    assert messages_of(response) == [
        "Tranches can be planned only after approval; this application is Submitted."
    ]


def test_rejecting_and_closing_write_their_history(world, submitted, talent_plan):
    client = client_as(world.officer_a)
    client.post(app_url("reject", submitted.pk), {"decision_date": DECIDED.isoformat(), "note": "材料不全"})
    submitted.refresh_from_db()
    assert submitted.status == Status.REJECTED
    assert submitted.history.first().history_change_reason == "材料不全"
    other = make_lead(owner=world.officer_a, unit=world.unit_a, name="港理工 光子芯片团队")
    approved = approved_application(world, talent_plan, amount=2 * M, lead=other)
    client.post(app_url("close", approved.pk), {"closed_on": DECIDED.isoformat()})
    approved.refresh_from_db()
    assert (approved.status, approved.closed_on) == (Status.CLOSED, DECIDED)
    assert approved.history.first().history_user == world.officer_a


def test_a_hong_kong_grant_is_recorded_from_the_list(world, raise_plus):
    client = client_as(world.officer_a)
    assert app_url("hk_grant") in client.get(app_url("changelist")).content.decode()
    response = client.post(
        app_url("hk_grant"),
        {
            "lead": world.lead_a.pk,
            "version": raise_plus.pk,
            "approved_amount": "HK$20m",
            "decision_date": DECIDED.isoformat(),
        },
    )
    grant = FundingApplication.objects.get(version=raise_plus)
    assert response.url == app_url("change", grant.pk)
    assert (grant.status, grant.approved_amount, grant.currency) == (Status.APPROVED, 20 * M, "HKD")
    # Another unit's lead is not offered, and cannot be posted.
    response = client_as(world.officer_b).post(
        app_url("hk_grant"),
        {
            "lead": world.lead_a.pk,
            "version": raise_plus.pk,
            "approved_amount": "HK$20m",
            "decision_date": "2026-03-20",
        },
    )
    assert "lead" in response.context["form"].errors


def test_the_approval_page_shows_the_matching_computation(world, matching, raise_plus, rates):
    services.hk_grant_record(
        actor=world.officer_a,
        lead=world.lead_a,
        version=raise_plus,
        approved_amount=20 * M,
        decision_date=DECIDED,
    )
    application = services.application_create(
        actor=world.officer_a, lead=world.lead_a, version=matching, requested_amount=10 * M
    )
    services.application_submit(actor=world.officer_a, application=application, submitted_on=SUBMITTED)
    client = client_as(world.manager_a)
    # Computed as of today (the form's default decision date): a stale rate is said, not guessed around.
    intro = client.get(app_url("approve", application.pk)).context["intro"]
    assert "add a newer one under Exchange rates" in intro
    today = timezone.localdate()
    services.exchange_rate_set(currency="HKD", date=today, rate_to_cny=Decimal("0.9"))
    intro = client.get(app_url("approve", application.pk)).context["intro"]
    assert f"Matching on {today}: CNY 18 million" in intro
    assert f"1 HKD = 0.9 CNY ({today})" in intro


# --- Reference data through the services ---------------------------------------------------------------------


def test_a_rule_on_a_field_off_the_whitelist_is_refused_with_its_message(world, talent_plan):
    client = client_as(world.admin)
    page = client.get(url("programversion", "change", talent_plan.pk))
    data = form_data(page)
    rows = int(data["rules-TOTAL_FORMS"])
    data.update(
        {
            "rules-TOTAL_FORMS": str(rows + 1),
            f"rules-{rows}-field": "owner",
            f"rules-{rows}-operator": "filled",
            f"rules-{rows}-threshold": "",
            f"rules-{rows}-threshold_currency": "",
            f"rules-{rows}-note": "",
        }
    )
    before = EligibilityRule.objects.count()
    response = client.post(url("programversion", "change", talent_plan.pk), data, follow=True)
    [message] = messages_of(response)
    assert message.startswith("“owner” is not a lead field rules may use. Use one of: paid_in_cash, ")
    assert EligibilityRule.objects.count() == before
    # The whitelist is offered on the page as suggestions of the field input.
    assert '<option value="founder_equity_percent">' in page.content.decode()


def test_a_whitelisted_rule_is_added_inline_with_its_history(world, talent_plan):
    client = client_as(world.admin)
    data = form_data(client.get(url("programversion", "change", talent_plan.pk)))
    rows = int(data["rules-TOTAL_FORMS"])
    data.update(
        {
            "rules-TOTAL_FORMS": str(rows + 1),
            f"rules-{rows}-field": "rnd_staff_count",
            f"rules-{rows}-operator": "gte",
            f"rules-{rows}-threshold": "5",
            f"rules-{rows}-threshold_currency": "",
            f"rules-{rows}-note": "研发人员不少于5人",
        }
    )
    response = client.post(url("programversion", "change", talent_plan.pk), data)
    assert response.status_code == 302
    rule = EligibilityRule.objects.get(version=talent_plan, field="rnd_staff_count")
    assert (rule.threshold, rule.history.get().history_user) == (Decimal(5), world.admin)


def test_a_programme_and_a_version_with_its_batch_and_rule_are_added_through_the_services(world):
    client = client_as(world.admin)
    response = client.post(
        url("fundingprogram", "add"),
        {
            "code": "t-rent",
            "name": "房租补贴",
            "name_zh_hant": "房租補貼",
            "name_en": "Rent subsidy",
            "program_type": ProgramType.RENT_EQUIPMENT,
            "funder": "park",
            "funder_name": "苏州工业园区",
            "description": "",
            "active": "on",
            "versions-TOTAL_FORMS": "0",
            "versions-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302
    program = FundingProgram.objects.get(code="t-rent")
    assert program.history.get().history_user == world.admin
    page = client.get(url("programversion", "add"), {"program": program.pk})
    data = {
        **form_data(page),
        "currency": "CNY",
        "min_amount": "",
        "max_amount": "50万",
        "windows-TOTAL_FORMS": "1",
        "windows-0-batch": "2026年度",
        "windows-0-opens_on": "2026-01-01",
        "windows-0-closes_on": "2026-12-31",
        "rules-TOTAL_FORMS": "1",
        "rules-0-field": "headcount_now",
        "rules-0-operator": "gte",
        "rules-0-threshold": "10",
    }
    response = client.post(url("programversion", "add") + f"?program={program.pk}", data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    version = program.versions.get()
    assert (version.year, version.max_amount) == (timezone.localdate().year, Decimal("500000"))
    assert [w.batch for w in version.windows.all()] == ["2026年度"]
    assert [(r.field, r.threshold) for r in version.rules.all()] == [("headcount_now", Decimal(10))]


def test_an_exchange_rate_is_saved_through_the_service_and_keeps_its_day(world):
    client = client_as(world.admin)
    response = client.post(
        url("exchangerate", "add"),
        {"currency": "HKD", "date": "2026-03-09", "rate_to_cny": "0.9213", "source": "PBOC"},
    )
    assert response.status_code == 302
    rate = ExchangeRate.objects.get(currency="HKD", date=dt.date(2026, 3, 9))
    assert rate.history.get().history_user == world.admin
    # Correcting the rate keeps the currency and the day; the yuan is never offered.
    page = client.get(url("exchangerate", "change", rate.pk))
    assert set(page.context["adminform"].form.fields) == {"rate_to_cny", "source"}
    client.post(url("exchangerate", "change", rate.pk), {"rate_to_cny": "0.9201", "source": "PBOC 中间价"})
    rate.refresh_from_db()
    assert (rate.rate_to_cny, rate.date, rate.history.count()) == (Decimal("0.9201"), dt.date(2026, 3, 9), 2)
    add_page = client.get(url("exchangerate", "add"))
    assert "CNY" not in dict(add_page.context["adminform"].form.fields["currency"].choices)


def test_every_funding_admin_page_opens_for_an_administrator(world, talent_plan, raise_plus, matching):
    paid_and_planned(world, approved_application(world, talent_plan, amount=2 * M))
    ContentType.objects.clear_cache()
    client = client_as(world.admin)
    for model in [
        "fundingprogram",
        "programversion",
        "applicationwindow",
        "eligibilityrule",
        "exchangerate",
        "fundingapplication",
        "tranche",
        "fundcommitment",
        "capitalcall",
        "fundinvestment",
    ]:
        assert client.get(url(model, "changelist")).status_code == 200, model
        assert client.get(url(model, "changelist"), {"q": "港"}).status_code == 200, model
    for obj in [talent_plan, talent_plan.program, talent_plan.windows.first(), talent_plan.rules.first()]:
        assert client.get(url(obj._meta.model_name, "change", obj.pk)).status_code == 200, obj
    application = FundingApplication.objects.get()
    assert client.get(app_url("change", application.pk)).status_code == 200
    assert client.get(app_url("add")).status_code == 200
    assert client.get(url("fundcommitment", "add")).status_code == 200


def test_the_programme_admin_lists_programmes_in_order_for_the_autocomplete(world, rf):
    """The list's Count makes its query a GROUP BY, which drops Meta.ordering; the autocomplete pages that
    queryset, and an unordered one can repeat or skip programmes between pages."""
    from django.contrib import admin

    for code, kind in (
        ("b-grant", ProgramType.PROJECT_GRANT),
        ("a-match", ProgramType.MATCHING),
        ("a-grant", ProgramType.PROJECT_GRANT),
    ):
        make_program(world.admin, code, kind)
    request = rf.get("/admin/autocomplete/")
    request.user = world.admin
    programmes = admin.site.get_model_admin(FundingProgram).get_queryset(request)
    assert programmes.ordered
    codes = [
        code
        for code in programmes.values_list("code", flat=True)
        if code in {"a-grant", "a-match", "b-grant"}
    ]
    assert codes == ["a-match", "a-grant", "b-grant"]  # by type ("matching" < "project_grant"), then code
