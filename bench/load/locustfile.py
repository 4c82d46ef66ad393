"""Locust users for bench/load/run.py: bureau staff on the API (token) and the web pages (session).

Started by run.py, which sets these variables:

    LOAD_PASSWORD     the password run.py gave `director`, `head0` and `officer0`
    LOAD_IDS_FILE     JSON {username: [lead ids that user may see]}, drawn by run.py
    LOAD_REQUEST_LOG  CSV written here: one row per request (start, end, name, status, ms, error)

Each simulated staff member signs in as one of three accounts (30 as `officer0`, 15 as `head0`, 5 as
`director`): once for an API token, once on the admin's login page for a session. Then, with 2–5 s of thinking
between requests, they read the lead list, a lead, its stage changes, the contacts, the admin's lead list and,
for the two managers, the funnel and the dashboard. Every request must answer 200 (302 for the sign-in post);
anything else counts as a failure.
"""

from __future__ import annotations

import csv
import json
import os
import random
import re
import time

from locust import HttpUser, between, events

PASSWORD = os.environ.get("LOAD_PASSWORD", "")
LEAD_IDS: dict[str, list[int]] = (
    json.loads(open(os.environ["LOAD_IDS_FILE"], encoding="utf-8").read())  # noqa: SIM115
    if os.environ.get("LOAD_IDS_FILE")
    else {}
)
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')

_log_file = None
_log = None
if os.environ.get("LOAD_REQUEST_LOG"):
    _log_file = open(os.environ["LOAD_REQUEST_LOG"], "w", newline="", encoding="utf-8")  # noqa: SIM115
    _log = csv.writer(_log_file)
    _log.writerow(["start", "end", "name", "status", "ms", "error"])


@events.request.add_listener
def record(name, response_time, response, exception, start_time=None, **_kwargs):
    # Locust keeps only aggregates; the fault run needs each request in time order (what failed, how fast).
    if _log is None:
        return
    end = time.time()
    status = getattr(response, "status_code", 0) or 0
    error = type(exception).__name__ if exception else ""
    _log.writerow(
        [
            f"{start_time or end - response_time / 1000:.3f}",
            f"{end:.3f}",
            name,
            status,
            f"{response_time:.1f}",
            error,
        ]
    )


@events.quitting.add_listener
def close_log(**_kwargs):
    if _log_file is not None:
        _log_file.close()


def _expect(response, *codes: int) -> None:
    if response.status_code not in codes:
        response.failure(f"HTTP {response.status_code}")


class Staff(HttpUser):
    abstract = True
    wait_time = between(2, 5)
    username = ""

    def on_start(self) -> None:
        with self.client.post(
            "/api/v1/auth/token/",
            json={"username": self.username, "password": PASSWORD, "label": "bench-load"},
            name="POST /api/v1/auth/token/",
            catch_response=True,
        ) as response:
            _expect(response, 201)
            self.token = response.json().get("token", "") if response.status_code == 201 else ""
        with self.client.get(
            "/admin/login/", name="GET /admin/login/", catch_response=True, allow_redirects=False
        ) as response:
            _expect(response, 200)
            found = CSRF_FIELD.search(response.text)
        with self.client.post(
            "/admin/login/?next=/admin/",
            data={
                "username": self.username,
                "password": PASSWORD,
                "csrfmiddlewaretoken": found.group(1) if found else "",
                "next": "/admin/",
            },
            name="POST /admin/login/",
            catch_response=True,
            allow_redirects=False,
        ) as response:
            _expect(response, 302)
        # The session cookie authenticates the pages; the API requests carry the token instead.
        self.api = {"Authorization": f"Token {self.token}"}
        self.lead_ids = LEAD_IDS.get(self.username) or [0]

    def _get(self, url: str, name: str, *, api: bool) -> None:
        with self.client.get(
            url,
            name=name,
            headers=self.api if api else None,
            catch_response=True,
            allow_redirects=False,
        ) as response:
            _expect(response, 200)

    def leads(self) -> None:
        self._get("/api/v1/leads/?page_size=50", "GET /api/v1/leads/?page_size=50", api=True)

    def lead(self) -> None:
        self._get(f"/api/v1/leads/{random.choice(self.lead_ids)}/", "GET /api/v1/leads/{id}/", api=True)

    def transitions(self) -> None:
        lead_id = random.choice(self.lead_ids)
        self._get(f"/api/v1/leads/{lead_id}/transitions/", "GET /api/v1/leads/{id}/transitions/", api=True)

    def contacts(self) -> None:
        self._get("/api/v1/contacts/", "GET /api/v1/contacts/", api=True)

    def admin_leads(self) -> None:
        self._get("/admin/projects/lead/", "GET /admin/projects/lead/", api=False)

    def funnel(self) -> None:
        self._get("/api/v1/funnel/", "GET /api/v1/funnel/", api=True)

    def dashboard(self) -> None:
        self._get("/reports/", "GET /reports/", api=False)


# Weights per think cycle: lists and leads most, then their history, people and the admin's list.
OFFICER_TASKS = {
    Staff.leads: 4,
    Staff.lead: 4,
    Staff.transitions: 2,
    Staff.contacts: 2,
    Staff.admin_leads: 2,
}
# Officers have no dashboard permission (their funnel and dashboard answer 403): only managers ask for them.
MANAGER_TASKS = {**OFFICER_TASKS, Staff.funnel: 1, Staff.dashboard: 1}


class Officer(Staff):
    weight = 6
    username = "officer0"
    tasks = OFFICER_TASKS


class DivisionHead(Staff):
    weight = 3
    username = "head0"
    tasks = MANAGER_TASKS


class Director(Staff):
    weight = 1
    username = "director"
    tasks = MANAGER_TASKS
