"""The permission walker, in the admin: every registered model admin, every page it serves, every role (DESIGN §2).

The admins and their pages are read from `admin.site._registry` and each admin's `get_urls()`, so an admin, a
custom admin page or an autocomplete target added without a case in tests/core/admin_walker_cases.py fails a
coverage test, and a case for something that is gone fails another. Each (admin, page, method, actor) is then a
test of its own: the case's object belongs to unit A, and the actor must get exactly what the table says, with
unit A's people (or the administrator) getting in beside the refusals of the same case:

- not signed in, or a report viewer (not staff): a redirect to the admin's login;
- a role without rights on the model: 403, whether or not the object is in its scope;
- a role with rights, the object outside its scope: 404, as for an id that does not exist (ScopedAdmin); the
  object's data is in no refused answer;
- history, simple-history's version pages, autocomplete results and the view-on-site redirect (/admin/r/) use the
  same scope; a version page never saves (reverts are off), a refused delete deletes nothing.

The world is built once for the module inside a transaction rolled back at its end; each test runs in a
savepoint of its own (see admin_walker_cases).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.db import transaction
from django.test import Client, override_settings
from django.urls import NoReverseMatch, resolve, reverse
from django.utils import translation
from django.utils.html import escape
from simple_history.admin import SimpleHistoryAdmin

from tests.core.admin_walker_cases import (
    A_ACTORS,
    ACTORS,
    CASES,
    DELETED,
    KEPT,
    LOGIN,
    MOVED,
    SEEN,
    UNSEEN,
    AdminCase,
    AdminWorld,
    Row,
    build_world,
)

STANDARD_PAGES = ("changelist", "add", "change", "history", "delete")
# Django's catch-all that redirects an object's bare URL to its change page; it shows nothing itself.
BARE_OBJECT_REDIRECT = "<path:object_id>/"
ANONYMOUS = "anonymous"
STAFF = [actor for actor in ACTORS if not actor.startswith("viewer_")]
# simple-history's version page never saves: a POST is refused before any lookup, whoever sends it.
REVERTS_REFUSED: Row = tuple(LOGIN if actor.startswith("viewer_") else 405 for actor in ACTORS)


# --- Reading the admin site -----------------------------------------------------------------------------------


def registered_admins() -> dict[str, admin.ModelAdmin]:
    return {model._meta.label: model_admin for model, model_admin in admin.site._registry.items()}


def _prefix(model_admin: admin.ModelAdmin) -> str:
    return f"{model_admin.opts.app_label}_{model_admin.opts.model_name}_"


def url_names(model_admin: admin.ModelAdmin) -> set[str]:
    return {pattern.name for pattern in model_admin.get_urls() if pattern.name}


def has_page(model_admin: admin.ModelAdmin, page: str) -> bool:
    return _prefix(model_admin) + page in url_names(model_admin)


def custom_pages(model_admin: admin.ModelAdmin) -> set[str]:
    """The URL names (the route, for an unnamed one) an admin serves beyond Django's standard pages and
    simple-history's version page."""
    standard = {_prefix(model_admin) + page for page in (*STANDARD_PAGES, "simple_history")}
    found = set()
    for pattern in model_admin.get_urls():
        if pattern.name in standard or (
            pattern.name is None and str(pattern.pattern) == BARE_OBJECT_REDIRECT
        ):
            continue
        found.add(pattern.name or str(pattern.pattern))
    return found


def autocomplete_targets() -> set[str]:
    """The admins the admin-wide autocomplete answers for: those with search fields that a relation field of any
    model points to (the request names that field; it need not be in any admin's autocomplete_fields)."""
    admins = registered_admins()
    pointed_to = {
        field.related_model._meta.label
        for model in apps.get_models()
        for field in model._meta.get_fields()
        if field.is_relation and field.concrete and field.related_model is not None
    }
    return {
        label for label, model_admin in admins.items() if model_admin.search_fields and label in pointed_to
    }


def source_field(source: str):
    app_label, model_name, field_name = source.split(".")
    return apps.get_model(app_label, model_name)._meta.get_field(field_name)


