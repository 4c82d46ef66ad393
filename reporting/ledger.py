"""What the report lists read: the leads behind a report (lead list and its export), the weekly ledger (一周一报)
of a unit and the dispatch-meeting list (调度会) of open coordination needs.

Every read starts from the visibility rule (projects.selectors.leads_visible_to) and fetches what a row shows in
a fixed number of queries, whatever the number of rows: joins for single related rows, one prefetch query per
kind of related list.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import F, OuterRef, Prefetch, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Unit
from accounts.visibility import user_scope
from core.imports.values import CellError, parse_amount
from core.money import format_amount
from projects.models import Activity, CoordinationNeed, Lead, StageChange
from projects.selectors import leads_visible_to
from projects.stages import Stage
from reporting.filters import ReportFilters
from reporting.funnel import cohort_members, funnel_leads
from talent.models import ContactChannel

MEASURES = ("reached", "current", "lost")

# --- The leads behind a report --------------------------------------------------------------------------------


def report_leads(user, filters: ReportFilters, *, measure: str = "", stage: str = "") -> QuerySet[Lead]:
    """The leads a report list shows: those behind one funnel number when `measure` and `stage` are given (the
    bar a manager clicked), else the whole cohort. A plain Lead queryset — any GROUP BY stays inside a
    subquery — so callers may select_related and order it freely. Raises ValueError for an unknown measure or
    stage, or when only one of them is given."""
    if measure or stage:
        return funnel_leads(user, filters, measure=measure, stage=stage)
    return cohort_members(user, filters)


def lead_export_rows(leads: QuerySet[Lead], *, personal: bool) -> QuerySet[Lead]:
    """The lead-list export's rows with everything its columns read: one query for the leads and their single
    related rows, plus (with personal data) one for the talents' phones and e-mails."""
    leads = leads.select_related(
        "owner", "owning_unit", "hk_organization", "sector", "target_carrier", "source_event"
    ).order_by("-created_at", "-pk")
    if personal:
        channels = ContactChannel.objects.filter(
            kind__in=(ContactChannel.Kind.PHONE, ContactChannel.Kind.EMAIL)
        ).order_by("kind", "pk")
        leads = leads.select_related("subject_contact").prefetch_related(
            Prefetch("subject_contact__channels", queryset=channels, to_attr="reachable")
        )
    return leads


def contact_values(lead: Any, kind: str) -> str:
    """A talent's phones or e-mails, as fetched by lead_export_rows(personal=True), joined."""
    contact = lead.subject_contact
    if contact is None:
        return ""
    return "; ".join(channel.value for channel in contact.reachable if channel.kind == kind)


# --- Weeks ----------------------------------------------------------------------------------------------------

_ISO_WEEK = re.compile(r"(\d{4})-?W(\d{1,2})", re.IGNORECASE)


@dataclass(frozen=True)
class Week:
    """A Monday-to-Sunday week, the period of one 一周一报."""

    monday: dt.date

    @classmethod
    def containing(cls, day: dt.date) -> Week:
        return cls(day - dt.timedelta(days=day.weekday()))

    @classmethod
    def current(cls) -> Week:
        return cls.containing(timezone.localdate())

    @classmethod
    def parse(cls, written: str) -> Week:
        """An ISO week ("2026-W05", what a browser's week picker sends) or any date within the week
        ("2026-01-28"). Raises ValueError."""
        written = written.strip()
        match = _ISO_WEEK.fullmatch(written)
        try:
            if match:
                return cls(dt.date.fromisocalendar(int(match[1]), int(match[2]), 1))
            return cls.containing(dt.date.fromisoformat(written))
        except ValueError:
            raise ValueError(f"Not a week: {written!r}") from None

    @property
    def sunday(self) -> dt.date:
        return self.monday + dt.timedelta(days=6)

    @property
    def starts_at(self) -> dt.datetime:
        return dt.datetime.combine(self.monday, dt.time.min, tzinfo=ZoneInfo(settings.TIME_ZONE))

    @property
    def ends_before(self) -> dt.datetime:
        return self.starts_at + dt.timedelta(days=7)

    @property
    def iso(self) -> str:
        year, number, _weekday = self.monday.isocalendar()
        return f"{year}-W{number:02d}"

    def shifted(self, weeks: int) -> Week:
        return Week(self.monday + dt.timedelta(weeks=weeks))

    def __str__(self) -> str:
        return f"{self.monday:%Y-%m-%d} – {self.sunday:%Y-%m-%d}"


def default_unit(user, units: list[Unit]) -> Unit | None:
    """The unit a ledger opens on, among the units the user can see (in tree order): the first they belong to
    (from the scope already read for visibility, so no query), else the first they can see."""
    members_of = user_scope(user).member_unit_ids
    return next((unit for unit in units if unit.pk in members_of), units[0] if units else None)


