"""Every write to leads and their records goes through a function exported here."""

from projects.services.documents import document_check_file, document_purge_unattached, document_upload
from projects.services.leads import (
    lead_check_ownership,
    lead_create,
    lead_mark_lost,
    lead_next_code,
    lead_pause,
    lead_reopen,
    lead_resume,
    lead_update,
)
from projects.services.milestones import (
    aftercare_for_move,
    milestone_add,
    milestone_block,
    milestone_complete,
    milestone_reopen,
    milestone_reschedule,
    milestones_for_move,
    milestones_recompute_provisional,
)
from projects.services.records import (
    activity_log,
    capital_injection_create,
    coordination_need_add,
    coordination_need_resolve,
    lead_contact_add,
    signing_create,
)
from projects.services.stages import lead_advance

__all__ = [
    "activity_log",
    "aftercare_for_move",
    "capital_injection_create",
    "coordination_need_add",
    "coordination_need_resolve",
    "document_check_file",
    "document_purge_unattached",
    "document_upload",
    "lead_advance",
    "lead_check_ownership",
    "lead_contact_add",
    "lead_create",
    "lead_mark_lost",
    "lead_next_code",
    "lead_pause",
    "lead_reopen",
    "lead_resume",
    "lead_update",
    "milestone_add",
    "milestone_block",
    "milestone_complete",
    "milestone_reopen",
    "milestone_reschedule",
    "milestones_for_move",
    "milestones_recompute_provisional",
    "signing_create",
]
