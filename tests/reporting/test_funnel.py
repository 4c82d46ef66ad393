"""The funnel selector on hand-built cohorts where every number is known in advance.

The leads are registered through the factories (their first StageChange at a chosen moment) and their later
history is written as StageChange rows, with Lead.stage/status set to match the last one: the funnel reads the
stage log alone, plus the current stage and status.
"""

from __future__ import annotations

import datetime as dt
import itertools
from types import SimpleNamespace

import pytest
from django.utils import timezone

from accounts.models import Unit, UnitMembership, User
from accounts.roles import Role
from directory.models import Carrier, Sector
from directory.services import carrier_create, sector_create
from projects.models import Lead, LeadType, LostReason, PauseReason, SourceChannel, StageChange
from projects.stages import Stage, Track
from reporting.filters import ReportFilters
from reporting.funnel import funnel, funnel_leads
from talent.services.events import event_create
from tests.factories import join, make_lead, make_organization, make_unit, make_user

pytestmark = pytest.mark.django_db

MARCH = {"date_from": dt.date(2025, 3, 1), "date_to": dt.date(2025, 3, 31)}

LOST = {"status": Lead.Status.LOST, "lost_reason": LostReason.OTHER_LOCATION}
PAUSED = {
    "status": Lead.Status.PAUSED,
    "pause_reason": PauseReason.FINANCING,
    "resume_review_on": dt.date(2025, 9, 1),
}
TRANSFERRED = {"status": Lead.Status.TRANSFERRED}
MERGED = {"status": Lead.Status.MERGED}

_bulk_numbers = itertools.count(1)


@pytest.fixture(autouse=True)
def _no_report_cache(settings):
    settings.REPORT_CACHE_SECONDS = 0


def at(moment: str) -> dt.datetime:
    """A wall-clock moment in Suzhou (Asia/Shanghai), e.g. "2025-03-01 09:00"."""
    return timezone.make_aware(dt.datetime.fromisoformat(moment))


def march(**narrowing) -> ReportFilters:
    return ReportFilters(**MARCH, **narrowing)


def history(
    *moves: tuple[str, str],
    owner: User,
    unit: Unit,
    state: dict | None = None,
    lead_type: str | None = None,
    **fields,
) -> Lead:
    """A lead registered at moves[0] and moved through the rest, left in `state` (active by default). A lead
    starting at T_LEAD is a talent; any other a university team, unless `lead_type` says otherwise."""
    (first_stage, first_moment), *later = moves
    lead_type = lead_type or (LeadType.TALENT if first_stage == Stage.T_LEAD else LeadType.UNIVERSITY_TEAM)
    lead = make_lead(owner=owner, unit=unit, lead_type=lead_type, occurred_at=at(first_moment), **fields)
    assert lead.stage == first_stage
    previous = first_stage
    for stage, moment in later:
        StageChange.objects.create(
            lead=lead, from_stage=previous, to_stage=stage, actor=owner, occurred_at=at(moment)
        )
        previous = stage
    Lead.objects.filter(pk=lead.pk).update(
        stage=previous, stage_entered_at=at(moves[-1][1]), **(state or {"status": Lead.Status.ACTIVE})
    )
    return lead


def bulk_leads(count: int, *, owner: User, unit: Unit, moment: str) -> list[Lead]:
    """`count` organization leads registered at `moment` and still at LEAD, written in two bulk inserts."""
    numbers = [next(_bulk_numbers) for _ in range(count)]
    leads = Lead.objects.bulk_create(
        Lead(
            code=f"HK-BULK-{number:05d}",
            name=f"批量线索{number}",
            lead_type=LeadType.COMPANY,
            track=Track.ORGANIZATION,
            owner=owner,
            owning_unit=unit,
            source_channel=SourceChannel.EVENT,
            stage=Stage.LEAD,
            stage_entered_at=at(moment),
        )
        for number in numbers
    )
    StageChange.objects.bulk_create(
        StageChange(lead=lead, from_stage="", to_stage=Stage.LEAD, actor=owner, occurred_at=at(moment))
        for lead in leads
    )
    return leads


