"""Admin for contacts, events, the duplicate review queue and personal-data rights: importing the modules
registers them."""

from talent.admin.contacts import ContactAdmin
from talent.admin.duplicates import ContactMergeAdmin, DuplicatePairAdmin
from talent.admin.events import AttendanceAdmin, RecruitmentEventAdmin
from talent.admin.records import ConsentTextAdmin, PersonalDataAccessAdmin, PersonalDataLogAdmin

__all__ = [
    "AttendanceAdmin",
    "ConsentTextAdmin",
    "ContactAdmin",
    "ContactMergeAdmin",
    "DuplicatePairAdmin",
    "PersonalDataAccessAdmin",
    "PersonalDataLogAdmin",
    "RecruitmentEventAdmin",
]
