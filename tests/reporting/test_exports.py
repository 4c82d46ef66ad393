"""The funnel and lead-list exports: what the sheets hold, who may download them, the reason asked before a large
export with personal data, the personal-data log, formula neutralization and query counts."""

from __future__ import annotations

import io
from decimal import Decimal
from urllib.parse import quote

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from accounts.roles import Role
from projects.models import LeadType
from talent.models import PersonalDataLog
from talent.services.rights import personal_data_export_log
from tests.factories import join, make_lead, make_user
from tests.talent.conftest import person

pytestmark = pytest.mark.django_db


LEADS_EXPORT = "/reports/leads/export/"
FUNNEL_EXPORT = "/reports/funnel.xlsx"


@pytest.fixture(autouse=True)
def _no_report_cache(settings):
    settings.REPORT_CACHE_SECONDS = 0


def rows_of(response) -> list[tuple]:
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    return [tuple(row) for row in sheet.iter_rows(values_only=True)]


def table(rows: list[tuple], *first_headers: str) -> list[dict]:
    """The rows under the header row that starts with `first_headers`, as dicts keyed by header, up to the next
    blank row."""
    start = next(i for i, row in enumerate(rows) if row[: len(first_headers)] == first_headers)
    headers = rows[start]
    records = []
    for row in rows[start + 1 :]:
        if row[0] is None:
            break
        records.append({header: value for header, value in zip(headers, row, strict=True) if header})
    return records


def talent_lead(world, name: str, *, phones=("+852 9123 4567",), emails=("chan@hku.hk",), unit=None):
    talent = person(name, phones=phones, emails=emails)
    return make_lead(
        owner=world.a,
        unit=unit or world.unit_a,
        lead_type=LeadType.TALENT,
        name=f"{name} 人才",
        subject_contact=talent,
    )


def without_personal_data(world):
    """A colleague of unit A who may list leads but not see phones and e-mails (no role grants exactly that; the
    permissions are given one by one)."""
    user = join(make_user(Role.REPORT_VIEWER, username="analyst"), world.unit_a)
    user.user_permissions.add(
        Permission.objects.get(codename="view_lead", content_type__app_label="projects")
    )
    return user


# --- Funnel ---------------------------------------------------------------------------------------------------


def test_the_funnel_export_writes_the_filters_then_the_stages_and_phases(world, client_as):
    response = client_as(world.manager_a).get(f"{FUNNEL_EXPORT}?track=org&from=2026-01-01&to=2026-12-31")
    assert response.status_code == 200
    rows = rows_of(response)
    assert rows[0][0] == "Funnel"
    assert ("Period", "2026-01-01 – 2026-12-31") in [row[:2] for row in rows]
    assert ("Track", "Organization track") in [row[:2] for row in rows]
    stages = table(rows, "Track", "Phase")
    assert [stage["Stage"] for stage in stages][:3] == ["Lead", "Qualified", "Engaged"]
    assert stages[0] == {
        "Track": "Organization track",
        "Phase": "Attraction",
        "Stage": "Lead",
        "Reached": 1,
        "Now at the stage": 1,
        "Lost at the stage": 0,
        "Conversion from the previous stage": None,
        "Median days in stage": None,
    }
    assert stages[1]["Conversion from the previous stage"] == 0
    phases = table(rows, "Phase", "Track")
    assert phases[0] == {
        "Phase": "Attraction",
        "Track": "Organization track",
        "Reached": 1,
        "Conversion to the next phase": 0,
    }


def test_the_funnel_export_names_its_file_in_ascii_and_in_utf8(world, client_as):
    response = client_as(world.manager_a).get(f"{FUNNEL_EXPORT}?from=2026-01-01&to=2026-06-30")
    assert response["Content-Disposition"] == (
        "attachment; filename=\"funnel-20260101-20260630.xlsx\"; filename*=UTF-8''Funnel-20260101-20260630.xlsx"
    )


