"""The dashboard in a real browser: its charts show the funnel API's numbers, a bar opens the leads behind it,
the language switches, and each manager sees their own unit's figures. Screenshots go to var/screenshots/."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from accounts.models import Unit, UnitMembership
from accounts.roles import Role
from projects.models import Lead, LeadType, StageChange
from tests.factories import join, make_lead, make_unit, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"
DESKTOP = {"viewport": {"width": 1400, "height": 1000}}


def _history(lead: Lead, stages: list[str], *, start: dt.datetime, status: str = Lead.Status.ACTIVE) -> None:
    """Moves after the registration, ten days apart; the lead ends where its last move took it."""
    previous, at = lead.stage, start
    for stage in stages:
        at += dt.timedelta(days=10)
        StageChange.objects.create(
            lead=lead, from_stage=previous, to_stage=stage, actor=lead.owner, occurred_at=at
        )
        previous = stage
    extra = {"lost_reason": "no_progress"} if status == Lead.Status.LOST else {}
    Lead.objects.filter(pk=lead.pk).update(stage=previous, stage_entered_at=at, status=status, **extra)


@pytest.fixture
def bureau(settings):
    settings.REPORT_CACHE_SECONDS = 0
    root = make_unit("市投资促进局", kind=Unit.Kind.BUREAU)
    unit_a, unit_b = make_unit("香港合作处", parent=root), make_unit("产业招商一处", parent=root)
    officer_a = join(make_user(Role.OFFICER, username="officer_a"), unit_a)
    officer_b = join(make_user(Role.OFFICER, username="officer_b"), unit_b)
    manager_a = join(make_user(Role.MANAGER, username="manager_a"), unit_a, UnitMembership.Role.HEAD)
    manager_b = join(make_user(Role.MANAGER, username="manager_b"), unit_b, UnitMembership.Role.HEAD)
    start = timezone.now() - dt.timedelta(days=120)
    paths = [
        ["QUALIFIED", "ENGAGED", "VISITED", "NEGOTIATING"],
        ["QUALIFIED", "NEGOTIATING", "SIGNED"],
        ["QUALIFIED", "ENGAGED"],
        ["QUALIFIED"],
        [],
    ]
    for i, path in enumerate(paths):
        lead = make_lead(owner=officer_a, unit=unit_a, name=f"甲处线索{i}", occurred_at=start)
        _history(lead, path, start=start)
    lost = make_lead(owner=officer_a, unit=unit_a, name="甲处流失线索", occurred_at=start)
    _history(lost, ["QUALIFIED", "ENGAGED", "VISITED", "NEGOTIATING"], start=start, status=Lead.Status.LOST)
    talent = make_lead(
        owner=officer_a, unit=unit_a, name="甲处人才线索", lead_type=LeadType.TALENT, occurred_at=start
    )
    _history(talent, ["T_ENGAGED", "T_INTERESTED"], start=start)
    for i in range(3):
        lead = make_lead(owner=officer_b, unit=unit_b, name=f"乙处线索{i}", occurred_at=start)
        _history(lead, ["QUALIFIED", "ENGAGED"][: i + 1], start=start)
    return manager_a, manager_b


def _browser_for(chromium, live_server, user):
    client = Client()
    client.force_login(user)
    context = chromium.new_context(base_url=live_server.url, locale="zh-CN", **DESKTOP)
    context.set_default_timeout(15000)
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    return context, client


def _chart_reached(page, track: str) -> list[int]:
    return page.evaluate(
        "track => echarts.getInstanceByDom(document.getElementById('funnel-' + track)).getOption().series[0].data",
        track,
    )


def _api_reached(client: Client, query: str, track: str) -> list[int]:
    body = client.get(f"/api/v1/funnel/?{query}").json()
    return [row["reached"] for row in body["stages"] if row["track"] == track]


def _click_bar(page, track: str, index: int) -> str:
    """Click inside the bar of the `index`-th stage, where ECharts drew it; returns the clicked element's tag."""
    box = page.locator(f"#funnel-{track}").bounding_box()
    x, y = page.evaluate(
        """([track, index]) => {
            const chart = echarts.getInstanceByDom(document.getElementById('funnel-' + track));
            const value = chart.getOption().series[0].data[index];
            return chart.convertToPixel({seriesIndex: 0}, [value / 2, index]);
        }""",
        [track, index],
    )
    tag = page.evaluate(
        "([x, y]) => document.elementFromPoint(x, y).tagName.toLowerCase()", [box["x"] + x, box["y"] + y]
    )
    page.mouse.click(box["x"] + x, box["y"] + y)
    return tag


def test_the_charts_show_the_api_numbers_and_a_bar_opens_its_leads(chromium, live_server, bureau):
    manager_a, manager_b = bureau
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    today = timezone.localdate()
    query = f"from={today - dt.timedelta(days=365):%Y-%m-%d}&to={today:%Y-%m-%d}"
    context, client = _browser_for(chromium, live_server, manager_a)
    page = context.new_page()
    page.goto(f"/reports/?{query}")
    page.wait_for_selector("body[data-charts-ready=true]")
    page.screenshot(path=str(SCREENSHOTS / "dashboard-manager-a-zh-hans.png"), full_page=True)

    org = _chart_reached(page, "org")
    assert org == _api_reached(client, query, "org")
    assert org[:6] == [6, 5, 4, 3, 3, 1]  # LEAD … SIGNED for unit A's six organization leads
    assert _chart_reached(page, "talent") == _api_reached(client, query, "talent")

    negotiating = 4  # the stage's position in the organization track
    assert _click_bar(page, "org", negotiating) == "path"  # the SVG bar itself
    page.wait_for_url("**/reports/leads/**")
    assert "stage=NEGOTIATING" in page.url
    assert int(page.get_attribute("#lead-count", "data-count")) == org[negotiating] == 3
    page.screenshot(path=str(SCREENSHOTS / "lead-list-negotiating.png"), full_page=True)

    page.goto(f"/reports/?{query}")
    page.select_option("#language-select", "en")
    page.click(".language-switcher button[type=submit]")
    page.wait_for_selector("body[data-charts-ready=true]")
    assert page.inner_text("h1") == "Dashboard"
    labels = page.evaluate(
        "echarts.getInstanceByDom(document.getElementById('funnel-org')).getOption().yAxis[0].data"
    )
    assert labels[:2] == ["Lead", "Qualified"]
    page.screenshot(path=str(SCREENSHOTS / "dashboard-manager-a-en.png"), full_page=True)
    context.close()

    context_b, client_b = _browser_for(chromium, live_server, manager_b)
    page_b = context_b.new_page()
    page_b.goto(f"/reports/?{query}")
    page_b.wait_for_selector("body[data-charts-ready=true]")
    org_b = _chart_reached(page_b, "org")
    assert org_b == _api_reached(client_b, query, "org")
    assert org_b[:3] == [3, 3, 2]
    assert org_b != org
    page_b.screenshot(path=str(SCREENSHOTS / "dashboard-manager-b.png"), full_page=True)
    context_b.close()
