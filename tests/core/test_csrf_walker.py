"""CSRF on every state-changing form (issue 11, item 6): every route outside /api/, walked from the URL resolver.

Each route that takes POST has a case. Signed in as someone who may use the page (the administrator in the admin,
an import's uploader for its pages; the officer, the event's recorder or an attendee outside it), the case is
posted twice from a browser that holds the CSRF cookie, as a forged cross-site form would be:

- without the token: Django's CSRF failure (403, logged by `django.security.csrf` as "CSRF token missing"), and
  nothing changed: the row count of every table (history tables, the admin log and sessions among them), the
  case's target row and, where the case names one, its effect (a status, a password hash, a cookie, a count);
- with the token (the cookie's masked secret in `csrfmiddlewaretoken`, or in X-CSRFToken for the capture page's
  JSON queue, as static/js/capture.js sends it): not refused as CSRF, the view reached (no 404 or 405 unless the
  case says the route refuses such a post itself), and where the case names an effect, the effect happened. That
  is the positive control beside every refusal.

The admin's per-model routes (change list with its bulk actions, add, change, delete, history, simple-history's
version page, which core.admin keeps read-only, and the object redirect) are generated from the resolver and
admin.site._registry, on an object of each model from tests/core/admin_walker_cases.py (shared with the admin
walker). Every other route is written out in CASES_WRITTEN. A route without a case must refuse POST, PUT, PATCH
and DELETE with 405 (views under require_GET, class-based views without those methods), or
`test_every_route_that_answers_post_has_a_case` fails and names it; a case whose route is gone fails
`test_every_case_names_a_registered_route`. PUT, PATCH and DELETE without the token are refused on every route.

No route outside /api/ is exempt from CSRF: the QR registration form and quick capture, the internet-facing pages
of DESIGN §7, carry the token like every other form. EXEMPT is where a deliberate exemption would be written, with
its reason and the check that protects it instead; `test_csrf_exempt_views_are_exactly_the_listed_ones` keeps the
table and the views' `csrf_exempt` flags equal in both directions.

Finally every POST form in our own templates must render `{% csrf_token %}`.

The objects take seconds to build, so the module builds them once inside a transaction rolled back at its end; each
test runs in a savepoint of its own, so what a positive control changed is undone before the next case.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.contrib.auth import SESSION_KEY
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.db import connection, models, transaction
from django.http import HttpResponseBase
from django.middleware.csrf import REASON_CSRF_TOKEN_MISSING, get_token
from django.test import Client, RequestFactory, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from accounts.models import User
from directory.models import Holiday, Region, Sector
from projects.models import Activity, Lead, PauseReason
from reminders.models import Notification, NotificationPreference
from reminders.services import preference_for
from talent.models import Attendance, Contact, PersonalDataLog
from tests.api.walker_cases import PASSWORD
from tests.core.admin_walker_cases import BUILDERS, AdminWorld, build_world

ANONYMOUS = "anonymous"
OTHER_UNSAFE = ("put", "patch", "delete")
CSRF_LOGGER = "django.security.csrf"
NEW_PASSWORD = "Harbour-bridge-1997!"


# --- Routes, read from the resolver -----------------------------------------------------------------------------


def _route(pattern: URLPattern | URLResolver) -> str:
    # path() routes read as written; re_path() ones carry anchors that are not part of the route.
    text = str(pattern.pattern)
    return re.sub(r"^\^|\$$", "", text) if text.startswith("^") or text.endswith("$") else text


def site_routes() -> dict[str, URLPattern]:
    """Every route outside api/ (the API has its own walker), full route -> pattern, from the root resolver."""
    found: dict[str, URLPattern] = {}

    def walk(patterns, prefix: str) -> None:
        for pattern in patterns:
            route = prefix + _route(pattern)
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, route)
            elif not route.startswith("api/"):
                assert route not in found, f"two views under one route: {route}"
                found[route] = pattern

    walk(get_resolver().url_patterns, "")
    return found


def _test_id(route: str) -> str:
    return "POST /" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)


# --- Cases ----------------------------------------------------------------------------------------------------


def _no_data(world: AdminWorld, client: Client) -> dict[str, Any]:
    return {}


@dataclass(frozen=True)
class Case:
    """One route. `path` is the URL about the world's objects; `actor` who posts (an AdminWorld attribute, or
    ANONYMOUS); `data` the body, one that does what the page is for where the case names an effect (the generated
    admin cases post an empty form, a bulk action or the delete confirmation); `json` sends it as the capture
    page's queue does. `target` is the row the route is about, checked unchanged after the forged post; `effect`
    reads what a successful post changes: the same after the forged post, different after the one with the token;
    `given` prepares what the effect needs. `refuses` lists what the route itself answers the post with the token
    when it takes none (404 for a URL that names nothing, 405 for a read-only page), and that post must change
    nothing either; without it the view must take the post: any answer but 404 and 405."""

    route: str
    path: Callable[[AdminWorld], str]
    actor: str = "administrator"
    data: Callable[[AdminWorld, Client], dict[str, Any]] = _no_data
    json: bool = False
    target: Callable[[AdminWorld], models.Model | None] | None = None
    effect: Callable[[AdminWorld, Client], Any] | None = None
    given: Callable[[AdminWorld], Any] | None = None
    refuses: frozenset[int] = frozenset()


NAMES_NOTHING = frozenset({404})


def _days_ahead(days: int) -> str:
    return (timezone.localdate() + dt.timedelta(days=days)).isoformat()


def _obj(label: str) -> Callable[[AdminWorld], models.Model]:
    return lambda world: world.objects[label]


def _admin_url(name: str, *args: Callable[[AdminWorld], Any]) -> Callable[[AdminWorld], str]:
    return lambda world: reverse(f"admin:{name}", args=[arg(world) for arg in args])


def _pk(label: str) -> Callable[[AdminWorld], Any]:
    return lambda world: world.objects[label].pk


def _password_of(user: Callable[[AdminWorld], User]) -> Callable[[AdminWorld, Client], str]:
    return lambda world, client: User.objects.get(pk=user(world).pk).password


def _signed_in(world: AdminWorld, client: Client) -> bool:
    return SESSION_KEY in client.session


def _count(
    model: type[models.Model], **filters: Callable[[AdminWorld], Any]
) -> Callable[[AdminWorld, Client], int]:
    return lambda world, client: model._default_manager.filter(
        **{name: value(world) for name, value in filters.items()}
    ).count()


def _field(
    model: type[models.Model], pk: Callable[[AdminWorld], Any], name: str
) -> Callable[[AdminWorld, Client], Any]:
    return lambda world, client: (
        model._default_manager.filter(pk=pk(world)).values_list(name, flat=True).get()
    )


def _quick_log_form(world: AdminWorld, client: Client) -> dict[str, Any]:
    """The officer opens the phone page for the lead first: the form's one-time token comes from that page."""
    page = client.get(reverse("projects:quick-log"), {"lead": world.lead.pk})
    assert page.status_code == 200, page.status_code
    [token] = re.findall(r'name="token" value="([^"]+)"', page.content.decode())
    return {
        "lead": world.lead.pk,
        "token": token,
        "kind": Activity.Kind.CALL,
        "summary": "电话沟通：确认下周到园区考察",
    }


