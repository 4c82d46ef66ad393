"""Schemathesis over every operation of the published schema, in-process through the WSGI application, against
PostgreSQL: for an officer and for a unit manager, each signed in with a session (never a token, so fuzzing
`DELETE /api/v1/auth/token/` cannot revoke the fuzzer's own credentials), no operation may answer a 5xx, a status
code or content type its schema does not declare, or a body that does not match the declared one. Each user gets
Schemathesis's fuzzing phase (at least MIN_EXAMPLES examples an operation) and its examples phase; the coverage
phase's deterministic edge cases run once, as the manager.

Every example runs inside a savepoint that is rolled back: each starts from the same seeded bureau, however much
the one before it wrote (or broke). The throttles' counters live in the cache, not the database, so they carry over
from one example to the next within an operation: the token endpoint's 10 a minute is reached and its 429 checked.

Operations left out are listed, each with its reason, in exclusions.txt beside this file; that list is empty."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from django.conf import settings
from django.core.cache import cache
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from django.test import Client
from django.utils.crypto import get_random_string
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, Phase
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.fuzz.conftest import FuzzWorld

EXCLUSIONS = Path(__file__).with_name("exclusions.txt")
MIN_EXAMPLES = 25
# The coverage phase's deterministic edge cases (a few hundred per operation, mostly request shapes) run once per
# operation, as the user whose wider rights reach deeper into the services; both users get the fuzzing phase.
COVERAGE_USER = "manager"
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}

on_postgresql = pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
    reason="the API fuzzer runs on PostgreSQL only (DATABASE_URL=postgres://…); the SQLite run skips it",
)


def read_exclusions(path: Path = EXCLUSIONS) -> dict[tuple[str, str], str]:
    """(METHOD, path) → reason, from lines `METHOD /path  reason`; `#` starts a comment."""
    excluded: dict[tuple[str, str], str] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split(maxsplit=2)
        if len(parts) < 3:
            raise ValueError(f"{path.name}:{number}: expected `METHOD /path reason`, got {line!r}")
        method, operation_path, reason = parts
        excluded[(method.upper(), operation_path)] = reason
    return excluded


def openapi_document() -> dict[str, Any]:
    """The schema /api/schema/ serves, as JSON would carry it (lazy translations rendered, keys as strings)."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(schema))


def operations(document: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method in item
        if method in HTTP_METHODS
    ]


DOCUMENT = openapi_document()
EXCLUDED = read_exclusions()

# Hypothesis draws path and body values before the test body runs, from hooks registered at import: the hooks read
# the ids of the bureau the running test seeded from here.
WORLD_IDS: dict[str, list[int | str]] = {}

# The row kind behind `{id}`, by the path before it.
PATH_ID_KINDS = {
    "/api/v1/leads/": "leads",
    "/api/v1/milestones/": "milestones",
    "/api/v1/contacts/": "contacts",
    "/api/v1/events/": "events",
    "/api/v1/funding/applications/": "applications",
}

# The row kind behind an id in a body or a query string, by field name (and the token endpoint's credentials).
FIELD_ID_KINDS = {
    "lead": "leads",
    "into": "contacts",
    "contact": "contacts",
    "contacts": "contacts",
    "subject_contact": "contacts",
    "event": "events",
    "source_event": "events",
    "document": "documents",
    "document_ids": "documents",
    "version": "versions",
    "window": "windows",
    "program": "programs",
    "organization": "organizations",
    "hk_organization": "organizations",
    "investor": "organizations",
    "co_owners": "users",
    "participants": "users",
    "assigned_staff": "users",
    "assignee": "users",
    "owner": "users",
    "owning_unit": "units",
    "unit": "units",
    "username": "usernames",
    "password": "passwords",
}


def path_id_kind(path: str) -> str | None:
    return PATH_ID_KINDS.get(path.split("{id}", 1)[0]) if "{id}" in path else None


