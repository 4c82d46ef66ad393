"""Writing planned leads through the services alone, every lead's steps merged in time order (so codes follow
registration dates): the data is exactly what staff could have entered."""

from __future__ import annotations

import heapq
import itertools
import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile

from projects import services
from projects.demo.planning import (
    BLOCKERS,
    DOCUMENT_TITLES,
    MILESTONE_NOTES,
    Catalog,
    Facts,
    Move,
    Plan,
    completed_moment,
    milestone_outcome,
    move_facts,
    next_step_of,
    pdf_bytes,
)
from projects.models import Activity, Document, Lead, LeadContact, Milestone
from projects.services.handover import handover_accept, handover_decline, handover_request
from projects.stages import Track


def write_with_services(plans: list[Plan], catalog: Catalog) -> None:
    """Run every plan's steps through the services, all leads merged in time order."""
    steps = heapq.merge(*(_service_steps(plan, index, catalog) for index, plan in enumerate(plans)))
    for _at, _index, _number, step in steps:
        step()
    _hand_overs(plans, catalog)


def _hand_overs(plans: list[Plan], catalog: Catalog) -> None:
    """Three negotiating leads of the Hong Kong division offered to the park's carrier team: one accepted,
    one declined, one still waiting for the team's answer."""
    offered = [
        plan
        for plan in plans
        if plan.unit_key == "hk" and plan.status == Lead.Status.ACTIVE and plan.track == Track.ORGANIZATION
    ][:3]
    team, director = catalog.units["sip_team"], catalog.managers["director"]
    for number, plan in enumerate(offered):
        lead = Lead.objects.get(pk=plan.lead.pk)
        handover = handover_request(
            actor=plan.owner, lead=lead, to_unit=team, note="项目需要园区载体团队跟进场地与落地服务。"
        )
        if number == 0:
            handover_accept(
                actor=director,
                handover=handover,
                owner=catalog.staff_by_unit["sip_team"][0],
                note="同意接收。",
            )
        elif number == 1:
            handover_decline(actor=director, handover=handover, note="载体暂无合适场地，请继续由招商处跟进。")


