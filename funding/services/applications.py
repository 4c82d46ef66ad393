"""Applications to programme versions and Hong Kong grants held by leads (tranches: funding.services.tranches;
matching: funding.services.matching).

Status moves draft → submitted → approved / rejected → disbursing → closed, one service per move, each saving
the application (so simple-history keeps a row per change). Approved never exceeds the version's cap (nor, for
matching, the matching amount); tranches never exceed the approved amount."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from core.errors import ApplicationError, IllegalStateError, full_clean_or_error
from funding.models import (
    ApplicationWindow,
    FundingApplication,
    ProgramType,
    ProgramVersion,
)
from funding.services.matching import matching_amount
from funding.services.rates import RateBook, money_text
from projects.models import Document, Lead

Status = FundingApplication.Status
PAYABLE = (Status.APPROVED, Status.DISBURSING)
CHANGE_REASON_LENGTH = 100  # simple-history's history_change_reason column


# --- Checks --------------------------------------------------------------------------------------------------


def _refuse_closed_lead(lead: Lead) -> None:
    if lead.status == Lead.Status.MERGED:
        raise IllegalStateError(_("This lead was merged into another lead and can no longer be changed."))


def _refuse_future(day: dt.date, field: str) -> None:
    if day > timezone.localdate():
        raise ApplicationError(_("This date cannot be in the future."), field=field)


def _positive(amount: Any, field: str) -> Decimal:
    try:
        number = Decimal(str(amount))
    except ArithmeticError:
        number = Decimal("NaN")
    if not number.is_finite() or number <= 0:
        raise ApplicationError(_("The amount must be greater than zero."), field=field)
    return number


def _refuse_status(application: FundingApplication, allowed: Iterable[str], message: str) -> None:
    if application.status not in allowed:
        raise IllegalStateError(message % {"status": application.get_status_display()}, field="status")


def _lock(application: FundingApplication) -> FundingApplication:
    """Re-read the caller's instance under a row lock, so two officers' moves queue instead of racing."""
    application.refresh_from_db(from_queryset=FundingApplication.objects.select_for_update())
    return application


def _attach(document: Document | None, lead: Lead) -> None:
    if document is None:
        return
    if document.lead_id != lead.pk:
        raise ApplicationError(_("Only documents uploaded to this lead can be cited."), field="document")
    Document.objects.filter(pk=document.pk).update(attached=True)
    document.attached = True


def _check_window(window: ApplicationWindow | None, version: ProgramVersion) -> None:
    if window is not None and window.version_id != version.pk:
        raise ApplicationError(
            _("The batch “%(batch)s” belongs to another programme version.") % {"batch": window.batch},
            field="window",
        )


def _check_requested(amount: Decimal | None, version: ProgramVersion) -> Decimal | None:
    if amount is None:
        return None
    amount = _positive(amount, "requested_amount")
    if version.max_amount is not None and amount > version.max_amount:
        raise ApplicationError(
            _("The requested amount %(amount)s is above the cap of %(cap)s.")
            % {
                "amount": money_text(amount, version.currency),
                "cap": money_text(version.max_amount, version.currency),
            },
            field="requested_amount",
        )
    if version.min_amount is not None and amount < version.min_amount:
        raise ApplicationError(
            _("The requested amount %(amount)s is below the minimum of %(minimum)s.")
            % {
                "amount": money_text(amount, version.currency),
                "minimum": money_text(version.min_amount, version.currency),
            },
            field="requested_amount",
        )
    return amount


def _check_cap(amount: Decimal, currency: str, version: ProgramVersion, on: dt.date) -> None:
    """Approved ≤ the version's cap; across currencies at the decision date's rate."""
    if version.max_amount is None:
        return
    compared = amount
    if currency != version.currency:
        compared = RateBook(on).convert(amount, currency, version.currency).amount
    if compared > version.max_amount:
        raise ApplicationError(
            _("The approved amount %(amount)s is above the cap of %(cap)s.")
            % {
                "amount": money_text(amount, currency),
                "cap": money_text(version.max_amount, version.currency),
            },
            field="approved_amount",
        )


def _check_decision_date(application: FundingApplication, decision_date: dt.date) -> None:
    _refuse_future(decision_date, "decision_date")
    if application.submitted_on and decision_date < application.submitted_on:
        raise ApplicationError(
            _("The decision date cannot be before the submission on %(date)s.")
            % {"date": f"{application.submitted_on:%Y-%m-%d}"},
            field="decision_date",
        )


def _save(application: FundingApplication, actor: User, *, reason: str = "") -> FundingApplication:
    application._history_user = actor  # type: ignore[attr-defined]
    if reason:
        application._change_reason = reason[:CHANGE_REASON_LENGTH]  # type: ignore[attr-defined]
    full_clean_or_error(application)
    application.save()
    return application


# --- Applications --------------------------------------------------------------------------------------------


@transaction.atomic
def application_create(
    *,
    actor: User,
    lead: Lead,
    version: ProgramVersion,
    window: ApplicationWindow | None = None,
    requested_amount: Decimal | None = None,
    document: Document | None = None,
    clawback_note: str = "",
) -> FundingApplication:
    """A draft application of `lead` to `version`, in the version's currency."""
    _refuse_closed_lead(lead)
    program = version.program
    if program.program_type == ProgramType.HK_GRANT:
        raise ApplicationError(
            _("A Hong Kong grant the lead holds is recorded as a grant, not applied for."), field="version"
        )
    if program.program_type == ProgramType.FUND_INVESTMENT:
        raise ApplicationError(
            _("Fund investments are recorded under the fund, not applied for."), field="version"
        )
    if not program.active:
        raise ApplicationError(
            _("%(program)s is no longer active.") % {"program": program.localized_name}, field="version"
        )
    _check_window(window, version)
    application = FundingApplication(
        lead=lead,
        version=version,
        window=window,
        status=Status.DRAFT,
        currency=version.currency,
        requested_amount=_check_requested(requested_amount, version),
        document=document,
        clawback_note=clawback_note,
        created_by=actor,
    )
    _attach(document, lead)
    return _save(application, actor)