# --- The weekly ledger ----------------------------------------------------------------------------------------


def ledger_leads(user, *, unit: Unit, week: Week) -> QuerySet[Lead]:
    """The ledger's leads for a unit (with its subtree) and a week, as the user may see them.

    Listed: every lead registered before the week ended (its first stage change), except merged leads (each is
    a duplicate of a lead that is listed) and leads that were already lost when the week began — read from the
    lead's history, so a lead lost during the week is listed (the ledger reports the loss) and an old week's
    ledger lists the leads as they stood then. A lead with no history row before the week counts as not lost.
    Oldest first, like a ledger that grows at the bottom.

    Queries: the leads with their single related rows, then one prefetch each for the week's activities, the
    week's stage moves, the latest planned next step and the coordination needs open at the week's end."""
    first_change = StageChange.objects.filter(lead=OuterRef("pk")).order_by("occurred_at", "pk")
    status_at_start = Lead.history.model.objects.filter(
        id=OuterRef("pk"), history_date__lt=week.starts_at
    ).order_by("-history_date", "-history_id")
    in_week = Q(occurred_at__gte=week.starts_at, occurred_at__lt=week.ends_before)
    return (
        leads_visible_to(user)
        .filter(owning_unit__path__startswith=unit.path)
        .exclude(status=Lead.Status.MERGED)
        .annotate(
            first_contact_at=Subquery(first_change.values("occurred_at")[:1]),
            # Coalesced: a lead without history before the week must survive the NOT in the exclude below.
            status_at_start=Coalesce(Subquery(status_at_start.values("status")[:1]), Value("")),
        )
        .filter(first_contact_at__lt=week.ends_before)
        .exclude(status_at_start=Lead.Status.LOST)
        .select_related("owner", "owning_unit", "hk_organization", "introducer", "source_event", "sector")
        .prefetch_related(
            Prefetch(
                "activities",
                queryset=Activity.objects.filter(in_week).order_by("-occurred_at", "-pk"),
                to_attr="week_activities",
            ),
            Prefetch(
                "stage_changes",
                queryset=StageChange.objects.filter(in_week).order_by("-occurred_at", "-pk"),
                to_attr="week_moves",
            ),
            # An activity logged without a next step does not cancel the one planned before it.
            Prefetch(
                "activities",
                queryset=Activity.objects.filter(occurred_at__lt=week.ends_before)
                .exclude(next_step="")
                .order_by("-occurred_at", "-pk")[:1],
                to_attr="latest_plan",
            ),
            Prefetch(
                "coordination_needs",
                queryset=CoordinationNeed.objects.filter(
                    Q(resolved_on__isnull=True) | Q(resolved_on__gt=week.sunday)
                ).order_by(F("due_on").asc(nulls_last=True), "pk"),
                to_attr="open_needs",
            ),
        )
        .order_by("first_contact_at", "pk")
    )


@dataclass
class LedgerRow:
    """One 台账 row, in the order of the ledger's columns."""

    lead: Lead
    name: str
    organization: str
    source_channel: str
    introducer: str
    sector: str
    investment: str
    owner: str
    first_contact: dt.date | None
    stage: str
    stage_date: dt.date
    status: str
    progress: list[str] = field(default_factory=list)
    next_step: str = ""
    needs: list[str] = field(default_factory=list)

    def cells(self) -> list[Any]:
        """The row as spreadsheet cells (lists as lines of one cell)."""
        return [
            self.lead.code,
            self.name,
            self.organization,
            self.source_channel,
            self.introducer,
            self.sector,
            self.investment,
            self.owner,
            self.first_contact,
            self.stage,
            self.stage_date,
            self.status,
            "\n".join(self.progress),
            self.next_step,
            "\n".join(self.needs),
        ]


def ledger_row(lead: Any) -> LedgerRow:
    """A lead fetched by ledger_leads() as a ledger row, in the active language. (`Any`: the lead carries the
    annotations and prefetched lists ledger_leads adds, which the model's type does not declare.)"""
    return LedgerRow(
        lead=lead,
        name=lead.name,
        organization=lead.hk_organization.name if lead.hk_organization else "",
        source_channel=str(lead.get_source_channel_display()),
        introducer=(
            lead.introducer.name if lead.introducer else lead.source_event.name if lead.source_event else ""
        ),
        sector=lead.sector.name if lead.sector else "",
        investment=amount_text(lead.expected_investment, lead.expected_investment_currency),
        owner=person_name(lead.owner),
        first_contact=timezone.localdate(lead.first_contact_at) if lead.first_contact_at else None,
        stage=str(Stage(lead.stage).label),
        stage_date=timezone.localdate(lead.stage_entered_at),
        # The status only when it is not the usual one: the stage column carries the news.
        status="" if lead.status == Lead.Status.ACTIVE else str(lead.get_status_display()),
        progress=_progress(lead),
        next_step=_next_step(lead),
        needs=[need_text(need) for need in lead.open_needs],
    )


