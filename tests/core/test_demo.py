from __future__ import annotations

from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import User
from core.seeding import fingerprint
from projects import demo as projects_demo
from projects.invariants import lead_invariant_violations
from projects.models import (
    Activity,
    Document,
    HandOver,
    Lead,
    LeadCodeSequence,
    Milestone,
    Signing,
    StageChange,
)
from projects.stages import TRACK_STAGES, Track
from talent.models import Contact
from tests.factories import make_lead

pytestmark = pytest.mark.django_db
TODAY = "2026-11-01"


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    # The demo uploads its PDFs wherever settings say; here that is a throwaway folder.
    settings.MEDIA_ROOT = tmp_path


def seed(seed: int, *, reset: bool = False, leads: int = 15) -> str:
    out = StringIO()
    call_command(
        "seed_demo", leads=leads, seed=seed, today=date.fromisoformat(TODAY), reset=reset, stdout=out
    )
    return out.getvalue()


def test_the_same_seed_gives_the_same_data_and_another_seed_different_data():
    seed(7)
    first = fingerprint()
    seed(7, reset=True)
    again = fingerprint()
    seed(8, reset=True)
    other = fingerprint()
    assert first == again
    assert first != other


def test_seeding_prints_one_login_per_role_and_the_logins_work(client):
    output = seed(1)
    for username in ("officer", "manager", "director", "recorder", "viewer", "admin"):
        assert f"  {username} " in output
    assert client.login(username="officer", password="officer-demo-2026")
    assert client.get("/admin/").status_code == 200


def test_seeded_data_is_what_the_services_allow():
    seed(3)
    assert Lead.objects.count() == 15
    for lead in Lead.objects.select_related("owner", "owning_unit"):
        # The owner sits in the owning unit; no one co-owns their own lead.
        assert lead.owner.memberships.filter(unit=lead.owning_unit).exists()
        assert not lead.co_owners.filter(pk=lead.owner_id).exists()
    assert Contact.objects.filter(name="陳大文").exists()
    assert User.objects.filter(is_superuser=True).count() == 1


def test_seeding_twice_without_reset_is_refused():
    seed(1)
    with pytest.raises(CommandError, match="already has users"):
        seed(1)


def test_demo_setup_seeds_once_and_prints_the_logins_each_time():
    first, second = StringIO(), StringIO()
    call_command("demo_setup", stdout=first)
    leads = Lead.objects.count()
    call_command("demo_setup", stdout=second)
    assert Lead.objects.count() == leads == 200
    assert "officer-demo-2026" in first.getvalue()
    assert "not seeding again" in second.getvalue()
    assert "officer-demo-2026" in second.getvalue()


def test_the_demo_is_in_states_the_services_allow_on_both_tracks():
    seed(2026, leads=40)
    assert lead_invariant_violations() == []
    assert Lead.objects.count() == 40
    tracks = set(Lead.objects.values_list("track", flat=True))
    assert tracks == {Track.ORGANIZATION, Track.TALENT}
    # Histories, not just first stages: leads moved on, and signings carry their agreement.
    assert StageChange.objects.count() > 2 * Lead.objects.count()
    assert Lead.objects.exclude(stage__in=[s[0] for s in TRACK_STAGES.values()]).count() > 20
    for signing in Signing.objects.all():
        [agreement] = signing.documents.all()
        assert agreement.file.read(8) == b"%PDF-1.4"
    assert Lead.objects.filter(
        status=Lead.Status.PAUSED, resume_review_on__gt=date.fromisoformat(TODAY)
    ).exists()
    assert Lead.objects.filter(status=Lead.Status.LOST).exclude(lost_reason="").exists()
    # The passes' checklists: some lines done, some overdue, some due within a fortnight; activities name their
    # next step; hand-overs to the carrier team in each state.
    today = date.fromisoformat(TODAY)
    assert Milestone.objects.filter(status=Milestone.Status.DONE).exists()
    assert Milestone.objects.filter(status=Milestone.Status.OPEN, due_on__lt=today).exists()
    assert Milestone.objects.filter(
        status=Milestone.Status.OPEN, due_on__gte=today, due_on__lte=today + timedelta(days=14)
    ).exists()
    assert Activity.objects.exclude(next_step="").exists()
    assert set(HandOver.objects.values_list("status", flat=True)) == {"accepted", "declined", "pending"}
    # Every step went through the services in time order, so codes follow registration dates.
    registrations = StageChange.objects.filter(from_stage="").order_by("occurred_at", "pk")
    codes = list(registrations.values_list("lead__code", flat=True))
    assert codes == sorted(codes, key=lambda code: (code[3:7], int(code[8:])))


@pytest.fixture
def bulk_from_ten(monkeypatch):
    monkeypatch.setattr(projects_demo, "BULK_THRESHOLD", 10)
    monkeypatch.setattr(projects_demo, "BULK_CHUNK", 25)  # several rounds of inserts


@pytest.mark.usefixtures("bulk_from_ten")
def test_the_bulk_path_writes_states_the_services_allow(capsys):
    seed(11, leads=80)
    assert "Bulk demo: 80 " in capsys.readouterr().out
    assert lead_invariant_violations() == []
    assert Lead.objects.count() == 80
    assert {Track.ORGANIZATION, Track.TALENT} == set(Lead.objects.values_list("track", flat=True))
    assert StageChange.objects.count() > 6 * 80
    # The checklists the moves made, as lead_advance makes them (the invariant checker above compares them).
    assert Milestone.objects.filter(status=Milestone.Status.DONE).exists()
    assert Milestone.objects.filter(status=Milestone.Status.OPEN).exists()
    # Codes follow registration dates, and the sequences continue after the last code of each year.
    registrations = StageChange.objects.filter(from_stage="").order_by("occurred_at", "pk")
    codes = list(registrations.values_list("lead__code", flat=True))
    assert len(codes) == 80
    assert codes == sorted(codes, key=lambda code: (code[3:7], int(code[8:])))
    for year, last in LeadCodeSequence.objects.values_list("year", "last"):
        assert Lead.objects.filter(code=f"HK-{year}-{last:04d}").exists()
    # A talent's founding cites the company's lead, which names its founder.
    for founding in StageChange.objects.filter(to_stage="T_FOUNDED", evidence__has_key="linked_lead_id"):
        company = Lead.objects.get(pk=founding.evidence["linked_lead_id"])
        assert company.founded_from_id == founding.lead_id
        assert company.track == Track.ORGANIZATION
    # Evidence cites rows of the same lead, as lead_advance checks it.
    for change in StageChange.objects.filter(evidence__has_key="document_ids"):
        assert set(change.evidence["document_ids"]) <= set(change.lead.documents.values_list("pk", flat=True))
    # The services carry on where the bulk rows end: the next code is free, a bulk lead can move on.
    director = User.objects.get(username="director")
    unit = Lead.objects.order_by("code").first().owning_unit
    newest = make_lead(owner=director, unit=unit, lead_type="startup")
    assert not Lead.objects.exclude(pk=newest.pk).filter(code=newest.code).exists()
    assert Document.objects.count() > 0


@pytest.mark.usefixtures("bulk_from_ten")
def test_the_bulk_path_is_deterministic_too():
    seed(5, leads=30)
    first = fingerprint()
    seed(5, leads=30, reset=True)
    assert fingerprint() == first
