"""A small, realistic bureau for the fuzzer to walk through: two sections, leads at several stages with their
milestones, signings, activities and documents, people met at events, and a funding programme with an application.

The fuzzer draws path and body ids from `FuzzWorld.ids`, so a good share of its requests reach real rows (in scope,
out of scope, in a state that refuses the change) instead of answering 404 every time."""

from __future__ import annotations

import datetime as dt
import sys
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.models import Unit, UnitMembership, User
from accounts.roles import Role
from funding import services as funding_services
from funding.models import Funder, ProgramType
from projects import services as lead_services
from projects.models import LeadType, Pass
from talent.services.contacts import ChannelInput, contact_create
from talent.services.events import attendance_record, event_create
from tests.factories import join, make_lead, make_organization, make_unit, make_user


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """The test's own outcome, for fixtures that check more at teardown only when the test passed."""
    report = yield
    if report.when == "call":
        item.report_call = report  # type: ignore[attr-defined]
    return report


def pytest_terminal_summary(terminalreporter) -> None:
    """One line on what the API fuzzer sent, when it ran."""
    module = sys.modules.get("tests.fuzz.test_schemathesis")
    sent = getattr(module, "SENT", None)
    if module is None or not sent:
        return
    passed = [counter for counter in sent.values() if counter.passed]
    with_input = [counter.phases["fuzzing"] for counter in passed if module.takes_input(*counter.operation)]
    without_input = {counter.operation for counter in passed if not module.takes_input(*counter.operation)}
    terminalreporter.write_line(
        f"API fuzzer: {len({counter.operation for counter in sent.values()})} operations in {len(sent)} tests "
        f"(operation × user), {len(passed)} passed; fuzzing examples per passed test: "
        f"{min(with_input, default=0)} to {max(with_input, default=0)} (1 for operations without parameters or "
        f"a body: {len(without_input)}); "
        f"{sum(sum(counter.phases.values()) for counter in sent.values())} requests in all"
    )


# tests.factories.make_user gives every user this password.
FACTORY_PASSWORD = "correct-horse-battery"


@dataclass
class FuzzWorld:
    officer: User
    manager: User
    # Real ids by kind ("leads", "contacts", ...), each list mixing rows the unit A users can see and rows they
    # cannot; and the users' credentials ("usernames", "passwords"), for the token endpoint.
    ids: dict[str, list[int | str]] = field(default_factory=dict)


def _pdf(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"%PDF-1.4 signed agreement", "application/pdf")


