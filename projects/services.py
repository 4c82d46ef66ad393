"""Writes to leads. Every change of a lead goes through a function here."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import Unit, UnitMembership, User
from accounts.visibility import visible_units
from core.errors import ApplicationError
from projects.models import Lead


def lead_check_ownership(*, actor: User, owner: User, owning_unit: Unit) -> None:
    """Refuse an owning unit outside the actor's reach, or an owner who does not sit in that unit."""
    if not visible_units(actor).filter(pk=owning_unit.pk).exists():
        raise ApplicationError(
            _("You can only register leads for units you belong to or manage."), field="owning_unit"
        )
    owner_in_unit = UnitMembership.objects.filter(
        user=owner, unit__path__in=owning_unit.ancestor_paths()
    ).exists()
    if not owner_in_unit:
        raise ApplicationError(
            _("%(owner)s is not a member of %(unit)s. Choose an owner from the owning unit.")
            % {"owner": owner, "unit": owning_unit},
            field="owner",
        )


@transaction.atomic
def lead_create(
    *,
    actor: User,
    name: str,
    owning_unit: Unit,
    owner: User | None = None,
    co_owners: Iterable[User] = (),
    confidential: bool = False,
) -> Lead:
    """Register a new lead; the actor owns it unless another owner is named."""
    owner = owner or actor
    lead_check_ownership(actor=actor, owner=owner, owning_unit=owning_unit)
    lead = Lead(name=name, owner=owner, owning_unit=owning_unit, confidential=confidential)
    lead.full_clean()
    lead.save()
    lead.co_owners.set([u for u in co_owners if u.pk != owner.pk])
    return lead


@transaction.atomic
def lead_update(
    *,
    actor: User,
    lead: Lead,
    name: str | None = None,
    confidential: bool | None = None,
    co_owners: Iterable[User] | None = None,
) -> Lead:
    """Change a lead's descriptive fields. Owner, unit and status change through their own services."""
    if lead.status == Lead.Status.MERGED:
        raise ApplicationError(_("This lead was merged into another lead and can no longer be changed."))
    if name is not None:
        lead.name = name
    if confidential is not None:
        lead.confidential = confidential
    lead.full_clean()
    lead.save()
    if co_owners is not None:
        lead.co_owners.set([u for u in co_owners if u.pk != lead.owner_id])
    return lead
