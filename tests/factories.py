"""Factories that build rows through the services, so tests see the same invariants as the product."""

from __future__ import annotations

import itertools

from accounts import services as account_services
from accounts.models import Unit, UnitMembership, User
from accounts.roles import Role
from projects import services as lead_services
from projects.models import Lead

_counter = itertools.count(1)


def make_user(*roles: str, username: str | None = None, **fields) -> User:
    name = username or f"user{next(_counter)}"
    return account_services.user_create(
        username=name, password="correct-horse-battery", roles=list(roles or [Role.OFFICER]), **fields
    )


def make_unit(name: str | None = None, *, parent: Unit | None = None, kind: str = Unit.Kind.SECTION) -> Unit:
    return account_services.unit_create(name=name or f"单位{next(_counter)}", parent=parent, kind=kind)


def join(user: User, unit: Unit, role: str = UnitMembership.Role.MEMBER) -> User:
    account_services.membership_set(user=user, unit=unit, role=role)
    return user


def make_lead(
    *, owner: User, unit: Unit, name: str | None = None, co_owners=(), confidential: bool = False
) -> Lead:
    return lead_services.lead_create(
        actor=owner,
        owner=owner,
        owning_unit=unit,
        name=name or f"线索{next(_counter)}",
        co_owners=co_owners,
        confidential=confidential,
    )
