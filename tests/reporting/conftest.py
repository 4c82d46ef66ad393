"""Reporting reads every app, so its tests reuse the projects set-up: a bureau with units A and B, their
officers, A's head, a bureau-level director and an event recorder who is a member of A."""

from __future__ import annotations

from tests.projects.conftest import world  # noqa: F401 - the shared units and users
