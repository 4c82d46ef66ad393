from talent.models.consent import Consent, ConsentText
from talent.models.contacts import (
    Affiliation,
    Contact,
    ContactChannel,
    ContactMatchKey,
    Interest,
    Purpose,
    Residency,
)
from talent.models.events import Attendance, RecruitmentEvent
from talent.models.identity import (
    LEVEL_ORDER,
    ContactMerge,
    DuplicatePair,
    Level,
    PersonalDataAccess,
    PersonalDataLog,
)
from talent.models.submissions import Submission

__all__ = [
    "LEVEL_ORDER",
    "Affiliation",
    "Attendance",
    "Consent",
    "ConsentText",
    "Contact",
    "ContactChannel",
    "ContactMatchKey",
    "ContactMerge",
    "DuplicatePair",
    "Interest",
    "Level",
    "PersonalDataAccess",
    "PersonalDataLog",
    "Purpose",
    "RecruitmentEvent",
    "Residency",
    "Submission",
]
