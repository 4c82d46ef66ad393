"""The shared invariant checker (DESIGN §6): seeded and imported leads must be in states the services allow.

`seed_demo` and an import's commit step are the only bulk writers. The demo's bulk path runs
`lead_invariant_violations()` before it commits, an import's commit step is to run it over the leads it wrote, and
the tests run it over the demo. Each check is one query however many leads there are (window functions and
correlated subqueries, never a query per lead): 100,000 leads with a million stage changes take seconds.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery, Value, Window
from django.db.models.functions import Coalesce, Lag
from django.utils import timezone

from projects.models import Lead, Milestone, MilestoneTemplate, Signing, StageChange
from projects.stages import STAGES, TRACK_STAGES, stage_order


def lead_invariant_violations(queryset: QuerySet[Lead] | None = None) -> list[str]:
    """Every broken invariant among `queryset` (default: all leads), one message naming the lead code each."""
    leads = Lead.objects.all() if queryset is None else queryset
    # Unfiltered, the checks scan whole tables instead of joining against the list of every lead.
    changes = StageChange.objects.all()
    signings = Signing.objects.all()
    if queryset is not None:
        changes = changes.filter(lead__in=leads.values("pk"))
        signings = signings.filter(lead__in=leads.values("pk"))
    now = timezone.now()
    return [
        *_lead_state_violations(leads),
        *_chain_violations(changes),
        *_change_row_violations(changes, now),
        *_signing_violations(signings),
        *_milestone_violations(leads),
    ]


def _off_track(stage_field: str, track_field: str) -> Q:
    """True when the stage in `stage_field` is not a stage of the track in `track_field`."""
    return Q(
        *[
            Q(**{track_field: track}) & ~Q(**{f"{stage_field}__in": stages})
            for track, stages in TRACK_STAGES.items()
        ],
        _connector=Q.OR,
    )


def _lead_state_violations(leads: QuerySet[Lead]) -> list[str]:
    """The lead row against its own history: current stage and entry time come from the last change."""
    last = StageChange.objects.filter(lead=OuterRef("pk")).order_by("-occurred_at", "-pk")
    rows = (
        leads.annotate(
            last_to=Subquery(last.values("to_stage")[:1]),
            last_at=Subquery(last.values("occurred_at")[:1]),
        )
        .filter(
            Q(last_to__isnull=True)
            | ~Q(stage=F("last_to"))
            | ~Q(stage_entered_at=F("last_at"))
            | _off_track("stage", "track")
            | Q(status=Lead.Status.PAUSED, resume_review_on__isnull=True)
            | Q(status=Lead.Status.LOST, lost_reason="")
        )
        .order_by("code")
        .values(
            "code",
            "track",
            "stage",
            "stage_entered_at",
            "status",
            "resume_review_on",
            "lost_reason",
            "last_to",
            "last_at",
        )
    )
    problems = []
    for row in rows:
        code = row["code"]
        if row["last_to"] is None:
            problems.append(f"{code}: has no stage change")
        else:
            if row["stage"] != row["last_to"]:
                problems.append(
                    f"{code}: stage is {row['stage']} but its last stage change goes to {row['last_to']}"
                )
            if row["stage_entered_at"] != row["last_at"]:
                problems.append(
                    f"{code}: entered its stage at {_iso(row['stage_entered_at'])} but its last stage change "
                    f"is dated {_iso(row['last_at'])}"
                )
        if row["stage"] not in TRACK_STAGES[row["track"]]:
            problems.append(f"{code}: stage {row['stage']} is not a stage of the {row['track']} track")
        if row["status"] == Lead.Status.PAUSED and row["resume_review_on"] is None:
            problems.append(f"{code}: is paused without a review date")
        if row["status"] == Lead.Status.LOST and not row["lost_reason"]:
            problems.append(f"{code}: is lost without a reason")
    return problems


def _chain_violations(changes: QuerySet[StageChange]) -> list[str]:
    """Each change starts where the previous one (by occurred_at, pk) ended; dates never go back in the order
    the changes were recorded (pk), which is the order lead_advance checks them in."""
    by_time = {"partition_by": [F("lead_id")], "order_by": [F("occurred_at").asc(), F("pk").asc()]}
    by_record = {"partition_by": [F("lead_id")], "order_by": [F("pk").asc()]}
    rows = (
        changes.annotate(
            # The first change of a lead has no previous one: its from_stage must be empty.
            expected_from=Coalesce(Window(Lag("to_stage"), **by_time), Value("")),
            recorded_after=Window(Lag("occurred_at"), **by_record),
        )
        .filter(~Q(from_stage=F("expected_from")) | Q(occurred_at__lt=F("recorded_after")))
        .values(
            "lead__code", "pk", "from_stage", "to_stage", "occurred_at", "expected_from", "recorded_after"
        )
    )
    problems = []
    for row in sorted(rows, key=lambda r: (r["lead__code"], r["pk"])):
        code, move = row["lead__code"], f"{row['from_stage'] or '—'} → {row['to_stage']}"
        if row["from_stage"] != row["expected_from"]:
            expected = row["expected_from"] or "empty (the first change)"
            problems.append(f"{code}: stage change {move} should start from {expected}")
        if row["recorded_after"] is not None and row["occurred_at"] < row["recorded_after"]:
            problems.append(
                f"{code}: stage change {move} is dated {_iso(row['occurred_at'])}, before the change recorded "
                f"ahead of it ({_iso(row['recorded_after'])})"
            )
    return problems


def _change_row_violations(changes: QuerySet[StageChange], now: dt.datetime) -> list[str]:
    """Each change on its own: dated in the past, between stages of its lead's track."""
    rows = (
        changes.filter(
            Q(occurred_at__gt=now)
            | _off_track("to_stage", "lead__track")
            | (~Q(from_stage="") & _off_track("from_stage", "lead__track"))
        )
        .order_by("lead__code", "pk")
        .values("lead__code", "lead__track", "from_stage", "to_stage", "occurred_at")
    )
    problems = []
    for row in rows:
        code, track = row["lead__code"], row["lead__track"]
        move = f"{row['from_stage'] or '—'} → {row['to_stage']}"
        if row["occurred_at"] > now:
            problems.append(
                f"{code}: stage change {move} is dated in the future ({_iso(row['occurred_at'])})"
            )
        stray = [s for s in (row["from_stage"], row["to_stage"]) if s and s not in TRACK_STAGES[track]]
        if stray:
            problems.append(f"{code}: stage change {move} uses {', '.join(stray)}, not of the {track} track")
    return problems