def march_cohort(world) -> SimpleNamespace:
    """The hand-built dataset: leads of unit A owned by officer A. Durations in days are noted per move."""
    own = {"owner": world.a, "unit": world.unit_a}
    leads = SimpleNamespace(
        # Registered at 00:00 on `from` (16:00 UTC the day before: inside), then skips three stages.
        skipped=history(
            ("LEAD", "2025-03-01 00:00"),
            ("NEGOTIATING", "2025-03-03 00:00"),  # LEAD 2.0
            ("SIGNED", "2025-03-10 00:00"),  # NEGOTIATING 7.0
            ("REGISTERED", "2025-03-20 00:00"),  # SIGNED 10.0; never left
            **own,
        ),
        # Signed, then moved back: it still reached SIGNED; it is current at NEGOTIATING.
        backward=history(
            ("LEAD", "2025-03-02 09:00"),
            ("QUALIFIED", "2025-03-03 09:00"),  # LEAD 1.0
            ("ENGAGED", "2025-03-04 09:00"),  # QUALIFIED 1.0
            ("VISITED", "2025-03-05 09:00"),  # ENGAGED 1.0
            ("NEGOTIATING", "2025-03-06 09:00"),  # VISITED 1.0
            ("SIGNED", "2025-03-11 09:00"),  # NEGOTIATING 5.0
            ("NEGOTIATING", "2025-03-14 09:00"),  # SIGNED 3.0; the second NEGOTIATING never left
            **own,
        ),
        lost_engaged=history(
            ("LEAD", "2025-03-03 09:00"),
            ("QUALIFIED", "2025-03-06 09:00"),  # LEAD 3.0
            ("ENGAGED", "2025-03-08 09:00"),  # QUALIFIED 2.0
            state=LOST,
            **own,
        ),
        paused_qualified=history(
            ("LEAD", "2025-03-04 09:00"),
            ("QUALIFIED", "2025-03-08 09:00"),  # LEAD 4.0
            state=PAUSED,
            **own,
        ),
        # Handed over and not yet accepted: reached counts it, current and lost do not.
        transferred=history(
            ("LEAD", "2025-03-05 09:00"),
            ("QUALIFIED", "2025-03-10 09:00"),  # LEAD 5.0
            ("ENGAGED", "2025-03-12 21:00"),  # QUALIFIED 2.5
            ("VISITED", "2025-03-16 21:00"),  # ENGAGED 4.0
            state=TRANSFERRED,
            **own,
        ),
        lost_lead=history(("LEAD", "2025-03-07 10:00"), state=LOST, **own),
        deep=history(
            ("LEAD", "2025-03-08 09:00"),
            ("QUALIFIED", "2025-03-09 21:00"),  # LEAD 1.5
            ("ENGAGED", "2025-03-15 21:00"),  # QUALIFIED 6.0
            ("VISITED", "2025-03-17 21:00"),  # ENGAGED 2.0
            ("NEGOTIATING", "2025-03-20 21:00"),  # VISITED 3.0
            ("SIGNED", "2025-03-21 21:00"),  # NEGOTIATING 1.0
            ("REGISTERED", "2025-03-25 21:00"),  # SIGNED 4.0
            ("MOVED_IN", "2025-03-27 21:00"),  # REGISTERED 2.0
            ("OPERATING", "2025-03-28 21:00"),  # MOVED_IN 1.0
            ("PILOT", "2025-04-15 09:00"),  # OPERATING 17.5; PILOT never left
            **own,
        ),
        # 23:59 on `to`: the last minute of the period.
        last_minute=history(("LEAD", "2025-03-31 23:59"), **own),
        # Registered in the period, moved on after it: its later moves count.
        moved_after=history(
            ("LEAD", "2025-03-25 09:00"),
            ("QUALIFIED", "2025-04-14 09:00"),  # LEAD 20.0
            **own,
        ),
        lost_qualified=history(
            ("LEAD", "2025-03-06 09:00"),
            ("QUALIFIED", "2025-03-16 09:00"),  # LEAD 10.0
            state=LOST,
            **own,
        ),
        paused_skipped=history(
            ("LEAD", "2025-03-07 09:00"),
            ("ENGAGED", "2025-03-08 09:00"),  # LEAD 1.0
            state=PAUSED,
            **own,
        ),
        # 21 leads still at LEAD: with the 11 above, 32 started, so 9 qualified gives 9/32 = 0.28125.
        waiting=bulk_leads(21, moment="2025-03-18 10:00", **own),
        # Excluded everywhere: its short stays would pull the LEAD and QUALIFIED medians down.
        merged=history(
            ("LEAD", "2025-03-05 10:00"),
            ("QUALIFIED", "2025-03-05 22:00"),
            ("SIGNED", "2025-03-06 10:00"),
            state=MERGED,
            **own,
        ),
        # 00:00 on the day after `to` (16:00 UTC on the 31st): outside.
        next_day=history(
            ("LEAD", "2025-04-01 00:00"),
            ("QUALIFIED", "2025-04-01 12:00"),
            ("SIGNED", "2025-04-02 00:00"),
            **own,
        ),
        # Registered a minute before `from`, moved on inside the period: still outside.
        before=history(
            ("LEAD", "2025-02-28 23:59"),
            ("QUALIFIED", "2025-03-02 00:00"),
            ("SIGNED", "2025-03-03 00:00"),
            **own,
        ),
        talent_all=history(
            ("T_LEAD", "2025-03-10 09:00"),
            ("T_ENGAGED", "2025-03-11 09:00"),  # T_LEAD 1.0
            ("T_INTERESTED", "2025-03-13 09:00"),  # T_ENGAGED 2.0
            ("T_VISITED", "2025-03-16 09:00"),  # T_INTERESTED 3.0
            ("T_OFFERED", "2025-03-20 09:00"),  # T_VISITED 4.0
            ("T_ARRIVED", "2025-04-01 09:00"),  # T_OFFERED 12.0
            ("T_AWARDED", "2025-06-01 09:00"),  # T_ARRIVED 61.0
            ("T_FOUNDED", "2025-09-01 09:00"),  # T_AWARDED 92.0
            ("T_RETAINED", "2025-10-01 09:00"),  # T_FOUNDED 30.0
            **own,
        ),
        talent_lost=history(
            ("T_LEAD", "2025-03-11 09:00"),
            ("T_OFFERED", "2025-03-14 09:00"),  # T_LEAD 3.0
            state=LOST,
            **own,
        ),
        talent_paused=history(("T_LEAD", "2025-03-12 09:00"), state=PAUSED, **own),
        talent_engaged=history(
            ("T_LEAD", "2025-03-13 09:00"),
            ("T_ENGAGED", "2025-03-13 21:00"),  # T_LEAD 0.5
            **own,
        ),
    )
    return leads


