"""Reporting reads every app, so its tests reuse the projects set-up: a bureau with units A and B, their
officers, A's head, a bureau-level director and an event recorder who is a member of A."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.projects.conftest import (
    english_client,
    world,  # noqa: F401 - the shared units and users
)


@pytest.fixture
def client_as():
    """A logged-in English client for a user: client_as(world.a).get(...)."""

    def login(user) -> Client:
        client = english_client()
        client.force_login(user)
        return client

    return login
