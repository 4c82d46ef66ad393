"""The five roles as Django groups, with their exact permission sets.

Groups grant *what kind of thing* a user may do; unit memberships (accounts.visibility) grant *which rows*.
The sets are written out in full so a test can compare them on a freshly migrated database.
"""

from __future__ import annotations

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    OFFICER = "promotion_officer", _("Promotion officer")
    MANAGER = "manager", _("Manager")
    RECORDER = "event_recorder", _("Event recorder")
    REPORT_VIEWER = "report_viewer", _("Report viewer")
    ADMINISTRATOR = "administrator", _("Administrator")


ALL_PERMISSIONS = "__all__"

_REFERENCE_READ = {
    "directory.view_organization",
    "directory.view_organizationalias",
    "directory.view_carrier",
    "directory.view_sector",
    "directory.view_holiday",
}

_OFFICER = _REFERENCE_READ | {
    "accounts.view_unit",
    # Officers pick co-owners from the staff list (autocomplete needs it).
    "accounts.view_user",
    "directory.add_organization",
    "directory.change_organization",
    "directory.add_organizationalias",
    "directory.change_organizationalias",
    "projects.view_lead",
    "projects.add_lead",
    "projects.change_lead",
    "projects.view_stagechange",
    "projects.view_signing",
    "projects.add_signing",
    "projects.change_signing",
    "projects.view_capitalinjection",
    "projects.add_capitalinjection",
    "projects.change_capitalinjection",
    "projects.view_document",
    "projects.add_document",
    "projects.change_document",
    "projects.view_activity",
    "projects.add_activity",
    "projects.change_activity",
    "projects.view_leadcontact",
    "projects.add_leadcontact",
    "projects.change_leadcontact",
    "projects.delete_leadcontact",
    "projects.view_coordinationneed",
    "projects.add_coordinationneed",
    "projects.change_coordinationneed",
    "projects.view_pass",
    "projects.view_milestonetemplate",
    "projects.view_milestone",
    "projects.add_milestone",
    "projects.change_milestone",
    "projects.view_aftercaretouchpoint",
    "projects.change_aftercaretouchpoint",
    "projects.view_handover",
    "projects.add_handover",
    "talent.view_contact",
    "talent.add_contact",
    "talent.change_contact",
    "talent.view_all_contacts",
    "talent.view_personal_data",
    "talent.view_recruitmentevent",
    "talent.view_attendance",
    "talent.add_attendance",
    "talent.change_attendance",
    "talent.view_contactchannel",
    "talent.add_contactchannel",
    "talent.change_contactchannel",
    "talent.delete_contactchannel",
    "talent.view_affiliation",
    "talent.add_affiliation",
    "talent.change_affiliation",
    "talent.view_consent",
    "talent.add_consent",
    "talent.view_duplicatepair",
    "talent.change_duplicatepair",
    "talent.merge_contact",
    "talent.view_contactmerge",
    # Programmes and rates are reference data officers read; the applications and tranches of their leads
    # (funding.selectors narrows the rows) they record. Approving is kept to managers by the admin and the API,
    # on top of the change permission (a separate permission would need the model's Meta).
    "funding.view_fundingprogram",
    "funding.view_programversion",
    "funding.view_applicationwindow",
    "funding.view_eligibilityrule",
    "funding.view_exchangerate",
    "funding.view_fundingapplication",
    "funding.add_fundingapplication",
    "funding.change_fundingapplication",
    "funding.view_tranche",
    "funding.add_tranche",
    "funding.change_tranche",
}

ROLE_PERMISSIONS: dict[str, set[str] | str] = {
    Role.OFFICER: _OFFICER,
    Role.MANAGER: _OFFICER
    | {
        "accounts.view_unitmembership",
        "projects.move_lead_backward",
        "projects.change_handover",
        "projects.reassign_lead",
        "projects.merge_lead",
        "talent.add_recruitmentevent",
        "talent.change_recruitmentevent",
        "talent.manage_personal_data",
        "talent.view_personaldatalog",
        "reporting.view_dashboard",
        # Annual targets of the units they head or manage and of those units' officers (reporting.targets).
        "reporting.view_target",
        "reporting.add_target",
        "reporting.change_target",
        "reporting.delete_target",
    },
    # Recorders work inside the events they are assigned to; the talent selectors narrow the rows further.
    Role.RECORDER: {
        "directory.view_organization",
        "talent.view_recruitmentevent",
        "talent.view_contact",
        "talent.add_contact",
        "talent.change_contact",
        "talent.view_attendance",
        "talent.add_attendance",
        "talent.add_consent",
    },
    Role.REPORT_VIEWER: {"reporting.view_dashboard"},
    Role.ADMINISTRATOR: ALL_PERMISSIONS,
}

# Roles that work in the admin site; report viewers only see the dashboard.
STAFF_ROLES = {Role.OFFICER, Role.MANAGER, Role.RECORDER, Role.ADMINISTRATOR}


def _permissions_for(spec: set[str] | str, *, using: str):
    from django.contrib.auth.models import Permission

    if spec == ALL_PERMISSIONS:
        return list(Permission.objects.using(using).all())
    wanted = {tuple(name.split(".", 1)) for name in spec}
    found = list(
        Permission.objects.using(using)
        .select_related("content_type")
        .filter(codename__in={codename for _, codename in wanted})
    )
    found = [p for p in found if (p.content_type.app_label, p.codename) in wanted]
    missing = wanted - {(p.content_type.app_label, p.codename) for p in found}
    if missing:
        names = ", ".join(sorted(".".join(m) for m in missing))
        raise ImproperlyConfigured(f"Role permissions name unknown permissions: {names}")
    return found


def sync_role_groups(sender=None, *, using: str = "default", **kwargs) -> None:
    """Create the role groups and set each one's permissions to exactly its declared set."""
    from django.contrib.auth.models import Group

    for app_config in global_apps.get_app_configs():
        create_permissions(app_config, verbosity=0, using=using)
    for role, spec in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.using(using).get_or_create(name=role)
        group.permissions.set(_permissions_for(spec, using=using))
