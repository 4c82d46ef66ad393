"""The funding API: programmes as reference data, applications scoped through their leads, drafts created by POST
(amounts as people write them, idempotent with a key), and lists in a fixed number of queries."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.utils import timezone, translation
from rest_framework.test import APIClient

from accounts.models import Unit, UnitMembership, User
from accounts.roles import Role
from funding import services
from funding.models import (
    Funder,
    FundingApplication,
    FundingProgram,
    ProgramType,
    ProgramVersion,
)
from projects.models import Lead
from projects.services.handover import handover_request
from tests.factories import join, make_lead, make_unit, make_user

pytestmark = pytest.mark.django_db

M = Decimal(1_000_000)
OPENS, CLOSES = dt.date(2026, 3, 1), dt.date(2026, 4, 30)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def api() -> APIClient:
    """A client that asks for English: messages are asserted as their msgids."""
    return APIClient(HTTP_ACCEPT_LANGUAGE="en")


@dataclass
class World:
    unit_a: Unit
    unit_b: Unit
    officer_a: User
    officer_b: User
    manager_a: User
    lead: Lead


@pytest.fixture
def world() -> World:
    bureau = make_unit("市投资促进局", kind=Unit.Kind.BUREAU)
    unit_a = make_unit("香港合作处", parent=bureau)
    unit_b = make_unit("产业招商一处", parent=bureau)
    officer_a = join(make_user(Role.OFFICER, username="officer_a"), unit_a)
    return World(
        unit_a=unit_a,
        unit_b=unit_b,
        officer_a=officer_a,
        officer_b=join(make_user(Role.OFFICER, username="officer_b"), unit_b),
        manager_a=join(make_user(Role.MANAGER, username="manager_a"), unit_a, UnitMembership.Role.MANAGER),
        lead=make_lead(
            owner=officer_a,
            unit=unit_a,
            name="港科大 量子计算研发团队",
            occurred_at=timezone.now() - dt.timedelta(days=300),
        ),
    )


def make_program(
    code: str,
    *,
    program_type: str = ProgramType.AWARD,
    funder: str = Funder.CITY,
    years: tuple[int, ...] = (2026,),
    batches: int = 1,
    rules: int = 1,
    active: bool = True,
) -> FundingProgram:
    """A programme with a version per year (CNY 1–50 million; for matching, 1:1 capped at 50 million), `batches`
    windows a version and `rules` paid-in-cash rules."""
    matching = program_type == ProgramType.MATCHING
    program = services.program_create(
        actor=None,
        code=code,
        name=f"测试奖励{code}",
        name_en=f"Test award {code}",
        program_type=program_type,
        funder=funder,
        active=active,
    )
    for year in years:
        version = services.version_create(
            actor=None,
            program=program,
            year=year,
            currency="CNY",
            min_amount=1 * M,
            max_amount=50 * M,
            matching_ratio=Decimal(1) if matching else None,
            matching_cap=50 * M if matching else None,
        )
        for number in range(batches):
            opens = OPENS.replace(year=year) + dt.timedelta(days=100 * number)
            services.window_create(
                actor=None,
                version=version,
                batch=f"{year}年度第{number + 1}批",
                opens_on=opens,
                closes_on=opens + dt.timedelta(days=60),
            )
        for number in range(rules):
            services.rule_create(
                actor=None,
                version=version,
                field="paid_in_cash",
                operator="gte",
                threshold=(number + 1) * M,
                threshold_currency="CNY",
            )
    return program


def disbursing(*, actor: User, lead: Lead, version: ProgramVersion, tranches: int = 2) -> FundingApplication:
    """An application submitted in the version's first batch, approved for 10 million, with `tranches` tranches
    of 1 million of which the first is paid."""
    window = version.windows.order_by("opens_on").first()
    application = services.application_create(
        actor=actor, lead=lead, version=version, window=window, requested_amount=20 * M
    )
    application = services.application_submit(
        actor=actor, application=application, submitted_on=window.opens_on + dt.timedelta(days=9)
    )
    decision = window.closes_on + dt.timedelta(days=30)
    application = services.application_approve(
        actor=actor, application=application, approved_amount=10 * M, decision_date=decision
    )
    for number in range(tranches):
        tranche = services.tranche_plan(
            actor=actor,
            application=application,
            planned_on=decision + dt.timedelta(days=30 * (number + 1)),
            amount=1 * M,
        )
        if number == 0:
            services.tranche_pay(actor=actor, tranche=tranche, paid_on=tranche.planned_on)
    return application


# --- Programmes -----------------------------------------------------------------------------------------------


def test_the_programme_list_shows_versions_windows_and_rules_with_amounts_as_numbers(api, world):
    make_program("match-a", program_type=ProgramType.MATCHING, years=(2025, 2026))
    api.force_login(world.officer_a)
    response = api.get("/api/v1/funding/programs/", {"type": "matching"})
    assert response.status_code == 200
    [program] = [row for row in response.json()["results"] if row["code"] == "match-a"]
    assert (program["program_type"], program["funder"], program["active"]) == ("matching", "city", True)
    assert [version["year"] for version in program["versions"]] == [2026, 2025]
    version = program["versions"][0]
    assert version["currency"] == "CNY"
    assert (version["min_amount"], version["max_amount"]) == (1_000_000, 50_000_000)
    assert (version["matching_ratio"], version["matching_cap"]) == (1, 50_000_000)
    assert isinstance(version["max_amount"], float)
    assert [(w["batch"], w["opens_on"], w["closes_on"]) for w in version["windows"]] == [
        ("2026年度第1批", "2026-03-01", "2026-04-30")
    ]
    [rule] = version["rules"]
    assert {key: rule[key] for key in ("field", "operator", "threshold", "currency")} == {
        "field": "paid_in_cash",
        "operator": "gte",
        "threshold": 1_000_000,
        "currency": "CNY",
    }
    assert rule["text"] == "paid-in cash at least CNY 1 million"


def test_programmes_filter_by_type_funder_and_activity(api, world):
    make_program("award-city")
    make_program("award-district", funder=Funder.DISTRICT)
    make_program("package-park", program_type=ProgramType.POLICY_PACKAGE, funder=Funder.PARK)
    make_program("award-retired", active=False)
    api.force_login(world.officer_a)

    def codes(**query: str) -> list[str]:
        response = api.get("/api/v1/funding/programs/", {"ordering": "code", **query})
        assert response.status_code == 200
        return [row["code"] for row in response.json()["results"]]

    assert codes(type="award") == ["award-city", "award-district"]
    assert codes(type="award", funder="district") == ["award-district"]
    assert codes(funder="park") == ["package-park"]
    assert codes(type="award", active="false") == ["award-retired"]
    assert codes(type="award", active="true") == ["award-city", "award-district"]
    assert codes(type=["award", "policy_package"]) == ["award-city", "award-district", "package-park"]
    response = api.get("/api/v1/funding/programs/", {"type": "lottery"})
    assert response.status_code == 400
    assert list(response.json()) == ["type"]


@pytest.mark.parametrize("role", [Role.RECORDER, Role.REPORT_VIEWER])
def test_roles_without_funding_rights_get_403_on_programmes(api, world, role):
    api.force_login(join(make_user(role, username="outsider"), world.unit_a))
    assert api.get("/api/v1/funding/programs/").status_code == 403


# --- Applications: scope and permissions ----------------------------------------------------------------------


@pytest.fixture
def award(world) -> ProgramVersion:
    return make_program("award-a").versions.get()


def test_an_application_is_seen_in_its_leads_unit_and_is_404_in_another(api, world, award):
    application = disbursing(actor=world.officer_a, lead=world.lead, version=award)
    api.force_login(world.officer_a)
    response = api.get(f"/api/v1/funding/applications/{application.pk}/")
    assert response.status_code == 200
    assert [row["id"] for row in api.get("/api/v1/funding/applications/").json()["results"]] == [
        application.pk
    ]
    api.force_login(world.officer_b)
    assert api.get(f"/api/v1/funding/applications/{application.pk}/").status_code == 404
    assert api.get("/api/v1/funding/applications/").json()["results"] == []


def test_an_application_shows_its_lead_programme_batch_and_money(api, world, award):
    application = disbursing(actor=world.officer_a, lead=world.lead, version=award)
    api.force_login(world.officer_a)
    body = api.get(f"/api/v1/funding/applications/{application.pk}/").json()
    assert body["lead"] == {"id": world.lead.pk, "code": world.lead.code, "name": "港科大 量子计算研发团队"}
    program = award.program
    assert body["program"] == {"id": program.pk, "code": "award-a", "name": program.name}
    assert body["version"] == {"id": award.pk, "year": 2026}
    assert body["window"]["batch"] == "2026年度第1批"
    assert (body["status"], body["currency"]) == ("disbursing", "CNY")
    assert (body["requested_amount"], body["approved_amount"], body["paid_amount"]) == (
        20_000_000,
        10_000_000,
        1_000_000,
    )
    assert (body["submitted_on"], body["decision_date"]) == ("2026-03-10", "2026-05-30")
    assert [(t["planned_on"], t["paid_on"], t["amount"]) for t in body["tranches"]] == [
        ("2026-06-29", "2026-06-29", 1_000_000),
        ("2026-07-29", None, 1_000_000),
    ]


@pytest.mark.parametrize("role", [Role.RECORDER, Role.REPORT_VIEWER])
def test_roles_without_funding_rights_get_403_on_applications(api, world, award, role):
    application = disbursing(actor=world.officer_a, lead=world.lead, version=award)
    api.force_login(join(make_user(role, username="outsider"), world.unit_a))
    assert api.get("/api/v1/funding/applications/").status_code == 403
    assert api.get(f"/api/v1/funding/applications/{application.pk}/").status_code == 403
    body = {"lead": world.lead.pk, "version": award.pk}
    assert api.post("/api/v1/funding/applications/", body, format="json").status_code == 403


def test_applications_filter_by_lead_status_programme_and_version(api, world, award):
    other_lead = make_lead(owner=world.officer_a, unit=world.unit_a)
    other = make_program("award-b", years=(2025, 2026))
    paying = disbursing(actor=world.officer_a, lead=world.lead, version=award)
    draft = services.application_create(actor=world.officer_a, lead=other_lead, version=award)
    older = services.application_create(
        actor=world.officer_a, lead=world.lead, version=other.versions.get(year=2025)
    )
    api.force_login(world.officer_a)

    def ids(**query) -> set[int]:
        response = api.get("/api/v1/funding/applications/", query)
        assert response.status_code == 200
        return {row["id"] for row in response.json()["results"]}

    assert ids(lead=world.lead.pk) == {paying.pk, older.pk}
    assert ids(status="draft") == {draft.pk, older.pk}
    assert ids(status=["draft", "disbursing"]) == {paying.pk, draft.pk, older.pk}
    assert ids(program=award.program_id) == {paying.pk, draft.pk}
    assert ids(version=older.version_id) == {older.pk}
    # Another unit's lead reads like no lead at all.
    unseen = make_lead(owner=world.officer_b, unit=world.unit_b)
    response = api.get("/api/v1/funding/applications/", {"lead": unseen.pk})
    assert (response.status_code, list(response.json())) == (400, ["lead"])


# --- Applications: POST ---------------------------------------------------------------------------------------


def test_an_officer_starts_a_draft_with_the_amount_as_written(api, world, award):
    window = award.windows.get()
    api.force_login(world.officer_a)
    body = {"lead": world.lead.pk, "version": award.pk, "window": window.pk, "requested_amount": "500万"}
    response = api.post("/api/v1/funding/applications/", body, format="json")
    assert response.status_code == 201
    created = response.json()
    assert (created["status"], created["currency"], created["requested_amount"]) == (
        "draft",
        "CNY",
        5_000_000,
    )
    assert (created["window"]["id"], created["paid_amount"], created["tranches"]) == (window.pk, 0, [])
    application = FundingApplication.objects.get(pk=created["id"])
    assert (application.lead, application.requested_amount, application.created_by) == (
        world.lead,
        5 * M,
        world.officer_a,
    )
    assert application.history.get().history_type == "+"


def test_a_number_is_an_amount_too(api, world, award):
    api.force_login(world.officer_a)
    body = {"lead": world.lead.pk, "version": award.pk, "requested_amount": 3000000.5}
    response = api.post("/api/v1/funding/applications/", body, format="json")
    assert (response.status_code, response.json()["requested_amount"]) == (201, 3_000_000.5)


def test_a_lead_of_another_unit_is_404_and_nothing_is_created(api, world, award):
    api.force_login(world.officer_b)
    body = {"lead": world.lead.pk, "version": award.pk, "requested_amount": "500万"}
    assert api.post("/api/v1/funding/applications/", body, format="json").status_code == 404
    assert not FundingApplication.objects.exists()


def test_a_lead_only_offered_to_the_users_unit_is_read_only(api, world, award):
    application = services.application_create(actor=world.officer_a, lead=world.lead, version=award)
    handover_request(
        actor=world.officer_a, lead=world.lead, to_unit=world.unit_b, note="转交产业招商一处跟进"
    )
    receiver = join(make_user(Role.MANAGER, username="manager_b"), world.unit_b, UnitMembership.Role.MANAGER)
    api.force_login(receiver)
    assert api.get(f"/api/v1/funding/applications/{application.pk}/").status_code == 200
    body = {"lead": world.lead.pk, "version": award.pk}
    response = api.post("/api/v1/funding/applications/", body, format="json")
    assert (response.status_code, response.json()) == (
        403,
        {"detail": "This lead is offered to your unit: it is read-only until you accept it."},
    )
    assert FundingApplication.objects.count() == 1


@pytest.mark.parametrize(
    ("change", "errors"),
    [
        ({"version": None}, {"version": ["This field may not be null."]}),
        ({"requested_amount": "很多"}, {"requested_amount": ["Not an amount: “很多”."]}),
        (
            {"requested_amount": "-5万"},
            {"requested_amount": ["The amount must be greater than zero, not “-5万”."]},
        ),
        (
            {"requested_amount": True},
            {"requested_amount": ["Give the amount as a number or as text such as “500万”."]},
        ),
        (
            {"requested_amount": "HK$10m"},
            {"requested_amount": ["This amount is in HKD; enter it in CNY."]},
        ),
        ({"version": 999999}, {"version": ['Invalid pk "999999" - object does not exist.']}),
    ],
)
def test_bad_input_is_a_400_naming_the_field(api, world, award, change, errors):
    api.force_login(world.officer_a)
    body = {"lead": world.lead.pk, "version": award.pk, "requested_amount": "500万", **change}
    response = api.post("/api/v1/funding/applications/", body, format="json")
    assert (response.status_code, response.json()) == (400, errors)
    assert not FundingApplication.objects.exists()


def test_a_batch_of_another_version_is_a_400(api, world, award):
    other = make_program("award-b").versions.get().windows.get()
    api.force_login(world.officer_a)
    body = {"lead": world.lead.pk, "version": award.pk, "window": other.pk}
    response = api.post("/api/v1/funding/applications/", body, format="json")
    assert (response.status_code, response.json()) == (
        400,
        {"window": ["The batch “2026年度第1批” belongs to another programme version."]},
    )
    assert not FundingApplication.objects.exists()


def test_the_services_rules_answer_400_on_their_field(api, world, award):
    api.force_login(world.officer_a)
    body = {"lead": world.lead.pk, "version": award.pk, "requested_amount": "6000万"}
    response = api.post("/api/v1/funding/applications/", body, format="json")
    assert (response.status_code, response.json()) == (
        400,
        {
            "requested_amount": [
                "The requested amount 60,000,000.00 CNY is above the cap of 50,000,000.00 CNY."
            ]
        },
    )
    retired = make_program("award-retired", active=False).versions.get()
    response = api.post(
        "/api/v1/funding/applications/", {"lead": world.lead.pk, "version": retired.pk}, format="json"
    )
    assert (response.status_code, response.json()) == (
        400,
        {"version": ["Test award award-retired is no longer active."]},
    )
    assert not FundingApplication.objects.exists()


def test_a_retried_post_with_its_key_creates_once_and_another_body_is_422(api, world, award):
    api.force_login(world.officer_a)
    url = "/api/v1/funding/applications/"
    body = {"lead": world.lead.pk, "version": award.pk, "requested_amount": "500万"}
    first = api.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="apply-1")
    again = api.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="apply-1")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again.json()["requested_amount"] == 5_000_000  # a number on replay as well
    assert again["Idempotent-Replayed"] == "true"
    assert FundingApplication.objects.count() == 1
    changed = api.post(
        url, {**body, "requested_amount": "600万"}, format="json", HTTP_IDEMPOTENCY_KEY="apply-1"
    )
    assert changed.status_code == 422
    assert changed.json() == {
        "idempotency_key": ["This submission key was already used with different content."]
    }
    assert FundingApplication.objects.count() == 1


# --- Query counts ---------------------------------------------------------------------------------------------

# Every request, before the list itself:
#   1. the session
#   2. the user
#   3. whether the user is an administrator          (visibility scope, cached on the user for the request)
#   4. the user's unit memberships                   (visibility scope)
#   5. the user's own permissions                    (model permissions)
#   6. the permissions of the user's groups          (model permissions)
SESSION_USER_SCOPE_PERMISSIONS = 6
# Programmes have no scope: only 1, 2, 5 and 6.
SESSION_USER_PERMISSIONS = 4


@pytest.mark.parametrize("rows", [2, 20])
def test_the_application_list(api, world, award, rows, django_assert_num_queries):
    for _ in range(rows):
        lead = make_lead(owner=world.officer_a, unit=world.unit_a)
        disbursing(actor=world.officer_a, lead=lead, version=award, tranches=2)
    api.force_login(world.officer_a)
    # 1-6, then 7. COUNT(*) of the visible applications, 8. the page with its leads, versions, programmes and
    # batches, 9. the page's tranches.
    with django_assert_num_queries(SESSION_USER_SCOPE_PERMISSIONS + 3):
        response = api.get("/api/v1/funding/applications/")
    assert len(response.json()["results"]) == rows
    assert all(len(row["tranches"]) == 2 for row in response.json()["results"])
    assert all(row["paid_amount"] == 1_000_000 for row in response.json()["results"])


@pytest.mark.parametrize("rows", [2, 20])
def test_the_programme_list(api, world, rows, django_assert_num_queries):
    for number in range(rows):
        make_program(f"award-{number}", years=(2025, 2026), batches=2, rules=2)
    api.force_login(world.officer_a)
    # 1, 2, 5, 6, then 7. COUNT(*), 8. the page with each programme's pass, 9. the page's versions,
    # 10. their windows, 11. their rules.
    with django_assert_num_queries(SESSION_USER_PERMISSIONS + 5):
        response = api.get("/api/v1/funding/programs/", {"type": "award"})
    programs = response.json()["results"]
    assert len(programs) == rows
    assert all(len(program["versions"]) == 2 for program in programs)
    assert all(len(version["windows"]) == 2 for program in programs for version in program["versions"])
    assert all(len(version["rules"]) == 2 for program in programs for version in program["versions"])


def test_amounts_are_numbers_in_the_schema_and_the_input_takes_text_too(api, world):
    api.force_login(world.officer_a)
    schema = json.loads(api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").content)
    components = schema["components"]["schemas"]
    application = components["FundingApplication"]["properties"]
    for name in ("requested_amount", "approved_amount", "paid_amount"):
        assert application[name]["type"] == "number"
    assert components["Tranche"]["properties"]["amount"]["type"] == "number"
    version = components["ProgramVersion"]["properties"]
    for name in ("min_amount", "max_amount", "matching_ratio", "matching_cap"):
        assert version[name]["type"] == "number"
    requested = components["FundingApplicationCreateRequest"]["properties"]["requested_amount"]
    assert requested["oneOf"] == [{"type": "number"}, {"type": "string"}]