# --- The table against the admin site ---------------------------------------------------------------------------


def test_the_walker_reads_admins_and_their_pages_from_the_site():
    admins = registered_admins()
    assert "projects_lead_advance" in custom_pages(admins["projects.Lead"])
    assert "otp_totp_totpdevice_qrcode" in custom_pages(admins["otp_totp.TOTPDevice"])
    assert custom_pages(admins["projects.Signing"]) == set()
    # The imports admin serves no history or delete page at all; the lead admin serves both and versions.
    assert not has_page(admins["core.ImportJob"], "history")
    assert not has_page(admins["core.ImportJob"], "delete")
    assert has_page(admins["projects.Lead"], "simple_history")
    assert has_page(admins["projects.Lead"], "delete")
    assert {"projects.Lead", "accounts.User", "talent.Contact"} <= autocomplete_targets()
    # Search fields but nothing points to them: the autocomplete cannot be asked for them.
    assert "projects.HandOver" not in autocomplete_targets()


def test_every_registered_admin_has_a_case():
    missing = sorted(set(registered_admins()) - set(CASES))
    assert not missing, "model admins without a case in tests/core/admin_walker_cases.py: " + ", ".join(
        missing
    )


def test_every_case_names_a_registered_admin():
    stale = sorted(set(CASES) - set(registered_admins()))
    assert not stale, "cases for model admins that are not registered: " + ", ".join(stale)


def test_every_custom_admin_page_has_a_case_and_every_custom_case_a_page():
    admins = registered_admins()
    missing, stale = [], []
    for label, case in CASES.items():
        served = custom_pages(admins[label]) if label in admins else set()
        missing += [f"{label}: {name}" for name in sorted(served - set(case.custom))]
        stale += [f"{label}: {name}" for name in sorted(set(case.custom) - served)]
    assert not missing, "custom admin pages without a case: " + ", ".join(missing)
    assert not stale, "cases for custom admin pages that are not served: " + ", ".join(stale)


def test_every_admin_the_autocomplete_answers_for_has_a_case():
    with_case = {label for label, case in CASES.items() if case.autocomplete}
    missing = sorted(autocomplete_targets() - with_case)
    stale = sorted(with_case - autocomplete_targets())
    assert not missing, "admins the autocomplete answers for, without an autocomplete case: " + ", ".join(
        missing
    )
    assert not stale, "autocomplete cases for admins it does not answer for: " + ", ".join(stale)
    for label, case in CASES.items():
        if case.autocomplete:
            assert source_field(case.autocomplete.source).related_model._meta.label == label, label


def test_rows_match_the_pages_each_admin_serves():
    """A row for a page the admin does not serve would never be walked: it is stale."""
    for label, case in CASES.items():
        model_admin = registered_admins()[label]
        assert (case.delete is not None) == has_page(model_admin, "delete"), label
        if not has_page(model_admin, "history"):
            assert case.history is None, label
        if not has_page(model_admin, "simple_history"):
            assert (case.version, case.version_post) == (None, None), label


def _rows(case: AdminCase) -> list[Row]:
    rows = [
        case.changelist,
        case.add,
        case.change,
        case.delete,
        case.history,
        case.version,
        case.version_post,
    ]
    rows += [case.delete_post, case.view_on_site, case.autocomplete.expect if case.autocomplete else None]
    rows += [row for custom in case.custom.values() for row in (custom.get, custom.post)]
    return [row for row in rows if row is not None]


def _lets_in(row: Row) -> bool:
    return any(row[ACTORS.index(actor)] in (200, SEEN, DELETED, MOVED) for actor in A_ACTORS)


def test_each_case_has_a_column_per_actor_and_a_positive_control():
    for label, case in CASES.items():
        assert all(len(row) == len(ACTORS) for row in _rows(case)), label
        # Whatever else it refuses, somebody of unit A (or the administrator) lists the object and opens it.
        assert _lets_in(case.changelist), label
        assert _lets_in(case.change), label
        for name, custom in case.custom.items():
            assert _lets_in(custom.get) or (custom.post and _lets_in(custom.post)), f"{label} {name}"
        if case.autocomplete:
            assert _lets_in(case.autocomplete.expect), label