def _person(world: AdminWorld, client: Client) -> dict[str, Any]:
    return {"name": "李嘉欣", "phone": "9876 5432", "organization": "香港科技大学", "key": uuid.uuid4().hex}


def _unread_notification(world: AdminWorld) -> Notification:
    # Written by the reminder delivery in the product; the inbox only reads and marks them.
    return Notification.objects.create(recipient=world.officer_a, title="里程碑到期：落实洁净间")


APP_INDEX_ROUTE = next(route for route in site_routes() if route.startswith("admin/(?P<app_label>"))
EVENT_ATTENDANCES = _count(Attendance, event=lambda world: world.event)
PERSONAL_DATA_EXPORTS = _count(PersonalDataLog, kind=lambda world: PersonalDataLog.Kind.EXPORT)
LEAD = _obj("projects.Lead")
CONTACT = _obj("talent.Contact")
APPLICATION = _obj("funding.FundingApplication")


# The routes outside the admin's per-model ones, and a few of those with a body that really changes something.
CASES_WRITTEN: list[Case] = [
    # --- The site's pages -----------------------------------------------------------------------------------
    Case(
        "i18n/setlang/",
        path=lambda world: reverse("set_language"),
        actor="officer_a",
        data=lambda world, client: {"language": "en", "next": "/admin/"},
        effect=lambda world, client: getattr(
            client.cookies.get(settings.LANGUAGE_COOKIE_NAME), "value", None
        ),
    ),
    Case("", path=lambda world: reverse("home"), actor="officer_a"),
    Case(
        "m/capture/<int:event_id>/",
        path=lambda world: reverse("talent:capture", args=[world.event.pk]),
        actor="recorder_a",
        data=_person,
        target=lambda world: world.event,
        effect=EVENT_ATTENDANCES,
    ),
    Case(
        "m/capture/<int:event_id>/submit/",
        path=lambda world: reverse("talent:capture-submit", args=[world.event.pk]),
        actor="recorder_a",
        data=_person,
        json=True,
        target=lambda world: world.event,
        effect=EVENT_ATTENDANCES,
    ),
    Case(
        "r/<str:key>/",
        path=lambda world: reverse("talent:register", args=[world.event.registration_key]),
        actor=ANONYMOUS,
        data=lambda world, client: {
            **_person(world, client),
            "purposes": ["follow_up"],
            "statement_read": "on",
        },
        target=lambda world: world.event,
        effect=EVENT_ATTENDANCES,
    ),
    Case(
        "m/log/",
        path=lambda world: reverse("projects:quick-log"),
        actor="officer_a",
        data=_quick_log_form,
        target=lambda world: world.lead,
        effect=_count(Activity, lead=lambda world: world.lead),
    ),
    Case(
        "inbox/read/",
        path=lambda world: reverse("reminders:mark-read"),
        actor="officer_a",
        given=_unread_notification,
        effect=_count(
            Notification, recipient=lambda world: world.officer_a, read_at__isnull=lambda world: True
        ),
    ),
    Case(
        "inbox/settings/",
        path=lambda world: reverse("reminders:preferences"),
        actor="officer_a",
        data=lambda world, client: {
            "by_email": "on",
            "language": "en",
            "quiet_from": "22:00",
            "quiet_until": "08:00",
        },
        effect=lambda world, client: list(
            NotificationPreference.objects.filter(user=world.officer_a).values_list("language", "quiet_from")
        ),
    ),
    Case(
        "inbox/settings/calendar/",
        path=lambda world: reverse("reminders:rotate-calendar"),
        actor="officer_a",
        given=lambda world: preference_for(world.officer_a),
        effect=lambda world, client: NotificationPreference.objects.get(user=world.officer_a).calendar_token,
    ),
    Case("reports/", path=lambda world: reverse("reporting:dashboard")),
    Case("reports/leads/", path=lambda world: reverse("reporting:leads")),
    Case(
        "reports/leads/export/",
        path=lambda world: reverse("reporting:leads-export"),
        effect=PERSONAL_DATA_EXPORTS,
    ),
    Case("reports/brief/", path=lambda world: reverse("reporting:brief")),
    # A month that is not one answers 400 before any PDF is drawn: the control needs the view, not the PDF.
    Case("reports/brief.pdf", path=lambda world: reverse("reporting:brief-pdf") + "?month=13"),
    # --- The admin site -------------------------------------------------------------------------------------
    Case("admin/", path=lambda world: reverse("admin:index")),
    # The app index's route spells out the apps that have model admins; it is read, not copied.
    Case(APP_INDEX_ROUTE, path=lambda world: reverse("admin:app_list", args=["projects"])),
    Case("admin/(?P<url>.*)", path=lambda world: "/admin/no-such-page/", refuses=NAMES_NOTHING),
    Case(
        "admin/login/",
        path=lambda world: reverse("admin:login"),
        actor=ANONYMOUS,
        data=lambda world, client: {
            "username": world.administrator.username,
            "password": PASSWORD,
            "next": "/admin/",
        },
        effect=_signed_in,
    ),
    Case("admin/logout/", path=lambda world: reverse("admin:logout"), effect=_signed_in),
    Case(
        "admin/password_change/",
        path=lambda world: reverse("admin:password_change"),
        data=lambda world, client: {
            "old_password": PASSWORD,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
        target=lambda world: world.administrator,
        effect=_password_of(lambda world: world.administrator),
    ),
    # "View on site": core.admin's scoped redirect answers every numeric content type; Django's own route behind it
    # is reached only with one that is not a number. No model has a public page (no get_absolute_url), so for every
    # object both name nothing.
    Case(
        "admin/r/<int:content_type_id>/<path:object_id>/",
        path=lambda world: (
            f"{reverse('admin:index')}r/{ContentType.objects.get_for_model(Lead).pk}/{world.lead.pk}/"
        ),
        target=lambda world: world.lead,
        refuses=NAMES_NOTHING,
    ),
    Case(
        "admin/r/<path:content_type_id>/<path:object_id>/",
        path=lambda world: f"{reverse('admin:index')}r/projects.lead/{world.lead.pk}/",
        target=lambda world: world.lead,
        refuses=NAMES_NOTHING,
    ),
    # --- Admin pages beside the per-model ones --------------------------------------------------------------
    Case(
        "admin/accounts/user/<id>/password/",
        path=_admin_url("auth_user_password_change", lambda world: world.officer_a.pk),
        data=lambda world, client: {
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
            "usable_password": "true",
        },
        target=lambda world: world.officer_a,
        effect=_password_of(lambda world: world.officer_a),
    ),
    Case(
        "admin/otp_totp/totpdevice/<int:pk>/config/",
        path=_admin_url("otp_totp_totpdevice_config", _pk("otp_totp.TOTPDevice")),
        target=_obj("otp_totp.TOTPDevice"),
    ),
    Case(
        "admin/otp_totp/totpdevice/<int:pk>/qrcode/",
        path=_admin_url("otp_totp_totpdevice_qrcode", _pk("otp_totp.TOTPDevice")),
        target=_obj("otp_totp.TOTPDevice"),
    ),
    Case(
        "admin/core/importjob/<int:object_id>/status/",
        path=_admin_url("core_importjob_status", _pk("core.ImportJob")),
        actor="officer_a",
        target=_obj("core.ImportJob"),
    ),
    Case(
        "admin/core/importjob/<int:object_id>/commit/",
        path=_admin_url("core_importjob_commit", _pk("core.ImportJob")),
        actor="officer_a",
        target=_obj("core.ImportJob"),
    ),
    Case(
        "admin/core/importjob/<int:object_id>/rejected/",
        path=_admin_url("core_importjob_rejected", _pk("core.ImportJob")),
        actor="officer_a",
        target=_obj("core.ImportJob"),
    ),
    Case("admin/directory/holiday/import/", path=_admin_url("directory_holiday_import")),
    Case(
        "admin/directory/holidayyear/load/",
        path=_admin_url("directory_holidayyear_load"),
        data=lambda world, client: {"region": Region.MAINLAND, "year": "2025"},
        effect=_count(Holiday, region=lambda world: Region.MAINLAND),
    ),
    Case(
        "admin/talent/contact/<path:object_id>/export/",
        path=_admin_url("talent_contact_export", _pk("talent.Contact")),
        data=lambda world, client: {"format": "json"},
        target=CONTACT,
        effect=PERSONAL_DATA_EXPORTS,
    ),
    Case(
        "admin/talent/contact/<path:object_id>/erase/",
        path=_admin_url("talent_contact_erase", _pk("talent.Contact")),
        data=lambda world, client: {"reason": "本人2026年11月来电要求删除", "confirm": "on"},
        target=CONTACT,
        effect=_field(Contact, _pk("talent.Contact"), "status"),
    ),
    Case(
        "admin/talent/contact/<path:object_id>/withdraw-consent/",
        path=_admin_url("talent_contact_withdraw_consent", _pk("talent.Contact")),
        target=CONTACT,
    ),
    Case(
        "admin/talent/recruitmentevent/<path:object_id>/qr/",
        path=_admin_url("talent_recruitmentevent_qr", _pk("talent.RecruitmentEvent")),
        target=_obj("talent.RecruitmentEvent"),
    ),
    Case(
        "admin/projects/lead/<path:object_id>/advance/",
        path=_admin_url("projects_lead_advance", _pk("projects.Lead")),
        target=LEAD,
    ),
    Case(
        "admin/projects/lead/<path:object_id>/pause/",
        path=_admin_url("projects_lead_pause", _pk("projects.Lead")),
        data=lambda world, client: {
            "reason": PauseReason.choices[0][0],
            "resume_review_on": _days_ahead(30),
            "note": "团队等待港府资助结果",
        },
        target=LEAD,
        effect=_field(Lead, _pk("projects.Lead"), "status"),
    ),
    Case(
        "admin/projects/lead/<path:object_id>/resume/",
        path=_admin_url("projects_lead_resume", _pk("projects.Lead")),
        target=LEAD,
    ),
    Case(
        "admin/projects/lead/<path:object_id>/lost/",
        path=_admin_url("projects_lead_lost", _pk("projects.Lead")),
        target=LEAD,
    ),
    Case(
        "admin/projects/lead/<path:object_id>/reopen/",
        path=_admin_url("projects_lead_reopen", _pk("projects.Lead")),
        target=LEAD,
    ),
    Case(
        "admin/projects/lead/<path:object_id>/signings/add/",
        path=_admin_url("projects_lead_add_signing", _pk("projects.Lead")),
        target=LEAD,
    ),
    Case(
        "admin/projects/lead/<path:object_id>/capital-injections/add/",
        path=_admin_url("projects_lead_add_capital_injection", _pk("projects.Lead")),
        target=LEAD,
    ),
    Case(
        "admin/funding/fundingapplication/lead/<int:lead_id>/",
        path=_admin_url("funding_fundingapplication_lead", _pk("projects.Lead")),
        target=LEAD,
    ),
    Case("admin/funding/fundingapplication/totals/", path=_admin_url("funding_fundingapplication_totals")),
    Case(
        "admin/funding/fundingapplication/hk-grant/", path=_admin_url("funding_fundingapplication_hk_grant")
    ),
    Case(
        "admin/funding/fundingapplication/<path:object_id>/submit/",
        path=_admin_url("funding_fundingapplication_submit", _pk("funding.FundingApplication")),
        target=APPLICATION,
    ),
    Case(
        "admin/funding/fundingapplication/<path:object_id>/approve/",
        path=_admin_url("funding_fundingapplication_approve", _pk("funding.FundingApplication")),
        target=APPLICATION,
    ),
    Case(
        "admin/funding/fundingapplication/<path:object_id>/reject/",
        path=_admin_url("funding_fundingapplication_reject", _pk("funding.FundingApplication")),
        target=APPLICATION,
    ),
    Case(
        "admin/funding/fundingapplication/<path:object_id>/close/",
        path=_admin_url("funding_fundingapplication_close", _pk("funding.FundingApplication")),
        target=APPLICATION,
    ),
    Case(
        "admin/funding/fundingapplication/<path:object_id>/tranches/plan/",
        path=_admin_url("funding_fundingapplication_plan_tranche", _pk("funding.FundingApplication")),
        target=APPLICATION,
    ),
    Case(
        "admin/funding/fundingapplication/<path:object_id>/tranches/<int:tranche_id>/pay/",
        path=lambda world: reverse(
            "admin:funding_fundingapplication_pay_tranche",
            args=[world.objects["funding.Tranche"].application_id, world.objects["funding.Tranche"].pk],
        ),
        target=_obj("funding.Tranche"),
    ),
    # --- Per-model admin routes with a body that really writes (the generated cases post an empty one) --------
    Case(
        "admin/directory/sector/add/",
        path=_admin_url("directory_sector_add"),
        data=lambda world, client: {"code": "csrf-bio", "group": Sector.Group.BRIEF, "name": "生物医药"},
        effect=_count(Sector),
    ),
    Case(
        "admin/directory/sector/<path:object_id>/change/",
        path=_admin_url("directory_sector_change", _pk("directory.Sector")),
        data=lambda world, client: {
            "code": world.objects["directory.Sector"].code,
            "group": world.objects["directory.Sector"].group,
            "name": "人工智能与机器人",
        },
        target=_obj("directory.Sector"),
        effect=_field(Sector, _pk("directory.Sector"), "name"),
    ),
    Case(
        "admin/directory/sector/<path:object_id>/delete/",
        path=_admin_url("directory_sector_delete", _pk("directory.Sector")),
        data=lambda world, client: {"post": "yes"},
        effect=_count(Sector),
    ),
    Case(
        "admin/directory/sector/",
        path=_admin_url("directory_sector_changelist"),
        data=lambda world, client: {
            "action": "delete_selected",
            "_selected_action": [world.objects["directory.Sector"].pk],
            "post": "yes",
        },
        effect=_count(Sector),
    ),
]


# --- The admin's per-model routes, generated ------------------------------------------------------------------

OBJECT_ID = re.compile(r"<(?:\w+:)?object_id>")
HISTORY_VERSION = "([^/]+)/history/([^/]+)/"

# The bodies Django's per-model admin routes are posted with, by route suffix: on the change list a bulk action as
# the list posts it (without "post", Django only shows the confirmation page), on the delete page the confirmation.
ADMIN_BODIES: dict[str, Callable[[Any], dict[str, Any]]] = {
    "": lambda pk: {"action": "delete_selected", "_selected_action": [pk], "index": "0"},
    "add/": lambda pk: {},
    "<object_id>/": lambda pk: {},
    "<object_id>/change/": lambda pk: {},
    "<object_id>/history/": lambda pk: {},
    "<object_id>/delete/": lambda pk: {"post": "yes"},
    HISTORY_VERSION: lambda pk: {},
}
# simple-history's version page would save a posted form (a revert, SIMPLE_HISTORY_REVERT_DISABLED only hides the
# button): core.admin makes it read-only (405), and it names nothing for a model without history (404).
READ_ONLY = {HISTORY_VERSION: frozenset({404, 405})}
# Who may use a model's admin pages when it is not the administrator: an import is opened only by whoever uploaded
# it (core.imports.services.import_jobs_visible_to).
ADMIN_ACTORS = {"core.ImportJob": "officer_a"}


def _history_version(obj: models.Model) -> int:
    """The id of the object's latest history row, or 0 for a model that keeps no history."""
    attribute = getattr(obj._meta, "simple_history_manager_attribute", None)
    if attribute is None:
        return 0
    history = getattr(type(obj), attribute)
    return history.filter(**{obj._meta.pk.attname: obj.pk}).latest("history_id").history_id


def _admin_path(label: str, suffix: str, obj: models.Model) -> str:
    tail = suffix.replace("<object_id>", str(obj.pk))
    if suffix == HISTORY_VERSION:
        tail = f"{obj.pk}/history/{_history_version(obj)}/"
    return reverse("admin:index") + label_path(label) + tail


def _admin_model_case(route: str, label: str, suffix: str) -> Case | None:
    """The case for one of Django's per-model admin routes, or None for a route the model admin added itself."""
    suffix = OBJECT_ID.sub("<object_id>", suffix)
    if suffix not in ADMIN_BODIES:
        return None
    body = ADMIN_BODIES[suffix]
    return Case(
        route,
        path=lambda world: _admin_path(label, suffix, world.objects[label]),
        actor=ADMIN_ACTORS.get(label, "administrator"),
        data=lambda world, client: body(world.objects[label].pk),
        target=_obj(label),
        refuses=READ_ONLY.get(suffix, frozenset()),
    )


def label_path(label: str) -> str:
    model = apps.get_model(label)
    return f"{model._meta.app_label}/{model._meta.model_name}/"


def admin_model_cases() -> list[Case]:
    """A case for every per-model route Django's admin (and simple-history) registers, on the model's object."""
    labels = {
        f"{model._meta.app_label}/{model._meta.model_name}/": model._meta.label
        for model in admin.site._registry
    }
    cases = []
    for route in site_routes():
        found = re.fullmatch(r"admin/(\w+/\w+/)(.*)", route)
        if found and found.group(1) in labels:
            case = _admin_model_case(route, labels[found.group(1)], found.group(2))
            if case is not None:
                cases.append(case)
    return cases


def all_cases() -> list[Case]:
    written = {case.route for case in CASES_WRITTEN}
    return [*CASES_WRITTEN, *(case for case in admin_model_cases() if case.route not in written)]


CASES = all_cases()


# --- Deliberate exemptions ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Exemption:
    """A route that takes POST without the CSRF token, why, and a check of what protects it instead (a signature,
    a token of its own): the check must refuse a post that lacks that protection."""

    reason: str
    protected: Callable[[AdminWorld, Client], None]


# None: every form outside /api/ carries the token, the internet-facing QR form and quick capture included. (The
# API, out of scope here, takes API tokens, and DRF's SessionAuthentication checks CSRF for browser sessions.)
EXEMPT: dict[str, Exemption] = {}


# --- Requests -------------------------------------------------------------------------------------------------


def _csrf_cookie(client: Client) -> str:
    """Give the browser the CSRF cookie a page with a form would have set; return the masked token that page's
    form (or, for the capture queue, the X-CSRFToken header) carries."""
    request = RequestFactory().get("/")
    token = get_token(request)
    client.cookies[settings.CSRF_COOKIE_NAME] = request.META["CSRF_COOKIE"]
    return token


def _post(client: Client, case: Case, path: str, data: dict[str, Any], token: str | None) -> HttpResponseBase:
    if case.json:
        headers = {"Idempotency-Key": data.get("key", "")}
        if token is not None:
            headers["X-CSRFToken"] = token
        return client.post(path, json.dumps(data), content_type="application/json", headers=headers)
    return client.post(path, data if token is None else {**data, "csrfmiddlewaretoken": token})


def _tables() -> list[str]:
    return sorted(
        {
            model._meta.db_table
            for model in apps.get_models(include_auto_created=True)
            if model._meta.managed and not model._meta.proxy
        }
    )


def _row_counts() -> dict[str, int]:
    """The row count of every table, in one query."""
    tables = _tables()
    quote = connection.ops.quote_name
    # Table names from the models' own metadata, quoted: nothing here comes from a request.
    counts = ", ".join(f"(SELECT COUNT(*) FROM {quote(table)})" for table in tables)  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {counts}")
        return dict(zip(tables, cursor.fetchone(), strict=True))


def _snapshot(case: Case, world: AdminWorld) -> tuple[dict[str, int], dict[str, Any] | None]:
    target = case.target(world) if case.target else None
    row = type(target)._base_manager.filter(pk=target.pk).values().first() if target is not None else None
    return _row_counts(), row


def _changes(before: tuple[dict[str, int], Any], after: tuple[dict[str, int], Any]) -> str:
    """What differs between two snapshots: the tables whose counts moved, and the target row's changed fields."""
    tables = [
        f"{table} {count}->{after[0][table]}"
        for table, count in before[0].items()
        if after[0][table] != count
    ]
    fields = [name for name in (before[1] or {}) if (after[1] or {}).get(name) != before[1][name]]
    return f"tables {tables}, target fields {fields}"


def _answer(response: HttpResponseBase) -> str:
    """The status, where it redirects, and the form's errors when it was shown again: why a control did nothing."""
    context = getattr(response, "context", None)
    form = context.get("form") if context is not None else None
    errors = dict(form.errors) if form is not None and form.errors else ""
    return f"{response.status_code} {response.get('Location', '')} {errors}".strip()


def _csrf_refusals(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.name == CSRF_LOGGER]


# --- The table against the resolver ---------------------------------------------------------------------------


def _probe_path(route: str) -> str:
    """A URL for a route with no case: the converters filled in. Only views that refuse POST before looking at
    their arguments are probed this way, so any value of the right shape will do."""
    if "(" in route:
        raise AssertionError(f"{route}: a regular-expression route needs a case to build its URL")
    path = re.sub(r"<int:\w+>", "1", route)
    path = re.sub(r"<(?:str|slug|uuid|path):\w+>|<\w+>", "x", path)
    return "/" + path


def test_the_walker_reads_every_route_outside_the_api_from_the_resolver():
    routes = site_routes()
    assert "admin/projects/lead/<path:object_id>/change/" in routes
    assert "r/<str:key>/" in routes
    assert "i18n/setlang/" in routes
    assert not any(route.startswith("api/") for route in routes)
    # The admin's generated cases cover every registered model's change list.
    generated = {case.route for case in admin_model_cases()}
    assert {f"admin/{label_path(model._meta.label)}" for model in admin.site._registry} <= generated


def test_every_case_names_a_registered_route():
    routes = site_routes()
    stale = sorted({case.route for case in CASES} - routes.keys())
    assert not stale, "cases for routes that are not registered: " + ", ".join(stale)
    assert not sorted(EXEMPT.keys() - routes.keys()), "exemptions for routes that are not registered"


def test_each_route_has_one_case_and_every_model_admin_an_object():
    routes = [case.route for case in CASES]
    assert len(routes) == len(set(routes)), "two cases for one route"
    assert not set(routes) & EXEMPT.keys(), "a route both walked and exempt"
    missing = sorted(model._meta.label for model in admin.site._registry if model._meta.label not in BUILDERS)
    assert not missing, "model admins without an object in tests/core/admin_walker_cases.py: " + ", ".join(
        missing
    )


def test_csrf_exempt_views_are_exactly_the_listed_ones(walk):
    """Both ways: an exemption nobody wrote down fails, and so does a listed one whose view is protected again
    (or gone). Each listed exemption's own protection is then checked (none today)."""
    exempt = {
        route for route, pattern in site_routes().items() if getattr(pattern.callback, "csrf_exempt", False)
    }
    assert exempt == EXEMPT.keys(), f"csrf_exempt views {sorted(exempt)} != EXEMPT {sorted(EXEMPT)}"
    for exemption in EXEMPT.values():
        exemption.protected(walk, Client(enforce_csrf_checks=True))


def test_a_csrf_failure_is_django_s_page(settings):
    """How the project answers a refused form: Django's own CSRF failure view and page (no CSRF_FAILURE_VIEW or
    403_csrf.html of ours), which with DEBUG off says what failed without the settings or a stack."""
    assert settings.CSRF_FAILURE_VIEW == "django.views.csrf.csrf_failure"
    assert not settings.CSRF_USE_SESSIONS
    assert "django.middleware.csrf.CsrfViewMiddleware" in settings.MIDDLEWARE
    settings.LANGUAGE_CODE = "en"
    client = Client(enforce_csrf_checks=True)
    _csrf_cookie(client)
    response = client.post(reverse("set_language"), {"language": "en"})
    assert response.status_code == 403
    assert response.context["reason"] == REASON_CSRF_TOKEN_MISSING
    assert b"CSRF verification failed. Request aborted." in response.content
    assert b"More information is available with DEBUG=True." in response.content


# --- Each route ---------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    """The admin walker's world, built once for the module and rolled back at its end."""
    media = str(tmp_path_factory.mktemp("media"))
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media), transaction.atomic():
        cache.clear()
        built = build_world()
        yield built
        transaction.set_rollback(True)


