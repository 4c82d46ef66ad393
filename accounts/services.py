"""Writes for users, units, memberships and API credentials."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets

from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.auth.signals import user_login_failed
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import ApiToken, Unit, UnitMembership, User, UserSession
from accounts.roles import STAFF_ROLES, Role
from accounts.visibility import forget_scope, is_administrator
from core.errors import ApplicationError, full_clean_or_error
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


# --- Credentials --------------------------------------------------------------------------------------------

auth_logger = logging.getLogger("accounts.auth")

# last_used_at is for people judging whether a token is still in use: minute precision is plenty, and it spares
# a write on every request of a busy script.
TOKEN_LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


def _token_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def second_factor_required(user: User) -> bool:
    """Whether `user` must send a one-time code with their password, on the admin's login form and the token
    endpoint: administrators (the role, or superusers) while settings.OTP_REQUIRED_FOR_ADMINS is on (by default in
    production). An administrator without a confirmed TOTP device then cannot sign in at all:
    `manage.py otp_add_device <username>` registers one."""
    return bool(settings.OTP_REQUIRED_FOR_ADMINS) and is_administrator(user)


def second_factor_verify(*, user: User, code: str) -> TOTPDevice | None:
    """The user's confirmed TOTP device that accepts `code`, or None. A code is accepted once, and django-otp
    slows repeated failures per device (OTP_TOTP_THROTTLE_FACTOR)."""
    code = "".join((code or "").split())
    if not code:
        return None
    # Locked: two requests racing with the same code must not both pass.
    with transaction.atomic():
        for device in TOTPDevice.objects.devices_for_user(user, confirmed=True).select_for_update():
            if device.verify_token(code):
                return device
    return None


def second_factor_refused(*, request: object, user: User) -> None:
    """A right password with a missing or wrong code counts as a failed sign-in, as a wrong password does: the
    lockout (django-axes) and the sign-in log both hear of it."""
    user_login_failed.send(sender=__name__, credentials={"username": user.get_username()}, request=request)


@transaction.atomic
def api_token_issue(*, user: User, label: str = "") -> tuple[ApiToken, str]:
    """Create an API token for `user`; returns the token and its secret, which is shown this once only."""
    secret = secrets.token_urlsafe(32)
    token = ApiToken(user=user, key_hash=_token_hash(secret), prefix=secret[:8], label=label)
    full_clean_or_error(token)
    token.save()
    auth_logger.info("api_token_issued", extra={"user": user.pk, "token": token.pk, "prefix": token.prefix})
    return token, secret


@transaction.atomic
def api_token_revoke(*, token: ApiToken) -> None:
    """Delete `token`: the next request sending it is refused."""
    token_id, prefix = token.pk, token.prefix
    token.delete()
    auth_logger.info("api_token_revoked", extra={"user": token.user_id, "token": token_id, "prefix": prefix})


def api_token_authenticate(*, key: str) -> ApiToken | None:
    """The token whose secret is `key`, with its user, if that user is active; else None."""
    # Not atomic: one read and at most one single-row UPDATE, on every API request. Looking the hash up by
    # index leaks nothing through timing: guessing a secret would mean choosing what its SHA-256 starts with.
    token = ApiToken.objects.select_related("user").filter(key_hash=_token_hash(key)).first()
    # The deactivation revokes tokens; this also refuses users deactivated by a bulk update (no signals).
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    stale = now - TOKEN_LAST_USED_RESOLUTION
    if token.last_used_at is None or token.last_used_at < stale:
        # Filtered on the old value: of two requests racing here, one writes.
        ApiToken.objects.filter(Q(last_used_at__isnull=True) | Q(last_used_at__lt=stale), pk=token.pk).update(
            last_used_at=now
        )
        token.last_used_at = now
    return token


@transaction.atomic
def user_credentials_revoke(*, user: User) -> None:
    """Delete every API token and every session of `user`: each of their clients is signed out at once."""
    tokens, _by_model = ApiToken.objects.filter(user=user).delete()
    sessions, _by_model = UserSession.objects.filter(user=user).delete()
    if tokens or sessions:
        auth_logger.info(
            "user_credentials_revoked", extra={"user": user.pk, "tokens": tokens, "sessions": sessions}
        )


@transaction.atomic
def user_deactivate(*, actor: User, user: User) -> User:
    """Deactivate `user` (kept for the records, unable to sign in) and revoke their tokens and sessions."""
    if user.pk == actor.pk:
        raise ApplicationError(_("You cannot deactivate your own account. Ask another administrator."))
    if user.is_active:
        user.is_active = False
        user._history_user = actor  # type: ignore[attr-defined]
        user.save(update_fields=["is_active"])
        auth_logger.info("user_deactivated", extra={"user": user.pk, "actor": actor.pk})
    # The post_save handler (accounts.signals) has revoked them already; said here too so that this service
    # does not depend on a signal being connected.
    user_credentials_revoke(user=user)
    return user
