"""Admin for leads and their records: importing the modules registers them."""

from projects.admin.leads import LeadAdmin
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
    "CapitalInjectionAdmin",
    "CoordinationNeedAdmin",
    "DocumentAdmin",
    "LeadAdmin",
    "LeadContactAdmin",
    "SigningAdmin",
    "StageChangeAdmin",
]
