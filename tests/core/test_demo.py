from __future__ import annotations

from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import User
from core.seeding import fingerprint
from projects.models import Lead
from talent.models import Contact

pytestmark = pytest.mark.django_db
TODAY = "2026-11-01"


def seed(seed: int, *, reset: bool = False) -> str:
    out = StringIO()
    call_command("seed_demo", leads=15, seed=seed, today=date.fromisoformat(TODAY), reset=reset, stdout=out)
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
