"""Writes for users, units and memberships."""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import Unit, UnitMembership, User
from accounts.roles import STAFF_ROLES, Role
from accounts.visibility import forget_scope
from core.errors import ApplicationError
from core.tree import tree_insert, tree_move


@transaction.atomic
def unit_create(
    *,
    name: str,
    parent: Unit | None = None,
    kind: str = Unit.Kind.SECTION,
    name_zh_hant: str = "",
    name_en: str = "",
) -> Unit:
    """Create a unit under `parent` (None makes a root)."""
    unit = Unit(name=name, parent=parent, kind=kind, name_zh_hant=name_zh_hant, name_en=name_en)
    unit.path = "pending/"
    unit.full_clean(exclude=["path"])
    return tree_insert(unit)


@transaction.atomic
def unit_update(*, unit: Unit, parent: Unit | None, **fields: object) -> Unit:
    """Change a unit's names, kind or active flag, and move it when the parent changed."""
    # The caller may have set unit.parent already (a ModelForm does): compare with the stored parent.
    stored_parent_id = Unit.objects.filter(pk=unit.pk).values_list("parent_id", flat=True).get()
    for name, value in fields.items():
        setattr(unit, name, value)
    unit.parent_id = stored_parent_id
    unit.full_clean(exclude=["path", "parent"])
    unit.save()
    if (parent.pk if parent else None) != stored_parent_id:
        unit = tree_move(unit, parent)
    return unit


@transaction.atomic
def membership_set(*, user: User, unit: Unit, role: str = UnitMembership.Role.MEMBER) -> UnitMembership:
    """Make `user` a member, head or manager of `unit` (one membership per user and unit)."""
    if role == UnitMembership.Role.HEAD:
        current_head = UnitMembership.objects.filter(unit=unit, role=role).exclude(user=user).first()
        if current_head:
            raise ApplicationError(
                _("%(unit)s already has a head (%(user)s). Change that membership first.")
                % {"unit": unit, "user": current_head.user},
                field="role",
            )
    membership = UnitMembership.objects.filter(user=user, unit=unit).first() or UnitMembership(
        user=user, unit=unit
    )
    membership.role = role
    membership.full_clean()
    membership.save()
    forget_scope(user)
    return membership


@transaction.atomic
def user_create(
    *,
    username: str,
    password: str | None,
    roles: list[str],
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    wecom_userid: str = "",
) -> User:
    """Create a user with roles; staff access follows from the roles."""
    user = User(
        username=username,
        first_name=first_name,
        last_name=last_name,
        email=email,
        wecom_userid=wecom_userid,
        is_staff=any(role in STAFF_ROLES for role in roles),
    )
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    user_set_roles(user=user, roles=roles)
    return user


@transaction.atomic
def user_set_roles(*, user: User, roles: list[str]) -> User:
    """Replace the user's role groups."""
    unknown = set(roles) - set(Role.values)
    if unknown:
        raise ApplicationError(
            _("Unknown role: %(role)s") % {"role": ", ".join(sorted(unknown))}, field="roles"
        )
    user.groups.set(Group.objects.filter(name__in=roles))
    forget_scope(user)
    return user
