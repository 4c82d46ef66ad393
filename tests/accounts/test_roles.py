"""Each role's exact permission set, as the post_migrate handler left it on the freshly migrated test database."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission

from accounts.roles import Role, sync_role_groups

pytestmark = pytest.mark.django_db


def perms_of(role: str) -> set[str]:
    group = Group.objects.get(name=role)
    return {
        f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")
    }


REFERENCE_READ = {
    "directory.view_organization",
    "directory.view_organizationalias",
    "directory.view_carrier",
    "directory.view_sector",
    "directory.view_holiday",
}
OFFICER = REFERENCE_READ | {
    "accounts.view_unit",
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


def test_the_five_role_groups_exist_after_migrate():
    assert set(Group.objects.values_list("name", flat=True)) == set(Role.values)


def test_promotion_officer_permissions():
    assert perms_of(Role.OFFICER) == OFFICER


def test_manager_permissions():
    assert perms_of(Role.MANAGER) == OFFICER | {
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
        "reporting.view_target",
        "reporting.add_target",
        "reporting.change_target",
        "reporting.delete_target",
    }


def test_event_recorder_permissions_exclude_leads_and_personal_data_beyond_their_events():
    assert perms_of(Role.RECORDER) == {
        "directory.view_organization",
        "talent.view_recruitmentevent",
        "talent.view_contact",
        "talent.add_contact",
        "talent.change_contact",
        "talent.view_attendance",
        "talent.add_attendance",
        "talent.add_consent",
    }


def test_report_viewer_sees_aggregates_only():
    assert perms_of(Role.REPORT_VIEWER) == {"reporting.view_dashboard"}


def test_administrator_holds_every_permission():
    all_perms = {
        f"{p.content_type.app_label}.{p.codename}" for p in Permission.objects.select_related("content_type")
    }
    assert perms_of(Role.ADMINISTRATOR) == all_perms


def test_syncing_again_restores_a_tampered_group():
    group = Group.objects.get(name=Role.REPORT_VIEWER)
    group.permissions.add(Permission.objects.get(codename="delete_lead"))
    sync_role_groups()
    assert perms_of(Role.REPORT_VIEWER) == {"reporting.view_dashboard"}