@pytest.fixture
def walk(world, db, caplog):
    # Throttles (the QR form's, the exports') live in the shared cache, which on Redis outlives the savepoint.
    cache.clear()
    caplog.set_level("WARNING", logger=CSRF_LOGGER)
    return world


def _unwalked() -> list[str]:
    return sorted(site_routes().keys() - {case.route for case in CASES} - EXEMPT.keys())


def test_every_route_that_answers_post_has_a_case(walk, caplog):
    """A route without a case must refuse POST, PUT, PATCH and DELETE (405) even with a valid token; without one
    the CSRF check comes first, so even those views never see a forged post."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(walk.administrator)
    token = _csrf_cookie(client)
    answers = {}
    for route in _unwalked():
        path = _probe_path(route)
        caplog.clear()
        forged = client.post(path)
        assert forged.status_code == 403, f"{route} without the token: {forged.status_code}"
        assert _csrf_refusals(caplog), f"{route} without the token: refused, but not as CSRF"
        caplog.clear()
        answers[route] = {
            method: getattr(client, method)(path, headers={"X-CSRFToken": token}).status_code
            for method in ("post", *OTHER_UNSAFE)
        }
        assert not _csrf_refusals(caplog), f"{route}: refused as CSRF with a valid token"
    answering = sorted(
        f"{route} {method.upper()} ({status})"
        for route, statuses in answers.items()
        for method, status in statuses.items()
        if status != 405
    )
    assert not answering, "routes that take a write without a case in CASES: " + ", ".join(answering)
    assert answers, "every route has a case: nothing was probed"


def test_put_patch_and_delete_without_the_token_are_refused_everywhere(walk, caplog):
    """The walker posts; Django's check covers every unsafe method alike (a browser sends the others cross-site
    only after a CORS preflight this site never grants). Forged on every route, each is refused as CSRF and
    changes nothing. Beside them, with the token in X-CSRFToken (where a script puts it), the admin's object
    redirect, which answers all three, lets each through."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(walk.administrator)
    token = _csrf_cookie(client)
    paths = [case.path(walk) for case in CASES] + [_probe_path(route) for route in _unwalked()]
    before = _row_counts()
    for path in paths:
        for method in OTHER_UNSAFE:
            caplog.clear()
            forged = getattr(client, method)(path)
            assert forged.status_code == 403, f"{method.upper()} {path}: {forged.status_code}"
            refusal = f"Forbidden ({REASON_CSRF_TOKEN_MISSING}): {path.split('?')[0]}"
            assert _csrf_refusals(caplog) == [refusal], f"{method.upper()} {path}"
    assert _row_counts() == before

    redirect = reverse("admin:index") + f"projects/lead/{walk.lead.pk}/"
    for method in OTHER_UNSAFE:
        caplog.clear()
        sent = getattr(client, method)(redirect, headers={"X-CSRFToken": token})
        assert not _csrf_refusals(caplog), f"{method.upper()} {redirect} with the token"
        assert sent.status_code == 302, f"{method.upper()} {redirect} with the token: {sent.status_code}"


