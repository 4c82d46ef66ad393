"""Lead codes are handed out without gaps or duplicates, even when officers register leads at the same moment."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from accounts.models import Unit
from accounts.roles import Role
from projects.models import Lead
from tests.factories import join, make_lead, make_organization, make_unit, make_user

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL (CI's PostgreSQL pass)"
)


@pytest.mark.django_db
def test_codes_count_up_per_year():
    unit = make_unit("局", kind=Unit.Kind.BUREAU)
    officer = join(make_user(Role.OFFICER), unit)
    codes = [make_lead(owner=officer, unit=unit).code for _ in range(3)]
    assert [code.rsplit("-", 1)[1] for code in codes] == ["0001", "0002", "0003"]


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_concurrent_registrations_get_distinct_consecutive_codes():
    unit = make_unit("局", kind=Unit.Kind.BUREAU)
    officer = join(make_user(Role.OFFICER), unit)
    make_organization()
    start = threading.Barrier(8)
    errors: list[Exception] = []

    def register() -> None:
        try:
            start.wait()
            make_lead(owner=officer, unit=unit)
        except Exception as exc:  # collected and asserted on below: a thread's error must fail the test
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=register) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    numbers = sorted(int(code.rsplit("-", 1)[1]) for code in Lead.objects.values_list("code", flat=True))
    assert numbers == list(range(1, 9))