ROW_FIELDS = ("stage", "phase", "reached", "current", "lost", "conversion", "median_days_in_stage")


def stage_rows(track: str, rows: list[tuple]) -> list[dict]:
    """The API's stage rows from (stage, phase, reached, current, lost, conversion, median) tuples."""
    return [{"track": track, **dict(zip(ROW_FIELDS, row, strict=True))} for row in rows]


# stage, phase, reached, current, lost, conversion, median days in stage
ORG_ROWS = [
    # 22 current: the 21 waiting and the last-minute lead. Median of 1, 1, 1.5, 2, [3], 4, 5, 10, 20.
    ("LEAD", "attraction", 32, 22, 1, None, 3.0),
    # 9/32 = 0.28125 → 0.2813 (half up; half-even would give 0.2812). Median of 1, [2, 2.5], 6 = 2.25 → 2.3.
    ("QUALIFIED", "attraction", 9, 2, 1, 0.2813, 2.3),
    ("ENGAGED", "attraction", 6, 1, 1, 0.6667, 2.0),  # 1, [2], 4
    # Median of [1, 3]. The transferred lead is neither current nor lost.
    ("VISITED", "attraction", 4, 0, 0, 0.6667, 2.0),
    ("NEGOTIATING", "attraction", 3, 1, 0, 0.75, 5.0),  # 1, [5], 7
    ("SIGNED", "attraction", 3, 0, 0, 1.0, 4.0),  # 3, [4], 10: the backward move ends a stay too
    ("REGISTERED", "landing", 2, 1, 0, 0.6667, 2.0),
    ("MOVED_IN", "landing", 1, 0, 0, 0.5, 1.0),
    ("OPERATING", "landing", 1, 0, 0, 1.0, 17.5),
    ("PILOT", "conversion", 1, 1, 0, 1.0, None),  # reached, never left
    ("PRODUCING", "conversion", 0, 0, 0, 0.0, None),
    ("FIRST_REVENUE", "conversion", 0, 0, 0, None, None),  # 0/0
    ("SCALED", "conversion", 0, 0, 0, None, None),
]
TALENT_ROWS = [
    ("T_LEAD", "attraction", 4, 1, 0, None, 1.0),  # 0.5, [1], 3
    ("T_ENGAGED", "attraction", 3, 1, 0, 0.75, 2.0),
    ("T_INTERESTED", "attraction", 2, 0, 0, 0.6667, 3.0),
    ("T_VISITED", "attraction", 2, 0, 0, 1.0, 4.0),
    ("T_OFFERED", "attraction", 2, 0, 1, 1.0, 12.0),
    ("T_ARRIVED", "landing", 1, 0, 0, 0.5, 61.0),
    ("T_AWARDED", "landing", 1, 0, 0, 1.0, 92.0),
    ("T_FOUNDED", "conversion", 1, 0, 0, 1.0, 30.0),
    ("T_RETAINED", "conversion", 1, 1, 0, 1.0, None),
]
MARCH_FUNNEL = {
    "filters": {
        "from": "2025-03-01",
        "to": "2025-03-31",
        "track": None,
        "lead_type": None,
        "carrier": None,
        "sector": None,
        "unit": None,
        "owner": None,
        "event": None,
        "organization": None,
    },
    "stages": stage_rows("org", ORG_ROWS) + stage_rows("talent", TALENT_ROWS),
    "phases": [
        {"phase": "attraction", "track": "org", "reached": 32, "conversion": 0.0625},  # 2/32
        {"phase": "landing", "track": "org", "reached": 2, "conversion": 0.5},
        {"phase": "conversion", "track": "org", "reached": 1, "conversion": None},
        {"phase": "attraction", "track": "talent", "reached": 4, "conversion": 0.25},
        {"phase": "landing", "track": "talent", "reached": 1, "conversion": 1.0},
        {"phase": "conversion", "track": "talent", "reached": 1, "conversion": None},
        {"phase": "attraction", "track": None, "reached": 36, "conversion": 0.0833},  # 3/36
        {"phase": "landing", "track": None, "reached": 3, "conversion": 0.6667},
        {"phase": "conversion", "track": None, "reached": 2, "conversion": None},
    ],
    "overall": {"org": 0.0, "talent": 0.25},
}