@pytest.mark.parametrize("case", CASES, ids=[_test_id(case.route) for case in CASES])
def test_a_forged_post_is_refused_and_changes_nothing(walk, caplog, case: Case):
    world = walk
    if case.given:
        case.given(world)
    client = Client(enforce_csrf_checks=True)
    if case.actor != ANONYMOUS:
        client.force_login(getattr(world, case.actor))
    token = _csrf_cookie(client)
    path = case.path(world)
    data = case.data(world, client)
    # The effect first: reading the test client's session (the sign-in cases) makes one for an anonymous browser.
    effect_before = case.effect(world, client) if case.effect else None
    before = _snapshot(case, world)

    caplog.clear()
    forged = _post(client, case, path, data, token=None)
    assert forged.status_code == 403, f"{path} without the token: {forged.status_code}"
    assert _csrf_refusals(caplog) == [f"Forbidden ({REASON_CSRF_TOKEN_MISSING}): {path.split('?')[0]}"]
    after = _snapshot(case, world)
    assert after == before, f"{path}: the forged post changed the database: {_changes(before, after)}"
    if case.effect:
        assert case.effect(world, client) == effect_before, f"{path}: the forged post had its effect"

    caplog.clear()
    sent = _post(client, case, path, data, token=token)
    assert not _csrf_refusals(caplog), f"{path} with the token was refused as CSRF"
    said = f"{path} with the token: {_answer(sent)}"
    if case.refuses:
        assert sent.status_code in case.refuses, said
        after = _snapshot(case, world)
        assert after == before, (
            f"{said}: a post the route refuses changed the database: {_changes(before, after)}"
        )
    else:
        assert sent.status_code not in (404, 405), f"{said}: the view did not take the post"
    if case.effect:
        assert case.effect(world, client) != effect_before, f"{said}: the post with the token had no effect"


