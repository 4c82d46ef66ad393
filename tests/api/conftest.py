"""Two sections of one bureau, an officer in each, and a lead of section A's officer."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Unit, UnitMembership, User
from accounts.roles import Role
from projects.models import Lead
from tests.factories import join, make_lead, make_unit, make_user


@dataclass
class World:
    unit_a: Unit
    unit_b: Unit
    officer_a: User
    officer_b: User
    manager_a: User
    recorder: User
    lead: Lead


@pytest.fixture
def world(db) -> World:
    bureau = make_unit("市投资促进局", kind=Unit.Kind.BUREAU)
    unit_a = make_unit("香港合作处", parent=bureau)
    unit_b = make_unit("产业招商一处", parent=bureau)
    officer_a = join(make_user(Role.OFFICER, username="officer_a"), unit_a)
    return World(
        unit_a=unit_a,
        unit_b=unit_b,
        officer_a=officer_a,
        officer_b=join(make_user(Role.OFFICER, username="officer_b"), unit_b),
        manager_a=join(make_user(Role.MANAGER, username="manager_a"), unit_a, UnitMembership.Role.MANAGER),
        recorder=join(make_user(Role.RECORDER, username="recorder"), unit_a),
        lead=make_lead(
            owner=officer_a,
            unit=unit_a,
            name="港科大 量子计算研发团队",
            occurred_at=timezone.now() - dt.timedelta(days=30),
        ),
    )


@pytest.fixture
def api() -> APIClient:
    """A client that asks for English: messages are asserted as their msgids.

    Tests log in with force_login, so every request loads its user afresh as a browser's request would (the
    visibility scope is cached on the user object, per request)."""
    return APIClient(HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def pdf(name: str = "a.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"%PDF-1.4 signed agreement", "application/pdf")
