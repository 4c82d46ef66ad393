"""Writing planned leads with bulk_create in rounds, for benchmark volumes: the same kinds of rows the services
write, with history rows alongside, checked afterwards by projects.invariants."""

from __future__ import annotations

import random
import secrets
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.db.models import Max
from django.utils import timezone

from accounts.models import User
from directory.models import Region
from directory.services import WorkingCalendar
from projects.demo.planning import (
    BLOCKERS,
    DOCUMENT_TITLES,
    MILESTONE_NOTES,
    Catalog,
    Plan,
    completed_moment,
    milestone_outcome,
    move_facts,
    next_step_of,
    pdf_bytes,
)
from projects.models import (
    Activity,
    AftercareTouchpoint,
    CapitalInjection,
    Document,
    Lead,
    LeadCodeSequence,
    LeadContact,
    Milestone,
    MilestoneTemplate,
    Signing,
    StageChange,
)
from projects.services.merge import lead_fill_name_keys
from projects.services.milestones import (
    AFTERCARE_STAGES,
    active_templates,
    aftercare_planned,
    milestones_planned,
)
from projects.stages import TRACK_STAGES, Stage

HISTORY_MODELS = (
    Lead,
    LeadContact,
    Activity,
    Signing,
    CapitalInjection,
    Document,
    Milestone,
    AftercareTouchpoint,
)


@dataclass
class _Checklists:
    """What the milestone rows of every lead are made from, loaded once for all rounds."""

    templates: list[MilestoneTemplate]
    calendar: WorkingCalendar
    today: date
    latest: datetime


class _Ids:
    """Primary keys handed out before the inserts, so rows can cite each other in one pass (a stage change cites
    its documents, a document points back at its stage change) without an UPDATE per row."""

    def __init__(self) -> None:
        self._free: dict[type, list[int]] = defaultdict(list)
        self._next_sqlite: dict[type, int] = {}

    def take(self, model: type) -> int:
        free = self._free[model]
        if not free:
            free.extend(reversed(self._reserve(model, 10_000)))
        return free.pop()

    def _reserve(self, model: type, count: int) -> list[int]:
        if connection.vendor == "postgresql":
            # nextval keeps the sequence ahead of every id used here, so later inserts by the services never
            # collide; generate_series gets the whole block in one round trip.
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                    [model._meta.db_table, count],
                )
                return [row[0] for row in cursor.fetchall()]
        # SQLite: seed_demo holds the write lock for its whole transaction, so the next ids are ours.
        start = self._next_sqlite.get(model) or (model.objects.aggregate(top=Max("pk"))["top"] or 0) + 1
        self._next_sqlite[model] = start + count
        return list(range(start, start + count))


def write_bulk(plans: list[Plan], catalog: Catalog, *, chunk: int) -> dict[str, int]:
    """Insert the plans' rows, `chunk` leads per round; return the rows written per model."""
    # Codes follow registration dates, as lead_next_code hands them out.
    plans.sort(key=lambda plan: plan.created_at)
    sequences = dict(LeadCodeSequence.objects.values_list("year", "last"))
    files = _shared_files()
    checklists = _Checklists(
        templates=active_templates(),
        calendar=WorkingCalendar(Region.MAINLAND),
        today=catalog.latest.date(),
        latest=catalog.latest,
    )
    ids = _Ids()
    for plan in plans:
        plan.pk = ids.take(Lead)  # a talent's founding cites the company's lead, written in a later round
    counts: dict[str, int] = defaultdict(int)
    for start in range(0, len(plans), chunk):
        rows: dict[type, list] = defaultdict(list)
        for plan in plans[start : start + chunk]:
            _bulk_rows(plan, rows, ids, sequences, files, catalog, checklists)
        for model in (
            Lead,
            Lead.co_owners.through,
            LeadContact,
            Activity,
            Signing,
            CapitalInjection,
            StageChange,
            Document,
            Milestone,
            AftercareTouchpoint,
        ):
            objs = rows[model]
            model.objects.bulk_create(objs, batch_size=1000)
            if model in HISTORY_MODELS:
                model.history.bulk_history_create(objs, batch_size=1000)
            counts[model.__name__] += len(objs)
    for year, last in sorted(sequences.items()):
        LeadCodeSequence.objects.update_or_create(year=year, defaults={"last": last})
    return dict(counts)