def test_a_token_from_another_browser_is_refused(walk, caplog):
    """A forger can get a cookie and token of their own, but cannot plant that cookie in the victim's browser: a
    token that does not match the victim's cookie is refused like a missing one. Beside it, the victim's own token
    pauses the lead."""
    lead = walk.lead
    path = reverse("admin:projects_lead_pause", args=[lead.pk])
    body = {"reason": PauseReason.choices[0][0], "resume_review_on": _days_ahead(30)}
    victim = Client(enforce_csrf_checks=True)
    victim.force_login(walk.officer_a)
    token = _csrf_cookie(victim)
    forgers_token = _csrf_cookie(Client())

    caplog.clear()
    forged = victim.post(path, {**body, "csrfmiddlewaretoken": forgers_token})
    assert forged.status_code == 403
    assert _csrf_refusals(caplog) == [f"Forbidden (CSRF token from POST incorrect.): {path}"]
    assert Lead.objects.get(pk=lead.pk).status == Lead.Status.ACTIVE

    caplog.clear()
    sent = victim.post(path, {**body, "csrfmiddlewaretoken": token})
    assert not _csrf_refusals(caplog), _answer(sent)
    assert Lead.objects.get(pk=lead.pk).status == Lead.Status.PAUSED, _answer(sent)


