"""Programmes, their yearly versions, batches and eligibility rules."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import models, transaction
from django.db.models.deletion import ProtectedError
from django.utils.translation import gettext as _

from accounts.models import User
from core.errors import ApplicationError, IllegalStateError, full_clean_or_error
from funding import eligibility
from funding.models import (
    ApplicationWindow,
    EligibilityRule,
    FundingApplication,
    FundingProgram,
    ProgramType,
    ProgramVersion,
)
from funding.services.rates import money_text

PROGRAM_FIELDS = frozenset(
    {
        "code",
        "name",
        "name_zh_hant",
        "name_en",
        "program_type",
        "funder",
        "funder_name",
        "lead_pass",
        "milestone_template",
        "description",
        "active",
    }
)
VERSION_FIELDS = frozenset(
    {"year", "currency", "min_amount", "max_amount", "matching_ratio", "matching_cap", "notes"}
)
WINDOW_FIELDS = frozenset({"batch", "opens_on", "closes_on"})


def _refuse_unknown(fields: dict[str, Any], allowed: frozenset[str]) -> None:
    unknown = sorted(set(fields) - allowed)
    if unknown:
        raise ApplicationError(
            _("These fields cannot be set here: %(fields)s.") % {"fields": ", ".join(unknown)},
            field=unknown[0],
        )


def _set(instance: models.Model, fields: dict[str, Any], actor: User) -> None:
    for name, value in fields.items():
        setattr(instance, name, value)
    instance._history_user = actor  # type: ignore[attr-defined]


# --- Programmes ----------------------------------------------------------------------------------------------


@transaction.atomic
def program_create(*, actor: User, **fields: Any) -> FundingProgram:
    _refuse_unknown(fields, PROGRAM_FIELDS)
    program = FundingProgram()
    _set(program, fields, actor)
    full_clean_or_error(program)
    program.save()
    return program


@transaction.atomic
def program_update(*, actor: User, program: FundingProgram, **fields: Any) -> FundingProgram:
    """Change a programme. Its type is fixed once it has applications: HK grants feed matching, fund
    programmes hold commitments, and neither may turn into the other under recorded money."""
    _refuse_unknown(fields, PROGRAM_FIELDS)
    program = FundingProgram.objects.select_for_update().get(pk=program.pk)
    if (
        "program_type" in fields
        and fields["program_type"] != program.program_type
        and (
            FundingApplication.objects.filter(version__program=program).exists()
            or program.commitments.exists()
            or program.investments.exists()
        )
    ):
        raise IllegalStateError(
            _("The type of a programme with applications or fund records cannot change."),
            field="program_type",
        )
    _set(program, fields, actor)
    full_clean_or_error(program)
    program.save()
    return program


# --- Versions ------------------------------------------------------------------------------------------------


def _check_version(version: ProgramVersion, program: FundingProgram) -> None:
    if (
        version.min_amount is not None
        and version.max_amount is not None
        and version.min_amount > version.max_amount
    ):
        raise ApplicationError(
            _("The minimum amount %(min)s is above the cap of %(max)s.")
            % {
                "min": money_text(version.min_amount, version.currency),
                "max": money_text(version.max_amount, version.currency),
            },
            field="min_amount",
        )
    for name in ("min_amount", "max_amount", "matching_cap"):
        value = getattr(version, name)
        if value is not None and value <= 0:
            raise ApplicationError(_("The amount must be greater than zero."), field=name)
    if program.program_type == ProgramType.MATCHING:
        if version.matching_ratio is None:
            raise ApplicationError(
                _("A matching programme needs its matching ratio (1 for 1:1)."), field="matching_ratio"
            )
        if version.matching_ratio <= 0:
            raise ApplicationError(_("The matching ratio must be greater than zero."), field="matching_ratio")
    elif version.matching_ratio is not None or version.matching_cap is not None:
        raise ApplicationError(
            _("Only a matching programme takes a matching ratio and cap."), field="matching_ratio"
        )


@transaction.atomic
def version_create(*, actor: User, program: FundingProgram, **fields: Any) -> ProgramVersion:
    _refuse_unknown(fields, VERSION_FIELDS)
    version = ProgramVersion(program=program)
    _set(version, fields, actor)
    full_clean_or_error(version, validate_constraints=False)
    _check_version(version, program)
    if ProgramVersion.objects.filter(program=program, year=version.year).exists():
        raise ApplicationError(
            _("%(program)s already has a version for %(year)s.") % {"program": program, "year": version.year},
            field="year",
        )
    version.save()
    return version


@transaction.atomic
def version_update(*, actor: User, version: ProgramVersion, **fields: Any) -> ProgramVersion:
    """Change a version's terms. Its currency is fixed once applications cite it, since their amounts are in
    it; a new cap applies to approvals from now on."""
    _refuse_unknown(fields, VERSION_FIELDS)
    version = ProgramVersion.objects.select_for_update().select_related("program").get(pk=version.pk)
    if "currency" in fields and fields["currency"] != version.currency and version.applications.exists():
        raise IllegalStateError(
            _("The currency of a version with applications cannot change."), field="currency"
        )
    _set(version, fields, actor)
    full_clean_or_error(version, validate_constraints=False)
    _check_version(version, version.program)
    version.save()
    return version


# --- Windows -------------------------------------------------------------------------------------------------


def _check_window(window: ApplicationWindow) -> None:
    if window.closes_on < window.opens_on:
        raise ApplicationError(
            _("The batch closes on %(closes)s, before it opens on %(opens)s.")
            % {"closes": f"{window.closes_on:%Y-%m-%d}", "opens": f"{window.opens_on:%Y-%m-%d}"},
            field="closes_on",
        )
    clash = ApplicationWindow.objects.filter(version_id=window.version_id, batch=window.batch).exclude(
        pk=window.pk
    )
    if clash.exists():
        raise ApplicationError(
            _("This version already has a batch “%(batch)s”.") % {"batch": window.batch}, field="batch"
        )


@transaction.atomic
def window_create(
    *, actor: User, version: ProgramVersion, batch: str, opens_on: dt.date, closes_on: dt.date
) -> ApplicationWindow:
    window = ApplicationWindow(version=version, batch=batch, opens_on=opens_on, closes_on=closes_on)
    window._history_user = actor  # type: ignore[attr-defined]
    full_clean_or_error(window, validate_unique=False, validate_constraints=False)
    _check_window(window)
    window.save()
    return window


@transaction.atomic
def window_update(*, actor: User, window: ApplicationWindow, **fields: Any) -> ApplicationWindow:
    """Move or rename a batch. Applications already submitted in it keep it."""
    _refuse_unknown(fields, WINDOW_FIELDS)
    window = ApplicationWindow.objects.select_for_update().get(pk=window.pk)
    _set(window, fields, actor)
    full_clean_or_error(window, validate_unique=False, validate_constraints=False)
    _check_window(window)
    window.save()
    return window


@transaction.atomic
def window_delete(*, actor: User, window: ApplicationWindow) -> None:
    window._history_user = actor  # type: ignore[attr-defined]
    try:
        window.delete()
    except ProtectedError:
        raise IllegalStateError(
            _("Applications cite the batch “%(batch)s”; it cannot be deleted.") % {"batch": window.batch}
        ) from None


def _decimal(value: Any, field: str) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value))
    except ArithmeticError:
        number = Decimal("NaN")
    if not number.is_finite():
        raise ApplicationError(_("Enter a number."), field=field)
    return number


# --- Eligibility rules ---------------------------------------------------------------------------------------


@transaction.atomic
def rule_create(
    *,
    actor: User,
    version: ProgramVersion,
    field: str,
    operator: str,
    threshold: Decimal | None = None,
    threshold_currency: str = "",
    note: str = "",
) -> EligibilityRule:
    """Add a condition to a version; refused unless funding.eligibility can evaluate it."""
    threshold = _decimal(threshold, "threshold")
    eligibility.check_rule(
        field=field, operator=operator, threshold=threshold, threshold_currency=threshold_currency or ""
    )
    rule = EligibilityRule(
        version=version,
        field=field,
        operator=operator,
        threshold=threshold,
        threshold_currency=threshold_currency or "",
        note=note,
    )
    rule._history_user = actor  # type: ignore[attr-defined]
    full_clean_or_error(rule)
    rule.save()
    return rule


@transaction.atomic
def rule_update(*, actor: User, rule: EligibilityRule, **fields: Any) -> EligibilityRule:
    _refuse_unknown(fields, frozenset({"field", "operator", "threshold", "threshold_currency", "note"}))
    rule = EligibilityRule.objects.select_for_update().get(pk=rule.pk)
    if "threshold" in fields:
        fields["threshold"] = _decimal(fields["threshold"], "threshold")
    _set(rule, fields, actor)
    rule.threshold_currency = rule.threshold_currency or ""
    eligibility.check_rule(
        field=rule.field,
        operator=rule.operator,
        threshold=rule.threshold,
        threshold_currency=rule.threshold_currency,
    )
    full_clean_or_error(rule)
    rule.save()
    return rule


@transaction.atomic
def rule_delete(*, actor: User, rule: EligibilityRule) -> None:
    rule._history_user = actor  # type: ignore[attr-defined]
    rule.delete()
