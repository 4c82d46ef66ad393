"""Factories that build rows through the services, so tests see the same invariants as the product."""

from __future__ import annotations

import itertools

from accounts import services as account_services
from accounts.models import Unit, UnitMembership, User
from accounts.roles import Role
from directory import services as directory_services
from directory.models import Organization
from projects import services as lead_services
from projects.models import Lead, LeadType, SourceChannel
from projects.validators import uscc_check_character
from talent.models import Contact

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


def make_organization(abbreviation: str = "HKUST", name: str = "香港科技大学") -> Organization:
    existing = Organization.objects.filter(abbreviation=abbreviation).first()
    return existing or directory_services.organization_create(
        kind=Organization.Kind.UNIVERSITY, name=name, abbreviation=abbreviation
    )


def make_lead(
    *,
    owner: User,
    unit: Unit,
    name: str | None = None,
    co_owners=(),
    confidential: bool = False,
    lead_type: str = LeadType.UNIVERSITY_TEAM,
    **fields,
) -> Lead:
    if lead_type == LeadType.TALENT:
        fields.setdefault("subject_contact", Contact.objects.create(name=f"陳大文{next(_counter)}"))
    else:
        fields.setdefault("hk_organization", make_organization())
    return lead_services.lead_create(
        actor=owner,
        owner=owner,
        owning_unit=unit,
        name=name or f"线索{next(_counter)}",
        lead_type=lead_type,
        source_channel=fields.pop("source_channel", SourceChannel.EVENT),
        co_owners=co_owners,
        confidential=confidential,
        **fields,
    )


# A well-formed unified social credit code (GB 32100-2015), check character computed, for tests.
VALID_USCC = "91320594MA1MUQ8K0" + uscc_check_character("91320594MA1MUQ8K0")