def test_the_funnel_of_a_hand_built_cohort_matches_every_number(world):
    march_cohort(world)
    assert funnel(world.manager_a, march()) == MARCH_FUNNEL


def test_a_conversion_of_one_in_thirty_two_rounds_half_up(world):
    bulk_leads(31, owner=world.a, unit=world.unit_a, moment="2025-03-18 10:00")
    history(("LEAD", "2025-03-02 09:00"), ("QUALIFIED", "2025-03-03 09:00"), owner=world.a, unit=world.unit_a)
    rows = funnel(world.manager_a, march(track=Track.ORGANIZATION))["stages"]
    assert rows[:3] == stage_rows(
        "org",
        [
            ("LEAD", "attraction", 32, 31, 0, None, 1.0),
            ("QUALIFIED", "attraction", 1, 1, 0, 0.0313, None),  # 0.03125
            ("ENGAGED", "attraction", 0, 0, 0, 0.0, None),
        ],
    )


def test_funnel_leads_are_exactly_the_leads_behind_each_number(world):
    leads = march_cohort(world)
    user, filters = world.manager_a, march()

    def behind(measure: str, stage: str) -> set[Lead]:
        return set(funnel_leads(user, filters, measure=measure, stage=stage))

    assert behind("reached", Stage.SIGNED) == {leads.skipped, leads.backward, leads.deep}
    never_left_lead = {leads.lost_lead, leads.last_minute, *leads.waiting}
    assert behind("reached", Stage.QUALIFIED) == behind("reached", Stage.LEAD) - never_left_lead
    assert behind("current", Stage.LEAD) == {*leads.waiting, leads.last_minute}
    assert behind("current", Stage.QUALIFIED) == {leads.paused_qualified, leads.moved_after}
    assert behind("current", Stage.NEGOTIATING) == {leads.backward}
    assert behind("current", Stage.VISITED) == set()
    assert behind("lost", Stage.ENGAGED) == {leads.lost_engaged}
    assert behind("reached", Stage.T_ENGAGED) == {leads.talent_all, leads.talent_lost, leads.talent_engaged}
    assert behind("lost", Stage.T_OFFERED) == {leads.talent_lost}
    rows = funnel(user, filters)["stages"]
    counted = {
        (row["stage"], measure): funnel_leads(user, filters, measure=measure, stage=row["stage"]).count()
        for row in rows
        for measure in ("reached", "current", "lost")
    }
    assert counted == {
        (row["stage"], measure): row[measure] for row in rows for measure in ("reached", "current", "lost")
    }


