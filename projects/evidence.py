"""What each stage needs as evidence before a lead may enter it (DESIGN §5), and how it is checked.

Evidence arrives as a JSON-like dict (from the admin form, the API or an import). `evidence_check` returns the
cleaned dict that is stored on the StageChange, plus the documents and records it cites, or raises one
ApplicationError that names everything still missing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.errors import ApplicationError
from directory.models import Carrier
from projects.models import Activity, Document, Lead, Signing
from projects.stages import Stage
from projects.validators import validate_uscc


@dataclass(frozen=True)
class Need:
    key: str
    label: Promise
    kind: str
    choices: tuple[tuple[str, Promise], ...] = ()
    # Needs sharing a group are alternatives: one of them is enough.
    group: str | None = None


INTEREST_TYPES = (
    ("full_time", gettext_lazy("full-time post")),
    ("part_time", gettext_lazy("part-time post")),
    ("project", gettext_lazy("project cooperation")),
    ("found_company", gettext_lazy("found a company")),
)
EMPLOYMENT = (("full_time", gettext_lazy("full-time")), ("part_time", gettext_lazy("part-time")))

# Labels are lazy: they are rendered in the acting user's language when a message is built.
STAGE_NEEDS: dict[str, list[Need]] = {
    Stage.LEAD: [
        Need("hk_organization", gettext_lazy("the Hong Kong organization"), "lead_field"),
        Need("source_channel", gettext_lazy("the source channel"), "lead_field"),
    ],
    Stage.QUALIFIED: [
        Need("assessment", gettext_lazy("an assessment note (研判意见)"), "text"),
        Need(
            "decision",
            gettext_lazy("the decision to follow the lead"),
            "choice",
            (("follow", gettext_lazy("follow")),),
        ),
    ],
    Stage.ENGAGED: [Need("activity_id", gettext_lazy("a logged two-way contact with the team"), "activity")],
    Stage.VISITED: [
        Need("visit_date", gettext_lazy("the visit date"), "date"),
        Need("carrier_ids", gettext_lazy("the carriers visited"), "carriers"),
    ],
    Stage.NEGOTIATING: [
        Need("needs_list", gettext_lazy("a needs list"), "text", group="negotiating"),
        Need("document_ids", gettext_lazy("a letter of intent"), "documents", group="negotiating"),
    ],
    Stage.SIGNED: [
        Need("signing_id", gettext_lazy("a signing of this lead with its agreement document"), "signing")
    ],
    Stage.REGISTERED: [
        Need("uscc", gettext_lazy("the unified social credit code"), "uscc"),
        Need("registration_date", gettext_lazy("the registration date"), "date"),
        Need("document_ids", gettext_lazy("the business licence"), "documents"),
    ],
    Stage.MOVED_IN: [
        Need("space_m2", gettext_lazy("the space handed over (m²)"), "positive_number"),
        Need("carrier_id", gettext_lazy("the carrier"), "carrier"),
        Need("document_ids", gettext_lazy("the lease"), "documents"),
    ],
    Stage.OPERATING: [Need("staff_on_site", gettext_lazy("the number of staff on site"), "positive_int")],
    Stage.PILOT: [Need("pilot_note", gettext_lazy("a note on the pilot line or prototype"), "text")],
    Stage.PRODUCING: [Need("first_production_date", gettext_lazy("the first production date"), "date")],
    Stage.FIRST_REVENUE: [
        Need("contract_date", gettext_lazy("the first customer contract date"), "date"),
        Need("document_ids", gettext_lazy("the first customer contract"), "documents"),
    ],
    Stage.SCALED: [Need("scale_note", gettext_lazy("a note on the scale reached"), "text")],
    Stage.T_LEAD: [
        Need("subject_contact", gettext_lazy("the talent (a contact)"), "lead_field"),
        Need("source_channel", gettext_lazy("the source channel"), "lead_field"),
    ],
    Stage.T_ENGAGED: [
        Need("activity_id", gettext_lazy("a logged two-way contact with the talent"), "activity")
    ],
    Stage.T_INTERESTED: [
        Need("interest_type", gettext_lazy("the kind of interest"), "choice", INTEREST_TYPES)
    ],
    Stage.T_VISITED: [Need("visit_date", gettext_lazy("the visit date"), "date")],
    Stage.T_OFFERED: [Need("document_ids", gettext_lazy("the offer or agreement"), "documents")],
    Stage.T_ARRIVED: [
        Need("start_date", gettext_lazy("the start date"), "date"),
        Need("employer", gettext_lazy("the employer or own company"), "text"),
        Need("employment", gettext_lazy("full- or part-time"), "choice", EMPLOYMENT),
    ],
    Stage.T_AWARDED: [
        Need("programme", gettext_lazy("the talent programme"), "text"),
        Need("document_ids", gettext_lazy("the award document"), "documents"),
    ],
    Stage.T_FOUNDED: [
        Need(
            "linked_lead_id",
            gettext_lazy("the company's organization-track lead"),
            "org_lead",
            group="founded",
        ),
        Need("new_company_name", gettext_lazy("the name of the new company"), "text", group="founded"),
        Need("document_ids", gettext_lazy("a technology transfer agreement"), "documents", group="founded"),
    ],
    Stage.T_RETAINED: [],
}


@dataclass
class CheckedEvidence:
    data: dict[str, Any] = field(default_factory=dict)
    documents: list[Document] = field(default_factory=list)
    signing: Signing | None = None
    carriers: list[Carrier] = field(default_factory=list)
    linked_lead: Lead | None = None


class _InvalidError(Exception):
    def __init__(self, message: str) -> None:
        self.message = message


def _present(value: Any) -> bool:
    return value not in (None, "", [], {})


def _as_date(value: Any, latest: dt.date) -> str:
    if isinstance(value, dt.datetime):
        value = value.date()
    if not isinstance(value, dt.date):
        try:
            value = dt.date.fromisoformat(str(value))
        except ValueError:
            raise _InvalidError(
                _("“%(value)s” is not a date (write 2026-03-01).") % {"value": value}
            ) from None
    if value > latest:
        raise _InvalidError(_("%(date)s is after the date of the move.") % {"date": value.isoformat()})
    return value.isoformat()


def _as_ids(value: Any) -> list[int]:
    items = value if isinstance(value, list | tuple) else [value]
    try:
        return sorted({int(item) for item in items})
    except (TypeError, ValueError):
        raise _InvalidError(_("“%(value)s” is not a list of ids.") % {"value": value}) from None


def _as_number(value: Any, *, integer: bool) -> int | str:
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise _InvalidError(_("“%(value)s” is not a number.") % {"value": value}) from None
    if integer and (number <= 0 or number != number.to_integral_value()):
        raise _InvalidError(_("“%(value)s” must be a positive whole number.") % {"value": value})
    if number <= 0:
        raise _InvalidError(_("“%(value)s” must be more than zero.") % {"value": value})
    return int(number) if integer else str(number)


def _check_one(need: Need, value: Any, *, lead: Lead, latest: dt.date, out: CheckedEvidence, actor) -> Any:
    kind = need.kind
    if kind == "text":
        text = str(value).strip()
        if not text:
            raise _InvalidError("")
        return text
    if kind == "date":
        return _as_date(value, latest)
    if kind in {"positive_int", "positive_number"}:
        return _as_number(value, integer=kind == "positive_int")
    if kind == "choice":
        if value not in {code for code, _label in need.choices}:
            options = ", ".join(f"{code} ({label})" for code, label in need.choices)
            raise _InvalidError(
                _("“%(value)s” is not one of: %(options)s.") % {"value": value, "options": options}
            )
        return value
    if kind == "uscc":
        code = str(value).strip().upper()
        try:
            validate_uscc(code)
        except ValidationError as exc:
            raise _InvalidError(exc.messages[0]) from None
        return code
    if kind == "documents":
        ids = _as_ids(value)
        documents = list(Document.objects.filter(pk__in=ids, lead=lead))
        if len(documents) != len(ids):
            raise _InvalidError(_("Only documents uploaded to this lead can be cited."))
        out.documents.extend(documents)
        return ids
    if kind in {"carriers", "carrier"}:
        ids = _as_ids(value)
        carriers = list(Carrier.objects.filter(pk__in=ids))
        if len(carriers) != len(ids) or (kind == "carrier" and len(ids) != 1):
            raise _InvalidError(_("Choose carriers from the list of carriers."))
        out.carriers.extend(carriers)
        return ids if kind == "carriers" else ids[0]
    if kind == "activity":
        activity = Activity.objects.filter(pk=_as_ids(value)[0], lead=lead, kind__in=Activity.TWO_WAY).first()
        if activity is None:
            raise _InvalidError(_("Cite a call, meeting, visit or message logged on this lead."))
        return activity.pk
    if kind == "signing":
        signing = Signing.objects.filter(pk=_as_ids(value)[0], lead=lead).first()
        if signing is None:
            raise _InvalidError(_("Cite a signing recorded on this lead."))
        if not signing.documents.exists():
            raise _InvalidError(_("Attach the signed agreement to the signing first."))
        out.signing = signing
        return signing.pk
    if kind == "org_lead":
        from projects.selectors import leads_visible_to

        linked = leads_visible_to(actor).filter(pk=_as_ids(value)[0], track="org").first()
        if linked is None:
            raise _InvalidError(_("Cite an organization-track lead you can see."))
        out.linked_lead = linked
        return linked.pk
    raise AssertionError(f"unknown evidence kind {kind}")


def evidence_check(
    *, lead: Lead, stage: str, evidence: dict[str, Any], occurred_on: dt.date, actor
) -> CheckedEvidence:
    """Check `evidence` against what `stage` needs; raise one ApplicationError naming every gap."""
    out = CheckedEvidence()
    missing: list[str] = []
    missing_lead_fields: list[str] = []
    invalid: list[str] = []
    groups: dict[str, list[Need]] = {}
    attempted_groups: set[str] = set()
    for need in STAGE_NEEDS[stage]:
        if need.kind == "lead_field":
            if not _present(getattr(lead, f"{need.key}_id", None) or getattr(lead, need.key, None)):
                missing.append(str(need.label))
                missing_lead_fields.append(need.key)
            continue
        value = evidence.get(need.key)
        if not _present(value):
            if need.group:
                groups.setdefault(need.group, []).append(need)
            else:
                missing.append(str(need.label))
            continue
        if need.group:
            attempted_groups.add(need.group)
        try:
            out.data[need.key] = _check_one(need, value, lead=lead, latest=occurred_on, out=out, actor=actor)
        except _InvalidError as exc:
            if exc.message:
                invalid.append(f"{need.label}: {exc.message}")
            else:
                missing.append(str(need.label))
    for group, needs in groups.items():
        # An alternative that was given but is wrong is reported as invalid above, not as missing here.
        if group not in attempted_groups:
            missing.append(_(" or ").join(str(n.label) for n in needs))
    if missing or invalid:
        stage_label = Stage(stage).label
        parts = []
        if missing:
            parts.append(
                _("To enter “%(stage)s” this lead still needs %(missing)s.")
                % {"stage": stage_label, "missing": _("; ").join(missing)}
            )
        parts.extend(invalid)
        # When only the lead's own fields are missing, point at the first of them rather than at the evidence.
        only_lead_fields = len(missing_lead_fields) == len(missing) and not invalid
        field = missing_lead_fields[0] if only_lead_fields else "evidence"
        raise ApplicationError(" ".join(parts), field=field, extra={"missing": missing, "invalid": invalid})
    note = evidence.get("note")
    if isinstance(note, str) and note.strip():
        out.data["note"] = note.strip()
    return out