def test_a_chinese_file_name_is_sent_percent_encoded(world):
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(world.manager_a)
    response = client.get(f"{LEADS_EXPORT}?from=2026-01-01&to=2026-06-30")
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment; filename=\"leads-20260101-20260630.xlsx\"; filename*=UTF-8''")
    assert disposition.isascii()
    assert "-20260101-20260630.xlsx" in disposition
    assert (
        quote("线索") in disposition or "Leads" in disposition
    )  # the translated word, when the catalog has it


def test_bad_filters_on_the_funnel_export_are_a_400_page_with_the_errors(world, client_as):
    response = client_as(world.manager_a).get(f"{FUNNEL_EXPORT}?from=2026-13-45")
    assert response.status_code == 400
    assert "Enter a valid date." in response.content.decode()


def test_a_report_viewer_downloads_the_funnel_and_an_officer_may_not(world, client_as):
    viewer = join(make_user(Role.REPORT_VIEWER, username="viewer"), world.unit_a)
    assert client_as(viewer).get(FUNNEL_EXPORT).status_code == 200
    assert client_as(world.a).get(FUNNEL_EXPORT).status_code == 403


# --- Lead list: content ---------------------------------------------------------------------------------------


def test_the_lead_list_export_has_a_row_per_lead_with_its_columns(world, client_as):
    make_lead(
        owner=world.a,
        unit=world.unit_a,
        name="港大 电池材料团队",
        expected_investment=Decimal("30000000.00"),
        expected_investment_currency="HKD",
    )
    talent_lead(world, "陳大文", phones=("+852 9123 4567", "+86 139 1234 5678"), emails=("chan@hku.hk",))
    response = client_as(world.a).get(f"{LEADS_EXPORT}?track=org")
    assert response.status_code == 200
    rows = rows_of(response)
    assert rows[0][0] == "Leads"
    assert ("Track", "Organization track") in [row[:2] for row in rows]
    leads = {lead["Name"]: lead for lead in table(rows, "Code")}
    assert set(leads) == {"港大 电池材料团队", world.lead.name}
    battery = leads["港大 电池材料团队"]
    assert battery["Lead type"] == "HK university R&D team"
    assert battery["Track"] == "Organization track"
    assert battery["Stage"] == "Lead"
    assert battery["Status"] == "Active"
    assert battery["Owner"] == "officer_a"
    assert battery["Owning unit"] == "香港合作处"
    assert battery["Hong Kong organization"] == "香港科技大学"
    assert battery["Expected investment"] == 30000000
    assert battery["Currency"] == "HKD"
    assert battery["Code"].startswith("HK-")


def test_the_talents_name_phones_and_emails_are_exported_for_holders_of_the_personal_data_permission(
    world, client_as
):
    lead = talent_lead(
        world, "陳大文", phones=("+852 9123 4567", "+86 139 1234 5678"), emails=("chan@hku.hk",)
    )
    rows = rows_of(client_as(world.a).get(f"{LEADS_EXPORT}?track=talent"))
    [row] = table(rows, "Code")
    assert row["Code"] == lead.code
    assert row["Talent"] == lead.subject_contact.name
    # E.164 phones start with "+": kept as text, never run as a formula.
    assert row["Phone"] == "'+85291234567; +8613912345678"
    assert row["E-mail"] == "chan@hku.hk"


def test_without_the_personal_data_permission_the_personal_columns_are_absent_and_nothing_is_logged(
    world, client_as, settings
):
    settings.REPORT_EXPORT_REASON_ROWS = 1
    talent_lead(world, "陳大文")
    talent_lead(world, "黃嘉欣")
    response = client_as(without_personal_data(world)).get(LEADS_EXPORT)
    assert response.status_code == 200  # no reason asked: nothing personal in it
    headers = next(row for row in rows_of(response) if row[0] == "Code")
    assert not {"Talent", "Phone", "E-mail"} & set(headers)
    assert len(table(rows_of(response), "Code")) == 3
    assert not PersonalDataLog.objects.exists()


