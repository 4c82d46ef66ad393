"""Every write to funding goes through a function exported here."""

from funding.services.applications import (
    application_approve,
    application_close,
    application_create,
    application_reject,
    application_submit,
    application_update,
    hk_grant_record,
)
from funding.services.fund import capital_call, commitment_create, investment_create
from funding.services.matching import Matching, matching_amount
from funding.services.programs import (
    program_create,
    program_update,
    rule_create,
    rule_delete,
    rule_update,
    version_create,
    version_update,
    window_create,
    window_delete,
    window_update,
)
from funding.services.rates import Converted, RateBook, convert, exchange_rate_set, rate_on
from funding.services.tranches import tranche_cancel, tranche_pay, tranche_plan, tranche_update

__all__ = [
    "Converted",
    "Matching",
    "RateBook",
    "application_approve",
    "application_close",
    "application_create",
    "application_reject",
    "application_submit",
    "application_update",
    "capital_call",
    "commitment_create",
    "convert",
    "exchange_rate_set",
    "hk_grant_record",
    "investment_create",
    "matching_amount",
    "program_create",
    "program_update",
    "rate_on",
    "rule_create",
    "rule_delete",
    "rule_update",
    "tranche_cancel",
    "tranche_pay",
    "tranche_plan",
    "tranche_update",
    "version_create",
    "version_update",
    "window_create",
    "window_delete",
    "window_update",
]
