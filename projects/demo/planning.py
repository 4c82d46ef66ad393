"""Planning the demo leads: what the lower apps' demos and the reference data provide (the catalog), and each
lead's life decided from one seed per lead before anything is written: its owner, names, stages with their
dates, the evidence each move needs, and how it ends. Both writers turn the same plans into rows.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import opencc
from django.utils import timezone

from accounts import services as accounts_services
from accounts.models import Unit, User
from accounts.roles import Role
from core.seeding import DemoContext
from directory.models import Carrier, Organization, Sector
from projects.models import (
    Activity,
    Document,
    Lead,
    LeadType,
    LostReason,
    PauseReason,
    Priority,
    Signing,
    SourceChannel,
)
from projects.stages import TRACK_STAGES, Phase, Stage, Track, stage_phase
from projects.validators import USCC_ALPHABET, uscc_check_character
from talent.models import Contact, RecruitmentEvent

# (zh-hans, zh-hant, en, sector code)
FIELDS = [
    ("量子计算", "量子計算", "quantum computing", "quantum-computing"),
    ("光子芯片", "光子芯片", "photonic chips", "photonic-chips"),
    ("碳化硅功率器件", "碳化矽功率器件", "SiC power devices", "third-gen-semiconductors"),
    ("集成电路设计", "集成電路設計", "IC design", "ic-design"),
    ("工业软件", "工業軟件", "industrial software", "industrial-software"),
    ("具身智能机器人", "具身智能機械人", "embodied AI robots", "embodied-ai-robots"),
    ("医疗机器人", "醫療機械人", "medical robots", "medical-robotics"),
    ("物流机器人", "物流機械人", "logistics robots", "logistics-robotics"),
    ("AI芯片", "AI芯片", "AI chips", "ai-chips"),
    ("大模型应用", "大模型應用", "large-model applications", "large-models"),
    ("细胞与基因治疗", "細胞與基因治療", "cell and gene therapy", "cell-gene-therapy"),
    ("创新抗体药", "創新抗體藥", "innovative antibodies", "antibodies"),
    ("体外诊断", "體外診斷", "in-vitro diagnostics", "in-vitro-diagnostics"),
    ("纳米材料", "納米材料", "nanomaterials", "nano-materials"),
    ("氢能", "氫能", "hydrogen energy", "hydrogen"),
    ("储能电池", "儲能電池", "energy-storage batteries", "energy-storage"),
    ("低空无人机", "低空無人機", "low-altitude drones", "drones"),
    ("数字金融", "數字金融", "digital finance", "digital-finance"),
]
# (zh-hans, zh-hant, en, lead type)
FORMS = [
    ("研发团队", "研發團隊", "R&D team", LeadType.UNIVERSITY_TEAM),
    ("成果转化项目", "成果轉化項目", "technology-transfer project", LeadType.UNIVERSITY_TEAM),
    ("初创企业", "初創企業", "startup", LeadType.STARTUP),
    ("联合实验室", "聯合實驗室", "joint laboratory", LeadType.RESEARCH_INSTITUTE),
    ("研发中心", "研發中心", "R&D centre", LeadType.COMPANY),
]
# Fictional principal investigators: (zh-hans, zh-hant, HK romanization)
PI_SURNAMES = [
    ("陈", "陳", "Chan"),
    ("黄", "黃", "Wong"),
    ("李", "李", "Lee"),
    ("张", "張", "Cheung"),
    ("梁", "梁", "Leung"),
    ("刘", "劉", "Lau"),
    ("曾", "曾", "Tsang"),
    ("叶", "葉", "Yip"),
    ("区", "區", "Au"),
    ("吴", "吳", "Ng"),
    ("麦", "麥", "Mak"),
    ("何", "何", "Ho"),
]
OWNING_UNITS = ["hk", "hk_office", "industry1", "industry2", "sip_team", "snd_team"]

ASSESSMENTS = [
    "技术处于国际前沿，团队有产业化意愿，建议跟进。",
    "与本地产业链匹配度高，核心专利权属清晰，建议安排接洽。",
    "已完成天使轮融资，市场验证初步完成，建议重点跟进。",
    "团队拟在长三角设立研发中心，符合重点产业方向。",
]
CONTACT_SUMMARIES = {
    Activity.Kind.MEETING: "与团队负责人面谈，介绍人才、资金与载体政策。",
    Activity.Kind.CALL: "电话沟通落地意向与时间安排。",
    Activity.Kind.WECHAT: "微信沟通来苏考察行程及需求清单。",
    Activity.Kind.EMAIL: "邮件发送政策汇编及载体资料，对方已回复。",
    Activity.Kind.EVENT: "在推介活动上交流，对方表示有意来苏考察。",
}
NEEDS_LISTS = [
    "研发及办公场地约800平方米，需百级洁净室。",
    "人才公寓10套，核心成员子女入学安排。",
    "对接产业基金及中试平台，申请首台套支持。",
    "湿实验室约500平方米，需危化品仓储许可。",
]
BOUNCE_NOTES = [
    "投资方要求重新研判技术路线。",
    "团队核心成员变动，需重新接洽。",
    "选址方案调整，需再次考察载体。",
    "意向条款有重大变化，退回重新评估。",
]
PILOT_NOTES = ["中试线已搭建，首批样品完成验证。", "原型机完成第三方检测。", "中试批次良率达到设计目标。"]
SCALE_NOTES = ["年产值突破一亿元。", "第二条产线投产，产能达到设计规模。", "员工超过二百人，完成B轮融资。"]
PROGRAMMES = ["姑苏创新创业领军人才计划", "江苏省“双创计划”", "金鸡湖科技领军人才"]
EMPLOYERS = ["中科院苏州纳米所", "中科院苏州医工所", "材料科学姑苏实验室", "自主创办企业"]
# A region code of a Suzhou district, for fictional but checksum-valid USCCs (SIP, SND, Wuzhong, Xiangcheng).
USCC_REGIONS = ["320594", "320505", "320506", "320507"]

DOCUMENT_TITLES = {
    "loi": (Document.Kind.LETTER_OF_INTENT, "投资意向书"),
    "agreement": (Document.Kind.AGREEMENT, "投资合作协议"),
    "licence": (Document.Kind.LICENCE, "营业执照"),
    "lease": (Document.Kind.LEASE, "载体入驻协议"),
    "contract": (Document.Kind.AGREEMENT, "首单客户合同"),
    "offer": (Document.Kind.AGREEMENT, "聘用意向书"),
    "award": (Document.Kind.AWARD, "人才计划入选通知"),
    "transfer": (Document.Kind.AGREEMENT, "技术转让协议"),
    "receipt": (Document.Kind.INVOICE, "银行进账单"),
}


@dataclass(frozen=True)
class Profile:
    """How a dataset looks: where leads end up, how often they stall, move back, get lost or paused."""

    org_weights: dict[str, float]
    talent_weights: dict[str, float]
    talent_share: float
    horizon_days: int
    bounce_chance: float
    lost_chance: dict[str, float]
    paused_chance: float
    company_chance: float


# A live pipeline of about three years: most leads still in attraction.
DEMO = Profile(
    org_weights={
        Stage.LEAD: 18, Stage.QUALIFIED: 14, Stage.ENGAGED: 14, Stage.VISITED: 11, Stage.NEGOTIATING: 10,
        Stage.SIGNED: 8, Stage.REGISTERED: 7, Stage.MOVED_IN: 6, Stage.OPERATING: 5, Stage.PILOT: 3,
        Stage.PRODUCING: 2, Stage.FIRST_REVENUE: 1.5, Stage.SCALED: 0.5,
    },
    talent_weights={
        Stage.T_LEAD: 20, Stage.T_ENGAGED: 18, Stage.T_INTERESTED: 15, Stage.T_VISITED: 12,
        Stage.T_OFFERED: 10, Stage.T_ARRIVED: 9, Stage.T_AWARDED: 6, Stage.T_FOUNDED: 6, Stage.T_RETAINED: 4,
    },
    talent_share=0.2,
    horizon_days=900,
    bounce_chance=0.06,
    lost_chance={Phase.ATTRACTION: 0.12, Phase.LANDING: 0.03, Phase.CONVERSION: 0.01},
    paused_chance=0.06,
    company_chance=0.5,
)  # fmt: skip
# Six years of a bureau's ledger: older leads went further, and stalled ones were sent back and retried more
# often; this is what gives about ten stage changes per lead.
BULK = Profile(
    org_weights={
        Stage.LEAD: 6, Stage.QUALIFIED: 6, Stage.ENGAGED: 8, Stage.VISITED: 9, Stage.NEGOTIATING: 10,
        Stage.SIGNED: 9, Stage.REGISTERED: 9, Stage.MOVED_IN: 9, Stage.OPERATING: 10, Stage.PILOT: 7,
        Stage.PRODUCING: 6, Stage.FIRST_REVENUE: 6, Stage.SCALED: 5,
    },
    talent_weights={
        Stage.T_LEAD: 8, Stage.T_ENGAGED: 10, Stage.T_INTERESTED: 12, Stage.T_VISITED: 12,
        Stage.T_OFFERED: 12, Stage.T_ARRIVED: 14, Stage.T_AWARDED: 12, Stage.T_FOUNDED: 10, Stage.T_RETAINED: 10,
    },
    talent_share=0.15,
    horizon_days=2200,
    bounce_chance=0.6,
    lost_chance={Phase.ATTRACTION: 0.22, Phase.LANDING: 0.05, Phase.CONVERSION: 0.02},
    paused_chance=0.05,
    company_chance=0.3,
)  # fmt: skip

# Days spent before entering each stage, (least, most).
GAP_DAYS = {
    Stage.QUALIFIED: (3, 30), Stage.ENGAGED: (5, 45), Stage.VISITED: (14, 90), Stage.NEGOTIATING: (14, 120),
    Stage.SIGNED: (30, 150), Stage.REGISTERED: (20, 90), Stage.MOVED_IN: (20, 120), Stage.OPERATING: (14, 90),
    Stage.PILOT: (60, 240), Stage.PRODUCING: (60, 240), Stage.FIRST_REVENUE: (30, 180), Stage.SCALED: (120, 400),
    Stage.T_ENGAGED: (3, 30), Stage.T_INTERESTED: (7, 60), Stage.T_VISITED: (14, 90), Stage.T_OFFERED: (14, 120),
    Stage.T_ARRIVED: (30, 120), Stage.T_AWARDED: (60, 240), Stage.T_FOUNDED: (60, 300), Stage.T_RETAINED: (0, 90),
}  # fmt: skip
# Never skipped on the way past them: contact comes first, a signing precedes landing, retention needs arrival.
MUST_VISIT = {Stage.ENGAGED, Stage.SIGNED, Stage.REGISTERED, Stage.T_ENGAGED, Stage.T_ARRIVED}
SKIP_CHANCE = 0.15
MAX_BOUNCES = 2  # sent back from one stage at most twice
# Stages a stalled lead is sent back from (by a manager, with a reason), to an earlier attraction stage.
BOUNCE_FROM = {
    Stage.ENGAGED,
    Stage.VISITED,
    Stage.NEGOTIATING,
    Stage.T_INTERESTED,
    Stage.T_VISITED,
    Stage.T_OFFERED,
}
RETENTION_DAYS = 372  # 12 months after arrival, plus margin for moving times into office hours


@dataclass
class Move:
    stage: str
    at: datetime
    backward: bool = False


@dataclass
class Plan:
    """One lead's life, decided before anything is written."""

    seed: int
    track: str
    lead_type: str
    unit_key: str
    owner: User
    co_owners: list[User]
    org: Organization | None
    contact: Contact | None
    pi: Contact | None
    sector: Sector | None
    names: tuple[str, str, str]
    channel: str
    event: RecruitmentEvent | None
    carrier: Carrier
    confidential: bool
    priority: str
    details: dict[str, Any]
    created_at: datetime
    moves: list[Move]
    follow_ups: list[datetime] = field(default_factory=list)
    injections: list[tuple[date, Decimal]] = field(default_factory=list)
    status: str = Lead.Status.ACTIVE
    status_fields: dict[str, Any] = field(default_factory=dict)
    company: Plan | None = None  # the org-track lead a talent founds
    founder: Plan | None = None  # the talent lead that founded this company
    lead: Lead | None = None  # once written
    pk: int | None = None  # reserved ahead by the bulk path
    signing: Signing | None = None


