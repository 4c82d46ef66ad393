"""Admin for leads and their records: importing the modules registers them."""

from projects.admin.handover import HandOverAdmin
from projects.admin.leads import LeadAdmin
from projects.admin.passes import AftercareTouchpointAdmin, MilestoneAdmin, MilestoneTemplateAdmin, PassAdmin
from projects.admin.records import (
    ActivityAdmin,
    CapitalInjectionAdmin,
    CoordinationNeedAdmin,
    DocumentAdmin,
    LeadContactAdmin,
    SigningAdmin,
    StageChangeAdmin,
)

__all__ = [
    "ActivityAdmin",
    "AftercareTouchpointAdmin",
    "CapitalInjectionAdmin",
    "CoordinationNeedAdmin",
    "DocumentAdmin",
    "HandOverAdmin",
    "LeadAdmin",
    "LeadContactAdmin",
    "MilestoneAdmin",
    "MilestoneTemplateAdmin",
    "PassAdmin",
    "SigningAdmin",
    "StageChangeAdmin",
]
