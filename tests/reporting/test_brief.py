"""The monthly brief: a month's headline figures against the month before, notable signings, the page and the
PDF (with a CJK font embedded), who may open them, and what a bad month or unit answers."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
import zlib
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from accounts.roles import Role
from funding import services as funding
from projects import services
from projects.models import Lead, LeadType, Signing
from projects.services.ledger import lead_import_history
from projects.stages import Stage
from reporting.brief import (
    HEADLINES,
    default_month,
    headline_rows,
    month_end,
    monthly_brief,
    months_before,
    previous_month,
)
from tests.factories import join, make_lead, make_organization, make_user
from tests.projects.conftest import english_client

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
MONTH = default_month(TODAY)  # the last full month
BEFORE = previous_month(MONTH)
YI = Decimal(10) ** 8


@pytest.fixture(autouse=True)
def _settings(settings):
    settings.REPORT_CACHE_SECONDS = 0


def on(month: dt.date, day: int) -> dt.date:
    return month.replace(day=day)


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    """A moment on the wall clock in Suzhou (Asia/Shanghai)."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def registered(
    world, day: dt.date, *, unit=None, owner=None, talent: bool = False, name: str | None = None
) -> Lead:
    lead_type = LeadType.TALENT if talent else LeadType.UNIVERSITY_TEAM
    return make_lead(
        owner=owner or world.a,
        unit=unit or world.unit_a,
        lead_type=lead_type,
        name=name,
        occurred_at=at(day),
        imported=True,
    )


def sign(lead: Lead, day: dt.date, amount: str, currency: str = "CNY", *, investor: str = "HKIC", kind=None):
    return services.signing_create(
        actor=lead.owner,
        lead=lead,
        signed_on=day,
        investor=make_organization(investor, f"{investor} 投资方"),
        amount=Decimal(amount),
        currency=currency,
        kind=kind or Signing.Kind.NEW,
    )


@pytest.fixture
def month_data(world):
    """Unit A: two leads registered in the month, one the month before; signings, capital and an arrival in
    both. Unit B: a large signing in the month, outside unit A's brief."""
    funding.exchange_rate_set(currency="HKD", date=on(MONTH, 1), rate_to_cny=Decimal("0.92"))
    first = registered(world, on(MONTH, 3), name="港科大 微纳光学团队")
    second = registered(world, on(MONTH, 5), name="城大 储能材料团队")
    earlier = registered(world, on(BEFORE, 12), name="港大 生物医药公司")
    talent = registered(world, on(BEFORE, 2), talent=True)
    lead_import_history(
        lead=talent,
        moves=[(Stage.T_OFFERED, at(on(BEFORE, 3))), (Stage.T_ARRIVED, at(on(MONTH, 8)))],
        actor=world.a,
    )

    sign(first, on(MONTH, 10), "50000000.00")  # 5000万元
    sign(second, on(MONTH, 12), "120000000.00", "HKD")  # 1.2亿港元 at 0.92: 11040万元
    sign(first, on(MONTH, 20), "10000000.00", kind=Signing.Kind.CAPITAL_INCREASE)  # amount only
    sign(earlier, on(BEFORE, 15), "30000000.00")  # 3000万元
    services.capital_injection_create(
        actor=world.a, lead=first, received_on=on(MONTH, 25), amount=Decimal("20000000.00"), currency="CNY"
    )

    elsewhere = registered(world, on(MONTH, 4), unit=world.unit_b, owner=world.b, name="理大 无人机公司")
    sign(elsewhere, on(MONTH, 6), "900000000.00", investor="SIP")
    return SimpleNamespace(first=first, second=second, earlier=earlier, elsewhere=elsewhere)


def figures(brief) -> dict:
    return {
        row["key"]: (row["current"], row["previous"], row["change"], row["growth"])
        for row in brief["headline"]
    }