@dataclass
class Facts:
    """What entering one stage takes: evidence values plus the records the evidence cites."""

    data: dict[str, Any]
    activity: tuple[str, datetime, str] | None = None  # kind, when, summary
    cite_activity: bool = False
    document: str | None = None  # a DOCUMENT_TITLES key
    signing: tuple[date, Decimal, str, RecruitmentEvent | None] | None = None
    link_company: bool = False


@dataclass
class Catalog:
    """What the lower apps' demos and the reference data provide."""

    orgs: list[Organization]
    competitors: list[Organization]
    carriers: list[Carrier]
    sectors: dict[str, Sector]
    staff_by_unit: dict[str, list[User]]
    unit_weights: dict[str, float]
    managers: dict[str, User]
    contacts_by_org: dict[int | None, list[Contact]]
    talents: list[Contact]
    events: list[RecruitmentEvent]
    units: dict[str, Unit]
    latest: datetime  # nothing is dated after this


# --- What exists already ---------------------------------------------------------------------------------------


def load_catalog(ctx: DemoContext, *, bulk: bool) -> Catalog:
    orgs = list(
        Organization.objects.filter(kind__in=[Organization.Kind.UNIVERSITY, Organization.Kind.INNOHK_CENTRE])
        .exclude(abbreviation="")
        .order_by("abbreviation")
    )
    unit_weights = dict.fromkeys(OWNING_UNITS, 1.0)
    if bulk:
        unit_weights = _bulk_units(ctx)
    promoters = {
        user.pk for user in User.objects.filter(groups__name__in=[Role.OFFICER, Role.MANAGER]).only("pk")
    }
    unit_keys = {unit.pk: key for key, unit in ctx.units.items()}
    staff_by_unit: dict[str, list[User]] = {key: [] for key in unit_weights}
    for user in ctx.users.values():
        if user.pk not in promoters:
            continue  # event recorders and report viewers never own leads
        for unit_id in sorted(user.memberships.values_list("unit_id", flat=True)):
            if unit_keys.get(unit_id) in staff_by_unit:
                staff_by_unit[unit_keys[unit_id]].append(user)
    contacts: list[Contact] = ctx.shared.get("contacts", [])
    contacts_by_org: dict[int | None, list[Contact]] = defaultdict(list)
    for contact in contacts:
        contacts_by_org[contact.organization_id].append(contact)
    talents = list(contacts)
    ctx.rng.shuffle(talents)
    return Catalog(
        orgs=orgs,
        competitors=list(
            Organization.objects.filter(kind=Organization.Kind.COMPETING_LOCATION).order_by("name")
        ),
        carriers=list(Carrier.objects.exclude(kind=Carrier.Kind.DISTRICT).order_by("path")),
        sectors={s.code: s for s in Sector.objects.filter(code__in=[f[3] for f in FIELDS])},
        staff_by_unit=staff_by_unit,
        unit_weights=unit_weights,
        managers={"director": ctx.users["director"]},
        contacts_by_org=contacts_by_org,
        talents=talents,
        events=list(ctx.shared.get("events", [])),
        units=ctx.units,
        # Two days back, so moving a time into office hours never reaches today.
        latest=ctx.now - timedelta(days=2),
    )