# --- Templates ------------------------------------------------------------------------------------------------

POST_FORM = re.compile(r"<form\b[^>]*\bmethod\s*=\s*[\"']?post\b[^>]*>", re.IGNORECASE)
FORM_END = re.compile(r"</form\s*>", re.IGNORECASE)
CSRF_TAG = re.compile(r"{%\s*csrf_token\s*%}")


def our_template_files() -> list[Path]:
    """The project's templates (settings' DIRS and our apps' templates/ folders), not Django's or a package's."""
    folders = [Path(folder) for engine in settings.TEMPLATES for folder in engine.get("DIRS", [])]
    folders += [
        Path(config.path) / "templates"
        for config in apps.get_app_configs()
        if not Path(config.path).is_relative_to(sys.prefix)
        and Path(config.path).is_relative_to(settings.BASE_DIR)
    ]
    return sorted({file for folder in folders if folder.is_dir() for file in folder.rglob("*.html")})


def post_forms_without_token(source: str) -> list[int]:
    """Line numbers of the POST forms in a template source whose body (to the next </form>, or to the end of the
    file when the form closes in another template) has no {% csrf_token %}."""
    lines = []
    for form in POST_FORM.finditer(source):
        end = FORM_END.search(source, form.end())
        body = source[form.start() : end.start() if end else len(source)]
        if not CSRF_TAG.search(body):
            lines.append(source.count("\n", 0, form.start()) + 1)
    return lines


