"""lead_advance and lead_create: every rule of the two tracks, each bad input with its exact message and no write."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation

from accounts.models import Unit, UnitMembership
from accounts.roles import Role
from core.errors import ApplicationError, IllegalStateError
from directory.models import Carrier
from directory.services import carrier_create
from projects import services
from projects.models import Lead, LeadCodeSequence, LeadType, Signing, SourceChannel
from projects.stages import Stage
from tests.factories import VALID_USCC, join, make_lead, make_organization, make_unit, make_user

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def team():
    bureau = make_unit("局", kind=Unit.Kind.BUREAU)
    unit = make_unit("香港合作处", parent=bureau)
    officer = join(make_user(Role.OFFICER, username="officer"), unit)
    manager = join(make_user(Role.MANAGER, username="manager"), unit, UnitMembership.Role.HEAD)
    return {"unit": unit, "officer": officer, "manager": manager}


@pytest.fixture
def lead(team):
    return make_lead(owner=team["officer"], unit=team["unit"], name="港科大 量子计算研发团队")


def ago(**kwargs) -> dt.datetime:
    return timezone.now() - dt.timedelta(**kwargs)


def pdf(lead, actor, name="agreement.pdf"):
    return services.document_upload(actor=actor, lead=lead, file=SimpleUploadedFile(name, PDF), title=name)


def advance(lead, stage, actor, *, days_ago=0, **evidence):
    when = ago(days=days_ago) if days_ago else timezone.now()
    return services.lead_advance(lead=lead, to_stage=stage, actor=actor, occurred_at=when, evidence=evidence)


def test_a_new_lead_gets_a_yearly_code_and_its_first_stage_change(team):
    first = make_lead(owner=team["officer"], unit=team["unit"])
    second = make_lead(owner=team["officer"], unit=team["unit"])
    year = timezone.localdate().year
    assert (first.code, second.code) == (f"HK-{year}-0001", f"HK-{year}-0002")
    change = first.stage_changes.get()
    assert (change.from_stage, change.to_stage, change.actor) == ("", Stage.LEAD, team["officer"])
    assert first.history.get().history_type == "+"


def test_a_talent_lead_starts_on_the_talent_track(team):
    talent = make_lead(owner=team["officer"], unit=team["unit"], lead_type=LeadType.TALENT)
    assert (talent.track, talent.stage) == ("talent", Stage.T_LEAD)


def test_an_organization_lead_without_its_hk_organization_is_refused_and_spends_no_code(team):
    with pytest.raises(ApplicationError) as error:
        services.lead_create(
            actor=team["officer"],
            name="无机构线索",
            lead_type=LeadType.STARTUP,
            owning_unit=team["unit"],
            source_channel=SourceChannel.EVENT,
        )
    assert error.value.message == "To enter “Lead” this lead still needs the Hong Kong organization."
    assert Lead.objects.count() == 0
    assert not LeadCodeSequence.objects.filter(last__gt=0).exists()


def test_a_talent_lead_without_its_talent_is_refused(team):
    with pytest.raises(ApplicationError, match="A talent-track lead needs the talent it is about."):
        services.lead_create(
            actor=team["officer"],
            name="人才线索",
            lead_type=LeadType.TALENT,
            owning_unit=team["unit"],
            source_channel=SourceChannel.EVENT,
        )
    assert Lead.objects.count() == 0


def test_a_forward_move_with_its_evidence_records_a_stage_change_and_history(lead, team):
    change = advance(
        lead, Stage.QUALIFIED, team["officer"], assessment="产业契合，技术领先", decision="follow"
    )
    lead.refresh_from_db()
    assert (lead.stage, lead.stage_entered_at) == (Stage.QUALIFIED, change.occurred_at)
    assert (change.from_stage, change.to_stage) == (Stage.LEAD, Stage.QUALIFIED)
    assert change.evidence == {"assessment": "产业契合，技术领先", "decision": "follow"}
    assert [h.stage for h in lead.history.order_by("history_id")] == [Stage.LEAD, Stage.QUALIFIED]


def test_a_skip_needs_only_the_target_stages_evidence(lead, team):
    carrier = carrier_create(name="苏州工业园区", kind=Carrier.Kind.DISTRICT)
    advance(
        lead,
        Stage.VISITED,
        team["officer"],
        visit_date=timezone.localdate().isoformat(),
        carrier_ids=[carrier.pk],
    )
    lead.refresh_from_db()
    assert lead.stage == Stage.VISITED


def test_missing_evidence_names_everything_that_is_missing_and_writes_nothing(lead, team):
    with pytest.raises(ApplicationError) as error:
        advance(lead, Stage.REGISTERED, team["officer"])
    assert error.value.message == (
        "To enter “Registered” this lead still needs the unified social credit code; the registration date; "
        "the business licence."
    )
    assert lead.stage_changes.count() == 1
    lead.refresh_from_db()
    assert lead.stage == Stage.LEAD


def test_a_wrong_credit_code_is_refused_with_the_reason(lead, team):
    document = pdf(lead, team["officer"])
    with pytest.raises(ApplicationError) as error:
        advance(
            lead,
            Stage.REGISTERED,
            team["officer"],
            uscc=VALID_USCC[:-1] + ("0" if VALID_USCC[-1] != "0" else "1"),
            registration_date="2026-01-05",
            document_ids=[document.pk],
        )
    assert "fails the check character of a unified social credit code" in error.value.message


def test_registration_evidence_becomes_the_leads_facts_and_attaches_the_licence(lead, team):
    document = pdf(lead, team["officer"], "licence.pdf")
    change = advance(
        lead,
        Stage.REGISTERED,
        team["officer"],
        uscc=VALID_USCC.lower(),
        registration_date=timezone.localdate().isoformat(),
        document_ids=[document.pk],
    )
    lead.refresh_from_db()
    document.refresh_from_db()
    assert (lead.uscc, lead.registered_on) == (VALID_USCC, timezone.localdate())
    assert (document.stage_change, document.attached) == (change, True)


def test_a_document_of_another_lead_cannot_be_cited(lead, team):
    other = make_lead(owner=team["officer"], unit=team["unit"])
    foreign = pdf(other, team["officer"])
    with pytest.raises(ApplicationError) as error:
        advance(lead, Stage.NEGOTIATING, team["officer"], document_ids=[foreign.pk])
    assert error.value.message == "a letter of intent: Only documents uploaded to this lead can be cited."
    assert lead.stage_changes.count() == 1


def test_negotiating_accepts_a_needs_list_instead_of_a_letter_of_intent(lead, team):
    advance(lead, Stage.NEGOTIATING, team["officer"], needs_list="500 m² 湿实验室；人才公寓 3 套")
    other = make_lead(owner=team["officer"], unit=team["unit"])
    with pytest.raises(ApplicationError) as error:
        advance(other, Stage.NEGOTIATING, team["officer"])
    assert (
        error.value.message
        == "To enter “Negotiating” this lead still needs a needs list or a letter of intent."
    )


def test_a_move_cannot_be_dated_in_the_future(lead, team):
    with pytest.raises(ApplicationError, match="A stage change cannot be dated in the future."):
        services.lead_advance(
            lead=lead,
            to_stage=Stage.QUALIFIED,
            actor=team["officer"],
            occurred_at=timezone.now() + dt.timedelta(hours=1),
            evidence={"assessment": "x", "decision": "follow"},
        )


def test_a_move_cannot_be_dated_before_the_previous_one(lead, team):
    with pytest.raises(ApplicationError, match="cannot be dated before the previous one"):
        advance(lead, Stage.QUALIFIED, team["officer"], days_ago=30, assessment="x", decision="follow")
    assert lead.stage_changes.count() == 1


def test_an_officer_cannot_move_a_lead_backward(lead, team):
    advance(lead, Stage.QUALIFIED, team["officer"], assessment="x", decision="follow")
    with pytest.raises(ApplicationError, match="Only a manager can move a lead back to an earlier stage."):
        services.lead_advance(lead=lead, to_stage=Stage.LEAD, actor=team["officer"], note="研判有误")
    lead.refresh_from_db()
    assert lead.stage == Stage.QUALIFIED


def test_a_manager_moves_backward_only_with_a_reason(lead, team):
    advance(lead, Stage.QUALIFIED, team["officer"], assessment="x", decision="follow")
    with pytest.raises(ApplicationError, match="Say why the lead moves back to an earlier stage."):
        services.lead_advance(lead=lead, to_stage=Stage.LEAD, actor=team["manager"])
    change = services.lead_advance(
        lead=lead, to_stage=Stage.LEAD, actor=team["manager"], note="研判需补充材料"
    )
    assert (change.from_stage, change.to_stage, change.note, change.evidence) == (
        Stage.QUALIFIED,
        Stage.LEAD,
        "研判需补充材料",
        {},
    )


@pytest.mark.parametrize(
    ("status", "label"),
    [
        ("lost", "Lost"),
        ("merged", "Merged into another lead"),
        ("transferred", "Transferred, awaiting acceptance"),
    ],
)
def test_a_lost_merged_or_transferred_lead_cannot_move(lead, team, status, label):
    Lead.objects.filter(pk=lead.pk).update(status=status, lost_reason="poor_fit")
    with pytest.raises(IllegalStateError) as error:
        advance(lead, Stage.QUALIFIED, team["officer"], assessment="x", decision="follow")
    assert error.value.message == f"A lead that is “{label}” cannot change stage."


def test_a_stage_of_the_other_track_is_refused(lead, team):
    with pytest.raises(ApplicationError, match="“T_ARRIVED” is not a stage of this lead's track."):
        advance(lead, Stage.T_ARRIVED, team["officer"])


def test_stage_changes_are_append_only(lead):
    change = lead.stage_changes.get()
    change.note = "rewritten"
    with pytest.raises(ValueError, match="append-only"):
        change.save()


def test_signed_needs_a_signing_that_carries_its_agreement(lead, team):
    investor = make_organization("HKSTP", "香港科技园公司")
    bare = services.signing_create(
        actor=team["officer"],
        lead=lead,
        signed_on=timezone.localdate(),
        investor=investor,
        amount=Decimal("5000000"),
        currency="CNY",
    )
    with pytest.raises(ApplicationError) as error:
        advance(lead, Stage.SIGNED, team["officer"], signing_id=bare.pk)
    assert error.value.message == (
        "a signing of this lead with its agreement document: Attach the signed agreement to the signing first."
    )
    other_investor = make_organization("CUHK", "香港中文大学")
    signed = services.signing_create(
        actor=team["officer"],
        lead=lead,
        signed_on=timezone.localdate(),
        investor=other_investor,
        amount=Decimal("1000000"),
        currency="HKD",
        documents=[pdf(lead, team["officer"])],
    )
    advance(lead, Stage.SIGNED, team["officer"], signing_id=signed.pk)
    lead.refresh_from_db()
    assert lead.stage == Stage.SIGNED


def test_one_new_signing_per_lead_and_investor_and_only_the_first_credits_its_event(lead, team):
    from talent.models import RecruitmentEvent

    day = timezone.localdate()
    fair = RecruitmentEvent.objects.create(name="苏港创新合作交流会", starts_on=day, ends_on=day)
    roadshow = RecruitmentEvent.objects.create(name="高校成果对接会", starts_on=day, ends_on=day)
    hkstp, cuhk = make_organization("HKSTP", "香港科技园公司"), make_organization("CUHK", "香港中文大学")
    first = services.signing_create(
        actor=team["officer"],
        lead=lead,
        signed_on=day - dt.timedelta(days=2),
        investor=hkstp,
        amount=Decimal("1"),
        currency="CNY",
        event=fair,
    )
    with pytest.raises(IllegalStateError) as error:
        services.signing_create(
            actor=team["officer"],
            lead=lead,
            signed_on=day,
            investor=hkstp,
            amount=Decimal("2"),
            currency="CNY",
        )
    assert "already has a new signing on this lead" in error.value.message
    second_investor = services.signing_create(
        actor=team["officer"],
        lead=lead,
        signed_on=day,
        investor=cuhk,
        amount=Decimal("3"),
        currency="CNY",
        event=roadshow,
    )
    increase = services.signing_create(
        actor=team["officer"],
        lead=lead,
        signed_on=day,
        investor=hkstp,
        amount=Decimal("4"),
        currency="CNY",
        kind=Signing.Kind.CAPITAL_INCREASE,
        event=roadshow,
    )
    resign = services.signing_create(
        actor=team["officer"],
        lead=lead,
        signed_on=day,
        investor=cuhk,
        amount=Decimal("5"),
        currency="CNY",
        kind=Signing.Kind.RESIGN,
        event=roadshow,
    )
    assert [s.credited_event for s in (first, second_investor, increase, resign)] == [
        fair,
        None,
        None,
        roadshow,
    ]
    assert Signing.objects.filter(lead=lead).count() == 4


def test_a_signing_dated_in_the_future_is_refused(lead, team):
    with pytest.raises(ApplicationError, match="This date cannot be in the future."):
        services.signing_create(
            actor=team["officer"],
            lead=lead,
            signed_on=timezone.localdate() + dt.timedelta(days=1),
            investor=make_organization(),
            amount=Decimal("1"),
            currency="CNY",
        )


def test_capital_injections_record_money_in_place(lead, team):
    injection = services.capital_injection_create(
        actor=team["officer"],
        lead=lead,
        received_on=timezone.localdate(),
        amount=Decimal("1000000.50"),
        currency="CNY",
        documents=[pdf(lead, team["officer"], "receipt.pdf")],
    )
    assert injection.documents.get().attached is True
    assert injection.history.get().history_type == "+"


@pytest.fixture
def talent_lead(team):
    return make_lead(
        owner=team["officer"],
        unit=team["unit"],
        lead_type=LeadType.TALENT,
        hk_organization=make_organization(),
        occurred_at=ago(days=500),
    )


def _arrive(lead, actor, *, days_ago):
    return advance(
        lead,
        Stage.T_ARRIVED,
        actor,
        days_ago=days_ago,
        start_date=(timezone.localdate() - dt.timedelta(days=days_ago)).isoformat(),
        employer="苏州某研究院",
        employment="full_time",
    )


def test_retention_is_refused_before_twelve_months_after_arrival(talent_lead, team):
    _arrive(talent_lead, team["officer"], days_ago=200)
    with pytest.raises(ApplicationError, match="Retention can be recorded from .*, 12 months after arrival."):
        advance(talent_lead, Stage.T_RETAINED, team["officer"])
    talent_lead.refresh_from_db()
    assert talent_lead.stage == Stage.T_ARRIVED


def test_retention_is_allowed_a_year_after_arrival(talent_lead, team):
    _arrive(talent_lead, team["officer"], days_ago=370)
    advance(talent_lead, Stage.T_RETAINED, team["officer"])
    talent_lead.refresh_from_db()
    assert talent_lead.stage == Stage.T_RETAINED


def test_retention_without_arrival_is_refused(talent_lead, team):
    with pytest.raises(ApplicationError, match="only after arriving"):
        advance(talent_lead, Stage.T_RETAINED, team["officer"])


def test_a_talent_founding_a_company_creates_the_linked_organization_lead(talent_lead, team):
    change = advance(
        talent_lead, Stage.T_FOUNDED, team["officer"], new_company_name="苏州量子智造科技有限公司"
    )
    company = Lead.objects.get(name="苏州量子智造科技有限公司")
    assert (company.track, company.stage, company.founded_from) == ("org", Stage.LEAD, talent_lead)
    assert (company.owner, company.owning_unit) == (talent_lead.owner, talent_lead.owning_unit)
    assert change.evidence["linked_lead_id"] == company.pk


def test_a_talent_founding_can_cite_an_existing_company_lead(talent_lead, lead, team):
    advance(talent_lead, Stage.T_FOUNDED, team["officer"], linked_lead_id=lead.pk)
    lead.refresh_from_db()
    assert lead.founded_from == talent_lead


def test_talent_interest_must_be_one_of_the_kinds(talent_lead, team):
    with pytest.raises(ApplicationError) as error:
        advance(talent_lead, Stage.T_INTERESTED, team["officer"], interest_type="holiday")
    assert error.value.message.startswith(
        "the kind of interest: “holiday” is not one of: full_time (full-time post)"
    )


def test_engaged_needs_a_two_way_activity_logged_on_this_lead(lead, team):
    note = services.activity_log(
        actor=team["officer"], lead=lead, kind="note", occurred_at=ago(hours=2), summary="内部讨论"
    )
    with pytest.raises(ApplicationError, match="Cite a call, meeting, visit or message logged on this lead."):
        advance(lead, Stage.ENGAGED, team["officer"], activity_id=note.pk)
    call = services.activity_log(
        actor=team["officer"],
        lead=lead,
        kind="call",
        occurred_at=ago(hours=1),
        summary="与 PI 通话，确认来苏意向",
    )
    advance(lead, Stage.ENGAGED, team["officer"], activity_id=call.pk)
    lead.refresh_from_db()
    assert lead.stage == Stage.ENGAGED


def test_logging_an_activity_moves_last_activity_forward_never_back(lead, team):
    recent = ago(hours=1)
    services.activity_log(actor=team["officer"], lead=lead, kind="call", occurred_at=recent, summary="电话")
    services.activity_log(
        actor=team["officer"], lead=lead, kind="email", occurred_at=ago(days=3), summary="补录"
    )
    lead.refresh_from_db()
    assert lead.last_activity_at == recent