def test_the_headline_compares_the_month_with_the_one_before(world, month_data):
    brief = monthly_brief(world.director, month=MONTH, unit=world.unit_a, today=TODAY)
    assert figures(brief) == {
        "signings": (2, 1, 1, Decimal("100.0")),
        "contracted_amount": (Decimal("17040.00"), Decimal("3000.00"), Decimal("14040.00"), Decimal("468.0")),
        "new_leads": (2, 2, 0, Decimal("0.0")),
        "talent_arrived": (1, 0, 1, None),
        "capital_in_place": (Decimal("2000.00"), Decimal("0.00"), Decimal("2000.00"), None),
        "funding_approved_count": (0, 0, 0, None),
        "funding_approved": (Decimal("0.00"), Decimal("0.00"), Decimal("0.00"), None),
    }


def test_a_change_reads_up_down_or_unchanged_with_the_month_on_month_growth():
    current = {"values": {key: 0 for key, _label, _kind in HEADLINES}}
    previous = {"values": {key: 0 for key, _label, _kind in HEADLINES}}
    current["values"].update(signings=3, contracted_amount=Decimal("1200.50"), new_leads=4)
    previous["values"].update(signings=4, contracted_amount=Decimal("1000.00"), new_leads=4, talent_arrived=2)
    with translation.override("en"):
        rows = {
            row["key"]: (row["current_text"], row["change_text"], row["growth_text"])
            for row in headline_rows(current, previous)
        }
    assert rows["signings"] == ("3", "down 1", "-25.0%")
    assert rows["contracted_amount"] == ("1200.50", "up 200.50", "+20.1%")
    assert rows["new_leads"] == ("4", "unchanged", "+0.0%")
    assert rows["talent_arrived"] == ("0", "down 2", "-100.0%")
    assert rows["capital_in_place"] == ("0.00", "unchanged", "—")


def test_the_brief_covers_its_month_its_unit_and_the_twelve_months_to_its_end(world, month_data):
    brief = monthly_brief(world.director, month=on(MONTH, 17), unit=world.unit_a, today=TODAY)
    assert (brief["month"], brief["previous_month"], brief["period"]) == (
        MONTH,
        BEFORE,
        (MONTH, month_end(MONTH)),
    )
    assert brief["month_label"] == f"{MONTH.year}年{MONTH.month}月"
    assert brief["scope"] == "香港合作处"
    assert (brief["funnel"]["date_from"], brief["funnel"]["date_to"]) == (
        months_before(MONTH, 11),
        month_end(MONTH),
    )
    # Registered in the twelve months: the two org leads of the month, the earlier one, the talent.
    assert [(row["phase"], row["org"], row["talent"], row["total"]) for row in brief["funnel"]["phases"]] == [
        ("attraction", 3, 1, 4),
        ("landing", 0, 1, 1),
        ("conversion", 0, 0, 0),
    ]


def test_notable_signings_are_the_months_new_ones_largest_first_in_yuan(world, month_data):
    brief = monthly_brief(world.director, month=MONTH, unit=world.unit_a, today=TODAY)
    assert [
        (item["name"], item["investor"], item["amount_text"], item["cny"], item["cny_text"])
        for item in brief["notable_signings"]
    ] == [
        ("城大 储能材料团队", "HKIC 投资方 (HKIC)", "1.2亿港元", Decimal("110400000.00"), "1.104亿元"),
        ("港科大 微纳光学团队", "HKIC 投资方 (HKIC)", "5000万元", Decimal("50000000.00"), "5000万元"),
    ]


def test_every_signing_of_at_least_100_million_yuan_is_notable_even_beyond_five(world):
    lead = registered(world, on(MONTH, 2))
    amounts = ["300000000", "250000000", "200000000", "150000000", "120000000", "100000000", "99999999.99"]
    for index, amount in enumerate(amounts):
        sign(lead, on(MONTH, 3 + index), amount, investor=f"INV{index}")
    brief = monthly_brief(world.director, month=MONTH, unit=None, today=TODAY)
    assert [item["cny"] for item in brief["notable_signings"]] == [Decimal(a) for a in amounts[:6]]


def test_a_month_without_large_signings_lists_its_five_largest(world):
    lead = registered(world, on(MONTH, 2))
    amounts = ["1000000", "7000000", "3000000", "9000000", "5000000", "8000000"]
    for index, amount in enumerate(amounts):
        sign(lead, on(MONTH, 3 + index), amount, investor=f"INV{index}")
    sign(lead, on(MONTH, 10), "90000000", kind=Signing.Kind.CAPITAL_INCREASE)  # not a new signing
    brief = monthly_brief(world.director, month=MONTH, unit=None, today=TODAY)
    assert [item["cny"] for item in brief["notable_signings"]] == [
        Decimal(a) for a in ("9000000", "8000000", "7000000", "5000000", "3000000")
    ]


