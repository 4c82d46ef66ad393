"""Demo leads named after real public HK institutions and real technology fields."""

from __future__ import annotations

from datetime import timedelta

from core.seeding import DemoContext
from directory.models import Organization
from projects import services
from projects.models import Lead, LeadCodeSequence, LeadType, SourceChannel

FIELDS = [
    "量子计算",
    "光子芯片",
    "碳化硅功率器件",
    "集成电路设计",
    "工业软件",
    "具身智能机器人",
    "医疗机器人",
    "物流机器人",
    "AI芯片",
    "大模型应用",
    "细胞与基因治疗",
    "创新抗体药",
    "体外诊断",
    "纳米材料",
    "氢能",
    "储能电池",
    "低空无人机",
    "数字金融",
]
FORMS = ["研发团队", "初创企业", "联合实验室", "成果转化项目", "研发中心"]
OWNING_UNITS = ["hk", "hk_office", "industry1", "industry2", "sip_team", "snd_team"]


def seed(ctx: DemoContext) -> None:
    orgs = list(
        Organization.objects.filter(kind__in=[Organization.Kind.UNIVERSITY, Organization.Kind.INNOHK_CENTRE])
        .exclude(abbreviation="")
        .order_by("abbreviation")
    )
    staff_by_unit: dict[str, list] = {key: [] for key in OWNING_UNITS}
    for user in ctx.users.values():
        for membership in user.memberships.select_related("unit"):
            for key, unit in ctx.units.items():
                if unit.pk == membership.unit_id and key in staff_by_unit:
                    staff_by_unit[key].append(user)
    director = ctx.users["director"]
    everyone = [u for users in staff_by_unit.values() for u in users]
    for _ in range(ctx.leads):
        unit_key = ctx.rng.choice(OWNING_UNITS)
        owner = ctx.rng.choice(staff_by_unit[unit_key])
        org = ctx.rng.choice(orgs)
        co_owners = ctx.rng.sample(everyone, k=ctx.rng.choice([0, 0, 1, 2]))
        services.lead_create(
            actor=director,
            owner=owner,
            name=f"{org.abbreviation} {ctx.rng.choice(FIELDS)}{ctx.rng.choice(FORMS)}",
            lead_type=ctx.rng.choice([t for t in LeadType.values if t != LeadType.TALENT]),
            source_channel=ctx.rng.choice(SourceChannel.values),
            hk_organization=org,
            owning_unit=ctx.units[unit_key],
            co_owners=co_owners,
            confidential=ctx.rng.random() < 0.1,
            occurred_at=ctx.now - timedelta(days=ctx.rng.randint(1, 400)),
        )


def clear() -> None:
    Lead.objects.all().delete()
    LeadCodeSequence.objects.all().delete()