def _shared_files() -> dict[str, tuple[str, int]]:
    """One stored PDF per kind of document, shared by every bulk row of that kind: {key: (name, size)}."""
    files = {}
    for key in DOCUMENT_TITLES:
        content = pdf_bytes(f"Suzhou-HK Pipeline demo {key}, fictional")
        name = f"documents/demo/{key}.pdf"
        if not default_storage.exists(name):
            name = default_storage.save(name, ContentFile(content))
        files[key] = (name, len(content))
    return files


def _bulk_rows(
    plan: Plan,
    rows: dict[type, list],
    ids: _Ids,
    sequences: dict[int, int],
    files: dict[str, tuple[str, int]],
    catalog: Catalog,
    checklists: _Checklists,
) -> None:
    """The rows the services would have written for `plan`, appended to `rows`."""
    rng = random.Random(plan.seed)
    milestone_rng = random.Random(plan.seed + 1)  # drawn in the order service_writes draws it
    had_templates: set[int] = set()
    had_aftercare: set[int] = set()
    year = timezone.localdate(plan.created_at).year
    sequences[year] = sequences.get(year, 0) + 1
    first = TRACK_STAGES[plan.track][0]
    lead = Lead(
        id=plan.pk,
        founded_from_id=plan.founder.pk if plan.founder else None,
        code=f"HK-{year}-{sequences[year]:04d}",
        name=plan.names[0],
        name_zh_hant=plan.names[1],
        name_en=plan.names[2],
        lead_type=plan.lead_type,
        track=plan.track,
        subject_contact=plan.contact,
        hk_organization=plan.org,
        sector=plan.sector,
        source_channel=plan.channel,
        source_event=plan.event,
        owner=plan.owner,
        owning_unit=catalog.units[plan.unit_key],
        stage=first,
        stage_entered_at=plan.created_at,
        priority=plan.priority,
        confidential=plan.confidential,
        **plan.details,
    )
    lead_fill_name_keys(lead)  # as lead_create does: duplicate detection compares these
    plan.lead = lead
    rows[Lead].append(lead)
    through = Lead.co_owners.through
    rows[through].extend(through(lead_id=lead.id, user_id=user.pk) for user in plan.co_owners)
    if plan.pi is not None:
        rows[LeadContact].append(
            LeadContact(id=ids.take(LeadContact), lead=lead, contact=plan.pi, role=LeadContact.Role.PI)
        )

    def change(
        to_stage: str, at: datetime, actor: User, evidence: dict, note: str = "", pk: int | None = None
    ) -> None:
        rows[StageChange].append(
            StageChange(
                id=pk or ids.take(StageChange),
                lead=lead,
                # The registration is the lead's first change; every later one starts where the last ended.
                from_stage=lead.stage if rows_of_lead else "",
                to_stage=to_stage,
                actor=actor,
                occurred_at=at,
                note=note,
                evidence=evidence,
            )
        )
        rows_of_lead.append(to_stage)
        lead.stage, lead.stage_entered_at = to_stage, at
        if not note:  # a forward move: what lead_advance's milestones_for_move and aftercare_for_move add
            checklist(rows[StageChange][-1])

    def checklist(made_by: StageChange) -> None:
        start = timezone.localdate(made_by.occurred_at)
        for milestone in milestones_planned(
            lead=lead,
            to_stage=made_by.to_stage,
            start=start,
            had=had_templates,
            calendar=checklists.calendar,
            templates=checklists.templates,
        ):
            milestone.id, milestone.anchor_change = ids.take(Milestone), made_by
            outcome, day = milestone_outcome(
                milestone_rng, starts_on=start, due_on=milestone.due_on, today=checklists.today
            )
            if outcome in {"done", "na"} and day is not None:
                milestone.status = (
                    Milestone.Status.DONE if outcome == "done" else Milestone.Status.NOT_APPLICABLE
                )
                milestone.evidence_note = milestone_rng.choice(MILESTONE_NOTES)
                milestone.completed_at = completed_moment(day, checklists.latest)
                milestone.completed_by = plan.owner
            elif outcome == "blocked":
                milestone.status = Milestone.Status.BLOCKED
                milestone.blocker_note = milestone_rng.choice(BLOCKERS)
            had_templates.add(milestone.template_id)
            rows[Milestone].append(milestone)
        if made_by.to_stage in AFTERCARE_STAGES:
            touchpoints = aftercare_planned(lead=lead, start=start, had=had_aftercare)
            for touchpoint in touchpoints:
                touchpoint.id = ids.take(AftercareTouchpoint)
                had_aftercare.add(touchpoint.months)
            rows[AftercareTouchpoint].extend(touchpoints)

    def activity(kind: str, at: datetime, summary: str) -> Activity:
        row = Activity(
            id=ids.take(Activity),
            lead=lead,
            kind=kind,
            occurred_at=at,
            summary=summary,
            created_by=plan.owner,
        )
        rows[Activity].append(row)
        lead.last_activity_at = max(filter(None, [lead.last_activity_at, at]))
        return row

    def document(key: str, **link: Any) -> Document:
        kind, title = DOCUMENT_TITLES[key]
        name, size = files[key]
        row = Document(
            id=ids.take(Document),
            lead=lead,
            kind=kind,
            title=f"{title}（{lead.code}）",
            token=secrets.token_hex(16),
            file=name,
            original_name=f"{key}-{lead.code}.pdf",
            content_type="application/pdf",
            size=size,
            attached=True,
            uploaded_by=plan.owner,
            **link,
        )
        rows[Document].append(row)
        return row

    rows_of_lead: list[str] = []
    change(first, plan.created_at, plan.owner, {})
    previous = plan.created_at
    for move in plan.moves:
        facts = move_facts(rng, plan, move, previous, catalog)
        previous = move.at
        if move.backward:
            change(move.stage, move.at, catalog.managers["director"], {}, note=facts.data["note"])
            continue
        evidence = dict(facts.data)
        change_id = ids.take(StageChange)
        if facts.activity:
            cited = activity(*facts.activity)
            if facts.cite_activity:
                evidence["activity_id"] = cited.pk
        if facts.signing:
            signed_on, amount, currency, event = facts.signing
            plan.signing = Signing(
                id=ids.take(Signing),
                lead=lead,
                signed_on=signed_on,
                investor=plan.org,
                event=event,
                credited_event=event,
                amount=amount,
                currency=currency,
                created_by=plan.owner,
            )
            rows[Signing].append(plan.signing)
            document(facts.document, signing=plan.signing)
            evidence["signing_id"] = plan.signing.pk
        elif facts.document:
            evidence["document_ids"] = [document(facts.document, stage_change_id=change_id).pk]
        if facts.link_company:
            evidence["linked_lead_id"] = plan.company.pk
        # What lead_advance's _apply_facts copies onto the lead.
        if move.stage == Stage.REGISTERED:
            lead.uscc, lead.registered_on = (
                evidence["uscc"],
                date.fromisoformat(evidence["registration_date"]),
            )
        elif move.stage == Stage.MOVED_IN:
            lead.target_carrier = plan.carrier
        elif move.stage == Stage.OPERATING:
            lead.headcount_now = evidence["staff_on_site"]
        change(move.stage, move.at, plan.owner, evidence, pk=change_id)  # the id its documents point at
    for when in plan.follow_ups:
        row = activity(Activity.Kind.WECHAT, when, "例行跟进，了解最新进展。")
        if when == plan.follow_ups[-1] and plan.status == Lead.Status.ACTIVE:
            row.next_step, row.next_step_on = next_step_of(plan), (when + timedelta(days=7)).date()
    for received_on, amount in plan.injections:
        currency = plan.signing.currency if plan.signing else "CNY"
        injection = CapitalInjection(
            id=ids.take(CapitalInjection),
            lead=lead,
            received_on=received_on,
            amount=amount,
            currency=currency,
            created_by=plan.owner,
        )
        rows[CapitalInjection].append(injection)
        document("receipt", capital_injection=injection)
    fields = plan.status_fields
    lead.status = plan.status
    if plan.status == Lead.Status.LOST:
        lead.lost_reason, lead.lost_to, lead.status_note = fields["reason"], fields["lost_to"], fields["note"]
    elif plan.status == Lead.Status.PAUSED:
        lead.pause_reason, lead.resume_review_on = fields["reason"], fields["resume_review_on"]
        lead.status_note = fields["note"]