def test_funnel_leads_refuses_an_unknown_measure_or_stage(world):
    with pytest.raises(ValueError, match="measure"):
        funnel_leads(world.manager_a, march(), measure="stalled", stage=Stage.LEAD)
    with pytest.raises(ValueError, match="stage"):
        funnel_leads(world.manager_a, march(), measure="reached", stage="NOWHERE")


# --- Filters ------------------------------------------------------------------------------------------------


def started(user: User, filters: ReportFilters) -> dict[str, int]:
    """{track: cohort leads} (reached at the track's first stage) for the tracks the figures cover."""
    return {
        row["track"]: row["reached"]
        for row in funnel(user, filters)["phases"]
        if row["phase"] == "attraction"
    }


def registered(
    world, unit: Unit | None = None, *, lead_type: str = LeadType.UNIVERSITY_TEAM, **fields
) -> Lead:
    """A lead registered in March, owned by officer A in `unit` (unit A by default)."""
    first = Stage.T_LEAD if lead_type == LeadType.TALENT else Stage.LEAD
    return history(
        (first, "2025-03-10 09:00"),
        owner=fields.pop("owner", world.a),
        unit=unit or world.unit_a,
        lead_type=lead_type,
        **fields,
    )


def test_the_track_filter_keeps_one_track_and_its_rows(world):
    registered(world)
    registered(world, lead_type=LeadType.TALENT)
    assert started(world.director, march()) == {"org": 1, "talent": 1, None: 2}
    result = funnel(world.director, march(track=Track.TALENT))
    assert started(world.director, march(track=Track.TALENT)) == {"talent": 1}
    assert {row["track"] for row in result["stages"]} == {"talent"}
    assert result["overall"] == {"talent": 0.0}


def test_the_lead_type_filter_keeps_that_type(world):
    registered(world, lead_type=LeadType.STARTUP)
    registered(world, lead_type=LeadType.UNIVERSITY_TEAM)
    registered(world, lead_type=LeadType.TALENT)
    assert started(world.director, march(lead_type=LeadType.STARTUP)) == {"org": 1}


def test_the_unit_filter_takes_the_units_subtree(world):
    section = make_unit("香港合作处 一科", parent=world.unit_a)
    registered(world)
    registered(world, section, owner=join(make_user(Role.OFFICER), section))
    registered(world, world.unit_b, owner=world.b)
    assert started(world.director, march(unit=world.unit_a)) == {"org": 2, "talent": 0, None: 2}
    assert started(world.director, march(unit=section)) == {"org": 1, "talent": 0, None: 1}


def test_the_owner_filter_keeps_that_owners_leads(world):
    colleague = join(make_user(Role.OFFICER), world.unit_a)
    registered(world)
    registered(world, owner=colleague)
    assert started(world.director, march(owner=colleague)) == {"org": 1, "talent": 0, None: 1}


def test_the_organization_filter_keeps_that_organizations_leads(world):
    cuhk = make_organization("CUHK", "香港中文大学")
    registered(world)
    registered(world, hk_organization=cuhk)
    assert started(world.director, march(organization=cuhk)) == {"org": 1, "talent": 0, None: 1}