def test_an_amount_without_an_exchange_rate_is_noted_and_not_added(world):
    lead = registered(world, on(MONTH, 2), name="科大 机器人团队")
    sign(lead, on(MONTH, 9), "1000000.00", "USD")  # no USD rate at all
    sign(lead, on(MONTH, 10), "2000000.00", investor="SIP")
    brief = monthly_brief(world.director, month=MONTH, unit=None, today=TODAY)
    assert figures(brief)["contracted_amount"][0] == Decimal("200.00")
    [note] = brief["unconverted"]
    assert "100万美元" in note
    assert [(item["amount_text"], item["cny"], item["cny_text"]) for item in brief["notable_signings"]] == [
        ("200万元", Decimal("2000000.00"), "200万元"),
        ("100万美元", None, ""),
    ]


def test_a_report_viewers_brief_keeps_the_figures_but_names_no_lead(world, month_data):
    viewer = join(make_user(Role.REPORT_VIEWER, username="viewer"), world.unit_a)
    brief = monthly_brief(viewer, month=MONTH, unit=None, today=TODAY)
    assert figures(brief)["signings"][:2] == (2, 1)
    assert {item["name"] for item in brief["notable_signings"]} == {""}
    assert brief["stalled"] == []
    assert all(row["items"] == [] for row in brief["overdue"])


def brief_queries(world, count: int) -> int:
    """Queries to build the brief over `count` new signings of the month (two leads, two currencies), adding
    signings up to `count`."""
    funding.exchange_rate_set(currency="HKD", date=on(MONTH, 1), rate_to_cny=Decimal("0.92"))
    leads = list(Lead.objects.filter(name__startswith="计数"))
    leads += [registered(world, on(MONTH, 2), name=f"计数{index}") for index in range(len(leads), 2)]
    for index in range(Signing.objects.count(), count):
        sign(leads[index % 2], on(MONTH, 3), "60000000", ("CNY", "HKD")[index % 2], investor=f"Q{index}")
    director = type(world.director).objects.get(pk=world.director.pk)
    with CaptureQueriesContext(connection) as queries:
        brief = monthly_brief(director, month=MONTH, unit=world.unit_a, today=TODAY)
    assert len(brief["notable_signings"]) == min(count, 5)
    return len(queries)


def test_building_the_brief_takes_the_same_queries_for_2_and_20_signings(world):
    # 1-2 the user's permissions (user's, groups'), 3-4 the user's scope (administrator?, memberships);
    # for the month and the month before, 11 each (5-26): the KPIs' signings grouped, rates, large new
    # signings, approvals, tranches, funnel (cohort grouped, median days), capital grouped, arrivals, overdue
    # per pass, then the month's cohort count; 27 the notable signings with lead and investor, 28 their rates;
    # 29 the overdue milestones numbered per pass, 30 the passes; 31 the stage rules; 32-33 the twelve months'
    # funnel (cohort grouped, median days); 34 the stalled leads shown, 35 their count.
    assert brief_queries(world, 2) == brief_queries(world, 20) == 35


# --- The page and the PDF ------------------------------------------------------------------------------------


def logged_in(user) -> Client:
    """An English client: the page around the brief follows the reader's language, the brief does not."""
    client = english_client()
    client.force_login(user)
    return client


def url(name: str = "reporting:brief", **params) -> str:
    query = "&".join(f"{key}={value}" for key, value in params.items())
    return f"{reverse(name)}?{query}" if query else reverse(name)


def test_a_manager_reads_the_brief_of_their_unit_by_default(world, month_data):
    response = logged_in(world.manager_a).get(url())
    assert response.status_code == 200
    form = response.context["form"]
    assert (form.cleaned_data["month"], form.cleaned_data["unit"]) == (MONTH, world.unit_a)
    page = response.content.decode()
    assert "城大 储能材料团队" in page
    assert "理大 无人机公司" not in page  # unit B's
    # Written in Chinese for an English reader: the month as the zh-hans locale writes it.
    assert f"{MONTH.year}年{MONTH.month}月" in page
    assert 'lang="zh-Hans"' in page