# --- The walk ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Visit:
    """One request about a case's object: the page, the method and the row it is checked against."""

    label: str
    page: str
    method: str
    expect: Row

    def expected(self, actor: str) -> Any:
        return LOGIN if actor == ANONYMOUS else self.expect[ACTORS.index(actor)]


def _deletes(row: Row) -> Row:
    return tuple(DELETED if expected == 200 else expected for expected in row)


def _not_on_site(row: Row) -> Row:
    # No model has a public page (get_absolute_url): where the change page opens, the shortcut has nowhere to go.
    return tuple(404 if expected == 200 else expected for expected in row)


def visits(label: str, case: AdminCase) -> list[Visit]:
    model_admin = registered_admins()[label]
    found = [
        Visit(label, "changelist", "GET", case.changelist),
        Visit(label, "add", "GET", case.add),
        Visit(label, "change", "GET", case.change),
        Visit(label, "view_on_site", "GET", case.view_on_site or _not_on_site(case.change)),
    ]
    if has_page(model_admin, "history"):
        found.append(Visit(label, "history", "GET", case.history or case.change))
    if has_page(model_admin, "simple_history"):
        found.append(Visit(label, "simple_history", "GET", case.version or case.change))
        found.append(Visit(label, "simple_history", "POST", case.version_post or REVERTS_REFUSED))
    if case.delete is not None:
        found.append(Visit(label, "delete", "GET", case.delete))
        found.append(Visit(label, "delete", "POST", case.delete_post or _deletes(case.delete)))
    if case.autocomplete:
        found.append(Visit(label, "autocomplete", "GET", case.autocomplete.expect))
    for name, custom in case.custom.items():
        found.append(Visit(label, name, "GET", custom.get))
        found.append(Visit(label, name, "POST", custom.post or custom.get))
    return found


def _walked(visit: Visit, actor: str) -> bool:
    # A custom page's POST is walked for the actors its GET refuses (the same refusal is due) unless the case
    # gives POST a row of its own: an empty body proves nothing about those let in.
    custom = CASES[visit.label].custom.get(visit.page)
    if custom is None or visit.method == "GET" or custom.post is not None:
        return True
    return visit.expected(actor) not in (200, SEEN, UNSEEN, MOVED)


WALK = [
    pytest.param(visit, actor, id=f"{visit.label} {visit.page} {visit.method} {actor}")
    for label, case in CASES.items()
    if label in registered_admins()
    for visit in visits(label, case)
    for actor in (*ACTORS, ANONYMOUS)
    if _walked(visit, actor)
]


@pytest.fixture(scope="module")
def admin_world(django_db_setup, django_db_blocker, tmp_path_factory):
    """The world, built once and signed in once per actor; rolled back when the module is done."""
    media = tmp_path_factory.mktemp("media")
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=str(media)):
        cache.clear()
        with transaction.atomic():
            world = build_world()
            world.sessions = {actor: _session_of(getattr(world, actor)) for actor in ACTORS}
            yield world
            transaction.set_rollback(True)
        # Anything a request cached (scopes, throttles) named rows that are gone now.
        cache.clear()