def _bulk_units(ctx: DemoContext) -> dict[str, float]:
    """A bureau at benchmark scale: sector task forces beside the demo units, and the officer's unit ("hk")
    holding a tenth of all leads, the ~10,000-lead unit the benchmark runs as."""
    weights = {"hk": 10.0, **{key: 3.0 for key in OWNING_UNITS if key != "hk"}}
    parents = [ctx.units["industry1"], ctx.units["industry2"]]
    sectors = Sector.objects.filter(parent__isnull=True).order_by("code")
    for index, sector in enumerate(sectors, start=1):
        key = f"taskforce{index:02d}"
        ctx.units[key] = accounts_services.unit_create(
            name=f"{sector.name}招商专班",
            name_zh_hant=f"{sector.name_zh_hant or sector.name}招商專班",
            name_en=f"{sector.name_en or sector.code} task force",
            parent=parents[index % 2],
            kind=Unit.Kind.SECTION,
        )
        for seat in (1, 2):
            surname, given = ctx.rng.choice(PI_SURNAMES)[0], ctx.rng.choice(["海峰", "静怡", "立新", "书瑶"])
            user = accounts_services.user_create(
                username=f"tf{index:02d}_{seat}",
                password=None,
                roles=[Role.OFFICER],
                last_name=surname,
                first_name=given,
                email=f"tf{index:02d}_{seat}@demo.invalid",
            )
            accounts_services.membership_set(user=user, unit=ctx.units[key])
            ctx.users[user.username] = user
        weights[key] = 70.0 / len(sectors)
    return weights