@transaction.atomic
def application_update(*, actor: User, application: FundingApplication, **fields: Any) -> FundingApplication:
    """Change the requested amount or batch (drafts only), the document or the clawback conditions."""
    allowed = {"window", "requested_amount", "document", "clawback_note"}
    unknown = sorted(set(fields) - allowed)
    if unknown:
        raise ApplicationError(
            _("These fields cannot be set here: %(fields)s.") % {"fields": ", ".join(unknown)},
            field=unknown[0],
        )
    application = _lock(application)
    version = application.version
    if {"window", "requested_amount"} & set(fields):
        _refuse_status(
            application,
            (Status.DRAFT,),
            _("The amount and batch change only while the application is a draft; it is %(status)s."),
        )
    if "window" in fields:
        _check_window(fields["window"], version)
        application.window = fields["window"]
    if "requested_amount" in fields:
        application.requested_amount = _check_requested(fields["requested_amount"], version)
    if "document" in fields:
        _attach(fields["document"], application.lead)
        application.document = fields["document"]
    if "clawback_note" in fields:
        application.clawback_note = fields["clawback_note"]
    return _save(application, actor)


def _windows_text(windows: Iterable[ApplicationWindow]) -> str:
    return "; ".join(f"{w.batch} {w.opens_on:%Y-%m-%d} – {w.closes_on:%Y-%m-%d}" for w in windows)


@transaction.atomic
def application_submit(
    *, actor: User, application: FundingApplication, submitted_on: dt.date
) -> FundingApplication:
    """draft → submitted, within a batch of the version open that day (the one chosen, or any)."""
    application = _lock(application)
    _refuse_status(
        application, (Status.DRAFT,), _("Only a draft can be submitted; this application is %(status)s.")
    )
    _refuse_future(submitted_on, "submitted_on")
    if application.requested_amount is None:
        raise ApplicationError(_("Enter the requested amount before submitting."), field="requested_amount")
    version = application.version
    windows = [application.window] if application.window else list(version.windows.order_by("opens_on", "pk"))
    if not windows:
        raise ApplicationError(
            _("%(version)s has no application window: add its batches before submitting.")
            % {"version": version},
            field="window",
        )
    open_windows = [w for w in windows if w.opens_on <= submitted_on <= w.closes_on]
    if not open_windows:
        raise ApplicationError(
            _("%(version)s takes no applications on %(date)s. Its batches: %(windows)s.")
            % {"version": version, "date": f"{submitted_on:%Y-%m-%d}", "windows": _windows_text(windows)},
            field="submitted_on",
        )
    application.window = open_windows[0]
    application.submitted_on = submitted_on
    application.status = Status.SUBMITTED
    return _save(application, actor)


