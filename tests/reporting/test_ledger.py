"""The weekly ledger (一周一报) and the dispatch-meeting list (调度会): which rows they hold, what each column says,
the XLSX (which reads back through the lead-ledger import), who may open them, and query counts."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from accounts.models import UnitMembership
from accounts.roles import Role
from core.imports.reading import read_table
from core.imports.values import parse_amount, parse_date
from directory.models import Organization, Sector
from directory.services import organization_create, sector_create
from projects import services
from projects.imports.columns import COLUMNS
from projects.models import Activity, Lead, LostReason, SourceChannel
from projects.services.merge import lead_merge
from projects.stages import Stage
from reporting.ledger import Week, amount_text
from tests.factories import join, make_lead, make_unit, make_user

pytestmark = pytest.mark.django_db


LEDGER = "/reports/ledger/"
LEDGER_XLSX = "/reports/ledger.xlsx"
DISPATCH = "/reports/dispatch/"
DISPATCH_XLSX = "/reports/dispatch.xlsx"
QUALIFIED = {"assessment": "技术路线清晰", "decision": "follow"}

# A week long enough ago that every moment in it is in the past, whatever day the tests run.
WEEK = Week.current().shifted(-3)


def at(day: int, hour: int = 10, *, week: Week = WEEK) -> dt.datetime:
    """A wall-clock moment in Suzhou on a day of the week (0 = Monday)."""
    return week.starts_at + dt.timedelta(days=day, hours=hour)


@pytest.fixture(autouse=True)
def _no_report_cache(settings):
    settings.REPORT_CACHE_SECONDS = 0


def rows_of(response) -> list[tuple]:
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    return [tuple(row) for row in sheet.iter_rows(values_only=True)]


def table(rows: list[tuple], first_header: str) -> list[dict]:
    start = next(i for i, row in enumerate(rows) if row[0] == first_header)
    return [
        {header: value for header, value in zip(rows[start], row, strict=True) if header}
        for row in rows[start + 1 :]
    ]


def log(lead: Lead, day: int, summary: str, *, next_step: str = "", by: dt.date | None = None) -> Activity:
    return services.activity_log(
        actor=lead.owner,
        lead=lead,
        kind=Activity.Kind.CALL,
        occurred_at=at(day),
        summary=summary,
        next_step=next_step,
        next_step_on=by,
    )


@pytest.fixture
def storied(world):
    """A lead of unit A registered a month before the week, with the week's story: two calls, a move to
    研判, a planned next step, two open coordination needs and one resolved before the week."""
    sector = sector_create(code="ic-design", name="集成电路设计", group=Sector.Group.PILLAR)
    introducer = organization_create(kind=Organization.Kind.ASSOCIATION, name="香港中华总商会")
    lead = make_lead(
        owner=world.a,
        unit=world.unit_a,
        name="港科大 芯片设计团队",
        sector=sector,
        introducer=introducer,
        source_channel=SourceChannel.ASSOCIATION,
        expected_investment=Decimal("50000000.00"),
        occurred_at=WEEK.starts_at - dt.timedelta(days=30),
    )
    log(lead, -10, "首次电话", next_step="寄送政策材料", by=WEEK.monday)  # before the week
    log(lead, 0, "电话沟通落地意向")
    services.lead_advance(
        lead=lead, to_stage=Stage.QUALIFIED, actor=world.a, occurred_at=at(1), evidence=QUALIFIED
    )
    log(lead, 2, "视频会议讨论场地需求", next_step="安排来苏考察", by=WEEK.sunday + dt.timedelta(days=7))
    log(lead, 3, "内部记录：材料已归档")  # no next step: the planned one stands
    services.coordination_need_add(
        actor=world.a,
        lead=lead,
        request="协调洁净室租金补贴",
        department="工业园区管委会",
        due_on=WEEK.sunday,
    )
    services.coordination_need_add(actor=world.a, lead=lead, request="人才公寓", department="市人社局")
    done = services.coordination_need_add(
        actor=world.a, lead=lead, request="工商预核名", department="市市场监管局"
    )
    services.coordination_need_resolve(
        actor=world.a, need=done, resolution="已完成", resolved_on=WEEK.monday - dt.timedelta(days=1)
    )
    return lead


# --- Weeks ----------------------------------------------------------------------------------------------------


def test_a_week_is_read_from_an_iso_week_or_any_date_within_it():
    assert Week.parse("2026-W05") == Week(dt.date(2026, 1, 26))
    assert Week.parse("2026w5") == Week(dt.date(2026, 1, 26))
    assert Week.parse("2026-02-01") == Week(dt.date(2026, 1, 26))  # a Sunday belongs to the week before
    assert str(Week(dt.date(2026, 1, 26))) == "2026-01-26 – 2026-02-01"
    assert Week(dt.date(2026, 1, 26)).iso == "2026-W05"
    assert Week(dt.date(2026, 12, 28)).iso == "2026-W53"


@pytest.mark.parametrize("written", ["2026-W60", "next week", "2026-02-30"])
def test_anything_else_is_not_a_week(written):
    with pytest.raises(ValueError, match="Not a week"):
        Week.parse(written)


def test_amounts_are_written_as_read_when_that_reads_back_exactly():
    assert amount_text(Decimal("50000000.00"), "CNY") in ("5000万元", "CNY 50 million")
    assert parse_amount(amount_text(Decimal("12345678.90"), "HKD")) == (Decimal("12345678.90"), "HKD")
    assert amount_text(None, "CNY") == ""


# --- Weekly ledger: content -----------------------------------------------------------------------------------


def test_a_ledger_row_tells_the_weeks_story(world, client_as, storied):
    response = client_as(world.a).get(f"{LEDGER_XLSX}?unit={world.unit_a.pk}&week={WEEK.iso}")
    assert response.status_code == 200
    rows = rows_of(response)
    assert rows[0][0] == f"香港合作处 weekly ledger {WEEK}"
    assert ("Unit", "香港合作处 and the units under it") in [row[:2] for row in rows]
    assert ("Week", f"{WEEK.iso} ({WEEK})") in [row[:2] for row in rows]
    ledger = {row["Project name"]: row for row in table(rows, "Code")}
    assert set(ledger) == {"港科大 芯片设计团队"}  # world.lead was registered after the week
    row = ledger["港科大 芯片设计团队"]
    assert row == {
        "Code": storied.code,
        "Project name": "港科大 芯片设计团队",
        "Hong Kong organization": "香港科技大学",
        "Source channel": "Association or chamber",
        "Introducer or source event": "香港中华总商会",
        "Sector": "集成电路设计",
        "Expected investment": "CNY 50 million",
        "Owner": "officer_a",
        "First contact": dt.datetime.combine(WEEK.monday - dt.timedelta(days=30), dt.time()),
        "Stage": "Qualified",
        "Stage date": dt.datetime.combine(WEEK.monday + dt.timedelta(days=1), dt.time()),
        "Status": None,
        "Progress this week": "\n".join(
            [
                f"{WEEK.monday + dt.timedelta(days=3):%m-%d} Phone call: 内部记录：材料已归档",
                f"{WEEK.monday + dt.timedelta(days=2):%m-%d} Phone call: 视频会议讨论场地需求",
                f"{WEEK.monday + dt.timedelta(days=1):%m-%d} stage: Lead → Qualified",
                f"{WEEK.monday:%m-%d} Phone call: 电话沟通落地意向",
            ]
        ),
        "Next step": f"安排来苏考察 (by {WEEK.sunday + dt.timedelta(days=7):%Y-%m-%d})",
        "Needs government coordination": f"工业园区管委会: 协调洁净室租金补贴 (due {WEEK.sunday:%Y-%m-%d})\n市人社局: 人才公寓",
    }


def test_the_ledger_page_shows_the_same_rows(world, client_as, storied):
    response = client_as(world.a).get(f"{LEDGER}?unit={world.unit_a.pk}&week={WEEK.iso}")
    assert response.status_code == 200
    [row] = response.context["rows"]
    assert row.lead == storied
    assert row.stage == "Qualified"
    assert len(row.progress) == 4
    assert response.context["headers"][:3] == ["Code", "Project name", "Hong Kong organization"]
    page = response.content.decode()
    assert f'href="/admin/projects/lead/{storied.pk}/change/"' in page
    assert "视频会议讨论场地需求" in page
    assert f"week={WEEK.shifted(-1).iso}" in page
    assert f"week={WEEK.shifted(1).iso}" in page


@pytest.mark.parametrize("language", ["en", "zh-hans", "zh-hant"])
def test_an_exported_ledger_reads_back_through_the_lead_ledger_import(world, storied, language):
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(world.a)
    response = client.get(f"{LEDGER_XLSX}?unit={world.unit_a.pk}&week={WEEK.iso}")
    read = read_table(response.content, filename="ledger.xlsx", columns=COLUMNS)
    assert {"name", "organization", "source_channel", "sector", "investment", "owner", "first_contact", "stage",
            "stage_date"} <= set(read.headers)  # fmt: skip
    [row] = read.rows
    assert row.values["name"] == "港科大 芯片设计团队"
    assert parse_amount(row.values["investment"]) == (Decimal("50000000.00"), "CNY")
    assert row.values["owner"] == "officer_a"
    assert parse_date(row.values["first_contact"]) == WEEK.monday - dt.timedelta(days=30)
    assert parse_date(row.values["stage_date"]) == WEEK.monday + dt.timedelta(days=1)


def test_a_lead_registered_in_the_week_says_so_in_its_progress(world, client_as):
    _busy_leads(world, 1)
    response = client_as(world.a).get(f"{LEDGER}?week={WEEK.iso}")
    [row] = response.context["rows"]
    assert row.progress == [
        f"{WEEK.monday + dt.timedelta(days=3):%m-%d} Phone call: 会议",
        f"{WEEK.monday + dt.timedelta(days=2):%m-%d} Phone call: 电话",
        f"{WEEK.monday + dt.timedelta(days=1):%m-%d} stage: Lead → Qualified",
        f"{WEEK.monday:%m-%d} registered at stage Lead",
    ]
    assert row.next_step == f"考察 (by {WEEK.sunday:%Y-%m-%d})"
    assert row.needs == ["市发改委: 协调", "市人社局: 协调"]


def test_the_ledger_leaves_out_merged_leads_and_leads_of_other_units(world, client_as, storied):
    duplicate = make_lead(
        owner=world.a,
        unit=world.unit_a,
        name="芯片设计团队（重复登记）",
        allow_duplicate=True,
        occurred_at=WEEK.starts_at - dt.timedelta(days=20),
    )
    lead_merge(actor=world.manager_a, source=duplicate, target=storied)
    make_lead(owner=world.b, unit=world.unit_b, name="一处的线索", occurred_at=at(-5))
    sub_unit = make_unit("香港合作处驻港组", parent=world.unit_a)
    make_lead(owner=world.manager_a, unit=sub_unit, name="驻港组的线索", occurred_at=at(-5))
    names = {row.name for row in client_as(world.manager_a).get(f"{LEDGER}?week={WEEK.iso}").context["rows"]}
    assert names == {"港科大 芯片设计团队", "驻港组的线索"}  # the head sees the sub-unit's leads too


def test_a_lead_lost_this_week_is_listed_as_lost_and_gone_from_next_weeks_ledger(world, client_as):
    services.lead_mark_lost(actor=world.a, lead=world.lead, reason=LostReason.OTHER_LOCATION)
    this_week = client_as(world.a).get(LEDGER).context["rows"]
    assert [(row.name, row.status) for row in this_week] == [(world.lead.name, "Lost")]
    next_week = client_as(world.a).get(f"{LEDGER}?week={Week.current().shifted(1).iso}").context["rows"]
    assert next_week == []


def test_the_ledger_opens_on_the_users_unit_and_this_week(world, client_as):
    response = client_as(world.a).get(LEDGER)
    assert response.context["unit"] == world.unit_a
    assert response.context["week"] == Week.current()
    assert [row.name for row in response.context["rows"]] == [world.lead.name]


def test_the_ledger_is_paginated(world, client_as, monkeypatch):
    monkeypatch.setattr("reporting.views.exports.LEDGER_PAGE_SIZE", 2)
    for n in range(2):
        make_lead(owner=world.a, unit=world.unit_a, name=f"线索{n}")
    first = client_as(world.a).get(LEDGER)
    second = client_as(world.a).get(f"{LEDGER}?page=2")
    assert len(first.context["rows"]) == 2
    assert len(second.context["rows"]) == 1
    assert first.context["page"].paginator.count == 3


def test_a_bad_week_is_a_form_error(world, client_as):
    response = client_as(world.a).get(f"{LEDGER}?week=soon")
    assert response.status_code == 400
    assert "“soon” is not a week" in response.content.decode()
    assert client_as(world.a).get(f"{LEDGER_XLSX}?week=soon").status_code == 400


# --- Weekly ledger: permissions -------------------------------------------------------------------------------


def test_a_report_viewer_may_not_open_the_ledger_but_officers_and_managers_may(world, client_as):
    viewer = join(make_user(Role.REPORT_VIEWER, username="viewer"), world.unit_a)
    assert client_as(viewer).get(LEDGER).status_code == 403
    assert client_as(viewer).get(LEDGER_XLSX).status_code == 403
    assert client_as(world.a).get(LEDGER).status_code == 200
    assert client_as(world.manager_a).get(LEDGER_XLSX).status_code == 200


def test_officer_b_cannot_ask_for_unit_as_ledger(world, client_as):
    response = client_as(world.b).get(f"{LEDGER}?unit={world.unit_a.pk}")
    assert response.status_code == 400
    assert "Choose one of the units you can see." in response.content.decode()
    assert client_as(world.b).get(f"{LEDGER_XLSX}?unit={world.unit_a.pk}").status_code == 400
    assert client_as(world.a).get(f"{LEDGER}?unit={world.unit_a.pk}").status_code == 200  # positive control


def test_officer_bs_ledger_has_none_of_unit_as_rows(world, client_as):
    make_lead(owner=world.b, unit=world.unit_b, name="一处的线索")
    response = client_as(world.b).get(LEDGER)
    assert response.context["unit"] == world.unit_b
    assert [row.name for row in response.context["rows"]] == ["一处的线索"]


# --- Weekly ledger: queries -----------------------------------------------------------------------------------


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries.captured_queries)


def _busy_leads(world, count: int, start: int = 0) -> None:
    """Leads registered in the week (a first move), moved on in it (a second), with two calls that plan a next
    step and two open coordination needs each."""
    for n in range(start, start + count):
        lead = make_lead(owner=world.a, unit=world.unit_a, name=f"繁忙线索{n}", occurred_at=at(0, 9))
        services.lead_advance(
            lead=lead, to_stage=Stage.QUALIFIED, actor=world.a, occurred_at=at(1), evidence=QUALIFIED
        )
        log(lead, 2, "电话", next_step="回访", by=WEEK.sunday)
        log(lead, 3, "会议", next_step="考察", by=WEEK.sunday)
        for department in ("市发改委", "市人社局"):
            services.coordination_need_add(actor=world.a, lead=lead, request="协调", department=department)


def test_the_ledger_page_takes_the_same_queries_for_2_and_20_rows(world, client_as):
    client = client_as(world.a)
    url = f"{LEDGER}?unit={world.unit_a.pk}&week={WEEK.iso}"
    _busy_leads(world, 2)
    # 1. session, 2. user, 3. the user's permissions, 4. their groups' permissions (view_lead), 5. is the user an
    # administrator, 6. their memberships (scope), 7. the units they can see (the select and the check of the
    # chosen one), 8. the count, 9. the page of leads with owner, unit, organization, introducer, event and sector
    # joined, 10. the week's activities, 11. the week's stage moves, 12. the latest planned next step per lead,
    # 13. the coordination needs open at the week's end.
    small = _queries(client, url)
    _busy_leads(world, 18, start=2)
    large = _queries(client, url)
    assert small == large == 13


def test_the_ledger_xlsx_takes_the_same_queries_for_2_and_20_rows(world, client_as):
    client = client_as(world.a)
    url = f"{LEDGER_XLSX}?unit={world.unit_a.pk}&week={WEEK.iso}"
    _busy_leads(world, 2)
    small = _queries(client, url)
    _busy_leads(world, 18, start=2)
    assert _queries(client, url) == small


# --- Dispatch-meeting list ------------------------------------------------------------------------------------


def days_from_today(days: int) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=days)


@pytest.fixture
def needs(world):
    """Open needs for two departments, overdue, due later and without a date; a resolved need, a lost lead's
    need and unit B's need that unit A's officer must not see."""
    lead = world.lead
    add = services.coordination_need_add
    add(actor=world.a, lead=lead, request="无截止日期的事项", department="市发改委")
    add(actor=world.a, lead=lead, request="能评审批", department="市发改委", due_on=days_from_today(10))
    add(actor=world.a, lead=lead, request="立项备案", department="市发改委", due_on=days_from_today(-5))
    add(
        actor=world.a,
        lead=lead,
        request="洁净室租金补贴",
        department="工业园区管委会",
        due_on=days_from_today(-1),
    )
    resolved = add(
        actor=world.a, lead=lead, request="已办结", department="市发改委", due_on=days_from_today(-9)
    )
    services.coordination_need_resolve(actor=world.a, need=resolved, resolution="已完成")
    lost = make_lead(owner=world.a, unit=world.unit_a, name="已流失线索")
    add(actor=world.a, lead=lost, request="流失线索的事项", department="市发改委")
    services.lead_mark_lost(actor=world.a, lead=lost, reason=LostReason.OTHER_LOCATION)
    other = make_lead(owner=world.b, unit=world.unit_b, name="一处的线索")
    add(actor=world.b, lead=other, request="一处的事项", department="市发改委", due_on=days_from_today(-2))


def test_the_dispatch_list_groups_open_needs_by_department_then_due_date(world, client_as, needs):
    response = client_as(world.a).get(DISPATCH)
    assert response.status_code == 200
    groups = response.context["groups"]
    assert [group.department for group in groups] == sorted(["市发改委", "工业园区管委会"])
    by_department = {group.department: group for group in groups}
    assert [(item.need.request, item.days_overdue) for item in by_department["市发改委"].items] == [
        ("立项备案", 5),
        ("能评审批", 0),
        ("无截止日期的事项", 0),
    ]
    assert by_department["市发改委"].overdue == 1
    page = response.content.decode()
    assert f'href="/admin/projects/lead/{world.lead.pk}/change/"' in page
    assert "5 days overdue" in page
    for hidden in ("一处的事项", "已办结", "流失线索的事项"):  # unit B's, resolved, and a lost lead's
        assert hidden not in page


def test_the_dispatch_xlsx_has_the_same_grouping(world, client_as, needs):
    rows = rows_of(client_as(world.a).get(DISPATCH_XLSX))
    assert rows[0][0] == "Dispatch meeting list: open coordination needs"
    assert ("Open needs", "4") in [row[:2] for row in rows]
    body = table(rows, "No.")
    headings = [row["No."] for row in body if row["Lead code"] is None]
    assert headings == [
        "工业园区管委会 (1 open, 1 overdue)",
        "市发改委 (3 open, 1 overdue)",
    ] or headings == ["市发改委 (3 open, 1 overdue)", "工业园区管委会 (1 open, 1 overdue)"]
    items = [row for row in body if row["Lead code"] is not None]
    assert [row["No."] for row in items] == [1, 2, 3, 4]
    overdue = next(row for row in items if row["Request"] == "立项备案")
    assert overdue == {
        "No.": overdue["No."],
        "Lead code": world.lead.code,
        "Lead": world.lead.name,
        "Owner": "officer_a",
        "Unit": "香港合作处",
        "Request": "立项备案",
        "Due date": dt.datetime.combine(days_from_today(-5), dt.time()),
        "Days overdue": 5,
    }
    undated = next(row for row in items if row["Request"] == "无截止日期的事项")
    assert (undated["Due date"], undated["Days overdue"]) == (None, None)


def test_the_dispatch_list_filters_by_unit_and_department(world, client_as, needs):
    director = client_as(world.director)
    everything = director.get(DISPATCH).context["groups"]
    assert sum(len(group.items) for group in everything) == 5
    unit_b = director.get(f"{DISPATCH}?unit={world.unit_b.pk}").context["groups"]
    assert [item.need.request for group in unit_b for item in group.items] == ["一处的事项"]
    one = director.get(f"{DISPATCH}?department=工业园区管委会").context["groups"]
    assert [group.department for group in one] == ["工业园区管委会"]
    assert director.get(f"{DISPATCH}?department=已撤销的部门").context["groups"] == []


def test_a_report_viewer_may_not_open_the_dispatch_list_but_officers_may(world, client_as):
    viewer = join(make_user(Role.REPORT_VIEWER, username="viewer"), world.unit_a)
    assert client_as(viewer).get(DISPATCH).status_code == 403
    assert client_as(viewer).get(DISPATCH_XLSX).status_code == 403
    assert client_as(world.a).get(DISPATCH).status_code == 200
    assert client_as(world.manager_a).get(DISPATCH_XLSX).status_code == 200


def test_officer_b_sees_only_unit_bs_needs_and_may_not_ask_for_unit_a(world, client_as, needs):
    response = client_as(world.b).get(DISPATCH)
    assert [item.need.request for group in response.context["groups"] for item in group.items] == [
        "一处的事项"
    ]
    refused = client_as(world.b).get(f"{DISPATCH}?unit={world.unit_a.pk}")
    assert refused.status_code == 400
    assert "Choose one of the units you can see." in refused.content.decode()


def test_the_dispatch_page_takes_the_same_queries_for_2_and_20_needs(world, client_as):
    client = client_as(world.manager_a)
    member = join(make_user(Role.OFFICER, username="officer_a2"), world.unit_a, UnitMembership.Role.MEMBER)

    def add(count: int, start: int) -> None:
        for n in range(start, start + count):
            lead = make_lead(owner=(world.a, member)[n % 2], unit=world.unit_a, name=f"待协调线索{n}")
            services.coordination_need_add(
                actor=world.a, lead=lead, request=f"事项{n}", department=("市发改委", "市人社局")[n % 2],
                due_on=days_from_today(n - 10),
            )  # fmt: skip

    add(2, 0)
    # 1. session, 2. user, 3. the user's permissions, 4. their groups' permissions (view_lead), 5. is the user an
    # administrator, 6. their memberships (scope), 7. the units they can see, 8. the needs with lead, owner and
    # unit joined, 9. the departments for the filter.
    small = _queries(client, DISPATCH)
    add(18, 2)
    large = _queries(client, DISPATCH)
    assert small == large == 9