def _signing_violations(signings: QuerySet[Signing]) -> list[str]:
    """One new signing per lead and investor (the database has the constraint; an import may stage around it)."""
    rows = (
        signings.filter(kind=Signing.Kind.NEW)
        .values("lead__code", "investor__name")
        .annotate(count=Count("pk"))
        .filter(count__gt=1)
        .order_by("lead__code", "investor__name")
    )
    return [
        f"{row['lead__code']}: {row['count']} new signings with {row['investor__name']}; only one is allowed"
        for row in rows
    ]


def _milestone_violations(leads: QuerySet[Lead]) -> list[str]:
    """Milestones present for every anchor passed by a non-imported move (DESIGN §6): each lead has a milestone
    of every active template of its track and type anchored above its last imported stage and at or below the
    furthest stage a live move reached.

    Two streams ordered by lead, read side by side (memory stays flat at 100,000 leads): each lead's furthest
    live stage and last imported stage, and the template ids of its milestones. Templates added after a lead
    passed their anchor are not created retroactively, so this holds for seeded and imported data, which is
    what it is run on.
    """
    templates = list(MilestoneTemplate.objects.filter(is_active=True))
    last_imported = StageChange.objects.filter(lead=OuterRef("pk"), imported=True).order_by(
        "-occurred_at", "-pk"
    )
    reached = (
        leads.exclude(status=Lead.Status.MERGED)
        .annotate(last_imported=Subquery(last_imported.values("to_stage")[:1]))
        .order_by("pk")
        .values_list("pk", "code", "track", "lead_type", "last_imported")
    )
    live_stages = (
        StageChange.objects.filter(imported=False, lead__in=leads.values("pk"))
        .values_list("lead_id", "to_stage")
        .distinct()
        .order_by("lead_id")
    )
    present = (
        Milestone.objects.filter(template__isnull=False, lead__in=leads.values("pk"))
        .order_by("lead_id")
        .values_list("lead_id", "template_id")
    )
    stages_of = _ByLead(live_stages.iterator(chunk_size=5000))
    templates_of = _ByLead(present.iterator(chunk_size=5000))
    problems = []
    for pk, code, track, lead_type, imported_to in reached.iterator(chunk_size=5000):
        stages = stages_of.take(pk)
        if not stages:
            continue
        furthest = max(stage_order(stage) for stage in stages if STAGES[stage].track == track)
        floor = stage_order(imported_to) if imported_to else -1
        expected = {
            t.pk: t.code
            for t in templates
            if (anchor := t.anchor_for(track))
            and floor < stage_order(anchor) <= furthest
            and t.applies_to(lead_type)
        }
        missing = sorted(code_ for pk_, code_ in expected.items() if pk_ not in templates_of.take(pk))
        if missing:
            problems.append(f"{code}: missing the milestones {', '.join(missing)} of the stages it reached")
    return problems


class _ByLead:
    """Values of a (lead id, value) stream ordered by lead id, handed out lead by lead in increasing order."""

    def __init__(self, rows) -> None:
        self._rows = iter(rows)
        self._pending = next(self._rows, None)
        self._cache: tuple[int, set] | None = None

    def take(self, lead_id: int) -> set:
        if self._cache and self._cache[0] == lead_id:
            return self._cache[1]
        values = set()
        while self._pending is not None and self._pending[0] <= lead_id:
            if self._pending[0] == lead_id:
                values.add(self._pending[1])
            self._pending = next(self._rows, None)
        self._cache = (lead_id, values)
        return values


def _iso(value: dt.datetime | None) -> str:
    return "—" if value is None else timezone.localtime(value).isoformat(timespec="seconds")