def test_the_template_scan_finds_a_post_form_without_the_token():
    assert post_forms_without_token(
        '<p>\n<FORM class="x" method=POST action="/r/">\n<input name="a"></form>'
    ) == [2]
    assert post_forms_without_token("<form method='post'>{%csrf_token%}<input></form>") == []
    assert post_forms_without_token('<form method="get"><input></form>') == []
    # The token of a second form does not cover the first.
    assert post_forms_without_token(
        '<form method="post"><input></form>\n<form method="post">{% csrf_token %}</form>'
    ) == [1]


def test_every_post_form_in_our_templates_renders_the_csrf_token():
    files = our_template_files()
    with_post_forms = [file for file in files if POST_FORM.search(file.read_text(encoding="utf-8"))]
    # The scan reads the templates the walker posts through (the QR form, quick capture, the inbox, the admin's).
    names = {file.relative_to(settings.BASE_DIR).as_posix() for file in with_post_forms}
    assert {
        "templates/talent/register.html",
        "templates/talent/capture.html",
        "templates/admin/login.html",
    } <= names
    missing = [
        f"{file.relative_to(settings.BASE_DIR)}:{line}"
        for file in with_post_forms
        for line in post_forms_without_token(file.read_text(encoding="utf-8"))
    ]
    assert not missing, "POST forms without {% csrf_token %}: " + ", ".join(missing)
