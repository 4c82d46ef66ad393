"""The Content-Security-Policy in a real browser: our own pages (charts and their tooltips, the phone pages, the
inbox, Swagger UI) run without a single violation, and the admin breaks nothing under its enforced policy; what it
would still need from the strict policy shows up as report-only violations, and nowhere else."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from accounts.models import Unit, UnitMembership
from accounts.roles import Role
from talent.services.events import event_create
from tests.factories import join, make_lead, make_unit, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Playwright's init scripts run outside the page's policy, so the listener is in place before the first byte is
# parsed. Chromium fires securitypolicyviolation for every blocked script, style block or style attribute, and for
# every one the report-only policy would have blocked (disposition "report").
RECORD = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', e => window.__csp.push({
  directive: e.violatedDirective, disposition: e.disposition, source: e.sourceFile + ':' + e.lineNumber,
}));
"""


def _context(chromium, live_server, user):
    client = Client()
    client.force_login(user)
    context = chromium.new_context(
        base_url=live_server.url, locale="zh-CN", viewport={"width": 1400, "height": 1000}
    )
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
    context.add_init_script(RECORD)
    return context


def _visit(context, url: str, ready: str = "body") -> tuple[object, list[dict]]:
    page = context.new_page()
    response = page.goto(url)
    assert response is not None
    assert response.status == 200, url
    page.wait_for_selector(ready)
    page.wait_for_load_state("networkidle")
    return page, page.evaluate("window.__csp")


def test_no_page_of_ours_violates_the_policy_and_the_admin_only_reports(chromium, live_server):
    unit = make_unit("香港合作处", parent=make_unit("市投资促进局", kind=Unit.Kind.BUREAU))
    officer = join(make_user(Role.OFFICER, username="officer"), unit)
    manager = join(make_user(Role.MANAGER, username="manager"), unit, UnitMembership.Role.HEAD)
    administrator = make_user(Role.ADMINISTRATOR, username="administrator")
    lead = make_lead(
        owner=officer,
        unit=unit,
        name="港科大 量子计算研发团队",
        occurred_at=timezone.now() - dt.timedelta(days=30),
    )
    today = timezone.localdate()
    fair = event_create(
        actor=None, name="创科人才交流会", starts_on=today, ends_on=today, assigned_staff=[officer]
    )

    context = _context(chromium, live_server, manager)
    page, violations = _visit(context, "/reports/", "body[data-charts-ready=true]")
    assert violations == []
    # ECharts' HTML tooltips would be markup with style attributes; dashboard.js has them drawn in the SVG.
    for chart in ("funnel-org", "time-in-stage", "cohort-trend"):
        page.evaluate(
            "id => echarts.getInstanceByDom(document.getElementById(id))"
            ".dispatchAction({type: 'showTip', seriesIndex: 0, dataIndex: 0})",
            chart,
        )
        page.wait_for_timeout(300)
        assert page.evaluate("window.__csp") == [], f"/reports/ with the tooltip of {chart}"
    for url in ("/reports/leads/", "/inbox/", "/api/docs/"):
        assert _visit(context, url)[1] == [], url
    context.close()

    context = _context(chromium, live_server, officer)
    for url, ready in (("/m/log/", "form"), (f"/m/capture/{fair.pk}/", "form.capture")):
        assert _visit(context, url, ready)[1] == [], url
    context.close()

    context = _context(chromium, live_server, administrator)
    reported = {}
    for url in (
        "/admin/",
        f"/admin/projects/lead/{lead.pk}/change/",
        "/admin/projects/lead/add/",
        "/admin/talent/contact/",
        "/admin/accounts/unit/",
    ):
        _, violations = _visit(context, url)
        assert [v for v in violations if v["disposition"] != "report"] == [], url
        reported[url] = {v["directive"] for v in violations}
    context.close()
    # The indented unit tree is written with style attributes (accounts.admin): the one thing the admin's
    # relaxed policy is still there for, and the report-only policy says so. The lead's pages need nothing.
    assert reported["/admin/accounts/unit/"] == {"style-src-attr"}
    assert reported[f"/admin/projects/lead/{lead.pk}/change/"] == set()