def _service_steps(plan: Plan, index: int, catalog: Catalog):
    """One lead's service calls as (when, lead index, step number, call), in the order they happen."""
    rng = random.Random(plan.seed)
    milestone_rng = random.Random(plan.seed + 1)  # its own stream: the moves' draws stay as they were
    counter = itertools.count()
    director = catalog.managers["director"]

    def create() -> None:
        fields = {"hk_organization": plan.org, "sector": plan.sector, "confidential": plan.confidential}
        if plan.track == Track.TALENT:
            fields["subject_contact"] = plan.contact
        plan.lead = services.lead_create(
            actor=plan.owner,
            owner=plan.owner,
            name=plan.names[0],
            name_zh_hant=plan.names[1],
            name_en=plan.names[2],
            lead_type=plan.lead_type,
            source_channel=plan.channel,
            source_event=plan.event,
            owning_unit=catalog.units[plan.unit_key],
            co_owners=plan.co_owners,
            priority=plan.priority,
            occurred_at=plan.created_at,
            **fields,
            **plan.details,
        )
        if plan.pi is not None:
            services.lead_contact_add(
                actor=plan.owner, lead=plan.lead, contact=plan.pi, role=LeadContact.Role.PI
            )

    def advance(move: Move, facts: Facts) -> None:
        lead = plan.lead
        if move.backward:
            note = facts.data["note"]
            services.lead_advance(
                lead=lead, to_stage=move.stage, actor=director, occurred_at=move.at, note=note
            )
            return
        evidence = dict(facts.data)
        if facts.activity:
            kind, when, summary = facts.activity
            activity = services.activity_log(
                actor=plan.owner, lead=lead, kind=kind, occurred_at=when, summary=summary
            )
            if facts.cite_activity:
                evidence["activity_id"] = activity.pk
        if facts.document:
            document = _upload(plan, facts.document)
            if facts.signing:
                signed_on, amount, currency, event = facts.signing
                plan.signing = services.signing_create(
                    actor=plan.owner,
                    lead=lead,
                    signed_on=signed_on,
                    investor=plan.org,
                    amount=amount,
                    currency=currency,
                    event=event,
                    documents=[document],
                )
                evidence["signing_id"] = plan.signing.pk
            else:
                evidence["document_ids"] = [document.pk]
        if facts.link_company:
            evidence["linked_lead_id"] = plan.company.lead.pk
        services.lead_advance(
            lead=lead, to_stage=move.stage, actor=plan.owner, occurred_at=move.at, evidence=evidence
        )

    def follow_up(when: datetime) -> None:
        # The latest follow-up of a lead still being worked names the next step, as officers log it.
        last = when == plan.follow_ups[-1] and plan.status == Lead.Status.ACTIVE
        services.activity_log(
            actor=plan.owner,
            lead=plan.lead,
            kind=Activity.Kind.WECHAT,
            occurred_at=when,
            summary="例行跟进，了解最新进展。",
            next_step=next_step_of(plan) if last else "",
            next_step_on=(when + timedelta(days=7)).date() if last else None,
        )

    def inject(received_on: date, amount: Decimal) -> None:
        receipt = _upload(plan, "receipt")
        currency = plan.signing.currency if plan.signing else "CNY"
        services.capital_injection_create(
            actor=plan.owner,
            lead=plan.lead,
            received_on=received_on,
            amount=amount,
            currency=currency,
            documents=[receipt],
        )

    def work_milestones() -> None:
        # Today's state of the checklist: most past lines done, some overdue, a few blocked.
        today = catalog.latest.date()
        checklist = Milestone.objects.filter(lead=plan.lead).select_related("template").order_by("pk")
        for milestone in checklist:
            assert milestone.starts_on is not None  # set on every milestone a move creates
            outcome, day = milestone_outcome(
                milestone_rng, starts_on=milestone.starts_on, due_on=milestone.due_on, today=today
            )
            if outcome in {"done", "na"} and day is not None:
                services.milestone_complete(
                    milestone=milestone,
                    actor=plan.owner,
                    evidence_note=milestone_rng.choice(MILESTONE_NOTES),
                    not_applicable=outcome == "na",
                    completed_at=completed_moment(day, catalog.latest),
                )
            elif outcome == "blocked":
                services.milestone_block(
                    milestone=milestone, actor=plan.owner, note=milestone_rng.choice(BLOCKERS)
                )

    def settle() -> None:
        work_milestones()
        lead = Lead.objects.get(pk=plan.lead.pk)  # the services saved newer stage fields than plan.lead holds
        if plan.status == Lead.Status.LOST:
            services.lead_mark_lost(actor=plan.owner, lead=lead, **plan.status_fields)
        elif plan.status == Lead.Status.PAUSED:
            services.lead_pause(actor=plan.owner, lead=lead, **plan.status_fields)

    yield plan.created_at, index, next(counter), create
    previous = plan.created_at
    for move in plan.moves:
        facts = move_facts(rng, plan, move, previous, catalog)
        yield move.at, index, next(counter), lambda move=move, facts=facts: advance(move, facts)
        previous = move.at
    events = [(w, lambda w=w: follow_up(w)) for w in plan.follow_ups]
    events += [
        (datetime.combine(on, time(16), tzinfo=previous.tzinfo), lambda on=on, a=a: inject(on, a))
        for on, a in plan.injections
    ]
    for when, step in sorted(events, key=lambda e: e[0]):
        yield max(when, previous), index, next(counter), step
    yield catalog.latest, index, next(counter), settle


def _upload(plan: Plan, key: str) -> Document:
    kind, title = DOCUMENT_TITLES[key]
    code = plan.lead.code
    file = SimpleUploadedFile(
        f"{key}-{code}.pdf",
        pdf_bytes(f"Suzhou-HK Pipeline demo {key} for {code}, fictional"),
        "application/pdf",
    )
    return services.document_upload(
        actor=plan.owner, lead=plan.lead, file=file, title=f"{title}（{code}）", kind=kind
    )
