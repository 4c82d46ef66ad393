"""The lead ledger importer: check a chunk of rows against the existing leads, commit the new ones."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import cast

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Unit, User
from core.errors import ApplicationError
from core.imports.base import Importer, Outcome, RowCheck
from core.imports.reading import SourceRow
from directory.models import Organization, Sector
from directory.services import name_key
from projects.imports.checks import Row, read_row
from projects.imports.columns import COLUMNS
from projects.imports.lookups import Lookups
from projects.imports.options import LedgerOptionsForm
from projects.invariants import lead_invariant_violations
from projects.models import Lead
from projects.selectors import leads_visible_to
from projects.services.leads import lead_create
from projects.services.ledger import lead_import_history
from projects.services.merge import lead_duplicate_condition, lead_duplicate_reason
from projects.stages import Stage, Track, stage_order


class LedgerImporter(Importer):
    kind = "projects.ledger"
    title = gettext_lazy("Lead ledger (台账)")
    permission = "projects.add_lead"
    columns = COLUMNS
    options_form = LedgerOptionsForm
    result_labels = {
        "leads_created": gettext_lazy("Leads created"),
        "stage_changes_imported": gettext_lazy("Stage changes imported"),
    }

    @property
    def user(self) -> User:
        return cast(User, self.actor)  # the project's user model

    def check(self, rows: Sequence[SourceRow]) -> list[RowCheck]:
        lookups = Lookups(rows, actor=self.user, options=self.options)
        read = [read_row(row, lookups) for row in rows]
        existing = _existing_leads([row for row in read if not row.messages])
        visible = set(
            leads_visible_to(self.user)
            .filter(pk__in=[lead.pk for lead in existing])
            .values_list("pk", flat=True)
        )
        return [self._verdict(row, existing, visible) for row in read]

    # --- Against existing leads -------------------------------------------------------------------------------

    def _verdict(self, row: Row, existing: list[Lead], visible: set[int]) -> RowCheck:
        if row.messages:
            return RowCheck(number=row.number, outcome=Outcome.ERROR, messages=row.messages, key=row.key)
        lead = next((lead for lead in existing if _same_lead(row, lead)), None)
        if lead is None:
            return RowCheck(number=row.number, outcome=Outcome.NEW, key=row.key, data=row.data)
        if lead.pk not in visible:
            _field, what = lead_duplicate_reason(lead, uscc=row.uscc, hk_company_number=row.hk_company_number)
            message = _(
                "A lead with the same %(what)s is already registered by another unit. A manager can decide whether "
                "to register this one anyway."
            ) % {"what": what}
            return RowCheck(number=row.number, outcome=Outcome.ERROR, messages=[message], key=row.key)
        at = {"code": lead.code, "stage": Stage(lead.stage).label}
        if lead.track != Track.ORGANIZATION or stage_order(lead.stage) >= stage_order(row.stage):
            note = _("Already registered as %(code)s, at “%(stage)s”.") % at
            return RowCheck(number=row.number, outcome=Outcome.UNCHANGED, messages=[note], key=row.key)
        note = _(
            "Matches %(code)s, which is at “%(stage)s”; the ledger says “%(ledger)s”. Nothing is changed: move the "
            "lead forward on its page, with the evidence."
        ) % {**at, "ledger": Stage(row.stage).label}
        return RowCheck(number=row.number, outcome=Outcome.MATCH, messages=[note], key=row.key)

    # --- Commit -----------------------------------------------------------------------------------------------

    def commit(self, checks: Sequence[RowCheck]) -> dict[str, int]:
        new = _first_of_each_lead([check for check in checks if check.outcome == Outcome.NEW])
        users = User.objects.in_bulk({check.data["owner"] for check in new})
        units = Unit.objects.in_bulk({check.data["owning_unit"] for check in new})
        organizations = Organization.objects.in_bulk({check.data["hk_organization"] for check in new})
        sectors = Sector.objects.in_bulk({check.data["sector"] for check in new} - {None})
        created, imported = [], 0
        for check in new:
            data = check.data
            try:
                lead = lead_create(
                    actor=self.user,
                    owner=users[data["owner"]],
                    owning_unit=units[data["owning_unit"]],
                    name=data["name"],
                    name_zh_hant=data.get("name_zh_hant", ""),
                    lead_type=data["lead_type"],
                    source_channel=data["source_channel"],
                    occurred_at=_midnight(created_on) if (created_on := _date(data["created_on"])) else None,
                    hk_organization=organizations[data["hk_organization"]],
                    sector=sectors.get(data["sector"]),
                    expected_investment=_decimal(data["expected_investment"]),
                    expected_investment_currency=data["expected_investment_currency"],
                    uscc=data["uscc"],
                    hk_company_number=data["hk_company_number"],
                    registered_on=_date(data["registered_on"]),
                    description=data["description"],
                    imported=True,
                )
                moves = [(stage, _midnight(dt.date.fromisoformat(day))) for stage, day in data["moves"]]
                imported += len(lead_import_history(lead=lead, moves=moves, actor=self.user))
            except ApplicationError as error:
                raise ApplicationError(
                    _("Row %(row)d: %(problem)s") % {"row": check.number, "problem": error.message},
                    field=error.field,
                ) from error
            created.append(lead.pk)
        # A bulk writer checks what it wrote against the invariants the services keep (DESIGN §6).
        problems = lead_invariant_violations(Lead.objects.filter(pk__in=created)) if created else []
        if problems:
            raise ApplicationError(
                _("The import would leave leads in an impossible state: %(problems)s")
                % {"problems": "; ".join(problems[:5])}
            )
        return {"leads_created": len(created), "stage_changes_imported": imported}


# --- Helpers --------------------------------------------------------------------------------------------------


def _midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def _decimal(value: str | None) -> Decimal | None:
    return Decimal(value) if value is not None else None


def _existing_leads(rows: Iterable[Row]) -> list[Lead]:
    """Leads (not merged away) sharing a credit code, an HK company number, or organization and name with any
    of `rows`, oldest first: one query for the whole chunk."""
    rows = list(rows)
    condition = lead_duplicate_condition(
        usccs=[row.uscc for row in rows],
        hk_company_numbers=[row.hk_company_number for row in rows],
        organization_ids=[row.organization_id for row in rows if row.organization_id],
        name_keys=[row.name_key for row in rows],
    )
    if not condition:
        return []
    return list(
        Lead.objects.filter(condition)
        .exclude(status=Lead.Status.MERGED)
        .only(
            "code",
            "stage",
            "track",
            "uscc",
            "hk_company_number",
            "hk_organization_id",
            "name_key",
            "name_zh_hant_key",
            "name_en_key",
            "owning_unit_id",
            "created_at",
        )
        .order_by("created_at", "pk")
    )


def _same_lead(row: Row, lead: Lead) -> bool:
    """The duplicate rule of lead_duplicates, applied to one row and one lead."""
    return bool(
        (row.uscc and lead.uscc == row.uscc)
        or (row.hk_company_number and lead.hk_company_number == row.hk_company_number)
        or (
            lead.hk_organization_id == row.organization_id
            and row.name_key in {lead.name_key, lead.name_zh_hant_key, lead.name_en_key}
        )
    )


def _identities(check: RowCheck) -> list[tuple[str, str]]:
    data = check.data
    found = [
        ("uscc", data["uscc"]),
        ("hk_company_number", data["hk_company_number"]),
        ("name", f"{data['hk_organization']}:{name_key(data['name'])}"),
    ]
    return [(kind, value) for kind, value in found if value]


def _first_of_each_lead(checks: Sequence[RowCheck]) -> list[RowCheck]:
    """The rows to register, leaving out a later row naming a lead already named by an earlier row under another
    key (one row with a credit code, one without): the engine's key check cannot see that pair, and registering
    the second would be refused as a duplicate. The left-out row is marked as the engine marks a duplicate."""
    seen: dict[tuple[str, str], int] = {}
    first_rows = []
    for check in checks:
        earlier = next((seen[identity] for identity in _identities(check) if identity in seen), None)
        if earlier is not None:
            check.outcome = Outcome.ERROR
            check.messages = [_("Duplicate of row %(number)s in this file.") % {"number": earlier}]
            continue
        for identity in _identities(check):
            seen[identity] = check.number
        first_rows.append(check)
    return first_rows