@transaction.atomic
def application_approve(
    *,
    actor: User,
    application: FundingApplication,
    approved_amount: Decimal,
    decision_date: dt.date,
    matching_basis: str = "",
) -> FundingApplication:
    """submitted → approved, within the cap and, for matching, within the matching amount on the decision
    date; the matching computation is stored with the application (after any note the caller gives)."""
    application = _lock(application)
    _refuse_status(
        application,
        (Status.SUBMITTED,),
        _("Only a submitted application can be approved; this one is %(status)s."),
    )
    amount = _positive(approved_amount, "approved_amount")
    _check_decision_date(application, decision_date)
    version = application.version
    _check_cap(amount, application.currency, version, decision_date)
    if version.program.program_type == ProgramType.MATCHING:
        matching = matching_amount(lead=application.lead, version=version, on=decision_date)
        compared = amount
        if application.currency != matching.currency:
            compared = RateBook(decision_date).convert(amount, application.currency, matching.currency).amount
        if compared > matching.amount:
            raise ApplicationError(
                _("The approved amount %(amount)s is above the matching amount of %(matching)s. %(basis)s")
                % {
                    "amount": money_text(amount, application.currency),
                    "matching": money_text(matching.amount, matching.currency),
                    "basis": matching.basis,
                },
                field="approved_amount",
            )
        matching_basis = "\n".join(part for part in (matching_basis.strip(), matching.basis) if part)
    application.approved_amount = amount
    application.decision_date = decision_date
    application.matching_basis = matching_basis
    application.status = Status.APPROVED
    return _save(application, actor)


@transaction.atomic
def application_reject(
    *, actor: User, application: FundingApplication, decision_date: dt.date, note: str = ""
) -> FundingApplication:
    """submitted → rejected. The note is kept as the history row's reason (its first 100 characters)."""
    application = _lock(application)
    _refuse_status(
        application,
        (Status.SUBMITTED,),
        _("Only a submitted application can be rejected; this one is %(status)s."),
    )
    _check_decision_date(application, decision_date)
    application.decision_date = decision_date
    application.status = Status.REJECTED
    return _save(application, actor, reason=note.strip())


@transaction.atomic
def application_close(
    *, actor: User, application: FundingApplication, closed_on: dt.date
) -> FundingApplication:
    """approved / disbursing → closed, once no planned tranche is left unpaid."""
    application = _lock(application)
    _refuse_status(
        application,
        PAYABLE,
        _("Only an approved or disbursing application can be closed; this one is %(status)s."),
    )
    _refuse_future(closed_on, "closed_on")
    if application.decision_date and closed_on < application.decision_date:
        raise ApplicationError(
            _("The closing date cannot be before the decision on %(date)s.")
            % {"date": f"{application.decision_date:%Y-%m-%d}"},
            field="closed_on",
        )
    unpaid = application.tranches.filter(paid_on__isnull=True).count()
    if unpaid:
        raise IllegalStateError(
            _(
                "%(count)s planned tranche(s) are not paid: record their payment or cancel them before closing."
            )
            % {"count": unpaid}
        )
    application.closed_on = closed_on
    application.status = Status.CLOSED
    return _save(application, actor)


@transaction.atomic
def hk_grant_record(
    *,
    actor: User,
    lead: Lead,
    version: ProgramVersion,
    approved_amount: Decimal,
    decision_date: dt.date,
    document: Document | None = None,
) -> FundingApplication:
    """A Hong Kong grant the lead already holds (RAISe+, ITF), recorded as approved so matching can use it."""
    _refuse_closed_lead(lead)
    if version.program.program_type != ProgramType.HK_GRANT:
        raise ApplicationError(
            _("%(program)s is not a Hong Kong grant programme.")
            % {"program": version.program.localized_name},
            field="version",
        )
    amount = _positive(approved_amount, "approved_amount")
    _refuse_future(decision_date, "decision_date")
    _check_cap(amount, version.currency, version, decision_date)
    application = FundingApplication(
        lead=lead,
        version=version,
        status=Status.APPROVED,
        currency=version.currency,
        approved_amount=amount,
        decision_date=decision_date,
        document=document,
        created_by=actor,
    )
    _attach(document, lead)
    return _save(application, actor)
