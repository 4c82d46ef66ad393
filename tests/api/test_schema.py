"""The OpenAPI schema and Swagger UI, served without any CDN."""

from __future__ import annotations

import json
import re

import pytest

pytestmark = pytest.mark.django_db

CONTRACT_PATHS = {
    "/api/v1/auth/token/",
    "/api/v1/leads/",
    "/api/v1/leads/{id}/",
    "/api/v1/leads/{id}/transitions/",
    "/api/v1/leads/{id}/signings/",
    "/api/v1/leads/{id}/activities/",
    "/api/v1/leads/{id}/milestones/",
    "/api/v1/milestones/{id}/complete/",
    "/api/v1/documents/",
    "/api/v1/organizations/",
    "/api/v1/carriers/",
    "/api/v1/sectors/",
    "/api/v1/contacts/",
    "/api/v1/contacts/{id}/",
    "/api/v1/contacts/{id}/duplicates/",
    "/api/v1/contacts/{id}/merge/",
    "/api/v1/events/",
    "/api/v1/events/{id}/attendances/",
    "/api/v1/funding/programs/",
    "/api/v1/funding/applications/",
    "/api/v1/funding/applications/{id}/",
    "/api/v1/funnel/",
}


def test_the_schema_is_openapi_3_with_the_contract_paths(api, world):
    api.force_login(world.officer_a)
    response = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = json.loads(response.content)
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "苏港通 · Suzhou–HK Pipeline API"
    assert set(schema["paths"]) == CONTRACT_PATHS


def test_every_operation_declares_its_error_responses(api, world):
    api.force_login(world.officer_a)
    schema = json.loads(api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").content)
    declared = {
        (method.upper(), path): sorted(code for code in operation["responses"] if code >= "400")
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
    }
    assert declared == {
        ("POST", "/api/v1/auth/token/"): ["400", "429", "503"],
        ("DELETE", "/api/v1/auth/token/"): ["400", "401", "403", "429", "503"],
        ("GET", "/api/v1/carriers/"): ["400", "401", "403", "404", "503"],
        ("GET", "/api/v1/contacts/"): ["400", "401", "403", "404", "429", "503"],
        ("POST", "/api/v1/contacts/"): ["400", "401", "403", "404", "422", "429", "503"],
        ("GET", "/api/v1/contacts/{id}/"): ["401", "403", "404", "429", "503"],
        ("PATCH", "/api/v1/contacts/{id}/"): ["400", "401", "403", "404", "409", "429", "503"],
        ("GET", "/api/v1/contacts/{id}/duplicates/"): ["401", "403", "404", "429", "503"],
        ("POST", "/api/v1/contacts/{id}/merge/"): ["400", "401", "403", "404", "409", "422", "503"],
        ("POST", "/api/v1/documents/"): ["400", "401", "403", "404", "422", "503"],
        ("GET", "/api/v1/events/"): ["400", "401", "403", "404", "503"],
        ("POST", "/api/v1/events/"): ["400", "401", "403", "422", "503"],
        ("POST", "/api/v1/events/{id}/attendances/"): ["400", "401", "403", "404", "409", "422", "503"],
        ("GET", "/api/v1/funding/applications/"): ["400", "401", "403", "404", "503"],
        ("POST", "/api/v1/funding/applications/"): ["400", "401", "403", "404", "409", "422", "503"],
        ("GET", "/api/v1/funding/applications/{id}/"): ["401", "403", "404", "503"],
        ("GET", "/api/v1/funding/programs/"): ["400", "401", "403", "404", "503"],
        ("GET", "/api/v1/funnel/"): ["400", "401", "403", "503"],
        ("GET", "/api/v1/leads/"): ["400", "401", "403", "404", "503"],
        ("POST", "/api/v1/leads/"): ["400", "401", "403", "422", "503"],
        ("GET", "/api/v1/leads/{id}/"): ["401", "403", "404", "503"],
        ("PATCH", "/api/v1/leads/{id}/"): ["400", "401", "403", "404", "409", "503"],
        ("GET", "/api/v1/leads/{id}/activities/"): ["401", "403", "404", "503"],
        ("POST", "/api/v1/leads/{id}/activities/"): ["400", "401", "403", "404", "409", "422", "503"],
        ("GET", "/api/v1/leads/{id}/milestones/"): ["401", "403", "404", "503"],
        ("POST", "/api/v1/leads/{id}/milestones/"): ["400", "401", "403", "404", "409", "422", "503"],
        ("GET", "/api/v1/leads/{id}/signings/"): ["401", "403", "404", "503"],
        ("POST", "/api/v1/leads/{id}/signings/"): ["400", "401", "403", "404", "409", "422", "503"],
        ("GET", "/api/v1/leads/{id}/transitions/"): ["401", "403", "404", "503"],
        ("POST", "/api/v1/leads/{id}/transitions/"): ["400", "401", "403", "404", "409", "422", "503"],
        ("POST", "/api/v1/milestones/{id}/complete/"): ["400", "401", "403", "404", "409", "422", "503"],
        ("GET", "/api/v1/organizations/"): ["400", "401", "403", "404", "503"],
        ("GET", "/api/v1/sectors/"): ["400", "401", "403", "404", "503"],
    }


def test_amounts_are_numbers_in_the_schema(api, world):
    api.force_login(world.officer_a)
    schema = json.loads(api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").content)
    lead = schema["components"]["schemas"]["Lead"]["properties"]
    assert lead["expected_investment"]["type"] == "number"
    assert lead["expected_investment_currency"]["allOf"] == [{"$ref": "#/components/schemas/CurrencyEnum"}]


def test_the_schema_needs_a_signed_in_user(api, world):
    assert api.get("/api/schema/").status_code == 401


def test_swagger_ui_loads_everything_from_our_own_static_files(api, world):
    api.force_login(world.officer_a)
    response = api.get("/api/docs/")
    assert response.status_code == 200
    page = response.content.decode()
    assert sorted(re.findall(r'(?:src|href)="([^"]+)"', page)) == [
        "/api/docs/?script=",
        "/static/drf_spectacular_sidecar/swagger-ui-dist/favicon-32x32.png",
        "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js",
        "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-standalone-preset.js",
        "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui.css",
    ]
    assert re.findall(r"https?://", page) == []
    # The set-up script is a file of its own (no inline script, ready for a Content-Security-Policy).
    script = api.get("/api/docs/", {"script": ""})
    assert script["Content-Type"] == "application/javascript"
    assert re.findall(r"https?://", script.content.decode()) == []