def _is_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _real_ids(fields: Any) -> st.SearchStrategy:
    """`fields` as generated, or with some id fields swapped for ids of real rows."""
    if not isinstance(fields, dict):
        return st.just(fields)
    swaps: dict[str, st.SearchStrategy] = {}
    for name, value in fields.items():
        ids = WORLD_IDS.get(FIELD_ID_KINDS.get(name, ""))
        if not ids:
            continue
        if _is_id(value) or isinstance(value, str):
            swaps[name] = st.one_of(st.sampled_from(ids), st.just(value))
        elif isinstance(value, list) and all(_is_id(item) for item in value):
            swaps[name] = st.one_of(st.lists(st.sampled_from(ids), max_size=3, unique=True), st.just(value))
    if not swaps:
        return st.just(fields)
    return st.fixed_dictionaries(swaps).map(lambda drawn: {**fields, **drawn})


SCHEMA = schemathesis.openapi.from_dict(
    DOCUMENT,
    config=schemathesis.Config.from_dict(
        # The session is the credential: no generated Authorization header or session cookie replaces it.
        {"generation": {"with-security-parameters": False}}
    ),
).exclude(func=lambda ctx: (ctx.operation.method.upper(), ctx.operation.path) in EXCLUDED)
# The application as a WSGI server would call it (Django is already set up by pytest-django).
SCHEMA.app = WSGIHandler()


@SCHEMA.hook
def flatmap_path_parameters(context, path_parameters: dict[str, Any]) -> st.SearchStrategy:
    ids = WORLD_IDS.get(path_id_kind(context.operation.path) or "")
    if not ids or "id" not in path_parameters:
        return st.just(path_parameters)
    return st.one_of(st.sampled_from(ids), st.just(path_parameters["id"])).map(
        lambda pk: {**path_parameters, "id": pk}
    )


@SCHEMA.hook
def flatmap_body(context, body: Any) -> st.SearchStrategy:
    return _real_ids(body)


@SCHEMA.hook
def flatmap_query(context, query: Any) -> st.SearchStrategy:
    return _real_ids(query)


def phase_of(case) -> str:
    """Which of Schemathesis's phases made the case: "examples", "coverage" or "fuzzing"."""
    return case.meta.phase.name.value if case.meta is not None else "unknown"


def on_real_rows(case, *, turn: int) -> None:
    """The coverage phase builds its cases without the hooks above: unless a case probes the path parameter
    itself, it gets the id of a real row (in turn), so that its query or body reaches more than a 404."""
    if phase_of(case) != "coverage" or getattr(case.meta.phase.data, "parameter_location", None) == "path":
        return
    ids = WORLD_IDS.get(path_id_kind(case.operation.path) or "")
    if ids and case.path_parameters and "id" in case.path_parameters:
        case.path_parameters["id"] = ids[turn % len(ids)]


# --- The fuzzer -----------------------------------------------------------------------------------------------


@pytest.fixture
def _world_ids(fuzz_world: FuzzWorld):
    WORLD_IDS.update(fuzz_world.ids)
    yield
    WORLD_IDS.clear()


@pytest.fixture
def _requests_keep_the_test_transaction():
    """Django's WSGI handler closes the connection around each request (close_old_connections), which inside the
    test's transaction would throw the seeded bureau away; its test client unhooks the same receivers."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@dataclass
class Session:
    """A browser's credentials for one of the bureau's users: the session cookie, and the CSRF cookie and header
    DRF's SessionAuthentication asks for on unsafe methods."""

    user: str
    cookies: dict[str, str]
    headers: dict[str, str]


@pytest.fixture(params=["officer", "manager"])
def session(request, fuzz_world: FuzzWorld) -> Session:
    client = Client()
    client.force_login(getattr(fuzz_world, request.param))
    csrf = get_random_string(32)
    return Session(
        user=request.param,
        cookies={
            settings.SESSION_COOKIE_NAME: client.cookies[settings.SESSION_COOKIE_NAME].value,
            settings.CSRF_COOKIE_NAME: csrf,
        },
        headers={"X-CSRFToken": csrf},
    )


class Examples:
    """What one operation's test sent, by Schemathesis phase (examples, coverage, fuzzing) and by status."""

    def __init__(self) -> None:
        self.operation: tuple[str, str] | None = None
        self.passed = False
        self.phases: Counter[str] = Counter()
        self.statuses: Counter[int] = Counter()

    def count(self, case, status: int) -> None:
        self.operation = (case.method.upper(), case.operation.path)
        self.phases[phase_of(case)] += 1
        self.statuses[status] += 1