def test_a_report_viewer_reads_the_brief_without_lead_names(world, month_data):
    viewer = join(make_user(Role.REPORT_VIEWER, username="viewer"), world.unit_a)
    response = logged_in(viewer).get(url(month=f"{MONTH:%Y-%m}", unit=world.unit_a.pk))
    assert response.status_code == 200
    assert "城大 储能材料团队" not in response.content.decode()


def test_an_officer_may_not_open_the_brief(world):
    assert logged_in(world.a).get(url()).status_code == 403
    assert logged_in(world.a).get(url("reporting:brief-pdf")).status_code == 403


def test_a_month_that_does_not_exist_is_a_bad_request(world):
    response = logged_in(world.manager_a).get(url(month="2026-13"))
    assert response.status_code == 400
    assert "Enter a month as YYYY-MM" in response.content.decode()
    assert logged_in(world.manager_a).get(url("reporting:brief-pdf", month="2026-13")).status_code == 400


def test_a_future_month_or_one_of_ancient_history_is_a_bad_request(world):
    future = months_before(TODAY, -2)
    assert logged_in(world.manager_a).get(url(month=f"{future:%Y-%m}")).status_code == 400
    assert logged_in(world.manager_a).get(url(month="0001-01")).status_code == 400


def test_a_unit_outside_the_managers_scope_is_a_bad_request(world):
    response = logged_in(world.manager_a).get(url(unit=world.unit_b.pk))
    assert response.status_code == 400
    assert "Choose one of the units you can see." in response.content.decode()
    assert logged_in(world.director).get(url(unit=world.unit_b.pk)).status_code == 200


def pdf_objects(content: bytes) -> bytes:
    """The PDF's streams, inflated: WeasyPrint compresses its objects (fonts, their descriptors and ToUnicode
    maps among them) into Flate streams, where a plain byte search cannot see them."""
    streams = re.findall(rb"stream\r?\n(.*?)\r?\nendstream", content, re.S)
    return b"\n".join(zlib.decompress(stream) for stream in streams)


def _pdf_missing() -> str | None:
    """Why the PDF cannot be made here: WeasyPrint needs Pango (Debian: libpango-1.0-0, libpangoft2-1.0-0) and
    the brief a CJK font (fonts-wqy-microhei or fonts-noto-cjk)."""
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError) as error:
        return f"WeasyPrint cannot load: {error}"
    if not shutil.which("fc-list"):
        return "fontconfig's fc-list is missing, so no font can be found"
    fonts = subprocess.run(["fc-list"], capture_output=True, text=True, check=False).stdout
    if not re.search(r"wqy|noto sans cjk", fonts, re.I):
        return "no CJK font (Debian: fonts-wqy-microhei)"
    return None


@pytest.fixture
def pdf_ready():
    """Like the browser tests: skipped with the reason on a machine without the packages, a failure in CI."""
    reason = _pdf_missing()
    if reason and (os.environ.get("CI") == "true" or os.environ.get("REQUIRE_BROWSER") == "1"):
        pytest.fail(f"the PDF is required here but cannot be made: {reason}")
    if reason:
        pytest.skip(reason)


def test_the_pdf_is_a_pdf_with_a_chinese_font_embedded(world, month_data, pdf_ready):
    response = logged_in(world.manager_a).get(url("reporting:brief-pdf", month=f"{MONTH:%Y-%m}"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="brief-{MONTH:%Y-%m}.pdf"'
    assert response.content.startswith(b"%PDF")
    objects = pdf_objects(response.content)
    # A subset (the six-letter tag) of one of the CJK fonts the stylesheet names, embedded in the file.
    assert re.search(rb"/FontName /[A-Z]{6}\+(WenQuanYi|NotoSansCJK)", objects)
    assert b"/FontFile2" in objects
    # Its map back to Unicode holds the Chinese the brief prints: the month as 2026年10月, a lead's name.
    for character in "年月储能材料":
        assert f"<{ord(character):04x}>".encode() in objects
