"""The two read-only funding pages: a lead's funding at a glance (linked from the lead page through
projects.lead_pages) and the converted totals per lead, carrier and programme — scoped, permission-checked, and
costing the same number of queries at 2 and 20 rows."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import User
from accounts.roles import Role
from funding import services
from funding.models import ProgramType, ProgramVersion
from tests.factories import join, make_lead, make_user
from tests.funding.conftest import DECIDED, M, approved_application, make_program

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def client_as(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def panel_url(lead) -> str:
    return reverse("admin:funding_fundingapplication_lead", args=[lead.pk])


TOTALS_URL = "/admin/funding/fundingapplication/totals/"


def with_tranches(world, application) -> None:
    """Two tranches, the first paid."""
    first = services.tranche_plan(
        actor=world.manager_a, application=application, planned_on=DECIDED, amount=M
    )
    services.tranche_plan(
        actor=world.manager_a, application=application, planned_on=DECIDED + dt.timedelta(days=60), amount=M
    )
    services.tranche_pay(actor=world.manager_a, tranche=first, paid_on=DECIDED + dt.timedelta(days=1))


@pytest.fixture
def open_plan(world) -> ProgramVersion:
    """A programme taking applications now (the dates follow the day the test runs): a batch open today and
    closing in 30 days, asking for 1m CNY paid in — lead_a has 600,000."""
    today = timezone.localdate()
    program = make_program(
        world.admin, "t-open-plan", ProgramType.PROJECT_GRANT, name="姑苏创新领军计划", name_en="Open Plan"
    )
    version = services.version_create(
        actor=world.admin, program=program, year=today.year, currency="CNY", max_amount=10 * M
    )
    services.window_create(
        actor=world.admin,
        version=version,
        batch="当期",
        opens_on=today - dt.timedelta(days=10),
        closes_on=today + dt.timedelta(days=30),
    )
    services.rule_create(
        actor=world.admin,
        version=version,
        field="paid_in_cash",
        operator="gte",
        threshold=M,
        threshold_currency="CNY",
    )
    return version


@pytest.fixture
def hkd_today(db) -> None:
    services.exchange_rate_set(
        currency="HKD", date=timezone.localdate() - dt.timedelta(days=3), rate_to_cny=Decimal("0.92")
    )


@pytest.fixture
def grant(world, raise_plus):
    return services.hk_grant_record(
        actor=world.officer_a,
        lead=world.lead_a,
        version=raise_plus,
        approved_amount=10 * M,
        decision_date=dt.date(2025, 11, 3),
    )


# --- The lead's funding page -------------------------------------------------------------------------------------


def test_the_lead_funding_page_shows_money_eligibility_and_deadlines(world, talent_plan, open_plan, grant):
    application = approved_application(world, talent_plan, amount=20 * M)
    with_tranches(world, application)

    response = client_as(world.officer_a).get(panel_url(world.lead_a))

    assert response.status_code == 200
    page = response.content.decode()
    assert f"Funding of {world.lead_a.code}" in page
    assert reverse("admin:funding_fundingapplication_change", args=[application.pk]) in page
    assert "CNY 20 million" in page
    assert "CNY 1 million" in page
    assert "HKD 10 million" in page  # the HK grant, in its own currency
    # Could be eligible, with what is missing, and an apply link preset with lead, version and batch.
    [option] = [o for o in response.context["could_be_eligible"] if o.version == open_plan]
    assert option.missing == ["paid-in cash 600,000.00 of 1,000,000.00 CNY"]
    assert "paid-in cash 600,000.00 of 1,000,000.00 CNY" in page
    window = open_plan.windows.get()
    add = reverse("admin:funding_fundingapplication_add")
    assert option.apply_url == f"{add}?lead={world.lead_a.pk}&version={open_plan.pk}&window={window.pk}"
    # The batch closing in 30 days is among the deadlines.
    assert (window, option.apply_url) in response.context["upcoming"]
    # The add page takes the preset.
    form = client_as(world.officer_a).get(option.apply_url).context["adminform"].form
    assert form.initial["lead"] == str(world.lead_a.pk)
    assert form.initial["version"] == str(open_plan.pk)


def test_the_lead_funding_page_is_404_outside_the_scope_and_403_without_the_permission(world, open_plan):
    assert client_as(world.officer_a).get(panel_url(world.lead_a)).status_code == 200  # positive control
    assert client_as(world.officer_b).get(panel_url(world.lead_a)).status_code == 404
    recorder = join(make_user(Role.RECORDER, username="recorder_a"), world.unit_a)
    assert client_as(recorder).get(panel_url(world.lead_a)).status_code == 403


@pytest.mark.parametrize("count", [2, 20])
def test_the_lead_funding_page_costs_the_same_at_2_and_20_applications(
    world, talent_plan, open_plan, grant, hkd_today, count, django_assert_num_queries
):
    for _ in range(count):
        with_tranches(world, approved_application(world, talent_plan, amount=2 * M))
    client = client_as(world.officer_a)
    # 1 session, 2 user, 3 the user's permissions, 4 their groups' permissions, 5 administrator-group check and
    # 6 memberships (the scope), 7 the lead (lead_get), 8 the applications with version, programme and batch
    # (scope as a subquery), 9 their tranches, 10 open versions with programme, 11 their windows, 12 their
    # rules, 13 the rates of the day (a seeded matching programme converts the HK grant). Nothing per row.
    with django_assert_num_queries(13):
        response = client.get(panel_url(world.lead_a))
    assert response.status_code == 200
    assert len(response.context["applications"]) == count + 1


# --- The link on the lead page ---------------------------------------------------------------------------------


def test_the_lead_page_links_to_its_funding_for_those_who_may_see_it(world):
    lead_page = reverse("admin:projects_lead_change", args=[world.lead_a.pk])
    response = client_as(world.officer_a).get(lead_page)
    assert response.status_code == 200
    assert f'<a href="{panel_url(world.lead_a)}">Funding</a>' in response.content.decode()

    # A staff member of the unit who reads leads but not funding: the lead page without the link.
    reader = User.objects.create_user(username="lead_reader", password="x", is_staff=True)
    reader.user_permissions.add(
        Permission.objects.get(codename="view_lead", content_type__app_label="projects")
    )
    join(reader, world.unit_a)
    response = client_as(reader).get(lead_page)
    assert response.status_code == 200
    assert panel_url(world.lead_a) not in response.content.decode()


# --- Funding totals -----------------------------------------------------------------------------------------------


def test_the_totals_page_converts_and_names_the_rate(world, talent_plan, grant, hkd_today):
    with_tranches(world, approved_application(world, talent_plan, amount=20 * M))
    approved_application(world, talent_plan, amount=30 * M, lead=world.lead_b)  # another unit's

    response = client_as(world.officer_a).get(TOTALS_URL)  # the defaults: per lead, CNY, today, held

    assert response.status_code == 200
    page = response.content.decode()
    # 20m CNY + 10m HKD × 0.92; lead_b's 30m is outside officer_a's scope and not counted.
    assert [
        (r["label"], r["count"], r["approved_exact"], r["paid_exact"]) for r in response.context["rows"]
    ] == [(f"{world.lead_a.code} 港科大 量子计算研发团队", 2, "29,200,000.00 CNY", "1,000,000.00 CNY")]
    assert "CNY 29.2 million" in page
    rate_day = timezone.localdate() - dt.timedelta(days=3)
    assert response.context["rates"] == [f"1 HKD = 0.92 CNY ({rate_day:%Y-%m-%d})"]
    assert f"1 HKD = 0.92 CNY ({rate_day:%Y-%m-%d})" in page
    assert "港大 生物医药团队" not in page

    # Into HKD, per programme, only what is being paid out (the HK grant is approved, not disbursing): the CNY
    # amount converted at the same rate.
    response = client_as(world.officer_a).get(
        TOTALS_URL,
        {
            "group_by": "program",
            "currency": "HKD",
            "on": timezone.localdate().isoformat(),
            "status": "disbursing",
        },
    )
    assert [(r["label"], r["approved_exact"]) for r in response.context["rows"]] == [
        ("Suzhou Leading Talent Plan", "21,739,130.43 HKD")
    ]


def test_the_totals_page_shows_the_missing_rate_instead_of_numbers(world, talent_plan, grant):
    approved_application(world, talent_plan, amount=20 * M)
    response = client_as(world.officer_a).get(TOTALS_URL)
    today = timezone.localdate()
    assert response.context["error"] == (
        f"No HKD rate on or before {today:%Y-%m-%d}: add it under Exchange rates."
    )
    assert response.context["rows"] == []
    page = response.content.decode()
    assert "add it under Exchange rates." in page
    assert "million" not in page


def test_the_totals_page_needs_the_permission_and_is_linked_from_the_list(world):
    recorder = join(make_user(Role.RECORDER, username="recorder_t"), world.unit_a)
    assert client_as(recorder).get(TOTALS_URL).status_code == 403
    changelist = client_as(world.officer_a).get(reverse("admin:funding_fundingapplication_changelist"))
    assert TOTALS_URL in changelist.content.decode()


@pytest.mark.parametrize("rows", [2, 20])
def test_the_totals_page_costs_the_same_at_2_and_20_rows(
    world, talent_plan, grant, hkd_today, rows, django_assert_num_queries
):
    for index in range(rows):
        lead = make_lead(owner=world.officer_a, unit=world.unit_a, name=f"港校团队{index:02d}")
        with_tranches(world, approved_application(world, talent_plan, amount=2 * M, lead=lead))
    client = client_as(world.officer_a)
    # 1 session, 2 user, 3 the user's permissions, 4 their groups' permissions, 5 administrator-group check and
    # 6 memberships (the scope), 7 approved sums per lead and currency, 8 paid sums per lead and currency (the
    # scoped applications as a subquery), 9 the rates of the day. The page is cut from the computed list.
    with django_assert_num_queries(9):
        response = client.get(TOTALS_URL)
    assert response.status_code == 200
    assert len(response.context["rows"]) == rows + 1  # and lead_a with its HK grant
