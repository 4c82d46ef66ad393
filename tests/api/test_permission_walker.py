"""The permission walker: every route under /api/v1/, every method it answers, every role (DESIGN §2).

The routes come from the URL resolver, so a route added without a case in tests/api/walker_cases.py fails
`test_every_api_route_and_method_has_a_case`, and a case whose route is gone fails
`test_every_case_names_a_registered_route`. Each (route, method, actor) is then its own test: the case builds a real
object in unit A and the actor must get exactly what the table says, with the positive control (a user of unit A
with the right role gets 2xx) beside the negatives of the same case.
"""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.urls import URLPattern, URLResolver, get_resolver

from tests.api.walker_cases import A_ACTORS, ACTORS, ANONYMOUS, CASES, SEEN, UNSEEN, Case, World

API_PREFIX = "api/v1/"
IGNORED_METHODS = {"options", "head"}


def _route(pattern) -> str:
    # path() routes read as written; re_path() ones carry anchors that are not part of the route.
    text = str(pattern.pattern)
    return re.sub(r"^\^|\$$", "", text) if text.startswith("^") or text.endswith("$") else text


def _methods(callback) -> list[str]:
    view_class = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
    if view_class is None:
        return ["<a view without a class: its methods cannot be read>"]
    return sorted(
        method.upper()
        for method in view_class.http_method_names
        if method not in IGNORED_METHODS and callable(getattr(view_class, method, None))
    )


def registered_api_routes() -> set[tuple[str, str]]:
    """(route, METHOD) for every pattern whose full route starts with api/v1/, walked from the root resolver."""
    found: set[tuple[str, str]] = set()

    def walk(patterns, prefix: str) -> None:
        for pattern in patterns:
            route = prefix + _route(pattern)
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, route)
            elif isinstance(pattern, URLPattern) and route.startswith(API_PREFIX):
                found.update((route, method) for method in _methods(pattern.callback))

    walk(get_resolver().url_patterns, "")
    return found


def _shown(key: tuple[str, str]) -> str:
    route, method = key
    return f"{method} /{route}"


# --- The table against the resolver ---------------------------------------------------------------------------


def test_the_walker_reads_routes_and_methods_from_the_resolver():
    routes = registered_api_routes()
    # A known route with two methods, read from its view class (PUT is left out by http_method_names).
    assert {method for route, method in routes if route == "api/v1/leads/<int:id>/"} == {"GET", "PATCH"}
    assert ("api/v1/milestones/<int:id>/complete/", "POST") in routes
    # The schema and docs sit beside v1, not under it.
    assert not any(route.startswith("api/schema") for route, _ in routes)


def test_every_api_route_and_method_has_a_case():
    covered = {case.key for case in CASES}
    missing = sorted(registered_api_routes() - covered)
    assert not missing, "new route without coverage in tests/api/walker_cases.py: " + ", ".join(
        _shown(key) for key in missing
    )


def test_every_case_names_a_registered_route():
    stale = sorted({case.key for case in CASES} - registered_api_routes())
    assert not stale, "cases for routes that are not registered: " + ", ".join(_shown(key) for key in stale)


def test_each_route_and_method_has_one_case_with_a_column_per_actor_and_a_positive_control():
    keys = [case.key for case in CASES]
    assert len(keys) == len(set(keys)), "two cases for one route and method"
    for case in CASES:
        assert len(case.expect) == len(ACTORS), _shown(case.key)
        allowed = [actor for actor in A_ACTORS if _succeeds(case.expected(actor))]
        assert allowed, f"{_shown(case.key)} has no positive control: no actor of unit A gets 2xx"
        if any(case.expected(actor) in (SEEN, UNSEEN) for actor in ACTORS):
            assert case.listed is not None, f"{_shown(case.key)} expects a list but cannot read it"


# --- Each route, method and actor -----------------------------------------------------------------------------


def _succeeds(expected) -> bool:
    return expected in (SEEN, UNSEEN) or (isinstance(expected, int) and 200 <= expected < 300)


def _test_id(case: Case, actor: str) -> str:
    route = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", case.route)
    return f"{case.method} /{route} {actor}"


WALK = [
    pytest.param(case, actor, id=_test_id(case, actor)) for case in CASES for actor in (*ACTORS, "anonymous")
]


@pytest.fixture
def no_shared_counts(db):
    # Throttles (the token endpoint's logins among them) and report results live in the shared cache, which on
    # Redis outlives the test's transaction: every case starts from none.
    cache.clear()


@pytest.mark.django_db
@pytest.mark.parametrize(("case", "actor"), WALK)
def test_each_role_gets_what_design_says(api, no_shared_counts, case: Case, actor: str):
    world = World()
    thing = case.build(world)
    user = None if actor == "anonymous" else getattr(world, actor)
    if user is not None and case.login:
        api.force_login(user)
    before = case.effect(thing) if case.effect else None

    if case.send is not None:
        response = case.send(api, world, thing, user)
    else:
        request = getattr(api, case.method.lower())
        body = case.body(world, thing) if case.body else None
        response = request(case.path(thing), body, format="multipart" if case.multipart else "json")

    expected = case.expected(actor)
    said = f"{case.method} {case.path(thing)} as {actor}: {response.status_code} {response.content[:300]!r}"
    if expected == ANONYMOUS:
        assert response.status_code in (401, 403), said
    elif expected in (SEEN, UNSEEN):
        assert response.status_code == 200, said
        assert case.listed is not None
        assert case.listed(thing, response) is (expected == SEEN), f"{said}: expected {expected}"
    else:
        assert response.status_code == expected, f"{said}: expected {expected}"

    if case.effect is not None:
        after = case.effect(thing)
        if _succeeds(expected):
            assert after != before, f"{said}: answered {response.status_code} but changed nothing"
        else:
            assert after == before, f"{said}: refused but changed {before!r} to {after!r}"
