"""Admin for funding: importing the modules registers them."""

from funding.admin.applications import FundingApplicationAdmin, TrancheAdmin
from funding.admin.fund import CapitalCallAdmin, FundCommitmentAdmin, FundInvestmentAdmin
from funding.admin.programs import (
    ApplicationWindowAdmin,
    EligibilityRuleAdmin,
    ExchangeRateAdmin,
    FundingProgramAdmin,
    ProgramVersionAdmin,
)

__all__ = [
    "ApplicationWindowAdmin",
    "CapitalCallAdmin",
    "EligibilityRuleAdmin",
    "ExchangeRateAdmin",
    "FundCommitmentAdmin",
    "FundInvestmentAdmin",
    "FundingApplicationAdmin",
    "FundingProgramAdmin",
    "ProgramVersionAdmin",
    "TrancheAdmin",
]