def test_the_event_filter_keeps_the_leads_found_there(world):
    fair = event_create(
        actor=None, name="香港创科人才招聘会", starts_on=dt.date(2025, 3, 1), ends_on=dt.date(2025, 3, 2)
    )
    registered(world, source_event=fair)
    registered(world, lead_type=LeadType.TALENT, source_event=fair)
    registered(world)
    assert started(world.director, march(event=fair)) == {"org": 1, "talent": 1, None: 2}


def test_the_carrier_filter_takes_the_carriers_subtree(world):
    district = carrier_create(name="苏州工业园区", kind=Carrier.Kind.DISTRICT)
    park = carrier_create(name="生物医药产业园", kind=Carrier.Kind.PARK, parent=district)
    elsewhere = carrier_create(name="相城区", kind=Carrier.Kind.DISTRICT)
    registered(world, target_carrier=district)
    registered(world, target_carrier=park)
    registered(world, target_carrier=elsewhere)
    registered(world)
    assert started(world.director, march(carrier=district)) == {"org": 2, "talent": 0, None: 2}
    assert started(world.director, march(carrier=park)) == {"org": 1, "talent": 0, None: 1}


def test_the_sector_filter_takes_the_sector_and_its_sub_sectors(world):
    biomed = sector_create(code="biomed", name="生物医药", group=Sector.Group.PILLAR)
    devices = sector_create(code="devices", name="医疗器械", parent=biomed)
    chips = sector_create(code="chips", name="集成电路", group=Sector.Group.PILLAR)
    registered(world, sector=biomed)
    registered(world, sector=devices)
    registered(world, sector=chips)
    registered(world)
    assert started(world.director, march(sector=biomed)) == {"org": 2, "talent": 0, None: 2}
    assert started(world.director, march(sector=devices)) == {"org": 1, "talent": 0, None: 1}


# --- Visibility ---------------------------------------------------------------------------------------------


def test_each_manager_counts_only_the_leads_they_may_see(world):
    head_b = join(make_user(Role.MANAGER, username="head_b"), world.unit_b, UnitMembership.Role.HEAD)
    viewer_a = join(make_user(Role.REPORT_VIEWER, username="viewer_a"), world.unit_a)
    registered(world)
    registered(world, lead_type=LeadType.TALENT)
    registered(world, confidential=True)
    registered(world, world.unit_b, owner=world.b)
    registered(world, world.unit_b, owner=world.b, confidential=True)
    assert started(world.manager_a, march()) == {"org": 2, "talent": 1, None: 3}
    assert started(head_b, march()) == {"org": 2, "talent": 0, None: 2}
    assert started(world.director, march()) == {"org": 4, "talent": 1, None: 5}
    # A plain member of unit A does not see A's confidential lead; nobody in A sees B's.
    assert started(viewer_a, march()) == {"org": 1, "talent": 1, None: 2}


# --- Queries ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("leads", [2, 20])
def test_the_funnel_takes_the_same_queries_for_2_and_20_leads(world, leads, django_assert_num_queries):
    own = {"owner": world.a, "unit": world.unit_a}
    for number in range(leads // 2):
        day = f"2025-03-{10 + number:02d}"
        history(
            ("LEAD", "2025-03-02 09:00"), ("QUALIFIED", f"{day} 09:00"), ("SIGNED", "2025-03-25 09:00"), **own
        )
        history(("LEAD", "2025-03-03 09:00"), ("NEGOTIATING", f"{day} 21:00"), state=LOST, **own)
        history(
            ("T_LEAD", "2025-03-02 09:00"),
            ("T_ENGAGED", f"{day} 09:00"),
            ("T_OFFERED", "2025-03-26 09:00"),
            **own,
        )
        history(("T_LEAD", "2025-03-04 09:00"), ("T_ENGAGED", f"{day} 12:00"), state=PAUSED, **own)
    manager = User.objects.get(pk=world.manager_a.pk)  # no visibility scope cached on it yet
    # 1. whether the manager is an administrator    (visibility scope)
    # 2. the manager's unit memberships            (visibility scope)
    # 3. the cohort counted by track, highest stage, current stage and status
    # 4. the median stays per stage
    with django_assert_num_queries(4):
        result = funnel(manager, march())
    assert result["stages"][0]["reached"] == leads
    assert result["stages"][13]["reached"] == leads
