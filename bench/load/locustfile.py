"""Locust users for bench/load/run.py: bureau staff on the API (token) and the web pages (session).

Started by run.py, which sets these variables:

    LOAD_PASSWORD     the password run.py gave `director`, `head0` and `officer0`
    LOAD_IDS_FILE     JSON {username: [lead ids that user may see]}, drawn by run.py
    LOAD_REQUEST_LOG  CSV written here: one row per request (start, end, name, status, ms, error)
    LOAD_MOVES_FILE   JSON [[lead id, stage], ...]: active leads of `head0`'s division at LEAD or QUALIFIED
    LOAD_WRITE_LOG    JSON lines written here: one per stage move, with its Idempotency-Key and how it ended
    LOAD_MOVE_WEIGHT  the division heads' weight for a stage move among their other tasks (0: no moves)

Each simulated staff member signs in as one of three accounts (30 as `officer0`, 15 as `head0`, 5 as
`director`): once for an API token, once on the admin's login page for a session. Then, with 2–5 s of thinking
between requests, they read the lead list, a lead, its stage changes, the contacts, the admin's lead list and,
for the two managers, the funnel and the dashboard. Every request must answer 200 (302 for the sign-in post);
anything else counts as a failure.

The division heads also write: they move one of their division's leads between "lead" and "qualified" (forward
with the evidence the stage asks for, back with a reason — only a manager may move back), each move under its own
Idempotency-Key. A move answered 503 or cut off is retried with the same key after the Retry-After seconds, as
a careful client does, until it answers 201 (or 10 attempts); run.py then checks every move against the database.
"""

from __future__ import annotations

import csv
import json
import os
import random
import re
import time
import uuid

import gevent
from locust import HttpUser, between, events

PASSWORD = os.environ.get("LOAD_PASSWORD", "")
LEAD_IDS: dict[str, list[int]] = (
    json.loads(open(os.environ["LOAD_IDS_FILE"], encoding="utf-8").read())  # noqa: SIM115
    if os.environ.get("LOAD_IDS_FILE")
    else {}
)
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
# Each division head takes its own leads from this list (no two users move the same lead at once).
MOVABLE: list[list] = (
    json.loads(open(os.environ["LOAD_MOVES_FILE"], encoding="utf-8").read())  # noqa: SIM115
    if os.environ.get("LOAD_MOVES_FILE")
    else []
)
LEADS_PER_MOVER = 20
MOVE_ATTEMPTS = 10
MOVE_WEIGHT = int(os.environ.get("LOAD_MOVE_WEIGHT", "1"))
QUALIFIED_EVIDENCE = {"assessment": "负载测试：团队与技术已核实。", "decision": "follow"}
_movers = 0

_write_log = (
    open(os.environ["LOAD_WRITE_LOG"], "a", encoding="utf-8")  # noqa: SIM115
    if os.environ.get("LOAD_WRITE_LOG")
    else None
)

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
    for handle in (_log_file, _write_log):
        if handle is not None:
            handle.close()


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


class Mover:
    """A division head's own leads, with the stage each is at, to move back and forth."""

    def __init__(self) -> None:
        global _movers
        start = _movers * LEADS_PER_MOVER
        _movers += 1
        self.leads = dict(MOVABLE[start : start + LEADS_PER_MOVER])

    def next_move(self) -> tuple[int, dict] | None:
        if not self.leads:
            return None
        lead = random.choice(list(self.leads))
        if self.leads[lead] == "LEAD":
            return lead, {"to_stage": "QUALIFIED", "evidence": QUALIFIED_EVIDENCE}
        return lead, {"to_stage": "LEAD", "note": "负载测试：退回重新研判"}


def move(user: Staff) -> None:
    """One stage move, retried under the same Idempotency-Key until it answers 201."""
    mover = getattr(user, "mover", None)
    if mover is None:
        mover = user.mover = Mover()
    chosen = mover.next_move()
    if chosen is None:
        return
    lead, body = chosen
    key = str(uuid.uuid4())
    statuses: list[int] = []
    answer: dict = {}
    replayed = False
    for _attempt in range(MOVE_ATTEMPTS):
        with user.client.post(
            f"/api/v1/leads/{lead}/transitions/",
            json=body,
            headers={**user.api, "Idempotency-Key": key},
            name="POST /api/v1/leads/{id}/transitions/",
            catch_response=True,
        ) as response:
            status = response.status_code or 0
            statuses.append(status)
            _expect(response, 201)
            if status == 201:
                answer = response.json()
                replayed = response.headers.get("Idempotent-Replayed") == "true"
                break
            if status not in (0, 502, 503, 504):
                break  # refused for a reason retrying will not change
            gevent.sleep(float(response.headers.get("Retry-After") or 1))
    if statuses[-1] == 201:
        mover.leads[lead] = body["to_stage"]
    if _write_log is not None:
        _write_log.write(
            json.dumps(
                {
                    "key": key,
                    "lead": lead,
                    "to_stage": body["to_stage"],
                    "statuses": statuses,
                    "id": answer.get("id"),
                    "replayed": replayed,
                    "at": time.time(),
                }
            )
            + "\n"
        )
        _write_log.flush()


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
    tasks = {**MANAGER_TASKS, move: MOVE_WEIGHT} if MOVE_WEIGHT else MANAGER_TASKS


class Director(Staff):
    weight = 1
    username = "director"
    tasks = MANAGER_TASKS
