"""The visibility primitives of the one rule (DESIGN §2). Selectors in other apps apply them to their models.

- members of a unit see rows owned by that unit (confidential rows excepted);
- owners and co-owners see their rows wherever they sit;
- heads and managers of a unit see the unit's whole subtree, confidential rows included;
- bureau-level users (head or manager of a root unit) and administrators see everything.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.db.models import Q

from accounts.models import Unit, UnitMembership
from accounts.roles import Role

_CACHE_ATTR = "_visibility_scope"


@dataclass(frozen=True)
class Scope:
    sees_everything: bool
    member_unit_ids: frozenset[int]
    managed_unit_paths: tuple[str, ...]


def is_administrator(user) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return user.groups.filter(name=Role.ADMINISTRATOR).exists()


def user_scope(user) -> Scope:
    """The units a user reaches, computed once per user object (i.e. once per request)."""
    if not user.is_authenticated or not user.is_active:
        return Scope(False, frozenset(), ())
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is not None:
        return cached
    if is_administrator(user):
        scope = Scope(True, frozenset(), ())
    else:
        rows = list(
            UnitMembership.objects.filter(user=user, unit__is_active=True).values_list(
                "role", "unit_id", "unit__path", "unit__parent_id"
            )
        )
        managed = [(path, parent) for role, _, path, parent in rows if role != UnitMembership.Role.MEMBER]
        scope = Scope(
            sees_everything=any(parent is None for _, parent in managed),
            member_unit_ids=frozenset(unit_id for _, unit_id, _, _ in rows),
            managed_unit_paths=tuple(sorted(path for path, _ in managed)),
        )
    setattr(user, _CACHE_ATTR, scope)
    return scope


def forget_scope(user) -> None:
    """Drop the cached scope after the user's memberships changed."""
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def is_bureau_level(user) -> bool:
    """Head or manager of a root unit, or an administrator."""
    return user_scope(user).sees_everything


def units_filter(user) -> Q:
    """A Q on Unit keeping the units whose rows the user can see: their own units plus the subtrees they
    head or manage."""
    scope = user_scope(user)
    if scope.sees_everything:
        return Q()
    condition = Q(pk__in=scope.member_unit_ids)
    for path in scope.managed_unit_paths:
        condition |= Q(path__startswith=path)
    return condition


def visible_units(user) -> models.QuerySet[Unit]:
    return Unit.objects.filter(units_filter(user))


def _user_match(model: type[models.Model], path: str, user_pk: int) -> Q:
    """`path` points at the user (FK) or at a set of users (M2M). M2M goes through a subquery on the
    join table so an OR with other conditions never multiplies rows."""
    parts = path.split("__")
    owner_model: Any = model
    for part in parts[:-1]:
        owner_model = owner_model._meta.get_field(part).related_model
    field = owner_model._meta.get_field(parts[-1])
    if not isinstance(field, models.ManyToManyField):
        return Q(**{path: user_pk})
    through: Any = field.remote_field.through
    ids = through.objects.filter(**{f"{field.m2m_reverse_field_name()}_id": user_pk}).values(
        f"{field.m2m_field_name()}_id"
    )
    prefix = "__".join(parts[:-1])
    return Q(**{f"{prefix}__in" if prefix else "pk__in": ids})


def scope_branches(
    user,
    model: type[models.Model],
    *,
    unit: str,
    owners: Iterable[str] = (),
    confidential: str | None = None,
) -> list[Q] | None:
    """The alternatives of the user's scope on `model`, one Q each (a row is visible when any holds); None
    for a user who sees everything.

    unit: path to the owning Unit (e.g. "owning_unit" or "lead__owning_unit").
    owners: paths to a user FK or M2M whose users always see the row (owner, co-owners).
    confidential: path to the boolean that hides a row from plain members of the owning unit.
    """
    scope = user_scope(user)
    if scope.sees_everything:
        return None
    if not user.is_authenticated or not user.is_active:
        return [Q(pk__in=[])]
    branches = []
    if scope.member_unit_ids:
        member = Q(**{f"{unit}__in": scope.member_unit_ids})
        if confidential:
            member &= Q(**{confidential: False})
        branches.append(member)
    branches += [Q(**{f"{unit}__path__startswith": path}) for path in scope.managed_unit_paths]
    branches += [_user_match(model, owner_path, user.pk) for owner_path in owners]
    return branches or [Q(pk__in=[])]


def any_of(branches: list[Q] | None) -> Q:
    """One Q from scope_branches(): empty (everything) for None."""
    if branches is None:
        return Q()
    condition = branches[0]
    for branch in branches[1:]:
        condition |= branch
    return condition


def scope_filter(
    user,
    model: type[models.Model],
    *,
    unit: str,
    owners: Iterable[str] = (),
    confidential: str | None = None,
) -> Q:
    """A Q that keeps the rows of `model` the user may see (the arguments as for scope_branches)."""
    return any_of(scope_branches(user, model, unit=unit, owners=owners, confidential=confidential))