def test_formula_looking_names_come_out_as_text(world, client_as):
    for name in ('=HYPERLINK("http://evil.example","点我")', "+cmd|' /C calc'!A0", "@SUM(1+1)*cmd", "-2+3"):
        make_lead(owner=world.a, unit=world.unit_a, name=name)
    names = {row["Name"] for row in table(rows_of(client_as(world.a).get(LEADS_EXPORT)), "Code")}
    assert names == {
        '\'=HYPERLINK("http://evil.example","点我")',
        "'+cmd|' /C calc'!A0",
        "'@SUM(1+1)*cmd",
        "'-2+3",
        world.lead.name,
    }


def test_the_export_drills_down_to_one_funnel_number(world, client_as):
    response = client_as(world.a).get(f"{LEADS_EXPORT}?measure=reached&stage=LEAD")
    rows = rows_of(response)
    assert ("Stage", "Lead · reached it or a later stage") in [row[:2] for row in rows]
    assert [row["Code"] for row in table(rows, "Code")] == [world.lead.code]
    empty = rows_of(client_as(world.a).get(f"{LEADS_EXPORT}?measure=reached&stage=QUALIFIED"))
    assert table(empty, "Code") == []


@pytest.mark.parametrize(
    "query", ["measure=sideways&stage=LEAD", "measure=reached&stage=NOPE", "stage=LEAD", "measure=lost"]
)
def test_an_unknown_measure_or_stage_is_a_400(world, client_as, query):
    response = client_as(world.a).get(f"{LEADS_EXPORT}?{query}")
    assert response.status_code == 400
    assert "Unknown measure or stage." in response.content.decode()


def test_bad_filters_on_the_lead_list_export_are_a_400(world, client_as):
    response = client_as(world.a).get(f"{LEADS_EXPORT}?unit=999999")
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()


# --- Lead list: permissions -----------------------------------------------------------------------------------


def test_a_report_viewer_may_not_export_leads_but_officers_and_managers_may(world, client_as):
    viewer = join(make_user(Role.REPORT_VIEWER, username="viewer"), world.unit_a)
    assert client_as(viewer).get(LEADS_EXPORT).status_code == 403
    assert client_as(world.a).get(LEADS_EXPORT).status_code == 200
    assert client_as(world.manager_a).get(LEADS_EXPORT).status_code == 200


def test_officer_b_exports_none_of_unit_as_leads(world, client_as):
    make_lead(owner=world.b, unit=world.unit_b, name="产业一处的线索")
    names = [row["Name"] for row in table(rows_of(client_as(world.b).get(LEADS_EXPORT)), "Code")]
    assert names == ["产业一处的线索"]
    names = [row["Name"] for row in table(rows_of(client_as(world.a).get(LEADS_EXPORT)), "Code")]
    assert names == [world.lead.name]  # positive control


# --- Lead list: the reason and the log ------------------------------------------------------------------------


@pytest.fixture
def many(world, settings):
    """Above the threshold: three talent leads and world.lead, four rows, for a threshold of two."""
    settings.REPORT_EXPORT_REASON_ROWS = 2
    return [talent_lead(world, name) for name in ("陳大文", "黃嘉欣", "李志明")]


def test_a_large_export_with_personal_data_asks_for_a_reason_first_and_logs_nothing(world, client_as, many):
    response = client_as(world.a).get(f"{LEADS_EXPORT}?track=")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert "This export contains personal data" in page
    assert "It lists 4 leads" in page
    assert 'name="csrfmiddlewaretoken"' in page
    assert f'action="{LEADS_EXPORT}?track="' in page
    assert not PersonalDataLog.objects.exists()


@pytest.mark.parametrize(
    ("reason", "message"),
    [
        ("", "Say why you need this export (at least 10 characters)."),
        ("for work", "Say a little more about why you need this export: at least 10 characters."),
    ],
)
def test_a_missing_or_short_reason_is_refused_with_a_clear_message(world, client_as, many, reason, message):
    response = client_as(world.a).post(LEADS_EXPORT, {"reason": reason})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not PersonalDataLog.objects.exists()