def _progress(lead: Any) -> list[str]:
    """The week's activities and stage moves, newest first, one line each."""
    entries: list[tuple[dt.datetime, str]] = []
    for activity in lead.week_activities:
        entries.append(
            (
                activity.occurred_at,
                _("%(date)s %(kind)s: %(summary)s")
                % {
                    "date": f"{timezone.localdate(activity.occurred_at):%m-%d}",
                    "kind": activity.get_kind_display(),
                    "summary": " ".join(activity.summary.split()),
                },
            )
        )
    for move in lead.week_moves:
        values = {
            "date": f"{timezone.localdate(move.occurred_at):%m-%d}",
            "from": Stage(move.from_stage).label if move.from_stage else "",
            "to": Stage(move.to_stage).label,
        }
        text = (
            _("%(date)s stage: %(from)s → %(to)s") % values
            if move.from_stage
            else _("%(date)s registered at stage %(to)s") % values
        )
        entries.append((move.occurred_at, text))
    entries.sort(key=lambda entry: entry[0], reverse=True)
    return [text for _when, text in entries]


def _next_step(lead: Any) -> str:
    if not lead.latest_plan:
        return ""
    activity = lead.latest_plan[0]
    if activity.next_step_on is None:
        return activity.next_step
    return _("%(step)s (by %(date)s)") % {
        "step": activity.next_step,
        "date": f"{activity.next_step_on:%Y-%m-%d}",
    }


def need_text(need: CoordinationNeed) -> str:
    values = {"department": need.department, "request": " ".join(need.request.split())}
    if need.due_on is None:
        return _("%(department)s: %(request)s") % values
    return _("%(department)s: %(request)s (due %(date)s)") % {**values, "date": f"{need.due_on:%Y-%m-%d}"}


def amount_text(amount, currency: str) -> str:
    """An amount as the ledger writes it: as people read it (5000万元) when that reads back to the same figure
    through the ledger import, else exactly (12,345,678.90 HKD), so an exported ledger re-imports unchanged."""
    if amount is None:
        return ""
    readable = format_amount(amount, currency)
    try:
        if parse_amount(readable) == (amount, currency):
            return readable
    except CellError:
        pass
    return f"{amount:,.2f} {currency}"


def person_name(user) -> str:
    return user.get_full_name() or user.get_username()


# --- The dispatch-meeting list --------------------------------------------------------------------------------

# A lead that is lost or merged has nothing left for a department to unblock.
_CLOSED = (Lead.Status.MERGED, Lead.Status.LOST)


def dispatch_needs(user, *, unit: Unit | None = None, department: str = "") -> QuerySet[CoordinationNeed]:
    """Open coordination needs of the leads the user can see (optionally of one unit's subtree and one
    department), by department, then due date (none last). One query, leads, owners and units joined."""
    leads = leads_visible_to(user).exclude(status__in=_CLOSED)
    if unit is not None:
        leads = leads.filter(owning_unit__path__startswith=unit.path)
    needs = CoordinationNeed.objects.filter(resolved_on__isnull=True, lead__in=leads.values("pk"))
    if department:
        needs = needs.filter(department=department)
    return needs.select_related("lead__owner", "lead__owning_unit").order_by(
        "department", F("due_on").asc(nulls_last=True), "pk"
    )


def dispatch_departments(user) -> list[str]:
    """The departments that have open needs among the user's leads, for the department filter."""
    return list(dispatch_needs(user).order_by("department").values_list("department", flat=True).distinct())


@dataclass
class DispatchItem:
    need: CoordinationNeed
    days_overdue: int  # 0 when not overdue or without a due date

    @property
    def overdue(self) -> bool:
        return self.days_overdue > 0


@dataclass
class DispatchGroup:
    department: str
    items: list[DispatchItem]

    @property
    def overdue(self) -> int:
        return sum(1 for item in self.items if item.overdue)


def dispatch_groups(
    needs: QuerySet[CoordinationNeed], *, today: dt.date | None = None
) -> list[DispatchGroup]:
    """The needs (ordered by due date by dispatch_needs) grouped by responsible department, each flagged when
    overdue. Departments are sorted here, not by the database, so every database lists them in one order."""
    today = today or timezone.localdate()
    groups: dict[str, list[DispatchItem]] = {}
    for need in needs:
        overdue = (today - need.due_on).days if need.due_on and need.due_on < today else 0
        groups.setdefault(need.department, []).append(DispatchItem(need, overdue))
    return [DispatchGroup(department, groups[department]) for department in sorted(groups)]