def takes_input(method: str, path: str) -> bool:
    item = DOCUMENT["paths"][path]
    return bool(
        item.get("parameters")
        or item[method.lower()].get("parameters")
        or item[method.lower()].get("requestBody")
    )


# Every operation's counts, for the run's summary (conftest.pytest_terminal_summary).
SENT: dict[str, Examples] = {}


@pytest.fixture
def examples(request):
    counter = Examples()
    # Throttle counters of earlier tests (in the cache, which outlives their transactions) start over.
    cache.clear()
    yield counter
    SENT[request.node.name] = counter
    # A failing operation stops at its first failure; only a passing one is held to the count. An operation
    # without parameters or a body has a single distinct request, and Hypothesis stops once it has sent it.
    report = getattr(request.node, "report_call", None)
    counter.passed = report is not None and report.passed
    if not counter.passed or counter.operation is None:
        return
    required = MIN_EXAMPLES if takes_input(*counter.operation) else 1
    assert counter.phases["fuzzing"] >= required, (
        f"{request.node.name}: {counter.phases['fuzzing']} fuzzing examples, {required} required "
        f"(all phases {dict(counter.phases)}, statuses {dict(counter.statuses)})"
    )


@on_postgresql
@pytest.mark.usefixtures("_world_ids", "_requests_keep_the_test_transaction")
@SCHEMA.parametrize()
@hypothesis_settings(
    max_examples=MIN_EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    phases=[Phase.explicit, Phase.generate, Phase.shrink],
    # The seeded bureau is a function-scoped fixture on purpose; each example's savepoint keeps them apart.
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
def test_every_operation_answers_as_its_schema_says(case, session, examples):
    if phase_of(case) == "coverage" and session.user != COVERAGE_USER:
        return
    on_real_rows(case, turn=sum(examples.phases.values()))
    with transaction.atomic():
        response = case.call(headers=session.headers, cookies=session.cookies)
        transaction.set_rollback(True)
    examples.count(case, response.status_code)
    case.validate_response(response, checks=CHECKS)


# --- What the fuzzer covers -----------------------------------------------------------------------------------


def test_the_exclusions_name_operations_of_the_schema_each_with_a_reason():
    known = set(operations(DOCUMENT))
    unknown = [f"{method} {path}" for method, path in EXCLUDED if (method, path) not in known]
    assert unknown == [], f"{EXCLUSIONS.name} names operations the schema does not have"
    assert all(reason.strip() for reason in EXCLUDED.values())


def test_an_exclusion_without_a_reason_is_refused(tmp_path):
    listed = tmp_path / "exclusions.txt"
    listed.write_text("# header\nGET /api/v1/leads/   the reason\n", encoding="utf-8")
    assert read_exclusions(listed) == {("GET", "/api/v1/leads/"): "the reason"}
    listed.write_text("GET /api/v1/leads/\n", encoding="utf-8")
    with pytest.raises(ValueError, match="expected `METHOD /path reason`"):
        read_exclusions(listed)


def test_the_fuzzer_sees_every_operation_of_the_schema():
    fuzzed = {(operation.method.upper(), operation.path) for operation in _fuzzed_operations()}
    assert fuzzed == set(operations(DOCUMENT)) - set(EXCLUDED)
    assert ("POST", "/api/v1/leads/") in fuzzed  # positive control: the schema is the API's


def _fuzzed_operations():
    return [result.ok() for result in SCHEMA.get_all_operations()]


def test_every_path_parameter_draws_real_ids():
    """A route with a parameter the fuzzer cannot fill with real ids would answer 404 to nearly every example."""
    unfilled = [
        f"{method} {path}"
        for method, path in operations(DOCUMENT)
        for parameter in DOCUMENT["paths"][path].get("parameters", [])
        + DOCUMENT["paths"][path][method.lower()].get("parameters", [])
        if parameter["in"] == "path" and (parameter["name"] != "id" or path_id_kind(path) is None)
    ]
    assert unfilled == []
    assert path_id_kind("/api/v1/leads/{id}/milestones/") == "leads"
    assert path_id_kind("/api/v1/unknown/{id}/") is None