def _session_of(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def client_as(world: AdminWorld, actor: str) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    if actor != ANONYMOUS:
        client.cookies[settings.SESSION_COOKIE_NAME] = world.sessions[actor]
    return client


def url_of(world: AdminWorld, visit: Visit, obj: Any) -> str:
    opts = obj._meta
    info = f"admin:{opts.app_label}_{opts.model_name}"
    case = CASES[visit.label]
    if visit.page in ("changelist", "add"):
        return reverse(f"{info}_{visit.page}")
    if visit.page in ("change", "history", "delete"):
        return reverse(f"{info}_{visit.page}", args=[obj.pk])
    if visit.page == "simple_history":
        history_id = (
            obj.history.latest().history_id if hasattr(opts, "simple_history_manager_attribute") else 1
        )
        return reverse(f"{info}_simple_history", args=[obj.pk, history_id])
    if visit.page == "view_on_site":
        return reverse(
            "admin:view_on_site",
            args=[ContentType.objects.get_for_model(obj, for_concrete_model=False).pk, obj.pk],
        )
    if visit.page == "autocomplete":
        field = source_field(case.autocomplete.source)
        query = {
            "app_label": field.model._meta.app_label,
            "model_name": field.model._meta.model_name,
            "field_name": field.name,
            "term": case.autocomplete.term(obj),
        }
        return (
            reverse("admin:autocomplete") + "?" + "&".join(f"{key}={value}" for key, value in query.items())
        )
    return reverse(f"admin:{visit.page}", args=case.custom[visit.page].args(world, obj))


def stored(obj: Any) -> dict | None:
    """The object's row as the database has it (None once deleted)."""
    return type(obj)._base_manager.filter(pk=obj.pk).values().first()


def _listed(response, visit: Visit, obj: Any) -> bool:
    if visit.page == "autocomplete":
        field = source_field(CASES[visit.label].autocomplete.source)
        # As the autocomplete does: the field the relation points to (a many-to-many points to the key).
        to_field = obj._meta.get_field(getattr(field.remote_field, "field_name", obj._meta.pk.name)).attname
        return str(getattr(obj, to_field)) in [row["id"] for row in response.json()["results"]]
    return response.context["cl"].queryset.filter(pk=obj.pk).exists()


OBJECT_PAGES = {"change", "history", "simple_history", "delete"}


@pytest.mark.parametrize(("visit", "actor"), WALK)
def test_each_role_gets_what_design_says(admin_world: AdminWorld, db, visit: Visit, actor: str):
    obj = admin_world.objects[visit.label]
    with translation.override("en"):
        marker = escape(CASES[visit.label].marker(obj))
    url = url_of(admin_world, visit, obj)
    before = stored(obj) if visit.method == "POST" else None

    client = client_as(admin_world, actor)
    # A delete is confirmed by the form's "post" field; without it Django shows the confirmation page again.
    response = (
        client.post(url, {"post": "yes"} if visit.page == "delete" else {})
        if visit.method == "POST"
        else client.get(url)
    )

    expected = visit.expected(actor)
    content = response.content.decode(errors="replace")
    said = f"{visit.method} {url} as {actor}: {response.status_code} {response.get('Location', '')} {content[:200]!r}"
    if expected == LOGIN:
        assert response.status_code == 302, said
        assert response["Location"].startswith(reverse("admin:login") + "?next="), said
    elif expected in (SEEN, UNSEEN):
        assert response.status_code == 200, said
        assert _listed(response, visit, obj) is (expected == SEEN), f"{said}: expected {expected}"
    elif expected == DELETED:
        assert response.status_code == 302, said
        # To the list, or to the index for an admin whose list is read-only (tokens).
        changelist = reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_changelist")
        assert response["Location"] in (changelist, reverse("admin:index")), said
        assert stored(obj) is None, f"{said}: answered as deleted, but the object is still there"
    elif expected == KEPT:
        assert response.status_code == 200, said
        assert marker in content, f"{said}: the page does not show {marker!r}"
    elif expected == MOVED:
        assert response.status_code == 302, said
        assert not response["Location"].startswith(reverse("admin:login")), said
    else:
        assert response.status_code == expected, f"{said}: expected {expected}"
        if expected == 200 and visit.page in OBJECT_PAGES:
            assert marker in content, f"{said}: the page does not show {marker!r}"

    if expected not in (200, SEEN, DELETED, MOVED, KEPT):
        assert marker not in content, f"{said}: a refused answer shows {marker!r}"
    if visit.method == "POST" and expected not in (200, MOVED, DELETED):
        assert stored(obj) == before, f"{said}: refused, but the object changed"


# --- The view-on-site redirect and the version page, beyond the table --------------------------------------------


def _missing_pk(model) -> int:
    return (model._base_manager.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1000


def test_an_object_outside_the_scope_answers_as_a_missing_one(admin_world: AdminWorld, db):
    lead = admin_world.objects["projects.Lead"]
    officer_b = client_as(admin_world, "officer_b")
    missing = _missing_pk(type(lead))

    def page(client, pk):
        url = reverse("admin:projects_lead_change", args=[pk])
        response = client.get(url)
        return response.status_code, response.content.decode().replace(url, "<url>")

    assert page(officer_b, lead.pk) == page(officer_b, missing)
    assert page(officer_b, lead.pk)[0] == 404
    assert page(client_as(admin_world, "officer_a"), lead.pk)[0] == 200


def test_view_on_site_redirects_only_within_the_scope(admin_world: AdminWorld, db, monkeypatch):
    """No model has a public page today; give the lead one, and the redirect follows the lead admin's scope."""
    monkeypatch.setattr(
        type(admin_world.lead), "get_absolute_url", lambda lead: f"/leads/{lead.pk}/", raising=False
    )
    lead = admin_world.objects["projects.Lead"]
    content_type = ContentType.objects.get_for_model(lead).pk

    def shortcut(actor: str, pk: int):
        return client_as(admin_world, actor).get(reverse("admin:view_on_site", args=[content_type, pk]))

    assert shortcut("officer_a", lead.pk)["Location"].endswith(f"/leads/{lead.pk}/")
    assert shortcut("officer_b", lead.pk).status_code == 404
    assert shortcut("officer_b", _missing_pk(type(lead))).status_code == 404
    assert shortcut("recorder_a", lead.pk).status_code == 403


def test_view_on_site_is_the_scoped_one():
    url = reverse("admin:view_on_site", args=[1, 1])
    view = resolve(url).func
    assert (view.__module__, view.__name__) == ("core.admin", "view_on_site")


def test_a_version_page_saves_nothing_even_a_valid_form(admin_world: AdminWorld, db):
    """The officer reads their own user record, and its versions, but cannot post a version back: before the
    fix this made them a superuser (simple-history saves a version page's form with only the view permission)."""
    officer = admin_world.officer_a
    url = reverse(
        "admin:accounts_user_simple_history", args=[officer.pk, officer.history.latest().history_id]
    )
    client = client_as(admin_world, "officer_a")
    page = client.get(url)
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    for name in ("date_joined", "last_login"):  # split date and time inputs
        value = data.pop(name)
        data[f"{name}_0"], data[f"{name}_1"] = f"{value:%Y-%m-%d}", f"{value:%H:%M:%S}"
    # A form the unfixed page saves (302), making the officer a superuser.
    data.update({"is_superuser": "on", "first_name": "改名", "memberships-TOTAL_FORMS": "0"})
    data["memberships-INITIAL_FORMS"] = "0"

    assert client.post(url, data).status_code == 405

    officer.refresh_from_db()
    assert (officer.is_superuser, officer.first_name) == (False, "")


def test_a_history_page_for_an_id_that_is_not_one_answers_404_not_500(admin_world: AdminWorld, db):
    """simple-history looks the row up itself: "x" for an id escaped it as a 500 on the user admin. Every
    admin with a history page, as the administrator: "x" is 404 (403 without rights on the model), and the
    same page of the case's own object opens, as the positive control. Django's own admins (auth groups, celery
    beat's schedules) redirect a missing row to the admin index as they always have."""
    client = client_as(admin_world, "administrator")
    client.raise_request_exception = False
    malformed, real = {}, {}
    ours = set()
    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        name = f"admin:{opts.app_label}_{opts.model_name}_history"
        label = f"{opts.app_label}.{opts.object_name}"
        try:
            url = reverse(name, args=["x"])
        except NoReverseMatch:  # an admin without a history page (import jobs)
            continue
        malformed[label] = client.get(url).status_code
        if isinstance(model_admin, SimpleHistoryAdmin):
            ours.add(label)
        real[label] = client.get(reverse(name, args=[admin_world.objects[label].pk])).status_code
    # Rights on the model first (403 for both), then the row: "x" is a row that does not exist — 404 on the
    # admins that keep history, Django's redirect to the admin index on the third-party ones (celery beat's).
    expected = {
        label: (404 if label in ours else 302) if code in (200, 404) else code for label, code in real.items()
    }
    assert malformed == expected
    assert sum(code == 200 for code in real.values()) >= 40
