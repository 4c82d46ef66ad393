"""The projects app's models, split by subject; import them from here."""

from projects.models.leads import (
    CoordinationNeed,
    HandOver,
    Lead,
    LeadCodeSequence,
    LeadContact,
    LeadType,
    LostReason,
    PauseReason,
    Priority,
    SourceChannel,
)
from projects.models.passes import (
    AftercareTouchpoint,
    AssigneeRole,
    Milestone,
    MilestoneTemplate,
    OffsetUnit,
    Pass,
)
from projects.models.records import Activity, CapitalInjection, Document, Signing, StageChange, document_path

__all__ = [
    "Activity",
    "AftercareTouchpoint",
    "AssigneeRole",
    "CapitalInjection",
    "CoordinationNeed",
    "Document",
    "HandOver",
    "Lead",
    "LeadCodeSequence",
    "LeadContact",
    "LeadType",
    "LostReason",
    "Milestone",
    "MilestoneTemplate",
    "OffsetUnit",
    "Pass",
    "PauseReason",
    "Priority",
    "Signing",
    "SourceChannel",
    "StageChange",
    "document_path",
]