# --- Planning --------------------------------------------------------------------------------------------------


def _weighted(rng: random.Random, weights: dict[str, float]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def plan_all(ctx: DemoContext, catalog: Catalog, profile: Profile) -> list[Plan]:
    plans: list[Plan] = []
    seen: dict[tuple[int | None, str], int] = defaultdict(int)
    while len(plans) < ctx.leads:
        rng = random.Random(ctx.rng.getrandbits(64))
        talent = rng.random() < profile.talent_share and catalog.talents
        contact = catalog.talents.pop() if talent else None
        plan = _plan_one(rng, catalog, profile, contact=contact)
        _tell_apart(plan, seen)
        plans.append(plan)
        if plan.company is not None:
            if len(plans) < ctx.leads:
                _tell_apart(plan.company, seen)
                plans.append(plan.company)
            else:
                plan.company = None  # no slot left: the founding cites a transfer agreement instead
    return plans


def _tell_apart(plan: Plan, seen: dict[tuple[int | None, str], int]) -> None:
    """Two teams of one organization never share a name: lead_create would refuse the second as a duplicate.
    A repeated name gets a team number, as staff write 第二组 in their ledgers."""
    key = (plan.org.pk if plan.org else None, plan.names[0])
    seen[key] += 1
    number = seen[key]
    if number > 1:
        zh, hant, en = plan.names
        plan.names = (
            f"{zh}（第{number}组）",
            f"{hant}（第{number}組）" if hant else "",
            f"{en} (team {number})" if en else "",
        )


def _plan_one(
    rng: random.Random,
    catalog: Catalog,
    profile: Profile,
    *,
    contact: Contact | None,
    founder: Plan | None = None,
    founded_at: datetime | None = None,
) -> Plan:
    seed = rng.getrandbits(64)
    track = Track.TALENT if contact else Track.ORGANIZATION
    unit_key = founder.unit_key if founder else _weighted(rng, catalog.unit_weights)
    owner = founder.owner if founder else rng.choice(catalog.staff_by_unit[unit_key])
    everyone = [u for key in OWNING_UNITS for u in catalog.staff_by_unit.get(key, []) if u != owner]
    co_owners = rng.sample(everyone, k=min(len(everyone), rng.choice([0, 0, 0, 1, 2])))
    zh, hant, en, sector_code = rng.choice(FIELDS)
    if contact is not None:
        org = contact.organization
        to_s = _t2s().convert(contact.name)
        suffix = f"（{org.abbreviation}）" if org else ""
        names = (f"{to_s} · {zh}人才{suffix}", f"{contact.name} · {hant}人才{suffix}", "")
        lead_type = LeadType.TALENT
    elif founder is not None:
        org = founder.org
        names = (f"{founder.names[0].split(' · ')[0]}创办的{zh}企业", "", "")
        lead_type = LeadType.STARTUP
    else:
        org = rng.choice(catalog.orgs)
        form = rng.choice(FORMS)
        pi = rng.choice(PI_SURNAMES)
        names = (
            f"{org.abbreviation} {zh}{form[0]}（{pi[0]}教授）",
            f"{org.abbreviation} {hant}{form[1]}（{pi[1]}教授）",
            f"{org.abbreviation} {en} {form[2]} (Prof. {pi[2]})",
        )
        lead_type = form[3]
    pi_candidates = catalog.contacts_by_org.get(org.pk if org else None, [])
    pi_contact = (
        rng.choice(pi_candidates) if contact is None and pi_candidates and rng.random() < 0.5 else None
    )
    channel = (
        SourceChannel.EVENT if founder is None and rng.random() < 0.3 else rng.choice(SourceChannel.values)
    )
    if founder is not None:
        weights = {s: w for s, w in profile.org_weights.items() if stage_phase(s) == Phase.ATTRACTION}
    else:
        weights = profile.talent_weights if contact else profile.org_weights
    target = _weighted(rng, weights)
    event = None
    recent = stage_phase(target) == Phase.ATTRACTION and founder is None
    if channel == SourceChannel.EVENT and catalog.events and recent and rng.random() < 0.7:
        event = rng.choice(catalog.events)
    moves = _moves(rng, track, target, profile)
    start = None
    if event is not None:
        start = datetime.combine(event.starts_on, time(10), tzinfo=catalog.latest.tzinfo)
    elif founded_at is not None:
        start = founded_at - timedelta(days=rng.randint(2, 20))
    created_at, moves = _place_in_time(rng, moves, catalog.latest, profile.horizon_days, start=start)
    carrier = rng.choice(catalog.carriers)
    amount = Decimal(rng.choice([300, 500, 800, 1000, 2000, 3000, 5000, 10000, 20000, 50000])) * 10_000
    plan = Plan(
        seed=seed,
        track=track,
        lead_type=lead_type,
        unit_key=unit_key,
        owner=owner,
        co_owners=co_owners,
        org=org,
        contact=contact,
        pi=pi_contact,
        sector=catalog.sectors.get(sector_code),
        names=names,
        channel=channel,
        event=event,
        carrier=carrier,
        confidential=rng.random() < 0.1,
        priority=rng.choices(Priority.values, weights=[15, 70, 15])[0],
        details={}
        if contact
        else {
            "expected_investment": amount,
            "trl": rng.randint(3, 8),
            "headcount_planned": rng.randint(5, 80),
            "space_office_m2": rng.choice([100, 200, 300, 500, 800, 1200]),
            "target_carrier": carrier if rng.random() < 0.6 else None,
        },
        created_at=created_at,
        moves=moves,
    )
    last = moves[-1].at if moves else created_at
    room = (catalog.latest - last).days
    if room >= 2:
        plan.follow_ups = sorted(
            _office_hours(rng, last + timedelta(days=rng.uniform(1, min(room - 1, 60))))
            for _ in range(rng.choice([0, 1, 1, 2]))
        )
    reached = [m for m in moves if m.stage == Stage.REGISTERED]
    if reached and rng.random() < 0.6:
        since = reached[-1].at
        span = max(1, (catalog.latest - since).days)
        days = sorted(rng.sample(range(1, span + 1), k=min(span, rng.randint(1, 3))))
        share = amount * Decimal(rng.choice([10, 20, 30])) / 100
        plan.injections = [((since + timedelta(days=d)).date(), share) for d in days]
    _plan_outcome(rng, plan, profile, catalog)
    founding = next((m for m in moves if m.stage == Stage.T_FOUNDED), None)
    if founding is not None and org is not None and rng.random() < profile.company_chance:
        plan.company = _plan_one(rng, catalog, profile, contact=None, founder=plan, founded_at=founding.at)
        plan.company.founder = plan
    return plan


def _moves(rng: random.Random, track: str, target: str, profile: Profile) -> list[tuple[str, float, bool]]:
    """The moves on the way to `target`, with skips and occasional moves back: (stage, days after the lead's
    registration, backward)."""
    stages = TRACK_STAGES[track]
    path = [s for s in stages[1 : stages.index(target)] if s in MUST_VISIT or rng.random() > SKIP_CHANCE]
    if target != stages[0]:
        path.append(target)
    moves: list[tuple[str, float, bool]] = []
    days = arrived = 0.0
    for stage in path:
        days += rng.uniform(*GAP_DAYS[stage])
        if stage == Stage.T_RETAINED:
            days = max(days, arrived + RETENTION_DAYS)
        moves.append((stage, days, False))
        arrived = days if stage == Stage.T_ARRIVED else arrived
        for _ in range(MAX_BOUNCES if stage in BOUNCE_FROM else 0):
            if rng.random() >= profile.bounce_chance:
                break
            back = stages[rng.randint(1, stages.index(stage) - 1)]
            days += rng.uniform(7, 45)
            moves.append((back, days, True))
            days += rng.uniform(*GAP_DAYS[stage]) / 2
            moves.append((stage, days, False))
    return moves


def _office_hours(rng: random.Random, moment: datetime) -> datetime:
    return datetime.combine(moment.date(), time(9), tzinfo=moment.tzinfo) + timedelta(
        minutes=rng.randint(0, 540)
    )


def _place_in_time(
    rng: random.Random,
    moves: list[tuple[str, float, bool]],
    latest: datetime,
    horizon_days: int,
    *,
    start: datetime | None,
) -> tuple[datetime, list[Move]]:
    """Date the registration and the moves: office hours, strictly increasing, none after `latest`."""
    span = moves[-1][1] if moves else 0.0
    if start is None:
        start = latest - timedelta(days=span + rng.uniform(0, max(0.0, horizon_days - span)))
    # A lead found at a recent event (or a company founded lately) has had less time: its pace quickens.
    scale = min(1.0, (latest - start) / timedelta(days=span)) if span else 1.0
    created = previous = _office_hours(rng, start)
    placed = []
    for stage, days, backward in moves:
        at = _office_hours(rng, start + timedelta(days=days * scale))
        previous = max(at, previous + timedelta(minutes=rng.randint(20, 90)))
        placed.append(Move(stage, previous, backward))
    return created, placed


def _plan_outcome(rng: random.Random, plan: Plan, profile: Profile, catalog: Catalog) -> None:
    stage = plan.moves[-1].stage if plan.moves else TRACK_STAGES[plan.track][0]
    if rng.random() < profile.lost_chance[stage_phase(stage)]:
        reason = rng.choice(LostReason.values)
        lost_to = None
        if reason in (LostReason.OTHER_LOCATION, LostReason.WEAKER_PACKAGE) and catalog.competitors:
            lost_to = rng.choice(catalog.competitors)
        plan.status = Lead.Status.LOST
        plan.status_fields = {"reason": reason, "lost_to": lost_to, "note": "经研判暂无落地可能。"}
    elif rng.random() < profile.paused_chance:
        # The pause service wants a review date after the real today, whatever day the demo is dated.
        base = max(catalog.latest.date() + timedelta(days=2), timezone.localdate())
        plan.status = Lead.Status.PAUSED
        plan.status_fields = {
            "reason": rng.choice(PauseReason.values),
            "resume_review_on": base + timedelta(days=rng.randint(14, 90)),
            "note": "对方暂缓推进，约定到期复核。",
        }


def move_facts(rng: random.Random, plan: Plan, move: Move, previous: datetime, catalog: Catalog) -> Facts:
    """Evidence for entering `move.stage`, in the cleaned form lead_advance stores it (a move back carries only
    the manager's reason)."""
    stage, at = move.stage, move.at
    if move.backward:
        return Facts({"note": rng.choice(BOUNCE_NOTES)})

    def day_between() -> str:
        span = max(0, (at.date() - previous.date()).days)
        return (at.date() - timedelta(days=rng.randint(0, min(span, 20)))).isoformat()

    before = at - timedelta(minutes=rng.randint(30, 240))
    if stage in (Stage.ENGAGED, Stage.T_ENGAGED):
        kind = Activity.Kind.EVENT if plan.event else rng.choice(list(CONTACT_SUMMARIES)[:4])
        return Facts({}, activity=(kind, before, CONTACT_SUMMARIES[kind]), cite_activity=True)
    if stage == Stage.QUALIFIED:
        return Facts({"assessment": rng.choice(ASSESSMENTS), "decision": "follow"})
    if stage == Stage.VISITED:
        carriers = {plan.carrier.pk, rng.choice(catalog.carriers).pk}
        visit = (Activity.Kind.VISIT, before, f"陪同团队考察{plan.carrier.name}。")
        return Facts({"visit_date": day_between(), "carrier_ids": sorted(carriers)}, activity=visit)
    if stage == Stage.NEGOTIATING:
        if rng.random() < 0.5:
            return Facts({"needs_list": rng.choice(NEEDS_LISTS)})
        return Facts({}, document="loi")
    if stage == Stage.SIGNED:
        signed_on, event = date.fromisoformat(day_between()), None
        held = [e for e in catalog.events if previous.date() < e.starts_on <= at.date()]
        if held and rng.random() < 0.5:
            event = rng.choice(held)
            signed_on = event.starts_on
        currency = rng.choices(["CNY", "HKD", "USD"], weights=[80, 15, 5])[0]
        return Facts(
            {},
            document="agreement",
            signing=(signed_on, plan.details["expected_investment"], currency, event),
        )
    if stage == Stage.REGISTERED:
        return Facts({"uscc": _uscc(rng), "registration_date": day_between()}, document="licence")
    if stage == Stage.MOVED_IN:
        space = str(rng.choice([150, 300, 500, 800, 1200, 2000]))
        return Facts({"space_m2": space, "carrier_id": plan.carrier.pk}, document="lease")
    if stage == Stage.OPERATING:
        return Facts({"staff_on_site": rng.randint(5, 60)})
    if stage == Stage.PILOT:
        return Facts({"pilot_note": rng.choice(PILOT_NOTES)})
    if stage == Stage.PRODUCING:
        return Facts({"first_production_date": day_between()})
    if stage == Stage.FIRST_REVENUE:
        return Facts({"contract_date": day_between()}, document="contract")
    if stage == Stage.SCALED:
        return Facts({"scale_note": rng.choice(SCALE_NOTES)})
    if stage == Stage.T_INTERESTED:
        return Facts({"interest_type": rng.choice(["full_time", "part_time", "project", "found_company"])})
    if stage == Stage.T_VISITED:
        return Facts({"visit_date": day_between()})
    if stage == Stage.T_OFFERED:
        return Facts({}, document="offer")
    if stage == Stage.T_ARRIVED:
        employment = rng.choice(["full_time", "full_time", "part_time"])
        return Facts(
            {"start_date": day_between(), "employer": rng.choice(EMPLOYERS), "employment": employment}
        )
    if stage == Stage.T_AWARDED:
        return Facts({"programme": rng.choice(PROGRAMMES)}, document="award")
    if stage == Stage.T_FOUNDED:
        return Facts({}, link_company=True) if plan.company else Facts({}, document="transfer")
    return Facts({})  # T_RETAINED needs nothing but time


def _uscc(rng: random.Random) -> str:
    body = "91" + rng.choice(USCC_REGIONS) + "".join(rng.choice(USCC_ALPHABET) for _ in range(9))
    return body + uscc_check_character(body)


def pdf_bytes(text: str) -> bytes:
    """A small, valid one-page PDF saying what it stands for (ASCII only: the built-in font has no CJK)."""
    stream = f"BT /F1 14 Tf 72 770 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


_T2S: opencc.OpenCC | None = None


def _t2s() -> opencc.OpenCC:
    global _T2S
    if _T2S is None:
        _T2S = opencc.OpenCC("t2s")
    return _T2S


# --- Milestones and follow-ups ----------------------------------------------------------------------------------

MILESTONE_NOTES = ["材料已归档。", "已与载体确认。", "园区会议已通过。", "对方已书面确认。"]
BLOCKERS = ["等待大学技术转移办公室答复。", "跨境审批未完成。", "园区场地尚未腾空。"]
NEXT_STEPS = ["约团队来苏考察载体", "发送政策清单", "安排与园区负责人会面", "跟进意向书修改意见"]


def milestone_outcome(
    rng: random.Random, *, starts_on: date, due_on: date | None, today: date
) -> tuple[str, date | None]:
    """How a demo milestone stands today, and the day it was completed: most past ones done, some still open
    (overdue), a few blocked; the future ones open. Both writers use it, so both paths agree."""
    roll = rng.random()
    if due_on is None:
        day = starts_on + timedelta(days=rng.randint(10, 90))
        if day >= today or roll < 0.5:
            return "open", None
        return ("na" if roll > 0.85 else "done"), day
    if due_on >= today:
        return "open", None
    if roll < 0.06:
        return "blocked", None
    if roll < (0.5 if (today - due_on).days <= 20 else 0.15):
        return "open", None
    day = max(starts_on, due_on - timedelta(days=rng.randint(0, 10)))
    return "done", min(day, today - timedelta(days=1))


def next_step_of(plan: Plan) -> str:
    return NEXT_STEPS[plan.seed % len(NEXT_STEPS)]


def completed_moment(day: date, latest: datetime) -> datetime:
    """Mid-afternoon of `day`, never after the demo's clock."""
    return min(datetime.combine(day, time(15, 30), tzinfo=latest.tzinfo), latest)