@pytest.fixture
def fuzz_world(db, settings, tmp_path) -> FuzzWorld:
    settings.MEDIA_ROOT = tmp_path
    now = timezone.now()
    today = timezone.localdate()
    bureau = make_unit("市投资促进局", kind=Unit.Kind.BUREAU)
    unit_a = make_unit("香港合作处", parent=bureau)
    unit_b = make_unit("产业招商一处", parent=bureau)
    officer = join(make_user(Role.OFFICER, username="fuzz_officer"), unit_a)
    manager = join(make_user(Role.MANAGER, username="fuzz_manager"), unit_a, UnitMembership.Role.MANAGER)
    recorder = join(make_user(Role.RECORDER, username="fuzz_recorder"), unit_a)
    officer_b = join(make_user(Role.OFFICER, username="fuzz_officer_b"), unit_b)
    hkust = make_organization()
    hku = make_organization("HKU", "香港大学")

    met = contact_create(
        actor=officer,
        name="陳大文",
        name_romanized="CHAN Tai Man",
        organization=hku,
        channels=[ChannelInput("phone", "9123 4567", "mobile"), ChannelInput("email", "Peter.Chan@HKU.hk")],
    )
    # The same person captured again, phone written differently: a certain duplicate of `met`.
    twin = contact_create(actor=officer, name="陳大文", channels=[ChannelInput("phone", "+852 9123 4567")])
    elsewhere = contact_create(actor=officer_b, name="李小龍", organization=hkust)
    fair = event_create(
        actor=manager,
        name="港大创科专场",
        starts_on=today - dt.timedelta(days=40),
        ends_on=today - dt.timedelta(days=39),
        assigned_staff=[recorder, officer],
    )
    roadshow = event_create(
        actor=manager,
        name="科大路演",
        starts_on=today - dt.timedelta(days=20),
        ends_on=today - dt.timedelta(days=20),
    )
    attendance_record(actor=officer, event=fair, contact=met)
    attendance_record(actor=officer_b, event=roadshow, contact=elsewhere)

    team = make_lead(
        owner=officer, unit=unit_a, name="港科大 量子计算研发团队", occurred_at=now - dt.timedelta(days=90)
    )
    # Template milestones come with the negotiation stage.
    lead_services.lead_advance(
        lead=team,
        to_stage="NEGOTIATING",
        actor=officer,
        occurred_at=now - dt.timedelta(days=60),
        evidence={"needs_list": "实验室 300 平方米、洁净间"},
    )
    talent = make_lead(
        owner=officer,
        unit=unit_a,
        lead_type=LeadType.TALENT,
        subject_contact=met,
        occurred_at=now - dt.timedelta(days=30),
    )
    confidential = make_lead(
        owner=manager, unit=unit_a, confidential=True, occurred_at=now - dt.timedelta(days=10)
    )
    other_unit = make_lead(owner=officer_b, unit=unit_b, occurred_at=now - dt.timedelta(days=5))

    lead_services.document_upload(actor=officer, lead=team, file=_pdf("needs.pdf"))
    lead_services.document_upload(actor=officer_b, lead=other_unit, file=_pdf("other.pdf"))
    lead_services.signing_create(
        actor=officer,
        lead=team,
        signed_on=today - dt.timedelta(days=3),
        investor=hkust,
        amount=Decimal(1_000_000),
        currency="CNY",
    )
    lead_services.activity_log(
        actor=officer,
        lead=team,
        kind="visit",
        occurred_at=now - dt.timedelta(days=2),
        summary="走访实验室",
        participants=[manager],
        contacts=[met],
    )
    resources = Pass.objects.get(code="resources")
    lead_services.milestone_add(actor=officer, lead=team, lead_pass=resources, title="落实洁净间")
    done = lead_services.milestone_add(actor=officer, lead=team, lead_pass=resources, title="确认人才公寓")
    # A milestone already done: completing it again is 409.
    lead_services.milestone_complete(milestone=done, actor=officer, evidence_note="已确认")
    lead_services.milestone_add(actor=officer_b, lead=other_unit, lead_pass=resources, title="对接园区载体")

    program = funding_services.program_create(
        actor=None,
        code="fuzz-award",
        name="测试奖励",
        name_en="Test award",
        program_type=ProgramType.AWARD,
        funder=Funder.CITY,
        active=True,
    )
    version = funding_services.version_create(
        actor=None,
        program=program,
        year=today.year,
        currency="CNY",
        min_amount=Decimal(1_000_000),
        max_amount=Decimal(50_000_000),
    )
    window = funding_services.window_create(
        actor=None,
        version=version,
        batch=f"{today.year}年度第1批",
        opens_on=today - dt.timedelta(days=10),
        closes_on=today + dt.timedelta(days=50),
    )
    application = funding_services.application_create(
        actor=officer, lead=team, version=version, window=window, requested_amount=Decimal(20_000_000)
    )
    other_application = funding_services.application_create(actor=officer_b, lead=other_unit, version=version)

    users = [officer, manager, recorder, officer_b]
    return FuzzWorld(
        officer=officer,
        manager=manager,
        ids={
            "leads": [team.pk, talent.pk, confidential.pk, other_unit.pk],
            "milestones": sorted(
                pk for lead in (team, other_unit) for pk in lead.milestones.values_list("pk", flat=True)
            ),
            "contacts": [met.pk, twin.pk, elsewhere.pk],
            "events": [fair.pk, roadshow.pk],
            "documents": sorted(
                pk for lead in (team, other_unit) for pk in lead.documents.values_list("pk", flat=True)
            ),
            "applications": [application.pk, other_application.pk],
            "programs": [program.pk],
            "versions": [version.pk],
            "windows": [window.pk],
            "organizations": [hkust.pk, hku.pk],
            "users": [user.pk for user in users],
            "usernames": [user.username for user in users],
            "passwords": [FACTORY_PASSWORD],
            "units": [unit_a.pk, unit_b.pk],
        },
    )