def test_a_large_export_with_a_reason_is_sent_and_logged_once(world, client_as, many):
    reason = "准备周五的人才对接会，需要逐一电话联系"
    response = client_as(world.a).post(f"{LEADS_EXPORT}?track=talent", {"reason": reason})
    assert response.status_code == 200
    assert len(table(rows_of(response), "Code")) == 3
    [entry] = PersonalDataLog.objects.all()
    assert entry.kind == PersonalDataLog.Kind.EXPORT
    assert entry.actor == world.a
    assert entry.reason == reason
    assert entry.contact_id_value is None
    assert entry.details["report"] == "lead_list"
    assert entry.details["rows"] == 3
    assert entry.details["filters"]["track"] == "talent"


def test_a_small_export_with_personal_data_is_logged_without_a_reason(world, client_as):
    talent_lead(world, "陳大文")
    response = client_as(world.a).get(LEADS_EXPORT)
    assert response.status_code == 200
    [entry] = PersonalDataLog.objects.all()
    assert (entry.reason, entry.details["rows"], entry.details["report"]) == ("", 2, "lead_list")


def test_the_csrf_token_is_required_to_post_the_reason(world, many):
    client = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(world.a)
    response = client.post(LEADS_EXPORT, {"reason": "准备周五的人才对接会，需要逐一电话联系"})
    assert response.status_code == 403
    assert not PersonalDataLog.objects.exists()


def test_the_export_log_service_writes_an_export_row_about_no_one_contact(world):
    entry = personal_data_export_log(actor=world.a, reason="  季度统计  ", details={"report": "x", "rows": 3})
    entry.refresh_from_db()
    assert (entry.kind, entry.contact_id_value, entry.reason) == (
        PersonalDataLog.Kind.EXPORT,
        None,
        "季度统计",
    )
    assert entry.details == {"report": "x", "rows": 3}


# --- Query counts ---------------------------------------------------------------------------------------------


def _queries(client, url: str) -> int:
    cache.clear()  # each measured export is the user's first of the hour
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries.captured_queries)


def _talent_leads(world, count: int, start: int = 0) -> None:
    for n in range(start, start + count):
        talent_lead(
            world,
            f"人才{n}",
            phones=(f"+852 9123 45{n:02d}", f"+86 139 1234 56{n:02d}"),
            emails=(f"a{n}@hku.hk", f"b{n}@ust.hk"),
        )


def test_the_lead_list_export_takes_the_same_queries_for_2_and_20_rows(world, client_as):
    client = client_as(world.a)
    _talent_leads(world, 2)
    # 1. session, 2. user, 3. the user's permissions, 4. their groups' permissions (view_lead, then
    # view_personal_data), 5. whether the user is an administrator, 6. their memberships (scope), 7. the count
    # (against the reason threshold), 8. the leads with owner, unit, organization, sector, carrier, event and
    # talent joined, 9. the talents' phones and e-mails, 10-13. the log row (savepoint, full_clean's check that
    # the actor exists, insert, release).
    # The export is also counted per user in the shared cache (core.throttle.allow): no SQL with Redis; with the
    # database cache the hour's first count is 5 more (the cache's size for culling, savepoint, the key's row, its
    # insert, release).
    counted = 0 if "redis" in settings.CACHES["default"]["BACKEND"].lower() else 5
    small = _queries(client, f"{LEADS_EXPORT}?track=talent")
    _talent_leads(world, 18, start=2)
    large = _queries(client, f"{LEADS_EXPORT}?track=talent")
    assert small == large == 13 + counted


def test_personal_data_exports_are_limited_per_user_and_hour(world, client_as, settings):
    settings.REPORT_PERSONAL_EXPORTS_PER_HOUR = 2
    cache.clear()
    _talent_leads(world, 2)
    client = client_as(world.a)
    url = f"{LEADS_EXPORT}?track=talent"
    assert [client.get(url).status_code for _ in range(2)] == [200, 200]
    refused = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 429
    assert "You have made 2 exports with personal data in the last hour" in refused.content.decode()
    # Nothing was exported or logged by the refusal.
    assert PersonalDataLog.objects.filter(kind=PersonalDataLog.Kind.EXPORT).count() == 2
    cache.clear()
